import ArgumentParser
import Foundation
import SpoorCase
import SpoorCore
import SpoorIntake
import SpoorIntel
import SpoorStore
import SpoorLogs
import SpoorReport

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check an annex: file hashes, signature, and, given the evidence, the analysis itself.",
        usage:
            "spoor verify <annex-dir> [--public-key <file>] [--evidence <path> ...]\nspoor verify <annex-dir> --evidence <path> ... --rerun [--mmdb <file> ...] [--year <year>]\n       [--intel-db <path>] [--templates <dir>] [--sigma <dir>]",
        discussion: """
            Every file manifest.json lists must be present with its SHA-256; files it does not list are named. \
            manifest.sig, when present, must be a valid Ed25519 signature of manifest.json (with --public-key, \
            by that key). Each --evidence file or folder is hashed and matched with the manifest's evidence \
            inventory. With --rerun, the evidence is ingested into a fresh case, analysed with the reference data \
            given (--mmdb, --intel-db, and --sigma when the analysis applied Sigma rules; their hashes must match \
            the annex's), an annex is written at the same \
            time stamp, and every file and finding that differs is named. Exit status 0 when everything agrees, \
            1 when something does not.
            """)

    @Argument(help: ArgumentHelp("The annex folder.", valueName: "annex-dir")) var directory: String
    @Option(help: ArgumentHelp("An evidence file or folder; repeat for several.", valueName: "path")) var evidence: [String] = []
    @Option(help: ArgumentHelp("The signer's public key file (.pub); the signature must be by this key.", valueName: "file"))
    var publicKey: String?
    @Flag(help: "Re-run ingest, analysis and report from the --evidence and compare.") var rerun = false
    @Option(help: ArgumentHelp("For --rerun: a MaxMind-format database the analysis used; repeat.", valueName: "file"))
    var mmdb: [String] = []
    @Option(help: ArgumentHelp("For --rerun: the year of syslog dates, as given at ingest.", valueName: "year")) var year: Int?
    @OptionGroup var intel: IntelStoreOption
    @Option(help: ArgumentHelp("For --rerun: the report template folder the annex was written with.", valueName: "dir"))
    var templates: String?
    @Option(help: ArgumentHelp("For --rerun: the folder of Sigma rules the analysis applied.", valueName: "dir"))
    var sigma: String?

    func validate() throws {
        if rerun && evidence.isEmpty { throw ValidationError("--rerun needs the evidence (--evidence PATH)") }
    }

    func run() throws {
        var problems = 0
        var rerunInputs: AnnexVerifier.Rerun? = nil
        if rerun {
            let set: ReportTemplates
            do { set = try templates.map { try ReportTemplates(folder: $0) } ?? ReportTemplates.bundled() } catch {
                throw fail(error)
            }
            let store = intel
            rerunInputs = AnnexVerifier.Rerun(
                mmdb: try MMDBPaths.expand(mmdb), year: year, intel: { try IndicatorStore(path: store.resolved.path) },
                templates: set,
                templatesGiven: templates != nil, sigma: sigma)
        }
        do {
            try AnnexVerifier.verify(directory, evidence: evidence, publicKey: publicKey, rerun: rerunInputs) { line in
                let text = SafeText.terminal(line.text)
                switch line.outcome {
                case .ok: print("ok       \(text)")
                case .note: print("note     \(text)")
                case .differs:
                    print("DIFFERS  \(text)")
                    problems += 1
                }
            }
        } catch {
            throw fail(error)
        }
        if problems == 0 {
            print(
                "The annex agrees with its manifest\(evidence.isEmpty ? "" : " and the evidence")\(rerun ? ", and the analysis re-ran to the same result" : "")."
            )
        } else {
            print("\(problems) difference(s).")
            throw ExitCode(1)
        }
    }
}
