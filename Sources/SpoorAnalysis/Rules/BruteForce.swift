import Foundation
import SpoorCore

extension RuleID {
    public static let bruteForce = RuleID("brute_force")
}

/// `brute_force`: many failed logins from one address within a window, against one account or
/// server (sshd, a WordPress login page, a service's own failed-login records); **high** when
/// the address then logs in. Failures against many accounts are named password spraying.
public final class BruteForce: Rule {
    public static let id = RuleID.bruteForce
    public static let summary =
        "Many failed logins from one address within a short time, against an account or a server; high when the same address then logs in."
    public static let reads =
        "Each address's dated failed and successful logins: sshd's, a service's own failed-login records, and POSTs to WordPress's wp-login.php (200 is a failure, 302 a success) and xmlrpc.php (attempts whose outcome the log does not show)."
    public static let doesNotShow =
        "A count of failures says an address tried, not who was behind it or that a success was the attacker's: check the success's account and what followed it, and whether the address is shared (a NAT, a proxy, the account holder's own mistyped password)."
    public let scope = RuleScope.address
    /// Failed attempts within `window` that make a brute force.
    public var failures = 20
    public var window: Int64 = 3600
    /// How long after the last failure a login from the same address counts as its success.
    public var successWithin: Int64 = 24 * 3600
    /// Distinct accounts tried in the burst from which it is called password spraying.
    public var sprayAccounts = 5
    /// Records read per address at most.
    public var recordLimit = 200_000
    public var citedRecords = 20
    /// Distinct addresses of one AS whose failures, none a brute force alone, are added together.
    public var asAddresses = 5

    /// Per AS: the failures and logins of its addresses that made no finding alone.
    private struct ASAttempts {
        var name: String?
        var failures: [(time: Int64, count: Int)] = []
        var cited: [Locator] = []
        var addresses: Set<String> = []
        var accounts: Set<String> = []
        var servers: Set<String> = []
        var successes: [(time: Int64, ip: String, attempt: LoginAttempt)] = []
    }
    private var byAS: [UInt32: ASAttempts] = [:]

    public var tunables: [Tunable] {
        [
            Tunable(
                "failures", .count(failures),
                "At least this many failed attempts from one address within the window make a brute force."),
            Tunable("window", .seconds(window), "The time within which the failures are counted."),
            Tunable(
                "success_within", .seconds(successWithin),
                "A login from the same address this soon after the last failure makes the finding high."),
            Tunable(
                "spray_accounts", .count(sprayAccounts),
                "Failures against at least this many different accounts are named password spraying."),
            Tunable("cited_records", .count(citedRecords), "At most this many of the failures are cited, the success besides."),
            Tunable(
                "as_addresses", .count(asAddresses),
                "Failures from at least this many addresses of one AS, none a brute force alone, are added together and judged as one."
            ),
        ]
    }

    public init() {}

    private enum Outcome { case failure, success, unknown }

    private static func outcome(_ attempt: LoginAttempt) -> Outcome? {
        switch attempt.action {
        case .loginFailed: return .failure
        case .login: return .success
        case .request:
            let target = attempt.rawAction ?? ""
            if target.contains("/xmlrpc.php") { return .unknown }
            // WordPress answers a failed login with the form again (200) and a good one with a redirect (302).
            switch attempt.status {
            case 200: return .failure
            case 302, 303: return .success
            default: return nil
            }
        default: return nil
        }
    }

    public func consume(_ context: SubjectContext) throws -> [Finding] {
        let subject = context.subject
        // Before reading any record: enough failed logins or requests (occurrences) to be possible.
        let possible = (subject.byAction[Action.loginFailed.rawValue] ?? 0) + (subject.byAction[Action.request.rawValue] ?? 0)
        let asn = subject.enrichment.lazy.compactMap(\.asn).first
        // Fewer than enough for a brute force alone: kept for its AS, when a database names one.
        guard context.kinds.contains(.access), possible >= failures || (asn != nil && possible > 0) else { return [] }
        let attempts = try context.loginAttempts(recordLimit).compactMap { a in Self.outcome(a).map { (a, $0) } }
        let tries = attempts.filter { $0.1 != .success }
        guard tries.reduce(0, { $0 + $1.0.count }) >= failures else {
            if let asn, !tries.isEmpty { keep(attempts, of: subject, asn: asn) }
            return []
        }
        let windowKey = window * 1_000_000_000
        // The bursts: runs of failures no more than a window apart, kept when some window of
        // them holds enough.
        var findings: [Finding] = []
        var start = 0
        while start < tries.count {
            var end = start
            while end + 1 < tries.count, tries[end + 1].0.timeKey - tries[end].0.timeKey <= windowKey { end += 1 }
            let burst = Array(tries[start...end])
            start = end + 1
            let (most, _) = Self.most(burst.map { ($0.0.timeKey, $0.0.count) }, window: windowKey)
            guard most >= failures else { continue }
            findings.append(finding(for: burst, most: most, attempts: attempts, subject: subject))
        }
        if findings.isEmpty, let asn { keep(attempts, of: subject, asn: asn) }
        return findings
    }

    /// The most failures within one window, by a sliding window over failures in time order.
    static func most(_ failures: [(time: Int64, count: Int)], window: Int64) -> (most: Int, at: Int) {
        var most = 0
        var at = 0
        var inWindow = 0
        var left = 0
        for right in failures.indices {
            inWindow += failures[right].count
            while failures[right].time - failures[left].time > window {
                inWindow -= failures[left].count
                left += 1
            }
            if inWindow > most { (most, at) = (inWindow, left) }
        }
        return (most, at)
    }

