import ArgumentParser
import Foundation
import SpoorCase
import SpoorStore
import SpoorCore

struct CaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case", abstract: "Create and describe cases.", subcommands: [Init.self, Info.self])
}
