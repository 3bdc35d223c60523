import Foundation
import SpoorCore

extension RuleID {
    public static let governmentBackedAttackWarning = RuleID("government_backed_attack_warning")
}

/// `government_backed_attack_warning`: the service warned that government-backed attackers
/// may be trying to get into the account (Google's `gov_attack_warning`, state-sponsored
/// attack notices). Always **high**, and listed first in the annex: whatever else the records
/// show, the platform saw this.
public final class GovernmentBackedAttackWarning: Rule {
    public static let id = RuleID.governmentBackedAttackWarning
    public static let summary =
        "The service warned the account holder that government-backed attackers may be targeting the account."
    public static let reads =
        "Each account's dated records: the attack warnings the service recorded, by their own names."
    public static let doesNotShow =
        "The warning is the platform's judgement, made on evidence it does not share: it does not name the attacker or show that an attempt succeeded."
    public let scope = RuleScope.account
    public var tunables: [Tunable] {
        [
            Tunable(
                "warning_words", .text(Self.words.joined(separator: ", ")),
                "A warning whose name or text holds one of these is a government-backed attack warning.")
        ]
    }
    static let words = ["gov_attack", "government-backed", "government backed", "state-sponsored", "state sponsored"]

    private var account = ""
    private var found: [Finding] = []
    private var seen: Set<String> = []

    public init() {}

    public func begin(account: String) {
        self.account = account
        found = []
        seen = []
    }

    public func consume(_ event: AccountEvent) throws {
        guard event.action == .attackWarning else { return }
        let text = ((event.rawAction ?? "") + " " + (event.target ?? "")).lowercased()
        guard Self.words.contains(where: text.contains) else { return }
        // The same warning in several files is one warning.
        guard seen.insert("\(event.timeKey) \(event.rawAction ?? "")").inserted else { return }
        found.append(
            finding(
                .high,
                "On \(account), the service recorded a government-backed attack warning: \(ActionWatch.what(event, default: "an attack warning")) \(ActionWatch.fromAt(event)). The platform warned that attackers working for a government may be trying to get into the account.",
                addresses: [event.ip].compactMap { $0 }, locators: [event.locator]))
    }

    public func finishAccount() throws -> [Finding] { found }
}
