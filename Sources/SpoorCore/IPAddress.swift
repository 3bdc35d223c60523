/// An IPv4 or IPv6 address.
///
/// Stored as a 128-bit integer and a family, so equality, hashing and ordering are single
/// integer operations. IPv4 addresses sort before IPv6 addresses; within a family, numerically.
/// `description` is the canonical text: dotted quad for IPv4, RFC 5952 for IPv6.
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public enum Family: UInt8, Sendable, Codable, Hashable, Comparable {
        case v4 = 4
        case v6 = 6

        public static func < (a: Family, b: Family) -> Bool { a.rawValue < b.rawValue }

        /// Number of bits in an address of this family.
        public var bitWidth: Int { self == .v4 ? 32 : 128 }
    }

    public let family: Family
    /// The address as an unsigned integer; IPv4 uses the low 32 bits.
    public let value: UInt128

    public init(v4 value: UInt32) {
        self.family = .v4
        self.value = UInt128(value)
    }

    public init(v6 value: UInt128) {
        self.family = .v6
        self.value = value
    }

    /// Creates an address from raw network-order bytes (4 or 16 of them).
    public init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4:
            self.init(v4: bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        case 16:
            self.init(v6: bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) })
        default:
            return nil
        }
    }

    /// Parses a bare address in the textual forms `inet_pton` accepts, plus upper-case hex and
    /// zero-padded IPv6 groups. Ports, brackets and zone identifiers are not accepted here; see
    /// ``parseEndpoint(_:)`` for those.
    public init?(_ text: some StringProtocol) {
        // Read the bytes in place where the string's UTF-8 is contiguous (almost always).
        let found: IPAddress?
        if let inPlace = text.utf8.withContiguousStorageIfAvailable({ IPAddress.parse($0) }) {
            found = inPlace
        } else {
            found = IPAddress.parse(Array(text.utf8)[...])
        }
        guard let found else { return nil }
        self = found
    }

    /// Reads an address written as text from UTF-8 bytes (no `String` needed); specialised here,
    /// so that callers in other modules do not pay for a generic call.
    public static func parse(utf8 bytes: ArraySlice<UInt8>) -> IPAddress? { parse(bytes) }

    /// The same, for bytes in a buffer (screening text in place).
    public static func parse(utf8 bytes: Slice<UnsafeBufferPointer<UInt8>>) -> IPAddress? { parse(bytes) }

    static func parse<C: RandomAccessCollection>(_ bytes: C) -> IPAddress? where C.Element == UInt8, C.Index == Int {
        guard bytes.count <= 45 else { return nil }
        if let v4 = parseIPv4(bytes) { return IPAddress(v4: v4) }
        if let v6 = parseIPv6(bytes) { return IPAddress(v6: v6) }
        return nil
    }

    /// Network-order bytes: 4 for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        let count = family == .v4 ? 4 : 16
        return (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * (count - 1 - $0))) }
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else nil.
    public var unmappedIPv4: IPAddress? {
        guard family == .v6, value >> 32 == 0xffff else { return nil }
        return IPAddress(v4: UInt32(truncatingIfNeeded: value))
    }

    /// The address with IPv4-mapped IPv6 turned into IPv4; every other address unchanged.
    /// Evidence sources write the same client both ways, so subject IPs use this form.
    public var normalized: IPAddress { unmappedIPv4 ?? self }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        a.family != b.family ? a.family < b.family : a.value < b.value
    }

    public var description: String {
        switch family {
        case .v4: return IPAddress.formatIPv4(UInt32(truncatingIfNeeded: value))
        case .v6: return IPAddress.formatIPv6(value)
        }
    }
}

