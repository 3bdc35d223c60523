import SpoorCore

/// A reader for one evidence format. Each parser is registered once, in ``ParserRegistry``.
public protocol LogParser: Sendable {
    /// Stable identifier stored with every evidence item and observation (`openssh`).
    static var formatID: String { get }
    /// Name for people (`OpenSSH server log`).
    static var displayName: String { get }
    /// Bumped whenever the parser's output for the same input changes; recorded per item.
    static var version: String { get }
    /// The files it reads, for `spoor formats` (`auth.log, secure, journal text with sshd lines`).
    static var reads: String { get }
    /// Whose records the format holds: the account rules read only records of an account.
    static var accountScope: AccountScope { get }
    /// How sure the parser is that `sample` is its format: 0 (not at all) to 100 (certain).
    static func recognize(_ sample: FormatSample) -> Int

    init(options: ParseOptions)

    /// Reads the whole source, handing every observation and every unreadable record to `sink`.
    /// - Throws: only what stops reading altogether (an I/O error, or an error from the sink);
    ///   a bad record is a warning, not an error.
    func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary
}

/// Whose records a format holds. Sessions, novelty and the account rules (a change after a
/// login, new access, simultaneous sessions) are about one account's logins; records that are
/// not an account's — a public web server's requests, captured traffic — are never grouped
/// into an account, or every visitor would look like the account holder.
public enum AccountScope: String, Sendable, Hashable, CaseIterable {
    /// An export of one account (Facebook, Google Takeout, …): a record that does not repeat
    /// the account's name is still that account's.
    case exportedAccount = "exported_account"
    /// Records that name the account they are about (a server's users, a tenant's sign-ins); a
    /// record without a name belongs to no account.
    case namedAccounts = "named_accounts"
    /// Requests or traffic rather than logins (web access logs): never an account's records,
    /// even when they carry an authenticated user name.
    case none
}

/// Where a parser delivers what it finds. The case store implements it inside one transaction.
public protocol ObservationSink: AnyObject {
    func accept(_ observation: Observation) throws
    func warn(_ warning: ParseWarning)
}

/// What a parser tells about a whole source once it is read.
public struct ParseSummary: Hashable, Sendable, Codable {
    /// Records (lines, rows, objects) read.
    public var records: Int = 0
    /// Records read and understood that hold nothing to keep (other programs' syslog lines).
    public var ignored: Int = 0
    /// Records that could not be read; each one was also reported as a warning.
    public var malformed: Int = 0
    /// What the reader had to decide that the source did not say (a year taken from the file's
    /// modification time), in one sentence each: shown at ingest and in the annex's inventory.
    public var notes: [String] = []

    public init(records: Int = 0, ignored: Int = 0, malformed: Int = 0) {
        self.records = records
        self.ignored = ignored
        self.malformed = malformed
    }
}

/// Options that change how evidence is read.
public struct ParseOptions: Sendable, Hashable {
    /// The year of the first record, for formats without years (BSD syslog). When nil, the year
    /// is inferred from the file's modification time.
    public var year: Int?
    /// Which columns or keys hold what, for the generic CSV and JSON Lines readers.
    public var mapping: FieldMapping?

    public init(year: Int? = nil, mapping: FieldMapping? = nil) {
        self.year = year
        self.mapping = mapping
    }
}

/// Where a generic CSV or JSON Lines file keeps each field: column names (CSV) or keys, with
/// dots for nested keys (JSON Lines). Written `time=Login Time,ip=Source IP,account=User` on the
/// command line, or one `name=column` per line in a file.
public struct FieldMapping: Sendable, Hashable {
    public static let names = ["time", "ip", "port", "account", "action", "user_agent"]

    public var columns: [String: String]
    /// How to read the time column: `auto` (Unix count or ISO 8601), `unix_seconds`, `unix_ms`,
    /// `day_first` or `month_first` (culture-dependent dates).
    public var timeFormat: String
    /// Set when the source's documentation says its zone-less times are UTC.
    public var zoneLessIsUTC: Bool

