import Foundation
import GRDB
@testable import SpoorIntake
@testable import SpoorStore
@testable import SpoorCase
import SpoorAnalysis
import SpoorCore
import SpoorLogs
@testable import SpoorReport
import SpoorTestSupport
import Testing

/// `analyze` and `report` read the case one address, one account and one record at a time;
/// what they forget or move to disk on the way must not change what they find or write.
@Suite struct StreamingAnalysisTests {
    /// An account history with a takeover, a session kept open for more than a day, a change
    /// too long after its login, and an account that shows many addresses.
    static func history() -> String {
        var lines = ["When,From,Who,What"]
        lines += [
            "2024-03-01T08:00:00Z,198.51.100.10,alice,login", "2024-03-02T08:00:00Z,198.51.100.10,alice,login",
            "2024-03-05T10:00:00Z,203.0.113.5,alice,login", "2024-03-05T10:05:00Z,192.0.2.77,alice,login",
            "2024-03-05T10:20:00Z,203.0.113.5,alice,password_change",
        ]
        // bob: one session from 00:00 on the 10th, active every 20 minutes for 26 hours; an
        // e-mail change 25 hours after its login is not within the window.
        let start = 1_710_028_800  // 2024-03-10T00:00:00Z
        lines.append("2024-03-10T00:00:00Z,198.51.100.20,bob,login")
        for step in 1...78 {
            let stamp = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(start + step * 1200)))
            lines.append("\(stamp),198.51.100.20,bob,\(step == 75 ? "email_change" : "session_active")")
        }
        // A second bob session from elsewhere while the first is open, then its own change.
        lines += ["2024-03-10T12:00:00Z,203.0.113.80,bob,login", "2024-03-10T12:10:00Z,203.0.113.80,bob,email_change"]
        // carol: forty addresses, more than a small ledger holds.
        for n in 1...40 {
            lines.append(String(format: "2024-03-2%dT%02d:00:00Z,192.0.2.%d,carol,login", n % 3, n % 24, 100 + n))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func analysedCase() throws -> (CaseStore, AnalysisSummary, mmdb: String) {
        let folder = try Fixtures.temporaryDirectory()
        let mmdb = try Fixtures.testGeoDatabase(
            rows: ["198.51.100.0/24,64500,NL,false", "203.0.113.0/24,64511,BR,true", "192.0.2.0/24,64496,DE,false"], in: folder)
        let csv = try Fixtures.temporaryFile(named: "accounts.csv", contents: history())
        let store = try CaseStore.create(
            at: folder.appendingPathComponent("case").path, metadata: .init(title: "Streaming", createdAt: "2024-01-01T00:00:00Z")
        )
        let mapping = try FieldMapping(parsing: "time=When,ip=From,account=Who,action=What")
        let outcomes = store.ingest(paths: [csv], format: "csv", options: ParseOptions(mapping: mapping))
        #expect(outcomes.first?.observations == 126)
        return (store, try store.analyze(mmdbPaths: [mmdb], intel: nil), mmdb)
    }

    static func marks(_ store: CaseStore) throws -> [String] {
        try store.database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT observation_id, account_key, session, novel FROM observation_mark ORDER BY observation_id"
            )
            .map {
                "\($0["observation_id"] as Int64) \($0["account_key"] as String) \($0["session"] as String) \($0["novel"] as String)"
            }
        }
    }

    @Test func forgettingIdleSessionsAndSpillingToDiskChangeNothing() throws {
        let (store, summary, mmdb) = try Self.analysedCase()
        let rules = Set(summary.findings.map(\.rule))
        #expect(rules.isSuperset(of: [.changeAfterLogin, .newAccess, .simultaneousSessions, .anonymisingInfrastructure]))
        let changes = summary.findings.filter { $0.rule == .changeAfterLogin }.map(\.statement)
        #expect(
            changes.count == 2,
            "alice's password change and bob's second session's change; not the change 25 hours after the first login")
        #expect(changes.contains { $0.contains("login from 203.0.113.80") && $0.contains("e-mail change") })
        #expect(
            summary.findings.contains {
                $0.rule == .simultaneousSessions && $0.statement.contains("198.51.100.20 (NL)")
                    && $0.statement.contains("203.0.113.80 (BR)")
            })

        // Novelty: each account's first record of each address, and no other, is marked.
        let before = try Self.marks(store)
        let (marked, pairs) = try store.database.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM observation_mark WHERE novel LIKE '%\"address\"%'")
                    ?? 0,
                try Int.fetchOne(
                    db,
                    sql:
                        "SELECT count(*) FROM (SELECT DISTINCT m.account_key, o.ip FROM observation o JOIN observation_mark m ON m.observation_id = o.id WHERE o.ip IS NOT NULL)"
                ) ?? 0
            )
        }
        #expect(marked == pairs && pairs == 45)

        // A ledger of three values in memory (the rest on disk) marks the same and finds the same.
        let spilled = try store.analyze(mmdbPaths: [mmdb], intel: nil, noveltyMemoryLimit: 3)
        #expect(try Self.marks(store) == before)
        #expect(spilled.findings == summary.findings)
        // Rules looking for sessions to forget after every event find the same.
        let again = try store.analyze(mmdbPaths: [mmdb], intel: nil, rules: RuleRegistry.standard(forgetEvery: 1))
        #expect(again.findings == summary.findings)
    }

    @Test func findingsJSONListsEveryRecordOfEveryAddressAsTheCaseHoldsThem() throws {
        let (store, _, _) = try Self.analysedCase()
        let out = try Fixtures.temporaryDirectory().path
        _ = try Annex.write(store: store, to: out, options: .init(generatedAt: "2024-04-01T00:00:00Z"))
        let document = try FindingsDocument.decode(Data(contentsOf: URL(fileURLWithPath: out + "/findings.json")))
        #expect(document.subjects.count == 45)
        for entry in document.subjects {
            // The oracle: every stored record of the address, through the event reader.
            let expected = try store.events(ip: entry.subject.ip).compactMap(\.locator.ordinal).sorted()
            #expect(entry.supportingRecords.flatMap(\.positions).sorted() == expected, "\(entry.subject.ip)")
            #expect(entry.supportingRecords.allSatisfy { $0.kind == "row" && $0.path.hasSuffix("accounts.csv") })
        }
        let csvRows = try String(contentsOfFile: out + "/subjects.csv", encoding: .utf8).split(separator: "\n").count
        #expect(csvRows == document.subjects.count + 1)
    }

    @Test func thePageDetailsWhatMattersAndCountsTheRest() throws {
        let folder = try Fixtures.temporaryDirectory()
        // 130 addresses that fail to log in, the n-th n times, each failure 61 minutes after the
        // one before (too slow for brute_force: no finding names them); one of them also logs in.
        var log = ""
        let times = ISO8601DateFormatter()
        for n in 1...130 {
            for i in 0..<n {
                let time = times.string(from: Date(timeIntervalSince1970: 1_720_537_200 + Double(i * 61 * 60)))
                log += "\(time) gw sshd[1]: Failed password for root from 198.51.100.\(n) port 4000 ssh2\n"
            }
        }
        log += "2024-07-09T16:00:00Z gw sshd[2]: Accepted password for root from 198.51.100.3 port 4001 ssh2\n"
        let store = try CaseStore.create(
            at: folder.appendingPathComponent("case").path, metadata: .init(title: "Many", createdAt: "2024-01-01T00:00:00Z"))
        _ = store.ingest(paths: [try Fixtures.temporaryFile(named: "auth.log", contents: log)])
        _ = try store.analyze(mmdbPaths: [], intel: nil)

        var overview = SubjectOverview(named: ["198.51.100.3"])
        try store.forEachSubject { subject, _ in overview.note(subject, shown: subject) }
        let shown = overview.detailed.map(\.ip)
        #expect(overview.count == 130 && shown.count == 101 && overview.omitted == 29)
        #expect(shown.contains("198.51.100.3"), "an address a finding names is always shown")
        #expect(
            shown.filter { $0 != "198.51.100.3" } == (31...130).map { "198.51.100.\($0)" },
            "then the most frequent, in address order")

        let out = folder.appendingPathComponent("annex").path
        _ = try Annex.write(store: store, to: out, options: .init(generatedAt: "2024-07-10T00:00:00Z"))
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("The other 30 are in"), "no finding names an address here: the 100 most frequent are shown")
        #expect(html.contains("id=\"ip-198-51-100-130\"") && !html.contains("id=\"ip-198-51-100-30\""))
        let document = try FindingsDocument.decode(Data(contentsOf: URL(fileURLWithPath: out + "/findings.json")))
        #expect(document.subjects.map(\.subject.ip) == (1...130).map { "198.51.100.\($0)" }, "every address, in address order")
        #expect(document.subjects.last?.supportingRecords.first?.positions.count == 130)
    }
}
