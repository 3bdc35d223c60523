import Foundation
import GRDB
import SpoorCapture
import SpoorCore
import SpoorIntel

/// An observation as stored, with its evidence item's identity.
/// One access record as a rule over whole records reads it (``CaseStore/forEachRecord(formats:_:)``):
/// `values` holds its fields by the parser's names and `format`, `ip`, `account`, `raw_action`,
/// `action` and `user_agent`.
public struct SigmaRecord {
    public var format: String
    public var values: [String: String]
    /// RFC 3339 UTC, else the time as written.
    public var time: String?
    /// Where the record is; made on demand (valid only during the call it was given in).
    public var locator: () throws -> Locator
}

public struct StoredEvent: Hashable, Sendable {
    public var id: Int64
    public var format: String
    /// RFC 3339 UTC, or nil when the source gave no zone (then see ``timeRaw``).
    public var timeUTC: String?
    public var timeRaw: String?
    public var timeRule: String?
    /// `utc`, `+02:00`, or `none`.
    public var timeZone: String?
    public var timeAssumption: String?
    /// The ordering key: nanoseconds since 1970, for zone-less times of their wall-clock reading.
    public var timeKey: Int64?
    public var ip: String?
    public var ipRaw: String?
    public var port: Int?
    public var action: ObservedAction
    public var rawAction: String?
    public var account: String?
    public var userAgent: String?
    /// `Chrome 120 · Windows 10/11 · desktop`.
    public var userAgentSummary: String?
    /// After `analyze`: the account the event was grouped under, its session (`S3`), and what it
    /// brought that the account had not shown before (`address`, `network`, `device`, `user_agent`).
    public var accountKey: String?
    public var session: String?
    public var novel: [Novelty]
    public var count: Int
    public var fields: [String: String]
    public var locator: Locator
}

/// A name an address was reached as in a capture, with the first packet that says so.
public struct NameSighting: Hashable, Sendable {
    public var name: String
    /// `dns_answer`, `tls_server_name`, `http_host`.
    public var how: String
    public var first: Locator
    public var firstTime: String?
    public var records: Int
}

extension StoredEvent {
    /// - Parameter withFields: false leaves `fields` empty, for readers that do not show them.
    init(row: Row, withFields: Bool = true) throws {
        id = row["id"]
        format = row["format"]
        timeUTC = row["time_utc"]
        timeRaw = row["time_raw"]
        timeRule = row["time_rule"]
        timeZone = row["time_zone"]
        timeAssumption = row["time_assumption"]
        timeKey = row["time_key"]
        ip = row["ip"]
        ipRaw = row["ip_raw"]
        port = row["port"]
        action = ObservedAction(rawValue: row["action"] ?? "other")
        rawAction = row["raw_action"]
        account = row["account"]
        userAgent = row["user_agent_text"]
        userAgentSummary = row["user_agent_summary_text"]
        accountKey = row["account_key"]
        session = row["session"]
        let novelText: String = row["novel"] ?? "[]"
        novel = try JSONText.stringArray(novelText).compactMap(Novelty.init(rawValue:))
        count = row["count"] ?? 1
        if withFields {
            let fieldText: String = row["fields"] ?? "{}"
            fields =
                try JSONText.flatStrings(fieldText) ?? JSONDecoder().decode([String: String].self, from: Data(fieldText.utf8))
        } else {
            fields = [:]
        }
        locator = try Self.locator(row)
    }

    /// The row's locator: its stored position (the common shapes read without a JSON decoder)
    /// with its evidence item's hash, path and member, or the whole locator when one is stored.
    static func locator(_ row: Row) throws -> Locator {
        try locator(
            row["locator"], sha256: row["evidence_sha256"] ?? "", path: row["evidence_path"] ?? "", member: row["evidence_member"]
        )
    }

