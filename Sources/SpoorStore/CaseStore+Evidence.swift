import Foundation
import GRDB
import SpoorCapture
import SpoorCore
import SpoorLogs

/// The evidence inventory and the rows of one item's reading: what ingest (SpoorIntake) writes.
extension CaseStore {
    /// At most this many warnings per evidence item are stored with their text; all are counted.
    public static let storedWarningLimit = 1000

    /// Stores one evidence item's reading in a single transaction: the item's row (replacing an
    /// earlier reading of the same item), then whatever `body` writes through the ``ItemWriter``.
    /// A throw from `body` rolls the whole item back.
    /// - Parameter parser: the parser reading it; nil for a capture (``ItemWriter/setReader(name:version:)``).
    package func writeItem<T>(
        _ evidence: EvidenceItem, format: String, parser: (any LogParser.Type)?, _ body: (ItemWriter) throws -> T
    ) throws -> T {
        try database.write { db in
            let earlier = try Self.previousReading(db, evidence)
            try Self.deletePrevious(db, evidence)
            let id = try Self.insertEvidence(
                db, evidence, format: format, parser: parser, status: "ingested", detail: nil, at: clock.now())
            return try body(ItemWriter(db: db, evidenceID: id, evidence: evidence, earlier: earlier))
        }
    }

    package func recordArchive(_ archive: EvidenceItem, members: Int, refused: [(path: String, reason: String)]) throws(CaseError)
    {
        try write { db in
            try Self.deletePrevious(db, archive)
            let id = try Self.insertEvidence(
                db, archive, format: "zip", parser: nil, status: "archive",
                detail: "\(members) member(s) read" + (refused.isEmpty ? "" : ", \(refused.count) refused"), at: clock.now())
            for member in refused {
                try db.execute(
                    sql: "INSERT INTO parse_warning (evidence_id, position, message, excerpt) VALUES (?, ?, ?, ?)",
                    arguments: [id, "!" + member.path, "member refused: " + member.reason, nil])
            }
            try db.execute(
                sql: "UPDATE evidence SET records = ?, warnings = ? WHERE id = ?", arguments: [members, refused.count, id])
        }
    }

