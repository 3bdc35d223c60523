import Foundation
@testable import SpoorStore
import SpoorCore
@testable import SpoorIntel
import SpoorTestSupport
import Testing

/// The registry reader answers from memory exactly what the store's queries answer.
@Suite struct RegistryReaderTests {
    /// SplitMix64: the same ranges on every run.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func segmentsNameTheMostSpecificRangeAtEveryPoint() {
        var random = Seeded(state: 2026)
        for round in 0..<200 {
            let ranges = (0..<Int.random(in: 1...12, using: &random)).map { i -> RegistrySegments.Range in
                let a = UInt128(UInt8.random(in: 0...255, using: &random))
                let b = UInt128(UInt8.random(in: 0...255, using: &random))
                // Few distinct bounds and ranks, so equal starts, ends and ranks occur.
                return .init(
                    v6: false, first: min(a, b) & 0xF8, last: max(a, b) | 0x07, kindRank: Int.random(in: 0...1, using: &random),
                    id: Int64(i))
            }
            let segments = RegistrySegments(ranges)
            for point in UInt32(0)...300 {
                let holding = ranges.filter { $0.first <= UInt128(point) && UInt128(point) <= $0.last }
                let best = holding.max { a, b in
                    // `a` is worse than `b`.
                    if a.first != b.first { return a.first < b.first }
                    if a.last != b.last { return a.last > b.last }
                    if a.kindRank != b.kindRank { return a.kindRank > b.kindRank }
                    return a.id < b.id
                }
                #expect(segments.object(containing: IPAddress(v4: point)) == best?.id, "round \(round), point \(point)")
            }
        }
    }

    @Test func theWholeAddressSpaceAndItsLastAddressAreHeld() {
        let segments = RegistrySegments([
            .init(v6: true, first: 0, last: .max, kindRank: 0, id: 1),
            .init(v6: true, first: .max - 5, last: .max, kindRank: 0, id: 2),
        ])
        #expect(segments.object(containing: IPAddress(v6: .max)) == 2)
        #expect(segments.object(containing: IPAddress(v6: .max - 6)) == 1)
        #expect(segments.object(containing: IPAddress(v6: 0)) == 1)
        #expect(segments.object(containing: IPAddress(v4: 0)) == nil, "IPv4 is kept apart")
    }

    /// A random RPSL dump of nested and overlapping netblocks, routes, organisations and
    /// aut-nums in documentation space, and an iptoasn table beside it.
    static func randomDump(_ random: inout Seeded) -> (rpsl: String, iptoasn: String) {
        var text = ""
        for base in [UInt32(0xC633_6400), 0xCB00_7100] {  // 198.51.100.0, 203.0.113.0
            for n in 0..<40 {
                let a = UInt32.random(in: 0...255, using: &random)
                let b = UInt32.random(in: 0...255, using: &random)
                let first = IPAddress(v4: base | min(a, b))
                let last = IPAddress(v4: base | max(a, b))
                text += "inetnum: \(first) - \(last)\nnetname: NET-\(base % 7)-\(n)\n"
                if n % 3 == 0 { text += "org: ORG-R\(n % 5)-TEST\n" }
                if n % 2 == 0 { text += "descr: Block \(n)\n" }
                text += "\n"
            }
            for n in 0..<30 {
                let length = Int.random(in: 24...30, using: &random)
                let prefix = (base | UInt32.random(in: 0...255, using: &random)) & ~((1 << (32 - length)) - 1)
                text += "route: \(IPAddress(v4: prefix))/\(length)\norigin: AS\(64496 + n % 8)\n\n"
            }
        }
        for n in 0..<6 {
            text += "inet6num: 2001:db8:\(n)::/48\nnetname: V6-\(n)\norg: ORG-R\(n % 5)-TEST\n\n"
            text += "route6: 2001:db8:\(n):\(n)::/64\norigin: AS\(64500 + n)\n\n"
        }
        for n in 0..<4 { text += "organisation: ORG-R\(n)-TEST\norg-name: Organisation \(n)\n\n" }
        for n in 0..<5 { text += "aut-num: AS\(64496 + n)\nas-name: AS-NAME-\(n)\n\n" }
        var table = ""
        var start: UInt32 = 0xC633_6400
        while start < 0xC633_6500 {
            let end = min(start + UInt32.random(in: 0...40, using: &random), 0xC633_64FF)
            table += "\(IPAddress(v4: start))\t\(IPAddress(v4: end))\t\(64496 + start % 5)\tZZ\tTABLE-\(start % 9)\n"
            start = end + 1 + UInt32.random(in: 0...3, using: &random)
        }
        return (text, table)
    }

    @Test func fromMemoryAndByQueryTheAnswersAreTheSame() throws {
        var random = Seeded(state: 17)
        for round in 0..<3 {
            let store = try IndicatorStore(path: try Fixtures.temporaryDirectory().appendingPathComponent("intel.sqlite").path)
            let dump = Self.randomDump(&random)
            _ = try store.importRegistry(
                MemoryByteSource(Array(dump.rpsl.utf8)), format: .rpsl, fileName: "r.db", sha256: "t", asOf: "2024-01-01",
                asOfBasis: "given")
            _ = try store.importRegistry(
                MemoryByteSource(Array(dump.iptoasn.utf8)), format: .iptoasn, fileName: "t.tsv", sha256: "t",
                asOf: "2023-01-01", asOfBasis: "given")
            var probes = (0...255).flatMap { [IPAddress(v4: 0xC633_6400 | $0), IPAddress(v4: 0xCB00_7100 | $0)] }
            probes += [IPAddress(v4: 0xC633_63FF), IPAddress(v4: 0xCB00_7200), IPAddress("::ffff:198.51.100.9")!]
            probes += (0..<7).flatMap { [IPAddress("2001:db8:\($0)::1")!, IPAddress("2001:db8:\($0):\($0)::9")!] }
            let byQuery = try RegistryReader(store, strategy: .queries)
            let inMemory = try RegistryReader(store, strategy: .memory)
            let adaptive = try RegistryReader(store, strategy: .adaptive(rangesPerLookup: 4))
            var answered = 0
            for probe in probes {
                let expected = try byQuery.answers(for: probe)
                #expect(try inMemory.answers(for: probe) == expected, "round \(round), \(probe)")
                #expect(try adaptive.answers(for: probe) == expected, "round \(round), \(probe)")
                #expect(try store.registryAnswers(for: probe) == expected)
                answered += expected.isEmpty ? 0 : 1
            }
            #expect(byQuery.importsInMemory == 0 && inMemory.importsInMemory == 2 && adaptive.importsInMemory == 2)
            #expect(answered > 400, "most probes fall in a netblock or route")
        }
    }
}
