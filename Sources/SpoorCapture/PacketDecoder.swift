import Foundation
import SpoorCore

/// What a captured packet carries, as far as it could be read: the link layer's VLAN tags, the
/// IP addresses and protocol, and the transport ports and flags. Decoding never reads past the
/// captured length and never traps on a damaged packet: it stops and says why.
public struct DecodedPacket: Sendable, Hashable {
    public struct Network: Sendable, Hashable {
        public var source: IPAddress
        public var destination: IPAddress
        /// IANA protocol number of the payload (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, …).
        public var protocolNumber: UInt8
        /// Bytes of IP payload the IP header declares (bounded by what was captured).
        public var payloadLength: Int
        /// Set on every fragment; only the first (offset 0) carries the transport header.
        public var isFragment: Bool
        public var fragmentOffset: Int
    }

    public struct Transport: Sendable, Hashable {
        /// Ports for TCP and UDP; ICMP type and code for ICMP, as Zeek counts them.
        public var sourcePort: UInt16
        public var destinationPort: UInt16
        /// TCP flags (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20), else 0.
        public var tcpFlags: UInt8
        public var sequence: UInt32
        public var acknowledgement: UInt32
    }

    public var vlans: [UInt16] = []
    public var network: Network?
    public var transport: Transport?
    /// The transport payload (application bytes) that was captured.
    public var payload: ArraySlice<UInt8> = []
    /// Why decoding stopped early, when it did (`truncated IPv4 header`, `link type 147 not decoded`).
    public var problem: String?
}

/// Decodes captured packets of the link types Spoor reads. Bytes are big-endian unless a layer
/// says otherwise. Reference: capture-notes.md §4.
public enum PacketDecoder {
    public enum LinkType {
        public static let null: Int32 = 0
        public static let ethernet: Int32 = 1
        public static let ppp: Int32 = 9
        public static let rawOpenBSD: Int32 = 12
        public static let rawAlternate: Int32 = 14
        public static let raw: Int32 = 101
        public static let cHDLC: Int32 = 104
        public static let loop: Int32 = 108
        public static let linuxSLL: Int32 = 113
        public static let ipv4: Int32 = 228
        public static let ipv6: Int32 = 229
        public static let linuxSLL2: Int32 = 276
    }

    public static func decode(_ bytes: [UInt8], linkType: Int32) -> DecodedPacket {
        var packet = DecodedPacket()
        let data = bytes[...]
        switch linkType {
        case LinkType.ethernet:
            ethernet(data, &packet)
        case LinkType.linuxSLL:
            guard data.count >= 16 else { return stop(&packet, "truncated Linux cooked header") }
            etherType(be16(data, 14), data.dropFirst(16), &packet)
        case LinkType.linuxSLL2:
            guard data.count >= 20 else { return stop(&packet, "truncated Linux cooked v2 header") }
            etherType(be16(data, 0), data.dropFirst(20), &packet)
        case LinkType.raw, LinkType.rawOpenBSD, LinkType.rawAlternate:
            ipByVersion(data, &packet)
        case LinkType.ipv4:
            ipv4(data, &packet)
        case LinkType.ipv6:
            ipv6(data, &packet)
        case LinkType.null, LinkType.loop:
            guard data.count >= 4 else { return stop(&packet, "truncated loopback header") }
            // The address family is in the capturing host's byte order (network order for LOOP).
            let little = UInt32(data[0]) | UInt32(data[1]) << 8 | UInt32(data[2]) << 16 | UInt32(data[3]) << 24
            let big = UInt32(data[0]) << 24 | UInt32(data[1]) << 16 | UInt32(data[2]) << 8 | UInt32(data[3])
            let family = linkType == LinkType.loop ? big : (little < 256 ? little : big)
            switch family {
            case 2: ipv4(data.dropFirst(4), &packet)
            case 24, 28, 30: ipv6(data.dropFirst(4), &packet)
            default: packet.problem = "loopback address family \(family) not decoded"
            }
        case LinkType.ppp:
            var rest = data
            if rest.count >= 2 && rest[rest.startIndex] == 0xFF && rest[rest.startIndex + 1] == 0x03 { rest = rest.dropFirst(2) }
            guard rest.count >= 2 else { return stop(&packet, "truncated PPP header") }
            pppProtocol(be16(rest, 0), rest.dropFirst(2), &packet)
        case LinkType.cHDLC:
            guard data.count >= 4 else { return stop(&packet, "truncated Cisco HDLC header") }
            etherType(be16(data, 2), data.dropFirst(4), &packet)
        default:
            packet.problem = "link type \(linkType) not decoded"
        }
        return packet
    }