    package func isIngested(_ evidence: EvidenceItem) throws(CaseError) -> Bool {
        try read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM evidence WHERE sha256 = ? AND path = ? AND ifnull(member, '') = ? AND status = 'ingested'",
                arguments: [evidence.sha256, evidence.path, evidence.member ?? ""]) ?? false
        }
    }

    /// Records an item that was not parsed in the inventory: `unsupported` or `failed`, with
    /// the reason.
    package func recordUnread(_ evidence: EvidenceItem, format: String?, status: UnreadStatus, reason: String) throws(CaseError) {
        try write { db in
            try Self.deletePrevious(db, evidence)
            _ = try Self.insertEvidence(
                db, evidence, format: format, parser: nil, status: status.rawValue, detail: reason, at: clock.now())
        }
    }

    static func deletePrevious(_ db: Database, _ evidence: EvidenceItem) throws {
        try db.execute(
            sql: "DELETE FROM evidence WHERE sha256 = ? AND path = ? AND ifnull(member, '') = ?",
            arguments: [evidence.sha256, evidence.path, evidence.member ?? ""])
    }

    static func insertEvidence(
        _ db: Database, _ evidence: EvidenceItem, format: String?, parser: (any LogParser.Type)?, status: String,
        detail: String?, at time: Date
    ) throws -> Int64 {
        try db.execute(
            sql: """
                INSERT INTO evidence (path, member, size, sha256, modified, format, parser, parser_version, status, detail, ingested_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                evidence.path, evidence.member, evidence.size, evidence.sha256,
                evidence.modified.map { Timestamp.unixSeconds(Int64($0.timeIntervalSince1970)).rfc3339UTC },
                format, parser.map { "\($0.displayName)" }, parser?.version, status, detail,
                ISO8601DateFormatter().string(from: time),
            ])
        return db.lastInsertedRowID
    }

    /// The earlier reading of the same item, if it was ingested before: when, with which
    /// options, and its notes.
    static func previousReading(_ db: Database, _ evidence: EvidenceItem) throws -> EarlierReading? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT ingested_at, options, history FROM evidence
                    WHERE sha256 = ? AND path = ? AND ifnull(member, '') = ? AND status = 'ingested'
                    """,
                arguments: [evidence.sha256, evidence.path, evidence.member ?? ""])
        else { return nil }
        let history = (row["history"] as String?).flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        return EarlierReading(at: row["ingested_at"], options: row["options"], history: history)
    }

    /// Records dated after the file was last modified (when `now` is nil) or after `now` cannot
    /// be right as read (a wrong year, a wrong clock): a sentence naming the latest such record.
    /// Zone-less times are compared as if UTC with 14 hours' leeway (the widest zone offset);
    /// times with a zone get five minutes' (clocks differ).
    static func implausibleDates(_ db: Database, evidenceID: Int64, evidence: EvidenceItem, now: Date?) throws -> [String] {
        let limit: (what: String, date: Date)
        if let now {
            limit = ("this ingest (\(utc(now)))", now)
        } else if let modified = evidence.modified {
            limit = ("the file was last modified (\(utc(modified)))", modified)
        } else {
            return []
        }
        let (condition, bounds) = datedAfter(Int64(limit.date.timeIntervalSince1970) * 1_000_000_000)
        let arguments = StatementArguments([evidenceID] + bounds)
        let count =
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM observation WHERE evidence_id = ? AND " + condition, arguments: arguments) ?? 0
        guard count > 0,
            let latest = try Row.fetchOne(
                db,
                sql: "SELECT time_raw, locator FROM observation WHERE evidence_id = ? AND " + condition
                    + " ORDER BY time_key DESC, position LIMIT 1",
                arguments: arguments)
        else { return [] }
        // The store keeps the position only (`{"line":12}`), which the locator decoder reads.
        let position =
            (latest["locator"] as String?)
            .flatMap { try? JSONDecoder().decode(Locator.self, from: Data($0.utf8)) }
            .map { " " + Locator(evidence: evidence, position: $0.position).description } ?? ""
        return [
            "\(count) record(s) are dated after \(limit.what), which cannot be right as read; the latest is "
                + "'\(SafeText.excerpt(latest["time_raw"] ?? "", limit: 40))' at\(position). Check the year and zone taken for them."
        ]
    }

    /// The SQL condition (over `observation`, unaliased) for a record dated after `key` (a
    /// ``Timestamp`` sort key), and its two arguments: zone-less times get 14 hours' leeway (the
    /// widest zone offset), times with a zone five minutes' (clocks differ).
    static func datedAfter(_ key: Int64) -> (sql: String, arguments: [Int64]) {
        let second: Int64 = 1_000_000_000
        return ("time_key > CASE WHEN time_utc IS NULL THEN ? ELSE ? END", [key + 14 * 3600 * second, key + 5 * 60 * second])
    }

    package static func utc(_ date: Date) -> String { Timestamp.unixSeconds(Int64(date.timeIntervalSince1970)).rfc3339UTC ?? "?" }
}

/// One observation as the columns of its row, prepared on the parser's thread so that the
/// writer only binds and inserts.
package struct ObservationRow: Sendable {
    /// `access` (account and server logs), `flow` or `name` (packet captures).
    var kind = ObservationKind.access
    var format: String
    var timeKey: Int64?
    var timeUTC: String?
    var timeRaw: String?
    var timeRule: String?
    var timeZone: String?
    var timeAssumption: String?
    var ip: String?
    var ipRaw: String?
    var port: Int?
    var action: ObservedAction
    var rawAction: String?
    var account: String?
    var userAgent: String?
    var userAgentSummary: String?
    var count: Int
    var fields: String
    var locator: String
    var position: Int?
}

