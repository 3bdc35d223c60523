import Foundation
import GRDB
import SpoorCapture
import SpoorCore
import SpoorIntake
import SpoorLogs

extension CaseStore {
    /// Reads a packet capture into the case in one transaction: each flow as a row of the
    /// `flow` table (whose two addresses the `observation` view shows as observations), each
    /// DNS answer, TLS server name and HTTP host as an observation of the address it names.
    /// A damaged capture keeps what was read before the damage; libpcap's words and the packet
    /// number are a warning of the item.
    func storeCapture(
        _ evidence: EvidenceItem, kind: String, outcome: inout IngestOutcome, open: () throws -> any ByteSource
    ) throws {
        // libpcap reads files: an archive member is written to a private temporary file first.
        var temporary: URL?
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary.deletingLastPathComponent()) } }
        var path = evidence.path
        if evidence.member != nil {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-\(UUID().uuidString)")
            try FileManager.default.createDirectory(
                at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            let file = folder.appendingPathComponent("member.\(kind)")
            try Data(try open().readAll()).write(to: file)
            temporary = file
            path = file.path
        }
        let capture: CaptureFile
        do {
            capture = try CaptureFile(path: path)
        } catch {
            outcome.status = .failed("libpcap cannot open it: \(error.libpcapMessage)")
            try record(evidence, format: kind, status: outcome.status)
            return
        }
        defer { capture.close() }
        let result = try database.write { db -> (CaptureAnalyzer.Summary, StoreSink) in
            try Self.deletePrevious(db, evidence)
            let id = try Self.insertEvidence(
                db, evidence, format: kind, parser: nil, status: "ingested", detail: nil, at: clock.now())
            try db.execute(
                sql: "UPDATE evidence SET parser = ?, parser_version = ? WHERE id = ?",
                arguments: ["Packet capture (\(CaptureFile.libraryVersion))", SpoorVersion.current, id])
            let sink = StoreSink(db: db, evidenceID: id)
            let encoder = CaptureRowEncoder(evidence: evidence, format: kind)
            var rows: [ObservationRow] = []
            // A flow's two ends are observations read from its row (the `observation` view).
            var flowEnds = 0
            let flowStatement = try db.cachedStatement(sql: CaptureRowEncoder.flowInsert)
            func take(_ item: CaptureHandOff.Item) throws {
                switch item {
                case .flow(let flow):
                    try flowStatement.execute(arguments: CaptureRowEncoder.flowArguments(flow, evidenceID: id))
                    flowEnds += 2
                case .name(let name):
                    if let row = encoder.row(name) { rows.append(row) }
                    if rows.count >= 2000 {
                        try sink.insert(rows)
                        rows.removeAll(keepingCapacity: true)
                    }
                }
            }
            // The packets are read and dissected on a thread of their own while this one writes
            // what they gave: on two cores the parsing and SQLite overlap.
            let handOff = CaptureHandOff.start(capture)
            func drain() throws -> CaptureAnalyzer.Summary {
                while true {
                    switch handOff.next() {
                    case .items(let items): for item in items { try take(item) }
                    case .finished(let summary): return summary
                    }
                }
            }
            let summary: CaptureAnalyzer.Summary
            do {
                summary = try drain()
                if !rows.isEmpty { try sink.insert(rows) }
            } catch {
                // Nothing more is taken: the reading thread drops the rest and ends.
                handOff.stop()
                handOff.waitUntilDone()
                throw error
            }
            handOff.waitUntilDone()
            sink.observations += flowEnds
            for warning in encoder.warnings(summary, path: path) { sink.warn(warning) }
            if let error = sink.error { throw error }
            // The file must still be the one hashed before reading.
            if evidence.member == nil {
                let after = try FileHasher.sha256(path: evidence.path).sha256
                guard after == evidence.sha256 else {
                    throw IntakeError.changedDuringIngest(path: evidence.path, before: evidence.sha256, after: after)
                }
            }
            let detail =
                "link type \(summary.linkType), \(summary.packets) packets, \(summary.flows) flows, \(summary.names) names"
                + (summary.libpcapRefusal.map { _ in "; read past libpcap's multi-interface limit by Spoor's pcapng reader" }
                    ?? "")
                + (summary.error.map { "; stopped at packet \(summary.packets + 1): \($0.libpcapMessage)" } ?? "")
            try db.execute(
                sql: """
                    UPDATE evidence SET records = ?, ignored = ?, malformed = ?, observations = ?, warnings = ?, detail = ?
                    WHERE id = ?
                    """,
                arguments: [
                    summary.packets, summary.packets - summary.withIP, summary.error == nil ? 0 : 1, sink.observations,
                    sink.warningCount, detail, id,
                ])
            return (summary, sink)
        }
        var parse = ParseSummary()
        parse.records = result.0.packets
        parse.ignored = result.0.packets - result.0.withIP
        parse.malformed = result.0.error == nil ? 0 : 1
        outcome.summary = parse
        outcome.observations = result.1.observations
        outcome.warningCount = result.1.warningCount
        outcome.warnings = result.1.firstWarnings
    }
}

