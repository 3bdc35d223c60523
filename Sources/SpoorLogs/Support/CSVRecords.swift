import SpoorCore

/// Reading CSV exports by column name: the header row is authoritative, names are matched
/// case-insensitively with aliases, and each data row is located by its row number.
struct CSVRecords {
    var reader: CSVReader
    let header: CSVHeader
    let evidence: EvidenceItem

    /// Reads the header: the first record, or — when `isHeader` is given — the first of the
    /// first 20 records it accepts (some exports put a title or notes above the header). Returns
    /// nil (after a warning) when there is none.
    init?(
        _ source: any ByteSource, evidence: EvidenceItem, sink: any ObservationSink,
        isHeader: ((CSVHeader) -> Bool)? = nil
    ) throws {
        reader = CSVReader(source)
        self.evidence = evidence
        var skipped = 0
        while let record = try reader.next() {
            let candidate = CSVHeader(record.fields.map { $0.replacingNBSP() })
            if isHeader?(candidate) ?? true {
                header = candidate
                return
            }
            skipped += 1
            if skipped == 20 { break }
        }
        sink.warn(
            ParseWarning(
                locator: Locator(evidence: evidence, position: .row(0)),
                message: skipped == 0
                    ? "empty file: no header row" : "no header row with the expected columns in the first \(skipped) rows"))
        return nil
    }

    /// The next data row with its locator, skipping blank rows.
    mutating func next() throws -> (record: CSVReader.Record, locator: Locator)? {
        while let record = try reader.next() {
            if record.isBlank { continue }
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
        guard let column, column < record.count else { return nil }
        return record.trimmedField(column)
    }
}

extension String {
    /// Google's localised export names use U+00A0 where a space is meant.
    func replacingNBSP() -> String {
        String(map { $0 == "\u{00A0}" || $0 == "\u{202F}" ? " " : $0 })
    }
}
