import SpoorCore

/// Why a packet could not be read to its transport header. A small value, so that counting the
/// reasons costs nothing on the packet path; ``description`` is the text reports show.
public enum DecodeProblem: Hashable, Sendable, CustomStringConvertible {
    case truncated(Layer)
    case badHeader(Layer)
    case linkTypeNotDecoded(Int32)
    case etherTypeNotDecoded(UInt16)
    case pppProtocolNotDecoded(UInt16)
    case loopbackFamilyNotDecoded(UInt32)
    case ipVersionNotDecoded(UInt8)
    case notIPv4(version: UInt8)
    case notIPv6(version: UInt8)
    case frameWithoutSNAP
    case wirelessNotData
    case wirelessProtected
    case tunnelTooDeep
    case greNotDecoded(UInt16)

    public enum Layer: String, Sendable {
        case ethernet = "Ethernet header", vlan = "VLAN tag", mpls = "MPLS label", pppoe = "PPPoE header"
        case linuxCooked = "Linux cooked header", linuxCooked2 = "Linux cooked v2 header", loopback = "loopback header"
        case ppp = "PPP header", ciscoHDLC = "Cisco HDLC header", radiotap = "radiotap header", wireless = "802.11 header"
        case ipv4 = "IPv4 header", ipv6 = "IPv6 header", ipv6Extension = "IPv6 extension header"
        case tcp = "TCP header", udp = "UDP header", icmp = "ICMP header", gre = "GRE header", gtp = "GTP header"
        case vxlan = "VXLAN header", teredo = "Teredo header", ayiya = "AYIYA header"
    }

    public var description: String {
        switch self {
        case .truncated(let layer): return "truncated \(layer.rawValue)"
        case .badHeader(let layer): return "bad \(layer.rawValue) length"
        case .linkTypeNotDecoded(let type):
            let name = PcapCalls.linkTypeName(type)
            return name.hasPrefix("DLT ") ? "link type \(type) not decoded" : "link type \(name) (\(type)) not decoded"
        case .etherTypeNotDecoded(let type): return "EtherType 0x\(Self.hex(type)) not decoded"
        case .pppProtocolNotDecoded(let proto): return "PPP protocol 0x\(Self.hex(proto)) not decoded"
        case .loopbackFamilyNotDecoded(let family): return "loopback address family \(family) not decoded"
        case .ipVersionNotDecoded(let version): return "IP version \(version) not decoded"
        case .notIPv4(let version): return "not an IPv4 header (version \(version))"
        case .notIPv6(let version): return "not an IPv6 header (version \(version))"
        case .frameWithoutSNAP: return "802.3 frame without SNAP not decoded"
        case .wirelessNotData: return "802.11 management, control or null frame (no IP)"
        case .wirelessProtected: return "802.11 protected (encrypted) frame"
        case .tunnelTooDeep: return "tunnels nested too deep"
        case .greNotDecoded(let type): return "GRE payload 0x\(Self.hex(type)) not decoded"
        }
    }

    static func hex(_ value: UInt16) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// A tunnel a packet arrived through: the outer addresses and the kind.
public struct TunnelLayer: Hashable, Sendable {
    public enum Kind: String, Sendable, Codable {
        case ipInIP = "IP", gre = "GRE", gtp = "GTPv1", vxlan = "VXLAN", teredo = "Teredo", ayiya = "AYIYA"
        case greInUDP = "GRE-in-UDP"

