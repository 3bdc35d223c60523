import ArgumentParser
import Foundation
import SpoorCore
import SpoorEnrichment
import SpoorIntake
import SpoorIntel
import SpoorStore

extension Intel {
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Count indicators by type and source, and show the set's version hash.")

        @Flag(help: "Print JSON instead of text.") var json = false
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            let store = try Intel.open(intel)
            let stats: IntelStatistics
            do { stats = try store.statistics() } catch { throw fail(error) }
            if json {
                print(try JSONOutput.string(stats, pretty: true))
                return
            }
            print("Store:      \(store.path)")
            print("Indicators: \(stats.indicators)")
            for (type, n) in stats.indicatorsByType.sorted(by: { $0.key < $1.key }) { print("  \(type): \(n)") }
            print("Provenance records: \(stats.provenanceRecords) from \(stats.provenanceBySource.count) source(s)")
            for (source, n) in stats.provenanceBySource.sorted(by: { $0.key < $1.key }) {
                print("  \(SafeText.terminal(source)): \(n)")
            }
            print("Imports:    \(stats.imports)")
            do {
                let lists = try store.warninglists()
                Swift.print("Warninglists: \(Set(lists.map(\.name)).count) (\(lists.count) version(s))")
                for list in lists {
                    print(
                        "  \(SafeText.terminal(list.name)) (version \(SafeText.terminal(list.version))"
                            + (list.asOf.map { ", as of \($0)" } ?? "") + ", \(list.type)): \(list.entries) entries")
                }
            } catch {
                throw fail(error)
            }
            print("Version (content SHA-256): \(stats.contentHash)")
        }
    }
}
