import Foundation
import SpoorCore
import SpoorIntel
import SpoorStore
import SpoorTestSupport
import Testing

/// The casebook in the reference store: recording, replacing, finding and withdrawing cases, and
/// the hits an analysis is given.
@Suite struct CasebookStoreTests {
    static func sighting(
        _ address: String, asn: UInt32? = 64511, holder: String? = "Example Hosting", findings: [String] = ["F1"]
    )
        -> CasebookSighting
    {
        CasebookSighting(
            address: address, network: CasebookSighting.network(of: IPAddress(address)!), asn: asn, holder: holder,
            firstSeen: "2024-01-01T00:00:00Z", lastSeen: "2024-01-01T02:00:00Z", records: 3, roles: ["login source"],
            userAgents: ["python-requests 2.31"], devices: [], findings: findings)
    }

    static func entry(_ pseudonym: String, _ reference: String?) -> CasebookCase {
        CasebookCase(
            pseudonym: pseudonym, reference: reference, examiner: "B. Analyst", organisation: nil,
            recordedAt: "2024-02-01T00:00:00Z", analysedAt: "2024-01-31T00:00:00Z")
    }

    static func store() throws -> IndicatorStore {
        try IndicatorStore(path: try Fixtures.temporaryDirectory().appendingPathComponent("intel.sqlite").path)
    }