        /// The name conn.log's service column gives a flow carrying this tunnel (Zeek's names).
        public var service: String {
            switch self {
            case .ipInIP: "ip"
            case .gre: "gre"
            case .gtp: "gtpv1"
            case .vxlan: "vxlan"
            case .teredo: "teredo"
            case .ayiya: "ayiya"
            case .greInUDP: "gre-in-udp"
            }
        }
    }
    public var kind: Kind
    public var source: IPAddress
    public var destination: IPAddress
}

/// What one captured packet carries, as offsets into its bytes. Filled by ``Dissector``
/// without allocating, so that millions of packets a second can be read.
public struct PacketLayers: Sendable {
    /// The first VLAN id (outermost tag), 0 when untagged; `vlanCount` counts the tags.
    public var vlan: UInt16 = 0
    public var vlanCount: UInt8 = 0
    public var hasNetwork = false
    public var source = IPAddress(v4: 0)
    public var destination = IPAddress(v4: 0)
    public var ipProtocol: UInt8 = 0
    /// Where the IP header starts, and the bytes it declares (header and payload): Zeek's "IP bytes".
    public var ipStart = 0
    public var ipLength = 0
    /// Where the IP payload starts and ends (bounded by what was captured).
    public var ipPayloadStart = 0
    public var ipPayloadEnd = 0
    /// The IP payload length the header declares (it may exceed what was captured).
    public var ipPayloadDeclared = 0
    public var isFragment = false
    public var fragmentOffset = 0
    public var moreFragments = false
    public var fragmentID: UInt32 = 0
    public var hasTransport = false
    /// Ports for TCP and UDP; type and code for ICMP and ICMPv6.
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    public var tcpFlags: UInt8 = 0
    public var sequence: UInt32 = 0
    public var acknowledgement: UInt32 = 0
    public var window: UInt16 = 0
    /// The application payload captured, and its length as declared by the headers.
    public var payloadStart = 0
    public var payloadEnd = 0
    public var payloadDeclared = 0
    /// The tunnel the IP layer arrived through, when it did (the innermost one).
    public var tunnel: TunnelLayer?
    public var problem: DecodeProblem?

    public init() {}
}

/// Reads link, network and transport headers from a packet's bytes. Never reads past the
/// captured length, never traps on damage: it stops and names the problem. Big-endian unless a
/// layer says otherwise. Reference: capture-notes.md §4.
public enum Dissector {
    public static let maximumTunnelDepth = 4

    /// Dissects from the link layer.
    public static func dissect(_ b: UnsafeRawBufferPointer, linkType: Int32, into p: inout PacketLayers) {
        let n = b.count
        switch linkType {
        case PacketDecoder.LinkType.ethernet:
            ethernet(b, 0, n, &p, depth: 0)
        case PacketDecoder.LinkType.linuxSLL:
            guard n >= 16 else { return p.problem = .truncated(.linuxCooked) }
            etherType(be16(b, 14), b, 16, n, &p, depth: 0)
        case PacketDecoder.LinkType.linuxSLL2:
            guard n >= 20 else { return p.problem = .truncated(.linuxCooked2) }
            etherType(be16(b, 0), b, 20, n, &p, depth: 0)
        case PacketDecoder.LinkType.raw, PacketDecoder.LinkType.rawOpenBSD, PacketDecoder.LinkType.rawAlternate:
            ipByVersion(b, 0, n, &p, depth: 0)
        case PacketDecoder.LinkType.ipv4:
            ipv4(b, 0, n, &p, depth: 0)
        case PacketDecoder.LinkType.ipv6:
            ipv6(b, 0, n, &p, depth: 0)
        case PacketDecoder.LinkType.null, PacketDecoder.LinkType.loop:
            guard n >= 4 else { return p.problem = .truncated(.loopback) }
            // The family is in the capturing host's byte order (network order for LOOP).
            let little = UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
            let big = UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
            let family = linkType == PacketDecoder.LinkType.loop ? big : (little < 256 ? little : big)
            switch family {
            case 2: ipv4(b, 4, n, &p, depth: 0)
            case 24, 28, 30: ipv6(b, 4, n, &p, depth: 0)
            default: p.problem = .loopbackFamilyNotDecoded(family)
            }
        case PacketDecoder.LinkType.ppp:
            ppp(b, 0, n, &p, depth: 0)
        case PacketDecoder.LinkType.cHDLC:
            guard n >= 4 else { return p.problem = .truncated(.ciscoHDLC) }
            etherType(be16(b, 2), b, 4, n, &p, depth: 0)
        case PacketDecoder.LinkType.radiotap:
            radiotap(b, n, &p)
        case PacketDecoder.LinkType.ieee80211:
            wireless(b, 0, n, &p)
        default:
            p.problem = .linkTypeNotDecoded(linkType)
        }
    }

