import ArgumentParser
import Foundation
import SpoorCase
import SpoorCore
import SpoorIntel
import SpoorStore
import SpoorReport

extension PDFRenderer.Choice: ExpressibleByArgument {}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the evidence annex of an analysed case into a folder.",
        usage:
            "spoor report <case-dir> --out <dir> [--generated-at <time>] [--sign <key-file>]\n[--pdf <renderer>] [--redact] [--templates <dir>]",
        discussion: """
            The folder gets report.html, findings.json, events.csv, flows.csv, subjects.csv, indicators.stix.json \
            (the indicators the evidence matched, with provenance) and manifest.json (the SHA-256 of each of those files \
            and of every evidence input, and the reference data used). --sign KEY adds manifest.sig, an Ed25519 \
            signature of manifest.json (make a key with 'spoor keygen'); 'spoor verify' checks it all. \
            Give --generated-at (or set SOURCE_DATE_EPOCH) to stamp a fixed time: the same case then gives \
            byte-identical files. report.pdf is report.html printed by weasyprint or, failing that, headless \
            chromium (--pdf chooses; weasyprint's PDF is reproducible, chromium's is not). --redact replaces the \
            account holder's identifiers, their own addresses and private content with stable pseudonyms, for \
            sharing. --templates DIR writes the report in the words of a translated copy of the template folder.
            """)

    @Argument(help: ArgumentHelp("The case folder.", valueName: "case-dir")) var directory: String
    @Option(help: ArgumentHelp("The folder to write the report into.", valueName: "dir")) var out: String
    @Option(help: ArgumentHelp("The time to print as the report's generation time (RFC 3339).", valueName: "time"))
    var generatedAt: String?
    @Option(help: ArgumentHelp("Sign the manifest with this private key (from 'spoor keygen').", valueName: "key-file"))
    var sign: String?
    @Option(
        help: ArgumentHelp(
            "Print report.pdf with: auto (weasyprint, else chromium, else none), weasyprint, chromium or none.",
            valueName: "renderer"))
    var pdf: PDFRenderer.Choice = .auto
    @Flag(help: "Replace the account holder's identifiers and private content with stable pseudonyms.") var redact = false
    @Option(help: ArgumentHelp("A folder of report templates (a translated copy of Spoor's own).", valueName: "dir"))
    var templates: String?

    func validate() throws {
        if let generatedAt, Timestamp.parseISO8601(generatedAt)?.rfc3339UTC == nil {
            throw ValidationError("--generated-at must be an RFC 3339 time with a zone, e.g. 2024-07-01T12:00:00Z")
        }
    }

    func run() throws {
        let stamp: String
        if let generatedAt, let utc = Timestamp.parseISO8601(generatedAt)?.rfc3339UTC {
            stamp = utc
        } else {
            stamp = SpoorClock.reproducible().rfc3339()
        }
        do {
            let store = try CaseStore(directory: directory)
            if try store.lastAnalysis() == nil {
                Console.error("The case has not been analysed yet; run 'spoor analyze \(directory)' first for findings.")
            }
            let key = try sign.map { try SigningKeys.loadPrivate($0) }
            let set = try templates.map { try ReportTemplates(folder: $0) }
            let written = try Annex.write(
                store: store, to: out,
                options: .init(generatedAt: stamp, signingKey: key, templates: set, pdf: pdf, redact: redact))
            for path in written.paths { print(SafeText.terminal(path)) }
            if let reason = written.pdfSkipped { Console.error("No report.pdf: \(reason).") }
        } catch {
            throw fail(error)
        }
    }
}
