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
            Registry data lives in the same store as indicators (--intel-db, $SPOOR_INTEL_DB), each import dated "as of" \
            its data. 'spoor analyze' (and 'spoor lookup --at') answer from the imports that matter for the days of \
            the address's records: the one nearest before (else the earliest after), those within those days, the \
            latest, and others of the same dates; 'spoor lookup' without --at answers from every import.
            """,
        subcommands: [Import.self, List.self, Neighbours.self])
}
