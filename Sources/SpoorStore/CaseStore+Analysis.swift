import Foundation
import GRDB
import SpoorCore
import SpoorIntel

/// What `analyze` reads from the case and writes back: observations grouped by address, the
/// counts and locators the rules ask for, each account's events, the subject rows and the
/// analysis summary (stored as the JSON documents the analysis module encodes).
extension CaseStore {
    /// Runs `body` in one write transaction that replaces the subjects of the last analysis.
    package func writeSubjects<T>(_ body: (AnalysisPass) throws -> T) throws -> T {
        try database.write { db in
            try db.execute(sql: "DELETE FROM subject_ip")
            return try body(AnalysisPass(db: db))
        }
    }

    /// Replaces the recorded analysis: when it ran, and its summary as a JSON document.
    package func saveAnalysis(ranAt: Date, document: String) throws {
        try database.write { db in
            try db.execute(sql: "DELETE FROM analysis")
            try db.execute(
                sql: "INSERT INTO analysis (ran_at, document) VALUES (?, ?)",
                arguments: [ISO8601DateFormatter().string(from: ranAt), document])
        }
    }

    /// When the last analysis ran (RFC 3339), or nil when the case was never analysed.
    public func analysedAt() throws(CaseError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT ran_at FROM analysis ORDER BY id DESC LIMIT 1") }
    }

    /// The JSON summary of the last analysis, or nil when the case was never analysed.
    package func lastAnalysisDocument() throws(CaseError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT document FROM analysis ORDER BY id DESC LIMIT 1") }
    }

    /// Each subject of the last analysis decoded from its JSON document, in address order, with
    /// a function that streams the positions of every record naming it (see ``SupportingRecord``).
    package func forEachSubject<Subject: Decodable>(
        as type: Subject.Type,
        _ body: (Subject, _ records: ((SupportingRecord) throws -> Void) throws -> Void) throws -> Void
    ) throws(CaseError) {
        try read { db in
            let decoder = JSONDecoder()
            let items = try Self.evidenceItems(db)
            let rows = try Row.fetchCursor(db, sql: "SELECT ip, document FROM subject_ip ORDER BY sort_key, ip")
            while let row = try rows.next() {
                let ip: String = row["ip"]
                let text: String = row["document"]
                let subject = try decoder.decode(type, from: Data(text.utf8))
                try body(subject) { each in try Self.supportingRecords(db, ip: ip, items: items, each) }
            }
        }
    }

