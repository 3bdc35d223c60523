import ArgumentParser
import Foundation
import SpoorCore
import SpoorIntel
import SpoorStore

extension Registry {
    struct Neighbours: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the other netblocks and ASes of the organisation holding an address, network or AS.",
            discussion: """
                The organisation is the one the latest snapshot names for the target: the netblock's org: (RPSL), the \
                origin AS's organisation (RPSL aut-num org:, CAIDA as2org). A netblock with no organisation is \
                related by its mnt-by: maintainers instead (the registries' own maintainers excepted). Each member \
                is listed from the latest snapshot of its format holding the organisation, with its name and \
                description (what the registry says it hosts), the indicators inside it and the casebook cases that \
                saw an address in it or on its AS. At most 200 members are listed.
                """)

        @Argument(help: ArgumentHelp("An address, a CIDR network or an AS (AS64500).", valueName: "target"))
        var target: String
        @Flag(help: "Write the neighbourhood as JSON.") var json = false
        @OptionGroup var intel: IntelStoreOption

        func validate() throws {
            if NeighbourhoodTarget(target) == nil {
                throw ValidationError("\(SafeText.terminal(target)): not an address, a CIDR network or an AS number")
            }
        }

        func run() throws {
            let store = try Intel.open(intel)
            guard let asked = NeighbourhoodTarget(target) else { return }
            do {
                let reader = try RegistryReader(store)
                guard let hood = try reader.neighbourhoods(of: [asked]).first else { return }
                if json {
                    let data = try JSONOutput.encoder(pretty: true).encode(hood)
                    print(String(decoding: data, as: UTF8.self))
                    return
                }
                Self.printTable(hood)
            } catch {
                throw fail(error)
            }
        }

        static func printTable(_ hood: RegistryNeighbourhood) {
            func t(_ text: String) -> String { SafeText.terminal(text) }
            print("Neighbourhood of \(t(hood.target))")
            for org in hood.organisations {
                var line = "  organisation \(t(org.key))"
                if let name = org.name { line += ": \(t(name))" }
                if let country = org.country { line += " (\(t(country)))" }
                print(line + ", from \(t(org.source)) as of \(org.asOf)")
            }
            for mnt in hood.maintainers { print("  maintainers \(t(mnt)) (the netblock names no organisation)") }
            guard !hood.members.isEmpty else {
                print("  no organisation or maintainer relates other netblocks or ASes to it in the snapshots held")
                return
            }
            let rows = hood.members.map { m -> [String] in
                let text = [m.name, m.descr].compactMap { $0 }.joined(separator: " — ")
                var notes: [String] = []
                if m.holdsTarget { notes.append("holds the target") }
                if !m.indicators.isEmpty { notes.append("indicators: " + m.indicators.joined(separator: ", ")) }
                if !m.casebookCases.isEmpty { notes.append("casebook: " + m.casebookCases.joined(separator: ", ")) }
                return [
                    m.kind, t(m.key), t(SafeText.excerpt(text, limit: 60)), "\(t(m.source)) \(m.asOf)",
                    t(notes.joined(separator: "; ")),
                ]
            }
            let header = ["kind", "key", "name — description", "snapshot", "notes"]
            let widths = (0..<4).map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
            for row in [header] + rows {
                print(
                    "  "
                        + (0..<4).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(
                            separator: "  ")
                        + "  " + row[4])
            }
            if hood.omitted > 0 { print("  … \(hood.omitted) more not listed") }
            let flagged = hood.flagged.count
            print(
                "  \(hood.members.count) member(s); \(flagged) other than the target's own hold indicators or casebook sightings")
        }
    }
}
