import ArgumentParser
import Foundation
import SpoorCase
import SpoorStore
import SpoorCore

extension CaseCommand {
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a case's metadata and evidence inventory.",
            discussion:
                "Each item's parse warnings (unreadable records, with file and line) follow it; --warnings N shows up to N per item (default 5, 0 for none)."
        )

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
                    print(
                        "  \(item.sha256.prefix(16))…  \(item.status.padding(toLength: 11, withPad: " ", startingAt: 0)) \(item.format ?? "?")  \(item.observations) observations  \(SafeText.terminal(name))"
                    )
                    for note in item.notes ?? [] { print("      note: \(SafeText.terminal(note))") }
                    for line in try store.readingHistory(sha256: item.sha256, path: item.path, member: item.member) {
                        print("      history: \(SafeText.terminal(line))")
                    }
                    guard warnings > 0, item.warnings > 0 else { continue }
                    let listed = try store.warnings(sha256: item.sha256)
                    for warning in listed.prefix(warnings) { print("      warning: \(SafeText.terminal(warning))") }
                    if listed.count > warnings {
                        print("      … and \(listed.count - warnings) more (--warnings \(listed.count))")
                    }
                }
            } catch {
                throw fail(error)
            }
        }
    }
}