    /// Dissects the inner packet of a UDP tunnel (GTPv1-U, VXLAN, Teredo, AYIYA, GRE-in-UDP)
    /// found in `p`'s payload; `inner` gets the inner layers with the tunnel recorded.
    public static func dissectUDPTunnel(
        _ b: UnsafeRawBufferPointer, _ kind: TunnelLayer.Kind, outer p: PacketLayers, into inner: inout PacketLayers
    ) {
        inner.tunnel = TunnelLayer(kind: kind, source: p.source, destination: p.destination)
        let start = p.payloadStart
        let end = p.payloadEnd
        switch kind {
        case .vxlan:
            guard end - start >= 8 else { return inner.problem = .truncated(.vxlan) }
            ethernet(b, start + 8, end, &inner, depth: 1)
        case .gtp:
            guard end - start >= 8 else { return inner.problem = .truncated(.gtp) }
            let flags = b[start]
            var offset = start + 8
            if flags & 0x07 != 0 {
                guard end - offset >= 4 else { return inner.problem = .truncated(.gtp) }
                var next = b[offset + 3]
                offset += 4
                while next != 0 {
                    guard end - offset >= 4 else { return inner.problem = .truncated(.gtp) }
                    let length = Int(b[offset]) * 4
                    guard length > 0, end - offset >= length else { return inner.problem = .badHeader(.gtp) }
                    next = b[offset + length - 1]
                    offset += length
                }
            }
            ipByVersion(b, offset, end, &inner, depth: 1)
        case .teredo:
            guard let offset = teredoPacketStart(b, start, end) else { return inner.problem = .badHeader(.teredo) }
            ipv6(b, offset, end, &inner, depth: 1)
        case .ayiya:
            guard let offset = ayiyaPayloadStart(b, start, end) else { return inner.problem = .badHeader(.ayiya) }
            if b[start + 3] == 4 { ipv4(b, offset, end, &inner, depth: 1) } else { ipv6(b, offset, end, &inner, depth: 1) }
        case .greInUDP:
            // RFC 8086: the UDP payload is a GRE header and what it carries.
            gre(
                b, start, end, &inner, depth: 1, outer: TunnelLayer(kind: .greInUDP, source: p.source, destination: p.destination)
            )
        default:
            break
        }
    }

    /// Where the IPv6 packet of a Teredo datagram (RFC 4380) starts, past an authentication
    /// header and an origin indication when present; nil unless a whole IPv6 header is there
    /// whose length is the rest of the datagram (as Zeek checks before calling it Teredo).
    static func teredoPacketStart(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int? {
        var offset = start
        if end - offset >= 2, b[offset] == 0x00, b[offset + 1] == 0x01 {
            // Authentication: id length, auth length, id, auth value, 8-byte nonce, confirmation byte.
            guard end - offset >= 4 else { return nil }
            offset += 4 + Int(b[offset + 2]) + Int(b[offset + 3]) + 9
        }
        if end - offset >= 2, b[offset] == 0x00, b[offset + 1] == 0x00 {
            offset += 8  // origin indication: obfuscated port and address
        }
        guard end - offset >= 40, b[offset] >> 4 == 6 else { return nil }
        let declared = Int(be16(b, offset + 4))
        return offset + 40 + declared == end ? offset : nil
    }

    /// Where the payload of an AYIYA packet starts (header, identity of 2^IDLen bytes, signature
    /// of SigLen × 4 bytes); nil unless it is a forward (opcode 1) of IPv4 or IPv6.
    static func ayiyaPayloadStart(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int? {
        guard end - start >= 8 else { return nil }
        let opcode = b[start + 2] & 0x0F
        let nextHeader = b[start + 3]
        guard opcode == 1, nextHeader == 4 || nextHeader == 41 else { return nil }
        let offset = start + 8 + (1 << Int(b[start] >> 4)) + Int(b[start + 1] >> 4) * 4
        return offset < end ? offset : nil
    }

    /// The UDP tunnel a packet's ports announce: GTPv1-U on 2152, VXLAN on 4789, Teredo on 3544
    /// and AYIYA on 5072 (as Zeek), GRE-in-UDP on 4754 (RFC 8086).
    public static func udpTunnel(_ p: PacketLayers, _ b: UnsafeRawBufferPointer) -> TunnelLayer.Kind? {
        guard p.hasTransport, p.ipProtocol == 17, p.payloadEnd - p.payloadStart >= 8 else { return nil }
        if p.sourcePort == 2152 || p.destinationPort == 2152 {
            // Version 1, protocol type GTP, message type G-PDU (255).
            let flags = b[p.payloadStart]
            return flags >> 5 == 1 && flags & 0x10 != 0 && b[p.payloadStart + 1] == 0xFF ? .gtp : nil
        }
        if p.destinationPort == 4789 { return b[p.payloadStart] & 0x08 != 0 ? .vxlan : nil }
        if p.sourcePort == 3544 || p.destinationPort == 3544 {
            return teredoPacketStart(b, p.payloadStart, p.payloadEnd) != nil ? .teredo : nil
        }
        if p.sourcePort == 5072 || p.destinationPort == 5072 {
            return ayiyaPayloadStart(b, p.payloadStart, p.payloadEnd) != nil ? .ayiya : nil
        }
        if p.destinationPort == 4754 {
            // GRE version 0 with no reserved bits, carrying IP or Ethernet.
            let flags = be16(b, p.payloadStart)
            let type = be16(b, p.payloadStart + 2)
            return flags & 0x4FFF == 0 && [0x0800, 0x86DD, 0x6558].contains(type) ? .greInUDP : nil
        }
        return nil
    }

    @inline(__always) static func be16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
        UInt16(b[o]) << 8 | UInt16(b[o + 1])
    }

    @inline(__always) static func be32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
    }

