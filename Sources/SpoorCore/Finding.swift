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
    public var rule: String
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
        id: String, rule: String, severity: Severity, statement: String, addresses: [IPAddress],
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
