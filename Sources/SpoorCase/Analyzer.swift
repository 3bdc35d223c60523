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

        var subjects = try aggregateSubjects()
        var hitIDs: Set<Int64> = []
        var hitsByIP: [String: [(Int64, String)]] = [:]
        for index in subjects.indices {
            guard let address = IPAddress(subjects[index].ip) else { continue }
            let answers = try enricher.answers(for: address)
            subjects[index].enrichment = answers
            if let intel {
                let registry = try intel.registryAnswers(for: address)
                subjects[index].registry = registry.isEmpty ? nil : registry
            }
            // Lists holding the address, and host-name lists holding a name it was reached as.
            var listed = warnings?.hits(address) ?? []
            for name in subjects[index].reachedAs ?? [] {
                for hit in warnings?.hits(name: name) ?? [] where !listed.contains(hit) {
                    listed.append(WarninglistHit(name: hit.name, version: hit.version, entry: "\(hit.entry) (reached as \(name))"))
                }
            }
            if !listed.isEmpty { subjects[index].warninglists = listed }
            guard let matcher else { continue }
            var hits = matcher.matches(address).map { ($0, "address") }
            let registryASNs = (subjects[index].registry ?? []).compactMap(\.originASN)
            for asn in Set(answers.compactMap(\.asn) + registryASNs) {
                hits += matcher.matches(asn: asn).map { ($0, "asn") }
            }
            // A domain indicator holding a name the address was reached as in a capture.
            for name in subjects[index].reachedAs ?? [] {
                for id in matcher.matches(domain: name) where !hits.contains(where: { $0.0 == id }) { hits.append((id, "name")) }
            }
            hitIDs.formUnion(hits.map(\.0))
            hitsByIP[subjects[index].ip] = hits
        }
        if let intel, !hitIDs.isEmpty {
            let records = Dictionary(uniqueKeysWithValues: try intel.records(ids: Array(hitIDs)).map { ($0.id, $0) })
            for index in subjects.indices {
                subjects[index].indicatorHits = (hitsByIP[subjects[index].ip] ?? []).compactMap { id, how in
                    records[id].map {
                        IndicatorHit(type: $0.indicator.type.rawValue, value: $0.indicator.value, matchedBy: how, provenance: $0.provenance)
                    }
                }
            }
        }

        for index in subjects.indices where !subjects[index].indicatorHits.isEmpty {
            for h in subjects[index].indicatorHits.indices {
                subjects[index].indicatorHits[h].validity = try validity(of: subjects[index].indicatorHits[h], ip: subjects[index].ip)
            }
        }
        let matched = try indicatorFindings(subjects)
        // Sessions and novelty first: the rules read them.
        try database.write { db in try Sessions.mark(db) }
        let findings = matched + (try database.read { db in try Rules.findings(db, subjects: subjects, numberingFrom: matched.count + 1) })
        let summary = AnalysisSummary(
            databases: enricher.databases.map(\.identity), intel: intelReference, subjects: subjects.count,
            findings: findings)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try database.write { db in
            try db.execute(sql: "DELETE FROM subject_ip")
            for subject in subjects {
                guard let address = IPAddress(subject.ip) else { continue }
                try db.execute(
                    sql: "INSERT INTO subject_ip (ip, family, address_class, document) VALUES (?, ?, ?, ?)",
                    arguments: [
                        subject.ip, Int(address.family.rawValue), subject.addressClass.rawValue,
                        String(decoding: try encoder.encode(subject), as: UTF8.self),
                    ])
            }
            try db.execute(sql: "DELETE FROM analysis")
            try db.execute(
                sql: "INSERT INTO analysis (ran_at, document) VALUES (?, ?)",
                arguments: [ISO8601DateFormatter().string(from: Date()), String(decoding: try encoder.encode(summary), as: UTF8.self)])
        }
        return summary
    }

    /// One pass over the observations, grouped by address, source and action.
    func aggregateSubjects() throws -> [SubjectIP] {
        try database.read { db in
            var subjects: [String: SubjectIP] = [:]
            var ranges: [String: TimeRanges] = [:]
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT ip, format, action, count(*) AS records, sum(count) AS occurrences,
                        min(CASE WHEN time_utc IS NOT NULL THEN time_key END) AS first_key,
                        max(CASE WHEN time_utc IS NOT NULL THEN time_key END) AS last_key,
                        min(CASE WHEN time_utc IS NULL THEN time_key END) AS zoneless_first,
                        max(CASE WHEN time_utc IS NULL THEN time_key END) AS zoneless_last
                    FROM observation WHERE ip IS NOT NULL GROUP BY ip, format, action
                    """)
            while let row = try rows.next() {
                let ip: String = row["ip"]
                guard let address = IPAddress(ip) else { continue }
                var subject = subjects[ip] ?? SubjectIP(
                    ip: ip, addressClass: address.addressClass,
                    specialPurpose: address.specialPurposeBlock.map { "\($0.name), \($0.reference)" },
                    records: 0, occurrences: 0, bySource: [:], byAction: [:], accounts: [], enrichment: [],
                    indicatorHits: [])
                let records: Int = row["records"]
                let occurrences: Int = row["occurrences"]
                subject.records += records
                subject.occurrences += occurrences
                subject.bySource[row["format"], default: 0] += occurrences
                subject.byAction[row["action"], default: 0] += occurrences
                var range = ranges[ip] ?? TimeRanges()
                range.include(first: row["first_key"], last: row["last_key"], zonelessFirst: row["zoneless_first"], zonelessLast: row["zoneless_last"])
                ranges[ip] = range
                subjects[ip] = subject
            }
            for (ip, range) in ranges {
                subjects[ip]?.firstSeen = keyText(range.first)
                subjects[ip]?.lastSeen = keyText(range.last)
                subjects[ip]?.zonelessFirst = keyText(range.zonelessFirst, zoneless: true)
                subjects[ip]?.zonelessLast = keyText(range.zonelessLast, zoneless: true)
            }
            let accounts = try Row.fetchCursor(
                db, sql: "SELECT DISTINCT ip, account FROM observation WHERE ip IS NOT NULL AND account IS NOT NULL ORDER BY ip, account")
            while let row = try accounts.next() {
                subjects[row["ip"]]?.accounts.append(row["account"])
            }
            let names = try Row.fetchCursor(
                db,
                sql: """
                    SELECT DISTINCT ip, json_extract(fields, '$.name') AS name FROM observation
                    WHERE kind = 'name' AND ip IS NOT NULL AND json_extract(fields, '$.name') IS NOT NULL ORDER BY ip, name
                    """)
            while let row = try names.next() {
                let ip: String = row["ip"]
                guard var subject = subjects[ip], (subject.reachedAs?.count ?? 0) < 50 else { continue }
                subject.reachedAs = (subject.reachedAs ?? []) + [row["name"] as String]
                subjects[ip] = subject
            }
            return subjects.values.sorted { (IPAddress($0.ip) ?? IPAddress(v4: 0)) < (IPAddress($1.ip) ?? IPAddress(v4: 0)) }
        }
    }

    /// Sets the address's observations against the hit's validity windows, when every
    /// provenance record states one (a window's open end is unbounded; a bare date `until`
    /// runs to the end of that day, UTC).
    func validity(of hit: IndicatorHit, ip: String) throws -> ValidityCheck? {
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
        return try database.read { db in
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
    }

    /// A finding for every subject IP that an indicator covers.
    func indicatorFindings(_ subjects: [SubjectIP]) throws -> [Finding] {
        var findings: [Finding] = []
        for subject in subjects where !subject.indicatorHits.isEmpty {
            guard let address = IPAddress(subject.ip) else { continue }
            let cited = subject.indicatorHits.map { hit -> String in
                let sources = hit.provenance.map { p in
                    p.source + (p.reference.map { " (\($0))" } ?? "") + (p.firstSeen.map { ", first seen \($0)" } ?? "")
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

    func keyText(_ key: Int64?, zoneless: Bool = false) -> String? {
        guard let key else { return nil }
        let stamp = Timestamp(sortKey: key, zone: zoneless ? .unspecified : .utc)
        return zoneless ? stamp.displayText : stamp.rfc3339UTC
    }

    /// The subject IPs of the last analysis, in address order.
    public func subjects() throws(CaseError) -> [SubjectIP] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT document FROM subject_ip").map {
                try JSONDecoder().decode(SubjectIP.self, from: Data($0.utf8))
            }.sorted { (IPAddress($0.ip) ?? IPAddress(v4: 0)) < (IPAddress($1.ip) ?? IPAddress(v4: 0)) }
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
