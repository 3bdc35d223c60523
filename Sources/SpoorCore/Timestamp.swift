import Foundation

/// A point in time as evidence wrote it: the instant, the original text, and the rule that read it.
///
/// Sources disagree about zones. A time written with `Z` or an offset is an instant. A time
/// written without one (BSD syslog, Telegram's `last_active`) is only a wall-clock reading: it is
/// kept with ``Zone-swift.enum/unspecified`` and never silently taken as UTC or as local time.
public struct Timestamp: Hashable, Sendable, Codable {
    public enum Zone: Hashable, Sendable, Codable {
        /// Written in UTC (`Z`, `UTC`, `+00:00`, or a Unix count).
        case utc
        /// Written with this offset from UTC, in seconds east.
        case offset(seconds: Int)
        /// Written with no zone at all: the wall-clock reading of an unknown zone.
        case unspecified
    }

    /// Seconds since 1970-01-01T00:00:00Z. For an unspecified zone: the wall-clock reading
    /// counted as if it were UTC, so such times still sort among themselves.
    public let seconds: Int64
    public let nanoseconds: Int32
    public let zone: Zone
    /// The text exactly as the source wrote it.
    public let raw: String
    public let rule: TimestampRule
    /// What the reader had to assume, e.g. the year of a syslog date. Nil when nothing was.
    public let assumption: String?

    public init(
        seconds: Int64, nanoseconds: Int32 = 0, zone: Zone, raw: String, rule: TimestampRule,
        assumption: String? = nil
    ) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.zone = zone
        self.raw = raw
        self.rule = rule
        self.assumption = assumption
    }

    /// True when the source stated a zone, so ``seconds`` is a real instant.
    public var isInstant: Bool { zone != .unspecified }

    /// The UTC instant, or nil when the source gave no zone.
    public var date: Date? {
        isInstant ? Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1e9) : nil
    }

    /// RFC 3339 in UTC (`2024-07-09T13:00:29.099504Z`), or nil when the source gave no zone.
    public var rfc3339UTC: String? {
        isInstant ? CivilTime.format(seconds: seconds, nanoseconds: nanoseconds, suffix: "Z") : nil
    }

    /// Text for people and reports: RFC 3339 UTC for instants, the wall-clock reading marked
    /// "(no zone)" otherwise.
    public var displayText: String {
        rfc3339UTC ?? CivilTime.format(seconds: seconds, nanoseconds: nanoseconds, suffix: "") + " (no zone)"
    }

    /// The time a ``sortKey`` stands for (raw text and rule are not kept in a key).
    public init(sortKey: Int64, zone: Zone) {
        let (s, ns) = sortKey.quotientAndRemainder(dividingBy: 1_000_000_000)
        self.init(
            seconds: ns < 0 ? s - 1 : s, nanoseconds: Int32(ns < 0 ? ns + 1_000_000_000 : ns), zone: zone, raw: "",
            rule: .unixSeconds)
    }

    /// A key that orders instants and zone-less readings on one line (the latter as if UTC).
    public var sortKey: Int64 { seconds &* 1_000_000_000 &+ Int64(nanoseconds) }
}

/// The reader that produced a ``Timestamp``; recorded with every time so a reader of the report
/// can check how each text was interpreted.
public enum TimestampRule: String, Sendable, Codable, CaseIterable {
    /// A count of seconds since 1970 UTC.
    case unixSeconds = "unix_seconds"
    /// A count of milliseconds since 1970 UTC.
    case unixMilliseconds = "unix_milliseconds"
    /// ISO 8601 / RFC 3339 date and time, with a zone or offset.
    case iso8601 = "iso8601"
    /// ISO 8601 date and time with no zone: kept as a wall-clock reading.
    case iso8601NoZone = "iso8601_no_zone"
    /// `YYYY-MM-DD HH:MM:SS UTC`.
    case dateTimeUTC = "datetime_utc"
    /// BSD syslog `Mon dd HH:MM:SS`: no year, no zone.
    case syslogBSD = "syslog_bsd"
    /// Apache/nginx `dd/Mon/yyyy:HH:MM:SS ±hhmm`.
    case commonLog = "common_log"
    /// Month-first `MM/DD/YYYY:HH:MM:SS ±hhmm` (cPanel).
    case monthFirst = "month_first"
    /// A culture-dependent date (`3/12/2025 7:22:01 AM`, `12.03.2025 07:22:01`).
    case cultureDate = "culture_date"
    /// A packet capture record's time: seconds and a fraction since 1970 UTC.
    case captureRecord = "capture_record"
}