/// Turns access events of one evidence item into rows.
package final class RowEncoder {
    let evidence: EvidenceItem
    /// User agents repeat across records; each distinct one is summarised once.
    private var summaries: [String: String] = [:]

    package init(evidence: EvidenceItem) { self.evidence = evidence }

    package func row(_ event: AccessEvent) -> ObservationRow {
        let time = event.time
        return ObservationRow(
            format: event.format, timeKey: time?.sortKey, timeUTC: time?.rfc3339UTC, timeRaw: time?.raw,
            timeRule: time?.rule.rawValue, timeZone: time.map { Self.zoneText($0.zone) }, timeAssumption: time?.assumption,
            ip: event.ip?.description, ipRaw: event.ipRaw, port: event.port.map { Int($0) }, action: .access(event.action),
            rawAction: event.rawAction, account: event.account, userAgent: event.userAgent,
            userAgentSummary: event.userAgent.map(summary), count: event.count, fields: JSONText.object(event.fields),
            locator: locatorJSON(event.locator), position: event.locator.ordinal)
    }

    /// The record's position only, when the locator points into this evidence item (the store
    /// joins the item's hash, path and member back when reading); the whole locator else.
    func locatorJSON(_ locator: Locator) -> String {
        guard locator.evidenceSHA256 == evidence.sha256, locator.path == evidence.path, locator.member == evidence.member
        else { return locator.jsonText }
        return locator.positionJSON
    }

    func summary(_ userAgent: String) -> String {
        if let known = summaries[userAgent] { return known }
        let text = UserAgentSummary.summarize(userAgent).text
        if summaries.count < 100_000 { summaries[userAgent] = text }
        return text
    }

    static func zoneText(_ zone: Timestamp.Zone) -> String {
        switch zone {
        case .utc: return "utc"
        case .unspecified: return "none"
        case .offset(let seconds):
            let sign = seconds < 0 ? "-" : "+"
            let m = abs(seconds) / 60
            return String(format: "%@%02d:%02d", sign, m / 60, m % 60)
        }
    }
}

/// How an earlier reading of an item was made: when, with which options, and its history.
package struct EarlierReading: Sendable {
    package var at: String
    package var options: String?
    package var history: [String]
}

/// Why an item is in the inventory without observations.
package enum UnreadStatus: String, Sendable {
    /// Read and hashed, but no parser reads it.
    case unsupported
    /// Could not be read.
    case failed
}

