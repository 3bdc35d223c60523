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

    /// The database types given in several builds, each with its builds oldest first, by type
    /// name: worked out once for the databases of an attribution run.
    public static func severalBuilds(_ databases: [DatabaseIdentity]) -> [(type: String, builds: [DatabaseIdentity])] {
        Dictionary(grouping: databases, by: \.databaseType).filter { Set($0.value.map(\.buildEpoch)).count > 1 }
            .map { ($0.key, $0.value.sorted { ($0.buildEpoch, $0.fileName) < ($1.buildEpoch, $1.fileName) }) }
            .sorted { $0.type < $1.type }
    }

    /// Chooses, for each database type given in several builds (``severalBuilds(_:)``), the
    /// build for the day.
    /// - Returns: the answers to keep (every single-build type's, and the chosen build's of the
    ///   others) and, per several-build type, what was chosen.
    public static func choose(
        _ answers: [EnrichmentAnswer], builds: [(type: String, builds: [DatabaseIdentity])], day: String?
    ) -> (kept: [EnrichmentAnswer], chosen: [DatabaseAt]) {
        guard !builds.isEmpty else { return (answers, []) }
        let asked = day.flatMap { CivilTime.days(isoDate: $0) }
        var kept = answers.filter { answer in !builds.contains { $0.type == answer.source.databaseType } }
        var chosen: [DatabaseAt] = []
        for (type, ordered) in builds {
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
            at.sentence = at.sentence(naming: nil)
            chosen.append(at)
        }
        return (kept, chosen)
    }

    /// The sentence, naming the address (`198.51.100.23`) or, when nil, as "it".
    public func sentence(naming address: String?) -> String {
        let of = address.map { " of \($0)" } ?? ""
        let says = usedAnswer.map { "says\(of) \($0)" } ?? "has no record for \(address ?? "it")"
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
                    + (latestAnswer.map { "says\(of) \($0)" } ?? "has no record for \(address ?? "it")")
                    + "."
                : "; the latest, built \(latestBuild), says the same."
        } else {
            text += "; it is the latest build given."
        }
        return text
    }
}