    /// A stored locator: the position alone, completed with its evidence item, or a whole locator.
    static func locator(_ text: String, sha256: String, path: String, member: String?) throws -> Locator {
        if let position = Locator.Position.fromPositionJSON(text) {
            return Locator(evidenceSHA256: sha256, path: path, member: member, position: position)
        }
        let decoded = try JSONDecoder().decode(Locator.self, from: Data(text.utf8))
        guard decoded.evidenceSHA256.isEmpty else { return decoded }
        return Locator(evidenceSHA256: sha256, path: path, member: member, position: decoded.position)
    }

    /// The time for people: UTC when known, else the raw text marked as zone-less.
    public var displayTime: String {
        if let timeUTC { return timeUTC }
        guard let timeKey else { return "" }
        return Timestamp(sortKey: timeKey, zone: .unspecified).displayText
    }
}

/// Where an event comes in ``CaseStore/eventOrder``: undated last, then time, evidence item,
/// position (none first, as SQLite orders NULL) and id.
struct EventOrderKey: Comparable {
    var undated: Bool
    var time: Int64
    var evidence: Int64
    var position: Int64?
    var id: Int64

    init(undated: Bool, time: Int64, evidence: Int64, position: Int64?, id: Int64) {
        (self.undated, self.time, self.evidence, self.position, self.id) = (undated, time, evidence, position, id)
    }

    init(recordRow row: Row) {
        let time: Int64? = row["time_key"]
        self.init(undated: time == nil, time: time ?? 0, evidence: row["evidence_id"], position: row["position"], id: row["id"])
    }

    static func < (a: Self, b: Self) -> Bool {
        if a.undated != b.undated { return !a.undated }
        if a.time != b.time { return a.time < b.time }
        if a.evidence != b.evidence { return a.evidence < b.evidence }
        if a.position != b.position {
            guard let first = a.position else { return true }
            guard let second = b.position else { return false }
            return first < second
        }
        return a.id < b.id
    }
}

extension StoredEvent {
    /// A flow's originator and responder as the `observation` view shows them, from a row of
    /// ``CaseStore/flowEndSelect`` (columns by position).
    static func flowEnds(_ row: Row, withFields: Bool = true) throws -> [(key: EventOrderKey, event: StoredEvent)] {
        let rowID: Int64 = row[0]
        let evidence: Int64 = row[1]
        let time: Int64 = row[2]
        let packet: Int = row[3]
        let offset: Int64 = row[4]
        let flowID: Int = row[5]
        let protocolName = Flow.protocolName(UInt8(clamping: row[6] as Int))
        let originator: String = row[7]
        let originatorPort: Int = row[8]
        let responder: String = row[9]
        let responderPort: Int = row[10]
        let state: String = row[11]
        let namesText: String = row[12]
        let names =
            namesText == "[]" || !withFields
            ? nil
            : (try JSONText.flatStringArray(namesText) ?? JSONDecoder().decode([String].self, from: Data(namesText.utf8)))
                .joined(separator: " ")
        let stamp = CaptureRowEncoder.timestamp(time)
        let locator = Locator(
            evidenceSHA256: row[14], path: row[15], member: row[16], position: .packet(number: packet, offset: offset))
        func end(_ ip: String, _ port: Int, _ action: ObservedAction, peer: String, peerPort: Int, id: Int64) -> (
            key: EventOrderKey, event: StoredEvent
        ) {
            var fields: [String: String] = [:]
            if withFields {
                fields = [
                    "conn_state": state, "flow": String(flowID), "peer": peer, "peer_port": String(peerPort),
                    "proto": protocolName,
                ]
                if let names { fields["names"] = names }
            }
            let event = StoredEvent(
                id: id, format: row[13], timeUTC: stamp.rfc3339UTC, timeRaw: stamp.raw, timeRule: stamp.rule.rawValue,
                timeZone: "utc", timeAssumption: nil, timeKey: time, ip: ip, ipRaw: nil, port: port, action: action,
                rawAction: nil, account: nil, userAgent: nil, userAgentSummary: nil, accountKey: nil, session: nil, novel: [],
                count: 1, fields: fields, locator: locator)
            return (EventOrderKey(undated: false, time: time, evidence: evidence, position: Int64(packet), id: id), event)
        }
        let id = CaseStore.flowEndID(flowRow: rowID)
        return [
            end(originator, originatorPort, .flowOriginator, peer: responder, peerPort: responderPort, id: id),
            end(responder, responderPort, .flowResponder, peer: originator, peerPort: originatorPort, id: id + 1),
        ]
    }
}