/// Writes one evidence item's rows and warnings into its open transaction (``CaseStore/writeItem(_:format:parser:_:)``).
package final class ItemWriter {
    let db: Database
    let evidenceID: Int64
    let evidence: EvidenceItem
    /// The earlier reading this one replaces, when the item was ingested before.
    package let earlier: EarlierReading?
    package var observations = 0
    package var warningCount = 0
    package var firstWarnings: [ParseWarning] = []
    /// The first failure to store a warning: the item fails with it.
    package var error: (any Error)?

    init(db: Database, evidenceID: Int64, evidence: EvidenceItem, earlier: EarlierReading?) {
        self.db = db
        self.evidenceID = evidenceID
        self.evidence = evidence
        self.earlier = earlier
    }

    package func insert(_ rows: [ObservationRow]) throws {
        if recordInsert == nil { recordInsert = try BoundInsert(db, sql: Self.recordInsertSQL) }
        guard let recordInsert else { return }
        for r in rows {
            let userAgent = try userAgentID(r)
            try recordInsert.insert { row in
                row.int(evidenceID)
                row.text(r.kind.rawValue)
                row.text(r.format)
                row.int(r.timeKey)
                row.text(r.timeUTC)
                row.text(r.timeRaw)
                row.text(r.timeRule)
                row.text(r.timeZone)
                row.text(r.timeAssumption)
                row.text(r.ip)
                row.text(r.ipRaw)
                row.int(r.port)
                row.text(r.action.rawValue)
                row.text(r.rawAction)
                row.text(r.account)
                row.int(userAgent)
                row.int(r.count)
                row.text(r.fields)
                row.text(r.locator)
                row.int(r.position)
            }
        }
        observations += rows.count
    }

    static let recordInsertSQL = """
        INSERT INTO record_observation (evidence_id, kind, format, time_key, time_utc, time_raw, time_rule, time_zone,
            time_assumption, ip, ip_raw, port, action, raw_action, account, user_agent_id, count, fields,
            locator, position)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    private var recordInsert: BoundInsert?

    /// User agents already stored, by text.
    var userAgentIDs: [String: Int64] = [:]

    /// The id of the row's user agent in the `user_agent` table, adding it when new.
    func userAgentID(_ row: ObservationRow) throws -> Int64? {
        guard let text = row.userAgent else { return nil }
        if let id = userAgentIDs[text] { return id }
        try db.execute(
            sql: "INSERT OR IGNORE INTO user_agent (text, summary) VALUES (?, ?)",
            arguments: [text, row.userAgentSummary ?? UserAgentSummary.summarize(text).text])
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM user_agent WHERE text = ?", arguments: [text]) else {
            return nil
        }
        userAgentIDs[text] = id
        return id
    }

    package func warn(_ warning: ParseWarning) {
        warningCount += 1
        if firstWarnings.count < 20 { firstWarnings.append(warning) }
        guard warningCount <= CaseStore.storedWarningLimit, error == nil else { return }
        do {
            try db.execute(
                sql: "INSERT INTO parse_warning (evidence_id, position, message, excerpt) VALUES (?, ?, ?, ?)",
                arguments: [evidenceID, warning.locator.positionText, warning.message, warning.excerpt])
        } catch {
            self.error = error
        }
    }

    /// Inserts a capture's flow as a row of the `flow` table; its two ends are observations (the
    /// `observation` view).
    package func insert(_ flow: Flow) throws {
        if flowInsert == nil { flowInsert = try BoundInsert(db, sql: CaptureRowEncoder.flowInsert) }
        try flowInsert?.insert(flow, evidenceID: evidenceID)
        observations += 2
    }

    private var flowInsert: BoundInsert?

    /// Names the reader of a capture (libpcap's version) in the item's row.
    package func setReader(name: String, version: String) throws {
        try db.execute(
            sql: "UPDATE evidence SET parser = ?, parser_version = ? WHERE id = ?", arguments: [name, version, evidenceID])
    }

    /// Sentences about records dated after the file was last modified (`now` nil) or after `now`.
    package func implausibleDates(now: Date?) throws -> [String] {
        try CaseStore.implausibleDates(db, evidenceID: evidenceID, evidence: evidence, now: now)
    }

    /// Records what the reading counted, and its notes, options and history.
    package func finish(
        records: Int, ignored: Int, malformed: Int, notes: [String] = [], options: String? = nil, history: [String] = [],
        detail: String? = nil
    ) throws {
        try db.execute(
            sql: """
                UPDATE evidence SET records = ?, ignored = ?, malformed = ?, observations = ?, warnings = ?,
                    notes = ?, options = ?, history = ?, detail = ?
                WHERE id = ?
                """,
            arguments: [
                records, ignored, malformed, observations, warningCount,
                notes.isEmpty ? nil : JSONText.array(notes), options, history.isEmpty ? nil : JSONText.array(history),
                detail, evidenceID,
            ])
    }
}

/// Turns flows into rows of the flow table and names into observation rows.
package struct CaptureRowEncoder {
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

    package init(evidence: EvidenceItem, format: String) {
        self.evidence = evidence
        self.format = format
    }

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
        kind: ObservationKind, time t: Int64, ip: IPAddress?, port: UInt16?, action: ObservedAction, fields: String,
        packet: Int, offset: Int64
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
    package func row(_ name: NameRecord) -> ObservationRow? {
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
            kind: .name, time: name.time, ip: address, port: port, action: .name(name.kind), fields: JSONText.object(fields),
            packet: name.packet, offset: name.packetOffset)
    }

    /// What the reader could not use: libpcap's error (with a hint for the multi-interface
    /// pcapng libpcap refuses) and undecoded packets by reason.
    package func warnings(_ summary: CaptureAnalyzer.Summary, path: String) -> [ParseWarning] {
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
