import SpoorCore

/// A flow's identity: both ends in a fixed order, so that either direction finds it.
struct FlowKey: Hashable {
    var low: UInt128
    var high: UInt128
    var ports: UInt32
    var proto: UInt8
    var isV6: Bool
    /// A one-way ICMP message keeps its direction, so it cannot meet its reverse.
    var oneWay: Bool

    /// One 64-bit mix of the fields, so the hasher digests 8 bytes rather than 40.
    func hash(into hasher: inout Hasher) {
        var x = UInt64(truncatingIfNeeded: low) ^ UInt64(truncatingIfNeeded: low >> 64) &* 0x9E37_79B9_7F4A_7C15
        x ^= (UInt64(truncatingIfNeeded: high) ^ UInt64(truncatingIfNeeded: high >> 64)) &* 0xC2B2_AE3D_27D4_EB4F
        x ^= (UInt64(ports) << 8 | UInt64(proto)) &* 0x1656_67B1_9E37_79F9
        hasher.combine(x)
    }

    init(source: IPAddress, sourcePort: UInt16, destination: IPAddress, destinationPort: UInt16, proto: UInt8, oneWay: Bool) {
        self.proto = proto
        self.oneWay = oneWay
        isV6 = source.family == .v6
        if oneWay || (source.value, sourcePort) <= (destination.value, destinationPort) {
            low = source.value
            high = destination.value
            ports = UInt32(sourcePort) << 16 | UInt32(destinationPort)
        } else {
            low = destination.value
            high = source.value
            ports = UInt32(destinationPort) << 16 | UInt32(sourcePort)
        }
    }
}

/// A flow being tracked.
final class FlowState {
    let id: Int
    let proto: UInt8
    var originatorAddress: IPAddress
    var originatorPort: UInt16
    var responderAddress: IPAddress
    var responderPort: UInt16
    var originator = Endpoint(isOriginator: true)
    var responder = Endpoint(isOriginator: false)
    var firstTime: Int64
    var lastTime: Int64
    var lastPacket: Int
    var firstOffset: Int64 = -1
    var history: [UInt8] = []
    var historySeen: UInt32 = 0
    var isPartial = false
    var missedBytes = 0
    var vlan: UInt16?
    var tunnel: TunnelLayer?
    var tunnelParent: Int?
    var services: [String] = []
    var names: [String] = []
    /// Name extraction state for each direction (nil once nothing more is looked for).
    var originatorStream: StreamWatcher?
    var responderStream: StreamWatcher?
    var originatorWatched = false
    var responderWatched = false
    /// The client's QUIC Initial packets, gathered until their ClientHello is read.
    var quic: QUICHelloCollector?
    var quicWatched = false

    init(
        id: Int, proto: UInt8, source: IPAddress, sourcePort: UInt16, destination: IPAddress, destinationPort: UInt16, time: Int64
    ) {
        self.id = id
        self.proto = proto
        originatorAddress = source
        originatorPort = sourcePort
        responderAddress = destination
        responderPort = destinationPort
        firstTime = time
        lastTime = time
        lastPacket = id
    }

    /// A fixed order for flows ending together: by first packet, a tunnel's carrier before the
    /// flow it carries.
    func precedes(_ other: FlowState) -> Bool {
        (id, tunnelParent ?? -1, tunnel == nil ? 0 : 1) < (other.id, other.tunnelParent ?? -1, other.tunnel == nil ? 0 : 1)
    }

    /// Swaps originator and responder; the history records it with `^`.
    func flipRoles() {
        swap(&originatorAddress, &responderAddress)
        swap(&originatorPort, &responderPort)
        swap(&originator, &responder)
        originator.isOriginator = true
        responder.isOriginator = false
        swap(&originatorStream, &responderStream)
        swap(&originatorWatched, &responderWatched)
        history.append(UInt8(ascii: "^"))
    }

    func addService(_ service: String) {
        if !services.contains(service) { services.append(service) }
    }

