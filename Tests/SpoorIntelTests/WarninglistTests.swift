import Foundation
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
            matcher.hits(ip("192.0.2.9")) == [WarninglistHit(name: "Example cloud", version: "20240101", entry: "192.0.2.0/24")])
        #expect(matcher.hits(ip("FE80::1")).first?.entry == "fe80::/10")
        #expect(matcher.hits(ip("::ffff:198.51.100.7")).count == 1, "IPv4-mapped addresses match IPv4 entries")
        #expect(matcher.hits(ip("203.0.113.1")).isEmpty)
        // A newer version replaces the list.
        _ = try store.importWarninglist(
            Warninglist(name: "Example cloud", description: nil, version: "2", type: "cidr", entries: ["203.0.113.0/24"]),
            sha256: "t2")
        let replaced = try store.warninglistMatcher()
        #expect(replaced.hits(ip("192.0.2.9")).isEmpty && replaced.hits(ip("203.0.113.1")).first?.version == "2")
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
