import SpoorCore

/// LinkedIn's data export `Logins.csv`: `Login Date`, `IP Address`, `User Agent`, `Login Type`.
/// Reference: login-exports.md §8 (the layout is known from parsers, not from a seen file).
public struct LinkedInLoginsParser: LogParser {
    public static let formatID = "linkedin"
    public static let accountScope = AccountScope.exportedAccount
    public static let displayName = "LinkedIn data export logins (Logins.csv)"
    public static let version = "1"
    public static let reads = "Logins.csv from a LinkedIn data export"

    public init(options: ParseOptions) {}

    public static func recognize(_ sample: FormatSample) -> Int {
        guard let first = sample.lines(limit: 1).first else { return 0 }
        let header = CSVHeader(String(first).split(separator: ",").map(String.init))
        guard header.column(["Login Date"]) != nil, header.column(["IP Address"]) != nil else { return 0 }
        return 90
    }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        guard var rows = try CSVRecords(source, evidence: evidence, sink: sink) else { return summary }
        let (date, ip, agent, type) = (
            rows.header.column(["Login Date"]), rows.header.column(["IP Address"]), rows.header.column(["User Agent"]),
            rows.header.column(["Login Type"])
        )
        while let (record, locator) = try rows.next() {
            summary.records += 1
            guard let text = rows.value(record, date), let time = Timestamp.parse(text) ?? Timestamp.parseISO8601(text) else {
                summary.malformed += 1
                sink.warn(ParseWarning(locator: locator, message: "no readable Login Date", excerpt: rows.value(record, date)))
                continue
            }
            let ipText = rows.value(record, ip)
            let endpoint = ipText.flatMap { IPAddress.parseEndpoint($0) }
            let loginType = rows.value(record, type)
            try sink.accept(
                .access(
                    AccessEvent(
                        format: Self.formatID, time: time, action: .login, rawAction: loginType ?? "login", ip: endpoint?.address,
                        ipRaw: endpoint?.address.description == ipText ? nil : ipText, userAgent: rows.value(record, agent),
                        locator: locator)))
        }
        return summary
    }
}
