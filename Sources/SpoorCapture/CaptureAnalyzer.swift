import SpoorCore

/// Reads a capture once and turns it into flows and names: each packet is dissected in
/// libpcap's buffer, fragments are reassembled, tunnels are followed, flows are tracked with
/// Zeek's states and timeouts, and DNS, TLS and HTTP payloads give names. Flows are handed
/// over as they end, so memory follows the number of flows open at once, not the file's size.
public final class CaptureAnalyzer {
    public struct Options: Sendable {
        /// Inactivity timeouts in seconds (Zeek's defaults: TCP 5 min, UDP and ICMP 1 min).
        public var tcpTimeout: Int64 = 300
        public var udpTimeout: Int64 = 60
        public var icmpTimeout: Int64 = 60
        /// How long a closed or reset TCP flow is kept for its last packets.
        public var closeDelay: Int64 = 5
        public var extractNames = true
        public init() {}
    }

    /// What reading the capture found besides flows.
    public struct Summary: Sendable {
        public var linkType = ""
        public var packets = 0
        /// Packets whose IP layer was read.
        public var withIP = 0
        /// Packets not read to their IP layer, by reason, with the first packet of each.
        public var undecoded: [String: (count: Int, firstPacket: Int)] = [:]
        /// Packets captured shorter than they were on the wire.
        public var snapped = 0
        public var fragments = 0
        public var reassembled = 0
        public var fragmentsUnfinished = 0
        public var flows = 0
        public var names = 0
        /// libpcap's error when the file is damaged: the packets before it were analysed.
        public var error: PcapError?
        /// When libpcap refused a multi-interface pcapng part-way: its words and the packet it
        /// stopped at; Spoor's own pcapng reader read the rest (``PcapngReader``).
        public var libpcapRefusal: PcapError?
        /// Link types of the interfaces whose packets were read, when there were several.
        public var otherLinkTypes: Set<Int32> = []

        public var undecodedCount: Int { undecoded.values.reduce(0) { $0 + $1.count } }
    }

    let options: Options
    let onFlow: (Flow) -> Void
    let onName: (NameRecord) -> Void
    var flows: [FlowKey: FlowState] = [:]
    var lastKey = FlowKey(
        source: IPAddress(v4: 0), sourcePort: 0, destination: IPAddress(v4: 0), destinationPort: 0, proto: 0, oneWay: false)
    var lastFlow: FlowState?
    var summary = Summary()
    var lastSweep: Int64 = 0
    var sinceSweep = 0
    var fragments = FragmentReassembler()
    var undecoded: [DecodeProblem: (count: Int, firstPacket: Int)] = [:]

    public init(options: Options = Options(), onFlow: @escaping (Flow) -> Void, onName: @escaping (NameRecord) -> Void) {
        self.options = options
        self.onFlow = onFlow
        self.onName = onName
    }

    /// Reads every packet of the capture; flows still open at the end are handed over then.
    public func analyze(_ capture: CaptureFile) -> Summary {
        let linkType = capture.linkType
        summary.linkType = capture.linkTypeName
        do {
            try capture.forEachPacket { header, bytes in
                packet(header, bytes, linkType: linkType)
                return true
            }
        } catch {
            if PcapngReader.lifts(error) && capture.path != "-" {
                // libpcap keeps one link type and snapshot length per handle; Spoor's reader
                // goes on from the packet where libpcap stopped.
                summary.libpcapRefusal = error
                do {
                    try PcapngReader.forEachPacket(path: capture.path, skipping: capture.packetsRead) { header, type, bytes in
                        if type != linkType { summary.otherLinkTypes.insert(type) }
                        packet(header, bytes, linkType: type)
                    }
                } catch let fallback {
                    summary.error = fallback
                }
            } else {
                summary.error = error
            }
        }
        finishAll()
        return summary
    }

