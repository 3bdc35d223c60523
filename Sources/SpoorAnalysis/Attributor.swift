import Foundation
import SpoorCore
import SpoorEnrichment
import SpoorIntel
import SpoorStore

/// A reference file given to the analysis, identified by the hash its reader took.
public struct ReferenceFile: Hashable, Sendable {
    public var path: String
    public var sha256: String

    public init(path: String, sha256: String) {
        self.path = path
        self.sha256 = sha256
    }
}

/// Why attribution could not start or go on.
public enum AttributionError: Error, Sendable, CustomStringConvertible {
    /// A MaxMind-format database that could not be opened or read.
    case database(path: String, reason: String)
    /// The reference store (indicators, warninglists, registry data) could not be read.
    case referenceStore(reason: String)

    public var description: String {
        switch self {
        case .database(let path, let reason): return reason.hasPrefix(path) ? reason : "\(path): \(reason)"
        case .referenceStore(let reason): return reason
        }
    }
}

/// The one engine that says what reference data knows of an address: its MaxMind-format
/// answers, registry holders, warninglists (of the address and of the names it was reached as),
/// and the indicators that cover it by address, by the AS a database or registry names, or by a
/// name it was reached as, each with its sources and validity. `analyze`, `lookup` and
/// `verify --rerun` all attribute through it, so they cannot disagree.
public final class Attributor {
    /// Counts the observations of the address being attributed inside any of the windows (each
    /// `from … until` as sort keys, both ends included).
    public typealias WindowCounter = (_ windows: [(from: Int64, until: Int64)]) throws -> WindowCounts

    public let intel: IndicatorStore?
    /// What the indicator set was when attribution began: its content hash and size, cited by the annex.
    public let intelReference: AnalysisSummary.IntelReference?
    private let enricher = Enricher()
    /// The database types given in several builds (worked out once: every address asks).
    private var builds: [(type: String, builds: [DatabaseIdentity])] = []
    private let matcher: IndicatorMatcher?
    private let warnings: WarninglistMatcher?
    private let registry: RegistryReader?
    private let casebook: CasebookReader?
    /// The Tor exit lists read for the address last attributed, when one holds it (for
    /// ``datedAnswers(for:)``, asked right after).
    private var lastTorLists: (ip: String, lists: [TorExitListAnswer])?
    /// The passive DNS imports (read once; none: no address asks).
    private var passiveDNSImports: [PassiveDNSImport] = []
    /// The dated reference files in the store when attribution began.
    public private(set) var referenceSnapshots: [ReferenceSnapshot] = []
    /// What the casebook was when attribution began, when it held anything.
    public let casebookReference: AnalysisSummary.CasebookReference?
    /// Indicator records already read, by id: an indicator covering many addresses is read once.
    private var records: [Int64: IndicatorRecord] = [:]

    /// Opens the databases (in the order given) and reads the indicator matcher and warninglists
    /// from the store, when there is one.
    /// - Parameter casebookCase: the pseudonym of the case being analysed, whose own sightings
    ///   the casebook leaves out (nil for `lookup`, which analyses no case).
    public init(databases: [ReferenceFile], intel: IndicatorStore?, casebookCase: String? = nil) throws(AttributionError) {
        for file in databases {
            do {
                try enricher.add(path: file.path, sha256: file.sha256)
            } catch {
                enricher.close()
                throw .database(path: file.path, reason: error.description)
            }
        }
        self.intel = intel
        builds = DatabaseAt.severalBuilds(enricher.databases.map(\.identity))
        do {
            matcher = try intel?.matcher()
            warnings = try intel?.warninglistMatcher()
            registry = try intel.map { try RegistryReader($0) }
            casebook = try intel.map { try CasebookReader($0, excluding: casebookCase) }
            if let intel {
                passiveDNSImports = try intel.passiveDNSImports()
                referenceSnapshots =
                    (try intel.registryImports().map {
                        ReferenceSnapshot(
                            kind: "registry", format: $0.format, fileName: $0.fileName, sha256: $0.sha256, asOf: $0.asOf)
                    }
                    + passiveDNSImports.map {
                        ReferenceSnapshot(
                            kind: "passive DNS", format: "cof", fileName: $0.fileName, sha256: $0.sha256,
                            asOf: String($0.importedAt.prefix(10)))
                    }).sorted()
                let stats = try intel.casebookStatistics()
                casebookReference = .init(
                    cases: stats.cases, sightings: stats.sightings, contentHash: stats.contentHash, ownPseudonym: casebookCase)
            } else {
                casebookReference = nil
            }
            if let intel {
                let stats = try intel.statistics()
                intelReference = .init(
                    path: intel.path, contentHash: stats.contentHash, indicators: stats.indicators,
                    provenanceRecords: stats.provenanceRecords, sources: stats.provenanceBySource.keys.sorted())
            } else {
                intelReference = nil
            }
        } catch {
            enricher.close()
            throw .referenceStore(reason: String(describing: error))
        }
    }

    deinit { enricher.close() }

    /// The databases consulted, in order, as the annex cites them.
    public var databases: [DatabaseIdentity] { enricher.databases.map(\.identity) }

