import Foundation
import SpoorCore
import SpoorLogs
import SpoorStore

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
                try? recordUnread(evidence, format: outcome.format, status: outcome.status)
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
                try recordUnread(evidence, format: kind, status: outcome.status)
                return
            case .unknown:
                outcome.status = .unsupported("format not recognised (name it with --format)")
                try recordUnread(evidence, format: nil, status: outcome.status)
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
                        try? recordUnread(evidence, format: memberOutcome.format, status: memberOutcome.status)
                    }
                    report(memberOutcome)
                }, refused: { refused.append($0) })
            outcome.status = .archive(members: members, refused: refused.count)
            try recordArchive(archive, members: members, refused: refused.map { ($0.path, $0.reason) })
        } catch {
            outcome.status = .failed(failureText(error))
            if StoreFault.from(error, store: "") == nil { try? recordUnread(archive, format: "zip", status: outcome.status) }
        }
        outcome.warningCount = refused.count
        outcome.refusedMembers = refused.map { "\($0.path): \($0.reason)" }
        report(outcome)
    }

    /// Records an item that was not parsed (unsupported or failed) in the inventory.
    func recordUnread(_ evidence: EvidenceItem, format: String?, status: IngestOutcome.Status) throws(CaseError) {
        switch status {
        case .unsupported(let reason): try recordUnread(evidence, format: format, status: .unsupported, reason: reason)
        case .failed(let reason): try recordUnread(evidence, format: format, status: .failed, reason: reason)
        default: break
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

    /// Parses and stores one item in a single transaction, checking that the bytes parsed hash
    /// to the SHA-256 taken before parsing.
    func store(
        _ evidence: EvidenceItem, parser: any LogParser.Type, options: ParseOptions, context: IngestContext,
        outcome: inout IngestOutcome, open: () throws -> any ByteSource
    ) throws {
        let result = try writeItem(evidence, format: parser.formatID, parser: parser) { writer -> (ParseSummary, [String]) in
            let source = try open()
            let handOff = ParseHandOff.start(parser.init(options: options), source: source, evidence: evidence)
            var summary = ParseSummary()
            do {
                reading: while true {
                    switch handOff.next() {
                    case .rows(let batch):
                        try writer.insert(batch)
                    case .warning(let warning):
                        writer.warn(warning)
                    case .finished(let result):
                        summary = try result.get()
                        break reading
                    }
                }
            } catch {
                handOff.stop()
                throw error
            }
            if let error = writer.error { throw error }
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
            let notes = summary.notes + (try writer.implausibleDates(now: nil))
            var history = writer.earlier?.history ?? []
            if let earlier = writer.earlier {
                history.append(
                    "Read again with --replace at \(CaseStore.utc(context.now))\(options.described.map { " (\($0))" } ?? ""); "
                        + "the reading of \(earlier.at)\(earlier.options.map { " (\($0))" } ?? " (no options)") was replaced.")
            }
            let future = try writer.implausibleDates(now: context.now)
            try writer.finish(
                records: summary.records, ignored: summary.ignored, malformed: summary.malformed, notes: notes,
                options: options.described, history: history)
            outcome.observations = writer.observations
            outcome.warningCount = writer.warningCount
            outcome.warnings = writer.firstWarnings
            return (summary, notes + future + history.suffix(1))
        }
        outcome.summary = result.0
        outcome.notes = result.1
    }

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

extension IntakeError {
    var path: String {
        switch self {
        case .cannotOpen(let path, _), .readFailed(let path, _), .changedDuringIngest(let path, _, _): return path
        }
    }
}
