import Foundation
import GRDB
import SpoorCore
import SpoorIntake
import SpoorLogs

/// What happened to one input during `ingest`.
public struct IngestOutcome: Sendable {
    public enum Status: Hashable, Sendable {
        case ingested
        /// The same file (same path and SHA-256) was already in the case.
        case alreadyPresent
        /// Read and hashed, but no parser reads it yet; recorded in the evidence inventory.
        case unsupported(String)
        /// Could not be read; nothing of it is in the case.
        case failed(String)
        /// An archive: its members follow as outcomes of their own; `refused` members were not
        /// read (unsafe names, zip-bomb limits, damage) and are listed in the archive's warnings.
        case archive(members: Int, refused: Int)
    }

    public var path: String
    public var evidence: EvidenceItem?
    public var format: String?
    public var status: Status
    public var summary = ParseSummary()
    public var observations = 0
    public var warningCount = 0
    /// The first warnings, for the terminal; all of them (up to a cap) are in the store.
    public var warnings: [ParseWarning] = []
    /// For an archive: each refused member with the reason.
    public var refusedMembers: [String] = []
    /// How the item was read where that needs saying: what the reader decided that the source
    /// did not say (an inferred year), dates that cannot be right (after the file was last
    /// modified, or after the ingest), an earlier reading this one replaced. Kept with the item.
    public var notes: [String] = []
}

extension CaseStore {
    /// At most this many warnings per evidence item are stored with their text; all are counted.
    public static let storedWarningLimit = 1000

    /// Ingests files and folders. Each evidence item is hashed, recognised, parsed and stored in
    /// one transaction: an interrupted or failed item leaves nothing half-stored, and one bad
    /// input does not stop the others.
    /// - Parameters:
    ///   - format: a parser's format id to use for every file instead of recognising each.
    ///   - replace: read items already in the case again (other options, a newer parser): the
    ///     earlier reading is replaced in one transaction, and the item's notes say so.
    ///   - now: the time of this ingest, against which record dates are checked (default: the case's clock).
    ///   - progress: called after each input with its outcome.
    public func ingest(
        paths: [String], format: String? = nil, options: ParseOptions = ParseOptions(), replace: Bool = false,
        now: Date? = nil, progress: (IngestOutcome) -> Void = { _ in }
    ) -> [IngestOutcome] {
        let context = IngestContext(replace: replace, now: now ?? clock.now())
        var outcomes: [IngestOutcome] = []
        for found in Intake.collect(paths) {
            switch found {
            case .failure(let error):
                let outcome = IngestOutcome(path: error.path, status: .failed(error.description))
                progress(outcome)
                outcomes.append(outcome)
            case .success(let candidate):
                ingest(candidate, format: format, options: options, context: context) { outcome in
                    progress(outcome)
                    outcomes.append(outcome)
                }
            }
        }
        return outcomes
    }

    /// Ingests one file; an archive reports itself and then each of its members.
    func ingest(
        _ candidate: Intake.Candidate, format: String?, options: ParseOptions, context: IngestContext,
        report: (IngestOutcome) -> Void
    ) {
        var outcome = IngestOutcome(path: candidate.path, status: .ingested)
        do {
            let evidence = try Intake.evidence(candidate)
            outcome.evidence = evidence
            if format == nil, case .archive("zip") = try Intake.detect(path: candidate.path) {
                ingestArchive(evidence, options: options, context: context, report: report)
                return
            }
            if !context.replace, try isIngested(evidence) {
                outcome.status = .alreadyPresent
                report(outcome)
                return
            }
            let head = try FileHasher.head(path: candidate.path, count: FormatSample.size)
            try ingest(evidence, head: head, format: format, options: options, context: context, outcome: &outcome) {
                try FileByteSource(path: evidence.path, hashing: true)
            }
        } catch {
            outcome.status = .failed(failureText(error))
            if let evidence = outcome.evidence, StoreFault.from(error, store: "") == nil {
                try? record(evidence, format: outcome.format, status: outcome.status)
            }
        }
        report(outcome)
    }

    /// Recognises and parses one evidence item (a file or an archive member).
    /// - Parameter open: a fresh byte source over the item; a `FileByteSource` that hashes is
    ///   checked against the item's SHA-256 after parsing.
    func ingest(
        _ evidence: EvidenceItem, head: [UInt8], format: String?, options: ParseOptions, context: IngestContext,
        outcome: inout IngestOutcome, open: () throws -> any ByteSource
    ) throws {
        let parser: any LogParser.Type
        if let format {
            guard let named = ParserRegistry.parser(named: format) else {
                throw CaseError.referenceData(path: evidence.displayName, reason: "no parser named '\(format)'")
            }
            parser = named
        } else {
            switch Intake.detect(path: evidence.member ?? evidence.path, head: head) {
            case .log(let detected):
                parser = detected
            case .capture(let kind):
                outcome.format = kind
                try storeCapture(evidence, kind: kind, outcome: &outcome, open: open)
                return
            case .archive(let kind):
                outcome.format = kind
                outcome.status = .unsupported("\(kind) archive: reading this kind of archive is not available in this version")
                try record(evidence, format: kind, status: outcome.status)
                return
            case .unknown:
                outcome.status = .unsupported("format not recognised (name it with --format)")
                try record(evidence, format: nil, status: outcome.status)
                return
            }
        }
        outcome.format = parser.formatID
        try store(evidence, parser: parser, options: options, context: context, outcome: &outcome, open: open)
    }

