/// Reads RFC 4180 CSV from a byte source, one record at a time, in constant memory.
///
/// Quoted fields may hold commas, quotes (`""`) and line breaks; CRLF and LF both end records;
/// a UTF-8 byte-order mark is dropped. Malformed quoting does not stop the reader: the field is
/// taken as written and the record is flagged, so the caller can report it with its line.
public struct CSVReader {
    public struct Record {
        /// 0 for the first record (usually the header), then 1, 2, … for data rows.
        public let index: Int
        /// 1-based line on which the record starts.
        public let line: Int
        /// The unquoted bytes of every field, one after another, and where each field ends:
        /// a field becomes a String only when someone asks for it.
        let bytes: [UInt8]
        let ends: [Int]
        /// Set when the record had a stray quote or an unterminated quoted field.
        public let malformed: Bool

        public var count: Int { ends.count }

        /// Field `i` (0-based), decoded leniently as UTF-8.
        public func field(_ i: Int) -> String {
            let start = i == 0 ? 0 : ends[i - 1]
            return String(decoding: bytes[start..<ends[i]], as: UTF8.self)
        }

        public var fields: [String] { (0..<count).map(field) }

        /// Field `i` without surrounding ASCII white space, or nil when that leaves nothing.
        public func trimmedField(_ i: Int) -> String? {
            var start = i == 0 ? 0 : ends[i - 1]
            var end = ends[i]
            func space(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
            while start < end && space(bytes[start]) { start += 1 }
            while end > start && space(bytes[end - 1]) { end -= 1 }
            return start == end ? nil : String(decoding: bytes[start..<end], as: UTF8.self)
        }

        /// True when every field is empty or white space.
        public var isBlank: Bool { bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A } }
    }

    /// A record longer than this is cut and flagged (a missing closing quote would otherwise
    /// swallow the rest of the file into memory).
    public static let maximumRecordLength = 4 << 20

    private let source: any ByteSource
    private let separator: UInt8
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    private var line = 1
    private var index = 0
    private var started = false

    public init(_ source: any ByteSource, separator: UInt8 = UInt8(ascii: ",")) {
        self.source = source
        self.separator = separator
    }

    /// Makes sure at least one unread byte is buffered; false at the end of the source.
    private mutating func fill() throws -> Bool {
        if position < buffer.count { return true }
        if atEnd { return false }
        buffer = try source.read(upTo: 256 * 1024)
        position = 0
        if buffer.isEmpty {
            atEnd = true
            return false
        }
        if !started {
            started = true
            if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
            return try fill()
        }
        return true
    }

    private mutating func peek() throws -> UInt8? {
        try fill() ? buffer[position] : nil
    }

    public mutating func next() throws -> Record? {
        guard try fill() else { return nil }
        var ends: [Int] = []
        var field: [UInt8] = []
        var quoted = false
        var inQuotes = false
        var malformed = false
        var length = 0
        let startLine = line
        let separator = self.separator

        // `field` collects the whole record; a field ends where the next one starts.
        func finishField() {
            ends.append(field.count)
            quoted = false
        }

        record: while try fill() {
            if length > CSVReader.maximumRecordLength {
                malformed = true
                inQuotes = false
                // Skip to the end of the physical line.
                while try fill() {
                    let b = buffer[position]
                    position += 1
                    if b == 0x0A { break }
                }
                line += 1
                break record
            }
            // Copy the run of ordinary bytes in one go; stop at the next byte that means something.
            let start = position
            if inQuotes {
                while position < buffer.count, buffer[position] != 0x22, buffer[position] != 0x0A { position += 1 }
            } else {
                while position < buffer.count {
                    let b = buffer[position]
                    if b == separator || b == 0x0A || b == 0x0D || b == 0x22 { break }
                    position += 1
                }
            }
            if position > start {
                field.append(contentsOf: buffer[start..<position])
                length += position - start
                continue
            }
            let b = buffer[position]
            position += 1
            length += 1
            if inQuotes {
                if b == 0x22 {
                    if try peek() == 0x22 {
                        position += 1
                        field.append(0x22)
                    } else {
                        inQuotes = false
                    }
                } else {  // a line break inside quotes belongs to the field
                    line += 1
                    field.append(b)
                }
                continue
            }
            switch b {
            case separator:
                finishField()
            case 0x0A:
                line += 1
                break record
            case 0x0D:
                if try peek() != 0x0A { field.append(b) }
            default:  // a quote
                if field.count == (ends.last ?? 0) && !quoted {
                    inQuotes = true
                    quoted = true
                } else {
                    malformed = true
                    field.append(b)
                }
            }
        }
        if inQuotes { malformed = true }
        finishField()
        defer { index += 1 }
        return Record(index: index, line: startLine, bytes: field, ends: ends, malformed: malformed)
    }
}

/// Finds columns by name: trimmed, case-insensitive, whitespace collapsed, with aliases.
public struct CSVHeader: Sendable {
    public let names: [String]
    private let positions: [String: Int]

    public init(_ fields: [String]) {
        names = fields
        var positions: [String: Int] = [:]
        for (i, name) in fields.enumerated() {
            let key = CSVHeader.key(name)
            if positions[key] == nil { positions[key] = i }
        }
        self.positions = positions
    }

    static func key(_ name: String) -> String {
        name.lowercased().split(whereSeparator: { $0.isWhitespace || $0 == "_" || $0 == "-" }).joined(separator: " ")
    }

    /// The position of the first column whose name matches one of `aliases`.
    public func column(_ aliases: [String]) -> Int? {
        for alias in aliases {
            if let i = positions[CSVHeader.key(alias)] { return i }
        }
        return nil
    }
}
