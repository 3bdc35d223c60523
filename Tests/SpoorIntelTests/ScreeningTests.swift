import Foundation
import SpoorCore
@testable import SpoorIntel
import Testing

/// The line screen behind `spoor intel match`, called directly.
@Suite struct ScreeningTests {
    let coverage = CoverageIndex(["203.0.113.0/24", "2001:db8:5::/48"].compactMap { IPNetwork($0) })

    func addresses(_ text: String) -> [String] {
        var found: [String] = []
        Array(text.utf8).withUnsafeBufferPointer { line in
            AddressScanner.forEachAddress(in: line) {
                found.append($0.description)
                return true
            }
        }
        return found
    }

    @Test func findsAddressesAnywhereInALineWithPortsAndMappedForms() {
        #expect(addresses("Accepted password for root from 203.0.113.45 port 22") == ["203.0.113.45"])
        #expect(addresses("GET / from [2001:db8:5::17]:443 and 198.51.100.7:8080") == ["2001:db8:5::17", "198.51.100.7"])
        #expect(addresses("::ffff:192.0.2.1 via 10:30:00 on 2024-01-01") == ["192.0.2.1"])
        #expect(addresses("version 1.2.3 and 999.1.1.1 and deadbeef") == [])
    }

    @Test func readsABareDottedQuadOnlyWhenTheLineIsExactlyOne() {
        func quad(_ text: String) -> UInt32? { Array(text.utf8).withUnsafeBufferPointer { AddressScanner.dottedQuad($0) } }
        #expect(quad("203.0.113.45") == 0xCB00_712D)
        #expect(quad("203.0.113.45\r") == 0xCB00_712D)
        for other in ["203.0.113", "203.0.113.256", "203.0.113.45 ", "1.2.3.4.5", ".1.2.3", "1..2.3"] {
            #expect(quad(other) == nil, "\(other)")
        }
    }

    @Test func screensLinesBareQuadsAndTextAlikeAndCountsThemInParallelTheSame() {
        var lines = [
            "198.51.100.1", "203.0.113.9", "sshd: Failed password from 203.0.113.10 port 1", "2001:db8:5::1", "2001:db8:6::1",
            "no address",
        ]
        for i in 0..<5000 { lines.append(i % 7 == 0 ? "203.0.113.\(i % 250)" : "198.51.100.\(i % 250)") }
        let text = Array((lines.joined(separator: "\n") + "\n").utf8)
        let expected = lines.filter { line in
            addresses(line).contains { IPAddress($0).map(coverage.covers) == true }
        }
        var bytes = text
        let (count, matched): (Int, [String]) = bytes.withUnsafeMutableBufferPointer { buffer in
            var matched: [String] = []
            let count = LineScreen.screen(buffer.baseAddress!, 0, buffer.count, coverage) {
                matched.append(String(decoding: $0, as: UTF8.self))
            }
            return (count, matched)
        }
        #expect(count == lines.count)
        #expect(matched == expected)
        let (all, hits) = bytes.withUnsafeMutableBufferPointer { LineScreen.countInParallel($0.baseAddress!, $0.count, coverage) }
        #expect(all == lines.count && hits == expected.count)
    }
}
