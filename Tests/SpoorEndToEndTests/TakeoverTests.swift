import Foundation
import SpoorTestSupport
import Testing

/// The takeover rules end to end, on the Google Workspace activities and the Microsoft 365 audit
/// log written for them: ingest, analyze and the annex's findings.
@Suite struct TakeoverTests {
    static func findings(_ fixtures: [String]) throws -> (all: [[String: Any]], html: String) {
        let folder = try Fixtures.temporaryDirectory()
        let path = folder.appendingPathComponent("case").path
        let steps = [
            ["case", "init", path, "--title", "takeover"], ["ingest", path] + fixtures.map(Fixtures.path), ["analyze", path],
        ]
        for arguments in steps {
            let run = try runSpoor(arguments)
            #expect(run.status == 0, "\(arguments[0]): \(run.stderr)")
        }
        let out = folder.appendingPathComponent("annex").path
        #expect(try runSpoor(["report", path, "--out", out, "--pdf", "none"]).status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/findings.json")))
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        return (((json as? [String: Any])?["findings"] as? [[String: Any]]) ?? [], html)
    }

    @Test func theWorkspaceIntrusionGivesEachTakeoverFindingAndTheWarningComesFirst() throws {
        let (all, html) = try Self.findings(["google/workspace-activities.json"])
        let byRule = Dictionary(grouping: all) { $0["rule"] as? String ?? "" }
        #expect(all.first?["rule"] as? String == "government_backed_attack_warning")
        #expect(all.first?["id"] as? String == "F1")
        for rule in ["recovery_change", "mail_forwarding", "consent_or_app_access", "data_export", "destruction"] {
            #expect(byRule[rule]?.map { $0["severity"] as? String } == ["high"], "\(rule): \(byRule[rule] ?? [])")
        }
        let forwarding = byRule["mail_forwarding"]?.first?["statement"] as? String ?? ""
        #expect(forwarding.contains("(collector@example.net) from 203.0.113.45"), "\(forwarding)")
        #expect(forwarding.contains("after a login from 203.0.113.45 at 2024-05-06T23:10:00Z"), "\(forwarding)")
        #expect(html.contains("government_backed_attack_warning"))
    }

    @Test func loginsFromAmsterdamAndSydneyHalfAnHourApartAreImpossibleTravelByTheCityDatabase() throws {
        let folder = try Fixtures.temporaryDirectory()
        let city = folder.appendingPathComponent("city.json")
        try Data(
            """
            [{"192.0.2.0/24": {"country": {"iso_code": "NL"}, "location": {"latitude": 52.37, "longitude": 4.9, "accuracy_radius": 20}}},
             {"203.0.113.0/24": {"country": {"iso_code": "AU"}, "location": {"latitude": -33.87, "longitude": 151.21, "accuracy_radius": 50}}}]
            """.utf8
        ).write(to: city)
        let mmdb = folder.appendingPathComponent("city.mmdb").path
        #expect(try runSpoor(["mmdb", "build", city.path, "--out", mmdb, "--type", "Test-City"]).status == 0)
        func login(_ time: String, _ ip: String) -> String {
            #"{"id":{"time":"\#(time)","uniqueQualifier":"1","applicationName":"login"},"actor":{"email":"ada@example.org"},"ipAddress":"\#(ip)","events":[{"type":"login","name":"login_success"}]}"#
        }
        let log = folder.appendingPathComponent("activities.jsonl")
        try Data(
            [login("2024-05-06T22:40:00Z", "192.0.2.10"), login("2024-05-06T23:10:00Z", "203.0.113.45")]
                .joined(separator: "\n").appending("\n").utf8
        ).write(to: log)
        let path = folder.appendingPathComponent("case").path
        for arguments in [["case", "init", path], ["ingest", path, log.path]] {
            let run = try runSpoor(arguments)
            #expect(run.status == 0, "\(arguments[0]): \(run.stderr)")
        }
        let shown = try runSpoor(["analyze", path, "--mmdb", mmdb])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(
            shown.stdout.contains("[medium] On google_workspace_audit: ada@example.org, a login from 192.0.2.10"),
            "\(shown.stdout)")
        #expect(shown.stdout.contains("placed at 33.87° S, 151.21° E within 50 km by city.mmdb"))
        #expect(shown.stdout.contains("30 minute(s) apart"))
    }