    static func stop(_ packet: inout DecodedPacket, _ problem: String) -> DecodedPacket {
        packet.problem = problem
        return packet
    }

    static func be16(_ d: ArraySlice<UInt8>, _ offset: Int) -> UInt16 {
        UInt16(d[d.startIndex + offset]) << 8 | UInt16(d[d.startIndex + offset + 1])
    }

    static func be32(_ d: ArraySlice<UInt8>, _ offset: Int) -> UInt32 {
        UInt32(be16(d, offset)) << 16 | UInt32(be16(d, offset + 2))
    }

    static func ethernet(_ data: ArraySlice<UInt8>, _ packet: inout DecodedPacket) {
        guard data.count >= 14 else {
            packet.problem = "truncated Ethernet header"
            return
        }
        let type = be16(data, 12)
        var rest = data.dropFirst(14)
        if type < 0x0600 {
            // 802.3 length: LLC/SNAP carries an EtherType after `AA AA 03` and a 3-byte OUI.
            guard rest.count >= 8, rest[rest.startIndex] == 0xAA, rest[rest.startIndex + 1] == 0xAA,
                rest[rest.startIndex + 2] == 0x03
            else {
                packet.problem = "802.3 frame without SNAP not decoded"
                return
            }
            let snapType = be16(rest, 6)
            rest = rest.dropFirst(8)
            etherType(snapType, rest, &packet)
            return
        }
        etherType(type, rest, &packet)
    }

    static func etherType(_ type: UInt16, _ data: ArraySlice<UInt8>, _ packet: inout DecodedPacket) {
        var type = type
        var rest = data
        // VLAN tags, stacked (802.1Q, 802.1ad S-tag, the pre-standard 0x9100).
        while type == 0x8100 || type == 0x88A8 || type == 0x9100 {
            guard rest.count >= 4 else {
                packet.problem = "truncated VLAN tag"
                return
            }
            packet.vlans.append(be16(rest, 0) & 0x0FFF)
            type = be16(rest, 2)
            rest = rest.dropFirst(4)
        }
        switch type {
        case 0x0800: ipv4(rest, &packet)
        case 0x86DD: ipv6(rest, &packet)
        case 0x8847, 0x8848:
            // MPLS: labels until the bottom-of-stack bit, then IP by its version nibble.
            while true {
                guard rest.count >= 4 else {
                    packet.problem = "truncated MPLS label"
                    return
                }
                let bottom = rest[rest.startIndex + 2] & 0x01 == 1
                rest = rest.dropFirst(4)
                if bottom { break }
            }
            ipByVersion(rest, &packet)
        case 0x8864:
            guard rest.count >= 8 else {
                packet.problem = "truncated PPPoE header"
                return
            }
            pppProtocol(be16(rest, 6), rest.dropFirst(8), &packet)
        default:
            packet.problem = String(format: "EtherType 0x%04X not decoded", type)
        }
    }

    static func pppProtocol(_ proto: UInt16, _ data: ArraySlice<UInt8>, _ packet: inout DecodedPacket) {
        switch proto {
        case 0x0021: ipv4(data, &packet)
        case 0x0057: ipv6(data, &packet)
        default: packet.problem = String(format: "PPP protocol 0x%04X not decoded", proto)
        }
    }

    static func ipByVersion(_ data: ArraySlice<UInt8>, _ packet: inout DecodedPacket) {
        guard let first = data.first else {
            packet.problem = "empty IP packet"
            return
        }
        switch first >> 4 {
        case 4: ipv4(data, &packet)
        case 6: ipv6(data, &packet)
        default: packet.problem = "IP version \(first >> 4) not decoded"
        }
    }

