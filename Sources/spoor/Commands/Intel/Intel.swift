import ArgumentParser
import Foundation
import SpoorCore
import SpoorEnrichment
import SpoorIntake
import SpoorIntel
import SpoorStore

struct Intel: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the indicator store: infrastructure seen in earlier attacks, with who reported it.",
        subcommands: [
            Import.self, Export.self, List.self, Search.self, Add.self, Remove.self, Promote.self, Stats.self, Match.self,
        ])

    static func open(_ option: IntelStoreOption) throws -> IndicatorStore {
        do { return try IndicatorStore(path: option.resolved.path) } catch { throw fail(error) }
    }

    /// The Traffic Light Protocol names `--tlp` takes (TLP 1.0 and 2.0).
    static let tlpNames = ["clear", "white", "green", "amber", "amber+strict", "red"]

    /// Refuses a `--tlp` that is not one of ``tlpNames``.
    static func validate(tlp: String?) throws {
        guard let tlp, !tlpNames.contains(tlp.lowercased()) else { return }
        throw ValidationError("--tlp must be clear, white, green, amber, amber+strict or red")
    }
}

extension Intel {
    /// Prints indicators with their provenance, as text or JSON (`list` and `search`).
    static func printRecords(_ records: [IndicatorRecord], json: Bool) throws {
        if json {
            print(try JSONOutput.string(records, pretty: true))
            return
        }
        for record in records {
            print(
                "\(record.indicator.type.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(SafeText.terminal(record.indicator.value))"
            )
            for p in record.provenance {
                let window =
                    p.validFrom != nil || p.validUntil != nil ? "valid \(p.validFrom ?? "…") to \(p.validUntil ?? "…")" : nil
                let parts = [
                    p.source, p.title, p.reference, p.campaign.map { "campaign \($0)" }, p.firstSeen.map { "first seen \($0)" },
                    p.lastSeen.map { "last seen \($0)" }, p.confidence.map { "confidence \($0)" },
                    p.tlp.map { "TLP:\($0.uppercased())" },
                    p.tags.isEmpty ? nil : "tags " + p.tags.joined(separator: " "), window,
                ]
                print("        ← " + SafeText.terminal(parts.compactMap { $0 }.joined(separator: ", ")))
            }
        }
    }
}
