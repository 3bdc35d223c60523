import ArgumentParser
import Foundation
import SpoorCore
import SpoorEnrichment
import SpoorIntake

struct MMDB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mmdb", abstract: "Build MaxMind-format databases from text sources.", subcommands: [Build.self])
}
