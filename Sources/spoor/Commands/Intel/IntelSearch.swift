import ArgumentParser
import Foundation
import SpoorCore
import SpoorIntel
import SpoorStore

extension Intel {
    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find indicators by address, network, AS number, domain or text.",
            discussion: """
                An address finds every IP and CIDR indicator containing it; a network finds those inside or around it; \
                AS64500 finds ASN indicators; a domain finds domain indicators on it or its parents and URLs on it; \
                anything else is looked for in values, sources, titles, references, campaigns, tags and descriptions. \
                Exit status 1 when nothing is found.
                """)

        @Argument(help: "What to look for.") var query: String
        @Flag(help: "Print JSON instead of text.") var json = false
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            let store = try Intel.open(intel)
            let records: [IndicatorRecord]
            do { records = try store.search(IndicatorStore.Query(query)) } catch { throw fail(error) }
            try Intel.printRecords(records, json: json)
            if records.isEmpty { throw ExitCode(1) }
        }
    }
}