    /// Records the archive itself (its hash is what the investigator received), then ingests
    /// each member read in memory; refused members become warnings of the archive's row.
    func ingestArchive(_ archive: EvidenceItem, options: ParseOptions, context: IngestContext, report: (IngestOutcome) -> Void) {
        var members = 0
        var refused: [RefusedMember] = []
        var outcome = IngestOutcome(path: archive.path, evidence: archive, format: "zip", status: .ingested)
        do {
            try ArchiveReader.forEachMember(
                ofZipAt: archive.path,
                { member in
                    members += 1
                    let evidence = EvidenceItem(
                        path: archive.path, member: member.path, size: Int64(member.bytes.count), sha256: member.sha256,
                        modified: member.modified)
                    var memberOutcome = IngestOutcome(path: evidence.displayName, evidence: evidence, status: .ingested)
                    do {
                        if !context.replace, try isIngested(evidence) {
                            memberOutcome.status = .alreadyPresent
                        } else {
                            try ingest(
                                evidence, head: Array(member.bytes.prefix(FormatSample.size)), format: nil,
                                options: options, context: context, outcome: &memberOutcome
                            ) { MemoryByteSource(member.bytes) }
                        }
                    } catch let error as CustomStringConvertible & Error {
                        memberOutcome.status = .failed(error.description)
                        try? record(evidence, format: memberOutcome.format, status: memberOutcome.status)
                    }
                    report(memberOutcome)
                }, refused: { refused.append($0) })
            outcome.status = .archive(members: members, refused: refused.count)
            try recordArchive(archive, members: members, refused: refused)
        } catch {
            outcome.status = .failed(failureText(error))
            if StoreFault.from(error, store: "") == nil { try? record(archive, format: "zip", status: outcome.status) }
        }
        outcome.warningCount = refused.count
        outcome.refusedMembers = refused.map { "\($0.path): \($0.reason)" }
        report(outcome)
    }

