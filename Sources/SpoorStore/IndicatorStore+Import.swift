import Crypto
import Foundation
import SpoorCore
import SpoorIntel

extension IndicatorStore {
    /// Imports a CSV or plain list of indicators in one transaction.
    /// - Parameters:
    ///   - defaultSource: the source for rows without a `source` column value (`--source`).
    /// - Throws: ``IntelError`` when the file cannot be read or has no value column; a bad row
    ///   is listed in the report, not thrown.
    /// Reads one stated value into the store through `add`, noting in the report what it became.
    static func accept(_ value: StatedValue, into report: inout ImportReport, _ add: (Indicator, Provenance) throws -> Bool)
        throws
    {
        switch Indicator.parse(value.raw, type: value.type) {
        case .failure(let error):
            report.skipped.append(.init(location: value.location, reason: error.description))
        case .success(let (indicator, notes)):
            for note in notes { report.notes[note.rawValue, default: 0] += 1 }
            if value.provenance.source == Provenance.unstatedSource {
                report.notes[ImportReport.unstatedSourceNote, default: 0] += 1
            }
            if try add(indicator, value.provenance) {
                report.added[indicator.type.rawValue, default: 0] += 1
            } else {
                report.alreadyPresent += 1
            }
        }
    }

    /// Imports values another reader produced (e.g. the networks of a MaxMind DB), in one
    /// transaction, recorded as an import of `fileName`.
    public func importStated(
        _ values: [StatedValue], skipped: [ImportReport.Skipped], format: String, fileName: String, sha256: String
    ) throws(IntelError) -> ImportReport {
        var report = ImportReport(fileName: fileName, format: format)
        report.skipped = skipped
        try performImport(fileName: fileName, sha256: sha256, format: format) { add in
            for value in values { try Self.accept(value, into: &report, add) }
        }
        return report
    }

