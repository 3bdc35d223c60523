import Foundation
import GRDB
import SpoorCore
import SpoorEnrichment
import SpoorIntake
import SpoorIntel

/// The unit of attribution: one distinct address, everything the case says about it, and
/// everything reference data says about it, each answer with its source.
public struct SubjectIP: Hashable, Sendable, Codable {
    public var ip: String
    public var addressClass: AddressClass
    /// The special-purpose registry block, e.g. `Documentation (TEST-NET-3), RFC 5737`.
    public var specialPurpose: String?
    /// First and last time seen, RFC 3339 UTC, over records with a stated zone.
    public var firstSeen: String?
    public var lastSeen: String?
    /// Records whose source gave no zone: their wall-clock range, marked as such.
    public var zonelessFirst: String?
    public var zonelessLast: String?
    /// Stored records naming the address.
    public var records: Int
    /// Occurrences, counting `message repeated N times` as N.
    public var occurrences: Int
    /// Occurrences per source format and per action.
    public var bySource: [String: Int]
    public var byAction: [String: Int]
    /// Account or user names seen with the address.
    public var accounts: [String]
    /// Names the address was reached as in packet captures (DNS answers, TLS server names, HTTP
    /// hosts), at most 50; nil when no capture named it.
    public var reachedAs: [String]?
    public var enrichment: [EnrichmentAnswer]
    /// What registry data (RPSL, iptoasn) says of the address, one answer per import and its date.
    public var registry: [RegistryAnswer]?
    /// Warninglists holding the address: context (cloud, VPN, a platform's own ranges), never a
    /// reason to drop it. Nil when none does.
    public var warninglists: [WarninglistHit]?
    public var indicatorHits: [IndicatorHit]
}

/// An indicator that covers a subject IP, with who published it.
public struct IndicatorHit: Hashable, Sendable, Codable {
    public var type: String
    public var value: String
    /// `address` (IP/CIDR contains it) or `asn` (the AS an enrichment database names).
    public var matchedBy: String
    public var provenance: [Provenance]
    /// When every provenance record limits the indicator to a validity window: how the
    /// address's observations fall against those windows. Nil when a source states no window
    /// (the indicator holds at any time).
    public var validity: ValidityCheck?
}

/// Observations of an address set against an indicator's validity windows.
public struct ValidityCheck: Hashable, Sendable, Codable {
    /// The windows, `from … until` as the sources state them.
    public var windows: [String]
    /// Observations with a known instant inside any window, and outside all of them.
    public var inside: Int
    public var outside: Int
    /// Observations whose time has no zone (or none at all): they cannot be placed exactly.
    public var undetermined: Int

    /// True when no observation could fall in a window and some fall outside.
    public var onlyOutside: Bool { inside == 0 && undetermined == 0 && outside > 0 }
}

/// What `analyze` used and found; stored in the case and cited by reports.
public struct AnalysisSummary: Hashable, Sendable, Codable {
    public struct IntelReference: Hashable, Sendable, Codable {
        public var path: String
        public var contentHash: String
        public var indicators: Int
        public var provenanceRecords: Int
        public var sources: [String]
    }

    public var databases: [DatabaseIdentity]
    public var intel: IntelReference?
    public var subjects: Int
    public var findings: [Finding]
}