// MARK: - Readers

extension Timestamp {
    /// A Unix time in seconds.
    public static func unixSeconds(_ value: Int64, raw: String? = nil) -> Timestamp {
        Timestamp(seconds: value, zone: .utc, raw: raw ?? String(value), rule: .unixSeconds)
    }

    /// A Unix time in milliseconds.
    public static func unixMilliseconds(_ value: Int64, raw: String? = nil) -> Timestamp {
        let (s, ms) = value.quotientAndRemainder(dividingBy: 1000)
        let seconds = ms < 0 ? s - 1 : s
        let millis = ms < 0 ? ms + 1000 : ms
        return Timestamp(
            seconds: seconds, nanoseconds: Int32(millis) * 1_000_000, zone: .utc,
            raw: raw ?? String(value), rule: .unixMilliseconds)
    }

    /// Reads a Unix count written as text: up to 11 integer digits are seconds (with an optional
    /// fraction), 12 to 14 digits are milliseconds.
    public static func parseUnix(_ text: String) -> Timestamp? {
        let trimmed = text.trimmedASCII
        let parts = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.count <= 14,
            whole.allSatisfy(\.isASCIIDigit), let value = Int64(whole)
        else { return nil }
        if parts.count == 2 {
            let fraction = parts[1]
            guard whole.count <= 11, !fraction.isEmpty, fraction.count <= 9, fraction.allSatisfy(\.isASCIIDigit),
                let f = Int32(fraction.padding(toLength: 9, withPad: "0", startingAt: 0))
            else { return nil }
            return Timestamp(seconds: value, nanoseconds: f, zone: .utc, raw: text, rule: .unixSeconds)
        }
        return whole.count <= 11 ? unixSeconds(value, raw: text) : unixMilliseconds(value, raw: text)
    }

    /// Reads ISO 8601 / RFC 3339 date-times: `T` or space between date and time, optional
    /// seconds, a fraction of up to 9 digits (more are truncated), and `Z`, `±hh:mm`, `±hhmm`,
    /// `±hh` or ` UTC`. Surrounding whitespace is ignored. Without a zone the result is a
    /// wall-clock reading (``Zone-swift.enum/unspecified``).
    public static func parseISO8601(_ text: String) -> Timestamp? {
        var scanner = ByteScanner(text.utf8.first == 0x20 || text.utf8.last == 0x20 ? text.trimmedASCII : text)
        guard let year = scanner.digits(exactly: 4), scanner.skip("-"),
            let month = scanner.digits(exactly: 2), scanner.skip("-"),
            let day = scanner.digits(exactly: 2)
        else { return nil }
        guard scanner.skip("T") || scanner.skip("t") || scanner.skip(" ") else { return nil }
        guard let hour = scanner.digits(exactly: 2), scanner.skip(":"), let minute = scanner.digits(exactly: 2)
        else { return nil }
        var second = 0
        var nanos: Int32 = 0
        if scanner.skip(":") {
            guard let s = scanner.digits(exactly: 2) else { return nil }
            second = s
            if scanner.skip(".") || scanner.skip(",") {
                guard let fraction = scanner.fraction() else { return nil }
                nanos = fraction
            }
        }
        guard let local = CivilTime.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { return nil }

        let zone: Zone
        var rule = TimestampRule.iso8601
        if scanner.atEnd {
            zone = .unspecified
            rule = .iso8601NoZone
        } else if scanner.skip("Z") || scanner.skip("z") {
            zone = .utc
        } else if scanner.skip(" UTC") || scanner.skip(" Z") {
            zone = .utc
            rule = .dateTimeUTC
        } else if let offset = scanner.offset() ?? (scanner.skip(" ") ? scanner.offset() : nil) {
            zone = offset == 0 ? .utc : .offset(seconds: offset)
        } else {
            return nil
        }
        guard scanner.atEnd else { return nil }
        let utc: Int64
        if case .offset(let seconds) = zone { utc = local - Int64(seconds) } else { utc = local }
        return Timestamp(seconds: utc, nanoseconds: nanos, zone: zone, raw: text, rule: rule)
    }