    func packet(_ header: PacketHeader, _ bytes: UnsafeRawBufferPointer, linkType: Int32) {
        summary.packets += 1
        if header.originalLength > bytes.count { summary.snapped += 1 }
        var layers = PacketLayers()
        Dissector.dissect(bytes, linkType: linkType, into: &layers)
        let time = header.time
        // Timeouts are checked at most once a second of capture time and every 4,096 packets
        // (or after 30 seconds of capture time with fewer), so the check costs little.
        sinceSweep += 1
        if (sinceSweep >= 4096 && time - lastSweep >= 1_000_000_000) || time - lastSweep >= 30_000_000_000 || time < lastSweep {
            if summary.packets > 1 { sweep(now: time) }
            lastSweep = time
            sinceSweep = 0
        }
        guard layers.hasNetwork else {
            note(layers.problem ?? .linkTypeNotDecoded(linkType), header.number)
            return
        }
        summary.withIP += 1
        if layers.isFragment {
            summary.fragments += 1
            guard let whole = fragments.add(layers, bytes, time: time) else { return }
            summary.reassembled += 1
            whole.payload.withUnsafeBytes { payload in
                var inner = layers
                inner.isFragment = false
                inner.ipLength = whole.headerLength + whole.payload.count
                inner.ipPayloadStart = 0
                inner.ipPayloadEnd = payload.count
                inner.ipPayloadDeclared = payload.count
                Dissector.next(inner.ipProtocol, payload, 0, payload.count, payload.count, &inner, depth: 0)
                transportPacket(inner, payload, header)
            }
            return
        }
        transportPacket(layers, bytes, header)
    }

    func note(_ problem: DecodeProblem, _ number: Int) {
        if let known = undecoded[problem] {
            undecoded[problem] = (known.count + 1, known.firstPacket)
        } else {
            undecoded[problem] = (1, number)
        }
    }

    func transportPacket(_ layers: PacketLayers, _ bytes: UnsafeRawBufferPointer, _ header: PacketHeader, parent: Int? = nil) {
        guard layers.hasTransport else {
            if let problem = layers.problem { note(problem, header.number) }
            return
        }
        guard let flow = track(layers, bytes, header, parent: parent) else { return }
        if let kind = Dissector.udpTunnel(layers, bytes), parent == nil {
            var inner = PacketLayers()
            inner.vlan = layers.vlan
            inner.vlanCount = layers.vlanCount
            Dissector.dissectUDPTunnel(bytes, kind, outer: layers, into: &inner)
            flow.addService(kind.service)
            if inner.hasNetwork && !inner.isFragment {
                transportPacket(inner, bytes, header, parent: flow.id)
            } else if let problem = inner.problem {
                note(problem, header.number)
            }
        }
    }

    /// Finds or starts the packet's flow and counts the packet in it.
    func track(_ p: PacketLayers, _ bytes: UnsafeRawBufferPointer, _ header: PacketHeader, parent: Int?) -> FlowState? {
        let proto = p.ipProtocol
        var sourcePort = p.sourcePort
        var destinationPort = p.destinationPort
        var oneWay = false
        let icmp = proto == 1 || proto == 58
        if icmp {
            let (counterpart, isOneWay) = ICMPTypes.counterpart(p.sourcePort, code: p.destinationPort, v6: proto == 58)
            sourcePort = p.sourcePort
            destinationPort = counterpart
            oneWay = isOneWay
        } else if proto != 6 && proto != 17 {
            return nil
        }
        let key = FlowKey(
            source: p.source, sourcePort: sourcePort, destination: p.destination, destinationPort: destinationPort,
            proto: proto, oneWay: oneWay)
        let time = header.time
        var flow: FlowState
        // Packets of one flow often follow each other: the last flow found is tried first.
        let cached = lastFlow.flatMap { lastKey == key ? $0 : nil }
        if let existing = cached ?? flows[key] {
            flow = existing
            if proto == 6 && p.tcpFlags & 0x12 == 0x02 && flow.isClosed && startsAgain(flow, p) {
                finish(flow, key: key, ended: "closed")
                flow = start(key, p, sourcePort, destinationPort, header, parent: parent)
            }
        } else {
            flow = start(key, p, sourcePort, destinationPort, header, parent: parent)
        }
        lastKey = key
        lastFlow = flow
        let isOriginator =
            p.source == flow.originatorAddress && sourcePort == flow.originatorPort
            && (p.destination == flow.responderAddress || oneWay)
        let endpoint = isOriginator ? flow.originator : flow.responder
        endpoint.packets += 1
        endpoint.ipBytes += p.ipLength
        flow.lastTime = max(flow.lastTime, time)
        flow.lastPacket = header.number
        let payloadLength = p.payloadEnd - p.payloadStart
        switch proto {
        case 6:
            flow.processTCP(
                isOriginator: isOriginator, flags: TCPFlags(bits: p.tcpFlags), seq: p.sequence, ack: p.acknowledgement,
                length: p.payloadDeclared, captured: payloadLength, window: p.window)
            if options.extractNames && payloadLength > 0 && p.tcpFlags & 0x04 == 0 {
                tcpNames(flow, isOriginator: isOriginator, p, bytes, header)
            }
        case 17:
            endpoint.payloadBytes = max(0, endpoint.payloadBytes) + p.payloadDeclared
            flow.checkHistory(endpoint, .data, UInt8(ascii: "D"))
            if options.extractNames && payloadLength > 0 && Self.isDNSPort(p.sourcePort, p.destinationPort) {
                let payload = UnsafeRawBufferPointer(rebasing: bytes[p.payloadStart..<p.payloadEnd])
                if let message = DNSMessage.parse(payload) { dns(message, flow, header) }
            } else if options.extractNames && isOriginator && payloadLength >= 7 {
                quicNames(flow, UnsafeRawBufferPointer(rebasing: bytes[p.payloadStart..<p.payloadEnd]), header)
            }
        default:
            endpoint.payloadBytes = max(0, endpoint.payloadBytes) + p.payloadDeclared
        }
        return flow
    }

