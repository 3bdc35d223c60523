import Foundation
import SpoorCore

/// A rule: one type in its own file under `Rules/`, with its id, its settings and the steps it
/// takes. The case store feeds it typed records; it keeps what it must remember and returns
/// findings. It never reads the store itself.
///
/// A rule looks at one of two things (``scope``):
/// - `.address`: each subject IP once attribution is done (``consume(_:)-subject``), with the
///   records naming it on request;
/// - `.account`: each account's events in time order, one account at a time
///   (``begin(account:)``, ``consume(_:)-event``, ``finishAccount()``).
public protocol Rule: AnyObject {
    /// What the annex and `findings.json` call it.
    static var id: RuleID { get }
    /// One or two sentences for the annex's methods section: what the rule looks for.
    static var summary: String { get }
    /// What it reads, in a sentence.
    static var reads: String { get }
    /// What its findings do not show, in a sentence: what to check before relying on one.
    static var doesNotShow: String { get }
    var scope: RuleScope { get }
    /// The settings it runs with, named, each with its value and what it decides.
    var tunables: [Tunable] { get }

    /// Address scope: the findings this subject gives rise to.
    func consume(_ subject: SubjectContext) throws -> [Finding]

    /// Account scope: a new account's events begin (the rule forgets the previous account).
    func begin(account: String)
    /// Account scope: the account's next event, in time order.
    func consume(_ event: AccountEvent) throws
    /// Account scope: the account's events have all been seen.
    func finishAccount() throws -> [Finding]
    /// Address scope: every subject has been seen; findings about several addresses together
    /// (they come after the rule's findings of single addresses).
    func finish() throws -> [Finding]
}

extension Rule {
    public func consume(_ subject: SubjectContext) throws -> [Finding] { [] }
    public func begin(account: String) {}
    public func consume(_ event: AccountEvent) throws {}
    public func finishAccount() throws -> [Finding] { [] }
    public func finish() throws -> [Finding] { [] }

    /// The rule as the annex's methods section states it.
    public var stated: RuleDescription {
        RuleDescription(id: Self.id, summary: Self.summary, reads: Self.reads, doesNotShow: Self.doesNotShow, tunables: tunables)
    }

    /// A finding of this rule, not yet numbered (the analysis numbers them in report order).
    func finding(
        _ severity: Finding.Severity, _ statement: String, addresses: [String], indicators: [String] = [], locators: [Locator]
    ) -> Finding {
        Finding(
            id: "", rule: Self.id, severity: severity, statement: statement,
            addresses: Set(addresses).compactMap { IPAddress($0) }.sorted(), indicators: indicators, locators: locators)
    }
}

public enum RuleScope: String, Sendable, Codable {
    case address
    case account
}

/// A setting of a rule, as the annex states it: `window = 24 h: how long after a login …`.
public struct Tunable: Hashable, Sendable, Codable {
    public var name: String
    public var value: Value
    /// What the setting decides, in a sentence.
    public var meaning: String

    public enum Value: Hashable, Sendable, Codable, CustomStringConvertible {
        /// A length of time, in seconds.
        case seconds(Int64)
        case count(Int)
        case text(String)

        public var description: String {
            switch self {
            case .seconds(let s):
                func unit(_ n: Int64, _ name: String) -> String { "\(n) \(name)" + (n == 1 ? "" : "s") }
                if s > 0, s % 3600 == 0 { return unit(s / 3600, "hour") }
                if s > 0, s % 60 == 0 { return unit(s / 60, "minute") }
                return unit(s, "second")
            case .count(let n): return String(n)
            case .text(let t): return t
            }
        }

        // Stored as `{"seconds": 86400}`, `{"count": 50}` or `{"text": "…"}`.
        private enum Key: String, CodingKey { case seconds, count, text }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            if let s = try c.decodeIfPresent(Int64.self, forKey: .seconds) {
                self = .seconds(s)
            } else if let n = try c.decodeIfPresent(Int.self, forKey: .count) {
                self = .count(n)
            } else {
                self = .text(try c.decode(String.self, forKey: .text))
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            switch self {
            case .seconds(let s): try c.encode(s, forKey: .seconds)
            case .count(let n): try c.encode(n, forKey: .count)
            case .text(let t): try c.encode(t, forKey: .text)
            }
        }
    }

    public init(_ name: String, _ value: Value, _ meaning: String) {
        self.name = name
        self.value = value
        self.meaning = meaning
    }
}

/// What a rule is and the settings it ran with: kept with the analysis, shown in the annex.
public struct RuleDescription: Hashable, Sendable, Codable {
    public var id: RuleID
    public var summary: String
    public var reads: String
    public var doesNotShow: String
    public var tunables: [Tunable]

    public init(id: RuleID, summary: String, reads: String, doesNotShow: String, tunables: [Tunable]) {
        self.id = id
        self.summary = summary
        self.reads = reads
        self.doesNotShow = doesNotShow
        self.tunables = tunables
    }

    private enum CodingKeys: String, CodingKey { case id, summary, reads, doesNotShow, tunables }

    // `reads` and `doesNotShow` came after the first stored descriptions: absent, they are empty.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(RuleID.self, forKey: .id)
        summary = try c.decode(String.self, forKey: .summary)
        reads = try c.decodeIfPresent(String.self, forKey: .reads) ?? ""
        doesNotShow = try c.decodeIfPresent(String.self, forKey: .doesNotShow) ?? ""
        tunables = try c.decode([Tunable].self, forKey: .tunables)
    }
}

extension AccountEvent {
    /// The time for people: UTC, or `?` when the source gave no zone.
    var shownTime: String { timeUTC ?? "?" }
}

/// A subject IP once attributed, as the address-scope rules read it.
public struct SubjectContext {
    public var subject: SubjectIP
    /// The kinds of observation naming the address.
    public var kinds: Set<ObservationKind>
    /// The locators of up to `limit` records of a selection, in time order.
    public var records: (_ selection: RecordSelection, _ limit: Int) throws -> [Locator]
    /// Up to `limit` of the address's dated records that may be login attempts, in time order.
    public var loginAttempts: (_ limit: Int) throws -> [LoginAttempt]

    public init(
        subject: SubjectIP, kinds: Set<ObservationKind>,
        loginAttempts: @escaping (_ limit: Int) throws -> [LoginAttempt] = { _ in [] },
        records: @escaping (_ selection: RecordSelection, _ limit: Int) throws -> [Locator]
    ) {
        self.subject = subject
        self.kinds = kinds
        self.loginAttempts = loginAttempts
        self.records = records
    }

    /// True when any database flags the address (VPN, Tor, hosting, proxy) or a warninglist holds it.
    public var flagged: Bool {
        subject.enrichment.contains { !$0.flags.isEmpty } || subject.warninglists != nil || subject.torExit != nil
    }
}
