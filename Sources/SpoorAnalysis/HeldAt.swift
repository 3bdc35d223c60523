import Foundation
import SpoorCore
import SpoorStore

/// Who held an address on a given day, from dated registry snapshots: the snapshot nearest
/// before (or on) that day — "then" — and the latest one — "now" — with a sentence saying
/// plainly whether they agree. When no snapshot precedes the day, the earliest one after it is
/// used and the sentence says it is from a later date and by how much.
///
/// One engine for the annex, the findings and `spoor lookup --at`: they all call
/// ``HeldAt/init(day:answers:)`` with the registry answers the ``Attributor`` gave.
public struct HeldAt: Hashable, Sendable, Codable {
    /// What one snapshot says of the address.
    public struct Snapshot: Hashable, Sendable, Codable {
        /// The snapshot's date (YYYY-MM-DD) and file.
        public var asOf: String
        public var file: String
        /// The most specific netblock or route holding the address, its holder, origin AS and AS name.
        public var network: String?
        public var holder: String?
        public var asn: UInt32?
        public var asName: String?

        init(_ answer: RegistryAnswer) {
            asOf = answer.source.asOf
            file = answer.source.fileName
            network = answer.netblock?.key ?? answer.route?.key
            holder = answer.holder ?? answer.originOrganisation
            asn = answer.originASN
            asName = answer.originName
        }

        /// Whether two snapshots name the same holder and origin AS (the netblock's bounds may
        /// be written differently by two formats; the holder is what a court asks about).
        func sameHolder(as other: Snapshot) -> Bool {
            (holder ?? asName) == (other.holder ?? other.asName) && asn == other.asn
        }

        /// `in 198.51.100.0/24, held by Example Hosting (AS64500 EXAMPLE-AS)`.
        var words: String {
            var text = network.map { "in \($0)" } ?? "in no netblock the snapshot holds"
            if let holder { text += ", held by \(holder)" }
            if let asn {
                text += " (AS\(asn)" + (asName.map { " \($0)" } ?? "") + ")"
            } else if holder == nil, let asName {
                text += ", announced by \(asName)"
            }
            return text
        }
    }

    /// The day asked about (YYYY-MM-DD).
    public var day: String
    /// The snapshot nearest before or on the day, and how many days before it was made.
    public var then: Snapshot?
    public var daysBefore: Int?
    /// When no snapshot precedes the day: the earliest one, and how many days after the day.
    public var earliestAfter: Snapshot?
    public var daysAfter: Int?
    /// Other snapshots of the same date as the one used for the day (two files describing one
    /// day): each is kept and named; the sentence says where they disagree.
    public var sameDate: [Snapshot]?
    /// The latest snapshot, when it is another than the one used for the day.
    public var now: Snapshot?
    /// True when the latest snapshot names another holder or AS than the one used for the day.
    public var changed: Bool
    /// True when the attribution for the day comes from a later snapshot only.
    public var fromLater: Bool { then == nil }
    /// True when the day is that of the address's first record in the case (the annex and the
    /// findings), false when it was asked (`lookup --at`).
    public var firstRecord: Bool
    /// True when the day is that of the first record of the finding the sentence is added to.
    public var ofFinding: Bool
    /// The answer in words, of "this address" (see the type's description).
    public var sentence: String

    /// Nil when no snapshot answers for the address, or the day cannot be read.
    public init?(day: String, answers: [RegistryAnswer], firstRecord: Bool = false, ofFinding: Bool = false) {
        let dated = answers.compactMap { answer in Self.dayNumber(answer.source.asOf).map { ($0, answer) } }
            .sorted { ($0.0, $0.1.source.id) < ($1.0, $1.1.source.id) }
        guard let asked = Self.dayNumber(day), let latest = dated.last else { return nil }
        self.day = String(day.prefix(10))
        let before = dated.last { $0.0 <= asked }
        let used: (Int, RegistryAnswer)
        if let before {
            used = before
            then = Snapshot(before.1)
            daysBefore = asked - before.0
        } else {
            used = dated[0]
            earliestAfter = Snapshot(dated[0].1)
            daysAfter = dated[0].0 - asked
        }
        let usedSnapshot = Snapshot(used.1)
        let twins = dated.filter { $0.0 == used.0 && $0.1.source.id != used.1.source.id }.map { Snapshot($0.1) }
        sameDate = twins.isEmpty ? nil : twins
        let latestSnapshot = Snapshot(latest.1)
        let isLatest = latest.1.source.id == used.1.source.id
        now = isLatest ? nil : latestSnapshot
        changed = !isLatest && !usedSnapshot.sameHolder(as: latestSnapshot)

        self.firstRecord = firstRecord
        self.ofFinding = ofFinding
        sentence = ""
        sentence = sentence(naming: nil)
    }

    /// The sentence, naming the address (`198.51.100.23`) or, when nil, as "this address".
    public func sentence(naming address: String?) -> String {
        let subject = address ?? "this address"
        let when =
            ofFinding ? ", the day of this finding's first record," : firstRecord ? ", the day of its first record here," : ""
        var text: String
        if let then, let daysBefore {
            let gap = daysBefore == 0 ? "made that day" : "\(Self.days(daysBefore)) before"
            text = "On \(day)\(when) \(subject) was \(then.words) (registry snapshot of \(then.asOf), \(gap))"
        } else if let earliestAfter {
            text =
                "No registry snapshot precedes \(day)\(when.dropLast()): the earliest, of \(earliestAfter.asOf) (\(Self.days(daysAfter ?? 0)) later), has \(subject) \(earliestAfter.words); who held it on \(day) is not known from these snapshots"
        } else {
            text = ""
        }
        for twin in sameDate ?? [] {
            let used = then ?? earliestAfter
            text +=
                used.map(twin.sameHolder) == true
                ? "; the other snapshot of that date, \(twin.file), agrees"
                : "; the other snapshot of that date, \(twin.file), has it \(twin.words) instead"
        }
        if let now {
            text += changed ? "; by \(now.asOf) it was \(now.words)." : "; the latest snapshot, of \(now.asOf), says the same."
        } else {
            text += "; no later snapshot is held."
        }
        return text
    }

    /// Whether the snapshots answering for an address name more than one holder or origin AS,
    /// as ``Snapshot/sameHolder(as:)`` compares them.
    public static func disagree(_ answers: [RegistryAnswer]) -> Bool {
        guard let first = answers.first.map(Snapshot.init) else { return false }
        return answers.dropFirst().contains { !Snapshot($0).sameHolder(as: first) }
    }

    static func days(_ n: Int) -> String { n == 1 ? "1 day" : "\(n) days" }

    /// Days since 1970-01-01 of a `YYYY-MM-DD…` text.
    static func dayNumber(_ text: String) -> Int? {
        CivilTime.days(isoDate: text).map { Int($0) }
    }
}