    func start(
        _ key: FlowKey, _ p: PacketLayers, _ sourcePort: UInt16, _ destinationPort: UInt16, _ header: PacketHeader,
        parent: Int?
    ) -> FlowState {
        let flow = FlowState(
            id: header.number, proto: p.ipProtocol, source: p.source, sourcePort: sourcePort, destination: p.destination,
            destinationPort: destinationPort, time: header.time)
        flow.originatorCode = p.destinationPort
        flow.firstOffset = header.offset
        if p.vlanCount > 0 { flow.vlan = p.vlan }
        flow.tunnel = p.tunnel
        flow.tunnelParent = parent
        // Zeek's guess of the true responder for a flow seen mid-way or from the server's side.
        var flip = false
        if p.ipProtocol == 6 {
            let syn = p.tcpFlags & 0x02 != 0
            let ack = p.tcpFlags & 0x10 != 0
            if (!syn || ack) && LikelyServerPorts.contains(sourcePort, proto: 6) {
                flip = LikelyServerPorts.contains(destinationPort, proto: 6) ? (!syn && sourcePort < destinationPort) : true
            }
        } else if p.ipProtocol == 17 {
            flip = LikelyServerPorts.contains(sourcePort, proto: 17) && !LikelyServerPorts.contains(destinationPort, proto: 17)
        }
        if flip && p.destination != IPAddress(v4: 0xFFFF_FFFF) { flow.flipRoles() }
        flows[key] = flow
        return flow
    }

    /// A SYN on a finished flow with a new initial sequence number begins a new flow.
    func startsAgain(_ flow: FlowState, _ p: PacketLayers) -> Bool {
        let endpoint =
            p.source == flow.originatorAddress && p.sourcePort == flow.originatorPort ? flow.originator : flow.responder
        return UInt32(truncatingIfNeeded: endpoint.startSeq) != p.sequence
    }

    static func isDNSPort(_ a: UInt16, _ b: UInt16) -> Bool {
        a == 53 || b == 53 || a == 5353 || b == 5353 || a == 5355 || b == 5355
    }