/// An event as one JSON object (`spoor events --format jsonl`): the same keys on every line,
/// absent values written as null, the evidence item's hash beside the locator.
extension StoredEvent: Encodable {
    enum CodingKeys: String, CodingKey {
        case time, timeRaw = "time_raw", timeRule = "time_rule", timeZone = "time_zone",
            timeAssumption = "time_assumption", ip, ipRaw = "ip_raw", port, action, rawAction = "raw_action",
            account, userAgent = "user_agent", userAgentSummary = "user_agent_summary", accountKey = "account_key",
            session, novel, count, format, evidenceSHA256 = "evidence_sha256", locator, fields
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(timeUTC, forKey: .time)
        try c.encode(timeRaw, forKey: .timeRaw)
        try c.encode(timeRule, forKey: .timeRule)
        try c.encode(timeZone, forKey: .timeZone)
        try c.encode(timeAssumption, forKey: .timeAssumption)
        try c.encode(ip, forKey: .ip)
        try c.encode(ipRaw, forKey: .ipRaw)
        try c.encode(port, forKey: .port)
        try c.encode(action, forKey: .action)
        try c.encode(rawAction, forKey: .rawAction)
        try c.encode(account, forKey: .account)
        try c.encode(userAgent, forKey: .userAgent)
        try c.encode(userAgentSummary, forKey: .userAgentSummary)
        try c.encode(accountKey, forKey: .accountKey)
        try c.encode(session, forKey: .session)
        try c.encode(novel, forKey: .novel)
        try c.encode(count, forKey: .count)
        try c.encode(format, forKey: .format)
        try c.encode(locator.evidenceSHA256, forKey: .evidenceSHA256)
        try c.encode(locator, forKey: .locator)
        try c.encode(fields, forKey: .fields)
    }
}

/// One row of the evidence inventory.
public struct StoredEvidence: Hashable, Sendable, Codable {
    public var path: String
    public var member: String?
    public var size: Int64
    public var sha256: String
    public var format: String?
    public var parser: String?
    public var parserVersion: String?
    public var status: String
    public var detail: String?
    public var records: Int
    public var ignored: Int
    public var malformed: Int
    public var observations: Int
    public var warnings: Int
    /// How the item was read, where that needs saying (see ``IngestOutcome/notes``).
    public var notes: [String]?
}

extension CaseStore {
    /// Observations with their marks and their evidence item's identity (the store keeps only
    /// each record's position in `locator`).
    static let eventSelect = "SELECT " + eventColumns + " FROM " + eventJoins

    static let eventColumns = """
        o.*, m.account_key, m.session, m.novel,
            e.sha256 AS evidence_sha256, e.path AS evidence_path, e.member AS evidence_member,
            coalesce(o.user_agent, ua.text) AS user_agent_text,
            coalesce(o.user_agent_summary, ua.summary) AS user_agent_summary_text
        """

    static let eventJoins = eventJoins(from: "observation")

    /// The joins of an event read over `table`: the `observation` view, or the
    /// `record_observation` rows it is made of.
    static func eventJoins(from table: String) -> String {
        table + """
             o
            JOIN evidence e ON e.id = o.evidence_id
            LEFT JOIN observation_mark m ON m.observation_id = o.id
            LEFT JOIN user_agent ua ON ua.id = o.user_agent_id
            """
    }

    /// Time order (zone-less times by their wall-clock reading, no time last), then evidence order.
    static let eventOrder = "o.time_key IS NULL, o.time_key, o.evidence_id, o.position, o.id"

