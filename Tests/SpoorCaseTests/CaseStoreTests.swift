import Foundation
import GRDB
@testable import SpoorIntake
@testable import SpoorStore
@testable import SpoorCase
import SpoorAnalysis
import SpoorCore
import SpoorIntel
import SpoorLogs
import SpoorReport
import SpoorTestSupport
import Testing

@Suite struct CaseStoreTests {
    func newCase() throws -> CaseStore {
        let dir = try Fixtures.temporaryDirectory().appendingPathComponent("case").path
        return try CaseStore.create(
            at: dir, metadata: .init(title: "Test case", examiner: "E. Xaminer", createdAt: "2024-01-01T00:00:00Z"))
    }

    func evidenceFolder() throws -> String {
        let folder = try Fixtures.temporaryDirectory()
        for fixture in ["openssh/auth-bsd-newyear.log", "web/access-combined.log"] {
            try Data(try Fixtures.bytes(fixture)).write(
                to: folder.appendingPathComponent(URL(fileURLWithPath: fixture).lastPathComponent))
        }
        try Data("no format here\n".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        return folder.path
    }

    @Test func refusesToCreateACaseTwiceOrOpenAFolderWithoutOne() throws {
        let store = try newCase()
        #expect(throws: CaseError.self) {
            _ = try CaseStore.create(at: store.directory, metadata: .init(title: "x", createdAt: ""))
        }
        let empty = try Fixtures.temporaryDirectory().path
        #expect(throws: CaseError.self) { _ = try CaseStore(directory: empty) }
        #expect(try store.metadata().examiner == "E. Xaminer")
    }

    @Test func ingestsEachItemAndRecordsWhatCouldNotBeRead() throws {
        let store = try newCase()
        let folder = try evidenceFolder()
        let outcomes = store.ingest(paths: [folder, folder + "/missing.log"], options: ParseOptions(year: 2023))
        #expect(outcomes.count == 4)
        let byName = Dictionary(uniqueKeysWithValues: outcomes.map { (URL(fileURLWithPath: $0.path).lastPathComponent, $0) })
        #expect(byName["auth-bsd-newyear.log"]?.status == .ingested)
        #expect(byName["auth-bsd-newyear.log"]?.observations == 19)
        #expect(byName["auth-bsd-newyear.log"]?.summary.malformed == 1)
        #expect(byName["access-combined.log"]?.observations == 8)
        if case .unsupported = byName["notes.txt"]?.status {} else { Issue.record("notes.txt should be unsupported") }
        if case .failed = byName["missing.log"]?.status {} else { Issue.record("missing.log should fail") }

        let inventory = try store.evidenceInventory()
        #expect(inventory.count == 3, "the unreadable path has no hash, so no inventory row")
        let auth = try #require(inventory.first { $0.path.hasSuffix("auth-bsd-newyear.log") })
        #expect(auth.format == "openssh")
        #expect(auth.parserVersion == OpenSSHParser.version)
        #expect(auth.sha256.count == 64)
        #expect(auth.warnings == 2)
        #expect(try store.warnings(sha256: auth.sha256).contains { $0.hasPrefix(":21: not a syslog line") })
        #expect(inventory.first { $0.path.hasSuffix("notes.txt") }?.status == "unsupported")
    }

    @Test func skipsEvidenceAlreadyInTheCase() throws {
        let store = try newCase()
        let folder = try evidenceFolder()
        _ = store.ingest(paths: [folder], options: ParseOptions(year: 2023))
        let again = store.ingest(paths: [folder + "/auth-bsd-newyear.log"], options: ParseOptions(year: 2023))
        #expect(again.first?.status == .alreadyPresent)
        var count = 0
        try store.forEachEvent { _ in count += 1 }
        #expect(count == 27)
    }

    @Test func listsEventsInTimeOrderWithTheirLocators() throws {
        let store = try newCase()
        _ = store.ingest(paths: [try evidenceFolder()], options: ParseOptions(year: 2023))
        var events: [StoredEvent] = []
        try store.forEachEvent { events.append($0) }
        let keyed = events.compactMap(\.timeKey)
        #expect(keyed == keyed.sorted())
        let login = try #require(events.first { $0.action == .access(.login) && $0.ip == "192.0.2.10" })
        #expect(login.locator.line == 2)
        #expect(login.timeZone == "none")
        #expect(login.timeUTC == nil)
        #expect(login.displayTime == "2023-12-31T23:50:02 (no zone)")
    }