    func tcpNames(
        _ flow: FlowState, isOriginator: Bool, _ p: PacketLayers, _ bytes: UnsafeRawBufferPointer, _ header: PacketHeader
    ) {
        let dnsFlow = Self.isDNSPort(flow.originatorPort, flow.responderPort)
        let endpoint = isOriginator ? flow.originator : flow.responder
        var watcher = isOriginator ? flow.originatorStream : flow.responderStream
        if watcher == nil {
            guard !(isOriginator ? flow.originatorWatched : flow.responderWatched) else { return }
            watcher = StreamWatcher(purpose: dnsFlow ? .dns : isOriginator ? .client : .server)
            if isOriginator {
                flow.originatorStream = watcher
                flow.originatorWatched = true
            } else {
                flow.responderStream = watcher
                flow.responderWatched = true
            }
        }
        guard let watcher else { return }
        var relative = Endpoint.unwrap(p.sequence, near: endpoint.lastSeq) - endpoint.startSeq
        if p.tcpFlags & 0x02 != 0 { relative += 1 }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[p.payloadStart..<p.payloadEnd])
        watcher.segment(at: relative, payload) { event in
            switch event {
            case .serverName(let name):
                flow.addService("ssl")
                if let name, !name.isEmpty { self.emitName(flow, .tlsServerName, name, nil, header) }
            case .certificateNames(let names):
                flow.addService("ssl")
                for name in names { self.emitName(flow, .tlsCertificateName, name, nil, header) }
            case .http(let request):
                flow.addService("http")
                if let host = request.host { self.emitName(flow, .httpHost, host, request.method, header) }
            case .dns(let message):
                self.dns(message, flow, header)
            }
        }
        if watcher.isDone {
            if isOriginator { flow.originatorStream = nil } else { flow.responderStream = nil }
        }
    }

    /// A client's QUIC Initial packets: the server name of the ClientHello they carry.
    func quicNames(_ flow: FlowState, _ payload: UnsafeRawBufferPointer, _ header: PacketHeader) {
        // A QUIC client's first datagram is an Initial: a flow that does not start with one is
        // not looked at again.
        if flow.quic == nil {
            guard !flow.quicWatched else { return }
            flow.quicWatched = true
            guard QUICInitial.longHeader(payload) != nil else { return }
            flow.quic = QUICHelloCollector()
        }
        guard let collector = flow.quic else { return }
        if case .serverName(let name) = collector.datagram(payload) {
            flow.addService("quic")
            if let name, !name.isEmpty { emitName(flow, .quicServerName, name, nil, header) }
        }
        if collector.isDone { flow.quic = nil }
    }

    func emitName(_ flow: FlowState, _ kind: NameRecord.Kind, _ name: String, _ method: String?, _ header: PacketHeader) {
        flow.addName(name)
        summary.names += 1
        onName(
            NameRecord(
                kind: kind, name: name, address: flow.responderAddress, target: nil, recordType: nil, ttl: nil, query: nil,
                method: method, packet: header.number, packetOffset: header.offset, time: header.time, flowID: flow.id,
                client: flow.originatorAddress, clientPort: flow.originatorPort,
                server: flow.responderAddress, serverPort: flow.responderPort))
    }

    func dns(_ message: DNSMessage.Parsed, _ flow: FlowState, _ header: PacketHeader) {
        flow.addService("dns")
        guard message.isResponse else { return }
        for answer in message.answers {
            summary.names += 1
            // A PTR answer names its address by the name it points to.
            let ptr = answer.type == 12
            onName(
                NameRecord(
                    kind: .dnsAnswer, name: ptr ? answer.target ?? answer.name : answer.name, address: answer.address,
                    target: ptr ? nil : answer.target,
                    recordType: DNSMessage.typeName(answer.type), ttl: answer.ttl, query: message.question, method: nil,
                    packet: header.number, packetOffset: header.offset, time: header.time, flowID: flow.id,
                    client: flow.originatorAddress, clientPort: flow.originatorPort,
                    server: flow.responderAddress, serverPort: flow.responderPort))
        }
    }

    /// Hands over flows idle past their timeout, and closed flows past the close delay.
    func sweep(now: Int64) {
        var ended: [(FlowKey, FlowState, String)] = []
        for (key, flow) in flows {
            let idle = now - flow.lastTime
            if flow.isClosed && idle > options.closeDelay * 1_000_000_000 {
                ended.append((key, flow, "closed"))
                continue
            }
            let timeout = flow.proto == 6 ? options.tcpTimeout : flow.proto == 17 ? options.udpTimeout : options.icmpTimeout
            if idle > timeout * 1_000_000_000 { ended.append((key, flow, "inactivity timeout")) }
        }
        ended.sort { $0.1.precedes($1.1) }
        for (key, flow, reason) in ended { finish(flow, key: key, ended: reason) }
        fragments.expire(now: now)
    }

    func finish(_ flow: FlowState, key: FlowKey, ended: String) {
        flows[key] = nil
        if lastFlow === flow { lastFlow = nil }
        summary.flows += 1
        onFlow(flow.flow(ended: ended))
    }

    func finishAll() {
        for (key, flow) in flows.sorted(by: { $0.value.precedes($1.value) }) {
            finish(flow, key: key, ended: flow.isClosed ? "closed" : "end of capture")
        }
        summary.fragmentsUnfinished = fragments.pendingCount
        for (problem, entry) in undecoded { summary.undecoded[problem.description] = entry }
    }
}

