import Foundation
import SpoorCore

extension RuleID {
    public static let dataExport = RuleID("data_export")
}

/// `data_export`: a copy of the account's data requested, made or downloaded (Google Takeout,
/// Meta's "Download your information", an X archive, a Microsoft eDiscovery export). **High**
/// after a suspicious login or from a network new to the account (see ``ActionWatch``): the
/// shape of exfiltration. Otherwise low: the holder may have asked for it.
public final class DataExport: Rule {
    public static let id = RuleID.dataExport
    public static let summary =
        "A copy of the account's data was requested, made or downloaded; high when it follows a suspicious login or comes from a network the account had not used."
    public static let reads =
        "Each account's dated records in time order, with their sessions and novelty marks: data export requests and downloads, and logins."
    public static let doesNotShow =
        "A data export record shows that a copy was asked for or fetched, not who received it or what it held: check where the download came from and whether the account holder asked for one."
    public let scope = RuleScope.account
    public var tunables: [Tunable] { [watch.windowTunable] }
    var watch = ActionWatch(actions: [.dataExport])

    public init() {}

    public func begin(account: String) { watch.begin(account: account) }
    public func consume(_ event: AccountEvent) throws { watch.consume(event) }

    public func finishAccount() throws -> [Finding] {
        watch.finish().map { seen in
            let what = ActionWatch.what(seen.event, default: "a data export")
            return finding(
                seen.suspicious ? .high : .low,
                "On \(watch.account), a copy of the account's data was requested or downloaded: \(what) \(ActionWatch.fromAt(seen.event)). \(ActionWatch.context(seen))",
                addresses: seen.addresses, locators: seen.locators)
        }
    }
}