/// Runs a capture's analysis on a thread of its own, handing its flows and names over in the
/// order they came, in batches, to the thread that writes them.
final class CaptureHandOff: @unchecked Sendable {
    enum Item {
        case flow(Flow)
        case name(NameRecord)
    }

    enum Batch {
        case items([Item])
        case finished(CaptureAnalyzer.Summary)
    }

    static let batchSize = 1024
    private let queue = HandOff<Batch>(capacity: 4)
    private let done = DispatchSemaphore(value: 0)
    private let capture: CaptureFile

    private init(_ capture: CaptureFile) {
        self.capture = capture
    }

    /// Starts reading the capture; its batches arrive through ``next()``. The capture is read
    /// by that thread only until ``waitUntilDone()`` returns.
    static func start(_ capture: CaptureFile) -> CaptureHandOff {
        let handOff = CaptureHandOff(capture)
        let thread = Thread {
            var batch: [Item] = []
            batch.reserveCapacity(batchSize)
            func give(_ item: Item) {
                batch.append(item)
                if batch.count == batchSize {
                    handOff.queue.put(.items(batch))
                    batch.removeAll(keepingCapacity: true)
                }
            }
            let analyzer = CaptureAnalyzer(onFlow: { give(.flow($0)) }, onName: { give(.name($0)) })
            let summary = analyzer.analyze(handOff.capture)
            if !batch.isEmpty { handOff.queue.put(.items(batch)) }
            handOff.queue.put(.finished(summary))
            handOff.done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        return handOff
    }

    /// The next batch, waiting for it; `.finished` comes last, unless the writer stopped.
    func next() -> Batch { queue.next() }

    /// Tells the reading thread that nothing more will be taken: it drops the rest.
    func stop() { queue.stop() }

    /// Waits for the reading thread to be done with the capture.
    func waitUntilDone() { done.wait() }
}

/// Turns flows into rows of the flow table and names into observation rows.
struct CaptureRowEncoder {
    /// A flow's row (migration v7's columns).
    static let flowInsert = """
        INSERT INTO flow (evidence_id, first_packet, time_key, flow_id, protocol, originator, originator_port, responder,
            responder_port, last_time, first_packet_offset, last_packet, originator_packets, responder_packets,
            originator_ip_bytes, responder_ip_bytes, originator_bytes, responder_bytes, missed_bytes, state, history,
            community_id, services, names, vlan, tunnel, tunnel_source, tunnel_destination, tunnel_parent, ended)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static func flowArguments(_ flow: Flow, evidenceID: Int64) -> StatementArguments {
        let values: [(any DatabaseValueConvertible)?] = [
            evidenceID, flow.firstPacket, flow.firstTime, flow.id, Int(flow.protocolNumber), flow.originator.description,
            Int(flow.originatorPort), flow.responder.description, Int(flow.responderPort), flow.lastTime,
            flow.firstPacketOffset, flow.lastPacket, flow.originatorPackets, flow.responderPackets, flow.originatorIPBytes,
            flow.responderIPBytes, flow.originatorBytes, flow.responderBytes, flow.missedBytes, flow.state, flow.history,
            flow.communityID, JSONText.array(flow.services), JSONText.array(flow.names), flow.vlan.map { Int($0) },
            flow.tunnel?.rawValue, flow.tunnelSource?.description, flow.tunnelDestination?.description, flow.tunnelParent,
            flow.ended,
        ]
        return StatementArguments(values)
    }

    let evidence: EvidenceItem
    let format: String

    func locator(packet: Int, offset: Int64) -> String {
        Locator(evidence: evidence, position: .packet(number: packet, offset: offset)).positionJSON
    }

    /// A capture's time: `raw` is `seconds.nanoseconds` (nine digits), as the `observation`
    /// view writes a flow end's.
    func time(_ nanoseconds: Int64) -> Timestamp { Self.timestamp(nanoseconds) }

    static func timestamp(_ nanoseconds: Int64) -> Timestamp {
        let (quotient, remainder) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        let seconds = remainder < 0 ? quotient - 1 : quotient
        let fraction = Int32(remainder < 0 ? remainder + 1_000_000_000 : remainder)
        let digits = String(fraction)
        let raw = "\(seconds)." + String(repeating: "0", count: 9 - digits.count) + digits
        return Timestamp(seconds: seconds, nanoseconds: fraction, zone: .utc, raw: raw, rule: .captureRecord)
    }

    func baseRow(
        kind: String, time t: Int64, ip: IPAddress?, port: UInt16?, action: String, fields: String, packet: Int, offset: Int64
    ) -> ObservationRow {
        let stamp = time(t)
        return ObservationRow(
            kind: kind, format: format, timeKey: stamp.sortKey, timeUTC: stamp.rfc3339UTC, timeRaw: stamp.raw,
            timeRule: stamp.rule.rawValue, timeZone: "utc", timeAssumption: nil, ip: ip?.description, ipRaw: nil,
            port: port.map { Int($0) }, action: action, rawAction: nil, account: nil, userAgent: nil,
            userAgentSummary: nil, count: 1, fields: fields, locator: locator(packet: packet, offset: offset),
            position: packet)
    }

    /// A name as an observation of the address it names; a CNAME (no address) is left to the
    /// flow's DNS answers that carry the address, whose `query` keeps the name asked.
    func row(_ name: NameRecord) -> ObservationRow? {
        guard let address = name.address else { return nil }
        var fields: [String: String] = [
            "name": name.name, "flow": String(name.flowID), "client": name.client.description,
            "server": name.server.description, "server_port": String(name.serverPort),
        ]
        if let query = name.query { fields["query"] = query }
        if let type = name.recordType { fields["type"] = type }
        if let ttl = name.ttl { fields["ttl"] = String(ttl) }
        if let method = name.method { fields["method"] = method }
        let port: UInt16? = name.kind == .dnsAnswer ? nil : name.serverPort
        return baseRow(
            kind: "name", time: name.time, ip: address, port: port, action: name.kind.rawValue, fields: JSONText.object(fields),
            packet: name.packet, offset: name.packetOffset)
    }

    /// What the reader could not use: libpcap's error (with a hint for the multi-interface
    /// pcapng libpcap refuses) and undecoded packets by reason.
    func warnings(_ summary: CaptureAnalyzer.Summary, path: String) -> [ParseWarning] {
        var warnings: [ParseWarning] = []
        if let refusal = summary.libpcapRefusal, case .readFailed(_, let packet, let message) = refusal {
            let types = summary.otherLinkTypes.sorted().map { CaptureFile.linkTypeName($0) }.joined(separator: ", ")
            warnings.append(
                ParseWarning(
                    locator: Locator(evidence: evidence, position: .packet(number: packet, offset: -1)),
                    message: "\(CaptureFile.libraryVersion) stopped here: \(message). This pcapng file mixes interfaces of "
                        + "different link types or snapshot lengths; Spoor's own pcapng reader read the packets from here on"
                        + (types.isEmpty ? "" : " (other link types: \(types))")))
        }
        if let error = summary.error {
            let message = "reading stopped: \(error.libpcapMessage); the \(summary.packets) packets before it are analysed"
            warnings.append(
                ParseWarning(
                    locator: Locator(evidence: evidence, position: .packet(number: summary.packets + 1, offset: -1)),
                    message: message))
        }
        for (reason, entry) in summary.undecoded.sorted(by: { $0.value.firstPacket < $1.value.firstPacket }) {
            warnings.append(
                ParseWarning(
                    locator: Locator(evidence: evidence, position: .packet(number: entry.firstPacket, offset: -1)),
                    message: "\(entry.count) packet(s) not read to an IP layer: \(reason) (first at this packet)"))
        }
        if summary.fragmentsUnfinished > 0 {
            warnings.append(
                ParseWarning(
                    locator: Locator(evidence: evidence, position: .packet(number: summary.packets, offset: -1)),
                    message:
                        "\(summary.fragmentsUnfinished) fragmented datagram(s) never completed; their fragments are counted only")
            )
        }
        return warnings
    }
}
