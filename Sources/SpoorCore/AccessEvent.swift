/// What happened in an account-level or server record, in one vocabulary across all sources.
/// The source's own wording is kept beside it in ``AccessEvent/rawAction``.
public enum Action: String, Sendable, Codable, CaseIterable, Hashable {
    case login
    case loginFailed = "login_failed"
    case logout
    /// A session began (opened, created) without a login record of its own.
    case sessionStart = "session_start"
    /// A session was seen active, or updated.
    case sessionActive = "session_active"
    case sessionEnd = "session_end"
    case passwordChange = "password_change"
    case emailChange = "email_change"
    case twoFactorChange = "two_factor_change"
    case deviceAdded = "device_added"
    case accountCreated = "account_created"
    /// A network connection was opened (e.g. sshd `Connection from`).
    case connect
    /// A connection was closed before or without authentication (sshd pre-auth disconnects).
    case disconnect
    /// A request to a web server.
    case request
    /// Recognised as an event of the account, but not one of the above.
    case other
}

/// One record of access to an account or a server: who, from where, when, doing what.
public struct AccessEvent: Hashable, Sendable, Codable {
    /// The source format's identifier, e.g. `openssh`, `web_access`.
    public var format: String
    public var time: Timestamp?
    public var action: Action
    /// The source's own words for the action (`Failed password`, `GET /wp-login.php`).
    public var rawAction: String?
    /// The client address, normalised (IPv4-mapped IPv6 becomes IPv4).
    public var ip: IPAddress?
    /// The address text as written, when it differs from the canonical form or did not parse.
    public var ipRaw: String?
    /// The client port; nil when absent or written as 0.
    public var port: UInt16?
    /// The account or user name the record is about.
    public var account: String?
    public var userAgent: String?
    /// How many occurrences this record stands for (`message repeated 3 times` counts 3).
    public var count: Int
    /// Further fields of the record, by the source's names (method, status, request, pid…).
    public var fields: [String: String]
    public var locator: Locator

    public init(
        format: String, time: Timestamp?, action: Action, rawAction: String? = nil, ip: IPAddress? = nil,
        ipRaw: String? = nil, port: UInt16? = nil, account: String? = nil, userAgent: String? = nil,
        count: Int = 1, fields: [String: String] = [:], locator: Locator
    ) {
        self.format = format
        self.time = time
        self.action = action
        self.rawAction = rawAction
        self.ip = ip
        self.ipRaw = ipRaw
        self.port = port == 0 ? nil : port
        self.account = account
        self.userAgent = userAgent
        self.count = count
        self.fields = fields
        self.locator = locator
    }
}

/// Anything a parser extracts from evidence. Packet captures will add flows and name
/// resolutions beside access events.
public enum Observation: Hashable, Sendable {
    case access(AccessEvent)
}

/// The kinds of observation a case holds, as its store writes them.
public enum ObservationKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// A record of access to an account or a server (what every log and export parser reads).
    case access
    /// One end of a network flow in a capture (action `flow_originator` or `flow_responder`).
    case flow
    /// A name an address was reached as in a capture: a DNS answer, a TLS or QUIC server name,
    /// an HTTP host.
    case name
}