    /// How many of the address's observations (counting `message repeated N times` as N) fall
    /// inside any window, outside all, or cannot be placed (no zone).
    static func countInWindows(_ db: Database, ip: String, _ windows: [(from: Int64, until: Int64)]) throws -> WindowCounts {
        let inWindow = windows.map { _ in "(time_key BETWEEN ? AND ?)" }.joined(separator: " OR ")
        var bounds: [DatabaseValueConvertible] = []
        for window in windows { bounds += [window.from, window.until] }
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT sum(CASE WHEN time_utc IS NOT NULL AND (\(inWindow)) THEN count ELSE 0 END) AS inside,
                       sum(CASE WHEN time_utc IS NOT NULL AND NOT (\(inWindow)) THEN count ELSE 0 END) AS outside,
                       sum(CASE WHEN time_utc IS NULL THEN count ELSE 0 END) AS undetermined
                FROM observation WHERE ip = ?
                """,
            arguments: StatementArguments(bounds + bounds + [ip]))
        return WindowCounts(inside: row?["inside"] ?? 0, outside: row?["outside"] ?? 0, undetermined: row?["undetermined"] ?? 0)
    }

    /// The user agents and device names an address's records were seen with, as the casebook
    /// keeps them (``CasebookClient/seen(userAgents:devices:limit:)``: `limit` of each, 20 when
    /// recording). Flow ends have neither.
    static func clients(_ db: Database, ip: String, limit: Int = 20) throws -> (userAgents: [String], devices: [String]) {
        var userAgents: Set<String> = []
        var devices: Set<String> = []
        let rows = try Row.fetchCursor(
            db.cachedStatement(
                sql: """
                    SELECT DISTINCT coalesce(o.user_agent, ua.text) AS user_agent, json_extract(o.fields, '$.device') AS device
                    FROM record_observation o LEFT JOIN user_agent ua ON ua.id = o.user_agent_id
                    WHERE o.ip = ? AND (o.user_agent IS NOT NULL OR o.user_agent_id IS NOT NULL
                        OR json_extract(o.fields, '$.device') IS NOT NULL)
                    """), arguments: [ip])
        while let row = try rows.next(), userAgents.count + devices.count < 1_000 {
            if let text: String = row["user_agent"] { userAgents.insert(text) }
            if let text: String = row["device"] { devices.insert(text) }
        }
        return CasebookClient.seen(userAgents: userAgents, devices: devices, limit: limit)
    }

    /// The locators of up to `limit` records of an address, in time order.
    static func locators(_ db: Database, ip: String, _ selection: RecordSelection, limit: Int) throws -> [Locator] {
        var filter = EventFilter(ip: ip, limit: limit)
        switch selection {
        case .all: break
        case .access: (filter.recordCondition, filter.flowEnds) = ("o.kind = 'access'", false)
        case .accountAccess:
            (filter.recordCondition, filter.flowEnds) = (
                "o.kind = 'access' AND o.time_utc IS NOT NULL AND (\(accountKeySQL)) IS NOT NULL", false
            )
        case .traffic: filter.recordCondition = "o.kind IN ('flow', 'name')"
        }
        var locators: [Locator] = []
        try forEachMergedEvent(db, filter) { locators.append($0.locator) }
        return locators
    }

    /// The order subjects are kept in: the family, then the address's bytes (IPv4 first).
    static func sortKey(_ address: IPAddress) -> Data { Data([address.family.rawValue] + address.bytes) }

    /// One pass over the observations grouped by address, source and action; each address's
    /// groups arrive together (SQL sorts them), so one subject is built at a time. Records and
    /// flow ends are grouped from their own tables (the `observation` view's parts): a flow end
    /// always has a zoned time, no account and no name. Flows are grouped by their evidence
    /// item before its format is joined (one lookup per group, not per flow), and every group
    /// is made by scanning the table and sorting (`+ip` keeps SQLite off the address index:
    /// an index walk fetches each row at random, about twice as slow on a million records).
    static func forEachAggregate(_ db: Database, _ body: (AddressAggregate) throws -> Void) throws {
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT ip, kind, format, action, count(*) AS records, sum(count) AS occurrences,
                    min(CASE WHEN time_utc IS NOT NULL THEN time_key END) AS first_key,
                    max(CASE WHEN time_utc IS NOT NULL THEN time_key END) AS last_key,
                    min(CASE WHEN time_utc IS NULL THEN time_key END) AS zoneless_first,
                    max(CASE WHEN time_utc IS NULL THEN time_key END) AS zoneless_last,
                    json_group_array(DISTINCT account) FILTER (WHERE account IS NOT NULL) AS accounts,
                    json_group_array(DISTINCT json_extract(fields, '$.name'))
                        FILTER (WHERE kind = 'name' AND json_extract(fields, '$.name') IS NOT NULL) AS names
                FROM record_observation WHERE ip IS NOT NULL GROUP BY +ip, kind, format, action
                UNION ALL
                SELECT g.ip, 'flow', e.format, g.action, g.n, g.n, g.first_key, g.last_key, NULL, NULL, '[]', '[]'
                FROM (
                    SELECT originator AS ip, evidence_id, 'flow_originator' AS action, count(*) AS n,
                        min(time_key) AS first_key, max(time_key) AS last_key
                    FROM flow GROUP BY +originator, evidence_id
                    UNION ALL
                    SELECT responder, evidence_id, 'flow_responder', count(*), min(time_key), max(time_key)
                    FROM flow GROUP BY +responder, evidence_id
                ) g JOIN evidence e ON e.id = g.evidence_id
                ORDER BY 1
                """)
        var current: AddressAggregate? = nil
        var range = TimeRanges()
        var accounts: Set<String> = []
        var names: Set<String> = []
        func emit() throws {
            guard var subject = current else { return }
            subject.firstSeen = keyText(range.first)
            subject.lastSeen = keyText(range.last)
            subject.zonelessFirst = keyText(range.zonelessFirst, zoneless: true)
            subject.zonelessLast = keyText(range.zonelessLast, zoneless: true)
            // Byte order, as SQL sorts text.
            subject.accounts = accounts.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let reached = names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.prefix(50)
            subject.reachedAs = reached.isEmpty ? nil : Array(reached)
            try body(subject)
        }
        let decoder = JSONDecoder()
        while let row = try rows.next() {
            let ip: String = row["ip"]
            guard let address = IPAddress(ip) else { continue }
            if current?.ip != ip {
                try emit()
                current = AddressAggregate(address: address, ip: ip)
                range = TimeRanges()
                accounts = []
                names = []
            }
            let kind: String = row["kind"]
            if let known = ObservationKind(rawValue: kind) { current?.kinds.insert(known) }
            let records: Int = row["records"]
            let occurrences: Int = row["occurrences"]
            current?.records += records
            current?.occurrences += occurrences
            current?.bySource[row["format"], default: 0] += occurrences
            current?.byAction[row["action"], default: 0] += occurrences
            range.include(
                first: row["first_key"], last: row["last_key"], zonelessFirst: row["zoneless_first"],
                zonelessLast: row["zoneless_last"])
            let accountList: String = row["accounts"] ?? "[]"
            accounts.formUnion(try decoder.decode([String].self, from: Data(accountList.utf8)))
            let nameList: String = row["names"] ?? "[]"
            names.formUnion(try decoder.decode([String].self, from: Data(nameList.utf8)))
        }
        try emit()
    }

    static func keyText(_ key: Int64?, zoneless: Bool = false) -> String? {
        guard let key else { return nil }
        let stamp = Timestamp(sortKey: key, zone: zoneless ? .unspecified : .utc)
        return zoneless ? stamp.displayText : stamp.rfc3339UTC
    }

    /// The records naming an address, by evidence item (path, member, hash) and then position;
    /// a record kept by JSON pointer comes before the numbered ones of its item.
    ///
    /// Read from the `observation` view's two parts (its flow ends' locators made as the view
    /// makes them), so that no time or field text is made for a record only its place is needed of.
    typealias EvidenceItems = [Int64: (sha256: String, path: String, member: String?)]

    /// Each evidence item's hash, path and member by its row id, read once per pass.
    /// A record's locator from its `locator` and `evidence_id` columns and the case's items.
    static func locator(_ row: Row, items: EvidenceItems) throws -> Locator {
        let item = items[row["evidence_id"] as Int64]
        return try StoredEvent.locator(row["locator"], sha256: item?.sha256 ?? "", path: item?.path ?? "", member: item?.member)
    }

    static func evidenceItems(_ db: Database) throws -> EvidenceItems {
        var items: EvidenceItems = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, sha256, path, member FROM evidence") {
            items[row[0]] = (row[1], row[2], row[3])
        }
        return items
    }

    /// - Parameter items: ``evidenceItems(_:)``: rows carry only their item's id, so a
    ///   capture's flows do not bring the item's hash and path along one by one.
    static func supportingRecords(
        _ db: Database, ip: String, items: EvidenceItems, _ each: (SupportingRecord) throws -> Void
    ) throws {
        // Cached: it is asked once per address, and preparing this statement costs more than
        // running it for an address with few records.
        let rows = try Row.fetchCursor(
            db.cachedStatement(
                sql: """
                    SELECT position, locator, evidence_id FROM (
                    SELECT o.position, o.locator, o.evidence_id, e.sha256, e.path, e.member, o.id
                    FROM record_observation o JOIN evidence e ON e.id = o.evidence_id WHERE o.ip = ?
                    UNION ALL
                    SELECT f.first_packet, json_object('offset', f.first_packet_offset, 'packet', f.first_packet), f.evidence_id,
                        e.sha256, e.path, e.member, \(flowEndID(flowRow: 0)) + 2 * f.id
                    FROM flow f JOIN evidence e ON e.id = f.evidence_id WHERE f.originator = ?
                    UNION ALL
                    SELECT f.first_packet, json_object('offset', f.first_packet_offset, 'packet', f.first_packet), f.evidence_id,
                        e.sha256, e.path, e.member, \(flowEndID(flowRow: 0) + 1) + 2 * f.id
                    FROM flow f JOIN evidence e ON e.id = f.evidence_id WHERE f.responder = ?
                    ) ORDER BY path, ifnull(member, ''), sha256, position, id
                    """),
            arguments: [ip, ip, ip])
        let decoder = JSONDecoder()
        var kind = ""
        var lastItem: Int64?
        while let row = try rows.next() {
            let position: Int? = row[0]
            let locatorText: String = row[1]
            let evidence: Int64 = row[2]
            guard let item = items[evidence] else { continue }
            var record = SupportingRecord(
                sha256: item.sha256, path: item.path, member: item.member, kind: kind, position: position)
            // The stored locator is the position only (`{"line":12}`), or a whole locator when
            // the record points into another item; decoded when it says something the columns do not.
            let whole = locatorText.utf8.count > 40 && locatorText.contains("\"sha256\"")
            if evidence != lastItem || position == nil || kind == "json_pointer" || whole {
                var locator = try decoder.decode(Locator.self, from: Data(locatorText.utf8))
                if locator.evidenceSHA256.isEmpty {
                    locator = Locator(
                        evidenceSHA256: item.sha256, path: item.path, member: item.member, position: locator.position)
                }
                record = SupportingRecord(locator)
                if whole {
                    try each(record)
                    continue
                }
                kind = record.kind
                lastItem = evidence
            }
            try each(record)
        }
    }

}

