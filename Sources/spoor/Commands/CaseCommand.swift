import ArgumentParser
import Foundation
import SpoorCase
import SpoorCore

struct CaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case", abstract: "Create and describe cases.", subcommands: [Init.self, Info.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new case folder.",
            usage: "spoor case init <case-dir> [--title <title>] [--examiner <examiner>]\n[--organisation <organisation>] [--reference <reference>]",
            discussion: "The folder gets a case.sqlite file holding everything Spoor learns about the case. Evidence stays where it is.")

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
                    metadata: .init(title: title, examiner: examiner, organisation: organisation, reference: reference, createdAt: now))
            } catch {
                throw fail(error)
            }
            print("Created case \"\(SafeText.terminal(title))\" in \(directory)")
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a case's metadata and evidence inventory.",
            discussion: "Each item's parse warnings (unreadable records, with file and line) follow it; --warnings N shows up to N per item (default 5, 0 for none).")

        @Argument(help: ArgumentHelp("The case folder.", valueName: "case-dir")) var directory: String
        @Option(help: ArgumentHelp("Parse warnings to show per evidence item.", valueName: "n")) var warnings = 5

        func run() throws {
            do {
                let store = try CaseStore(directory: directory)
                let meta = try store.metadata()
                print("Title:        \(SafeText.terminal(meta.title))")
                print("Examiner:     \(SafeText.terminal(meta.examiner ?? "—"))")
                print("Organisation: \(SafeText.terminal(meta.organisation ?? "—"))")
                print("Reference:    \(SafeText.terminal(meta.reference ?? "—"))")
                print("Created:      \(meta.createdAt)")
                print("Evidence:")
                for item in try store.evidenceInventory() {
                    let name = item.member.map { "\(item.path)!\($0)" } ?? item.path
                    print("  \(item.sha256.prefix(16))…  \(item.status.padding(toLength: 11, withPad: " ", startingAt: 0)) \(item.format ?? "?")  \(item.observations) observations  \(SafeText.terminal(name))")
                    for note in item.notes ?? [] { print("      note: \(SafeText.terminal(note))") }
                    for line in try store.readingHistory(sha256: item.sha256, path: item.path, member: item.member) {
                        print("      history: \(SafeText.terminal(line))")
                    }
                    guard warnings > 0, item.warnings > 0 else { continue }
                    let listed = try store.warnings(sha256: item.sha256)
                    for warning in listed.prefix(warnings) { print("      warning: \(SafeText.terminal(warning))") }
                    if listed.count > warnings { print("      … and \(listed.count - warnings) more (--warnings \(listed.count))") }
                }
            } catch {
                throw fail(error)
            }
        }
    }
}
