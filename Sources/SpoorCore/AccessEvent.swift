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
    /// A recovery address or phone, or a security question, was set or changed.
    case recoveryChange = "recovery_change"
    /// A copy of the account's data was requested, made or downloaded (Google Takeout, Meta's
    /// "Download your information", an X archive, a Microsoft eDiscovery export).
    case dataExport = "data_export"
    /// Mail is forwarded, redirected or deleted on arrival: an inbox rule or a mailbox
    /// forwarding address (the record's `target` field names where to, when it says).
    case mailForwarding = "mail_forwarding"
    /// An application or another person was given access: OAuth consent, an app password, a
    /// mailbox permission or delegate, a device-code sign-in (`target`: to whom).
    case appAccess = "app_access"
    /// Something was deleted or someone removed: pages, groups, channels, posts, mailboxes,
    /// users, admins (`target`: what).
    case deletion
    /// The service warned the account holder of an attack (a government-backed attack
    /// warning, a suspicious sign-in warning; `target`: which warning).
    case attackWarning = "attack_warning"
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

/// A kind of name seen in captured traffic.
public enum NameKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// A DNS answer: `name` resolved to `address` (A, AAAA) or is an alias of `target` (CNAME).
    case dnsAnswer = "dns_answer"
    /// The server name of a TLS ClientHello (for ECH, the public outer name).
    case tlsServerName = "tls_sni"
    /// The host of an HTTP/1.x request (Host header, absolute URI or CONNECT target).
    case httpHost = "http_host"
    /// The server name of the TLS ClientHello in a QUIC client's Initial packets.
    case quicServerName = "quic_sni"
    /// A name in the certificate a TLS server presented in clear (TLS 1.2 and earlier): the
    /// subject common name when it is a host name, and each dNSName subject alternative name.
    case tlsCertificateName = "tls_certificate"
}

/// What one observation records, whatever its kind: an access record's action, one end of a
/// flow, or a name seen in traffic. Its text (`rawValue`) is what the store and the annex write
/// (`login`, `flow_originator`, `dns_answer`).
public enum ObservedAction: Hashable, Sendable, Codable, CustomStringConvertible {
    case access(Action)
    case flowOriginator
    case flowResponder
    case name(NameKind)
    /// Text this build does not know (kept as read, never guessed at).
    case unrecognised(String)

    public init(rawValue: String) {
        if let action = Action(rawValue: rawValue) {
            self = .access(action)
        } else if let name = NameKind(rawValue: rawValue) {
            self = .name(name)
        } else if rawValue == "flow_originator" {
            self = .flowOriginator
        } else if rawValue == "flow_responder" {
            self = .flowResponder
        } else {
            self = .unrecognised(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .access(let action): action.rawValue
        case .flowOriginator: "flow_originator"
        case .flowResponder: "flow_responder"
        case .name(let kind): kind.rawValue
        case .unrecognised(let text): text
        }
    }

    public var description: String { rawValue }

    /// The kind of observation the action belongs to.
    public var kind: ObservationKind? {
        switch self {
        case .access: .access
        case .flowOriginator, .flowResponder: .flow
        case .name: .name
        case .unrecognised: nil
        }
    }

    public init(from decoder: any Decoder) throws { self.init(rawValue: try decoder.singleValueContainer().decode(String.self)) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