    func addName(_ name: String) {
        if !names.contains(name) && names.count < 32 { names.append(name) }
    }

    var isClosed: Bool {
        guard proto == 6 else { return false }
        let o = originator.state
        let r = responder.state
        // Either side reset, or the originator closed and the responder closed or never spoke.
        return o == .reset || r == .reset || (o == .closed && (r == .closed || r == .inactive))
    }

    func flow(ended: String) -> Flow {
        let duration = lastTime - firstTime
        var originatorBytes: Int?
        var responderBytes: Int?
        if duration > 0 {
            if proto == 6 {
                originatorBytes = originator.tcpSize
                responderBytes = responder.tcpSize
            } else {
                originatorBytes = max(0, originator.payloadBytes)
                responderBytes = max(0, responder.payloadBytes)
            }
        }
        let state: String
        switch proto {
        case 6: state = tcpConnState
        case 17:
            let o = originator.payloadBytes >= 0
            let r = responder.payloadBytes >= 0
            state = o ? (r ? "SF" : "S0") : (r ? "SHR" : "OTH")
        default: state = "OTH"
        }
        let icmp = proto == 1 || proto == 58
        return Flow(
            id: id, protocolNumber: proto, originator: originatorAddress, originatorPort: originatorPort,
            responder: responderAddress, responderPort: responderPort, firstTime: firstTime, lastTime: lastTime,
            firstPacket: id, firstPacketOffset: firstOffset, lastPacket: lastPacket, originatorPackets: originator.packets,
            responderPackets: responder.packets, originatorIPBytes: originator.ipBytes, responderIPBytes: responder.ipBytes,
            originatorBytes: originatorBytes, responderBytes: responderBytes, missedBytes: missedBytes, state: state,
            history: String(decoding: history, as: UTF8.self),
            communityID: CommunityID.v1(
                source: originatorAddress, destination: responderAddress, protocolNumber: proto,
                sourcePort: originatorPort, destinationPort: icmp ? originatorCode : responderPort),
            services: services, names: names, vlan: vlan, tunnel: tunnel?.kind, tunnelSource: tunnel?.source,
            tunnelDestination: tunnel?.destination, tunnelParent: tunnelParent, ended: ended)
    }

    /// ICMP: the code of the first message, for the Community ID (which maps the counterpart itself).
    var originatorCode: UInt16 = 0
}

/// Ports Zeek's default scripts register for their analyzers ("likely server ports"): a flow
/// first seen from one of these to a port that is not one is turned round, as Zeek does.
enum LikelyServerPorts {
    static let tcp: Set<UInt16> = [
        21, 22, 25, 53, 79, 80, 81, 88, 135, 139, 143, 389, 443, 445, 465, 502, 514, 563, 585, 587, 614, 631, 636, 989,
        990, 992, 993, 995, 1080, 1434, 1883, 2811, 3128, 3268, 3306, 3389, 5222, 5223, 5269, 5432, 6379, 6666, 6667,
        6668, 6669, 8000, 8080, 8888, 20000,
    ]
    static let udp: Set<UInt16> = [
        53, 67, 88, 123, 137, 161, 162, 389, 443, 514, 1812, 2123, 2152, 3389, 3544, 4011, 4754, 4789, 5060, 5072, 5353,
        5355, 6081, 20000,
    ]

    static func contains(_ port: UInt16, proto: UInt8) -> Bool {
        proto == 6 ? tcp.contains(port) : udp.contains(port)
    }
}

/// Counterpart ICMP message types (echo request ↔ reply, …); other types are one-way.
enum ICMPTypes {
    static func counterpart(_ type: UInt16, code: UInt16, v6: Bool) -> (UInt16, oneWay: Bool) {
        let pairs = v6 ? CommunityID.icmp6Pairs : CommunityID.icmpPairs
        if let other = pairs[type] { return (other, false) }
        return (code, true)
    }
}