    static func ethernet(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ p: inout PacketLayers, depth: Int) {
        guard end - start >= 14 else { return p.problem = .truncated(.ethernet) }
        let type = be16(b, start + 12)
        if type < 0x0600 {
            llc(b, start + 14, end, &p, depth: depth)
            return
        }
        etherType(type, b, start + 14, end, &p, depth: depth)
    }

    /// 802.2 LLC with SNAP (`AA AA 03`, OUI, EtherType).
    static func llc(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ p: inout PacketLayers, depth: Int) {
        guard end - start >= 8, b[start] == 0xAA, b[start + 1] == 0xAA, b[start + 2] == 0x03 else {
            return p.problem = .frameWithoutSNAP
        }
        etherType(be16(b, start + 6), b, start + 8, end, &p, depth: depth)
    }

    static func etherType(
        _ type: UInt16, _ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ p: inout PacketLayers, depth: Int
    ) {
        var type = type
        var offset = start
        // VLAN tags, stacked (802.1Q, 802.1ad S-tag, the pre-standard 0x9100).
        while type == 0x8100 || type == 0x88A8 || type == 0x9100 {
            guard end - offset >= 4 else { return p.problem = .truncated(.vlan) }
            if p.vlanCount == 0 { p.vlan = be16(b, offset) & 0x0FFF }
            p.vlanCount &+= 1
            type = be16(b, offset + 2)
            offset += 4
        }
        switch type {
        case 0x0800: ipv4(b, offset, end, &p, depth: depth)
        case 0x86DD: ipv6(b, offset, end, &p, depth: depth)
        case 0x8847, 0x8848:
            // MPLS: labels until the bottom-of-stack bit; then IP by its version nibble, or a
            // pseudowire control word (first nibble 0) and Ethernet.
            while true {
                guard end - offset >= 4 else { return p.problem = .truncated(.mpls) }
                let bottom = b[offset + 2] & 0x01 == 1
                offset += 4
                if bottom { break }
            }
            guard offset < end else { return p.problem = .truncated(.mpls) }
            if b[offset] >> 4 == 0 {
                ethernet(b, offset + 4, end, &p, depth: depth)
            } else {
                ipByVersion(b, offset, end, &p, depth: depth)
            }
        case 0x8864:
            guard end - offset >= 8 else { return p.problem = .truncated(.pppoe) }
            pppProtocol(be16(b, offset + 6), b, offset + 8, end, &p, depth: depth)
        default:
            p.problem = .etherTypeNotDecoded(type)
        }
    }

