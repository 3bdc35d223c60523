import ArgumentParser
import Foundation
import SpoorAnalysis
import SpoorCase
import SpoorCore
import SpoorIntel
import SpoorStore
import SpoorReport

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work out the distinct addresses in a case, who holds them, and which indicators they match.",
        discussion: """
            Each distinct address is looked up once in each database given with --mmdb (GeoLite2, GeoIP2, DB-IP, \
            IPinfo) and matched once against the indicator store. Every answer is stored with the database's \
            type, build date and SHA-256. Given several builds of one database type (a folder of monthly \
            files), each address is answered by the build nearest before its first record, and the annex says \
            what the latest build says when it differs. Run again after adding evidence or indicators.
            """)

    @Argument(help: ArgumentHelp("The case folder.", valueName: "case-dir")) var directory: String
    @Option(
        help: ArgumentHelp(
            "A MaxMind-format database to enrich from, or a folder of them (builds of one database by date); repeat.",
            valueName: "file"))
    var mmdb: [String] = []
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
            let summary = try store.analyze(mmdbPaths: try MMDBPaths.expand(mmdb), intel: indicators)
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
            for finding in summary.findings {
                print("\(finding.id) [\(finding.severity.rawValue)] \(SafeText.terminal(finding.statement))")
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw fail(error)
        }
    }
}
