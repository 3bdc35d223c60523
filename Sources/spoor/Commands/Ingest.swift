import ArgumentParser
import Foundation
import SpoorCase
import SpoorStore
import SpoorCore
import SpoorLogs

struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add evidence files or folders to a case.",
        usage:
            "spoor ingest <case-dir> <path> ... [--format <name>] [--year <yyyy>]\n[--map <pairs>] [--map-file <file>] [--replace]",
        discussion: """
            Each file is hashed (SHA-256) before it is read, recognised by its content, and stored with every \
            record it holds, each pointing back to its line. Evidence is opened read-only and never changed. \
            A file already in the case is skipped; with --replace it is read again (say, with another --year) \
            and its earlier reading is replaced, which the case records. Run 'spoor formats' for the formats \
            Spoor reads.

            What the reading had to decide that the file does not say (a year taken from the file's \
            modification time) is printed as a note and kept for the annex, and so are records dated after \
            the file was last modified or after the ingest.

            A path of - reads standard input (a capture piped from tcpdump, for instance): it is first kept \
            in the case as evidence/stdin-<time>.bin, read-only, and ingested from there, so the bytes read \
            stay in the case with their hash.
            """)

    @Argument(help: ArgumentHelp("The case folder.", valueName: "case-dir")) var directory: String
    @Argument(help: ArgumentHelp("Evidence files or folders.", valueName: "path")) var paths: [String]
    @Option(
        help: ArgumentHelp("Read every file as this format instead of recognising it (see 'spoor formats').", valueName: "name"))
    var format: String?
    @Option(
        help: ArgumentHelp(
            "The year of the first line, for logs whose dates have no year (BSD syslog). Default: inferred from the file's modification time.",
            valueName: "yyyy"))
    var year: Int?
    @Option(
        help: ArgumentHelp(
            "For --format csv or jsonl: which columns (or dotted keys) hold what, e.g. 'time=Login Time,ip=Source IP,account=User'.",
            discussion:
                "Fields: time (required), ip, port, account, action, user_agent. Options: time_format=auto|unix_seconds|unix_ms|day_first|month_first, zone=utc.",
            valueName: "pairs"))
    var map: String?
    @Option(help: ArgumentHelp("The same mapping read from a file, one name=column per line.", valueName: "file"))
    var mapFile: String?
    @Flag(help: "Read files already in the case again, replacing their earlier reading (recorded in the case).")
    var replace = false

    /// The mapping given with --map or --map-file, read and checked.
    func mapping() throws -> FieldMapping? {
        let text: String
        if let map {
            text = map
        } else if let mapFile {
            guard let contents = try? String(contentsOfFile: mapFile, encoding: .utf8) else {
                throw ValidationError("cannot read the mapping file \(mapFile)")
            }
            text = contents
        } else {
            return nil
        }
        do { return try FieldMapping(parsing: text) } catch { throw ValidationError(error.description) }
    }

    /// Copies standard input into `<case>/evidence/stdin-<UTC time>.bin` (read-only) and
    /// returns its path: evidence that arrived through a pipe is kept like any other file.
    func keepStandardInput() throws -> String {
        let folder = (directory as NSString).appendingPathComponent("evidence")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let path = (folder as NSString).appendingPathComponent("stdin-\(stamp).bin")
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let output = FileHandle(forWritingAtPath: path)
        else { throw CocoaError(.fileWriteUnknown) }
        while true {
            let chunk = FileHandle.standardInput.readData(ofLength: 1 << 20)
            if chunk.isEmpty { break }
            try output.write(contentsOf: chunk)
        }
        try output.close()
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: path)
        Console.error("kept      standard input as \(SafeText.terminal(path))")
        return path
    }

    func validate() throws {
        if paths.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be given once") }
        if let format, ParserRegistry.parser(named: format) == nil {
            throw ValidationError(
                "unknown format '\(format)'; known: \(ParserRegistry.all.map { $0.formatID }.joined(separator: ", "))")
        }
        if let year, !(1970...2100).contains(year) { throw ValidationError("--year must be between 1970 and 2100") }
        if map != nil && mapFile != nil { throw ValidationError("give --map or --map-file, not both") }
        let mapping = try mapping()
        if ["csv", "jsonl"].contains(format ?? ""), mapping == nil {
            throw ValidationError("--format \(format ?? "") needs --map or --map-file")
        }
    }

    func run() throws {
        let store: CaseStore
        do { store = try CaseStore(directory: directory) } catch { throw fail(error) }
        var counts = (ingested: 0, present: 0, unsupported: 0, failed: 0, observations: 0, malformed: 0, archives: 0)
        let options = ParseOptions(year: year, mapping: try mapping())
        var inputs = paths
        if let index = inputs.firstIndex(of: "-") {
            do { inputs[index] = try keepStandardInput() } catch {
                Console.error(
                    "spoor: error: cannot keep standard input in the case: \(SafeText.terminal(String(describing: error)))")
                throw ExitStatus.failure
            }
        }
        _ = store.ingest(paths: inputs, format: format, options: options, replace: replace) { outcome in
            let name = SafeText.terminal(outcome.path)
            switch outcome.status {
            case .ingested:
                counts.ingested += 1
                counts.observations += outcome.observations
                counts.malformed += outcome.summary.malformed
                Console.error(
                    "ingested  \(name): \(outcome.format ?? "?"), \(outcome.observations) observations from \(outcome.summary.records) records"
                        + (outcome.summary.malformed > 0 ? ", \(outcome.summary.malformed) unreadable" : ""))
                for note in outcome.notes { Console.error("  note: \(SafeText.terminal(note))") }
                for warning in outcome.warnings.prefix(10) {
                    Console.error("  warning: \(SafeText.terminal(warning.description))")
                }
                if outcome.warningCount > 10 {
                    Console.error("  … \(outcome.warningCount - 10) more warnings stored in the case")
                }
            case .alreadyPresent:
                counts.present += 1
                Console.error("skipped   \(name): already in the case (--replace reads it again)")
            case .unsupported(let reason):
                counts.unsupported += 1
                Console.error("not read  \(name): \(SafeText.terminal(reason))")
            case .failed(let reason):
                counts.failed += 1
                Console.error("FAILED    \(name): \(SafeText.terminal(reason))")
            case .archive(let members, let refused):
                counts.archives += 1
                counts.failed += refused
                Console.error("archive   \(name): \(members) member(s) read" + (refused > 0 ? ", \(refused) refused" : ""))
                for line in outcome.refusedMembers { Console.error("  REFUSED \(SafeText.terminal(line))") }
            }
        }
        Console.error(
            "Summary: \(counts.ingested) ingested"
                + (counts.archives > 0 ? " (from files and \(counts.archives) archive(s))" : "")
                + ", \(counts.present) already present, \(counts.unsupported) not read, \(counts.failed) failed; \(counts.observations) observations, \(counts.malformed) unreadable records."
        )
        if counts.failed + counts.unsupported > 0 { throw ExitStatus.someInputsFailed }
        if counts.malformed > 0 { throw ExitStatus.someRecordsUnreadable }
    }
}
