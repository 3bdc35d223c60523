import Foundation
import SpoorCore

extension RuleID {
    public static let anonymisingInfrastructure = RuleID("anonymising_infrastructure")
}

/// `anonymising_infrastructure`: an address used on an account that a database flags (VPN, Tor,
/// hosting, proxy) or a warninglist holds. It says how the access was made, not who made it.
public final class AnonymisingInfrastructure: Rule {
    public static let id = RuleID.anonymisingInfrastructure
    public static let summary =
        "An address used on the account belongs to hosting, VPN, Tor or other anonymising infrastructure according to an address database or a warninglist."
    public static let reads =
        "Every address used on an account, with the flags the databases give (VPN, Tor, hosting, proxy) and the warninglists holding it."
    public static let doesNotShow =
        "Such an address identifies a service many people share, not its user; database flags and lists are dated and can be out of date."
    public let scope = RuleScope.address
    public var citedRecords = 20
    public var tunables: [Tunable] {
        [Tunable("cited_records", .count(citedRecords), "At most this many of the address's dated account records are cited.")]
    }

    public init() {}

    public func consume(_ context: SubjectContext) throws -> [Finding] {
        let subject = context.subject
        guard context.flagged, context.kinds.contains(.access) else { return [] }
        var reasons: [String] = []
        for answer in subject.enrichment where !answer.flags.isEmpty {
            reasons.append(
                "flagged " + answer.flags.joined(separator: ", ")
                    + " by \(answer.source.databaseType) built \(answer.source.buildDate)")
        }
        // A dated list (VPN, relay and cloud ranges change) is judged by its version for the day.
        let day = subject.firstSeen ?? subject.zonelessFirst
        for hit in subject.warninglists ?? [] { reasons.append(hit.words(day: day)) }
        // A Tor exit is judged for the day: the list nearest before it decides.
        if let tor = subject.torExit, tor.exitOnDay {
            reasons.append(
                "listed as a Tor exit by the Tor exit list of \(tor.used.asOf)"
                    + (tor.fromLater ? " (dated after its first record: no list precedes it)" : ""))
        }
        let torNote = subject.torExit.map { " " + $0.sentence(naming: subject.ip) } ?? ""
        guard !reasons.isEmpty || !torNote.isEmpty else { return [] }
        if reasons.isEmpty { reasons.append("not a Tor exit on the day of its first record, but one at another time") }
        // Only an address used on an account: its dated account records.
        let locators = try context.records(.accountAccess, citedRecords)
        guard !locators.isEmpty else { return [] }
        return [
            finding(
                .medium,
                "\(subject.ip), used on the account(s) \(subject.accounts.joined(separator: ", ")), is \(reasons.joined(separator: " and ")). "
                    + "Such addresses are shared by many users: this says how the access was made, not who made it." + torNote,
                addresses: [subject.ip], locators: locators)
        ]
    }
}