extension IPAddress: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let address = IPAddress(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not an IP address: \(text)"))
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

// MARK: - Parsing

extension IPAddress {
    /// Dotted quad, four decimal parts 0–255, no leading zeros beyond a single `0`
    /// (as `inet_pton`: `010.0.0.1` is rejected because other tools read it as octal).
    static func parseIPv4<C: RandomAccessCollection>(_ s: C) -> UInt32? where C.Element == UInt8, C.Index == Int {
        var result: UInt32 = 0
        var parts = 0
        var current: UInt32 = 0
        var digits = 0
        var leadingZero = false
        for c in s {
            if c >= 0x30 && c <= 0x39 {
                if digits > 0 && leadingZero { return nil }
                if digits == 0 && c == 0x30 { leadingZero = true }
                current = current * 10 + UInt32(c - 0x30)
                digits += 1
                if current > 255 { return nil }
            } else if c == 0x2E {  // "."
                guard digits > 0, parts < 3 else { return nil }
                result = result << 8 | current
                parts += 1
                current = 0
                digits = 0
                leadingZero = false
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return result << 8 | current
    }

    static func parseIPv6<C: RandomAccessCollection>(_ s: C) -> UInt128? where C.Element == UInt8, C.Index == Int {
        guard s.count >= 2, s.count <= 45 else { return nil }
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var gapIndex: Int? = nil
        var i = s.startIndex
        let end = s.endIndex

        if s[i] == 0x3A {  // leading "::"
            guard s[i + 1] == 0x3A else { return nil }
            gapIndex = 0
            i += 2
            if i == end { return 0 }
        }
        while i < end {
            // One group: up to 4 hex digits, or an embedded IPv4 address as the last 32 bits.
            var j = i
            var value: UInt32 = 0
            while j < end, let h = hexValue(s[j]) {
                value = value << 4 | UInt32(h)
                j += 1
                if j - i > 4 { return nil }
            }
            if j < end && s[j] == 0x2E {
                guard groups.count <= 6, let v4 = parseIPv4(s[i..<end]) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xffff))
                i = end
                break
            }
            guard j > i else { return nil }
            groups.append(UInt16(value))
            i = j
            if i == end { break }
            guard s[i] == 0x3A else { return nil }
            i += 1
            if i < end && s[i] == 0x3A {
                guard gapIndex == nil else { return nil }
                gapIndex = groups.count
                i += 1
                if i == end { break }
            } else if i == end {
                return nil  // trailing single ":"
            }
            if groups.count > 8 { return nil }
        }
        if let gap = gapIndex {
            guard groups.count <= 7 else { return nil }
            let zeros = [UInt16](repeating: 0, count: 8 - groups.count)
            groups.insert(contentsOf: zeros, at: gap)
        }
        guard groups.count == 8 else { return nil }
        return groups.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
}

// MARK: - Formatting

extension IPAddress {
    static func formatIPv4(_ v: UInt32) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(15)
        for shift in [24, 16, 8, 0] as [UInt32] {
            let octet = UInt8(truncatingIfNeeded: v >> shift)
            if octet >= 100 { out.append(0x30 + octet / 100) }
            if octet >= 10 { out.append(0x30 + octet / 10 % 10) }
            out.append(0x30 + octet % 10)
            if shift > 0 { out.append(0x2E) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups
    /// (the first on a tie) written as `::`, and IPv4-mapped addresses in mixed notation.
    static func formatIPv6(_ v: UInt128) -> String {
        if v >> 32 == 0xffff {
            return "::ffff:" + formatIPv4(UInt32(truncatingIfNeeded: v))
        }
        var groups = [UInt16](repeating: 0, count: 8)
        for index in 0..<8 { groups[index] = UInt16(truncatingIfNeeded: v >> (16 * (7 - index))) }
        var bestStart = -1
        var bestLength = 1
        var runStart = -1
        for index in 0...8 {
            if index < 8 && groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                let length = index - runStart
                if length > bestLength {
                    bestStart = runStart
                    bestLength = length
                }
                runStart = -1
            }
        }
        // Written into one byte buffer: addresses are formatted once per record.
        let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(39)
        func hex(_ group: UInt16) {
            var started = false
            for shift in stride(from: 12, through: 0, by: -4) {
                let digit = Int(group >> UInt16(shift) & 0xf)
                if digit != 0 || started || shift == 0 {
                    out.append(hexDigits[digit])
                    started = true
                }
            }
        }
        var index = 0
        while index < 8 {
            if index == bestStart {
                out.append(0x3A)
                out.append(0x3A)
                index += bestLength
                continue
            }
            if index > 0 && index != bestStart + bestLength { out.append(0x3A) }
            hex(groups[index])
            index += 1
        }
        if bestStart >= 0 && bestStart + bestLength == 8 && out.count == 2 { return "::" }
        return String(decoding: out, as: UTF8.self)
    }
}
