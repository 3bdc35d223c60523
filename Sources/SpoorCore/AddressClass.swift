/// What kind of address this is, from the IANA IPv4 and IPv6 Special-Purpose Address Registries
/// (RFC 6890 and successors). Only `global` addresses can be attributed to a network holder;
/// the others explain themselves (a private address is the victim's own network, a
/// documentation address is a fixture, and so on).
public enum AddressClass: String, Sendable, Codable, CaseIterable, Hashable {
    case unspecified
    case loopback
    case `private`
    case linkLocal = "link_local"
    /// RFC 6598 shared address space, used for carrier-grade NAT: many subscribers, one address.
    case sharedAddressSpace = "shared_address_space"
    case documentation
    case multicast
    case reserved
    case global
}

/// One row of the special-purpose registries that Spoor knows.
public struct SpecialPurposeBlock: Sendable, Hashable {
    public let network: IPNetwork
    public let addressClass: AddressClass
    /// The registry's name for the block.
    public let name: String
    /// The defining document, e.g. `RFC 1918`.
    public let reference: String
}

extension IPAddress {
    /// The most specific special-purpose block holding this address, or nil for ordinary
    /// global unicast space. IPv4-mapped IPv6 addresses are classified by their IPv4 address.
    public var specialPurposeBlock: SpecialPurposeBlock? {
        let address = normalized
        // Plain integer ranges: no block (and none of its strings) is copied while searching.
        var best = -1
        var bestLength = -1
        for range in SpecialPurposeRegistry.ranges
        where range.family == address.family && range.first <= address.value && address.value <= range.last {
            if range.prefixLength > bestLength {
                best = range.index
                bestLength = range.prefixLength
            }
        }
        if best >= 0 { return SpecialPurposeRegistry.blocks[best] }
        if address.family == .v6, !SpecialPurposeRegistry.globalUnicastV6.contains(address) {
            return SpecialPurposeRegistry.outsideGlobalUnicast
        }
        return nil
    }

    /// The address's class: `global` unless a special-purpose block says otherwise.
    public var addressClass: AddressClass {
        specialPurposeBlock?.addressClass ?? .global
    }
}

enum SpecialPurposeRegistry {
    static let globalUnicastV6 = IPNetwork("2000::/3")!

    static let ranges: [(family: IPAddress.Family, first: UInt128, last: UInt128, prefixLength: Int, index: Int)] =
        blocks.enumerated().map { index, block in
            (
                block.network.family, block.network.address.value, block.network.lastAddress.value, block.network.prefixLength,
                index
            )
        }

    static let outsideGlobalUnicast = SpecialPurposeBlock(
        network: IPNetwork("::/0")!, addressClass: .reserved,
        name: "Outside the global unicast space 2000::/3", reference: "RFC 4291")

