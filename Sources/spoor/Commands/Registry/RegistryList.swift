import ArgumentParser
import Foundation
import SpoorCore
import SpoorIntake
import SpoorIntel
import SpoorStore

extension Registry {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the registry imports: file, hash, format, as-of date.")
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            let store = try Intel.open(intel)
            do {
                for i in try store.registryImports() {
                    print(
                        "\(i.asOf)  \(i.format.padding(toLength: 8, withPad: " ", startingAt: 0)) \(SafeText.terminal(i.fileName))  sha256 \(i.sha256)  (as of: \(i.asOfBasis))"
                    )
                }
            } catch {
                throw fail(error)
            }
        }
    }
}
