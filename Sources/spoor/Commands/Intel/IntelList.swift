import ArgumentParser
import Foundation
import SpoorCore
import SpoorEnrichment
import SpoorIntake
import SpoorIntel
import SpoorStore

extension Intel {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every indicator with its provenance.")

        @Flag(help: "Print JSON instead of text.") var json = false
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            let store = try Intel.open(intel)
            let records: [IndicatorRecord]
            do { records = try store.records() } catch { throw fail(error) }
            try Intel.printRecords(records, json: json)
        }
    }
}
