import Foundation
import SpoorCore

/// What the takeover rules (`data_export`, `mail_forwarding`, `consent_or_app_access`,
/// `recovery_change`, `destruction`) share: each watches an account's records for actions of
/// its kinds and judges each by what came before it.
///
/// A login is **suspicious** when it comes after the account's first session (its baseline)
/// from a network (/24, /48) the account had not used before in these records. An action is
/// set against a suspicious login of its own session within the window, or, when the action's
/// record names no address, against the account's latest suspicious login within the window
/// (by time only, and the finding says so). An action from a new network is suspicious by
/// itself. One record of an action in several files is one action (same kind, time and target).
struct ActionWatch {
    /// One action seen, with what it is set against.
    struct Seen {
        var event: AccountEvent
        /// The suspicious login it follows, nil when none does.
        var login: AccountEvent?
        /// Whether the login is tied by time only (the action names no address).
        var byTime: Bool
        /// Whether the action itself came from a network new to the account.
        var fromNewNetwork: Bool
        /// The records of the same action in other files.
        var copies: [AccountEvent]

        var suspicious: Bool { login != nil || fromNewNetwork }
        var locators: [Locator] { (login.map { [$0.locator] } ?? []) + [event.locator] + copies.map(\.locator) }
        var addresses: [String] { ([login?.ip, event.ip] + copies.map(\.ip)).compactMap { $0 } }
    }

    let actions: Set<Action>
    /// Nanoseconds after a suspicious login in which an action is set against it.
    var window: Int64 = 24 * 3600 * 1_000_000_000

    private(set) var account = ""
    private var firstSession: String?
    private var suspiciousBySession: [String: AccountEvent] = [:]
    private var latestSuspicious: AccountEvent?
    private var seen: [Seen] = []
    private var index: [String: Int] = [:]

    init(actions: Set<Action>) { self.actions = actions }

    static let loginActions: Set<Action> = [.login, .sessionStart]

    /// The setting each of these rules states.
    var windowTunable: Tunable {
        Tunable(
            "window", .seconds(window / 1_000_000_000),
            "An action is set against a suspicious login (after the first session, from a network the account had not used) of its own session at most this long before it, or against the latest one when the action names no address."
        )
    }

    mutating func begin(account: String) {
        self.account = account
        firstSession = nil
        suspiciousBySession = [:]
        latestSuspicious = nil
        seen = []
        index = [:]
    }

    mutating func consume(_ event: AccountEvent) {
        if firstSession == nil { firstSession = event.session }
        let afterBaseline = event.session != nil && event.session != firstSession
        let newNetwork = afterBaseline && event.ip != nil && event.novel.contains(.network)
        if actions.contains(event.action) {
            let key = "\(event.action.rawValue) \(event.timeKey) \(event.target ?? "")"
            if let at = index[key] {
                seen[at].copies.append(event)
            } else {
                var login: AccountEvent?
                var byTime = false
                if let session = event.session, let own = suspiciousBySession[session],
                    event.timeKey - own.timeKey <= window
                {
                    login = own
                } else if event.ip == nil, let latest = latestSuspicious, event.timeKey - latest.timeKey <= window {
                    login = latest
                    byTime = true
                }
                index[key] = seen.count
                seen.append(Seen(event: event, login: login, byTime: byTime, fromNewNetwork: newNetwork, copies: []))
            }
        }
        if Self.loginActions.contains(event.action), newNetwork {
            latestSuspicious = event
            if let session = event.session { suspiciousBySession[session] = event }
        }
    }

    /// The actions seen for the account, in time order, and forgets them.
    mutating func finish() -> [Seen] {
        defer { seen = [] }
        return seen
    }

    /// Sentences on what the action follows, for a finding: the suspicious login, or that it
    /// came from a new network, or that nothing suspicious precedes it in these records.
    static func context(_ seen: Seen) -> String {
        var parts: [String] = []
        if let login = seen.login {
            let minutes = (seen.event.timeKey - login.timeKey) / 60_000_000_000
            parts.append(
                "It came \(minutes) minute(s) after a login from \(login.ip ?? "?") at \(login.shownTime), from a network the account had not used before in these records."
            )
            parts.append(
                seen.byTime
                    ? "Its record names no address, so it is set against that login by time only."
                    : "Both are in the same session.")
        } else if seen.fromNewNetwork {
            parts.append("It came from a network the account had not used before in these records.")
        } else {
            parts.append("No login from a network new to the account precedes it in these records.")
        }
        if !seen.copies.isEmpty { parts.append("It is recorded in \(seen.copies.count + 1) places.") }
        return parts.joined(separator: " ")
    }

    /// `New-InboxRule` naming `attacker@example.net`, as a short phrase.
    static func what(_ event: AccountEvent, default fallback: String) -> String {
        let raw = event.rawAction.map { "\"\(SafeText.excerpt($0, limit: 80))\"" }
        let target = event.target.map { " (\(SafeText.excerpt($0, limit: 160)))" } ?? ""
        return (raw ?? fallback) + target
    }

    /// `from 203.0.113.45 at 2024-01-01T00:05:00Z`, or `at …` when the record names no address.
    static func fromAt(_ event: AccountEvent) -> String {
        (event.ip.map { "from \($0) " } ?? "") + "at \(event.shownTime)"
    }
}
