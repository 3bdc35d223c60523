import Foundation
import SpoorCore

extension RuleID {
    public static let changeAfterLogin = RuleID("change_after_login")
}

/// `change_after_login`: a login followed within the window, in the same session of the account,
/// by a password, e-mail or two-factor change or a new device (high); a change record naming no
/// address, within the unplaced window of the account's latest login (medium, and it says so).
/// A login of another session is never paired.
public final class ChangeAfterLogin: Rule {
    public static let id = RuleID.changeAfterLogin
    public static let summary =
        "A password, e-mail address or two-factor setting was changed, or a new device was added, within the window after a login in the same session."
    public static let reads =
        "Each account's dated records in time order, with their sessions: logins and session starts, and password, e-mail, two-factor and device changes."
    public static let doesNotShow =
        "The pairing is by time and session only: it does not show that the person who logged in made the change, and a change logged without its address can only be placed by time."
    public let scope = RuleScope.account
    /// Nanoseconds after a login in which a change of the same session is set against it.
    public var window: Int64 = 24 * 3600 * 1_000_000_000
    /// Nanoseconds after the account's latest login in which a change naming no address is set against it.
    public var unplacedWindow: Int64 = Sessioning.gap
    public var tunables: [Tunable] {
        [
            Tunable(
                "window", .seconds(window / 1_000_000_000),
                "A change is set against a login of its own session at most this long before it."),
            Tunable(
                "unplaced_window", .seconds(unplacedWindow / 1_000_000_000),
                "A change record that names no address cannot be placed in a session; it is set against the account's latest login only when that login is at most this long before it, at medium severity."
            ),
        ]
    }

    static let loginActions: Set<Action> = [.login, .sessionStart]
    static let changes: [Action: String] = [
        .passwordChange: "a password change", .emailChange: "an e-mail change", .twoFactorChange: "a two-factor change",
        .deviceAdded: "a new device",
    ]

    private let forgetEvery: Int
    private var account = ""
    private var lastLogin: AccountEvent?
    private var loginBySession: [String: AccountEvent] = [:]
    private var sessionLast: [String: Int64] = [:]
    private var groups: [String: (login: AccountEvent, changes: [AccountEvent], byTime: Bool)] = [:]
    private var order: [String] = []
    private var consumed = 0

    public init(forgetEvery: Int = 4096) { self.forgetEvery = max(1, forgetEvery) }

    public func begin(account: String) {
        self.account = account
        lastLogin = nil
        loginBySession = [:]
        sessionLast = [:]
        groups = [:]
        order = []
        consumed = 0
    }

    public func consume(_ event: AccountEvent) throws {
        let time = event.timeKey
        if Self.changes[event.action] != nil {
            let own = event.session.flatMap { loginBySession[$0] }
            let byTime = own == nil && event.ip == nil
            if let login = own ?? (byTime ? lastLogin : nil), time - login.timeKey <= (byTime ? unplacedWindow : window) {
                // One finding per login and change (action and time), however many files record it.
                let key = "\(login.id) \(event.action.rawValue) \(time)"
                if groups[key] == nil { order.append(key) }
                groups[key, default: (login, [], byTime)].changes.append(event)
            }
        }
        if Self.loginActions.contains(event.action), event.ip != nil {
            lastLogin = event
            if let session = event.session { loginBySession[session] = event }
        }
        if let session = event.session { sessionLast[session] = time }
        consumed += 1
        // Sessions idle for longer than the window: their logins can no longer explain a change.
        if consumed % forgetEvery == 0 {
            for (session, last) in sessionLast where last < time - window {
                sessionLast[session] = nil
                loginBySession[session] = nil
            }
        }
    }

    public func finishAccount() throws -> [Finding] {
        order.compactMap { key in
            guard let (login, changes, byTime) = groups[key],
                let change = changes.first(where: { $0.ip != nil }) ?? changes.first,
                let what = Self.changes[change.action]
            else { return nil }
            let minutes = (change.timeKey - login.timeKey) / 60_000_000_000
            let changeFrom = change.ip.map { " from \($0)" } ?? ""
            let records = changes.count > 1 ? " (recorded in \(changes.count) places)" : ""
            let placed =
                byTime
                ? " The change record names no address, so it is set against the latest login before it, not tied to that session."
                : " Both are in the same session."
            return finding(
                byTime ? .medium : .high,
                "On \(account), a login from \(login.ip ?? "?") at \(login.shownTime) was followed \(minutes) minute(s) later by \(what)\(changeFrom) at \(change.shownTime)\(records).\(placed)",
                addresses: ([login.ip] + changes.map(\.ip)).compactMap { $0 }, locators: [login.locator] + changes.map(\.locator))
        }
    }
}