    static func ppp(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ p: inout PacketLayers, depth: Int) {
        var offset = start
        if end - offset >= 2 && b[offset] == 0xFF && b[offset + 1] == 0x03 { offset += 2 }
        guard end - offset >= 1 else { return p.problem = .truncated(.ppp) }
        // Protocol field compression: a one-byte protocol has its low bit set.
        if b[offset] & 0x01 == 1 {
            pppProtocol(UInt16(b[offset]), b, offset + 1, end, &p, depth: depth)
            return
        }
        guard end - offset >= 2 else { return p.problem = .truncated(.ppp) }
        pppProtocol(be16(b, offset), b, offset + 2, end, &p, depth: depth)
    }

    static func pppProtocol(
        _ proto: UInt16, _ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ p: inout PacketLayers, depth: Int
    ) {
        switch proto {
        case 0x0021: ipv4(b, start, end, &p, depth: depth)
        case 0x0057: ipv6(b, start, end, &p, depth: depth)
        default: p.problem = .pppProtocolNotDecoded(proto)
        }
    }

    /// Radiotap: version, pad, length (little-endian), present words; the Flags field says
    /// whether the frame ends in a 4-byte FCS.
    static func radiotap(_ b: UnsafeRawBufferPointer, _ n: Int, _ p: inout PacketLayers) {
        guard n >= 8 else { return p.problem = .truncated(.radiotap) }
        let length = Int(b[2]) | Int(b[3]) << 8
        guard length >= 8, n >= length else { return p.problem = .badHeader(.radiotap) }
        let present = UInt32(b[4]) | UInt32(b[5]) << 8 | UInt32(b[6]) << 16 | UInt32(b[7]) << 24
        var offset = 8
        var word = present
        while word & 0x8000_0000 != 0 {
            guard offset + 4 <= length else { return p.problem = .badHeader(.radiotap) }
            word = UInt32(b[offset]) | UInt32(b[offset + 1]) << 8 | UInt32(b[offset + 2]) << 16 | UInt32(b[offset + 3]) << 24
            offset += 4
        }
        var end = n
        if present & 0x02 != 0 {
            if present & 0x01 != 0 {
                offset = (offset + 7) & ~7
                offset += 8
            }  // TSFT, 8-aligned
            if offset < length, b[offset] & 0x10 != 0 { end -= 4 }  // frame has an FCS
        }
        guard end > length else { return p.problem = .truncated(.wireless) }
        wireless(b, length, end, &p)
    }

    /// 802.11 data frames: header length from the frame control, LLC/SNAP payload.
    static func wireless(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ p: inout PacketLayers) {
        guard end - start >= 24 else { return p.problem = .truncated(.wireless) }
        let control = b[start]
        let flags = b[start + 1]
        let type = (control >> 2) & 0x03
        let subtype = control >> 4
        guard type == 2, subtype & 0x04 == 0 else { return p.problem = .wirelessNotData }
        guard flags & 0x40 == 0 else { return p.problem = .wirelessProtected }
        var header = 24
        if flags & 0x03 == 0x03 { header += 6 }
        if subtype & 0x08 != 0 {
            header += 2
            if flags & 0x80 != 0 { header += 4 }
        }
        guard end - start >= header else { return p.problem = .truncated(.wireless) }
        llc(b, start + header, end, &p, depth: 0)
    }

    static func ipByVersion(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ p: inout PacketLayers, depth: Int) {
        guard start < end else { return p.problem = .truncated(.ipv4) }
        switch b[start] >> 4 {
        case 4: ipv4(b, start, end, &p, depth: depth)
        case 6: ipv6(b, start, end, &p, depth: depth)
        default: p.problem = .ipVersionNotDecoded(b[start] >> 4)
        }
    }

