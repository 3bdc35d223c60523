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
        public let fields: [String]
        /// Set when the record had a stray quote or an unterminated quoted field.
        public let malformed: Bool
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

    private mutating func byte() throws -> UInt8? {
        if position == buffer.count {
            if atEnd { return nil }
            buffer = try source.read(upTo: 256 * 1024)
            position = 0
            if buffer.isEmpty {
                atEnd = true
                return nil
            }
            if !started {
                started = true
                if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
                if position == buffer.count { return try byte() }
            }
        }
        defer { position += 1 }
        return buffer[position]
    }

    private mutating func peek() throws -> UInt8? {
        guard let b = try byte() else { return nil }
        position -= 1
        return b
    }

    public mutating func next() throws -> Record? {
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var inQuotes = false
        var malformed = false
        var length = 0
        let startLine = line
        guard try peek() != nil else { return nil }

        func finishField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            quoted = false
        }

        while let b = try byte() {
            length += 1
            if length > CSVReader.maximumRecordLength {
                malformed = true
                inQuotes = false
                // Skip to the end of the physical line.
                while let c = try byte(), c != 0x0A {}
                line += 1
                break
            }
            if inQuotes {
                if b == 0x22 {
                    if try peek() == 0x22 {
                        _ = try byte()
                        field.append(0x22)
                    } else {
                        inQuotes = false
                    }
                } else {
                    if b == 0x0A { line += 1 }
                    field.append(b)
                }
                continue
            }
            if b == separator {
                finishField()
            } else if b == 0x0A {
                line += 1
                break
            } else if b == 0x0D {
                if try peek() == 0x0A { continue }
                field.append(b)
            } else if b == 0x22 && field.isEmpty && !quoted {
                inQuotes = true
                quoted = true
            } else {
                if b == 0x22 { malformed = true }
                field.append(b)
            }
        }
        if inQuotes { malformed = true }
        finishField()
        defer { index += 1 }
        return Record(index: index, line: startLine, fields: fields, malformed: malformed)
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
