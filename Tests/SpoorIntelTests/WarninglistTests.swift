import Foundation
import GRDB
@testable import SpoorStore
import SpoorCore
@testable import SpoorIntel
import SpoorTestSupport
import Testing

@Suite struct WarninglistTests {
    @Test func readsListsNormalisesEntriesAndAnswersWithTheEntry() throws {
        let json =
            #"{"name":"Example cloud","version":20240101,"type":"cidr","matching_attributes":["ip-src"],"list":["192.0.2.0/24","FE80::/10","198.51.100.7","not an address"]}"#
        let list = try Warninglist.read(json: Data(json.utf8))
        #expect(list.version == "20240101")
        #expect(list.networks.networks.map(\.description) == ["192.0.2.0/24", "fe80::/10", "198.51.100.7/32"])
        #expect(list.networks.unreadable == ["not an address"])
        let store = try IndicatorStore(path: try Fixtures.temporaryDirectory().appendingPathComponent("intel.sqlite").path)
        let (kept, unreadable) = try store.importWarninglist(list, sha256: "test")
        #expect(kept == 3 && unreadable == ["not an address"])
        let matcher = try store.warninglistMatcher()
        #expect(
            matcher.hits(ip("192.0.2.9")) == [
                WarninglistHit(
                    name: "Example cloud", version: "20240101", entry: "192.0.2.0/24", asOf: "2024-01-01", sha256: "test")
            ])
        #expect(matcher.hits(ip("FE80::1")).first?.entry == "fe80::/10")
        #expect(matcher.hits(ip("::ffff:198.51.100.7")).count == 1, "IPv4-mapped addresses match IPv4 entries")
        #expect(matcher.hits(ip("203.0.113.1")).isEmpty)
        // An undated (fixed) version replaces the list.
        _ = try store.importWarninglist(
            Warninglist(name: "Example cloud", description: nil, version: "2", type: "cidr", entries: ["203.0.113.0/24"]),
            sha256: "t2")
        let replaced = try store.warninglistMatcher()
        #expect(replaced.hits(ip("192.0.2.9")).isEmpty && replaced.hits(ip("203.0.113.1")).first?.version == "2")
    }

    @Test func datedVersionsAreKeptAndEachDayIsJudgedByItsVersion() throws {
        let store = try IndicatorStore(path: try Fixtures.temporaryDirectory().appendingPathComponent("intel.sqlite").path)
        func version(_ v: String, _ entries: [String]) throws -> Warninglist {
            let list = entries.map { "\"\($0)\"" }.joined(separator: ",")
            return try Warninglist.read(json: Data(#"{"name":"VPN","version":\#(v),"type":"cidr","list":[\#(list)]}"#.utf8))
        }
        #expect(try version("20240101", []).asOf == "2024-01-01")
        #expect(Warninglist.day(ofVersion: "20240231") == nil && Warninglist.day(ofVersion: "5") == nil)
        _ = try store.importWarninglist(try version("20240101", ["192.0.2.0/24"]), sha256: "jan")
        _ = try store.importWarninglist(try version("20240601", ["198.51.100.0/24"]), sha256: "jun")
        // The same version again replaces itself only.
        _ = try store.importWarninglist(try version("20240601", ["198.51.100.0/24"]), sha256: "jun")
        #expect(try store.warninglists().map(\.asOf) == ["2024-01-01", "2024-06-01"])
        let matcher = try store.warninglistMatcher()
        let a = try #require(IPAddress("192.0.2.5"))
        let b = try #require(IPAddress("198.51.100.5"))
        #expect(
            matcher.hits(a, day: "2024-03-01T10:00:00Z") == [
                WarninglistHit(
                    name: "VPN", version: "20240101", entry: "192.0.2.0/24", asOf: "2024-01-01", sha256: "jan", judged: .onDay,
                    notInLatestAsOf: "2024-06-01")
            ])
        #expect(
            matcher.hits(a, day: "2024-07-01") == [
                WarninglistHit(
                    name: "VPN", version: "20240101", entry: "192.0.2.0/24", asOf: "2024-01-01", sha256: "jan",
                    judged: .notOnDay, dayVersionAsOf: "2024-06-01")
            ])
        #expect(matcher.hits(a, day: "2023-12-01").first?.judged == .fromLater)
        #expect(matcher.hits(b, day: "2024-03-01").first?.judged == .notOnDay)
        #expect(matcher.hits(b, day: "2024-06-01").first?.judged == .onDay)
        // Without a day: the latest version answers.
        #expect(matcher.hits(a).isEmpty && matcher.hits(b).first?.judged == nil)
        // An undated (fixed) version replaces them all; a dated one then replaces it.
        _ = try store.importWarninglist(try version("7", ["203.0.113.0/24"]), sha256: "fixed")
        #expect(try store.warninglists().map(\.version) == ["7"])
        #expect(
            try store.warninglistMatcher().hits(try #require(IPAddress("203.0.113.1")), day: "2024-01-01").first?.judged == nil)
        _ = try store.importWarninglist(try version("20240901", ["203.0.113.0/24"]), sha256: "sep")
        #expect(try store.warninglists().map(\.version) == ["20240901"])
    }

    @Test func aStoreWithOneVersionPerListKeepsItsListsDatedFromTheirVersions() throws {
        let path = try Fixtures.temporaryDirectory().appendingPathComponent("intel.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try IndicatorStore.migrator.migrate(queue, upTo: "v12 registry objects in columns")
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO warninglist (id, name, description, version, type, file_sha256, imported_at)
                    VALUES (4, 'Cloud', NULL, '20240110', 'cidr', 'aa', '2024-02-01T00:00:00Z'),
                           (9, 'RFC 1918', NULL, '5', 'cidr', 'bb', '2024-02-01T00:00:00Z');
                    INSERT INTO warninglist_entry VALUES (4, '192.0.2.0/24'), (9, '10.0.0.0/8');
                    """)
        }
        let store = try IndicatorStore(path: path)
        #expect(
            try store.warninglists().map { "\($0.name) \($0.asOf ?? "-") \($0.entries)" } == [
                "Cloud 2024-01-10 1", "RFC 1918 - 1",
            ])
        let matcher = try store.warninglistMatcher()
        #expect(matcher.hits(try #require(IPAddress("192.0.2.1")), day: "2024-03-01").first?.judged == .onDay)
        #expect(matcher.hits(try #require(IPAddress("10.1.2.3")), day: "2024-03-01").first?.sha256 == "bb")
    }
}

/// The MISP warninglists in ../shared/testdata import, and every probe of the membership oracle
/// gets the lists grepcidr gives (IPv4-mapped IPv6 addresses match IPv4 prefixes).
@Suite(.enabled(if: Fixtures.sharedTestdata != nil, "../shared/testdata is absent"))
struct WarninglistConformanceTests {
    @Test func membershipAgreesWithTheGrepcidrOracle() throws {
        let folder = (Fixtures.sharedTestdata ?? URL(fileURLWithPath: "/")).appendingPathComponent("warninglists")
        let store = try IndicatorStore(path: try Fixtures.temporaryDirectory().appendingPathComponent("intel.sqlite").path)
        var folderOfName: [String: String] = [:]
        let expectedCounts = [
            "rfc1918": 3, "rfc5735": 15, "rfc6598": 1, "telegram-ips": 14, "microsoft-office365-ip": 82, "google-gcp": 471,
            "amazon-aws": 3847, "icloud-private-relay": 13747, "vpn-ipv4": 42426, "ipv6-linklocal": 1,
        ]
        for (name, count) in expectedCounts {
            let list = try Warninglist.read(json: try Data(contentsOf: folder.appendingPathComponent("\(name)/list.json")))
            let (kept, unreadable) = try store.importWarninglist(list, sha256: name)
            #expect(kept == count && unreadable.isEmpty, "\(name)")
            folderOfName[list.name] = name
        }
        let matcher = try store.warninglistMatcher()
        let oracle = try String(contentsOf: folder.appendingPathComponent("oracles/membership.tsv"), encoding: .utf8)
        var agree = 0
        var total = 0
        for line in oracle.split(separator: "\n").dropFirst() {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard columns.count >= 2, let address = IPAddress(columns[0]) else { continue }
            total += 1
            let expected = Set(columns[1] == "-" ? [] : columns[1].split(separator: ",").map(String.init))
            let ours = Set(matcher.hits(address).compactMap { folderOfName[$0.name] })
            if ours == expected {
                agree += 1
            } else {
                Issue.record("\(columns[0]): spoor \(ours.sorted()), grepcidr \(expected.sorted())")
            }
        }
        print("warninglist conformance: \(agree) of \(total) probes match the lists grepcidr gives")
        #expect(total == 76 && agree == total)
    }
}

/// The screening path (`CoverageIndex`) agrees with the full answer (`matches`) on random
/// addresses against random nested and disjoint prefixes.
@Suite struct MatcherScreeningTests {
    @Test func coverageAgreesWithMatches() throws {
        var generator = SystemRandomNumberGenerator()
        var entries: [(id: Int64, indicator: Indicator)] = []
        for id in 0..<2000 {
            let length = [8, 16, 20, 24, 28, 32].randomElement(using: &generator)!
            // The network containing a random address: host bits cleared.
            let network = IPNetwork(
                containing: IPAddress(v4: UInt32.random(in: 0...UInt32.max, using: &generator)), prefixLength: length)!
            entries.append((Int64(id), Indicator(type: .cidr, canonicalValue: network.description)))
        }
        let matcher = IndicatorMatcher(entries)
        let coverage = CoverageIndex(entries.compactMap(\.indicator.network))
        var agreed = 0
        for _ in 0..<20_000 {
            let address = IPAddress(v4: UInt32.random(in: 0...UInt32.max, using: &generator))
            if coverage.covers(address) == !matcher.matches(address).isEmpty { agreed += 1 }
        }
        #expect(agreed == 20_000)
    }
}
