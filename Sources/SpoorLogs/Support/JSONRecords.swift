import SpoorCore

/// Helpers for export parsers that read whole JSON documents.
enum JSONRecords {
    /// Reads and parses a JSON source, reporting a broken document as one malformed record
    /// located at its line and column.
    static func document(
        _ source: any ByteSource, evidence: EvidenceItem, sink: any ObservationSink, summary: inout ParseSummary,
        dropPrefix: ((inout ArraySlice<UInt8>) -> Void)? = nil
    ) throws -> JSONValue? {
        var bytes = try source.readAll()[...]
        dropPrefix?(&bytes)
        do {
            return try JSONValue.parse(Array(bytes))
        } catch {
            summary.records += 1
            summary.malformed += 1
            sink.warn(
                ParseWarning(
                    locator: Locator(evidence: evidence, position: .line(error.line)),
                    message: "not valid JSON at column \(error.column): \(error.message)"))
            return nil
        }
    }

    /// A Unix-seconds time from an integer or a string of digits.
    static func unixTime(_ value: JSONValue?) -> Timestamp? {
        guard let value, let seconds = value.int64, seconds > 0 else { return nil }
        return Timestamp.unixSeconds(seconds, raw: value.scalarText)
    }

    /// The address and its raw text from an export's IP field.
    static func address(_ value: JSONValue?) -> (ip: IPAddress?, raw: String?, port: UInt16?) {
        guard let text = value?.scalarText, !text.isEmpty else { return (nil, nil, nil) }
        let endpoint = IPAddress.parseEndpoint(text)
        let raw = endpoint?.address.description == text ? nil : text
        return (endpoint?.address, raw, endpoint?.port)
    }

    /// A port written as a number or a string; 0 means unknown.
    static func port(_ value: JSONValue?) -> UInt16? {
        guard let n = value?.int64, n > 0, n <= 65535 else { return nil }
        return UInt16(n)
    }
}
