import Foundation
import SpoorCore
import SpoorIntel
import SpoorStore

extension RuleID {
    public static let casebookMatch = RuleID("casebook_match")
}

/// `casebook_match`: an address of this case that the helpline's casebook saw in another case —
/// the same address (high), the same /24 or /48 within a window of time (medium; outside it,
/// low), the same unusual user agent or device name on the same AS, or the same AS with the same
/// registry holder (low, context). One finding per address,
/// at its strongest overlap, naming every earlier case by reference and pseudonym.
public final class CasebookMatch: Rule {
    public static let id = RuleID.casebookMatch
    public static let summary =
        "An address of this case was seen in an earlier case recorded in the casebook: the same address, the same /24 or /48, the same unusual user agent or device name on the same AS, or the same AS with the same registry holder."
    public static let reads =
        "Every distinct address with what the casebook holds for it from other cases (never this case's own sightings), and the dates of both."
    public static let doesNotShow =
        "An overlap ties two cases to the same infrastructure, not to the same person: addresses are reassigned, shared and proxied, and a shared range or provider is much weaker than a shared address."
    public let scope = RuleScope.address
    /// A network overlap counts as medium when the two sightings are at most this far apart.
    public var networkWindow: Int64 = 365 * 86_400
    public var citedRecords = 50
    public var tunables: [Tunable] {
        [
            Tunable(
                "network_window", .seconds(networkWindow),
                "A shared /24 or /48 is medium when the earlier sighting ends at most this long before this case's first record of the address (or after it); otherwise low."
            ),
            Tunable(
                "unusual_client_cases", .count(CasebookReader.unusualClientCases),
                "A user agent or device name seen with the same AS counts only when at most this many other cases of the casebook saw it at all."
            ),
            Tunable("cited_records", .count(citedRecords), "At most this many of the address's records are cited."),
        ]
    }

    public init() {}

    public func consume(_ context: SubjectContext) throws -> [Finding] {
        let subject = context.subject
        guard let hits = subject.casebookHits, !hits.isEmpty else { return [] }
        let first = Self.instant(subject.firstSeen ?? subject.zonelessFirst)
        func near(_ hit: CasebookHit) -> Bool {
            guard let first, let earlier = Self.instant(hit.lastSeen ?? hit.firstSeen) else { return false }
            return abs(first - earlier) <= networkWindow * 1_000_000_000
        }
        let severity: Finding.Severity =
            hits.contains { $0.overlap == .address }
            ? .high : hits.contains { $0.overlap == .network && near($0) } ? .medium : .low
        let roles = CasebookSighting.roles(byAction: subject.byAction)
        var sentences: [String] = []
        var seen = "\(subject.ip) was seen in this case"
        if !roles.isEmpty { seen += " as " + roles.joined(separator: ", ") }
        if let from = subject.firstSeen ?? subject.zonelessFirst, let until = subject.lastSeen ?? subject.zonelessLast {
            seen += from == until ? " at \(from)" : " between \(from) and \(until)"
        }
        sentences.append(seen + ".")
        for hit in hits {
            let when =
                switch (hit.firstSeen, hit.lastSeen) {
                case (let a?, let b?) where a != b: " between \(a) and \(b)"
                case (let a?, _): " at \(a)"
                case (nil, let b?): " at \(b)"
                default: ""
                }
            let how = hit.roles.isEmpty ? "" : " as " + hit.roles.joined(separator: ", ")
            let findings = hit.findings.isEmpty ? "" : " (its findings \(hit.findings.joined(separator: ", ")))"
            let seenBy = hit.source == CasebookCase.localSource ? "" : ", as reported by \(hit.source)"
            switch hit.overlap {
            case .address:
                sentences.append("Case \(hit.caseName)\(seenBy) saw the same address\(when)\(how)\(findings).")
            case .network:
                sentences.append(
                    "Case \(hit.caseName)\(seenBy) saw \(hit.earlierAddress), in the same network \(hit.value),\(when)\(how)\(findings)"
                        + (near(hit) ? "." : "; that was long before or after this case."))
            case .clientAndAS:
                let what = hit.client?.kind == .device ? "device name" : "user agent"
                let text = "\u{201C}" + SafeText.excerpt(hit.client?.value ?? "", limit: 160) + "\u{201D}"
                let rare =
                    hit.clientCases.map {
                        $0 == 1
                            ? " Only that case of the casebook saw this \(what)."
                            : " \($0) cases of the casebook saw this \(what)."
                    } ?? ""
                sentences.append(
                    "Case \(hit.caseName)\(seenBy) saw \(hit.earlierAddress) with the same \(what), \(text), on the same AS (\(hit.value)),\(when)\(how)\(findings).\(rare)"
                )
            case .asAndHolder:
                sentences.append(
                    "Case \(hit.caseName)\(seenBy) saw \(hit.earlierAddress), held by the same AS and registry holder (\(hit.value)),\(when)\(how)\(findings)."
                )
            }
            if let more = hit.moreCases, more > 0 {
                sentences.append("\(more) more case(s) saw the same; 'spoor casebook search \(subject.ip)' lists them.")
            }
        }
        switch severity {
        case .high:
            sentences.append(
                "The same address in two cases ties them to the same infrastructure at those times; it does not show that the same person used it."
            )
        case .medium:
            sentences.append(
                "A shared network is weaker than a shared address: hosting and carrier ranges serve many customers.")
        default:
            sentences.append("This is context only: a provider or a range serves many customers.")
        }
        return [
            finding(
                severity, sentences.joined(separator: " "), addresses: [subject.ip],
                indicators: hits.map { "casebook \($0.caseName) \($0.overlap.rawValue) \($0.value)" },
                locators: try context.records(.all, citedRecords))
        ]
    }

    /// A time as the casebook and subjects write it — RFC 3339, or a zone-less reading marked
    /// `(no zone)`, taken as UTC (14 hours either way do not matter against the window) — as a
    /// sort key.
    static func instant(_ text: String?) -> Int64? {
        guard var text else { return nil }
        if text.hasSuffix(" (no zone)") { text = String(text.dropLast(" (no zone)".count)) + "Z" }
        return Timestamp.parseISO8601(text)?.sortKey
    }
}
