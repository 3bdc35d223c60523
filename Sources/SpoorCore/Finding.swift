/// A conclusion the analysis draws, in plain language, with what supports it.
public struct Finding: Hashable, Sendable, Codable {
    public enum Severity: String, Sendable, Codable, CaseIterable, Comparable {
        case info, low, medium, high

        private var rank: Int { Severity.allCases.firstIndex(of: self) ?? 0 }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    /// Stable within a report: `F1`, `F2`, … in report order.
    public var id: String
    /// The rule that produced it (`indicator_match`).
    public var rule: RuleID
    public var severity: Severity
    /// One or two sentences a lawyer can read.
    public var statement: String
    /// The addresses it concerns.
    public var addresses: [IPAddress]
    /// Indicator values that support it (`cidr 203.0.113.0/24`).
    public var indicators: [String]
    /// Records that support it.
    public var locators: [Locator]

    public init(
        id: String, rule: RuleID, severity: Severity, statement: String, addresses: [IPAddress],
        indicators: [String] = [], locators: [Locator] = []
    ) {
        self.id = id
        self.rule = rule
        self.severity = severity
        self.statement = statement
        self.addresses = addresses
        self.indicators = indicators
        self.locators = locators
    }
}

/// A rule's name as findings, the annex and `findings.json` carry it (`change_after_login`).
/// Each rule declares its own (`extension RuleID { static let … }` beside the rule), so adding a
/// rule touches no list of names; it is encoded as its text.
public struct RuleID: RawRepresentable, Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
    public static func < (a: RuleID, b: RuleID) -> Bool { a.rawValue < b.rawValue }
}