/// The analysis's view of the case inside its transaction (``CaseStore/writeSubjects(_:)``).
package struct AnalysisPass {
    let db: Database

    /// The observations grouped by address, one address at a time in address-text order.
    package func forEachAddress(_ body: (AddressAggregate) throws -> Void) throws {
        try CaseStore.forEachAggregate(db, body)
    }

    /// How many of the address's observations fall inside any window, outside all, or cannot be placed.
    package func countInWindows(ip: String, _ windows: [(from: Int64, until: Int64)]) throws -> WindowCounts {
        try CaseStore.countInWindows(db, ip: ip, windows)
    }

    /// The user agents and device names an address's records were seen with: all of them (up
    /// to the 1,000 read), for comparing with the casebook's.
    package func clients(ip: String) throws -> [CasebookClient] {
        let seen = try CaseStore.clients(db, ip: ip, limit: 1_000)
        return seen.userAgents.map { CasebookClient(.userAgent, $0) } + seen.devices.map { CasebookClient(.device, $0) }
    }

    /// The locators of up to `limit` records of an address, in time order.
    package func locators(ip: String, _ selection: RecordSelection, limit: Int) throws -> [Locator] {
        try CaseStore.locators(db, ip: ip, selection, limit: limit)
    }

    /// The address's dated records that may be login attempts: logins, failed logins, and POSTs
    /// to WordPress's `wp-login.php` and `xmlrpc.php`, in time order.
    package func loginAttempts(ip: String, limit: Int) throws -> [LoginAttempt] {
        var filter = CaseStore.EventFilter(ip: ip, limit: limit)
        filter.flowEnds = false
        filter.recordCondition = """
            o.kind = 'access' AND o.time_key IS NOT NULL AND (o.action IN ('login', 'login_failed')
                OR (o.action = 'request' AND o.raw_action LIKE 'POST %' AND (o.raw_action LIKE '%/wp-login.php%'
                    OR o.raw_action LIKE '%/xmlrpc.php%')))
            """
        var attempts: [LoginAttempt] = []
        try CaseStore.forEachMergedEvent(db, filter) { event in
            guard case .access(let action) = event.action, let key = event.timeKey else { return }
            attempts.append(
                LoginAttempt(
                    timeKey: key, timeUTC: event.timeUTC, action: action, rawAction: event.rawAction, account: event.account,
                    format: event.format, evidence: event.locator.path, status: event.fields["status"].flatMap { Int($0) },
                    count: max(1, event.count), locator: event.locator))
        }
        return attempts
    }

    /// Stores one attributed subject.
    package func insert(_ subject: SubjectRow) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO subject_ip (ip, family, address_class, document, sort_key, countries, asns, flagged,
                    latitude, longitude, radius_km, location_source)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            subject.ip, Int(subject.address.family.rawValue), subject.addressClass.rawValue, subject.document,
            CaseStore.sortKey(subject.address), subject.countries.isEmpty ? nil : JSONText.array(subject.countries),
            subject.asns.isEmpty ? nil : "[" + subject.asns.map(String.init).joined(separator: ",") + "]", subject.flagged,
            subject.location?.latitude, subject.location?.longitude, subject.location?.radiusKm, subject.location?.source,
        ])
    }
}

