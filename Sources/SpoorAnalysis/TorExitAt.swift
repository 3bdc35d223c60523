import Foundation
import SpoorCore
import SpoorIntel
import SpoorStore

/// Whether an address was a Tor exit on a given day, from the Tor exit lists imported: the list
/// nearest before (or on) the day decides; when none precedes it, the earliest after it is used
/// and the sentence says the answer is from a later date. A list that does not hold the address
/// says so too, and the lists that do (at other dates) are named: an exit that stopped being one
/// before the day is not called an exit on the day.
public struct TorExitAt: Hashable, Sendable, Codable {
    /// One Tor exit list, with the entry it has for the address when it has one.
    public struct List: Hashable, Sendable, Codable {
        public var asOf: String
        public var file: String
        public var sha256: String
        /// The relay's fingerprint, its `LastStatus` and when it was seen exiting from the address.
        public var fingerprint: String?
        public var lastStatus: String?
        public var exitedAt: String?

        init(_ answer: TorExitListAnswer) {
            asOf = answer.list.asOf
            file = answer.list.fileName
            sha256 = answer.list.sha256
            let latest = answer.exits.max { ($0.lastModified ?? "") < ($1.lastModified ?? "") }
            fingerprint = latest?.key
            lastStatus = latest?.status
            exitedAt = latest?.lastModified
        }

        public var listsIt: Bool { fingerprint != nil }
    }

    /// The day asked about (YYYY-MM-DD).
    public var day: String
    /// The list used for the day, and how many days before (negative: after) the day it is dated.
    public var used: List
    public var daysBefore: Int
    /// The other lists that hold the address, oldest first.
    public var otherListings: [List]
    /// True when the list used for the day holds the address.
    public var exitOnDay: Bool { used.listsIt }
    /// True when the list used is dated after the day (none precedes it).
    public var fromLater: Bool { daysBefore < 0 }
    /// The answer in words, of "this address".
    public var sentence: String

    /// Nil when no list holds the address at any date (or none is imported).
    public init?(day: String, lists: [TorExitListAnswer]) {
        guard let asked = HeldAt.dayNumber(day), lists.contains(where: { !$0.exits.isEmpty }) else { return nil }
        let dated = lists.compactMap { list in HeldAt.dayNumber(list.list.asOf).map { ($0, list) } }
            .sorted { ($0.0, $0.1.list.id) < ($1.0, $1.1.list.id) }
        guard let chosen = dated.last(where: { $0.0 <= asked }) ?? dated.first else { return nil }
        self.day = String(day.prefix(10))
        used = List(chosen.1)
        daysBefore = asked - chosen.0
        otherListings = dated.filter { $0.1.list.id != chosen.1.list.id && !$0.1.exits.isEmpty }.map { List($0.1) }
        sentence = ""
        sentence = sentence(naming: nil)
    }

    /// The sentence, naming the address or, when nil, as "this address".
    public func sentence(naming address: String?) -> String {
        let subject = address ?? "this address"
        let source = "the Tor exit list of \(used.asOf) (\(used.file))"
        let gap =
            daysBefore == 0
            ? "of that day" : daysBefore > 0 ? "\(HeldAt.days(daysBefore)) before" : "\(HeldAt.days(-daysBefore)) later"
        var text: String
        if exitOnDay {
            let entry =
                "relay \(used.fingerprint ?? "")"
                + (used.exitedAt.map { ", seen exiting from it at \($0) UTC" } ?? "")
                + (used.lastStatus.map { ", last listed by the directory at \($0) UTC" } ?? "")
            text =
                fromLater
                ? "No Tor exit list precedes \(day): \(source), \(gap), lists \(subject) as a Tor exit (\(entry)); whether it was one on \(day) is not known from these lists."
                : "On \(day) \(subject) was a Tor exit: \(source), \(gap), lists it (\(entry))."
        } else {
            let others = otherListings.map(\.asOf).joined(separator: ", ")
            let nearest = daysBefore == 0 ? "of" : fromLater ? "nearest after" : "nearest before"
            text =
                "The Tor exit list \(nearest) \(day), of \(used.asOf) (\(used.file)), does not list \(subject); "
                + "the list(s) of \(others) do: it was a Tor exit at another time, not known to be one on \(day)."
        }
        if exitOnDay || !otherListings.isEmpty {
            text += " A Tor exit carries the traffic of any Tor user: it identifies the service, not who used it."
        }
        return text
    }
}
