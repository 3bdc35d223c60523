import ArgumentParser
import Foundation
import SpoorCase
import SpoorCore
import SpoorIntel
import SpoorStore

extension Casebook {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a case's attacker-side addresses in the casebook.",
            usage: "spoor casebook add <case> [--only <ids>] [--address <ip> ...] [--exclude <ip> ...]\n[--intel-db <path>]",
            discussion: """
                By default: the addresses named by findings of medium or high severity, except \
                private and other special-purpose addresses and the account holder's baseline \
                (addresses the case shows before the earliest record those findings cite). For each, \
                what attribution said at the time (network, AS, registry holder), when and how it \
                was seen, the user agents and device names seen with it, and the findings naming \
                it. Recording a case again replaces what it recorded before.
                """)

        @Argument(help: ArgumentHelp("The case folder (analysed).", valueName: "case")) var casePath: String
        @Option(
            name: .customLong("only"),
            help: ArgumentHelp("Record only the addresses of these findings (comma-separated, e.g. F3,F7).", valueName: "ids"))
        var only: String?
        @Option(
            name: .customLong("address"), parsing: .upToNextOption,
            help: ArgumentHelp("Record these addresses too.", valueName: "ip"))
        var addresses: [String] = []
        @Option(
            name: .customLong("exclude"), parsing: .upToNextOption,
            help: ArgumentHelp("Never record these addresses (the account holder's own).", valueName: "ip"))
        var excluded: [String] = []
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            func parse(_ texts: [String]) throws -> [IPAddress] {
                try texts.map { text in
                    guard let address = IPAddress(text) else {
                        Console.error("spoor: error: \(SafeText.terminal(text)): not an IP address")
                        throw ExitCode.validationFailure
                    }
                    return address
                }
            }
            let added = try parse(addresses)
            let dropped = try parse(excluded)
            let ids = (only ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let store: CaseStore
            do { store = try CaseStore(directory: casePath) } catch { throw fail(error) }
            let book = try Intel.open(intel)
            do {
                let (entry, sightings, baseline) = try store.casebookEntry(only: ids, addresses: added, excluding: dropped)
                let replaced = try book.recordCase(entry, sightings: sightings)
                print(
                    "\(SafeText.terminal(entry.name)): \(sightings.count) address(es) recorded"
                        + (replaced ? " (replacing the earlier recording)" : ""))
                for sighting in sightings { print("  " + Casebook.line(sighting)) }
                if !baseline.isEmpty {
                    print(
                        "not recorded, seen before the incident (the account holder's own?): "
                            + SafeText.terminal(baseline.joined(separator: ", ")) + " — add one with --address")
                }
            } catch {
                throw fail(error)
            }
        }
    }
}
