import ArgumentParser
import Foundation
import SpoorAnalysis
import SpoorCase
import SpoorCore
import SpoorIntel
import SpoorStore
import SpoorReport
import SpoorSigma

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work out the distinct addresses in a case, who holds them, and which indicators they match.",
        discussion: """
            Each distinct address is looked up once in each database given with --mmdb (GeoLite2, GeoIP2, DB-IP, \
            IPinfo) and matched once against the indicator store. Every answer is stored with the database's \
            type, build date and SHA-256. Given several builds of one database type (a folder of monthly \
            files), each address is answered by the build nearest before its first record, and the annex says \
            what the latest build says when it differs. Run again after adding evidence or indicators.

            --sigma DIR (or a folder named 'sigma' beside the case folder) applies the Sigma rules in it \
            (.yml files, any depth) to the records of web server, sshd, Microsoft 365, Entra sign-in and \
            Google Workspace logs. Each rule that matches is a finding; a rule Spoor cannot evaluate (a log \
            source it does not read, a field it does not keep, an aggregation) is listed with the reason. \
            A fields.yml in the folder maps further Sigma field names to Spoor's (see the guide).
            """)

    @Argument(help: ArgumentHelp("The case folder.", valueName: "case-dir")) var directory: String
    @Option(
        help: ArgumentHelp(
            "A MaxMind-format database to enrich from, or a folder of them (builds of one database by date); repeat.",
            valueName: "file"))
    var mmdb: [String] = []
    @Option(help: ArgumentHelp("A folder of Sigma rules to apply.", valueName: "dir")) var sigma: String?
    @Flag(help: "Do not match against the indicator store.") var noIntel = false
    @OptionGroup var intel: IntelStoreOption

    func run() throws {
        do {
            let store = try CaseStore(directory: directory)
            var indicators: IndicatorStore? = nil
            if !noIntel {
                let (path, explicit) = intel.resolved
                if FileManager.default.fileExists(atPath: path) {
                    indicators = try IndicatorStore(path: path)
                } else {
                    // No store yet is a normal first run: the case is analysed without indicators,
                    // and the annex says none were used.
                    Console.error(
                        "No indicator store at \(SafeText.terminal(path))\(explicit ? " (named by --intel-db or SPOOR_INTEL_DB; check the path)" : "") "
                            + "— none has been imported yet: no indicators were loaded, and addresses are not matched against any. "
                            + "Import some with 'spoor intel import', then analyse again.")
                }
            }
            let previous = try store.lastAnalysis()
            let rules = try sigmaRules()
            let summary = try store.analyze(mmdbPaths: try MMDBPaths.expand(mmdb), intel: indicators, sigma: rules)
            defer {
                if let previous {
                    for line in AnalysisChanges(from: previous, to: summary).lines { print(SafeText.terminal(line)) }
                }
            }
            print("\(summary.subjects) distinct address(es); \(summary.findings.count) finding(s).")
            for db in summary.databases { print("  enriched from \(db.databaseType) built \(db.buildDate) (\(db.fileName))") }
            if let intel = summary.intel {
                print("  matched against \(intel.indicators) indicator(s), set version \(intel.contentHash.prefix(16))…")
            }
            if let rules {
                print(
                    "  Sigma: \(rules.rules.count) rule(s) of \(SafeText.terminal(rules.folder)) evaluated, \(rules.unsupported.count) not"
                )
                for refused in rules.unsupported {
                    Console.error(
                        "Sigma rule not evaluated: \(SafeText.terminal(refused.file))"
                            + (refused.title.map { " (\(SafeText.terminal($0)))" } ?? "")
                            + ": \(SafeText.terminal(refused.reason))")
                }
            }
            for finding in summary.findings {
                print("\(finding.id) [\(finding.severity.rawValue)] \(SafeText.terminal(finding.statement))")
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw fail(error)
        }
    }

    /// The rules of --sigma, else of a `sigma` folder beside the case folder; nil when neither.
    func sigmaRules() throws -> SigmaRuleSet? {
        var folder = sigma
        if folder == nil {
            let beside = ((directory as NSString).standardizingPath as NSString).deletingLastPathComponent + "/sigma"
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: beside, isDirectory: &isFolder), isFolder.boolValue {
                Console.error("Applying the Sigma rules of \(SafeText.terminal(beside)), the folder beside the case.")
                folder = beside
            }
        }
        guard let folder else { return nil }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("--sigma \(folder): no such folder")
        }
        return try SigmaRuleSet.load(folder: folder)
    }
}
