import SpoorCore

/// Proton's security log download, `logs.csv`: header `Event,Time,IP`, rows joined with CRLF and
/// never quoted, so a description containing a comma would shift the columns — the time and the
/// address are therefore read from the right. The address is present only when detailed logging
/// was on. Reference: login-exports.md §8.
public struct ProtonLogsParser: LogParser {
    public static let formatID = "proton"
    public static let accountScope = AccountScope.exportedAccount
    public static let displayName = "Proton security logs (logs.csv)"
    public static let version = "1"
    public static let reads = "logs.csv downloaded from Proton Account → Security logs"

    public init(options: ParseOptions) {}

    public static func recognize(_ sample: FormatSample) -> Int {
        guard let first = sample.lines(limit: 1).first else { return 0 }
        let header = first.trimming(" \u{FEFF}").lowercased()
        return header == "event,time,ip" ? 95 : 0
    }

    static func action(_ event: String) -> Action {
        ActionWords.action(event, default: .other)
    }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        var reader = LineReader(source)
        while let line = try reader.next() {
            if line.number == 1 || line.text.allSatisfy(\.isWhitespace) { continue }
            summary.records += 1
            let locator = Locator(evidence: evidence, position: .line(line.number))
            let parts = line.text.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count >= 3, let time = Timestamp.parseISO8601(String(parts[parts.count - 2])) else {
                summary.malformed += 1
                sink.warn(ParseWarning(locator: locator, message: "expected <event>,<time>,<ip>", excerpt: line.text))
                continue
            }
            let description = parts.dropLast(2).joined(separator: ",")
            let ipText = parts[parts.count - 1].trimming(" ")
            let hasIP = !ipText.isEmpty && !["null", "undefined", "-"].contains(ipText.lowercased())
            let endpoint = hasIP ? IPAddress.parseEndpoint(ipText) : nil
            if hasIP && endpoint == nil {
                sink.warn(ParseWarning(locator: locator, message: "IP not readable", excerpt: ipText))
            }
            try sink.accept(
                .access(
                    AccessEvent(
                        format: Self.formatID, time: time, action: Self.action(description), rawAction: description,
                        ip: endpoint?.address, ipRaw: hasIP && endpoint?.address.description != ipText ? ipText : nil,
                        locator: locator)))
        }
        return summary
    }
}
