import Foundation

/// What an observation brought that its account had not shown before (the sessions pass marks it).
public enum Novelty: String, Sendable, Codable, CaseIterable, Hashable {
    case address
    /// The /24 (IPv4) or /48 (IPv6) around the address.
    case network
    case device
    case userAgent = "user_agent"
}

/// One dated access record of an account, as the account-scope rules read it: its session and
/// novelty marks, and what attribution said of its address.
public struct AccountEvent: Sendable {
    /// The observation's row in the case (stable within a case; ties are broken by it).
    public var id: Int64
    /// The ordering key: nanoseconds since 1970 (zone-less times by their wall-clock reading).
    public var timeKey: Int64
    /// RFC 3339 UTC, nil when the source gave no zone.
    public var timeUTC: String?
    public var ip: String?
    public var action: Action
    /// `S3`: the account's session the event belongs to.
    public var session: String?
    public var novel: Set<Novelty>
    public var locator: Locator
    /// The countries and AS numbers the databases gave for the address.
    public var countries: [String]
    public var asns: [UInt32]
    /// The source's own words for the action (`New-InboxRule`, `gov_attack_warning`).
    public var rawAction: String?
    /// What the action was about, when the source says: where mail is forwarded, which
    /// application was given access, what was deleted, which warning (the record's `target`).
    public var target: String?
    /// Where a database places the address, when one gives coordinates.
    public var location: GeoPoint?
    /// Whether a database or warninglist calls the address anonymising, a VPN, Tor or hosting:
    /// its place is a service's, not a person's.
    public var flagged = false

    public init(
        id: Int64, timeKey: Int64, timeUTC: String?, ip: String?, action: Action, session: String?, novel: Set<Novelty>,
        locator: Locator, countries: [String], asns: [UInt32], rawAction: String? = nil, target: String? = nil
    ) {
        self.rawAction = rawAction
        self.target = target
        self.id = id
        self.timeKey = timeKey
        self.timeUTC = timeUTC
        self.ip = ip
        self.action = action
        self.session = session
        self.novel = novel
        self.locator = locator
        self.countries = countries
        self.asns = asns
    }
}

/// One dated access record of an address that may be a login attempt (a login, a failed login,
/// a POST to WordPress's login or XML-RPC endpoint), as a rule of address scope asks for it.
public struct LoginAttempt: Sendable, Hashable {
    /// The ordering key: nanoseconds since 1970 (zone-less times by their wall-clock reading).
    public var timeKey: Int64
    /// RFC 3339 UTC, nil when the source gave no zone.
    public var timeUTC: String?
    public var action: Action
    public var rawAction: String?
    public var account: String?
    /// The source format (`openssh`, `web_access`) and its item: what was attacked.
    public var format: String
    public var evidence: String
    /// The HTTP status of a web request.
    public var status: Int?
    /// How many occurrences the record stands for (`message repeated 3 times`).
    public var count: Int
    public var locator: Locator

    public init(
        timeKey: Int64, timeUTC: String?, action: Action, rawAction: String?, account: String?, format: String,
        evidence: String, status: Int?, count: Int, locator: Locator
    ) {
        self.timeKey = timeKey
        self.timeUTC = timeUTC
        self.action = action
        self.rawAction = rawAction
        self.account = account
        self.format = format
        self.evidence = evidence
        self.status = status
        self.count = count
        self.locator = locator
    }
}

/// The records of one address a rule may ask the case for.
public enum RecordSelection: Sendable {
    /// Every record naming it.
    case all
    /// Access records (logs and exports), and of those only dated records grouped under an account.
    case access
    case accountAccess
    /// Flows and names of captured traffic.
    case traffic
}

/// How many of an address's observations fall inside any of some windows of time, and how many
/// cannot be placed. The case store answers it for `analyze`; `lookup` has no observations.
public struct WindowCounts: Hashable, Sendable {
    public var inside: Int
    public var outside: Int
    public var undetermined: Int

    public init(inside: Int, outside: Int, undetermined: Int) {
        self.inside = inside
        self.outside = outside
        self.undetermined = undetermined
    }
}
