import Foundation
import SpoorCore

extension RuleID {
    public static let recoveryChange = RuleID("recovery_change")
}

/// `recovery_change`: the account's recovery address or phone changed, or its two-step
/// verification disabled, a method added or a security key removed — the changes that let an
/// intruder take the account back after the holder changes the password. **High** after a
/// suspicious login or from a new network, else medium. The password change itself is
/// `change_after_login`'s.
public final class RecoveryChange: Rule {
    public static let id = RuleID.recoveryChange
    public static let summary =
        "The recovery e-mail or phone, or the two-step verification, was changed; high when it follows a suspicious login or comes from a network the account had not used."
    public static let reads =
        "Each account's dated records in time order, with their sessions and novelty marks: recovery and two-step verification changes, and logins."
    public static let doesNotShow =
        "The record shows that a setting changed, not always to what: check the account's current recovery details and methods with the holder."
    public let scope = RuleScope.account
    public var tunables: [Tunable] { [watch.windowTunable] }
    var watch = ActionWatch(actions: [.recoveryChange, .twoFactorChange])

    public init() {}

    public func begin(account: String) { watch.begin(account: account) }
    public func consume(_ event: AccountEvent) throws { watch.consume(event) }

    public func finishAccount() throws -> [Finding] {
        watch.finish().map { seen in
            let kind = seen.event.action == .recoveryChange ? "a recovery setting" : "a two-step verification change"
            let what = ActionWatch.what(seen.event, default: kind)
            return finding(
                seen.suspicious ? .high : .medium,
                "On \(watch.account), the way to recover or verify the account changed: \(what) \(ActionWatch.fromAt(seen.event)). \(ActionWatch.context(seen))",
                addresses: seen.addresses, locators: seen.locators)
        }
    }
}
