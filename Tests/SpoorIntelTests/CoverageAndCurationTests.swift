import Foundation
import PropertyBased
import SpoorStore
import SpoorCore
import SpoorIntel
import SpoorTestSupport
import Testing

/// The coverage index answers "does any indicator cover this address?" exactly as checking
/// every network in turn would, across /16 boundaries, and survives its stored snapshot.
@Suite struct CoverageIndexTests {
    @Test func agreesWithCheckingEveryNetworkInTurn() async {
        // Networks from /8 to /32 around 198.51.0.0, so ranges span, fill and share /16s.
        let networks = zip(Gen.uint32(), Gen.int(in: 8...32)).array(of: 0...30)
        await propertyCheck(count: 300, input: networks, Gen.uint32().array(of: 1...20)) { specs, probes in
            let nets = specs.compactMap { bits, length in
                IPNetwork(
                    containing: IPAddress(v4: 0xC633_0000 ^ (bits & 0x00FF_FFFF) ^ (bits & 0x0100_0000)), prefixLength: length)
            }
            let index = CoverageIndex(nets)
            // Probes near the networks' edges, and anywhere.
            var addresses = probes.map { 0xC633_0000 ^ ($0 & 0x01FF_FFFF) } + probes
            for net in nets {
                let first = UInt32(truncatingIfNeeded: net.address.value)
                let last = UInt32(truncatingIfNeeded: net.lastAddress.value)
                addresses += [first, last, first &- 1, last &+ 1]
            }
            var results = [UInt64](repeating: 9, count: addresses.count)
            addresses.withUnsafeBufferPointer { a in
                results.withUnsafeMutableBufferPointer { r in
                    index.covers(v4: a.baseAddress!, count: a.count, results: r.baseAddress!)
                }
            }
            for (k, q) in addresses.enumerated() {
                let address = IPAddress(v4: q)
                let expected = nets.contains { $0.contains(address) }
                #expect(index.covers(v4: q) == expected, "\(address) in \(nets)")
                #expect(index.covers(address) == expected)
                #expect(results[k] == (expected ? 1 : 0), "batch answer for \(address)")
            }
        }
    }

    @Test func coversIPv6AndMappedAddresses() throws {
        let index = CoverageIndex(
            ["2001:db8::/32", "2001:db8:1::/48", "198.51.100.0/24", "0.0.0.0/32"].compactMap { IPNetwork($0) })
        #expect(index.covers(try #require(IPAddress("2001:db8:ffff::1"))))
        #expect(!index.covers(try #require(IPAddress("2001:db9::1"))))
        #expect(index.covers(try #require(IPAddress("::ffff:198.51.100.9"))))
        #expect(index.covers(v4: 0))
        #expect(!index.covers(v4: 1))
        #expect(index.rangeCount == 3, "nested ranges merge")
    }

    @Test func wholeSpaceAndAdjacentRangesMerge() {
        let all = CoverageIndex(v4: [(0, .max)], v6: [(0, .max)])
        #expect(all.covers(v4: 0) && all.covers(v4: .max) && all.covers(v4: 0x1234_5678))
        #expect(all.rangeCount == 2)
        let adjacent = CoverageIndex(v4: [(10, 19), (20, 29), (31, 40)], v6: [])
        #expect(adjacent.rangeCount == 2)
        #expect(adjacent.covers(v4: 29) && !adjacent.covers(v4: 30) && adjacent.covers(v4: 31))
    }
}

@Suite struct IndicatorCurationTests {
    func store() throws -> IndicatorStore {
        try IndicatorStore(path: try Fixtures.temporaryDirectory().appendingPathComponent("intel.sqlite").path)
    }

    func add(_ store: IndicatorStore, _ value: String, source: String, campaign: String? = nil) throws {
        let indicator = try Indicator.parse(value, type: nil).get().0
        try store.add(
            indicator, provenance: Provenance(source: source, reference: "https://example.org/\(source)", campaign: campaign))
    }

    @Test func theStoredSnapshotFollowsEveryChange() throws {
        let store = try store()
        try add(store, "198.51.100.0/24", source: "Lab A")
        #expect(try store.coverage().covers(v4: 0xC633_6407))
        #expect(try !store.coverage().covers(v4: 0xCB00_7101))
        try add(store, "203.0.113.0/24", source: "Lab B")
        #expect(try store.coverage().covers(v4: 0xCB00_7101), "an added indicator is covered at once")
        _ = try store.remove(try Indicator.parse("198.51.100.0/24", type: nil).get().0, source: nil)
        #expect(try !store.coverage().covers(v4: 0xC633_6407), "a removed indicator is not")
        // Reopened, the snapshot is read back.
        let reopened = try IndicatorStore(path: store.path)
        #expect(try reopened.coverage().covers(v4: 0xCB00_7101))
    }

    @Test func searchFindsByAddressNetworkASNDomainAndText() throws {
        let store = try store()
        try add(store, "198.51.100.0/24", source: "Lab A", campaign: "Operation Example")
        try add(store, "198.51.100.7", source: "Lab B")
        try add(store, "AS64500", source: "Lab B")
        try add(store, "evil.example", source: "Lab C")
        try add(store, "https://login.evil.example/x", source: "Lab C")
        func values(_ query: String) throws -> [String] { try store.search(IndicatorStore.Query(query)).map(\.indicator.value) }
        #expect(try values("198.51.100.7") == ["198.51.100.0/24", "198.51.100.7"])
        #expect(try values("198.51.100.200") == ["198.51.100.0/24"])
        #expect(try values("198.51.0.0/16") == ["198.51.100.0/24", "198.51.100.7"], "networks inside")
        #expect(try values("198.51.100.0/25") == ["198.51.100.0/24", "198.51.100.7"], "and around")
        #expect(try values("as64500") == ["AS64500"])
        #expect(try values("www.evil.example") == ["evil.example"])
        #expect(try values("evil.example") == ["evil.example", "https://login.evil.example/x"])
        #expect(try values("operation EXAMPLE") == ["198.51.100.0/24"], "text in provenance, any case")
        #expect(try values("100%_") == [], "LIKE wildcards are literal")
        #expect(try values("192.0.2.1") == [])
    }

    @Test func removingOneSourceKeepsTheOthersAndTheLastTakesTheIndicator() throws {
        let store = try store()
        try add(store, "198.51.100.7", source: "Lab A")
        try add(store, "198.51.100.7", source: "Lab B")
        let indicator = try Indicator.parse("198.51.100.7", type: nil).get().0
        let before = try store.statistics().contentHash
        #expect(try store.remove(indicator, source: "Lab A") == .init(provenanceRecords: 1, indicatorRemoved: false))
        #expect(try store.records().first?.provenance.map(\.source) == ["Lab B"])
        #expect(try store.statistics().contentHash != before, "the set's version changes")
        #expect(try store.remove(indicator, source: "Lab C") == .init(provenanceRecords: 0, indicatorRemoved: false))
        #expect(try store.remove(indicator, source: nil) == .init(provenanceRecords: 1, indicatorRemoved: true))
        #expect(try store.records().isEmpty)
        #expect(try store.remove(indicator, source: nil) == nil)
    }
}