    static func ipv4(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ p: inout PacketLayers, depth: Int) {
        guard end - start >= 20 else { return p.problem = .truncated(.ipv4) }
        guard b[start] >> 4 == 4 else { return p.problem = .notIPv4(version: b[start] >> 4) }
        let headerLength = Int(b[start] & 0x0F) * 4
        let totalLength = Int(be16(b, start + 2))
        guard headerLength >= 20, end - start >= headerLength else { return p.problem = .badHeader(.ipv4) }
        let flagsOffset = be16(b, start + 6)
        // Ethernet pads short frames: the total length bounds the payload, not the capture.
        // A total length of 0 (segmentation offload) means "as captured".
        let declared = totalLength >= headerLength ? totalLength : end - start
        p.hasNetwork = true
        p.source = IPAddress(v4: be32(b, start + 12))
        p.destination = IPAddress(v4: be32(b, start + 16))
        p.ipProtocol = b[start + 9]
        p.ipStart = start
        p.ipLength = declared
        p.ipPayloadStart = start + headerLength
        p.ipPayloadEnd = start + min(end - start, declared)
        p.ipPayloadDeclared = declared - headerLength
        p.fragmentOffset = Int(flagsOffset & 0x1FFF) * 8
        p.moreFragments = flagsOffset & 0x2000 != 0
        p.isFragment = p.moreFragments || p.fragmentOffset > 0
        p.fragmentID = UInt32(be16(b, start + 4))
        if p.isFragment { return }
        next(p.ipProtocol, b, p.ipPayloadStart, p.ipPayloadEnd, declared - headerLength, &p, depth: depth)
    }

    static func ipv6(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ p: inout PacketLayers, depth: Int) {
        guard end - start >= 40 else { return p.problem = .truncated(.ipv6) }
        guard b[start] >> 4 == 6 else { return p.problem = .notIPv6(version: b[start] >> 4) }
        let payloadLength = Int(be16(b, start + 4))
        var nextHeader = b[start + 6]
        p.hasNetwork = true
        p.source = IPAddress(v6: be128(b, start + 8))
        p.destination = IPAddress(v6: be128(b, start + 24))
        p.ipStart = start
        p.ipLength = 40 + payloadLength
        let payloadEnd = start + 40 + min(payloadLength, end - start - 40)
        var offset = start + 40
        var remainingDeclared = payloadLength
        p.isFragment = false
        // Extension headers: hop-by-hop, routing, fragment, destination options, AH.
        while nextHeader == 0 || nextHeader == 43 || nextHeader == 44 || nextHeader == 60 || nextHeader == 51 {
            guard payloadEnd - offset >= 8 else {
                p.ipProtocol = nextHeader
                return p.problem = .truncated(.ipv6Extension)
            }
            let length: Int
            if nextHeader == 44 {
                length = 8
                let field = be16(b, offset + 2)
                p.fragmentOffset = Int(field >> 3) * 8
                p.moreFragments = field & 0x01 != 0
                p.isFragment = p.fragmentOffset > 0 || p.moreFragments
                p.fragmentID = be32(b, offset + 4)
            } else if nextHeader == 51 {
                length = (Int(b[offset + 1]) + 2) * 4
            } else {
                length = (Int(b[offset + 1]) + 1) * 8
            }
            nextHeader = b[offset]
            guard payloadEnd - offset >= length else {
                p.ipProtocol = nextHeader
                return p.problem = .truncated(.ipv6Extension)
            }
            offset += length
            remainingDeclared -= length
        }
        p.ipProtocol = nextHeader
        p.ipPayloadStart = offset
        p.ipPayloadEnd = payloadEnd
        p.ipPayloadDeclared = max(0, remainingDeclared)
        // An atomic fragment (offset 0, no more fragments) is a whole packet.
        if p.isFragment { return }
        next(nextHeader, b, offset, payloadEnd, max(0, remainingDeclared), &p, depth: depth)
    }