    static func ipv4(_ data: ArraySlice<UInt8>, _ packet: inout DecodedPacket) {
        guard data.count >= 20 else {
            packet.problem = "truncated IPv4 header"
            return
        }
        guard data[data.startIndex] >> 4 == 4 else {
            packet.problem = "not an IPv4 header (version \(data[data.startIndex] >> 4))"
            return
        }
        let headerLength = Int(data[data.startIndex] & 0x0F) * 4
        let totalLength = Int(be16(data, 2))
        guard headerLength >= 20, data.count >= headerLength else {
            packet.problem = "bad IPv4 header length \(headerLength)"
            return
        }
        let flagsOffset = be16(data, 6)
        let offset = Int(flagsOffset & 0x1FFF) * 8
        let moreFragments = flagsOffset & 0x2000 != 0
        // Ethernet pads short frames: the IP total length bounds the payload, not the capture.
        let end = totalLength >= headerLength ? min(data.count, totalLength) : data.count
        let payload = data[(data.startIndex + headerLength)..<(data.startIndex + end)]
        packet.network = DecodedPacket.Network(
            source: IPAddress(v4: be32(data, 12)), destination: IPAddress(v4: be32(data, 16)),
            protocolNumber: data[data.startIndex + 9], payloadLength: max(0, totalLength - headerLength),
            isFragment: moreFragments || offset > 0, fragmentOffset: offset)
        if offset == 0 { transport(data[data.startIndex + 9], payload, &packet) }
    }

    static func ipv6(_ data: ArraySlice<UInt8>, _ packet: inout DecodedPacket) {
        guard data.count >= 40 else {
            packet.problem = "truncated IPv6 header"
            return
        }
        guard data[data.startIndex] >> 4 == 6 else {
            packet.problem = "not an IPv6 header (version \(data[data.startIndex] >> 4))"
            return
        }
        let payloadLength = Int(be16(data, 4))
        var next = data[data.startIndex + 6]
        let source = IPAddress(bytes: data[(data.startIndex + 8)..<(data.startIndex + 24)]) ?? IPAddress(v6: 0)
        let destination = IPAddress(bytes: data[(data.startIndex + 24)..<(data.startIndex + 40)]) ?? IPAddress(v6: 0)
        var rest = data[(data.startIndex + 40)..<(data.startIndex + 40 + min(payloadLength, data.count - 40))]
        var isFragment = false
        var fragmentOffset = 0
        // Extension headers: hop-by-hop, routing, fragment, destination options, AH.
        while [0, 43, 44, 60, 51].contains(next) {
            guard rest.count >= 8 else {
                packet.problem = "truncated IPv6 extension header"
                break
            }
            let length: Int
            if next == 44 {
                length = 8
                let field = be16(rest, 2)
                fragmentOffset = Int(field >> 3) * 8
                isFragment = true
            } else if next == 51 {
                length = (Int(rest[rest.startIndex + 1]) + 2) * 4
            } else {
                length = (Int(rest[rest.startIndex + 1]) + 1) * 8
            }
            next = rest[rest.startIndex]
            guard rest.count >= length else {
                packet.problem = "truncated IPv6 extension header"
                rest = rest.suffix(0)
                break
            }
            rest = rest.dropFirst(length)
        }
        packet.network = DecodedPacket.Network(
            source: source, destination: destination, protocolNumber: next, payloadLength: rest.count,
            isFragment: isFragment, fragmentOffset: fragmentOffset)
        if packet.problem == nil && fragmentOffset == 0 { transport(next, rest, &packet) }
    }

    static func transport(_ proto: UInt8, _ data: ArraySlice<UInt8>, _ packet: inout DecodedPacket) {
        switch proto {
        case 6:
            guard data.count >= 20 else {
                packet.problem = "truncated TCP header"
                return
            }
            let headerLength = Int(data[data.startIndex + 12] >> 4) * 4
            packet.transport = DecodedPacket.Transport(
                sourcePort: be16(data, 0), destinationPort: be16(data, 2), tcpFlags: data[data.startIndex + 13] & 0x3F,
                sequence: be32(data, 4), acknowledgement: be32(data, 8))
            guard headerLength >= 20, data.count >= headerLength else {
                packet.problem = "bad or truncated TCP header length \(headerLength)"
                return
            }
            packet.payload = data.dropFirst(headerLength)
        case 17:
            guard data.count >= 8 else {
                packet.problem = "truncated UDP header"
                return
            }
            packet.transport = DecodedPacket.Transport(
                sourcePort: be16(data, 0), destinationPort: be16(data, 2), tcpFlags: 0, sequence: 0, acknowledgement: 0)
            packet.payload = data.dropFirst(8)
        case 1, 58:
            guard data.count >= 2 else {
                packet.problem = "truncated ICMP header"
                return
            }
            packet.transport = DecodedPacket.Transport(
                sourcePort: UInt16(data[data.startIndex]), destinationPort: UInt16(data[data.startIndex + 1]), tcpFlags: 0,
                sequence: 0, acknowledgement: 0)
            packet.payload = data.dropFirst(min(data.count, 8))
        default:
            packet.payload = data
        }
    }
}
