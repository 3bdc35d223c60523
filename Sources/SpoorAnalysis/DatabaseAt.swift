import Foundation
import SpoorCore
import SpoorEnrichment

/// Which build of a MaxMind-format database answers for a day, when several builds of one
/// database type are given (a folder of monthly GeoLite2-ASN files): the build nearest before
/// (or on) the day, else the earliest after it (said so); and what the latest build says, in
/// words, when it says otherwise. Only the build used for the day gives the address its AS,
/// country and flags: the others never decide a finding.
public struct DatabaseAt: Hashable, Sendable, Codable {
    public var databaseType: String
    /// The day asked about (YYYY-MM-DD).
    public var day: String
    /// The build used for the day, its date, and its answer's summary (nil: it has no record).
    public var usedFile: String
    public var usedBuild: String
    public var usedAnswer: String?
    /// Days from the build to the day (negative: the build is later).
    public var daysBefore: Int
    /// The latest build, when it is another, and its answer's summary.
    public var latestFile: String?
    public var latestBuild: String?
    public var latestAnswer: String?
    /// True when the latest build names another AS, organisation or country, or flags.
    public var changed: Bool
    public var sentence: String

    /// Chooses, for each database type given in several builds, the build for the day.
    /// - Returns: the answers to keep (every single-build type's, and the chosen build's of the
    ///   others) and, per several-build type, what was chosen.
    public static func choose(
        _ answers: [EnrichmentAnswer], databases: [DatabaseIdentity], day: String?
    ) -> (kept: [EnrichmentAnswer], chosen: [DatabaseAt]) {
        let builds = Dictionary(grouping: databases, by: \.databaseType).filter {
            Set($0.value.map(\.buildEpoch)).count > 1
        }
        guard !builds.isEmpty else { return (answers, []) }
        let asked = day.flatMap { CivilTime.days(isoDate: $0) }
        var kept = answers.filter { builds[$0.source.databaseType] == nil }
        var chosen: [DatabaseAt] = []
        for (type, identities) in builds.sorted(by: { $0.key < $1.key }) {
            let ordered = identities.sorted { ($0.buildEpoch, $0.fileName) < ($1.buildEpoch, $1.fileName) }
            guard let latest = ordered.last else { continue }
            func dayOf(_ identity: DatabaseIdentity) -> Int64 { Int64(identity.buildEpoch / 86_400) }
            let used: DatabaseIdentity =
                asked.flatMap { a in ordered.last { dayOf($0) <= a } ?? ordered.first } ?? latest
            func answer(_ identity: DatabaseIdentity) -> EnrichmentAnswer? {
                answers.first { $0.source.sha256 == identity.sha256 && $0.source.fileName == identity.fileName }
            }
            let usedAnswer = answer(used)
            if let usedAnswer { kept.append(usedAnswer) }
            guard let asked else { continue }
            let latestAnswer = answer(latest)
            let isLatest = latest == used
            let differs =
                !isLatest
                && (usedAnswer?.asn != latestAnswer?.asn || usedAnswer?.asOrganization != latestAnswer?.asOrganization
                    || usedAnswer?.countryCode != latestAnswer?.countryCode || usedAnswer?.flags != latestAnswer?.flags)
            var at = DatabaseAt(
                databaseType: type, day: String(day?.prefix(10) ?? ""), usedFile: used.fileName, usedBuild: used.buildDate,
                usedAnswer: usedAnswer?.summary, daysBefore: Int(asked - dayOf(used)),
                latestFile: isLatest ? nil : latest.fileName,
                latestBuild: isLatest ? nil : latest.buildDate, latestAnswer: isLatest ? nil : latestAnswer?.summary,
                changed: differs, sentence: "")
            at.sentence = at.words()
            chosen.append(at)
        }
        return (kept, chosen)
    }

    func words() -> String {
        let says = usedAnswer.map { "says \($0)" } ?? "has no record for it"
        let gap =
            daysBefore == 0
            ? "that day" : daysBefore > 0 ? "\(HeldAt.days(daysBefore)) before" : "\(HeldAt.days(-daysBefore)) later"
        var text =
            daysBefore < 0
            ? "No \(databaseType) build precedes \(day): the earliest, \(usedFile) built \(usedBuild) (\(gap)), \(says) (what a build of that day said is not known)"
            : "For \(day) the \(databaseType) build \(usedFile) built \(usedBuild) (\(gap)) \(says)"
        if let latestFile, let latestBuild {
            text +=
                changed
                ? "; the latest, \(latestFile) built \(latestBuild), "
                    + (latestAnswer.map { "says \($0)" } ?? "has no record for it")
                    + "."
                : "; the latest, built \(latestBuild), says the same."
        } else {
            text += "; it is the latest build given."
        }
        return text
    }
}
