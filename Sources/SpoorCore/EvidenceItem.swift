import Foundation

/// One input: a file, or (later) one member of an archive. Identified by its SHA-256, which is
/// computed before any parser reads it.
public struct EvidenceItem: Hashable, Sendable, Codable {
    /// The path as the investigator gave it (resolved to an absolute path).
    public var path: String
    /// The member path inside an archive, when the item is an archive member.
    public var member: String?
    public var size: Int64
    /// Lower-case hexadecimal SHA-256 of the item's bytes.
    public var sha256: String
    /// The file's modification time as found; used only to infer the year of syslog dates.
    public var modified: Date?

    public init(path: String, member: String? = nil, size: Int64, sha256: String, modified: Date? = nil) {
        self.path = path
        self.member = member
        self.size = size
        self.sha256 = sha256
        self.modified = modified
    }

    /// `path` or `path!member`, for messages.
    public var displayName: String { member.map { "\(path)!\($0)" } ?? path }
}

/// Where an observation came from inside its evidence item: enough for a reader to open the
/// original file and find the record.
public struct Locator: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Position: Hashable, Sendable, Codable {
        /// 1-based line number of a text file.
        case line(Int)
        /// 1-based data row of a CSV file (the header is row 0).
        case row(Int)
        /// RFC 6901 JSON pointer to the record.
        case jsonPointer(String)
        /// 1-based packet number and the byte offset of its record in the capture file.
        case packet(number: Int, offset: Int64)
    }

    /// SHA-256 of the evidence item the record is in.
    public var evidenceSHA256: String
    /// The evidence item's path (and archive member), for people.
    public var path: String
    public var member: String?
    public var position: Position

    public init(evidenceSHA256: String, path: String, member: String?, position: Position) {
        self.evidenceSHA256 = evidenceSHA256
        self.path = path
        self.member = member
        self.position = position
    }

    public init(evidence: EvidenceItem, position: Position) {
        self.evidenceSHA256 = evidence.sha256
        self.path = evidence.path
        self.member = evidence.member
        self.position = position
    }

    /// `auth.log:12`, `export.zip!member.csv row 3`, `capture.pcap packet 7`.
    public var description: String {
        let name = member.map { "\((path as NSString).lastPathComponent)!\($0)" } ?? (path as NSString).lastPathComponent
        return "\(name)\(positionText)"
    }

    /// The position alone: `:12`, ` row 3`, ` #/a/0`, ` packet 7`.
    public var positionText: String {
        switch position {
        case .line(let n): return ":\(n)"
        case .row(let n): return " row \(n)"
        case .jsonPointer(let p): return " #\(p)"
        case .packet(let n, _): return " packet \(n)"
        }
    }

    /// The line number, for sources read by line.
    public var line: Int? {
        if case .line(let n) = position { return n }
        return nil
    }

    /// The position as one integer for ordering: line, row or packet number.
    public var ordinal: Int? {
        switch position {
        case .line(let n), .row(let n), .packet(let n, _): return n
        case .jsonPointer: return nil
        }
    }
}

/// Locators are written flat, as a reader of `findings.json` expects:
/// `{"sha256": "…", "path": "…", "line": 12}` (or `row`, `json_pointer`, `packet` + `offset`).
extension Locator {
    enum CodingKeys: String, CodingKey {
        case sha256, path, member, line, row, jsonPointer = "json_pointer", packet, offset
        /// How `json_pointer` reaches a decoder that converts keys from snake case
        /// (`FindingsDocument.decode`).
        case jsonPointerConverted = "jsonPointer"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // A position-only locator (as the case store keeps them) decodes with empty evidence
        // fields, which the store fills from the evidence row.
        evidenceSHA256 = try c.decodeIfPresent(String.self, forKey: .sha256) ?? ""
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? ""
        member = try c.decodeIfPresent(String.self, forKey: .member)
        if let n = try c.decodeIfPresent(Int.self, forKey: .line) {
            position = .line(n)
        } else if let n = try c.decodeIfPresent(Int.self, forKey: .row) {
            position = .row(n)
        } else if let p = try c.decodeIfPresent(String.self, forKey: .jsonPointer)
            ?? c.decodeIfPresent(String.self, forKey: .jsonPointerConverted)
        {
            position = .jsonPointer(p)
        } else {
            position = .packet(
                number: try c.decode(Int.self, forKey: .packet), offset: try c.decode(Int64.self, forKey: .offset))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(evidenceSHA256, forKey: .sha256)
        try c.encode(path, forKey: .path)
        try c.encodeIfPresent(member, forKey: .member)
        switch position {
        case .line(let n): try c.encode(n, forKey: .line)
        case .row(let n): try c.encode(n, forKey: .row)
        case .jsonPointer(let p): try c.encode(p, forKey: .jsonPointer)
        case .packet(let n, let offset):
            try c.encode(n, forKey: .packet)
            try c.encode(offset, forKey: .offset)
        }
    }
}

/// Something a parser could not read: kept, counted and shown, never silently dropped.
public struct ParseWarning: Hashable, Sendable, Codable, CustomStringConvertible {
    public var locator: Locator
    public var message: String
    /// The offending text, shortened and with control characters escaped (it may be hostile).
    public var excerpt: String?

    public init(locator: Locator, message: String, excerpt: String? = nil) {
        self.locator = locator
        self.message = message
        self.excerpt = excerpt.map { SafeText.excerpt($0) }
    }

    public var description: String {
        // The archive member too: `export.zip!member.json:9`, not `export.zip:9`.
        (locator.member.map { "\(locator.path)!\($0)" } ?? locator.path) + "\(locator.positionText): \(message)"
            + (excerpt.map { ": \($0)" } ?? "")
    }
}