    func recordArchive(_ archive: EvidenceItem, members: Int, refused: [RefusedMember]) throws(CaseError) {
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

    func isIngested(_ evidence: EvidenceItem) throws(CaseError) -> Bool {
        try read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM evidence WHERE sha256 = ? AND path = ? AND ifnull(member, '') = ? AND status = 'ingested'",
                arguments: [evidence.sha256, evidence.path, evidence.member ?? ""]) ?? false
        }
    }

    /// Records an item that was not parsed (unsupported or failed) in the inventory.
    func record(_ evidence: EvidenceItem, format: String?, status: IngestOutcome.Status) throws(CaseError) {
        let (name, detail): (String, String?)
        switch status {
        case .unsupported(let reason): (name, detail) = ("unsupported", reason)
        case .failed(let reason): (name, detail) = ("failed", reason)
        default: (name, detail) = ("ingested", nil)
        }
        try write { db in
            try Self.deletePrevious(db, evidence)
            _ = try Self.insertEvidence(db, evidence, format: format, parser: nil, status: name, detail: detail, at: clock.now())
        }
    }

    /// Why an item failed, in words: a store fault by its cause (disk full, busy…), without the
    /// SQL it was running; any other error as it describes itself.
    func failureText(_ error: any Error) -> String {
        if let fault = StoreFault.from(error, store: (directory as NSString).appendingPathComponent(Self.fileName)) {
            return fault.description
        }
        return String(describing: error)
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

    /// Parses and stores one item in a single transaction, checking that the bytes parsed hash
    /// to the SHA-256 taken before parsing.
    func store(
        _ evidence: EvidenceItem, parser: any LogParser.Type, options: ParseOptions, context: IngestContext,
        outcome: inout IngestOutcome, open: () throws -> any ByteSource
    ) throws {
        let result = try database.write { db -> (ParseSummary, StoreSink, [String]) in
            let earlier = try Self.previousReading(db, evidence)
            try Self.deletePrevious(db, evidence)
            let id = try Self.insertEvidence(
                db, evidence, format: parser.formatID, parser: parser, status: "ingested", detail: nil, at: clock.now())
            let source = try open()
            let sink = StoreSink(db: db, evidenceID: id)
            let handOff = ParseHandOff.start(parser.init(options: options), source: source, evidence: evidence)
            var summary = ParseSummary()
            do {
                reading: while true {
                    switch handOff.next() {
                    case .rows(let batch):
                        try sink.insert(batch)
                    case .warning(let warning):
                        sink.warn(warning)
                    case .finished(let result):
                        summary = try result.get()
                        break reading
                    }
                }
            } catch {
                handOff.stop()
                throw error
            }
            if let error = sink.error { throw error }
            if let file = source as? FileByteSource {
                // Hash what the parser left unread too, so the check covers the whole file.
                while try !file.read(upTo: 1 << 20).isEmpty {}
                file.close()
                let after = file.finalHash() ?? ""
                guard after == evidence.sha256 else {
                    throw IntakeError.changedDuringIngest(path: evidence.path, before: evidence.sha256, after: after)
                }
            }
            // Notes depend on the evidence alone (the annex shows them and a re-run makes them
            // again); the history depends on when and how often it was read (`case info`).
            let notes = summary.notes + (try Self.implausibleDates(db, evidenceID: id, evidence: evidence, now: nil))
            var history = earlier?.history ?? []
            if let earlier {
                history.append(
                    "Read again with --replace at \(Self.utc(context.now))\(options.described.map { " (\($0))" } ?? ""); "
                        + "the reading of \(earlier.at)\(earlier.options.map { " (\($0))" } ?? " (no options)") was replaced.")
            }
            let future = try Self.implausibleDates(db, evidenceID: id, evidence: evidence, now: context.now)
            try db.execute(
                sql: """
                    UPDATE evidence SET records = ?, ignored = ?, malformed = ?, observations = ?, warnings = ?,
                        notes = ?, options = ?, history = ?
                    WHERE id = ?
                    """,
                arguments: [
                    summary.records, summary.ignored, summary.malformed, sink.observations, sink.warningCount,
                    notes.isEmpty ? nil : JSONText.array(notes), options.described,
                    history.isEmpty ? nil : JSONText.array(history), id,
                ])
            return (summary, sink, notes + future + history.suffix(1))
        }
        outcome.summary = result.0
        outcome.observations = result.1.observations
        outcome.warningCount = result.1.warningCount
        outcome.warnings = result.1.firstWarnings
        outcome.notes = result.2
    }

    /// The earlier reading of the same item, if it was ingested before: when, with which
    /// options, and its notes.
    static func previousReading(_ db: Database, _ evidence: EvidenceItem) throws -> (
        at: String, options: String?, history: [String]
    )? {
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
        return (row["ingested_at"], row["options"], history)
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

    static func utc(_ date: Date) -> String { Timestamp.unixSeconds(Int64(date.timeIntervalSince1970)).rfc3339UTC ?? "?" }
}

/// What holds for a whole `ingest` run.
struct IngestContext {
    var replace: Bool
    var now: Date
}

extension ParseOptions {
    /// The options given, for the record (`--year 2023`); nil when none.
    var described: String? {
        var parts: [String] = []
        if let year { parts.append("--year \(year)") }
        if let mapping {
            parts.append(
                "--map " + mapping.columns.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
        }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }
}

/// One observation as the columns of its row, prepared on the parser's thread so that the
/// writer only binds and inserts.
struct ObservationRow: Sendable {
    /// `access` (account and server logs), `flow` or `name` (packet captures).
    var kind = "access"
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
    var action: String
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
final class RowEncoder {
    let evidence: EvidenceItem
    /// User agents repeat across records; each distinct one is summarised once.
    private var summaries: [String: String] = [:]

    init(evidence: EvidenceItem) { self.evidence = evidence }

    func row(_ event: AccessEvent) -> ObservationRow {
        let time = event.time
        return ObservationRow(
            format: event.format, timeKey: time?.sortKey, timeUTC: time?.rfc3339UTC, timeRaw: time?.raw,
            timeRule: time?.rule.rawValue, timeZone: time.map { Self.zoneText($0.zone) }, timeAssumption: time?.assumption,
            ip: event.ip?.description, ipRaw: event.ipRaw, port: event.port.map { Int($0) }, action: event.action.rawValue,
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

/// Writes rows and warnings into the open transaction.
final class StoreSink {
    let db: Database
    let evidenceID: Int64
    var observations = 0
    var warningCount = 0
    var firstWarnings: [ParseWarning] = []
    var error: (any Error)?

    init(db: Database, evidenceID: Int64) {
        self.db = db
        self.evidenceID = evidenceID
    }

    func insert(_ rows: [ObservationRow]) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO record_observation (evidence_id, kind, format, time_key, time_utc, time_raw, time_rule, time_zone,
                    time_assumption, ip, ip_raw, port, action, raw_action, account, user_agent_id, count, fields,
                    locator, position)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for r in rows {
            try statement.execute(arguments: [
                evidenceID, r.kind, r.format, r.timeKey, r.timeUTC, r.timeRaw, r.timeRule, r.timeZone, r.timeAssumption, r.ip,
                r.ipRaw, r.port, r.action, r.rawAction, r.account, try userAgentID(r), r.count, r.fields,
                r.locator, r.position,
            ])
        }
        observations += rows.count
    }

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

    func warn(_ warning: ParseWarning) {
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
}

extension IntakeError {
    var path: String {
        switch self {
        case .cannotOpen(let path, _), .readFailed(let path, _), .changedDuringIngest(let path, _, _): return path
        }
    }
}