extension CaseStore {
    /// Builds the subject IPs: each distinct address is classified, enriched once from each
    /// database, and matched once against the indicator store. Replaces the previous analysis.
    /// - Parameters:
    ///   - mmdbPaths: MaxMind-format databases to enrich from.
    ///   - intel: the indicator store, when there is one.
    public func analyze(mmdbPaths: [String], intel: IndicatorStore?) throws -> AnalysisSummary {
        let enricher = Enricher()
        defer { enricher.close() }
        for path in mmdbPaths {
            let hash = try FileHasher.sha256(path: path).sha256
            do {
                try enricher.add(path: path, sha256: hash)
            } catch {
                throw CaseError.referenceData(path: path, reason: error.description)
            }
        }
        let matcher = try intel?.matcher()
        let warnings = try intel?.warninglistMatcher()
        var intelReference: AnalysisSummary.IntelReference? = nil
        if let intel {
            let stats = try intel.statistics()
            intelReference = .init(
                path: intel.path, contentHash: stats.contentHash, indicators: stats.indicators,
                provenanceRecords: stats.provenanceRecords, sources: stats.provenanceBySource.keys.sorted())
        }

        // One address at a time, from grouped observations to its stored row: memory holds one
        // subject (and the few that an indicator covers), however many addresses the case has.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var records: [Int64: IndicatorRecord] = [:]
        var covered: [SubjectIP] = []
        var subjectCount = 0
        try database.write { db in
            try db.execute(sql: "DELETE FROM subject_ip")
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO subject_ip (ip, family, address_class, document, sort_key, countries, asns, flagged)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            try Self.forEachAggregate(db) { aggregate in
                var subject = aggregate
                guard let address = IPAddress(subject.ip) else { return }
                let answers = try enricher.answers(for: address)
                subject.enrichment = answers
                if let intel {
                    let registry = try intel.registryAnswers(for: address)
                    subject.registry = registry.isEmpty ? nil : registry
                }
                // Lists holding the address, and host-name lists holding a name it was reached as.
                var listed = warnings?.hits(address) ?? []
                for name in subject.reachedAs ?? [] {
                    for hit in warnings?.hits(name: name) ?? [] where !listed.contains(hit) {
                        listed.append(WarninglistHit(name: hit.name, version: hit.version, entry: "\(hit.entry) (reached as \(name))"))
                    }
                }
                if !listed.isEmpty { subject.warninglists = listed }
                if let matcher, let intel {
                    var hits = matcher.matches(address).map { ($0, "address") }
                    let registryASNs = (subject.registry ?? []).compactMap(\.originASN)
                    for asn in Set(answers.compactMap(\.asn) + registryASNs) {
                        hits += matcher.matches(asn: asn).map { ($0, "asn") }
                    }
                    // A domain indicator holding a name the address was reached as in a capture.
                    for name in subject.reachedAs ?? [] {
                        for id in matcher.matches(domain: name) where !hits.contains(where: { $0.0 == id }) { hits.append((id, "name")) }
                    }
                    let missing = Set(hits.map(\.0)).filter { records[$0] == nil }
                    if !missing.isEmpty {
                        for record in try intel.records(ids: Array(missing)) { records[record.id] = record }
                    }
                    subject.indicatorHits = hits.compactMap { id, how in
                        records[id].map {
                            IndicatorHit(type: $0.indicator.type.rawValue, value: $0.indicator.value, matchedBy: how, provenance: $0.provenance)
                        }
                    }
                    for h in subject.indicatorHits.indices {
                        subject.indicatorHits[h].validity = try Self.validity(db, of: subject.indicatorHits[h], ip: subject.ip)
                    }
                    if !subject.indicatorHits.isEmpty { covered.append(subject) }
                }
                func list<T: Comparable & Hashable & CustomStringConvertible>(_ values: [T]) -> String? {
                    values.isEmpty ? nil : Set(values).sorted().map(\.description).joined(separator: ",")
                }
                let flagged = answers.contains { !$0.flags.isEmpty } || subject.warninglists != nil
                try insert.execute(arguments: [
                    subject.ip, Int(address.family.rawValue), subject.addressClass.rawValue,
                    String(decoding: try encoder.encode(subject), as: UTF8.self), Self.sortKey(address),
                    list(answers.compactMap(\.countryCode)), list(answers.compactMap(\.asn)), flagged,
                ])
                subjectCount += 1
            }
        }
        let matched = try indicatorFindings(covered)
        // Sessions and novelty first: the rules read them.
        try database.write { db in try Sessions.mark(db) }
        let findings = matched + (try database.write { db in try Rules.findings(db, numberingFrom: matched.count + 1) })
        let summary = AnalysisSummary(
            databases: enricher.databases.map(\.identity), intel: intelReference, subjects: subjectCount,
            findings: findings)
        try database.write { db in
            try db.execute(sql: "DELETE FROM analysis")
            try db.execute(
                sql: "INSERT INTO analysis (ran_at, document) VALUES (?, ?)",
                arguments: [ISO8601DateFormatter().string(from: Date()), String(decoding: try encoder.encode(summary), as: UTF8.self)])
        }
        return summary
    }

    /// The order subjects are kept in: the family, then the address's bytes (IPv4 first).
    static func sortKey(_ address: IPAddress) -> Data { Data([address.family.rawValue] + address.bytes) }

