import SpoorCore

/// Any CSV file with a header, read through a field mapping (`--map` or `--map-file`):
/// for sources Spoor has no parser for yet. Chosen only with `--format csv`.
public struct GenericCSVParser: LogParser {
    public static let formatID = "csv"
    public static let accountScope = AccountScope.namedAccounts
    public static let displayName = "Generic CSV with a field mapping"
    public static let version = "1"
    public static let reads = "any CSV with a header row, with --format csv and --map time=…,ip=…"

    let mapping: FieldMapping?

    public init(options: ParseOptions) { mapping = options.mapping }

    /// Never chosen by content: a generic reader must be asked for.
    public static func recognize(_ sample: FormatSample) -> Int { 0 }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        guard let mapping else { throw GenericParseError.noMapping(format: Self.formatID) }
        guard var rows = try CSVRecords(source, evidence: evidence, sink: sink) else { return summary }
        var columns: [String: Int] = [:]
        for (field, name) in mapping.columns {
            guard let column = rows.header.column([name]) else {
                summary.malformed += 1
                sink.warn(
                    ParseWarning(
                        locator: Locator(evidence: evidence, position: .row(0)),
                        message: "the header has no column '\(name)' (mapped to \(field))"))
                if field == "time" { return summary }
                continue
            }
            columns[field] = column
        }
        while let (record, locator) = try rows.next() {
            summary.records += 1
            let value = { (field: String) in rows.value(record, columns[field]) }
            if try !GenericEvent.emit(value, mapping: mapping, format: Self.formatID, locator: locator, sink: sink) {
                summary.malformed += 1
            }
        }
        return summary
    }
}

/// JSON Lines (one JSON object per line) read through a field mapping; nested keys are written
/// with dots (`client.ip`). Chosen only with `--format jsonl`.
public struct GenericJSONLinesParser: LogParser {
    public static let formatID = "jsonl"
    public static let accountScope = AccountScope.namedAccounts
    public static let displayName = "Generic JSON Lines with a field mapping"
    public static let version = "1"
    public static let reads = "one JSON object per line, with --format jsonl and --map time=…,ip=…"

    let mapping: FieldMapping?

    public init(options: ParseOptions) { mapping = options.mapping }

    public static func recognize(_ sample: FormatSample) -> Int { 0 }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        guard let mapping else { throw GenericParseError.noMapping(format: Self.formatID) }
        var reader = LineReader(source)
        while let line = try reader.next() {
            if line.text.allSatisfy(\.isWhitespace) { continue }
            summary.records += 1
            let locator = Locator(evidence: evidence, position: .line(line.number))
            let object: JSONValue
            do {
                object = try JSONValue.parse(Array(line.text.utf8))
            } catch {
                summary.malformed += 1
                sink.warn(ParseWarning(locator: locator, message: "not a JSON object: \(error.description)"))
                continue
            }
            let value = { (field: String) -> String? in
                guard let path = mapping.columns[field] else { return nil }
                var current: JSONValue? = object
                for key in path.split(separator: ".") { current = current?[String(key)] }
                return current?.scalarText.flatMap { $0.isEmpty ? nil : $0 }
            }
            if try !GenericEvent.emit(value, mapping: mapping, format: Self.formatID, locator: locator, sink: sink) {
                summary.malformed += 1
            }
        }
        return summary
    }
}

enum GenericEvent {
    /// Builds and delivers one event; false (after a warning) when the time is unreadable.
    static func emit(
        _ value: (String) -> String?, mapping: FieldMapping, format: String, locator: Locator, sink: any ObservationSink
    ) throws -> Bool {
        guard let timeText = value("time"), let time = mapping.time(timeText) else {
            sink.warn(ParseWarning(locator: locator, message: "no readable time in the mapped field", excerpt: value("time")))
            return false
        }
        let ipText = value("ip")
        let endpoint = ipText.flatMap { IPAddress.parseEndpoint($0) }
        if let ipText, endpoint == nil {
            sink.warn(ParseWarning(locator: locator, message: "address not readable", excerpt: ipText))
        }
        let actionText = value("action")
        try sink.accept(
            .access(
                AccessEvent(
                    format: format, time: time, action: ActionWords.action(actionText, default: .other), rawAction: actionText,
                    ip: endpoint?.address, ipRaw: endpoint?.address.description == ipText ? nil : ipText,
                    port: value("port").flatMap { UInt16($0) } ?? endpoint?.port, account: value("account"),
                    userAgent: value("user_agent"), locator: locator)))
        return true
    }
}

public enum GenericParseError: Error, CustomStringConvertible {
    case noMapping(format: String)

    public var description: String {
        switch self {
        case .noMapping(let format):
            return "--format \(format) needs a field mapping: --map time=<column>,ip=<column>,… or --map-file FILE"
        }
    }
}