    @Test func theMicrosoftAuditLogsForwardingRulesAreFoundAndTheFolderRuleIsNot() throws {
        let (all, _) = try Self.findings(["microsoft/ual-takeover.csv"])
        let forwarding = all.filter { $0["rule"] as? String == "mail_forwarding" }
        #expect(forwarding.count == 2, "New-InboxRule forwarding and Set-Mailbox; the rule moving mail to a folder is not one")
        // The account's only session is its baseline: nothing suspicious precedes the rules.
        #expect(forwarding.map { $0["severity"] as? String } == ["medium", "medium"])
        #expect(all.contains { $0["rule"] as? String == "consent_or_app_access" })
        #expect(all.filter { $0["rule"] as? String == "data_export" }.map { $0["severity"] as? String } == ["low"])
    }
}

/// `analyze --sigma` on a web log written for it, with a rule folder beside the case.
@Suite struct SigmaCommandLineTests {
    @Test func aMatchingRuleIsAFindingARefusedOneIsNamedAndTheFolderBesideTheCaseIsUsed() throws {
        let folder = try Fixtures.temporaryDirectory()
        let rules = folder.appendingPathComponent("sigma")
        try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
        try Data(
            """
            title: Password file asked for
            id: 00000000-0000-4000-8000-00000000000a
            author: Spoor tests
            level: high
            references: [https://example.org/passwd]
            logsource: {category: webserver}
            detection:
                selection:
                    cs-uri-query|contains: '/etc/passwd'
                filter:
                    sc-status: 404
                condition: selection and not filter
            """.utf8
        ).write(to: rules.appendingPathComponent("passwd.yml"))
        try Data(
            """
            title: Counted
            logsource: {category: webserver}
            detection:
                selection: {cs-method: POST}
                condition: selection | count() by c-ip > 10
            """.utf8
        ).write(to: rules.appendingPathComponent("counted.yml"))
        let log = folder.appendingPathComponent("access.log")
        try Data(
            """
            203.0.113.45 - - [01/Jan/2024:00:20:05 +0000] "GET /cgi-bin/view?f=../../etc/passwd HTTP/1.1" 200 1840 "-" "curl/8.0"
            203.0.113.46 - - [01/Jan/2024:00:20:06 +0000] "GET /cgi-bin/view?f=../../etc/passwd HTTP/1.1" 404 162 "-" "curl/8.0"
            198.51.100.9 - - [01/Jan/2024:00:21:00 +0000] "GET /about.html HTTP/1.1" 200 1024 "-" "Mozilla/5.0"

            """.utf8
        ).write(to: log)
        let path = folder.appendingPathComponent("case").path
        #expect(try runSpoor(["case", "init", path]).status == 0)
        #expect(try runSpoor(["ingest", path, log.path]).status == 0)
        let analysed = try runSpoor(["analyze", path, "--no-intel"])
        #expect(analysed.status == 0, "\(analysed.stderr)")
        #expect(analysed.stderr.contains("the folder beside the case"))
        #expect(analysed.stderr.contains("Sigma rule not evaluated: counted.yml (Counted): condition"), "\(analysed.stderr)")
        #expect(analysed.stdout.contains("1 rule(s) of"))
        #expect(
            analysed.stdout.contains(
                "[high] Sigma rule \"Password file asked for\" (id 00000000-0000-4000-8000-00000000000a, by Spoor tests, level high, file passwd.yml) matched 1 record(s) of web_access at 2024-01-01T00:20:05Z, from 203.0.113.45. References: https://example.org/passwd."
            ), "\(analysed.stdout)")
        let out = folder.appendingPathComponent("annex").path
        #expect(try runSpoor(["report", path, "--out", out, "--pdf", "none"]).status == 0)
        let json = try String(contentsOfFile: out + "/findings.json", encoding: .utf8)
        #expect(json.contains("\"refused\""))
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("Password file asked for"))
        #expect(html.contains("1 evaluated against the records"), "the methods section states the rule set")
        // The re-run applies the same rules, identified by their set's hash, or says they are missing.
        let again = try runSpoor(["verify", out, "--evidence", log.path, "--rerun", "--sigma", rules.path])
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        let without = try runSpoor(["verify", out, "--evidence", log.path, "--rerun"])
        #expect(without.status == 1)
        #expect(
            without.stdout.contains("applied the Sigma rules of sigma (1 evaluated); give them with --sigma"), "\(without.stdout)"
        )
    }
}
