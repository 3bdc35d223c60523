import ArgumentParser
import Foundation
import SpoorCore
import SpoorIntake
import SpoorIntel
import SpoorStore

struct Registry: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep registry data (who holds a netblock, which AS originates it) in the reference store.",
        discussion: """
            Registry data lives in the same store as indicators (--intel-db, $SPOOR_INTEL_DB); 'spoor lookup' and \
            'spoor analyze' answer from every import, each answer dated "as of" its import.
            """,
        subcommands: [Import.self, List.self, Neighbours.self])
}
