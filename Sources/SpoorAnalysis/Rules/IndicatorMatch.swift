import Foundation
import SpoorCore

extension RuleID {
    public static let indicatorMatch = RuleID("indicator_match")
}

/// `indicator_match`: an address covered by an indicator (by address or range, by the AS a
/// database or registry names, or by a name it was reached as), with the indicator's sources and
/// how the address's observations fall against their validity windows. Seen only outside every
/// window: still reported, at medium.
public final class IndicatorMatch: Rule {
    public static let id = RuleID.indicatorMatch
    public static let summary =
        "An address lies within an address or range in the indicator set, or its network's AS number or a name it was reached as is listed there. The indicator's sources are cited; when every source gives a period of validity and the address was seen only outside it, the finding is kept at a lower severity and says so."
    public static let reads =
        "Every distinct address with what attribution found: indicators covering it by address or range, by the AS a database or registry names, or by a name it was reached as."
    public static let doesNotShow =
        "A match says that the cited source reported the address, range or network; it does not say who used the address at the time of the records, and a shared range (hosting, a carrier) is weaker evidence than a single address."
    public let scope = RuleScope.address
    /// How many of the address's records the finding cites.
    public var citedRecords = 50
    public var tunables: [Tunable] {
        [Tunable("cited_records", .count(citedRecords), "At most this many of the address's records are cited.")]
    }

    public init() {}

    public func consume(_ context: SubjectContext) throws -> [Finding] {
        let subject = context.subject
        guard !subject.indicatorHits.isEmpty else { return [] }
        let cited = subject.indicatorHits.map { hit -> String in
            let sources = hit.provenance.map { p in
                (p.sourceIsUnstated ? "a publisher not named at import (\(p.origin ?? "file unknown"))" : p.source)
                    + (p.reference.map { " (\($0))" } ?? "") + (p.firstSeen.map { ", first seen \($0)" } ?? "")
            }
            let how = hit.matchedBy == "asn" ? "its network \(hit.value)" : "\(hit.type) indicator \(hit.value)"
            var text = "\(how), reported by \(sources.joined(separator: "; "))"
            if let check = hit.validity {
                text +=
                    " (valid \(check.windows.joined(separator: "; ")): \(check.inside) occurrence(s) inside, \(check.outside) outside"
                    + (check.undetermined > 0 ? ", \(check.undetermined) without a time zone" : "") + ")"
            }
            return text
        }
        let sources = subject.bySource.keys.sorted().joined(separator: ", ")
        let period = [subject.firstSeen, subject.lastSeen].compactMap { $0 }
        var statement = "\(subject.ip) appears \(subject.occurrences) time(s) in the evidence (\(sources))"
        if let names = subject.reachedAs, !names.isEmpty {
            statement +=
                ", reached as \(names.prefix(5).joined(separator: ", "))"
                + (names.count > 5 ? " and \(names.count - 5) more name(s)" : "")
        }
        if period.count == 2 { statement += " between \(period[0]) and \(period[1])" }
        if let first = subject.zonelessFirst, let last = subject.zonelessLast {
            statement += (period.count == 2 ? ", and" : "") + " in records without a time zone between \(first) and \(last)"
        }
        // Who held the address, with the data and date that say so.
        var holders: [String] = []
        for answer in subject.enrichment {
            guard let asn = answer.asn else { continue }
            holders.append(
                "AS\(asn)" + (answer.asOrganization.map { " \($0)" } ?? "")
                    + " per \(answer.source.databaseType) built \(answer.source.buildDate)")
        }
        for answer in subject.registry ?? [] {
            guard let holder = answer.holder ?? answer.netblock?.name else { continue }
            holders.append(
                "\(holder)" + (answer.netblock.map { " (\($0.key))" } ?? "")
                    + " per registry data \(answer.source.fileName) as of \(answer.source.asOf)")
        }
        if !holders.isEmpty { statement += "; held by " + holders.joined(separator: "; ") + "," }
        if let lists = subject.warninglists, !lists.isEmpty {
            statement +=
                " " + lists.map { $0.words(day: subject.firstSeen ?? subject.zonelessFirst) }.joined(separator: ", ")
                + " (shared or benign infrastructure: context, not exoneration),"
        }
        statement += " and matches " + cited.joined(separator: "; and ") + "."
        // Seen only outside every window its sources give: still reported, lower.
        let severity: Finding.Severity = subject.indicatorHits.allSatisfy({ $0.validity?.onlyOutside == true }) ? .medium : .high
        return [
            finding(
                severity, statement, addresses: [subject.ip], indicators: subject.indicatorHits.map { "\($0.type) \($0.value)" },
                locators: try context.records(.all, citedRecords))
        ]
    }
}
