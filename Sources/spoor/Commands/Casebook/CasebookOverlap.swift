import ArgumentParser
import Foundation
import SpoorCore
import SpoorIntel
import SpoorStore

extension Casebook {
    struct Overlap: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "List the infrastructure two or more cases saw: addresses, /24 or /48 networks, and ASes with the same holder.")

        @Flag(help: "Write JSON.") var json = false
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            let book = try Intel.open(intel)
            let found: [CasebookOverlap]
            do { found = try book.casebookOverlap() } catch { throw fail(error) }
            if json {
                print(try JSONOutput.string(found, pretty: true))
                return
            }
            if found.isEmpty { print("no infrastructure is in more than one case") }
            for overlap in found {
                let kind =
                    switch overlap.overlap {
                    case .address: "address"
                    case .network: "network"
                    case .asAndHolder: "AS and holder"
                    case .clientAndAS: "client on AS"
                    }
                let cases = Set(overlap.seen.map(\.caseName)).count
                print(SafeText.terminal("\(kind) \(overlap.value): \(cases) cases"))
                for seen in overlap.seen {
                    let when = [seen.firstSeen, seen.lastSeen].compactMap { $0 }
                    let parts: [String?] = [
                        seen.caseName, seen.address,
                        when.isEmpty ? nil : (when.first == when.last ? when[0] : "\(when[0]) – \(when[when.count - 1])"),
                        seen.roles.isEmpty ? nil : seen.roles.joined(separator: ", "),
                    ]
                    print("  " + SafeText.terminal(parts.compactMap { $0 }.joined(separator: "  ")))
                }
            }
        }
    }
}