    @inline(__always) static func be128(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt128 {
        var value: UInt128 = 0
        for i in 0..<16 { value = value << 8 | UInt128(b[o + i]) }
        return value
    }

    /// The IP payload: a tunnel (IP in IP, GRE) is followed to its inner packet, which then
    /// replaces the outer layers (the outer addresses are kept in ``PacketLayers/tunnel``).
    static func next(
        _ proto: UInt8, _ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ declared: Int, _ p: inout PacketLayers,
        depth: Int
    ) {
        switch proto {
        case 4, 41:
            guard depth < maximumTunnelDepth else { return p.problem = .tunnelTooDeep }
            let outer = TunnelLayer(kind: .ipInIP, source: p.source, destination: p.destination)
            var inner = PacketLayers()
            inner.vlan = p.vlan
            inner.vlanCount = p.vlanCount
            inner.tunnel = outer
            if proto == 4 { ipv4(b, start, end, &inner, depth: depth + 1) } else { ipv6(b, start, end, &inner, depth: depth + 1) }
            if inner.tunnel == nil { inner.tunnel = outer }
            p = inner
        case 47:
            guard depth < maximumTunnelDepth else { return p.problem = .tunnelTooDeep }
            gre(b, start, end, &p, depth: depth)
        default:
            transport(proto, b, start, end, declared, &p)
        }
    }

    /// GRE at `start`; `outer` is the tunnel to record (by default GRE between `p`'s addresses).
    static func gre(
        _ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ p: inout PacketLayers, depth: Int, outer: TunnelLayer? = nil
    ) {
        guard end - start >= 4 else { return p.problem = .truncated(.gre) }
        let flags = be16(b, start)
        let type = be16(b, start + 2)
        let version = flags & 0x0007
        var offset = start + 4
        if version == 0 {
            if flags & 0x8000 != 0 { offset += 4 }  // checksum and reserved
            if flags & 0x2000 != 0 { offset += 4 }  // key
            if flags & 0x1000 != 0 { offset += 4 }  // sequence number
        } else if version == 1 {
            offset += 4  // payload length and call id (the key of enhanced GRE)
            if flags & 0x1000 != 0 { offset += 4 }
            if flags & 0x0080 != 0 { offset += 4 }  // acknowledgement
        } else {
            return p.problem = .greNotDecoded(type)
        }
        guard offset <= end else { return p.problem = .truncated(.gre) }
        let outer = outer ?? TunnelLayer(kind: .gre, source: p.source, destination: p.destination)
        var inner = PacketLayers()
        inner.vlan = p.vlan
        inner.vlanCount = p.vlanCount
        switch type {
        case 0x0800: ipv4(b, offset, end, &inner, depth: depth + 1)
        case 0x86DD: ipv6(b, offset, end, &inner, depth: depth + 1)
        case 0x6558: ethernet(b, offset, end, &inner, depth: depth + 1)
        case 0x880B:
            // PPTP carries PPP; a payload-less GRE packet is an acknowledgement only.
            guard offset < end else { return p.problem = .greNotDecoded(type) }
            ppp(b, offset, end, &inner, depth: depth + 1)
        default:
            return p.problem = .greNotDecoded(type)
        }
        if inner.tunnel == nil { inner.tunnel = outer }
        p = inner
    }

    static func transport(
        _ proto: UInt8, _ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ declared: Int, _ p: inout PacketLayers
    ) {
        let captured = end - start
        switch proto {
        case 6:
            guard captured >= 20 else { return p.problem = .truncated(.tcp) }
            let headerLength = Int(b[start + 12] >> 4) * 4
            p.hasTransport = true
            p.sourcePort = be16(b, start)
            p.destinationPort = be16(b, start + 2)
            p.sequence = be32(b, start + 4)
            p.acknowledgement = be32(b, start + 8)
            p.tcpFlags = b[start + 13] & 0x3F
            p.window = be16(b, start + 14)
            guard headerLength >= 20, captured >= headerLength else {
                p.payloadStart = end
                p.payloadEnd = end
                p.payloadDeclared = max(0, declared - max(20, headerLength))
                return p.problem = .badHeader(.tcp)
            }
            p.payloadStart = start + headerLength
            p.payloadEnd = end
            p.payloadDeclared = max(0, declared - headerLength)
        case 17:
            guard captured >= 8 else { return p.problem = .truncated(.udp) }
            p.hasTransport = true
            p.sourcePort = be16(b, start)
            p.destinationPort = be16(b, start + 2)
            let udpLength = Int(be16(b, start + 4))
            p.payloadStart = start + 8
            p.payloadEnd = udpLength >= 8 ? min(end, start + udpLength) : end
            p.payloadDeclared = udpLength >= 8 ? udpLength - 8 : max(0, declared - 8)
        case 1, 58:
            guard captured >= 2 else { return p.problem = .truncated(.icmp) }
            p.hasTransport = true
            p.sourcePort = UInt16(b[start])
            p.destinationPort = UInt16(b[start + 1])
            p.payloadStart = min(end, start + 8)
            p.payloadEnd = end
            p.payloadDeclared = max(0, declared - 8)
        default:
            p.payloadStart = start
            p.payloadEnd = end
            p.payloadDeclared = declared
        }
    }
}