    /// Fills in what reference data says of the subject's address: `enrichment`, `registry`,
    /// `warninglists` and `indicatorHits` (with their validity when `count` is given and every
    /// source of the indicator states a window). The names in `subject.reachedAs` are matched
    /// against host-name warninglists and domain indicators.
    /// `clients` gives the user agents and device names the case saw the address with, for the
    /// casebook (asked only when it saw clients on the address's AS).
    public func attribute(
        _ subject: inout SubjectIP, clients: (() throws -> [CasebookClient])? = nil, count: WindowCounter? = nil
    ) throws {
        guard let address = IPAddress(subject.ip) else { return }
        // Several builds of one database type: the build for the day of the first record answers.
        let chosen = DatabaseAt.choose(
            try enricher.answers(for: address), builds: builds, day: subject.firstSeen ?? subject.zonelessFirst)
        let answers = chosen.kept
        subject.enrichment = answers
        subject.databasesAt = chosen.chosen.isEmpty ? nil : chosen.chosen
        if let registry {
            // The imports that matter for the days of its records (all, when it has no dated record).
            let days = (subject.firstSeen ?? subject.zonelessFirst).map { first in
                first...max(first, subject.lastSeen ?? subject.zonelessLast ?? first)
            }
            let answers = try registry.answers(for: address, days: days)
            subject.registry = answers.isEmpty ? nil : answers
            if let day = subject.firstSeen ?? subject.zonelessFirst {
                subject.heldAt = HeldAt(day: day, answers: answers, firstRecord: subject.records > 0)
                let lists = try registry.torExitLists(for: address)
                subject.torExit = TorExitAt(day: day, lists: lists)
                lastTorLists = subject.torExit == nil ? nil : (subject.ip, lists)
            }
        }
        if let intel, !passiveDNSImports.isEmpty, let from = Self.seconds(subject.firstSeen ?? subject.zonelessFirst) {
            let until = Self.seconds(subject.lastSeen ?? subject.zonelessLast) ?? from
            let names = try intel.passiveDNSNames(
                for: address, from: from, until: max(from, until), margin: SubjectIP.passiveDNSMargin, limit: 20,
                imports: passiveDNSImports)
            subject.passiveDNS = names.isEmpty ? nil : names
        }
        // Lists holding the address, and host-name lists holding a name it was reached as, each
        // from its version for the day of the first record.
        let day = subject.firstSeen ?? subject.zonelessFirst
        var listed = warnings?.hits(address, day: day) ?? []
        for name in subject.reachedAs ?? [] {
            for var hit in warnings?.hits(name: name, day: day) ?? [] where !listed.contains(hit) {
                hit.entry += " (reached as \(name))"
                listed.append(hit)
            }
        }
        subject.warninglists = listed.isEmpty ? nil : listed
        subject.indicatorHits = []
        if let casebook {
            let asns = Set(answers.compactMap(\.asn) + (subject.registry ?? []).compactMap(\.originASN))
            // The holders as the casebook records them: the registry's, and the AS's name a database gives.
            let holders = Set((subject.registry ?? []).compactMap(\.holder) + answers.compactMap(\.asOrganization))
            let hits = try casebook.hits(for: address, asns: asns, holders: holders) { try clients?() ?? [] }
            subject.casebookHits = hits.isEmpty ? nil : hits
        }
        guard let matcher, let intel else { return }
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
                IndicatorHit(
                    type: $0.indicator.type.rawValue, value: $0.indicator.value, matchedBy: how, provenance: $0.provenance)
            }
        }
        if let count {
            for h in subject.indicatorHits.indices {
                subject.indicatorHits[h].validity = try Self.validity(of: subject.indicatorHits[h], count)
            }
        }
    }

    /// Seconds since 1970 of an RFC 3339 time or a bare `YYYY-MM-DD` day (its start).
    static func seconds(_ text: String?) -> Int64? {
        guard let text else { return nil }
        if text.count == 10, let days = CivilTime.days(isoDate: text) { return days * 86_400 }
        return Timestamp.parseISO8601(text).map { $0.sortKey / 1_000_000_000 }
    }

    /// The registry neighbourhoods of the addresses, those with members only.
    public func neighbourhoods(of addresses: [IPAddress]) throws -> [RegistryNeighbourhood] {
        guard let registry, !addresses.isEmpty else { return [] }
        return try registry.neighbourhoods(of: addresses.map { .address($0) }).filter { !$0.members.isEmpty }
    }

    /// What the dated reference data says of the subject last attributed, at any day, for
    /// findings that concern other days than its first record: the registry answers when its
    /// snapshots disagree or only a later one answers (else empty), and every Tor exit list when
    /// one holds it (else empty).
    public func datedAnswers(for subject: SubjectIP) -> (registry: [RegistryAnswer], tor: [TorExitListAnswer]) {
        let answers = subject.registry ?? []
        let registryPart = HeldAt.disagree(answers) || subject.heldAt?.fromLater == true ? answers : []
        let torPart = subject.torExit != nil && lastTorLists?.ip == subject.ip ? lastTorLists?.lists ?? [] : []
        return (registryPart, torPart)
    }

    /// Sets the address's observations against the hit's validity windows, when every
    /// provenance record states one (a window's open end is unbounded; a bare date `until`
    /// runs to the end of that day, UTC).
    static func validity(of hit: IndicatorHit, _ count: WindowCounter) throws -> ValidityCheck? {
        guard !hit.provenance.isEmpty, hit.provenance.allSatisfy({ $0.validFrom != nil || $0.validUntil != nil }) else {
            return nil
        }
        func key(_ text: String?, endOfDay: Bool) -> Int64? {
            guard let text else { return nil }
            if text.count == 10, let day = Timestamp.parseISO8601(text + "T00:00:00Z") {
                return endOfDay ? day.sortKey + 86_400_000_000_000 - 1 : day.sortKey
            }
            return Timestamp.parseISO8601(text)?.sortKey
        }
        let windows = hit.provenance.map {
            (from: key($0.validFrom, endOfDay: false) ?? .min, until: key($0.validUntil, endOfDay: true) ?? .max)
        }
        let counts = try count(windows)
        return ValidityCheck(
            windows: hit.provenance.map { "\($0.validFrom ?? "…") until \($0.validUntil ?? "…") (\($0.source))" },
            inside: counts.inside, outside: counts.outside, undetermined: counts.undetermined)
    }
}