    /// Every observation, in time order (zone-less times by their wall-clock reading; no time
    /// last), then by evidence item and position.
    ///
    /// The order and the events are the `observation` view's (a test holds them equal); the view
    /// is read here as the two things it is made of, merged: record rows in that order, and flows
    /// in their first instant's order (the `flow_time` index) with their two ends made in Swift,
    /// so that no time text or JSON is written in SQL and read back for each of a capture's flows.
    ///
    /// - Parameter withFields: false leaves each event's `fields` empty (CSV rows do not show them).
    /// Every access record of these formats, in storage order (no sorting), as the values a
    /// rule over whole records reads: its fields and its own columns by the keys ``SigmaRecord``
    /// names. The locator is made only when asked for (`locator()`), for the records cited.
    public func forEachRecord(formats: [String], _ body: (SigmaRecord) throws -> Void) throws {
        guard !formats.isEmpty else { return }
        let list = formats.map { "'" + $0.replacingAll("'", with: "''") + "'" }.joined(separator: ", ")
        try database.read { db in
            let items = try Self.evidenceItems(db)
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT o.format, o.ip, o.account, o.raw_action, o.action, coalesce(o.user_agent, ua.text) AS agent,
                        o.fields, o.time_utc, o.time_raw, o.evidence_id, o.locator
                    FROM record_observation o LEFT JOIN user_agent ua ON ua.id = o.user_agent_id
                    WHERE o.kind = 'access' AND o.format IN (\(list))
                    """)
            while let row = try rows.next() {
                let fieldText: String = row[6] ?? "{}"
                var values =
                    try JSONText.flatStrings(fieldText) ?? JSONDecoder().decode([String: String].self, from: Data(fieldText.utf8))
                let format: String = row[0]
                values["format"] = format
                for (index, key) in [(1, "ip"), (2, "account"), (3, "raw_action"), (4, "action"), (5, "user_agent")] {
                    if let value: String = row[index] { values[key] = value }
                }
                let time: String? = row[7] ?? row[8]
                try body(
                    SigmaRecord(format: format, values: values, time: time, locator: { try Self.locator(row, items: items) }))
            }
        }
    }

    public func forEachEvent(withFields: Bool = true, _ body: (StoredEvent) throws -> Void) throws {
        try database.read { db in try Self.forEachMergedEvent(db, EventFilter(fields: withFields), body) }
    }

    /// Which events ``forEachMergedEvent(_:_:_:)`` reads: all, or one address's, with a
    /// condition on records (over `o`) and whether flow ends are wanted at all.
    struct EventFilter {
        var ip: String? = nil
        var recordCondition: String? = nil
        var flowEnds = true
        var limit: Int? = nil
        /// Whether events carry their `fields`.
        var fields = true
    }

    /// The events the filter selects, in ``eventOrder``, as the `observation` view has them:
    /// record rows and flows (their ends made in Swift) read apart and merged.
    static func forEachMergedEvent(
        _ db: Database, _ filter: EventFilter = EventFilter(), _ body: (StoredEvent) throws -> Void
    ) throws {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let ip = filter.ip {
            conditions.append("o.ip = ?")
            arguments.append(ip)
        }
        if let condition = filter.recordCondition { conditions.append(condition) }
        var recordSQL = "SELECT " + eventColumns + " FROM " + eventJoins(from: "record_observation")
        if !conditions.isEmpty { recordSQL += " WHERE " + conditions.joined(separator: " AND ") }
        recordSQL += " ORDER BY " + eventOrder
        if let limit = filter.limit { recordSQL += " LIMIT \(limit)" }
        // Cached statements: one address's events are asked for once per address, and preparing
        // these statements costs more than running them for an address with few events. (No
        // caller reads events again while it is given them, so a statement is never reused
        // while its cursor is open.)
        let records = try Row.fetchCursor(db.cachedStatement(sql: recordSQL), arguments: StatementArguments(arguments))
        var flowSQL = flowEndSelect
        var flowArguments: [(any DatabaseValueConvertible)?] = []
        if let ip = filter.ip {
            flowSQL = flowSQL.replacingAll(flowEndOrder, with: "WHERE f.originator = ? OR f.responder = ?\n" + flowEndOrder)
            flowArguments = [ip, ip]
        }
        if let limit = filter.limit { flowSQL += " LIMIT \(limit)" }
        let flows =
            filter.flowEnds
            ? try Row.fetchCursor(db.cachedStatement(sql: flowSQL), arguments: StatementArguments(flowArguments)) : nil
        func nextRecord() throws -> (key: EventOrderKey, event: StoredEvent)? {
            guard let row = try records.next() else { return nil }
            return (EventOrderKey(recordRow: row), try StoredEvent(row: row, withFields: filter.fields))
        }
        var given = 0
        func give(_ event: StoredEvent) throws -> Bool {
            try body(event)
            given += 1
            return filter.limit.map { given < $0 } ?? true
        }
        var record = try nextRecord()
        var ends: [(key: EventOrderKey, event: StoredEvent)] = []
        while true {
            if ends.isEmpty, let row = try flows?.next() {
                ends = try StoredEvent.flowEnds(row, withFields: filter.fields).filter { end in
                    filter.ip.map { end.event.ip == $0 } ?? true
                }
                continue
            }
            guard let end = ends.first else { break }
            while let current = record, current.key < end.key {
                guard try give(current.event) else { return }
                record = try nextRecord()
            }
            guard try give(end.event) else { return }
            ends.removeFirst()
        }
        while let current = record {
            guard try give(current.event) else { return }
            record = try nextRecord()
        }
    }

    /// Flows with what their two ends' events need, in the order of ``eventOrder``.
    static let flowEndSelect = """
        SELECT f.id, f.evidence_id, f.time_key, f.first_packet, f.first_packet_offset, f.flow_id, f.protocol,
            f.originator, f.originator_port, f.responder, f.responder_port, f.state, f.names,
            e.format, e.sha256, e.path, e.member
        FROM flow f JOIN evidence e ON e.id = f.evidence_id
        \(flowEndOrder)
        """

    static let flowEndOrder = "ORDER BY f.time_key, f.evidence_id, f.first_packet, f.id"

    /// The id the `observation` view gives a flow's originator end (the responder's is one more).
    static func flowEndID(flowRow id: Int64) -> Int64 { (1 << 62) + 2 * id }

    /// What a timeline needs before it bins: the first and last instants of records with a
    /// zone (observations and flows), and how many observations have no zone or no time.
    public func placedSpan() throws(CaseError) -> (first: Int64?, last: Int64?, unplaced: Int) {
        try read { db in
            let records = try Row.fetchOne(
                db,
                sql: """
                    SELECT min(CASE WHEN time_utc IS NOT NULL THEN time_key END) AS first,
                        max(CASE WHEN time_utc IS NOT NULL THEN time_key END) AS last,
                        sum(CASE WHEN time_utc IS NULL OR time_key IS NULL THEN 1 ELSE 0 END) AS unplaced
                    FROM record_observation
                    """)
            let flows = try Row.fetchOne(db, sql: "SELECT min(time_key) AS first, max(time_key) AS last FROM flow")
            let firsts = [records?["first"], flows?["first"]].compactMap { $0 as Int64? }
            let lasts = [records?["last"], flows?["last"]].compactMap { $0 as Int64? }
            return (firsts.min(), lasts.max(), records?["unplaced"] ?? 0)
        }
    }

    /// For each list of locators (a finding's), the earliest zoned instant of the records at
    /// them (by evidence hash and position), or nil when none has one; in one read. A record is
    /// found by its index; a flow (no index by position: it would grow a capture's store) by one
    /// pass over its capture's flows for all the packets asked of it.
    public func earliestPlacedTimes(_ lists: [[Locator]]) throws(CaseError) -> [Int64?] {
        try read { db in
            var known: [Locator: Int64] = [:]
            var packets: [String: Set<Int>] = [:]  // capture hash → first packets not found among records
            for locator in Set(lists.joined()) {
                if let time = try Self.recordTime(db, at: locator) {
                    known[locator] = time
                } else if let ordinal = locator.ordinal {
                    packets[locator.evidenceSHA256, default: []].insert(ordinal)
                }
            }
            var flowTimes: [String: [Int: Int64]] = [:]
            for (sha256, wanted) in packets {
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT first_packet, time_key FROM flow
                        WHERE evidence_id IN (SELECT id FROM evidence WHERE sha256 = ?)
                        """, arguments: [sha256])
                var times: [Int: Int64] = [:]
                while let row = try rows.next() {
                    let packet: Int = row[0]
                    guard wanted.contains(packet) else { continue }
                    let time: Int64 = row[1]
                    times[packet] = min(times[packet] ?? time, time)
                }
                flowTimes[sha256] = times
            }
            return lists.map { locators in
                locators.compactMap { locator in
                    known[locator] ?? locator.ordinal.flatMap { flowTimes[locator.evidenceSHA256]?[$0] }
                }.min()
            }
        }
    }

    /// The earliest zoned time of the records (not flows) at a locator, read from the record
    /// table by its index (through the `observation` view, a compound select, SQLite would
    /// read every row).
    static func recordTime(_ db: Database, at locator: Locator) throws -> Int64? {
        let items = "SELECT id FROM evidence WHERE sha256 = ?1"
        if let ordinal = locator.ordinal {
            return try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT min(time_key) FROM record_observation
                        WHERE evidence_id IN (\(items)) AND position = ?2 AND time_utc IS NOT NULL
                        """),
                arguments: [locator.evidenceSHA256, ordinal])
        }
        return try Int64.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT min(time_key) FROM record_observation
                    WHERE evidence_id IN (\(items)) AND position IS NULL AND locator = ?2 AND time_utc IS NOT NULL
                    """),
            arguments: [locator.evidenceSHA256, locator.positionJSON])
    }

    /// Every zoned observation's format and instant, and every flow's first instant with its
    /// capture's path and member: the timeline's bins, read without decoding any record.
    public func forEachPlacedTime(
        observation: (_ format: String, _ time: Int64) throws -> Void,
        flow: (_ path: String, _ member: String?, _ time: Int64) throws -> Void
    ) throws(CaseError) {
        try read { db in
            let rows = try Row.fetchCursor(
                db, sql: "SELECT format, time_key FROM record_observation WHERE time_utc IS NOT NULL AND time_key IS NOT NULL")
            while let row = try rows.next() { try observation(row[0], row[1]) }
            // A flow is also its two ends' observations.
            let flows = try Row.fetchCursor(
                db, sql: "SELECT e.format, e.path, e.member, f.time_key FROM flow f JOIN evidence e ON e.id = f.evidence_id")
            while let row = try flows.next() {
                let format: String = row[0]
                let time: Int64 = row[3]
                try observation(format, time)
                try observation(format, time)
                try flow(row[1], row[2], time)
            }
        }
    }

    /// Every account name the records give, and every account key the analysis grouped them
    /// under (`format: name`), once each.
    public func accountNames() throws(CaseError) -> Set<String> {
        try read { db in
            try String.fetchSet(
                db,
                sql: """
                    SELECT DISTINCT account FROM observation WHERE account IS NOT NULL AND account != ''
                    UNION SELECT DISTINCT account_key FROM observation_mark WHERE account_key != ''
                    """)
        }
    }

    /// Observations of one address, in time order.
    public func events(ip: String, limit: Int? = nil) throws(CaseError) -> [StoredEvent] {
        try read { db in
            var events: [StoredEvent] = []
            try Self.forEachMergedEvent(db, EventFilter(ip: ip, limit: limit)) { events.append($0) }
            return events
        }
    }

    /// The names the address was reached as in captures (DNS answers, TLS server names, HTTP
    /// hosts), each once, with its first record (time order) and how many records name it.
    public func nameSightings(ip: String, limit: Int = 50) throws(CaseError) -> [NameSighting] {
        try read { db in
            var byName: [String: NameSighting] = [:]
            var order: [String] = []
            try Self.forEachMergedEvent(db, EventFilter(ip: ip, recordCondition: "o.kind = 'name'", flowEnds: false)) { event in
                guard let name = event.fields["name"] else { return }
                if byName[name] == nil {
                    guard order.count < limit else { return }
                    order.append(name)
                    byName[name] = NameSighting(
                        name: name, how: event.action.rawValue, first: event.locator, firstTime: event.timeUTC, records: 0)
                }
                byName[name]?.records += 1
            }
            return order.compactMap { byName[$0] }
        }
    }

    /// The user agents and device names an address's records were seen with, as the casebook
    /// keeps them.
    public func clients(ip: String) throws(CaseError) -> (userAgents: [String], devices: [String]) {
        try read { db in try Self.clients(db, ip: ip) }
    }

    /// Observations that name no address (a password change, a PAM session with no login to
    /// tie it to), in time order: context for the addresses around them.
    public func eventsWithoutAddress(limit: Int) throws(CaseError) -> (events: [StoredEvent], total: Int) {
        try read { db in
            // A flow end always has an address: these are records only.
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM record_observation WHERE ip IS NULL") ?? 0
            var events: [StoredEvent] = []
            try Self.forEachMergedEvent(db, EventFilter(recordCondition: "o.ip IS NULL", flowEnds: false, limit: limit)) {
                events.append($0)
            }
            return (events, total)
        }
    }

    /// The evidence inventory in ingest order.
    public func evidenceInventory() throws(CaseError) -> [StoredEvidence] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM evidence ORDER BY path, ifnull(member, ''), id").map { row in
                StoredEvidence(
                    path: row["path"], member: row["member"], size: row["size"], sha256: row["sha256"],
                    format: row["format"], parser: row["parser"], parserVersion: row["parser_version"],
                    status: row["status"], detail: row["detail"], records: row["records"], ignored: row["ignored"],
                    malformed: row["malformed"], observations: row["observations"], warnings: row["warnings"],
                    notes: (row["notes"] as String?).flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) })
            }
        }
    }

    /// Earlier readings of an evidence item that `ingest --replace` superseded, oldest first
    /// (kept out of the annex: they depend on when the case was worked, not on the evidence).
    public func readingHistory(sha256: String, path: String, member: String?) throws(CaseError) -> [String] {
        try read { db in
            let text = try String.fetchOne(
                db, sql: "SELECT history FROM evidence WHERE sha256 = ? AND path = ? AND ifnull(member, '') = ?",
                arguments: [sha256, path, member ?? ""])
            return text.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        }
    }

    /// How many records of an evidence item (by hash) are dated after `key` (a ``Timestamp``
    /// sort key), with the leeway of ``datedAfter(_:)``.
    public func recordsDated(after key: Int64, sha256: String) throws(CaseError) -> Int? {
        try read { db in
            let (condition, bounds) = Self.datedAfter(key)
            // The `observation` view's two parts, counted apart: a flow's two ends have its time,
            // which always has a zone, so the flows are counted by the `flow_time` index
            // instead of the view making each end's time text.
            let items = "SELECT id FROM evidence WHERE sha256 = ?"
            return try Int.fetchOne(
                db,
                sql: """
                    SELECT (SELECT count(*) FROM record_observation WHERE evidence_id IN (\(items)) AND \(condition))
                        + 2 * (SELECT count(*) FROM flow WHERE evidence_id IN (\(items)) AND time_key > ?)
                    """,
                arguments: [sha256, bounds[0], bounds[1], sha256, bounds[1]])
        }
    }

    /// Stored parse warnings of an evidence item, as `position: message: excerpt`.
    public func warnings(sha256: String) throws(CaseError) -> [String] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT w.position, w.message, w.excerpt FROM parse_warning w JOIN evidence e ON e.id = w.evidence_id
                    WHERE e.sha256 = ? ORDER BY w.id
                    """, arguments: [sha256]
            ).map { row in
                let excerpt: String? = row["excerpt"]
                return "\(row["position"] as String): \(row["message"] as String)" + (excerpt.map { ": \($0)" } ?? "")
            }
        }
    }

    /// How many distinct user agents the case holds.
    public func distinctUserAgentCount() throws(CaseError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM user_agent") ?? 0 }
    }
}

/// A flow as stored, with the capture it was read from.
public struct StoredFlow: Sendable {
    public var flow: Flow
    public var evidenceSHA256: String
    public var path: String
    public var member: String?

    public init(flow: Flow, evidenceSHA256: String, path: String, member: String?) {
        self.flow = flow
        self.evidenceSHA256 = evidenceSHA256
        self.path = path
        self.member = member
    }

    /// Where the flow's first packet is: the capture and packet number.
    public var locator: Locator {
        Locator(
            evidenceSHA256: evidenceSHA256, path: path, member: member,
            position: .packet(number: flow.firstPacket, offset: flow.firstPacketOffset))
    }
}

extension CaseStore {
    /// Every flow of the case's captures, by first packet time.
    public func forEachFlow(_ body: (StoredFlow) throws -> Void) throws(CaseError) {
        try read { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT f.*, e.sha256 AS evidence_sha256, e.path AS evidence_path, e.member AS evidence_member
                    FROM flow f JOIN evidence e ON e.id = f.evidence_id
                    ORDER BY f.time_key, e.path, f.first_packet
                    """)
            while let row = try rows.next() {
                try body(
                    StoredFlow(
                        flow: try Self.flow(row), evidenceSHA256: row["evidence_sha256"], path: row["evidence_path"],
                        member: row["evidence_member"]))
            }
        }
    }
}