    /// Reads the Apache/nginx access-log time `10/Oct/2000:13:55:36 -0700` (English months).
    public static func parseCommonLog(_ text: String) -> Timestamp? {
        var scanner = ByteScanner(text)
        guard let day = scanner.digits(exactly: 2), scanner.skip("/"), let month = scanner.monthName(),
            scanner.skip("/"), let year = scanner.digits(exactly: 4), scanner.skip(":"),
            let hour = scanner.digits(exactly: 2), scanner.skip(":"), let minute = scanner.digits(exactly: 2),
            scanner.skip(":"), let second = scanner.digits(exactly: 2), scanner.skip(" "),
            let offset = scanner.offset(), scanner.atEnd,
            let local = CivilTime.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { return nil }
        return Timestamp(
            seconds: local - Int64(offset), zone: offset == 0 ? .utc : .offset(seconds: offset), raw: text,
            rule: .commonLog)
    }

    /// The same wall-clock reading taken as UTC because the source's documentation says its
    /// zone-less times are UTC (Apple's CSVs, for one). The reason is kept as the assumption.
    public func assumingUTC(because reason: String) -> Timestamp {
        guard zone == .unspecified else { return self }
        return Timestamp(
            seconds: seconds, nanoseconds: nanoseconds, zone: .utc, raw: raw, rule: rule,
            assumption: [assumption, "taken as UTC: \(reason)"].compactMap { $0 }.joined(separator: "; "))
    }

    /// Reads cPanel's older `MM/DD/YYYY:HH:MM:SS ±hhmm` (month first).
    public static func parseCPanel(_ text: String) -> Timestamp? {
        var scanner = ByteScanner(text)
        guard let month = scanner.digits(exactly: 2), scanner.skip("/"), let day = scanner.digits(exactly: 2),
            scanner.skip("/"), let year = scanner.digits(exactly: 4), scanner.skip(":"),
            let hour = scanner.digits(exactly: 2), scanner.skip(":"), let minute = scanner.digits(exactly: 2),
            scanner.skip(":"), let second = scanner.digits(exactly: 2), scanner.skip(" "), let offset = scanner.offset(),
            scanner.atEnd,
            let local = CivilTime.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { return nil }
        return Timestamp(
            seconds: local - Int64(offset), zone: offset == 0 ? .utc : .offset(seconds: offset), raw: text, rule: .monthFirst)
    }