    @Test func analysesEachAddressOnceWithIndicatorHitsAndFindings() throws {
        let store = try newCase()
        _ = store.ingest(paths: [try evidenceFolder()], options: ParseOptions(year: 2023))
        let intel = try IndicatorStore(path: try Fixtures.temporaryDirectory().appendingPathComponent("i.sqlite").path)
        _ = try intel.importIndicators(
            MemoryByteSource(try Fixtures.bytes("intel/mixed.csv")), format: .csv, fileName: "mixed.csv", sha256: "x",
            defaultSource: nil)
        let summary = try store.analyze(mmdbPaths: [], intel: intel)
        let subjects = try store.subjects()
        #expect(summary.subjects == subjects.count)
        #expect(Set(subjects.map(\.ip)).count == subjects.count, "one subject per distinct address")
        let attacker = try #require(subjects.first { $0.ip == "203.0.113.9" })
        #expect(attacker.addressClass == .documentation)
        #expect(attacker.occurrences == 11, "the repeated message counts three times")
        #expect(attacker.byAction["login_failed"] == 7, "line 5's Invalid user supports line 6's Failed password: one attempt")
        #expect(attacker.accounts.contains("test"))
        #expect(attacker.indicatorHits.map(\.value) == ["203.0.113.0/24"])
        #expect(attacker.zonelessFirst == "2024-01-01T00:00:03 (no zone)")
        let web = try #require(subjects.first { $0.ip == "198.51.100.7" })
        #expect(web.firstSeen == "2024-05-17T10:05:05Z")
        #expect(web.indicatorHits.first?.provenance.first?.source == "Example Lab")
        let finding = try #require(summary.findings.first { $0.addresses.map(\.description) == ["203.0.113.9"] })
        #expect(finding.rule == .indicatorMatch)
        #expect(finding.statement.contains("Example Lab"))
        #expect(finding.locators.contains { $0.line == 4 })
        #expect(summary.intel?.contentHash == (try intel.statistics().contentHash))
    }

