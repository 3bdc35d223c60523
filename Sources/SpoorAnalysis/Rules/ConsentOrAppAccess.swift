import Foundation
import SpoorCore

extension RuleID {
    public static let consentOrAppAccess = RuleID("consent_or_app_access")
}

/// `consent_or_app_access`: an application or another person given access to the account
/// (OAuth consent, an app password, a mailbox permission or delegate, a device-code sign-in).
/// **High** after a suspicious login or from a new network, else medium: such access outlives a
/// password change.
public final class ConsentOrAppAccess: Rule {
    public static let id = RuleID.consentOrAppAccess
    public static let summary =
        "An application or another person was given access to the account (consent, an app password, a permission or delegate); high when it follows a suspicious login or comes from a network the account had not used."
    public static let reads =
        "Each account's dated records in time order, with their sessions and novelty marks: consents, app passwords, permissions and delegates with whom they name, and logins."
    public static let doesNotShow =
        "A grant's record shows that access was given, not that it was used: check whether the application or delegate is still there and what it read."
    public let scope = RuleScope.account
    public var tunables: [Tunable] { [watch.windowTunable] }
    var watch = ActionWatch(actions: [.appAccess])

    public init() {}

    public func begin(account: String) { watch.begin(account: account) }
    public func consume(_ event: AccountEvent) throws { watch.consume(event) }

    public func finishAccount() throws -> [Finding] {
        watch.finish().map { seen in
            let what = ActionWatch.what(seen.event, default: "an access grant")
            return finding(
                seen.suspicious ? .high : .medium,
                "On \(watch.account), access to the account was given: \(what) \(ActionWatch.fromAt(seen.event)). Such access stays after a password change. \(ActionWatch.context(seen))",
                addresses: seen.addresses, locators: seen.locators)
        }
    }
}
