import ArgumentParser
import Foundation
import SpoorCore
import SpoorIntel
import SpoorStore

extension Intel {
    struct Promote: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn a case's addresses in the casebook into indicators whose source is the case.",
            discussion: """
                Each address the casebook recorded of the case becomes an indicator with a provenance \
                record: the source (--source, else the case's organisation or examiner), the case by \
                reference and pseudonym, when and how the address was seen, the TLP. They then go out \
                through every 'spoor intel export' format. Nothing of the victim is copied. Promoting \
                a case again adds nothing new.
                """)

        @Argument(help: "The case's reference or pseudonym in the casebook ('spoor casebook list').") var name: String
        @Option(
            name: .customLong("only"),
            help: ArgumentHelp("Only the addresses these findings named (comma-separated, e.g. F1,F3).", valueName: "ids"))
        var only: String?
        @Option(help: ArgumentHelp("Who saw it, as the indicators will say.", valueName: "name")) var source: String?
        @Option(help: "Traffic Light Protocol of the indicators: clear, green, amber, amber+strict, red.") var tlp = "amber"
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            try Intel.validate(tlp: tlp)
            let store = try Intel.open(intel)
            let found: (entry: CasebookCase, sightings: [CasebookSighting])?
            do { found = try store.casebookCase(named: name) } catch { throw fail(error) }
            guard let found else {
                Console.error("spoor: the casebook holds no case \(SafeText.terminal(name)); record it with 'spoor casebook add'")
                throw ExitCode(1)
            }
            let ids = Set(
                (only ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            let chosen = found.sightings.filter { ids.isEmpty || !ids.isDisjoint(with: $0.findings) }
            guard let source = source ?? found.entry.organisation ?? found.entry.examiner else {
                throw ValidationError("the case names no organisation or examiner: say who saw it with --source")
            }
            var added = 0
            do {
                for sighting in chosen {
                    guard let (indicator, provenance) = sighting.indicator(of: found.entry, source: source, tlp: tlp.lowercased())
                    else { continue }
                    if try store.add(indicator, provenance: provenance) { added += 1 }
                    print(
                        SafeText.terminal("\(indicator.type.rawValue) \(indicator.value)  ← \(source), case \(found.entry.name)"))
                }
            } catch {
                throw fail(error)
            }
            print("\(added) indicator record(s) added of \(chosen.count) address(es) (TLP:\(tlp.uppercased()))")
        }
    }
}