    /// Blocks as listed by IANA. Blocks the registry marks globally reachable (AS112, AMT,
    /// TURN and PCP anycast, NAT64 well-known prefix, 6to4, Teredo) are `global` so that they
    /// stay attributable, with the registry's name kept for context.
    static let blocks: [SpecialPurposeBlock] = [
        // IPv4
        ("0.0.0.0/8", .reserved, "This network", "RFC 791"),
        ("0.0.0.0/32", .unspecified, "This host on this network", "RFC 1122"),
        ("10.0.0.0/8", .private, "Private-Use", "RFC 1918"),
        ("100.64.0.0/10", .sharedAddressSpace, "Shared Address Space", "RFC 6598"),
        ("127.0.0.0/8", .loopback, "Loopback", "RFC 1122"),
        ("169.254.0.0/16", .linkLocal, "Link Local", "RFC 3927"),
        ("172.16.0.0/12", .private, "Private-Use", "RFC 1918"),
        ("192.0.0.0/24", .reserved, "IETF Protocol Assignments", "RFC 6890"),
        ("192.0.0.0/29", .reserved, "IPv4 Service Continuity Prefix", "RFC 7335"),
        ("192.0.0.8/32", .reserved, "IPv4 dummy address", "RFC 7600"),
        ("192.0.0.9/32", .global, "Port Control Protocol Anycast", "RFC 7723"),
        ("192.0.0.10/32", .global, "Traversal Using Relays around NAT Anycast", "RFC 8155"),
        ("192.0.0.170/31", .reserved, "NAT64/DNS64 Discovery", "RFC 7050"),
        ("192.0.2.0/24", .documentation, "Documentation (TEST-NET-1)", "RFC 5737"),
        ("192.31.196.0/24", .global, "AS112-v4", "RFC 7535"),
        ("192.52.193.0/24", .global, "AMT", "RFC 7450"),
        ("192.88.99.0/24", .reserved, "Deprecated (6to4 Relay Anycast)", "RFC 7526"),
        ("192.168.0.0/16", .private, "Private-Use", "RFC 1918"),
        ("192.175.48.0/24", .global, "Direct Delegation AS112 Service", "RFC 7534"),
        ("198.18.0.0/15", .reserved, "Benchmarking", "RFC 2544"),
        ("198.51.100.0/24", .documentation, "Documentation (TEST-NET-2)", "RFC 5737"),
        ("203.0.113.0/24", .documentation, "Documentation (TEST-NET-3)", "RFC 5737"),
        ("224.0.0.0/4", .multicast, "Multicast", "RFC 5771"),
        ("233.252.0.0/24", .documentation, "MCAST-TEST-NET", "RFC 5771"),
        ("240.0.0.0/4", .reserved, "Reserved", "RFC 1112"),
        ("255.255.255.255/32", .reserved, "Limited Broadcast", "RFC 919"),
        // IPv6
        ("::/128", .unspecified, "Unspecified Address", "RFC 4291"),
        ("::1/128", .loopback, "Loopback Address", "RFC 4291"),
        ("64:ff9b::/96", .global, "IPv4-IPv6 Translation", "RFC 6052"),
        ("64:ff9b:1::/48", .reserved, "IPv4-IPv6 Translation (local use)", "RFC 8215"),
        ("100::/64", .reserved, "Discard-Only Address Block", "RFC 6666"),
        ("100:0:0:1::/64", .reserved, "Dummy IPv6 Prefix", "RFC 9780"),
        ("2001::/23", .reserved, "IETF Protocol Assignments", "RFC 2928"),
        ("2001::/32", .global, "TEREDO", "RFC 4380"),
        ("2001:1::1/128", .global, "Port Control Protocol Anycast", "RFC 7723"),
        ("2001:1::2/128", .global, "Traversal Using Relays around NAT Anycast", "RFC 8155"),
        ("2001:1::3/128", .global, "DNS-SD Service Registration Protocol Anycast", "RFC 9665"),
        ("2001:2::/48", .reserved, "Benchmarking", "RFC 5180"),
        ("2001:3::/32", .global, "AMT", "RFC 7450"),
        ("2001:4:112::/48", .global, "AS112-v6", "RFC 7535"),
        ("2001:10::/28", .reserved, "Deprecated (previously ORCHID)", "RFC 4843"),
        ("2001:20::/28", .global, "ORCHIDv2", "RFC 7343"),
        ("2001:30::/28", .global, "Drone Remote ID Protocol Entity Tags", "RFC 9374"),
        ("2001:db8::/32", .documentation, "Documentation", "RFC 3849"),
        ("2002::/16", .global, "6to4", "RFC 3056"),
        ("2620:4f:8000::/48", .global, "Direct Delegation AS112 Service", "RFC 7534"),
        ("3fff::/20", .documentation, "Documentation", "RFC 9637"),
        ("5f00::/16", .reserved, "Segment Routing (SRv6) SIDs", "RFC 9602"),
        ("fc00::/7", .private, "Unique-Local", "RFC 4193"),
        ("fe80::/10", .linkLocal, "Link-Local Unicast", "RFC 4291"),
        ("ff00::/8", .multicast, "Multicast", "RFC 4291"),
    ].map { cidr, addressClass, name, reference in
        // The table is a literal checked by tests; a typo is a programming error, not input.
        guard let network = IPNetwork(cidr) else { preconditionFailure("bad registry CIDR \(cidr)") }
        return SpecialPurposeBlock(network: network, addressClass: addressClass, name: name, reference: reference)
    }
}
