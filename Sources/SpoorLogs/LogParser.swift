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
    /// How sure the parser is that `sample` is its format: 0 (not at all) to 100 (certain).
    static func recognize(_ sample: FormatSample) -> Int

    init(options: ParseOptions)

    /// Reads the whole source, handing every observation and every unreadable record to `sink`.
    /// - Throws: only what stops reading altogether (an I/O error, or an error from the sink);
    ///   a bad record is a warning, not an error.
    func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary
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

    public init(year: Int? = nil) { self.year = year }
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