extension CaseStore {
    /// A flow from its row (migration v7's columns).
    static func flow(_ row: Row) throws -> Flow {
        func address(_ column: String) throws -> IPAddress {
            let text: String = row[column]
            guard let address = IPAddress(text) else {
                throw CaseError.storeUnavailable(
                    path: "flow \(row["id"] as Int64? ?? 0)", reason: "'\(text)' in \(column) is not an address")
            }
            return address
        }
        func strings(_ column: String) throws -> [String] {
            let text: String = row[column] ?? "[]"
            if text == "[]" { return [] }
            return try JSONText.flatStringArray(text) ?? JSONDecoder().decode([String].self, from: Data(text.utf8))
        }
        let vlan: Int? = row["vlan"]
        let tunnel: String? = row["tunnel"]
        let tunnelSource: String? = row["tunnel_source"]
        let tunnelDestination: String? = row["tunnel_destination"]
        return Flow(
            id: row["flow_id"], protocolNumber: UInt8(truncatingIfNeeded: row["protocol"] as Int),
            originator: try address("originator"),
            originatorPort: UInt16(truncatingIfNeeded: row["originator_port"] as Int), responder: try address("responder"),
            responderPort: UInt16(truncatingIfNeeded: row["responder_port"] as Int), firstTime: row["time_key"],
            lastTime: row["last_time"], firstPacket: row["first_packet"], firstPacketOffset: row["first_packet_offset"],
            lastPacket: row["last_packet"], originatorPackets: row["originator_packets"],
            responderPackets: row["responder_packets"],
            originatorIPBytes: row["originator_ip_bytes"], responderIPBytes: row["responder_ip_bytes"],
            originatorBytes: row["originator_bytes"], responderBytes: row["responder_bytes"], missedBytes: row["missed_bytes"],
            state: row["state"], history: row["history"], communityID: row["community_id"], services: try strings("services"),
            names: try strings("names"), vlan: vlan.map { UInt16(truncatingIfNeeded: $0) },
            tunnel: tunnel.flatMap { TunnelLayer.Kind(rawValue: $0) }, tunnelSource: tunnelSource.flatMap { IPAddress($0) },
            tunnelDestination: tunnelDestination.flatMap { IPAddress($0) }, tunnelParent: row["tunnel_parent"],
            ended: row["ended"])
    }
}
