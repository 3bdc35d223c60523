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