    /// Reads culture-dependent dates such as `3/12/2025 7:22:01 AM` or `12.03.2025 07:22:01`
    /// (as Windows tools write them). The order of day and month cannot be read from such text:
    /// `dayFirst` says which the collecting system used; when both numbers are 12 or less the
    /// reading records that it depended on that choice. No zone is stated.
    public static func parseCultureDate(_ text: String, dayFirst: Bool) -> Timestamp? {
        let trimmed = text.trimming(" ")
        let parts = trimmed.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 2, parts.count <= 3 else { return nil }
        let dateParts = parts[0].split(whereSeparator: { $0 == "/" || $0 == "." || $0 == "-" }).compactMap { Int($0) }
        let timeParts = parts[1].split(separator: ":").compactMap { Int($0) }
        guard dateParts.count == 3, timeParts.count >= 2, timeParts.count <= 3, dateParts[2] >= 1000 else { return nil }
        var hour = timeParts[0]
        if parts.count == 3 {
            let meridiem = parts[2].lowercased()
            guard meridiem == "am" || meridiem == "pm", (1...12).contains(hour) else { return nil }
            if meridiem == "pm" && hour < 12 { hour += 12 }
            if meridiem == "am" && hour == 12 { hour = 0 }
        }
        let (day, month) = dayFirst ? (dateParts[0], dateParts[1]) : (dateParts[1], dateParts[0])
        guard
            let local = CivilTime.seconds(
                year: dateParts[2], month: month, day: day, hour: hour, minute: timeParts[1],
                second: timeParts.count == 3 ? timeParts[2] : 0)
        else { return nil }
        let ambiguous = dateParts[0] <= 12 && dateParts[1] <= 12 && dateParts[0] != dateParts[1]
        let order = dayFirst ? "day first" : "month first"
        return Timestamp(
            seconds: local, zone: .unspecified, raw: text, rule: .cultureDate,
            assumption: ambiguous ? "day and month ambiguous: read \(order)" : "read \(order)")
    }

    /// Tries, in order, a Unix count and ISO 8601 (which covers `YYYY-MM-DD HH:MM:SS UTC`).
    public static func parse(_ text: String) -> Timestamp? {
        parseUnix(text) ?? parseISO8601(text)
    }
}

/// Reads BSD syslog dates (`Dec 10 06:55:46`, `Jan  1 00:00:01`), which carry neither a year nor
/// a zone. Lines are read in file order: the year starts at the reference year and advances when
/// the month goes backwards (December to January). Every time records the year it was given and
/// why.
public struct SyslogDateReader: Sendable {
    public private(set) var year: Int
    private let yearSource: String
    private var lastMonth: Int? = nil

    /// - Parameters:
    ///   - startYear: the year of the first line.
    ///   - yearSource: why that year, quoted in each timestamp's assumption
    ///     (e.g. "given with --year", "from the file's modification time").
    public init(startYear: Int, yearSource: String) {
        self.year = startYear
        self.yearSource = yearSource
    }

    /// The year to start from when the last line was written at `end`: a log whose first month
    /// is later than the month of its last write began the year before.
    public static func startYear(firstMonth: Int, endYear: Int, endMonth: Int) -> Int {
        firstMonth > endMonth ? endYear - 1 : endYear
    }

    /// The month number (1–12) of a syslog date's month name, for pre-scanning a file.
    public static func month(of text: some StringProtocol) -> Int? {
        var scanner = ByteScanner(String(text.prefix(3)))
        return scanner.monthName()
    }

    /// Reads the 15-character date at the start of `text`. Returns the timestamp and the number
    /// of characters consumed.
    public mutating func read(_ text: Substring) -> Timestamp? {
        let head = String(text.prefix(15))
        var scanner = ByteScanner(head)
        guard let month = scanner.monthName(), scanner.skip(" ") else { return nil }
        _ = scanner.skip(" ")
        guard let day = scanner.digits(minimum: 1, maximum: 2), scanner.skip(" "),
            let hour = scanner.digits(exactly: 2), scanner.skip(":"), let minute = scanner.digits(exactly: 2),
            scanner.skip(":"), let second = scanner.digits(exactly: 2), scanner.atEnd
        else { return nil }
        if let last = lastMonth, month < last { year += 1 }
        lastMonth = month
        guard let local = CivilTime.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        else { return nil }
        return Timestamp(
            seconds: local, zone: .unspecified, raw: head, rule: .syslogBSD,
            assumption: "year \(year) \(yearSource); zone not stated")
    }
}
