import SpoorCore

/// Reading CSV exports by column name: the header row is authoritative, names are matched
/// case-insensitively with aliases, and each data row is located by its row number.
struct CSVRecords {
    var reader: CSVReader
    let header: CSVHeader
    let evidence: EvidenceItem

    /// Reads the header. Returns nil (after a warning) for an empty file.
    init?(_ source: any ByteSource, evidence: EvidenceItem, sink: any ObservationSink) throws {
        reader = CSVReader(source)
        guard let first = try reader.next() else {
            sink.warn(ParseWarning(locator: Locator(evidence: evidence, position: .row(0)), message: "empty file: no header row"))
            return nil
        }
        header = CSVHeader(first.fields.map { $0.replacingNBSP() })
        self.evidence = evidence
    }

    /// The next data row with its locator, skipping blank rows.
    mutating func next() throws -> (record: CSVReader.Record, locator: Locator)? {
        while let record = try reader.next() {
            if record.fields.allSatisfy({ $0.allSatisfy(\.isWhitespace) }) { continue }
            return (record, Locator(evidence: evidence, position: .row(record.index)))
        }
        return nil
    }

    /// The trimmed, non-empty value of the first column matching `aliases`.
    func value(_ record: CSVReader.Record, _ aliases: [String]) -> String? {
        value(record, header.column(aliases))
    }

    /// The trimmed, non-empty value of a column found once with `header.column`.
    func value(_ record: CSVReader.Record, _ column: Int?) -> String? {
        guard let column, column < record.fields.count else { return nil }
        let text = record.fields[column].trimmingCharacters(in: " \t\r\n")
        return text.isEmpty ? nil : text
    }
}

extension String {
    /// Google's localised export names use U+00A0 where a space is meant.
    func replacingNBSP() -> String {
        String(map { $0 == "\u{00A0}" || $0 == "\u{202F}" ? " " : $0 })
    }
}
