import Foundation
import SpoorCore

extension RuleID {
    public static let accountAndCapture = RuleID("account_and_capture")
}

/// `account_and_capture`: a public (or documentation) address in account or server records that
/// also appears in captured traffic. High when an indicator covers it.
public final class AccountAndCapture: Rule {
    public static let id = RuleID.accountAndCapture
    public static let summary = "The same address appears in the account's records and in captured traffic."
    public static let reads =
        "Every public address with the kinds of records naming it: account or server records, and flows or names in captures."
    public static let doesNotShow =
        "The same address in both shows one endpoint in both, not one person: a carrier or a shared host can serve many users."
    public let scope = RuleScope.address
    /// Records cited from each side.
    public var citedRecords = 10
    public var tunables: [Tunable] {
        [
            Tunable(
                "cited_records", .count(citedRecords),
                "At most this many records are cited from each side, the records and the traffic.")
        ]
    }

    public init() {}

    public func consume(_ context: SubjectContext) throws -> [Finding] {
        let subject = context.subject
        guard subject.addressClass == .global || subject.addressClass == .documentation, context.kinds.contains(.access),
            context.kinds.contains(.flow) || context.kinds.contains(.name)
        else { return [] }
        let access = try context.records(.access, citedRecords)
        let traffic = try context.records(.traffic, citedRecords)
        let names = subject.reachedAs.map { " (reached as \($0.prefix(3).joined(separator: ", ")))" } ?? ""
        let count = access.count == citedRecords ? "\(citedRecords) or more" : String(access.count)
        return [
            finding(
                subject.indicatorHits.isEmpty ? .medium : .high,
                "\(subject.ip) appears both in account or server records (\(count) record(s), e.g. \(access.first?.description ?? "")) "
                    + "and in captured traffic\(names) (e.g. \(traffic.first?.description ?? "")).",
                addresses: [subject.ip], locators: access + traffic)
        ]
    }
}