/// What one address's observations add up to, before attribution.
package struct AddressAggregate: Sendable {
    package var address: IPAddress
    package var ip: String
    package var records = 0
    package var occurrences = 0
    package var bySource: [String: Int] = [:]
    package var byAction: [String: Int] = [:]
    package var firstSeen: String?
    package var lastSeen: String?
    package var zonelessFirst: String?
    package var zonelessLast: String?
    /// Byte order, as SQL sorts text.
    package var accounts: [String] = []
    /// The names it was reached as in captures (at most 50, byte order), nil when none.
    package var reachedAs: [String]?
    /// The kinds of observation naming it.
    package var kinds: Set<ObservationKind> = []
}

/// A subject's row: its address, the columns the queries filter on, and its JSON document.
package struct SubjectRow: Sendable {
    package var address: IPAddress
    package var ip: String
    package var addressClass: AddressClass
    package var document: String
    package var countries: [String]
    package var asns: [UInt32]
    package var flagged: Bool
    /// Where the first database that gives coordinates places it.
    package var location: GeoPoint?

    package init(
        address: IPAddress, ip: String, addressClass: AddressClass, document: String, countries: [String], asns: [UInt32],
        flagged: Bool, location: GeoPoint? = nil
    ) {
        self.location = location
        self.address = address
        self.ip = ip
        self.addressClass = addressClass
        self.document = document
        self.countries = countries
        self.asns = asns
        self.flagged = flagged
    }
}