    /// Reads `name=column` pairs separated by commas or new lines; `time_format=` and
    /// `zone=utc` are options. Unknown names are an error.
    public init(parsing text: String) throws(MappingError) {
        var columns: [String: String] = [:]
        var timeFormat = "auto"
        var utc = false
        // A file has one pair per line (column names may then hold commas); the command line
        // separates pairs with commas.
        let separator: Character = text.contains("\n") ? "\n" : ","
        for part in text.split(separator: separator) {
            let trimmed = part.trimming(" \t\r")
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let kv = trimmed.split(separator: "=", maxSplits: 1).map { $0.trimming(" ") }
            guard kv.count == 2, !kv[1].isEmpty else { throw .malformed(trimmed) }
            switch kv[0] {
            case "time_format":
                guard ["auto", "unix_seconds", "unix_ms", "day_first", "month_first"].contains(kv[1]) else {
                    throw .malformed(trimmed)
                }
                timeFormat = kv[1]
            case "zone":
                guard kv[1].lowercased() == "utc" else { throw .malformed(trimmed) }
                utc = true
            case let name where FieldMapping.names.contains(name):
                columns[name] = kv[1]
            default:
                throw .unknownField(kv[0])
            }
        }
        guard columns["time"] != nil else { throw .missingTime }
        self.columns = columns
        self.timeFormat = timeFormat
        self.zoneLessIsUTC = utc
    }

    /// Reads a time as the mapping says.
    public func time(_ text: String) -> Timestamp? {
        let stamp: Timestamp? =
            switch timeFormat {
            case "unix_seconds": Int64(text).map { Timestamp.unixSeconds($0, raw: text) }
            case "unix_ms": Int64(text).map { Timestamp.unixMilliseconds($0, raw: text) }
            case "day_first": Timestamp.parseCultureDate(text, dayFirst: true)
            case "month_first": Timestamp.parseCultureDate(text, dayFirst: false)
            default: Timestamp.parse(text)
            }
        return zoneLessIsUTC ? stamp?.assumingUTC(because: "the mapping says this source writes UTC") : stamp
    }
}

public enum MappingError: Error, Hashable, CustomStringConvertible {
    case malformed(String)
    case unknownField(String)
    case missingTime

    public var description: String {
        switch self {
        case .malformed(let part): return "mapping '\(part)' is not name=column (or a known time_format/zone)"
        case .unknownField(let name):
            return "mapping names an unknown field '\(name)'; known: \(FieldMapping.names.joined(separator: ", "))"
        case .missingTime: return "the mapping must say which column holds the time (time=…)"
        }
    }
}

/// The start of an evidence item, for recognising its format.
public struct FormatSample: Sendable {
    /// The file's path, or an archive member's path inside its archive (`Takeout/Access Log
    /// Activity/Activities - ….csv`): formats are recognised by path suffix as well as content.
    public let path: String
    /// The last component of ``path``.
    public let fileName: String
    /// Up to the first 64 KiB.
    public let head: [UInt8]

    public static let size = 64 * 1024

    public init(path: String, head: [UInt8]) {
        self.path = path
        self.fileName = path.split(separator: "/").last.map(String.init) ?? path
        self.head = Array(head.prefix(FormatSample.size))
    }

    public init(fileName: String, head: [UInt8]) {
        self.init(path: fileName, head: head)
    }

    /// The first complete lines of the sample (at most `limit`), decoded leniently. Lines are
    /// split on LF bytes, with a CR before it removed (a `\r\n` is one Character in Swift, so
    /// splitting decoded text on "\n" would not see CRLF line ends).
    public func lines(limit: Int = 50) -> [Substring] {
        var bytes = head[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if head.count >= FormatSample.size, let lastNewline = bytes.lastIndex(of: 0x0A) { bytes = bytes[..<lastNewline] }
        var lines: [Substring] = []
        for var line in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
            if line.last == 0x0D { line = line.dropLast() }
            if line.isEmpty { continue }
            lines.append(Substring(String(decoding: line, as: UTF8.self)))
            if lines.count == limit { break }
        }
        return lines
    }

    /// True when the sample has bytes that text never has (NUL), i.e. it is binary.
    public var looksBinary: Bool { head.prefix(8192).contains(0) }
}
