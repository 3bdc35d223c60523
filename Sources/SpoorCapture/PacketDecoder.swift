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

    /// The outermost VLAN id, when tagged.
    public var vlans: [UInt16] = []
    public var network: Network?
    public var transport: Transport?
    /// The transport payload (application bytes) that was captured.
    public var payload: ArraySlice<UInt8> = []
    /// The tunnel the packet came through (IP in IP, GRE), with the outer addresses.
    public var tunnel: TunnelLayer?
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
        public static let ieee80211: Int32 = 105
        public static let radiotap: Int32 = 127
    }

    /// Decodes one packet's bytes into values (for tests and tools; the capture analyzer uses
    /// ``Dissector`` on libpcap's buffer directly).
    public static func decode(_ bytes: [UInt8], linkType: Int32) -> DecodedPacket {
        var layers = PacketLayers()
        bytes.withUnsafeBytes { Dissector.dissect($0, linkType: linkType, into: &layers) }
        var packet = DecodedPacket()
        if layers.vlanCount > 0 { packet.vlans = [layers.vlan] }
        if layers.hasNetwork {
            packet.network = DecodedPacket.Network(
                source: layers.source, destination: layers.destination, protocolNumber: layers.ipProtocol,
                payloadLength: layers.ipPayloadEnd - layers.ipPayloadStart, isFragment: layers.isFragment,
                fragmentOffset: layers.fragmentOffset)
        }
        if layers.hasTransport {
            packet.transport = DecodedPacket.Transport(
                sourcePort: layers.sourcePort, destinationPort: layers.destinationPort, tcpFlags: layers.tcpFlags,
                sequence: layers.sequence, acknowledgement: layers.acknowledgement)
            packet.payload = bytes[layers.payloadStart..<max(layers.payloadStart, layers.payloadEnd)]
        }
        packet.tunnel = layers.tunnel
        packet.problem = layers.problem?.description
        return packet
    }
}