    /// One pass over the observations grouped by address, source and action; each address's
    /// groups arrive together (SQL sorts them), so one subject is built at a time.
    static func forEachAggregate(_ db: Database, _ body: (SubjectIP) throws -> Void) throws {
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT ip, format, action, count(*) AS records, sum(count) AS occurrences,
                    min(CASE WHEN time_utc IS NOT NULL THEN time_key END) AS first_key,
                    max(CASE WHEN time_utc IS NOT NULL THEN time_key END) AS last_key,
                    min(CASE WHEN time_utc IS NULL THEN time_key END) AS zoneless_first,
                    max(CASE WHEN time_utc IS NULL THEN time_key END) AS zoneless_last,
                    json_group_array(DISTINCT account) FILTER (WHERE account IS NOT NULL) AS accounts,
                    json_group_array(DISTINCT json_extract(fields, '$.name'))
                        FILTER (WHERE kind = 'name' AND json_extract(fields, '$.name') IS NOT NULL) AS names
                FROM observation WHERE ip IS NOT NULL GROUP BY ip, format, action ORDER BY ip
                """)
        var current: SubjectIP? = nil
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
                current = SubjectIP(
                    ip: ip, addressClass: address.addressClass,
                    specialPurpose: address.specialPurposeBlock.map { "\($0.name), \($0.reference)" },
                    records: 0, occurrences: 0, bySource: [:], byAction: [:], accounts: [], enrichment: [],
                    indicatorHits: [])
                range = TimeRanges()
                accounts = []
                names = []
            }
            let records: Int = row["records"]
            let occurrences: Int = row["occurrences"]
            current?.records += records
            current?.occurrences += occurrences
            current?.bySource[row["format"], default: 0] += occurrences
            current?.byAction[row["action"], default: 0] += occurrences
            range.include(first: row["first_key"], last: row["last_key"], zonelessFirst: row["zoneless_first"], zonelessLast: row["zoneless_last"])
            let accountList: String = row["accounts"] ?? "[]"
            accounts.formUnion(try decoder.decode([String].self, from: Data(accountList.utf8)))
            let nameList: String = row["names"] ?? "[]"
            names.formUnion(try decoder.decode([String].self, from: Data(nameList.utf8)))
        }
        try emit()
    }

    /// Sets the address's observations against the hit's validity windows, when every
    /// provenance record states one (a window's open end is unbounded; a bare date `until`
    /// runs to the end of that day, UTC).
    static func validity(_ db: Database, of hit: IndicatorHit, ip: String) throws -> ValidityCheck? {
        guard !hit.provenance.isEmpty, hit.provenance.allSatisfy({ $0.validFrom != nil || $0.validUntil != nil }) else { return nil }
        func key(_ text: String?, endOfDay: Bool) -> Int64? {
            guard let text else { return nil }
            if text.count == 10, let day = Timestamp.parseISO8601(text + "T00:00:00Z") {
                return endOfDay ? day.sortKey + 86_400_000_000_000 - 1 : day.sortKey
            }
            return Timestamp.parseISO8601(text)?.sortKey
        }
        let windows = hit.provenance.map { (key($0.validFrom, endOfDay: false) ?? .min, key($0.validUntil, endOfDay: true) ?? .max) }
        let inWindow = windows.map { _ in "(time_key BETWEEN ? AND ?)" }.joined(separator: " OR ")
        var arguments: [DatabaseValueConvertible] = [ip]
        for (from, until) in windows { arguments += [from, until] }
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT sum(CASE WHEN time_utc IS NOT NULL AND (\(inWindow)) THEN count ELSE 0 END) AS inside,
                       sum(CASE WHEN time_utc IS NOT NULL AND NOT (\(inWindow)) THEN count ELSE 0 END) AS outside,
                       sum(CASE WHEN time_utc IS NULL THEN count ELSE 0 END) AS undetermined
                FROM observation WHERE ip = ?
                """,
            arguments: StatementArguments(Array(arguments.dropFirst()) + Array(arguments.dropFirst()) + [ip]))
        return ValidityCheck(
            windows: hit.provenance.map { "\($0.validFrom ?? "…") until \($0.validUntil ?? "…") (\($0.source))" },
            inside: row?["inside"] ?? 0, outside: row?["outside"] ?? 0, undetermined: row?["undetermined"] ?? 0)
    }

    /// A finding for every subject IP that an indicator covers.
    func indicatorFindings(_ subjects: [SubjectIP]) throws -> [Finding] {
        var findings: [Finding] = []
        for subject in subjects where !subject.indicatorHits.isEmpty {
            guard let address = IPAddress(subject.ip) else { continue }
            let cited = subject.indicatorHits.map { hit -> String in
                let sources = hit.provenance.map { p in
                    (p.sourceIsUnstated ? "a publisher not named at import (\(p.origin ?? "file unknown"))" : p.source)
                        + (p.reference.map { " (\($0))" } ?? "") + (p.firstSeen.map { ", first seen \($0)" } ?? "")
                }
                let how = hit.matchedBy == "asn" ? "its network \(hit.value)" : "\(hit.type) indicator \(hit.value)"
                var text = "\(how), reported by \(sources.joined(separator: "; "))"
                if let check = hit.validity {
                    text += " (valid \(check.windows.joined(separator: "; ")): \(check.inside) occurrence(s) inside, \(check.outside) outside"
                        + (check.undetermined > 0 ? ", \(check.undetermined) without a time zone" : "") + ")"
                }
                return text
            }
            let sources = subject.bySource.keys.sorted().joined(separator: ", ")
            let period = [subject.firstSeen, subject.lastSeen].compactMap { $0 }
            var statement = "\(subject.ip) appears \(subject.occurrences) time(s) in the evidence (\(sources))"
            if let names = subject.reachedAs, !names.isEmpty {
                statement += ", reached as \(names.prefix(5).joined(separator: ", "))" + (names.count > 5 ? " and \(names.count - 5) more name(s)" : "")
            }
            if period.count == 2 { statement += " between \(period[0]) and \(period[1])" }
            if let first = subject.zonelessFirst, let last = subject.zonelessLast {
                statement += (period.count == 2 ? ", and" : "") + " in records without a time zone between \(first) and \(last)"
            }
            // Who held the address, with the data and date that say so.
            var holders: [String] = []
            for answer in subject.enrichment {
                guard let asn = answer.asn else { continue }
                holders.append("AS\(asn)" + (answer.asOrganization.map { " \($0)" } ?? "")
                    + " per \(answer.source.databaseType) built \(answer.source.buildDate)")
            }
            for answer in subject.registry ?? [] {
                guard let holder = answer.holder ?? answer.netblock?.name else { continue }
                holders.append("\(holder)" + (answer.netblock.map { " (\($0.key))" } ?? "")
                    + " per registry data \(answer.source.fileName) as of \(answer.source.asOf)")
            }
            if !holders.isEmpty { statement += "; held by " + holders.joined(separator: "; ") + "," }
            if let lists = subject.warninglists, !lists.isEmpty {
                statement += " in warninglist(s) " + lists.map { "\($0.name) (\($0.entry))" }.joined(separator: ", ")
                    + " (shared or benign infrastructure: context, not exoneration),"
            }
            statement += " and matches " + cited.joined(separator: "; and ") + "."
            let locators = try events(ip: subject.ip, limit: 50).map(\.locator)
            findings.append(
                Finding(
                    id: "F\(findings.count + 1)", rule: "indicator_match",
                    // Seen only outside every window its sources give: still reported, lower.
                    severity: subject.indicatorHits.allSatisfy({ $0.validity?.onlyOutside == true }) ? .medium : .high,
                    statement: statement,
                    addresses: [address], indicators: subject.indicatorHits.map { "\($0.type) \($0.value)" },
                    locators: locators))
        }
        return findings
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
            let rows = try Row.fetchCursor(db, sql: "SELECT document FROM subject_ip ORDER BY sort_key, ip")
            while let row = try rows.next() {
                let text: String = row["document"]
                let subject = try decoder.decode(SubjectIP.self, from: Data(text.utf8))
                try body(subject) { each in try Self.supportingRecords(db, ip: subject.ip, each) }
            }
        }
    }

    /// The records naming an address, by evidence item (path, member, hash) and then position;
    /// a record kept by JSON pointer comes before the numbered ones of its item.
    static func supportingRecords(_ db: Database, ip: String, _ each: (SupportingRecord) throws -> Void) throws {
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT o.position, o.locator, e.sha256, e.path, e.member FROM observation o JOIN evidence e ON e.id = o.evidence_id
                WHERE o.ip = ? ORDER BY e.path, ifnull(e.member, ''), e.sha256, o.position, o.id
                """,
            arguments: [ip])
        let decoder = JSONDecoder()
        var kind = ""
        var lastItem = ""
        while let row = try rows.next() {
            let position: Int? = row["position"]
            let locatorText: String = row["locator"]
            var record = SupportingRecord(sha256: row["sha256"], path: row["path"], member: row["member"], kind: kind, position: position)
            let item = record.sha256 + "\u{0}" + record.path + "\u{0}" + (record.member ?? "")
            // The stored locator is the position only (`{"line":12}`), or a whole locator when
            // the record points into another item; decoded when it says something the columns do not.
            if item != lastItem || position == nil || kind == "json_pointer" || locatorText.contains("\"sha256\"") {
                var locator = try decoder.decode(Locator.self, from: Data(locatorText.utf8))
                if locator.evidenceSHA256.isEmpty {
                    locator = Locator(evidenceSHA256: record.sha256, path: record.path, member: record.member, position: locator.position)
                }
                record = SupportingRecord(locator)
                if locatorText.contains("\"sha256\"") {
                    try each(record)
                    continue
                }
                kind = record.kind
                lastItem = item
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