/// Puts IP fragments back together, within limits: 64 KiB a datagram, 4,096 datagrams at once,
/// 30 seconds to complete. Overlaps keep the first bytes seen.
struct FragmentReassembler {
    struct Key: Hashable {
        var source: IPAddress
        var destination: IPAddress
        var id: UInt32
        var proto: UInt8
    }

    struct Datagram {
        var payload: [UInt8] = []
        var received: [(Int, Int)] = []
        var total: Int?
        var headerLength = 20
        var started: Int64
    }

    struct Whole {
        var payload: [UInt8]
        var headerLength: Int
    }

    var pending: [Key: Datagram] = [:]
    var pendingCount: Int { pending.count }

    mutating func add(_ p: PacketLayers, _ bytes: UnsafeRawBufferPointer, time: Int64) -> Whole? {
        let key = Key(source: p.source, destination: p.destination, id: p.fragmentID, proto: p.ipProtocol)
        let data = UnsafeRawBufferPointer(rebasing: bytes[p.ipPayloadStart..<p.ipPayloadEnd])
        guard p.fragmentOffset + data.count <= 65_535 else { return nil }
        guard pending[key] != nil || pending.count < 4096 else { return nil }
        // Changed in place in the table; handed over (and removed) when complete.
        let whole = pending[key, default: Datagram(started: time)].add(p, data)
        if whole != nil { pending[key] = nil }
        return whole
    }

    mutating func expire(now: Int64) {
        guard !pending.isEmpty else { return }
        pending = pending.filter { now - $0.value.started < 30_000_000_000 }
    }
}

extension FragmentReassembler.Key {
    /// One 64-bit mix of the fields for the hasher.
    func hash(into hasher: inout Hasher) {
        hasher.combine(UInt64(truncatingIfNeeded: source.value ^ destination.value << 1) ^ UInt64(id) << 8 ^ UInt64(proto))
    }
}

extension FragmentReassembler.Datagram {
    /// Adds a fragment's bytes; the first copy of overlapping bytes wins.
    mutating func add(_ p: PacketLayers, _ data: UnsafeRawBufferPointer) -> FragmentReassembler.Whole? {
        let start = p.fragmentOffset
        let end = start + data.count
        if payload.count < end { payload += repeatElement(0, count: end - payload.count) }
        var cursor = start
        for (from, to) in received.sorted(by: { $0.0 < $1.0 }) + [(end, end)] {
            let gapEnd = min(end, max(cursor, from))
            if gapEnd > cursor, let source = data.baseAddress {
                payload.withUnsafeMutableBytes { target in
                    target.baseAddress!.advanced(by: cursor).copyMemory(
                        from: source.advanced(by: cursor - start), byteCount: gapEnd - cursor)
                }
            }
            cursor = max(cursor, min(end, to))
            if cursor >= end { break }
        }
        received.append((start, end))
        if start == 0 { headerLength = p.ipPayloadStart - p.ipStart }
        if !p.moreFragments { total = end }
        guard let total, complete(total) else { return nil }
        if payload.count > total { payload.removeLast(payload.count - total) }
        return FragmentReassembler.Whole(payload: payload, headerLength: headerLength)
    }

    func complete(_ total: Int) -> Bool {
        var reached = 0
        for (start, end) in received.sorted(by: { $0.0 < $1.0 }) {
            if start > reached { return false }
            reached = max(reached, end)
        }
        return reached >= total
    }
}
