import Foundation
import SpoorCore

/// Indicator file formats Spoor imports.
public enum IndicatorFormat: String, Sendable, CaseIterable {
    /// CSV with a header: `value,type,source,reference,first_seen,confidence` and optional
    /// `last_seen,tlp,tags,campaign,description,title,published,valid_from,valid_until`, in any
    /// order, names matched case-insensitively with common aliases.
    case csv
    /// One value per line; `#` starts a comment.
    case list
    /// STIX 2.1 bundles (JSON).
    case stix
    /// MISP event JSON, or MISP's CSV export.
    case misp
    /// Zeek intel framework files.
    case zeek

    /// Guesses the format from the file name and first bytes; for a JSON object, also from the
    /// keys of the whole document (`outline`) when the caller has read it. JSON that is neither
    /// STIX nor MISP is not guessed at: read as a plain list, its lines would become stray values.
    public static func detect(fileName: String, head: [UInt8], outline: JSONOutline? = nil) -> IndicatorFormat? {
        let text = String(decoding: head.prefix(4096), as: UTF8.self)
        let firstLine = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let compact = text.filter { !$0.isWhitespace }
        if compact.hasPrefix("{") || compact.hasPrefix("[") || compact.hasPrefix("\u{FEFF}{") {
            if compact.contains("\"type\":\"bundle\"") || compact.contains("\"spec_version\"") || compact.contains("\"pattern\"")
            {
                return .stix
            }
            if compact.contains("\"Event\"") || compact.contains("\"response\"") { return .misp }
            if let outline {
                if outline["objects"] == .array && outline["type"] == .string { return .stix }
                if outline["Event"] == .object || outline["response"] != nil { return .misp }
            }
            return nil
        }
        if firstLine.hasPrefix("#fields") && firstLine.contains("indicator") { return .zeek }
        let lower = firstLine.lowercased()
        if lower.contains("event_id") && lower.contains("category") && lower.contains("type") && lower.contains("value") {
            return .misp
        }
        let header = CSVHeader(firstLine.split(separator: ",").map(String.init))
        if header.column(CSVIndicatorImporter.valueAliases) != nil && firstLine.contains(",") { return .csv }
        if fileName.lowercased().hasSuffix(".csv") { return .csv }
        if !head.prefix(4096).contains(0) { return .list }
        return nil
    }
}

/// What an import did, for the investigator: per-type counts and every skipped item with why.
public struct ImportReport: Hashable, Sendable, Codable {
    public struct Skipped: Hashable, Sendable, Codable {
        /// `file.csv row 4` or `list.txt:7`.
        public var location: String
        public var reason: String

        public init(location: String, reason: String) {
            self.location = location
            self.reason = reason
        }
    }

    public var fileName: String
    public var format: String
    /// New provenance records per indicator type.
    public var added: [String: Int] = [:]
    /// Rows whose exact provenance the store already held.
    public var alreadyPresent = 0
    public var skipped: [Skipped] = []
    /// How many values needed each kind of repair (defanging undone, host bits cleared, …).
    public var notes: [String: Int] = [:]

    public var addedTotal: Int { added.values.reduce(0, +) }

    package init(fileName: String, format: String) {
        self.fileName = fileName
        self.format = format
    }

    /// The note counting values whose publisher neither the file nor `--source` named.
    public static let unstatedSourceNote =
        "publisher not stated in the file: kept as \"\(Provenance.unstatedSource)\" (name it with --source)"
}

package enum CSVIndicatorImporter {
    package static let valueAliases = ["value", "indicator", "ioc", "observable", "ip", "address", "ip address"]
    package static let typeAliases = ["type", "kind", "indicator type", "ioc type"]
    package static let sourceAliases = ["source", "organisation", "organization", "org", "author", "publisher"]
    package static let referenceAliases = ["reference", "ref", "url", "citation", "link", "report"]
    package static let firstSeenAliases = ["first_seen", "first seen", "firstseen", "date", "seen"]
    package static let confidenceAliases = ["confidence", "score"]

    package static let typeNames: [String: IndicatorType] = [
        "ipv4": .ipv4, "ip": .ipv4, "ipv4-addr": .ipv4, "ip-src": .ipv4, "ip-dst": .ipv4, "ipv6": .ipv6,
        "ipv6-addr": .ipv6, "cidr": .cidr, "range": .cidr, "network": .cidr, "subnet": .cidr, "asn": .asn, "as": .asn,
        "autonomous-system": .asn, "domain": .domain, "domain-name": .domain, "hostname": .domain,
        "fqdn": .domain, "url": .url, "uri": .url,
    ]
}

/// Dates in indicator files: a calendar day stays a day (`2024-03-01`), a date-time becomes
/// RFC 3339 UTC; anything else is refused rather than guessed.
public enum IndicatorDate {
    public static func normalise(_ text: String) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let parts = t.split(separator: "-")
        if t.count == 10, parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            (1...12).contains(m), (1...31).contains(d), y > 1900
        {
            return t
        }
        guard let stamp = Timestamp.parse(t), let utc = stamp.rfc3339UTC else { return nil }
        return utc
    }
}
