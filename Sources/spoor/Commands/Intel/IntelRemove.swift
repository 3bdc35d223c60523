import ArgumentParser
import Foundation
import SpoorCore
import SpoorIntel
import SpoorStore

extension Intel {
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an indicator, or only what one source said of it.",
            discussion:
                "The indicator goes when no provenance is left. The set's version hash changes. Exit status 1 when the store does not hold it."
        )

        @Argument(help: "The indicator's value, as added or imported.") var value: String
        @Option(help: "The type, when the value's shape does not say it.") var type: Add.TypeChoice?
        @Option(help: ArgumentHelp("Remove only this source's provenance records.", valueName: "name")) var source: String?
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            guard
                case .success(let (indicator, _)) = Indicator.parse(
                    value, type: type.flatMap { IndicatorType(rawValue: $0.rawValue) })
            else {
                Console.error("spoor: error: \(SafeText.terminal(value)): not an indicator value")
                throw ExitStatus.failure
            }
            let store = try Intel.open(intel)
            let removal: IndicatorStore.Removal?
            do { removal = try store.remove(indicator, source: source) } catch { throw fail(error) }
            guard let removal else {
                Console.error("spoor: \(indicator.type.rawValue) \(SafeText.terminal(indicator.value)) is not in the store")
                throw ExitCode(1)
            }
            print(
                "\(indicator.type.rawValue) \(SafeText.terminal(indicator.value)): \(removal.provenanceRecords) provenance record(s) removed"
                    + (removal.indicatorRemoved ? "; the indicator is gone" : "; other sources' records kept"))
            if removal.provenanceRecords == 0, let source {
                Console.error("spoor: no record from \(SafeText.terminal(source)) for this indicator")
                throw ExitCode(1)
            }
        }
    }
}
