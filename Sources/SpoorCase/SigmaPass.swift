import Foundation
import SpoorAnalysis
import SpoorCore
import SpoorSigma
import SpoorStore

extension RuleID {
    public static let sigma = RuleID("sigma")
}

extension CaseStore {
    /// Most records a Sigma finding cites.
    static let sigmaCitedRecords = 50

    /// Applies a folder's Sigma rules to the case's records of the formats they are written for:
    /// one finding per rule that matched, naming the rule's title, id, author, level and
    /// references, with the records it matched. Findings are numbered from `firstNumber`.
    func sigmaFindings(_ set: SigmaRuleSet, firstNumber: Int) throws -> [Finding] {
        struct Hits {
            var count = 0
            var locators: [Locator] = []
            var addresses: Set<String> = []
            var formats: Set<String> = []
            var first: String?
            var last: String?
        }
        var hits = Array(repeating: Hits(), count: set.rules.count)
        let formats = Array(Set(set.rules.flatMap(\.source.formats))).sorted()
        let byFormat = Dictionary(grouping: set.rules.indices) { set.rules[$0].source.formats.first ?? "" }
        let programs = set.rules.map(\.program)
        try forEachRecord(formats: formats) { record in
            guard let indices = byFormat[record.format] else { return }
            let event = SigmaEvent(values: record.values)
            for index in indices where programs[index].matches(event) {
                hits[index].count += 1
                if hits[index].locators.count < Self.sigmaCitedRecords { hits[index].locators.append(try record.locator()) }
                if let ip = record.values["ip"] { hits[index].addresses.insert(ip) }
                hits[index].formats.insert(record.format)
                // Records come in storage order: the earliest and latest times are kept.
                if let time = record.time {
                    if hits[index].first.map({ time < $0 }) ?? true { hits[index].first = time }
                    if hits[index].last.map({ time > $0 }) ?? true { hits[index].last = time }
                }
            }
        }
        var findings: [Finding] = []
        for (rule, hit) in zip(set.rules, hits) where hit.count > 0 {
            var said = "Sigma rule \"\(SafeText.excerpt(rule.title, limit: 160))\""
            let about = [
                rule.id.map { "id \($0)" }, rule.author.map { "by \(SafeText.excerpt($0, limit: 120))" },
                rule.level.map { "level \($0)" }, "file \(rule.file)",
            ].compactMap { $0 }
            said +=
                " (\(about.joined(separator: ", "))) matched \(hit.count) record(s) of \(hit.formats.sorted().joined(separator: ", "))"
            if let first = hit.first, let last = hit.last { said += first == last ? " at \(first)" : " from \(first) to \(last)" }
            let addresses = hit.addresses.sorted()
            if !addresses.isEmpty {
                said += ", from \(addresses.prefix(10).joined(separator: ", "))"
                if addresses.count > 10 { said += " and \(addresses.count - 10) other address(es)" }
            }
            said += "."
            if !rule.references.isEmpty {
                said +=
                    " References: \(rule.references.prefix(5).map { SafeText.excerpt($0, limit: 200) }.joined(separator: "; "))."
            }
            said += " A Sigma rule describes what its author looks for; a match is a lead to read, not a conclusion."
            findings.append(
                Finding(
                    id: "F\(firstNumber + findings.count)", rule: .sigma, severity: rule.severity, statement: said,
                    addresses: addresses.compactMap { IPAddress($0) }, locators: hit.locators))
        }
        return findings
    }

    /// The methods entry and the reference for an analysis that applied these rules.
    /// The folder is named by its last component only, so that a re-run from another place
    /// writes the same annex; the set's hash identifies the rules.
    static func sigmaStated(_ set: SigmaRuleSet) -> (RuleDescription, SigmaReference) {
        let name = (set.folder as NSString).lastPathComponent
        let description = RuleDescription(
            id: .sigma,
            summary:
                "The Sigma rules of the folder \(name): \(set.rules.count) evaluated against the records of the formats their log sources name, \(set.unsupported.count) read and not evaluated, each with its reason.",
            reads:
                "Every record of web server logs, sshd logs, Microsoft 365 audit logs, Entra sign-ins and Google Workspace audit activities, with its fields under the names of Spoor's Sigma field table.",
            doesNotShow:
                "A Sigma rule was written for a SIEM's view of a log: Spoor tests the fields it keeps, by its table, and a rule's keywords against the text of the records it read, not lines it did not read.",
            tunables: [
                Tunable("folder", .text(name), "The folder the rules were read from (its name)."),
                Tunable(
                    "set_sha256", .text(set.sha256),
                    "The SHA-256 of the listing of every file read (path and SHA-256), which identifies the rules used."),
                Tunable("evaluated", .count(set.rules.count), "How many rules were evaluated."),
                Tunable("refused", .count(set.unsupported.count), "How many rules were read and not evaluated."),
            ])
        let reference = SigmaReference(
            folder: name, sha256: set.sha256,
            evaluated: set.rules.map { .init(file: $0.file, title: $0.title, id: $0.id, level: $0.level, sha256: $0.sha256) },
            refused: set.unsupported.map { .init(file: $0.file, title: $0.title, reason: $0.reason) })
        return (description, reference)
    }
}