    private func keep(_ attempts: [(LoginAttempt, Outcome)], of subject: SubjectIP, asn: UInt32) {
        var entry = byAS[asn] ?? ASAttempts(name: subject.enrichment.lazy.compactMap(\.asOrganization).first)
        entry.addresses.insert(subject.ip)
        for (attempt, outcome) in attempts {
            if outcome == .success {
                entry.successes.append((attempt.timeKey, subject.ip, attempt))
                continue
            }
            entry.failures.append((attempt.timeKey, attempt.count))
            if entry.cited.count < citedRecords { entry.cited.append(attempt.locator) }
            if let account = attempt.account { entry.accounts.insert(account) }
            entry.servers.insert("\(attempt.format) (\((attempt.evidence as NSString).lastPathComponent))")
        }
        byAS[asn] = entry
    }

    /// Failures of one AS's addresses added together: a brute force spread over the AS.
    public func finish() throws -> [Finding] {
        defer { byAS = [:] }
        return byAS.keys.sorted().compactMap { asn in
            guard var entry = byAS[asn], entry.addresses.count >= asAddresses else { return nil }
            entry.failures.sort { $0.time < $1.time }
            let (most, at) = Self.most(entry.failures, window: window * 1_000_000_000)
            guard most >= failures else { return nil }
            let from = entry.failures[at].time
            let total = entry.failures.reduce(0) { $0 + $1.count }
            let first = Timestamp(sortKey: entry.failures[0].time, zone: .utc).rfc3339UTC
            let last = Timestamp(sortKey: entry.failures[entry.failures.count - 1].time, zone: .utc).rfc3339UTC
            let addresses = entry.addresses.sorted()
            var statement =
                "\(addresses.count) addresses of AS\(asn)" + (entry.name.map { " (\($0))" } ?? "")
                + " failed to log in \(total) times from \(first) to \(last) (at most \(most) within \(Tunable.Value.seconds(window))), "
                + "none of them a brute force alone, against \(entry.servers.sorted().joined(separator: ", "))"
            if !entry.accounts.isEmpty {
                let accounts = entry.accounts.sorted()
                statement +=
                    accounts.count > 5
                    ? " and \(accounts.count) accounts (\(accounts.prefix(5).joined(separator: ", ")), …)"
                    : " and the account(s) \(accounts.joined(separator: ", "))"
            }
            statement +=
                ": a brute force spread over one AS's addresses (\(addresses.prefix(10).joined(separator: ", "))\(addresses.count > 10 ? ", …" : ""))."
            statement += " An AS is a provider's network: its addresses may be one attacker's or many unrelated customers'."
            var locators = entry.cited
            let success = entry.successes.sorted { $0.time < $1.time }.first {
                $0.time >= from && $0.time - entry.failures[entry.failures.count - 1].time <= successWithin * 1_000_000_000
            }
            if let success {
                statement +=
                    " \(success.ip), of the same AS, then logged in" + (success.attempt.account.map { " as \($0)" } ?? "")
                    + " at \(success.attempt.timeUTC ?? "?") (\(success.attempt.format)): the attempts may have succeeded."
                locators.append(success.attempt.locator)
            }
            return finding(
                success == nil ? .medium : .high, statement,
                addresses: Array(addresses.prefix(50)) + (success.map { [$0.ip] } ?? []), locators: locators)
        }
    }

    private func finding(for burst: [(LoginAttempt, Outcome)], most: Int, attempts: [(LoginAttempt, Outcome)], subject: SubjectIP)
        -> Finding
    {
        let first = burst[0].0
        let last = burst[burst.count - 1].0
        let total = burst.reduce(0) { $0 + $1.0.count }
        let unknown = burst.filter { $0.1 == .unknown }.reduce(0) { $0 + $1.0.count }
        let accounts = Set(burst.compactMap { $0.0.account }).sorted()
        let servers = Set(burst.map { "\($0.0.format) (\(($0.0.evidence as NSString).lastPathComponent))" }).sorted()
        let success = attempts.first {
            $0.1 == .success && $0.0.timeKey >= first.timeKey && $0.0.timeKey - last.timeKey <= successWithin * 1_000_000_000
        }?.0
        var statement =
            "\(subject.ip) failed to log in \(total) times from \(first.timeUTC ?? "?") to \(last.timeUTC ?? "?") "
            + "(at most \(most) within \(Tunable.Value.seconds(window))), against \(servers.joined(separator: ", "))"
        if !accounts.isEmpty {
            statement +=
                accounts.count > 5
                ? " and \(accounts.count) accounts (\(accounts.prefix(5).joined(separator: ", ")), …)"
                : " and the account(s) \(accounts.joined(separator: ", "))"
        }
        statement += "."
        if unknown > 0 {
            statement += " \(unknown) of them are POSTs to xmlrpc.php, whose outcome the log does not show."
        }
        if accounts.count >= sprayAccounts {
            statement += " Failures against \(accounts.count) accounts from one address are password spraying."
        }
        var locators = burst.prefix(citedRecords).map(\.0.locator)
        if let success {
            statement +=
                " The same address then logged in"
                + (success.account.map { " as \($0)" } ?? "") + " at \(success.timeUTC ?? "?") (\(success.format)): "
                + "the attempts may have succeeded."
            locators.append(success.locator)
        } else {
            statement += " No login from the address follows within \(Tunable.Value.seconds(successWithin)) in the records."
        }
        return finding(success == nil ? .medium : .high, statement, addresses: [subject.ip], locators: locators)
    }
}
