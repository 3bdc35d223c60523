import Foundation
import SpoorCore

extension RuleID {
    public static let destruction = RuleID("destruction")
}

/// `destruction`: pages, groups, channels, posts, mailboxes or users deleted, admins removed.
/// **High** after a suspicious login or from a new network (the pages "deleted" of a silenced
/// newsroom); otherwise low, since owners delete things too.
public final class Destruction: Rule {
    public static let id = RuleID.destruction
    public static let summary =
        "Pages, groups, channels, posts, mailboxes or users were deleted, or admins removed; high when it follows a suspicious login or comes from a network the account had not used."
    public static let reads =
        "Each account's dated records in time order, with their sessions and novelty marks: deletions and removals with what they name, and logins."
    public static let doesNotShow =
        "A deletion's record shows that something was removed, not always what it held or whether it can be restored: ask the platform quickly, before its retention ends."
    public let scope = RuleScope.account
    public var tunables: [Tunable] { [watch.windowTunable] }
    var watch = ActionWatch(actions: [.deletion])

    public init() {}

    public func begin(account: String) { watch.begin(account: account) }
    public func consume(_ event: AccountEvent) throws { watch.consume(event) }

    public func finishAccount() throws -> [Finding] {
        watch.finish().map { seen in
            let what = ActionWatch.what(seen.event, default: "a deletion")
            return finding(
                seen.suspicious ? .high : .low,
                "On \(watch.account), something was deleted or someone removed: \(what) \(ActionWatch.fromAt(seen.event)). \(ActionWatch.context(seen))",
                addresses: seen.addresses, locators: seen.locators)
        }
    }
}
