import Foundation
import SpoorAnalysis
import SpoorCase
import SpoorStore
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

    /// Reads everything but the subjects from the case; the annex streams those in after
    /// ``opening()`` (see ``SubjectWriter``), since a case can hold millions of addresses.
    public static func build(from store: CaseStore, generatedAt: String) throws -> FindingsDocument {
        let analysis = try store.lastAnalysis()
        return FindingsDocument(
            generatedAt: generatedAt, case: try store.metadata(), evidence: try store.evidenceInventory(),
            analysis: analysis, findings: analysis?.findings ?? [], subjects: [])
    }

    /// The document's text up to and including `"subjects" : [`: the subjects are its last key
    /// in sorted order, so they can follow one by one and `closing` ends the file.
    func opening() throws -> String {
        var header = self
        header.subjects = []
        let text = String(decoding: try header.encoded(), as: UTF8.self)
        // Quotes inside values are escaped, so this text can only be the key.
        guard let key = text.range(of: "\"subjects\" : [", options: .backwards) else {
            throw CocoaError(
                .coderInvalidValue,
                userInfo: [NSLocalizedDescriptionKey: "findings.json: no subjects key in the encoder's output"])
        }
        return String(text[..<key.upperBound])
    }

    static func closing(empty: Bool) -> String { empty ? "\n\n  ]\n}" : "\n  ]\n}" }

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
