import Foundation
import PropertyBased
import SpoorCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The C library's own reading and printing, as an independent oracle.
enum LibC {
    static func pton6(_ text: String) -> UInt128? {
        var storage = in6_addr()
        guard inet_pton(AF_INET6, text, &storage) == 1 else { return nil }
        return withUnsafeBytes(of: &storage) { $0.reduce(UInt128(0)) { $0 << 8 | UInt128($1) } }
    }

    static func pton4(_ text: String) -> UInt32? {
        var storage = in_addr()
        guard inet_pton(AF_INET, text, &storage) == 1 else { return nil }
        return UInt32(bigEndian: storage.s_addr)
    }

    static func ntop6(_ value: UInt128) -> String {
        var storage = in6_addr()
        withUnsafeMutableBytes(of: &storage) { raw in
            for i in 0..<16 { raw[i] = UInt8(truncatingIfNeeded: value >> (8 * (15 - i))) }
        }
        var buffer = [CChar](repeating: 0, count: 64)
        _ = inet_ntop(AF_INET6, &storage, &buffer, 64)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

let anyUInt128 = Gen.uint128()

/// 128-bit values biased towards runs of zero groups, where RFC 5952 has its rules.
let sparseUInt128 = Gen.int(in: 0...0xffff).array(of: 8).map { groups in
    groups.reduce(UInt128(0)) { $0 << 16 | UInt128($1 % 3 == 0 ? 0 : $1) }
}

@Suite struct IPAddressTests {
    @Test func readsIPv4DottedQuads() throws {
        #expect(IPAddress("192.0.2.1")?.description == "192.0.2.1")
        #expect(IPAddress("0.0.0.0")?.value == 0)
        #expect(IPAddress("255.255.255.255")?.value == 0xffff_ffff)
        #expect(IPAddress("192.0.2.1")?.family == .v4)
    }

    @Test(arguments: [
        "192.0.2", "192.0.2.256", "192.0.2.1.5", "010.0.0.1", "192.0.2.-1", "192..2.1", " 192.0.2.1", "", "1.2.3.4/24",
    ])
    func rejectsMalformedIPv4(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func readsIPv6InAllWrittenForms() throws {
        let expected = IPAddress("2001:db8:e0::1")
        #expect(IPAddress("2001:0db8:00e0:0000:0000:0000:0000:0001") == expected)
        #expect(IPAddress("2001:DB8:E0:0:0:0:0:1") == expected)
        #expect(IPAddress("::ffff:192.0.2.1")?.description == "::ffff:192.0.2.1")
        #expect(IPAddress("64:ff9b::198.51.100.7")?.description == "64:ff9b::c633:6407")
        #expect(IPAddress("::")?.value == 0)
        #expect(IPAddress("::1")?.value == 1)
        #expect(IPAddress("1::")?.description == "1::")
    }

    @Test(arguments: [
        ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "1:2:3:4:5:6:7", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:",
        "::ffff:1.2.3", "g::1", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4", "[::1]",
    ])
    func rejectsMalformedIPv6(_ text: String) {
        #expect(IPAddress(text) == nil)
        #expect(LibC.pton6(text) == nil, "the oracle agrees \(text) is not an address")
    }

    @Test func printsRFC5952CanonicalText() {
        // The examples of RFC 5952 sections 4.1 to 4.3 and 5.
        #expect(IPAddress("2001:db8:0:0:0:0:2:1")?.description == "2001:db8::2:1")
        #expect(IPAddress("2001:db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")
        #expect(IPAddress("2001:0:0:1:0:0:0:1")?.description == "2001:0:0:1::1")
        #expect(IPAddress("2001:db8:0:1:1:1:1:1")?.description == "2001:db8:0:1:1:1:1:1")
        #expect(IPAddress("2001:DB8::ABCD")?.description == "2001:db8::abcd")
        #expect(IPAddress("::ffff:c000:0280")?.description == "::ffff:192.0.2.128")
    }

    @Test func ordersIPv4BeforeIPv6AndNumericallyWithin() throws {
        let texts = ["2001:db8::1", "198.51.100.1", "::1", "192.0.2.200", "192.0.2.30"]
        let sorted = texts.compactMap { IPAddress($0) }.sorted().map(\.description)
        #expect(sorted == ["192.0.2.30", "192.0.2.200", "198.51.100.1", "::1", "2001:db8::1"])
    }

    @Test func turnsIPv4MappedIntoIPv4WhenNormalised() {
        #expect(IPAddress("::ffff:198.51.100.4")?.normalized == IPAddress("198.51.100.4"))
        #expect(IPAddress("2001:db8::1")?.normalized == IPAddress("2001:db8::1"))
    }

    @Test func readsEndpointsAsEvidenceWritesThem() {
        #expect(IPAddress.parseEndpoint("192.0.2.1:443") == Endpoint(address: IPAddress(v4: 0xC000_0201), port: 443))
        #expect(IPAddress.parseEndpoint("[2001:db8::1]:8080")?.port == 8080)
        #expect(IPAddress.parseEndpoint("[2001:db8::1]")?.address.description == "2001:db8::1")
        #expect(IPAddress.parseEndpoint("2001:db8::1")?.port == nil)
        #expect(IPAddress.parseEndpoint("fe80::1%eth0")?.address.description == "fe80::1")
        #expect(IPAddress.parseEndpoint("::ffff:203.0.113.9")?.address.description == "203.0.113.9")
        #expect(IPAddress.parseEndpoint(" \"198.51.100.2\" ")?.address.description == "198.51.100.2")
        #expect(IPAddress.parseEndpoint("192.0.2.1:0")?.port == nil, "port 0 means unknown")
        for placeholder in ["N/A", "-", "", "XX.XXX.XX.XX", "XXX", "null", "192.0.2.1:99999"] {
            #expect(IPAddress.parseEndpoint(placeholder) == nil, "\(placeholder)")
        }
    }

    @Test func canonicalTextReadsBackToTheSameAddress() async {
        await propertyCheck(count: 2000, input: anyUInt128) { value in
            let address = IPAddress(v6: value)
            #expect(IPAddress(address.description) == address)
        }
        await propertyCheck(count: 2000, input: Gen.uint32()) { value in
            let address = IPAddress(v4: value)
            #expect(IPAddress(address.description) == address)
            #expect(LibC.pton4(address.description) == value)
        }
    }

    @Test func canonicalTextAgreesWithTheCLibrary() async {
        await propertyCheck(count: 3000, input: sparseUInt128) { value in
            // glibc writes ::a.b.c.d for the deprecated IPv4-compatible block; RFC 5952 keeps
            // mixed notation for mapped addresses only.
            guard value >> 32 != 0 || value <= 0xffff else { return }
            #expect(IPAddress(v6: value).description == LibC.ntop6(value))
        }
    }

    @Test func readsEveryTextTheCLibraryReads() async {
        // Random spellings: padding, case and compression chosen per address.
        let spellings = zip(Gen.int(in: 0...0xffff).array(of: 8), Gen.bool.array(of: 3))
        await propertyCheck(count: 2000, input: spellings) { input in
            let (groups, flags) = input
            var parts = groups.map { g -> String in
                var s = String(g, radix: 16, uppercase: flags[0])
                if flags[1] { s = String(repeating: "0", count: 4 - s.count) + s }
                return s
            }
            if flags[2], let zero = groups.firstIndex(of: 0) ?? Optional(3) {
                parts[zero] = ""
                if zero == 0 { parts[0] = ":" }
                if zero == 7 { parts[7] = ":" }
            }
            var text = parts.joined(separator: ":")
            if text.contains(":::") { text = text.replacingOccurrences(of: ":::", with: "::") }
            let ours = IPAddress(text)
            #expect(ours?.value == LibC.pton6(text), "\(text)")
        }
    }

    @Test func orderMatchesNetworkByteOrder() async {
        await propertyCheck(count: 1000, input: anyUInt128, anyUInt128) { a, b in
            let x = IPAddress(v6: a)
            let y = IPAddress(v6: b)
            #expect((x < y) == x.bytes.lexicographicallyPrecedes(y.bytes))
            #expect((x == y) == (x.hashValue == y.hashValue) || x != y)
        }
    }
}
