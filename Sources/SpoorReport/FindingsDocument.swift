import Foundation
import SpoorCase
import SpoorCore

/// The content of `findings.json`: everything the HTML page shows, for machines.
/// Schema `spoor-findings/1`; documented in docs/findings-json.md.
public struct FindingsDocument: Codable, Sendable {
    public struct Subject: Codable, Sendable {
        public var subject: SubjectIP
        /// Every record naming the address, grouped by evidence item.
        public var supportingRecords: [RecordGroup]
    }

    /// Positions (line, row or packet numbers) of records in one evidence item.
    public struct RecordGroup: Codable, Sendable, Hashable {
        public var sha256: String
        public var path: String
        public var member: String?
        /// `line`, `row`, `packet` or `json_pointer`.
        public var kind: String
        /// Line, row or packet numbers, ascending.
        public var positions: [Int]
        /// JSON pointers, for records inside JSON files.
        public var pointers: [String]?
    }

    public var schema = "spoor-findings/1"
    public var spoorVersion = SpoorVersion.current
    public var generatedAt: String
    public var `case`: CaseStore.Metadata
    public var evidence: [StoredEvidence]
    public var analysis: AnalysisSummary?
    public var findings: [Finding]
    public var subjects: [Subject]
    /// True in an annex written with `--redact` (absent otherwise).
    public var redacted: Bool?

    /// Reads everything a report needs from the case.
    public static func build(from store: CaseStore, generatedAt: String) throws -> FindingsDocument {
        let analysis = try store.lastAnalysis()
        var subjects: [Subject] = []
        for subject in try store.subjects() {
            var groups: [String: RecordGroup] = [:]
            var order: [String] = []
            for event in try store.events(ip: subject.ip) {
                let l = event.locator
                let key = l.evidenceSHA256 + "\u{0}" + l.path + "\u{0}" + (l.member ?? "")
                let kind: String = switch l.position {
                case .line: "line"
                case .row: "row"
                case .packet: "packet"
                case .jsonPointer: "json_pointer"
                }
                if groups[key] == nil {
                    order.append(key)
                    groups[key] = RecordGroup(sha256: l.evidenceSHA256, path: l.path, member: l.member, kind: kind, positions: [])
                }
                if case .jsonPointer(let pointer) = l.position {
                    let existing = groups[key]?.pointers ?? []
                    groups[key]?.pointers = existing + [pointer]
                } else if let n = l.ordinal {
                    groups[key]?.positions.append(n)
                }
            }
            let sorted = order.compactMap { groups[$0] }.sorted { ($0.path, $0.member ?? "") < ($1.path, $1.member ?? "") }
                .map { group -> RecordGroup in
                    var g = group
                    g.positions.sort()
                    return g
                }
            subjects.append(Subject(subject: subject, supportingRecords: sorted))
        }
        return FindingsDocument(
            generatedAt: generatedAt, case: try store.metadata(), evidence: try store.evidenceInventory(),
            analysis: analysis, findings: analysis?.findings ?? [], subjects: subjects)
    }

    /// Reads a `findings.json` back.
    public static func decode(_ data: Data) throws -> FindingsDocument {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(FindingsDocument.self, from: data)
    }

    /// Stable JSON: sorted keys, snake_case, two-space indentation.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(self)
    }
}