/// Where one record naming an address is: its evidence item and its position there.
public struct SupportingRecord: Hashable, Sendable {
    public var sha256: String
    public var path: String
    public var member: String?
    /// `line`, `row`, `packet` or `json_pointer`.
    public var kind: String
    public var position: Int?
    public var pointer: String?

    init(sha256: String, path: String, member: String?, kind: String, position: Int?) {
        self.sha256 = sha256
        self.path = path
        self.member = member
        self.kind = kind
        self.position = position
    }

    init(_ locator: Locator) {
        sha256 = locator.evidenceSHA256
        path = locator.path
        member = locator.member
        switch locator.position {
        case .line(let n): (kind, position) = ("line", n)
        case .row(let n): (kind, position) = ("row", n)
        case .packet(let n, _): (kind, position) = ("packet", n)
        case .jsonPointer(let p): (kind, pointer) = ("json_pointer", p)
        }
    }
}

/// Earliest and latest sort keys, kept apart for zoned and zone-less times.
struct TimeRanges {
    var first: Int64?
    var last: Int64?
    var zonelessFirst: Int64?
    var zonelessLast: Int64?

    mutating func include(first f: Int64?, last l: Int64?, zonelessFirst zf: Int64?, zonelessLast zl: Int64?) {
        first = [first, f].compactMap { $0 }.min()
        last = [last, l].compactMap { $0 }.max()
        zonelessFirst = [zonelessFirst, zf].compactMap { $0 }.min()
        zonelessLast = [zonelessLast, zl].compactMap { $0 }.max()
    }
}
