import Foundation
import GRDB
import SpoorAnalysis
import SpoorCore
import SpoorEnrichment
import SpoorIntake
import SpoorIntel

extension CaseStore {
    /// Analyses the case: sessions and novelty marks account by account, then each distinct
    /// address attributed once (``Attributor``) and given to the address rules, then the
    /// account rules over each account's events in time order. Replaces the previous analysis.
    /// - Parameters:
    ///   - mmdbPaths: MaxMind-format databases to enrich from.
    ///   - intel: the indicator store, when there is one.
    ///   - rules: the rules to run, in report order (``RuleRegistry/standard(forgetEvery:)``).
    ///   - now: when the analysis ran, as it is recorded (default: the case's clock).
    public func analyze(
        mmdbPaths: [String], intel: IndicatorStore?, rules: [any Rule] = RuleRegistry.standard(), now: Date? = nil
    ) throws -> AnalysisSummary {
        var files: [ReferenceFile] = []
        for path in mmdbPaths { files.append(ReferenceFile(path: path, sha256: try FileHasher.sha256(path: path).sha256)) }
        let attributor: Attributor
        do {
            attributor = try Attributor(databases: files, intel: intel)
        } catch {
            switch error {
            case .database(let path, let reason): throw CaseError.referenceData(path: path, reason: reason)
            case .referenceStore(let reason): throw CaseError.referenceData(path: intel?.path ?? "", reason: reason)
            }
        }
        let run = RuleRun(rules: rules)
        // Sessions and novelty first: the rules read them.
        try database.write { db in try Sessions.mark(db) }

        // One address at a time, from grouped observations to its stored row: memory holds one
        // subject, however many addresses the case has.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var subjectCount = 0
        try database.write { db in
            try db.execute(sql: "DELETE FROM subject_ip")
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO subject_ip (ip, family, address_class, document, sort_key, countries, asns, flagged)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            try Self.forEachAggregate(db) { aggregate, kinds in
                var subject = aggregate
                let ip = subject.ip
                guard let address = IPAddress(ip) else { return }
                try attributor.attribute(&subject) { windows in try Self.countInWindows(db, ip: ip, windows) }
                let countries = Set(subject.enrichment.compactMap(\.countryCode)).sorted()
                let asns = Set(subject.enrichment.compactMap(\.asn)).sorted()
                let context = SubjectContext(subject: subject, kinds: kinds) { selection, limit in
                    try Self.locators(db, ip: ip, selection, limit: limit)
                }
                try insert.execute(arguments: [
                    subject.ip, Int(address.family.rawValue), subject.addressClass.rawValue,
                    String(decoding: try encoder.encode(subject), as: UTF8.self), Self.sortKey(address),
                    countries.isEmpty ? nil : JSONText.array(countries),
                    asns.isEmpty ? nil : "[" + asns.map(String.init).joined(separator: ",") + "]",
                    context.flagged,
                ])
                try run.consume(context)
                subjectCount += 1
            }
            try Self.forEachAccountEvent(db) { account, event in try run.consume(event, account: account) }
        }
        let summary = AnalysisSummary(
            databases: attributor.databases, intel: attributor.intelReference, subjects: subjectCount,
            findings: try run.findings(), rules: run.stated, sessions: Sessioning.tunables)
        try database.write { db in
            try db.execute(sql: "DELETE FROM analysis")
            try db.execute(
                sql: "INSERT INTO analysis (ran_at, document) VALUES (?, ?)",
                arguments: [
                    ISO8601DateFormatter().string(from: now ?? clock.now()),
                    String(decoding: try encoder.encode(summary), as: UTF8.self),
                ])
        }
        return summary
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

    /// The locators of up to `limit` records of an address, in time order.
    static func locators(_ db: Database, ip: String, _ selection: RecordSelection, limit: Int) throws -> [Locator] {
        var filter = EventFilter(ip: ip, limit: limit)
        switch selection {
        case .all: break
        case .access: (filter.recordCondition, filter.flowEnds) = ("o.kind = 'access'", false)
        case .accountAccess:
            (filter.recordCondition, filter.flowEnds) = (
                "o.kind = 'access' AND o.time_utc IS NOT NULL AND m.account_key IS NOT NULL", false
            )
        case .traffic: filter.recordCondition = "o.kind IN ('flow', 'name')"
        }
        var locators: [Locator] = []
        try forEachMergedEvent(db, filter) { locators.append($0.locator) }
        return locators
    }

    /// Every dated account record, account by account and each account's in time order, with
    /// its marks and what attribution said of its address.
    static func forEachAccountEvent(_ db: Database, _ body: (String, AccountEvent) throws -> Void) throws {
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT o.id, o.time_key, o.time_utc, o.ip, o.action, o.locator, m.account_key, m.session, m.novel,
                    e.sha256 AS evidence_sha256, e.path AS evidence_path, e.member AS evidence_member,
                    s.countries AS subject_countries, s.asns AS subject_asns
                FROM observation o
                JOIN evidence e ON e.id = o.evidence_id
                JOIN observation_mark m ON m.observation_id = o.id
                LEFT JOIN subject_ip s ON s.ip = o.ip
                WHERE o.kind = 'access' AND o.time_utc IS NOT NULL AND m.account_key IS NOT NULL
                ORDER BY m.account_key, \(eventOrder)
                """)
        while let row = try rows.next() {
            guard let timeKey: Int64 = row["time_key"] else { continue }
            let locator = try StoredEvent.locator(row)
            let novel: String = row["novel"] ?? "[]"
            let countries: String? = row["subject_countries"]
            let asns: String? = row["subject_asns"]
            let action: String = row["action"] ?? "other"
            let event = AccountEvent(
                id: row["id"], timeKey: timeKey, timeUTC: row["time_utc"], ip: row["ip"],
                action: Action(rawValue: action) ?? .other,
                session: row["session"], novel: Set(try JSONText.stringArray(novel).compactMap { Novelty(rawValue: $0) }),
                locator: locator, countries: try countries.map(JSONText.stringArray) ?? [],
                asns: try asns.map { try JSONText.unsignedArray($0).compactMap { UInt32(exactly: $0) } } ?? [])
            try body(row["account_key"], event)
        }
    }

    /// The order subjects are kept in: the family, then the address's bytes (IPv4 first).
    static func sortKey(_ address: IPAddress) -> Data { Data([address.family.rawValue] + address.bytes) }

    /// One pass over the observations grouped by address, source and action; each address's
    /// groups arrive together (SQL sorts them), so one subject is built at a time. Records and
    /// flow ends are grouped from their own tables (the `observation` view's parts): a flow end
    /// always has a zoned time, no account and no name.
    static func forEachAggregate(_ db: Database, _ body: (SubjectIP, Set<ObservationKind>) throws -> Void) throws {
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
                FROM record_observation WHERE ip IS NOT NULL GROUP BY ip, kind, format, action
                UNION ALL
                SELECT f.originator, 'flow', e.format, 'flow_originator', count(*), count(*), min(f.time_key),
                    max(f.time_key), NULL, NULL, '[]', '[]'
                FROM flow f JOIN evidence e ON e.id = f.evidence_id GROUP BY f.originator, e.format
                UNION ALL
                SELECT f.responder, 'flow', e.format, 'flow_responder', count(*), count(*), min(f.time_key),
                    max(f.time_key), NULL, NULL, '[]', '[]'
                FROM flow f JOIN evidence e ON e.id = f.evidence_id GROUP BY f.responder, e.format
                ORDER BY 1
                """)
        var current: SubjectIP? = nil
        var range = TimeRanges()
        var accounts: Set<String> = []
        var names: Set<String> = []
        var kinds: Set<ObservationKind> = []
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
            try body(subject, kinds)
        }
        let decoder = JSONDecoder()
        while let row = try rows.next() {
            let ip: String = row["ip"]
            guard let address = IPAddress(ip) else { continue }
            if current?.ip != ip {
                try emit()
                current = SubjectIP(address: address)
                current?.ip = ip
                range = TimeRanges()
                accounts = []
                names = []
                kinds = []
            }
            let kind: String = row["kind"]
            if let known = ObservationKind(rawValue: kind) { kinds.insert(known) }
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

    /// The subject IPs of the last analysis, in address order. Holds them all: for a case of
    /// many addresses, ``forEachSubject(_:)`` reads one at a time.
    public func subjects() throws(CaseError) -> [SubjectIP] {
        var all: [SubjectIP] = []
        try forEachSubject { subject, _ in all.append(subject) }
        return all
    }

    /// Each subject IP of the last analysis in address order, one at a time, with a function
    /// that streams the positions of every record naming it (see ``SupportingRecord``).
    public func forEachSubject(
        _ body: (SubjectIP, _ records: ((SupportingRecord) throws -> Void) throws -> Void) throws -> Void
    ) throws(CaseError) {
        try read { db in
            let decoder = JSONDecoder()
            let items = try Self.evidenceItems(db)
            let rows = try Row.fetchCursor(db, sql: "SELECT document FROM subject_ip ORDER BY sort_key, ip")
            while let row = try rows.next() {
                let text: String = row["document"]
                let subject = try decoder.decode(SubjectIP.self, from: Data(text.utf8))
                try body(subject) { each in try Self.supportingRecords(db, ip: subject.ip, items: items, each) }
            }
        }
    }

    /// The records naming an address, by evidence item (path, member, hash) and then position;
    /// a record kept by JSON pointer comes before the numbered ones of its item.
    ///
    /// Read from the `observation` view's two parts (its flow ends' locators made as the view
    /// makes them), so that no time or field text is made for a record only its place is needed of.
    typealias EvidenceItems = [Int64: (sha256: String, path: String, member: String?)]

    /// Each evidence item's hash, path and member by its row id, read once per pass.
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

    /// The summary of the last analysis, or nil when the case was never analysed.
    public func lastAnalysis() throws(CaseError) -> AnalysisSummary? {
        try read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT document FROM analysis ORDER BY id DESC LIMIT 1") else {
                return nil
            }
            return try JSONDecoder().decode(AnalysisSummary.self, from: Data(text.utf8))
        }
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