    @Test func aCaseRecordedTwiceIsUpdatedAndARemovedCaseIsGone() throws {
        let store = try Self.store()
        #expect(try store.recordCase(Self.entry("C-00000001", "CASE-1"), sightings: [Self.sighting("203.0.113.45")]) == false)
        #expect(
            try store.recordCase(
                Self.entry("C-00000001", "CASE-1"), sightings: [Self.sighting("203.0.113.45"), Self.sighting("198.51.100.7")]))
        let cases = try store.casebookCases()
        #expect(cases.count == 1 && cases.first?.sightings == 2)
        let shown = try #require(try store.casebookCase(named: "CASE-1"))
        #expect(shown.entry.pseudonym == "C-00000001" && shown.sightings.map(\.address) == ["198.51.100.7", "203.0.113.45"])
        #expect(try store.casebookCase(named: "C-00000001")?.sightings.count == 2)
        #expect(shown.sightings.last == Self.sighting("203.0.113.45"), "every field reads back as written")
        let before = try store.casebookStatistics()
        #expect(before.cases == 1 && before.sightings == 2)
        #expect(try store.removeCasebookCase(named: "CASE-1") == 1)
        #expect(try store.casebookCases().isEmpty && (try store.casebookStatistics().sightings) == 0)
        #expect(try store.casebookSearch(address: IPAddress("203.0.113.45")).isEmpty, "its sightings went with it")
        #expect(try store.removeCasebookCase(named: "CASE-1") == 0)
        #expect(try store.casebookStatistics().contentHash != before.contentHash)
    }

    @Test func anAddressMeetsOtherCasesByAddressNetworkAndASWithHolderButNeverItsOwnCase() throws {
        let store = try Self.store()
        try store.recordCase(Self.entry("C-0000000A", "A"), sightings: [Self.sighting("203.0.113.45")])
        try store.recordCase(
            Self.entry("C-0000000B", "B"),
            sightings: [Self.sighting("203.0.113.99", findings: ["F4"]), Self.sighting("2001:db8:7::1")])
        try store.recordCase(
            Self.entry("C-0000000C", nil), sightings: [Self.sighting("192.0.2.1", asn: 64511, holder: "Example Hosting")])
        try store.recordCase(
            Self.entry("C-0000000D", "D"), sightings: [Self.sighting("198.51.100.1", asn: 64511, holder: "Someone Else")])

        let reader = try CasebookReader(store, excluding: "C-0000000A")
        let hits = try reader.hits(
            for: try #require(IPAddress("203.0.113.45")), asns: [64511], holders: ["Example Hosting"])
        // Its own case A is left out; B shares the /24 (and AS and holder: named once, at the
        // stronger); C shares AS and holder; D shares the AS only.
        #expect(hits.map(\.overlap) == [.network, .asAndHolder])
        #expect(hits.map(\.pseudonym) == ["C-0000000B", "C-0000000C"])
        #expect(hits.first?.value == "203.0.113.0/24" && hits.first?.earlierAddress == "203.0.113.99")
        #expect(hits.first?.findings == ["F4"] && hits.first?.caseName == "B (C-0000000B)")
        #expect(hits.last?.caseName == "C-0000000C", "a case without a reference is named by its pseudonym")

        let other = try CasebookReader(store, excluding: "C-0000000Z")
        let exact = try other.hits(for: try #require(IPAddress("203.0.113.45")), asns: [], holders: [])
        #expect(exact.first?.overlap == .address && exact.first?.pseudonym == "C-0000000A")
        #expect(exact.filter { $0.pseudonym == "C-0000000A" }.count == 1, "one hit per earlier sighting, its strongest")
        let v6 = try other.hits(for: try #require(IPAddress("2001:db8:7:0:ffff::2")), asns: [], holders: [])
        #expect(v6.map(\.overlap) == [.network] && v6.first?.value == "2001:db8:7::/48")
        #expect(
            try other.hits(for: try #require(IPAddress("192.0.2.200")), asns: [64500], holders: []).map(\.overlap) == [.network])
    }

    @Test func anEmptyCasebookAsksNothing() throws {
        let store = try Self.store()
        let reader = try CasebookReader(store, excluding: nil)
        #expect(!reader.holdsSightings)
        #expect(
            try reader.hits(for: try #require(IPAddress("203.0.113.45")), asns: [64511], holders: ["Example Hosting"]).isEmpty)
    }

    @Test func rolesComeFromTheActionsAnAddressWasSeenWith() {
        #expect(
            CasebookSighting.roles(byAction: [
                "login": 2, "login_failed": 40, "flow_originator": 3, "dns_answer": 1, "request": 9,
            ])
                == ["failed login", "flow peer", "login source", "name in traffic", "web request"])
        #expect(CasebookSighting.roles(byAction: ["password_change": 1]) == ["account activity (password change)"])
    }

    @Test func overlapListsWhatTwoOrMoreCasesSawAndNothingOneCaseSawAlone() throws {
        let store = try Self.store()
        try store.recordCase(
            Self.entry("C-0000000A", "A"), sightings: [Self.sighting("203.0.113.45"), Self.sighting("192.0.2.1", asn: nil)])
        try store.recordCase(
            Self.entry("C-0000000B", "B"), sightings: [Self.sighting("203.0.113.45"), Self.sighting("203.0.113.9")])
        try store.recordCase(Self.entry("C-0000000C", "C"), sightings: [Self.sighting("198.51.100.3", holder: "Other Holder")])
        let overlaps = try store.casebookOverlap()
        #expect(overlaps.map(\.overlap) == [.address, .network, .asAndHolder])
        let address = try #require(overlaps.first)
        #expect(address.value == "203.0.113.45" && address.seen.map(\.caseName) == ["A (C-0000000A)", "B (C-0000000B)"])
        #expect(overlaps[1].value == "203.0.113.0/24" && overlaps[1].seen.count == 3)
        #expect(overlaps[2].value == "AS64511 Example Hosting" && Set(overlaps[2].seen.map(\.caseName)).count == 2)
        #expect(!overlaps.contains { $0.value.contains("192.0.2") || $0.value.contains("Other Holder") })
    }

    @Test func aPromotedSightingIsAnIndicatorWhoseSourceIsTheCase() throws {
        let entry = Self.entry("C-0000000A", "CASE-1")
        var sighting = Self.sighting("203.0.113.45", findings: ["F1", "F3"])
        sighting.firstSeen = "2024-01-20T02:11:15 (no zone)"
        let (indicator, provenance) = try #require(sighting.indicator(of: entry, source: "Example Helpline", tlp: "amber"))
        #expect(indicator.type == .ipv4 && indicator.value == "203.0.113.45")
        #expect(provenance.source == "Example Helpline" && provenance.title == "Case CASE-1 (C-0000000A)")
        #expect(provenance.reference == "casebook C-0000000A" && provenance.tlp == "amber" && provenance.tags == ["casebook"])
        #expect(provenance.firstSeen == "2024-01-20", "a zone-less time is kept by its day")
        #expect(provenance.lastSeen == "2024-01-01T02:00:00Z")
        #expect(provenance.description == "Seen in case CASE-1 (C-0000000A) as login source, 3 record(s); findings F1, F3.")
        let store = try Self.store()
        #expect(try store.add(indicator, provenance: provenance))
        #expect(try store.add(indicator, provenance: provenance) == false, "promoting again adds nothing")
    }

    @Test func aRangeSeenInManyCasesNamesTwentyAndCountsTheRest() throws {
        let store = try Self.store()
        for n in 0..<25 {
            try store.recordCase(
                Self.entry(String(format: "C-%08X", n), "R-\(n)"),
                sightings: [Self.sighting("203.0.113.\(n + 1)"), Self.sighting("203.0.113.\(n + 100)")])
        }
        let hits = try CasebookReader(store, excluding: "C-00000000").hits(
            for: try #require(IPAddress("203.0.113.250")), asns: [], holders: [])
        #expect(hits.count == CasebookReader.casesPerOverlap && hits.allSatisfy { $0.overlap == .network })
        #expect(Set(hits.map(\.pseudonym)).count == hits.count, "each case once, by its earliest sighting")
        #expect(!hits.contains { $0.pseudonym == "C-00000000" })
        #expect(hits.last?.moreCases == 4 && hits.dropLast().allSatisfy { $0.moreCases == nil })
    }

    /// 100 cases share a /24; the last 30 by pseudonym (past the cases kept per network) also saw
    /// the address itself. The address names 20 and counts 10 more; the network names the first
    /// 20 of the other 70 and counts the 50 left: no case is named or counted twice.
    @Test func casesCountedUnderAStrongerOverlapAreNotCountedAgain() throws {
        let store = try Self.store()
        for n in 0..<100 {
            try store.recordCase(
                Self.entry(String(format: "C-%08X", n), nil),
                sightings: [Self.sighting(n >= 70 ? "203.0.113.45" : "203.0.113.\(n % 40 + 100)")])
        }
        let reader = try CasebookReader(store, excluding: "C-FFFFFFFF")
        for _ in 0..<2 {  // the second time from what the reader kept
            let hits = try reader.hits(for: try #require(IPAddress("203.0.113.45")), asns: [], holders: [])
            let byAddress = hits.filter { $0.overlap == .address }
            let byNetwork = hits.filter { $0.overlap == .network }
            #expect(byAddress.count == 20 && byAddress.first?.pseudonym == String(format: "C-%08X", 70))
            #expect(byAddress.last?.moreCases == 10)
            #expect(byNetwork.count == 20 && byNetwork.first?.pseudonym == "C-00000000")
            #expect(byNetwork.last?.moreCases == 50)
            #expect(Set(hits.map(\.pseudonym)).count == hits.count)
        }
        // Another address of the /24: the network alone, its first 20 cases named, 80 counted.
        let other = try reader.hits(for: try #require(IPAddress("203.0.113.7")), asns: [], holders: [])
        #expect(other.count == 20 && other.last?.moreCases == 80)
    }

    /// An uncommon user agent on the same AS ties two cases (low); one seen in many cases does not;
    /// on another AS it does not; and the case's clients are not asked when the casebook saw
    /// none on the address's AS.
    @Test func anUnusualClientOnTheSameASIsAnOverlapAndACommonOneIsNot() throws {
        let store = try Self.store()
        var tool = Self.sighting("192.0.2.10", asn: 64501, holder: "Tool Net")
        tool.userAgents = ["ExampleTool/0.9 (synthetic)"]
        tool.devices = ["DESKTOP-SYNTH1"]
        try store.recordCase(Self.entry("C-0000000A", "A"), sightings: [tool])
        for n in 1...4 {
            var common = Self.sighting("198.51.100.\(n)", asn: 64501, holder: "Other \(n)")
            common.userAgents = ["Mozilla/5.0 (synthetic common)"]
            try store.recordCase(Self.entry(String(format: "C-1000000%d", n), "COMMON-\(n)"), sightings: [common])
        }
        let reader = try CasebookReader(store, excluding: "C-0000000Z")
        let address = try #require(IPAddress("2001:db8:99::5"))
        let clients = [
            CasebookClient(.userAgent, "ExampleTool/0.9 (synthetic)"),
            CasebookClient(.userAgent, "Mozilla/5.0 (synthetic common)"),
            CasebookClient(.device, "DESKTOP-SYNTH1"),
        ]
        let hits = try reader.hits(for: address, asns: [64501], holders: ["Nobody"]) { clients }
        #expect(hits.map(\.overlap) == [.clientAndAS], "case A once, at its first client; the common agent is not unusual")
        #expect(hits.first?.pseudonym == "C-0000000A" && hits.first?.value == "AS64501")
        #expect(hits.first?.client == CasebookClient(.device, "DESKTOP-SYNTH1") && hits.first?.clientCases == 1)
        #expect(try reader.hits(for: address, asns: [64502], holders: []) { clients }.isEmpty)
        var asked = false
        _ = try reader.hits(for: address, asns: [64999], holders: []) {
            asked = true
            return clients
        }
        #expect(!asked, "no client of the casebook is on that AS")
        #expect(
            try CasebookReader(store, excluding: "C-0000000A").hits(for: address, asns: [64501], holders: []) { clients }.isEmpty)
        // Withdrawing the case takes its clients with it.
        try store.removeCasebookCase(named: "A")
        #expect(try CasebookReader(store, excluding: nil).hits(for: address, asns: [64501], holders: []) { clients }.isEmpty)
    }

    @Test func aCasebookReadingBackItsOwnExportKeepsItsOwnCase() throws {
        let store = try Self.store()
        let entry = Self.entry("C-0000000A", "A")
        try store.recordCase(entry, sightings: [Self.sighting("203.0.113.45"), Self.sighting("198.51.100.7")])
        let own = try #require(try store.casebookCase(named: "A"))
        let csv = CasebookExchange.csv([(own.entry, own.sightings)], source: "Example Helpline")
        let shared = try CasebookExchange.read(Data(csv.utf8), path: "own.csv", recordedAt: "2024-03-01T00:00:00Z")
        let back = try #require(shared.first)
        #expect(CasebookExchange.sharedName(of: back.entry) == "C-0000000A")
        #expect(try store.localOriginal(of: back.entry, sightings: back.sightings)?.pseudonym == "C-0000000A")
        // Another helpline's case that happens to carry the same pseudonym but saw other addresses.
        var foreign = back
        foreign.sightings.append(Self.sighting("192.0.2.77"))
        #expect(try store.localOriginal(of: foreign.entry, sightings: foreign.sightings) == nil)
    }

    /// A casebook recorded before v8 (no client table, no case hashes) reads the same after the
    /// migration: the clients come from the sightings and the casebook's version is unchanged.
    @Test func aCasebookFromBeforeTheClientTableMigratesWithTheSameVersion() throws {
        let directory = try Fixtures.temporaryDirectory()
        let path = directory.appendingPathComponent("intel.sqlite").path
        var tool = Self.sighting("192.0.2.10", asn: 64501, holder: "Tool Net")
        tool.userAgents = ["ExampleTool/0.9 (synthetic)"]
        do {
            let store = try IndicatorStore(path: path)
            try store.recordCase(Self.entry("C-0000000A", "A"), sightings: [tool, Self.sighting("203.0.113.45")])
        }
        let version = try IndicatorStore(path: path).casebookStatistics()
        // Back to what v7 held, and the migration forgotten.
        let reverted = try runTool(
            "/usr/bin/python3",
            [
                "-c",
                """
                import sqlite3, sys
                db = sqlite3.connect(sys.argv[1])
                db.executescript(\"\"\"DROP TABLE casebook_client; ALTER TABLE casebook_case DROP COLUMN content_hash;
                DELETE FROM grdb_migrations WHERE identifier = 'v8 casebook clients and case hashes';\"\"\")
                db.commit()
                """, path,
            ])
        #expect(reverted.status == 0, "\(reverted.output)")
        let migrated = try IndicatorStore(path: path)
        #expect(try migrated.casebookStatistics() == version)
        let hits = try CasebookReader(migrated, excluding: nil).hits(
            for: try #require(IPAddress("2001:db8::1")), asns: [64501], holders: []
        ) { [CasebookClient(.userAgent, "ExampleTool/0.9 (synthetic)")] }
        #expect(hits.map(\.overlap) == [.clientAndAS])
    }
}