    @Test func checksValidityWindowsAgainstWhenTheAddressWasSeen() throws {
        let store = try newCase()
        _ = store.ingest(paths: [try evidenceFolder()], options: ParseOptions(year: 2023))
        let intel = try IndicatorStore(path: try Fixtures.temporaryDirectory().appendingPathComponent("i.sqlite").path)
        func add(_ value: String, _ source: String, from: String?, until: String?) throws {
            try intel.add(
                try Indicator.parse(value, type: nil).get().0,
                provenance: Provenance(source: source, validFrom: from, validUntil: until))
        }
        // 198.51.100.7 is seen on 2024-05-17 (UTC) in the web log; 203.0.113.9 only in a log without a zone.
        try add("198.51.100.7", "Early Lab", from: "2024-01-01", until: "2024-05-16")
        try add("198.51.100.0/24", "Day Lab", from: nil, until: "2024-05-17")
        try add("203.0.113.9", "Zone Lab", from: "2030-01-01", until: nil)
        let summary = try store.analyze(mmdbPaths: [], intel: intel)
        let web = try #require(try store.subjects().first { $0.ip == "198.51.100.7" })
        let early = try #require(web.indicatorHits.first { $0.value == "198.51.100.7" }?.validity)
        #expect(early.inside == 0 && early.outside == web.occurrences && early.onlyOutside)
        let day = try #require(web.indicatorHits.first { $0.value == "198.51.100.0/24" }?.validity)
        #expect(day.inside == web.occurrences, "a bare until-date runs to the end of that day")
        let webFinding = try #require(summary.findings.first { $0.addresses.map(\.description) == ["198.51.100.7"] })
        #expect(webFinding.severity == .high, "one hit inside its window keeps the finding high")
        #expect(
            webFinding.statement.contains(
                "(valid 2024-01-01 until 2024-05-16 (Early Lab): 0 occurrence(s) inside, \(web.occurrences) outside)"))
        let zoneless = try #require(try store.subjects().first { $0.ip == "203.0.113.9" }?.indicatorHits.first?.validity)
        #expect(zoneless.undetermined > 0 && !zoneless.onlyOutside, "times without a zone cannot be ruled out")
        // Only outside every window: still a finding, at medium.
        _ = try intel.remove(try Indicator.parse("198.51.100.0/24", type: nil).get().0, source: nil)
        let again = try store.analyze(mmdbPaths: [], intel: intel)
        #expect(again.findings.first { $0.addresses.map(\.description) == ["198.51.100.7"] }?.severity == .medium)
    }

    @Test(.enabled(if: Fixtures.sharedTestdata != nil, "../shared/testdata is absent"))
    func enrichesOncePerAddressAndMatchesASNIndicators() throws {
        let store = try newCase()
        // Addresses of the MaxMind test database; written at test time, never committed.
        let log =
            "2024-07-09T15:00:00Z gw sshd[1]: Failed password for root from 1.128.0.1 port 4000 ssh2\n"
            + "2024-07-09T15:00:05Z gw sshd[1]: Failed password for root from 1.128.0.1 port 4000 ssh2\n"
        let path = try Fixtures.temporaryFile(named: "auth.log", contents: log)
        _ = store.ingest(paths: [path])
        let intel = try IndicatorStore(path: try Fixtures.temporaryDirectory().appendingPathComponent("i.sqlite").path)
        try intel.add(try Indicator.parse("AS1221", type: nil).get().0, provenance: Provenance(source: "Test"))
        let mmdb = (Fixtures.sharedTestdata ?? URL(fileURLWithPath: "/")).appendingPathComponent("mmdb/GeoLite2-ASN-Test.mmdb")
            .path
        let summary = try store.analyze(mmdbPaths: [mmdb], intel: intel)
        let subject = try #require(try store.subjects().first)
        #expect(subject.enrichment.count == 1)
        #expect(subject.enrichment.first?.asn == 1221)
        #expect(subject.enrichment.first?.source.databaseType == "GeoLite2-ASN")
        #expect(subject.enrichment.first?.source.sha256.count == 64)
        #expect(subject.indicatorHits.first?.matchedBy == "asn")
        #expect(summary.databases.first?.buildDate == "2026-02-04")
    }

    @Test func writesAReportWhoseTextCannotInjectMarkup() throws {
        let store = try newCase()
        let hostile =
            "2024-07-09T15:00:00Z gw sshd[1]: Failed password for <script>alert(1)</script> from 192.0.2.66 port 4000 ssh2\n"
        _ = store.ingest(paths: [try Fixtures.temporaryFile(named: "auth.log", contents: hostile)])
        _ = try store.analyze(mmdbPaths: [], intel: nil)
        let out = try Fixtures.temporaryDirectory().path
        let written = try Annex.write(store: store, to: out, options: .init(generatedAt: "2024-07-10T00:00:00Z")).paths
        #expect(
            written.map { URL(fileURLWithPath: $0).lastPathComponent } == [
                "findings.json", "subjects.csv", "report.html", "events.csv", "flows.csv", "indicators.stix.json",
                "manifest.json",
            ])
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;"))
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/findings.json")))
            as? [String: Any]
        #expect(json?["schema"] as? String == "spoor-findings/1")
        let subjects = json?["subjects"] as? [[String: Any]]
        let records = subjects?.first?["supporting_records"] as? [[String: Any]]
        #expect(records?.first?["positions"] as? [Int] == [1])
    }

    @Test func reportsRecordsThatNameNoAddressBesideTheAddresses() throws {
        let store = try newCase()
        _ = store.ingest(paths: [try evidenceFolder()], options: ParseOptions(year: 2023))
        _ = try store.analyze(mmdbPaths: [], intel: nil)
        let (events, total) = try store.eventsWithoutAddress(limit: 10)
        #expect(total == 2)
        #expect(events.map(\.action) == [.access(.passwordChange), .access(.login)])
        #expect(events.last?.ipRaw == "999.1.2.3", "an unreadable address is kept as written")
        let out = try Fixtures.temporaryDirectory().path
        _ = try Annex.write(store: store, to: out, options: .init(generatedAt: "2024-07-10T00:00:00Z")).paths
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("Records without an address"))
        #expect(html.contains("auth-bsd-newyear.log:19"))
        #expect(html.contains("address written as 999.1.2.3"))
    }

    @Test func readsArchiveMembersInPlaceWithTheMemberInEveryLocator() throws {
        let store = try newCase()
        let zip = ZipBuilder([
            .init("server/auth.log", try Fixtures.bytes("openssh/auth-rfc3339.log")),
            .init("nested.zip", ZipBuilder([.init("www/access.log", try Fixtures.bytes("web/access-combined.log"))]).data()),
            .init("notes.txt", text: "nothing to see\n"),
            .init("../escape.log", text: "x"),
        ])
        let url = try Fixtures.temporaryDirectory().appendingPathComponent("received.zip")
        try zip.write(to: url)
        let outcomes = store.ingest(paths: [url.path])
        #expect(
            outcomes.map(\.path).map { URL(fileURLWithPath: $0).lastPathComponent }
                == [
                    "received.zip!server/auth.log", "access.log", "received.zip!notes.txt", "received.zip",
                ].map { URL(fileURLWithPath: $0).lastPathComponent })
        #expect(outcomes.last?.status == .archive(members: 3, refused: 1))
        #expect(outcomes.last?.refusedMembers.first?.contains("../escape.log") == true)

        let inventory = try store.evidenceInventory()
        let archive = try #require(inventory.first { $0.member == nil })
        #expect(archive.status == "archive")
        #expect(archive.warnings == 1)
        let web = try #require(inventory.first { $0.member == "nested.zip!www/access.log" })
        #expect(web.format == "web_access")
        #expect(web.observations == 8)
        #expect(inventory.first { $0.member == "notes.txt" }?.status == "unsupported")

        var locators: [Locator] = []
        try store.forEachEvent { locators.append($0.locator) }
        #expect(locators.allSatisfy { $0.member != nil && $0.path == url.path })
        #expect(locators.contains { $0.description == "received.zip!server/auth.log:1" })

        let again = store.ingest(paths: [url.path])
        #expect(again.filter { $0.status == .alreadyPresent }.count == 2)
    }

    @Test func groupsEachAccountsEventsIntoSessionsAndMarksWhatIsNew() throws {
        let store = try newCase()
        let log =
            [
                "2024-07-09T10:00:00Z gw sshd[1]: Accepted password for alice from 192.0.2.10 port 4000 ssh2",
                "2024-07-09T10:10:00Z gw sshd[2]: Accepted password for alice from 192.0.2.10 port 4001 ssh2",
                "2024-07-09T10:12:00Z gw sshd[3]: Accepted password for alice from 192.0.2.11 port 4002 ssh2",
                "2024-07-09T12:00:00Z gw sshd[4]: Accepted password for alice from 192.0.2.10 port 4003 ssh2",
                "2024-07-09T12:05:00Z gw sshd[5]: Accepted password for alice from 2001:db8:1::1 port 4004 ssh2",
                "2024-07-09T12:06:00Z gw sshd[6]: Accepted password for bob from 192.0.2.10 port 4005 ssh2",
            ].joined(separator: "\n") + "\n"
        _ = store.ingest(paths: [try Fixtures.temporaryFile(named: "auth.log", contents: log)])
        _ = try store.analyze(mmdbPaths: [], intel: nil)
        var events: [StoredEvent] = []
        try store.forEachEvent { events.append($0) }
        #expect(events.map(\.session) == ["S1", "S1", "S2", "S3", "S4", "S1"])
        #expect(
            events.map { $0.novel.map(\.rawValue).joined(separator: ",") } == [
                "address,network", "", "address", "", "address,network", "address,network",
            ])
        #expect(events.first?.accountKey == "openssh: alice")
    }

    @Test func summarisesUserAgentsAtIngest() throws {
        let store = try newCase()
        _ = store.ingest(paths: [try evidenceFolder()])
        var summaries: [String] = []
        try store.forEachEvent { if let s = $0.userAgentSummary { summaries.append(s) } }
        #expect(summaries.contains("Firefox 125 · Linux · desktop"))
    }

    @Test func storesEachDistinctUserAgentOnceAndReadsItBackOnEveryEvent() throws {
        let store = try newCase()
        _ = store.ingest(paths: [
            try Fixtures.temporaryFile(
                named: "access.log",
                contents: [
                    "192.0.2.1 - - [17/May/2024:10:05:03 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0\"",
                    "192.0.2.2 - - [17/May/2024:10:05:04 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0\"",
                    "192.0.2.3 - - [17/May/2024:10:05:05 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"curl/8.5.0\"",
                ].joined(separator: "\n") + "\n")
        ])
        var agents: [String?] = []
        try store.forEachEvent { agents.append($0.userAgent) }
        #expect(
            agents == [
                "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0", "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0", "curl/8.5.0",
            ])
        #expect(try store.distinctUserAgentCount() == 2)
    }
}

/// The times a case records come from its clock, not from the machine's inside the library.
@Suite struct CaseClockTests {
    @Test func ingestAndAnalysisTimesComeFromTheCasesClock() throws {
        let folder = try Fixtures.temporaryDirectory()
        let clock = SpoorClock.fixed(Date(timeIntervalSince1970: 1_704_186_000))
        let store = try CaseStore.create(
            at: folder.appendingPathComponent("case").path, metadata: .init(title: "Clock", createdAt: "2024-01-02T09:00:00Z"),
            clock: clock)
        let log = try Fixtures.temporaryFile(
            named: "auth.log",
            contents: "Mar  3 10:00:00 host sshd[1]: Accepted password for alice from 198.51.100.7 port 50000 ssh2\n")
        _ = store.ingest(paths: [log], options: ParseOptions(year: 2024))
        _ = try store.analyze(mmdbPaths: [], intel: nil)
        let (ingested, ran) = try store.database.read { db in
            (
                try String.fetchOne(db, sql: "SELECT ingested_at FROM evidence"),
                try String.fetchOne(db, sql: "SELECT ran_at FROM analysis")
            )
        }
        #expect(ingested == "2024-01-02T09:00:00Z")
        #expect(ran == "2024-01-02T09:00:00Z")
    }
}
