import Foundation
import SpoorTestSupport
import Testing

/// The analysis rules on a small account history: a takeover from another country while the
/// owner's session is open, followed by a password change.
@Suite struct AnalysisRuleTests {
    @Test func eachRuleSaysWhatTheRecordsShowWithTheirLocators() throws {
        let folder = try Fixtures.temporaryDirectory()
        let history = """
            When,From,Who,What
            2024-03-01T08:00:00Z,198.51.100.10,alice,login
            2024-03-02T08:00:00Z,198.51.100.10,alice,login
            2024-03-05T10:00:00Z,203.0.113.5,alice,login
            2024-03-05T10:05:00Z,192.0.2.77,alice,login
            2024-03-05T10:20:00Z,203.0.113.5,alice,password_change

            """
        let csv = folder.appendingPathComponent("accounts.csv").path
        try history.write(toFile: csv, atomically: true, encoding: .utf8)
        let mmdb = try Fixtures.testGeoDatabase(
            rows: ["198.51.100.0/24,64500,NL,false", "203.0.113.0/24,64511,BR,true", "192.0.2.0/24,64496,NL,false"], in: folder)
        let caseDir = folder.appendingPathComponent("case").path
        #expect(try runSpoor(["case", "init", caseDir]).status == 0)
        #expect(
            try runSpoor(["ingest", caseDir, csv, "--format", "csv", "--map", "time=When,ip=From,account=Who,action=What"]).status
                == 0)
        #expect(try runSpoor(["analyze", caseDir, "--mmdb", mmdb, "--no-intel"]).status == 0)
        let annex = folder.appendingPathComponent("annex").path
        #expect(try runSpoor(["report", caseDir, "--out", annex, "--generated-at", "2024-04-01T00:00:00Z"]).status == 0)
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: annex + "/findings.json")))
                as? [String: Any])
        let findings = try #require(document["findings"] as? [[String: Any]])
        func find(_ rule: String) -> [[String: Any]] { findings.filter { $0["rule"] as? String == rule } }

        let change = try #require(find("change_after_login").first)
        #expect(change["severity"] as? String == "high")
        #expect(
            change["statement"] as? String
                == "On csv: alice, a login from 203.0.113.5 at 2024-03-05T10:00:00Z was followed 20 minute(s) later by a password change from 203.0.113.5 at 2024-03-05T10:20:00Z. Both are in the same session.",
            "the login of the change's own session, not the later one from elsewhere")
        #expect((change["locators"] as? [Any])?.count == 2)

        let new = find("new_access").compactMap { $0["statement"] as? String }
        #expect(new.count == 2, "the first session is the baseline; the same address again is not new")
        #expect(new.contains { $0.contains("203.0.113.5") && $0.contains("network (/24 or /48), AS64511, country BR") })
        #expect(new.contains { $0.contains("192.0.2.77") && $0.contains("AS64496") && !$0.contains("country") })

        let both = try #require(find("simultaneous_sessions").first?["statement"] as? String)
        #expect(
            both.contains("session S3 from 203.0.113.5 (BR) and session S4 from 192.0.2.77 (NL) were active at the same time"))

        let vpn = try #require(find("anonymising_infrastructure").first?["statement"] as? String)
        #expect(
            vpn.hasPrefix("203.0.113.5, used on the account(s) alice, is flagged is_anonymous_vpn by Test-Geo built 2024-01-01."))
        #expect(find("account_and_capture").isEmpty, "no capture in this case")
        // Findings are numbered in order, and the page shows them.
        #expect(findings.compactMap { $0["id"] as? String } == (1...findings.count).map { "F\($0)" })
        let html = try String(contentsOfFile: annex + "/report.html", encoding: .utf8)
        #expect(html.contains("rule <code>change_after_login</code>") && html.contains("rule <code>simultaneous_sessions</code>"))
    }
}