    /// Imports an indicator file in one transaction.
    /// - Parameters:
    ///   - defaultSource: the publisher for records that do not name one (`--source`); when nil,
    ///     such records are kept with ``Provenance/unstatedSource`` and the report counts them.
    ///   - refuseMostlyUnreadable: for a guessed format: when more than half the values of a plain
    ///     list or CSV (and at least three) cannot be read, nothing is kept and
    ///     ``IntelError/mostlyUnreadable(path:format:unreadable:readable:)`` is thrown — the file
    ///     is probably another format, and its few readable lines would be stray indicators.
    /// - Throws: ``IntelError`` when the file cannot be read or has no value column; a bad row
    ///   is listed in the report, not thrown.
    public func importIndicators(
        _ source: any ByteSource, format: IndicatorFormat, fileName: String, sha256: String, defaultSource: String?,
        refuseMostlyUnreadable: Bool = false
    ) throws(IntelError) -> ImportReport {
        var report = ImportReport(fileName: fileName, format: format.rawValue)
        let fallbackSource = defaultSource ?? Provenance.unstatedSource
        try performImport(fileName: fileName, sha256: sha256, format: format.rawValue) { add in
            func accept(_ raw: String, type: IndicatorType?, provenance: Provenance, location: String) throws {
                try Self.accept(StatedValue(raw: raw, type: type, provenance: provenance, location: location), into: &report, add)
            }
            func acceptAll(_ read: ExchangeRead) throws {
                report.skipped += read.skipped
                for (note, n) in read.notes { report.notes[note, default: 0] += n }
                for value in read.values {
                    try accept(value.raw, type: value.type, provenance: value.provenance, location: value.location)
                }
            }
            switch format {
            case .stix:
                try acceptAll(try STIXImporter.read(Data(try source.readAll()), fileName: fileName, defaultSource: defaultSource))
            case .misp:
                let bytes = try source.readAll()
                let first = bytes.first {
                    $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF
                }
                if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
                    try acceptAll(try MISPImporter.readJSON(Data(bytes), fileName: fileName, defaultSource: defaultSource))
                } else {
                    try acceptAll(
                        try MISPImporter.readCSV(MemoryByteSource(bytes), fileName: fileName, defaultSource: defaultSource))
                }
            case .zeek:
                try acceptAll(try ZeekIntelImporter.read(source, fileName: fileName, defaultSource: defaultSource))
            case .list:
                var lines = LineReader(source)
                while let line = try lines.next() {
                    let number = line.number
                    let value = line.text.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                    let trimmed = value.trimmingCharacters(in: .whitespaces)
                    if trimmed.isEmpty { continue }
                    try accept(
                        trimmed, type: nil, provenance: Provenance(source: fallbackSource, origin: "\(fileName):\(number)"),
                        location: "\(fileName):\(number)")
                }
            case .csv:
                var reader = CSVReader(source)
                guard let headerRecord = try reader.next() else { return }
                let header = CSVHeader(headerRecord.fields)
                guard let valueColumn = header.column(CSVIndicatorImporter.valueAliases) else {
                    throw IntelError.missingColumn(path: fileName, column: "value")
                }
                let columns = (
                    type: header.column(CSVIndicatorImporter.typeAliases),
                    source: header.column(CSVIndicatorImporter.sourceAliases),
                    reference: header.column(CSVIndicatorImporter.referenceAliases),
                    firstSeen: header.column(CSVIndicatorImporter.firstSeenAliases),
                    confidence: header.column(CSVIndicatorImporter.confidenceAliases),
                    lastSeen: header.column(["last_seen", "last seen", "lastseen"]),
                    tlp: header.column(["tlp"]),
                    tags: header.column(["tags", "labels"]),
                    campaign: header.column(["campaign", "actor", "threat actor"]),
                    description: header.column(["description", "comment", "notes"]),
                    title: header.column(["title", "report title"]),
                    published: header.column(["published", "publication date"]),
                    validFrom: header.column(["valid_from", "valid from"]),
                    validUntil: header.column(["valid_until", "valid until"])
                )
                while let record = try reader.next() {
                    let location = "\(fileName) row \(record.index) (line \(record.line))"
                    func field(_ column: Int?) -> String? {
                        guard let column, column < record.fields.count else { return nil }
                        let value = record.fields[column].trimmingCharacters(in: .whitespaces)
                        return value.isEmpty ? nil : value
                    }
                    if record.fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
                    if record.malformed {
                        report.skipped.append(.init(location: location, reason: "malformed CSV quoting"))
                        continue
                    }
                    guard let value = field(valueColumn) else {
                        report.skipped.append(.init(location: location, reason: "no value"))
                        continue
                    }
                    var type: IndicatorType? = nil
                    if let typeText = field(columns.type) {
                        guard let known = CSVIndicatorImporter.typeNames[typeText.lowercased()] else {
                            report.skipped.append(
                                .init(location: location, reason: "unknown type '\(SafeText.excerpt(typeText, limit: 40))'"))
                            continue
                        }
                        type = known
                    }
                    var confidence: Int? = nil
                    if let text = field(columns.confidence) {
                        guard let n = Int(text), (0...100).contains(n) else {
                            report.skipped.append(
                                .init(
                                    location: location,
                                    reason: "confidence must be 0–100, not '\(SafeText.excerpt(text, limit: 20))'"))
                            continue
                        }
                        confidence = n
                    }
                    var dates: [String?] = []
                    var badDate: String? = nil
                    for column in [columns.firstSeen, columns.lastSeen, columns.published, columns.validFrom, columns.validUntil]
                    {
                        guard let text = field(column) else {
                            dates.append(nil)
                            continue
                        }
                        guard let normalised = IndicatorDate.normalise(text) else {
                            badDate = text
                            break
                        }
                        dates.append(normalised)
                    }
                    if let badDate {
                        report.skipped.append(
                            .init(location: location, reason: "unreadable date '\(SafeText.excerpt(badDate, limit: 40))'"))
                        continue
                    }
                    let tags =
                        field(columns.tags).map {
                            $0.split(whereSeparator: { $0 == ";" || $0 == "," || $0 == "|" })
                                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                        } ?? []
                    let provenance = Provenance(
                        source: field(columns.source) ?? fallbackSource, title: field(columns.title),
                        reference: field(columns.reference), published: dates[2], firstSeen: dates[0], lastSeen: dates[1],
                        confidence: confidence, tlp: field(columns.tlp)?.lowercased(), tags: tags,
                        campaign: field(columns.campaign), description: field(columns.description),
                        validFrom: dates[3], validUntil: dates[4], origin: "\(fileName) row \(record.index)")
                    try accept(value, type: type, provenance: provenance, location: location)
                }
            }
            let readable = report.addedTotal + report.alreadyPresent
            if refuseMostlyUnreadable, format == .list || format == .csv, report.skipped.count >= 3,
                report.skipped.count > readable
            {
                // Thrown inside the transaction: nothing of the file is kept.
                throw IntelError.mostlyUnreadable(
                    path: fileName, format: format.rawValue, unreadable: report.skipped.count, readable: readable)
            }
        }
        return report
    }
}
