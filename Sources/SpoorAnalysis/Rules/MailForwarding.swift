import Foundation
import SpoorCore

extension RuleID {
    public static let mailForwarding = RuleID("mail_forwarding")
}

/// `mail_forwarding`: an inbox rule or mailbox setting that forwards, redirects or deletes mail
/// (Microsoft 365 `New-InboxRule`, `Set-InboxRule`, `UpdateInboxRules`, `Set-Mailbox
/// -ForwardingSmtpAddress`; Google Workspace forwarding out of the domain), naming where to when
/// the record says. **High** after a suspicious login or from a new network, else medium: a
/// forwarding rule keeps reading the mail after the password is changed.
public final class MailForwarding: Rule {
    public static let id = RuleID.mailForwarding
    public static let summary =
        "An inbox rule or mailbox setting forwards, redirects or deletes mail; high when it follows a suspicious login or comes from a network the account had not used."
    public static let reads =
        "Each account's dated records in time order, with their sessions and novelty marks: inbox rules and forwarding settings with their targets, and logins."
    public static let doesNotShow =
        "A rule's record shows that it was set, not that mail was forwarded under it or who reads the target mailbox: check the mailbox's current rules and the target's owner."
    public let scope = RuleScope.account
    public var tunables: [Tunable] { [watch.windowTunable] }
    var watch = ActionWatch(actions: [.mailForwarding])

    public init() {}

    public func begin(account: String) { watch.begin(account: account) }
    public func consume(_ event: AccountEvent) throws { watch.consume(event) }

    public func finishAccount() throws -> [Finding] {
        watch.finish().map { seen in
            let what = ActionWatch.what(seen.event, default: "a forwarding rule")
            let target =
                seen.event.target == nil ? " The record does not say where mail goes: read the rule in the mailbox." : ""
            return finding(
                seen.suspicious ? .high : .medium,
                "On \(watch.account), mail was set to be forwarded, redirected or deleted: \(what) \(ActionWatch.fromAt(seen.event)).\(target) \(ActionWatch.context(seen))",
                addresses: seen.addresses, locators: seen.locators)
        }
    }
}
