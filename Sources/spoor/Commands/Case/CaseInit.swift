import ArgumentParser
import Foundation
import SpoorCase
import SpoorStore
import SpoorCore

extension CaseCommand {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new case folder.",
            usage:
                "spoor case init <case-dir> [--title <title>] [--examiner <examiner>]\n[--organisation <organisation>] [--reference <reference>]",
            discussion:
                "The folder gets a case.sqlite file holding everything Spoor learns about the case. Evidence stays where it is.")

        @Argument(help: ArgumentHelp("The case folder to create.", valueName: "case-dir"))
        var directory: String
        @Option(help: "A title for reports, e.g. \"Takeover of the newsroom's accounts\" (a redacted annex replaces it).")
        var title: String?
        @Option(help: "Who examines the evidence.") var examiner: String?
        @Option(help: "The examiner's organisation.") var organisation: String?
        @Option(help: "Your reference for the case (file number, ticket).") var reference: String?

        func run() throws {
            let title = self.title ?? (URL(fileURLWithPath: directory).lastPathComponent)
            let now = Timestamp.unixSeconds(Int64(Date().timeIntervalSince1970)).rfc3339UTC ?? ""
            do {
                _ = try CaseStore.create(
                    at: directory,
                    metadata: .init(
                        title: title, examiner: examiner, organisation: organisation, reference: reference, createdAt: now))
            } catch {
                throw fail(error)
            }
            print("Created case \"\(SafeText.terminal(title))\" in \(directory)")
        }
    }
}
