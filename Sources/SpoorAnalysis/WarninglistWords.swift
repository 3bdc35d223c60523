import SpoorCore
import SpoorIntel

extension WarninglistHit {
    /// The hit in words (after "is" or "was"), for the day of the address's first record: the
    /// list, its entry, and which version said so and how far from the day it is dated.
    public func words(day: String?) -> String {
        let entryText = "(\(entry))"
        let gap: String? = {
            guard let asOf, let day, let from = HeldAt.dayNumber(day), let to = HeldAt.dayNumber(asOf) else { return nil }
            let n = from - to
            return n == 0
                ? "of that day"
                : n > 0 ? "\(HeldAt.days(n)) before its first record" : "\(HeldAt.days(-n)) after its first record"
        }()
        switch judged {
        case nil:
            return "listed in the warninglist \(name) \(entryText)" + (asOf.map { " of \($0)" } ?? ", version \(version)")
        case .onDay:
            return "listed in the warninglist \(name) \(entryText) by its version of \(asOf ?? version)"
                + (gap.map { ", \($0)" } ?? "")
                + (notInLatestAsOf.map { " (its version of \($0) no longer lists it)" } ?? "")
        case .fromLater:
            return "listed in the warninglist \(name) \(entryText) by its version of \(asOf ?? version)"
                + (gap.map { ", \($0)" } ?? "") + ": no earlier version is held, so whether it was listed on the day is not known"
                + (notInLatestAsOf.map { " (its version of \($0) no longer lists it)" } ?? "")
        case .notOnDay:
            return "not listed in the warninglist \(name) by its version of \(dayVersionAsOf ?? "the day")"
                + ", the one for its first record; its version of \(asOf ?? version) lists it \(entryText): listed at another time"
        }
    }
}
