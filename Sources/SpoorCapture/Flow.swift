import SpoorCore

/// A bidirectional flow as Spoor reports it: Zeek's conn.log columns, the Community ID, and
/// where in the capture it begins and ends.
public struct Flow: Sendable, Hashable, Codable {
    /// The number of the flow's first packet in the capture: the flow's locator. A tunnel and
    /// the flow it carries can share it (``tunnelParent`` then names the carrier).
    public var id: Int
    public var protocolNumber: UInt8
    public var originator: IPAddress
    public var originatorPort: UInt16
    public var responder: IPAddress
    public var responderPort: UInt16
    /// Nanoseconds since 1970.
    public var firstTime: Int64
    public var lastTime: Int64
    public var firstPacket: Int
    /// The byte offset of the first packet's record in the capture file.
    public var firstPacketOffset: Int64
    public var lastPacket: Int
    public var originatorPackets: Int
    public var responderPackets: Int
    /// Bytes of IP (header and payload) each way, as declared by the IP headers.
    public var originatorIPBytes: Int
    public var responderIPBytes: Int
    /// Payload bytes each way (TCP: from sequence numbers); nil for a flow of no duration, as Zeek.
    public var originatorBytes: Int?
    public var responderBytes: Int?
    /// Bytes Zeek would call missed: acknowledged by the peer but never seen.
    public var missedBytes: Int
    /// Zeek's `conn_state` (`SF`, `S0`, `REJ`, `RSTO`, `OTH`, …) and `history` letters.
    public var state: String
    public var history: String
    public var communityID: String
    /// The application protocols recognised in the flow (`dns`, `http`, `ssl`).
    public var services: [String]
    /// TLS server names and HTTP hosts the originator asked for, in order, each once.
    public var names: [String]
    public var vlan: UInt16?
    /// The tunnel the flow travelled in, and for a UDP tunnel the id of the carrying flow.
    public var tunnel: TunnelLayer.Kind?
    public var tunnelSource: IPAddress?
    public var tunnelDestination: IPAddress?
    public var tunnelParent: Int?
    /// Why the flow ended: `closed`, `inactivity timeout`, `end of capture`.
    public var ended: String

    /// The IANA protocol name: `tcp`, `udp`, `icmp` (Zeek's word for ICMPv6 too), or the number.
    public init(
        id: Int, protocolNumber: UInt8, originator: IPAddress, originatorPort: UInt16, responder: IPAddress,
        responderPort: UInt16,
        firstTime: Int64, lastTime: Int64, firstPacket: Int, firstPacketOffset: Int64, lastPacket: Int, originatorPackets: Int,
        responderPackets: Int, originatorIPBytes: Int, responderIPBytes: Int, originatorBytes: Int?, responderBytes: Int?,
        missedBytes: Int, state: String, history: String, communityID: String, services: [String], names: [String], vlan: UInt16?,
        tunnel: TunnelLayer.Kind?, tunnelSource: IPAddress?, tunnelDestination: IPAddress?, tunnelParent: Int?, ended: String
    ) {
        self.id = id
        self.protocolNumber = protocolNumber
        self.originator = originator
        self.originatorPort = originatorPort
        self.responder = responder
        self.responderPort = responderPort
        self.firstTime = firstTime
        self.lastTime = lastTime
        self.firstPacket = firstPacket
        self.firstPacketOffset = firstPacketOffset
        self.lastPacket = lastPacket
        self.originatorPackets = originatorPackets
        self.responderPackets = responderPackets
        self.originatorIPBytes = originatorIPBytes
        self.responderIPBytes = responderIPBytes
        self.originatorBytes = originatorBytes
        self.responderBytes = responderBytes
        self.missedBytes = missedBytes
        self.state = state
        self.history = history
        self.communityID = communityID
        self.services = services
        self.names = names
        self.vlan = vlan
        self.tunnel = tunnel
        self.tunnelSource = tunnelSource
        self.tunnelDestination = tunnelDestination
        self.tunnelParent = tunnelParent
        self.ended = ended
    }

    public var protocolName: String { Self.protocolName(protocolNumber) }

    /// `tcp`, `udp`, `icmp` (for ICMP and ICMPv6), else the number.
    public static func protocolName(_ protocolNumber: UInt8) -> String {
        switch protocolNumber {
        case 6: return "tcp"
        case 17: return "udp"
        case 1, 58: return "icmp"
        default: return String(protocolNumber)
        }
    }

    public var duration: Int64 { lastTime - firstTime }

    /// The flow as JSON with the keys of its `Codable` form (what the case store keeps), written
    /// directly: a capture's flows are many, and a general encoder costs more than reading them.
    public var jsonDocument: String {
        func q(_ text: String) -> String { JSONText.quote(text) }
        var parts: [String] = [
            "\"id\":\(id)", "\"protocolNumber\":\(protocolNumber)", "\"originator\":\(q(originator.description))",
            "\"originatorPort\":\(originatorPort)", "\"responder\":\(q(responder.description))",
            "\"responderPort\":\(responderPort)", "\"firstTime\":\(firstTime)", "\"lastTime\":\(lastTime)",
            "\"firstPacket\":\(firstPacket)", "\"firstPacketOffset\":\(firstPacketOffset)", "\"lastPacket\":\(lastPacket)",
            "\"originatorPackets\":\(originatorPackets)", "\"responderPackets\":\(responderPackets)",
            "\"originatorIPBytes\":\(originatorIPBytes)", "\"responderIPBytes\":\(responderIPBytes)",
            "\"missedBytes\":\(missedBytes)", "\"state\":\(q(state))", "\"history\":\(q(history))",
            "\"communityID\":\(q(communityID))", "\"services\":[\(services.map(q).joined(separator: ","))]",
            "\"names\":[\(names.map(q).joined(separator: ","))]", "\"ended\":\(q(ended))",
        ]
        if let originatorBytes { parts.append("\"originatorBytes\":\(originatorBytes)") }
        if let responderBytes { parts.append("\"responderBytes\":\(responderBytes)") }
        if let vlan { parts.append("\"vlan\":\(vlan)") }
        if let tunnel { parts.append("\"tunnel\":\(q(tunnel.rawValue))") }
        if let tunnelSource { parts.append("\"tunnelSource\":\(q(tunnelSource.description))") }
        if let tunnelDestination { parts.append("\"tunnelDestination\":\(q(tunnelDestination.description))") }
        if let tunnelParent { parts.append("\"tunnelParent\":\(tunnelParent)") }
        return "{" + parts.joined(separator: ",") + "}"
    }
}

/// What a flow's packets said about names: a DNS answer, a TLS server name, an HTTP host.
public struct NameRecord: Sendable, Hashable, Codable {
    public typealias Kind = NameKind

    public var kind: Kind
    /// Lower case, as sent (no trailing dot).
    public var name: String
    /// For DNS: the address answered; for TLS and HTTP: the server the client reached.
    public var address: IPAddress?
    /// For a CNAME answer: the canonical name.
    public var target: String?
    /// For DNS: the record type (`A`, `AAAA`, `CNAME`), its TTL, and the question asked.
    public var recordType: String?
    public var ttl: UInt32?
    public var query: String?
    /// The HTTP method (`GET`, `CONNECT`) for HTTP hosts.
    public var method: String?
    public var packet: Int
    /// The byte offset of the packet's record in the capture file.
    public var packetOffset: Int64
    public var time: Int64
    /// The flow the name was seen in, and its two ends.
    public var flowID: Int
    public var client: IPAddress
    public var clientPort: UInt16
    public var server: IPAddress
    public var serverPort: UInt16
}
