import Foundation

/// Where "now" comes from. Libraries that record a time take one instead of calling `Date()`,
/// so a test (or a reproducible run) can fix it; the CLI makes one per run.
public struct SpoorClock: Sendable {
    public let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date) { self.now = now }

    /// The machine's clock.
    public static let system = SpoorClock { Date() }

    /// Always the same instant.
    public static func fixed(_ date: Date) -> SpoorClock { SpoorClock { date } }

    /// The time as RFC 3339 UTC to the second (`2024-01-02T09:00:00Z`).
    public func rfc3339() -> String { Timestamp.unixSeconds(Int64(now().timeIntervalSince1970.rounded(.down))).rfc3339UTC ?? "" }

    /// The reproducible-build time, `SOURCE_DATE_EPOCH` (seconds since 1970), when it is set to a
    /// number: the one place Spoor reads it.
    public static func sourceDateEpoch(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Date? {
        environment["SOURCE_DATE_EPOCH"].flatMap { Int64($0) }.map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// `SOURCE_DATE_EPOCH` when set, else the machine's clock.
    public static func reproducible(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> SpoorClock {
        sourceDateEpoch(environment).map(fixed) ?? system
    }
}
