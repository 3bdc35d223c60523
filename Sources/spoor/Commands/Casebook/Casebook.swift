import ArgumentParser
import Foundation
import SpoorCore
import SpoorIntel
import SpoorStore

struct Casebook: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What this helpline's own cases saw: record a case's attacker infrastructure, and recognise it in later cases.",
        discussion: """
            The casebook lives in the indicator store (--intel-db) beside the indicators others \
            published. 'spoor casebook add CASE' records a case once its annex has been read; every \
            later 'spoor analyze' then reports, under the rule casebook_match, addresses of the new \
            case that an earlier case saw (the same address, the same /24 or /48, the same uncommon \
            user agent or device name on the same AS, or the same AS and registry holder). Cases are named by their reference and a pseudonym; the victim's \
            account names are never copied into the casebook.
            """,
        subcommands: [Add.self, List.self, Show.self, Search.self, Overlap.self, Export.self, Import.self, Remove.self])

    /// One sighting as a line: address, network, AS and holder, dates, roles, findings.
    static func line(_ s: CasebookSighting) -> String {
        let holder = [s.asn.map { "AS\($0)" }, s.holder].compactMap { $0 }.joined(separator: " ")
        let when = [s.firstSeen, s.lastSeen].compactMap { $0 }
        let parts: [String?] = [
            s.address, "in \(s.network)", holder.isEmpty ? nil : holder,
            when.isEmpty ? nil : (when.first == when.last ? when[0] : "\(when[0]) – \(when[when.count - 1])"),
            "\(s.records) record(s)", s.roles.isEmpty ? nil : s.roles.joined(separator: ", "),
            s.findings.isEmpty ? nil : "findings " + s.findings.joined(separator: " "),
        ]
        return SafeText.terminal(parts.compactMap { $0 }.joined(separator: "  "))
    }
}
