/// A CIDR network: an address with its host bits cleared and a prefix length.
public struct IPNetwork: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The first address of the network (host bits always zero).
    public let address: IPAddress
    public let prefixLength: Int

    /// Creates the network of `prefixLength` bits that contains `address`, clearing host bits.
    /// - Returns: nil when the prefix length exceeds the family's width.
    public init?(containing address: IPAddress, prefixLength: Int) {
        guard prefixLength >= 0, prefixLength <= address.family.bitWidth else { return nil }
        let mask = IPNetwork.mask(prefixLength, family: address.family)
        let value = address.value & mask
        self.address = address.family == .v4 ? IPAddress(v4: UInt32(value)) : IPAddress(v6: value)
        self.prefixLength = prefixLength
    }

    /// The result of reading a CIDR written by someone else.
    public struct Parsed: Hashable, Sendable {
        public let network: IPNetwork
        /// True when the text had host bits set (`192.0.2.7/24`) and they were cleared.
        /// Indicator imports report this: the author may have meant the single address.
        public let clearedHostBits: Bool
    }

    /// Parses `address/length`, or a bare address as a single-host network.
    public static func parse(_ text: some StringProtocol) -> Parsed? {
        let s = Substring(Substring(text).trimming(" \t\r\n"))
        let addressText: Substring
        let length: Int?
        if let slash = s.firstIndex(of: "/") {
            addressText = s[..<slash]
            let lengthText = s[s.index(after: slash)...]
            guard !lengthText.isEmpty, lengthText.count <= 3, lengthText.allSatisfy(\.isASCIIDigit),
                let n = Int(lengthText)
            else { return nil }
            length = n
        } else {
            addressText = s
            length = nil
        }
        guard let address = IPAddress(addressText) else { return nil }
        let prefix = length ?? address.family.bitWidth
        guard let network = IPNetwork(containing: address, prefixLength: prefix) else { return nil }
        return Parsed(network: network, clearedHostBits: network.address != address)
    }

    /// Parses a CIDR, clearing host bits silently. Use ``parse(_:)`` to learn whether it did.
    public init?(_ text: some StringProtocol) {
        guard let parsed = IPNetwork.parse(text) else { return nil }
        self = parsed.network
    }

    public var family: IPAddress.Family { address.family }

    /// The last address of the network.
    public var lastAddress: IPAddress {
        let last = address.value | ~IPNetwork.mask(prefixLength, family: family) & IPNetwork.familyMask(family)
        return family == .v4 ? IPAddress(v4: UInt32(last)) : IPAddress(v6: last)
    }

    public func contains(_ other: IPAddress) -> Bool {
        other.family == family && other.value & IPNetwork.mask(prefixLength, family: family) == address.value
    }

    public func contains(_ other: IPNetwork) -> Bool {
        other.prefixLength >= prefixLength && contains(other.address)
    }

    public static func < (a: IPNetwork, b: IPNetwork) -> Bool {
        a.address != b.address ? a.address < b.address : a.prefixLength < b.prefixLength
    }

    public var description: String { "\(address)/\(prefixLength)" }

    static func familyMask(_ family: IPAddress.Family) -> UInt128 {
        family == .v4 ? UInt128(UInt32.max) : UInt128.max
    }

    static func mask(_ prefixLength: Int, family: IPAddress.Family) -> UInt128 {
        let width = family.bitWidth
        guard prefixLength > 0 else { return 0 }
        let hostBits = width - prefixLength
        return (familyMask(family) >> hostBits) << hostBits
    }
}

extension IPNetwork: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let network = IPNetwork(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a CIDR network: \(text)"))
        }
        self = network
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
