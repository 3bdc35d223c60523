/// Proleptic Gregorian calendar arithmetic without Foundation's calendars, which depend on the
/// machine's locale and zone database and are slow per line.
public enum CivilTime {
    /// Days from 1970-01-01 to the given date (Howard Hinnant's `days_from_civil`).
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// Days from 1970-01-01 to a `YYYY-MM-DD` date (what follows the tenth character is not
    /// read); nil when it is not a valid date.
    public static func days(isoDate text: some StringProtocol) -> Int64? {
        let parts = text.prefix(10).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month),
            (1...daysInMonth(year: year, month: month)).contains(day)
        else { return nil }
        return days(year: year, month: month, day: day)
    }

    /// The inverse of ``days(year:month:day:)``.
    public static func civil(days z0: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Seconds since the epoch for a validated civil date-time, or nil when any field is out of
    /// range. A leap second (`:60`) is accepted and counted as the next second.
    static func seconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64? {
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        return days(year: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction]` followed by `suffix`; the fraction is shown only when
    /// non-zero, without trailing zeros. Written into one byte buffer: this runs for every record.
    static func format(seconds: Int64, nanoseconds: Int32, suffix: String) -> String {
        let (d, s) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let days = s < 0 ? d - 1 : d
        let secondOfDay = Int(s < 0 ? s + 86_400 : s)
        let (year, month, day) = civil(days: days)
        var out: [UInt8] = []
        out.reserveCapacity(32)
        func digits(_ value: Int, _ width: Int) {
            var v = value
            var tmp = [UInt8](repeating: 0x30, count: width)
            var i = width - 1
            while i >= 0 {
                tmp[i] = UInt8(0x30 + v % 10)
                v /= 10
                i -= 1
            }
            if v > 0 { out.append(contentsOf: Array(String(value).utf8)) } else { out.append(contentsOf: tmp) }
        }
        if year < 0 || year > 9999 { out.append(contentsOf: Array(String(year).utf8)) } else { digits(year, 4) }
        out.append(0x2D)
        digits(month, 2)
        out.append(0x2D)
        digits(day, 2)
        out.append(0x54)
        digits(secondOfDay / 3600, 2)
        out.append(0x3A)
        digits(secondOfDay / 60 % 60, 2)
        out.append(0x3A)
        digits(secondOfDay % 60, 2)
        if nanoseconds > 0 {
            var fraction = Int(nanoseconds)
            var width = 9
            while fraction % 10 == 0 {
                fraction /= 10
                width -= 1
            }
            out.append(0x2E)
            digits(fraction, width)
        }
        out.append(contentsOf: suffix.utf8)
        return String(decoding: out, as: UTF8.self)
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

/// A small cursor over ASCII text for the fixed-shape date readers.
struct ByteScanner {
    private let bytes: [UInt8]
    private var index = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    var atEnd: Bool { index == bytes.count }

    mutating func skip(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let matches = literal.withUTF8Buffer { lit in
            var i = 0
            while i < count && bytes[index + i] == lit[i] { i += 1 }
            return i == count
        }
        if matches { index += count }
        return matches
    }

    mutating func digits(exactly count: Int) -> Int? { digits(minimum: count, maximum: count) }

    mutating func digits(minimum: Int, maximum: Int) -> Int? {
        var value = 0
        var n = 0
        while n < maximum, index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            value = value * 10 + Int(bytes[index] - 0x30)
            index += 1
            n += 1
        }
        return n >= minimum ? value : nil
    }

    /// Fraction digits after the decimal point, as nanoseconds; digits past the ninth are dropped.
    mutating func fraction() -> Int32? {
        var value: Int32 = 0
        var n = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            if n < 9 { value = value * 10 + Int32(bytes[index] - 0x30) }
            index += 1
            n += 1
        }
        guard n > 0 else { return nil }
        for _ in n..<max(n, 9) { value *= 10 }
        return value
    }

    /// `±hh:mm`, `±hhmm` or `±hh`, as seconds east of UTC.
    mutating func offset() -> Int? {
        let sign: Int
        if skip("+") { sign = 1 } else if skip("-") { sign = -1 } else { return nil }
        guard let hours = digits(exactly: 2), hours <= 23 else { return nil }
        var minutes = 0
        if skip(":") {
            guard let m = digits(exactly: 2) else { return nil }
            minutes = m
        } else if let m = digits(minimum: 2, maximum: 2) {
            minutes = m
        }
        guard minutes <= 59 else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        .map { Array($0.utf8) }

    /// An English three-letter month abbreviation, as 1–12.
    mutating func monthName() -> Int? {
        guard index + 3 <= bytes.count else { return nil }
        let word = Array(bytes[index..<index + 3])
        guard let i = ByteScanner.months.firstIndex(of: word) else { return nil }
        index += 3
        return i + 1
    }
}
