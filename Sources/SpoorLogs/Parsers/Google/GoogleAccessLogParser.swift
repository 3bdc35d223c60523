import SpoorCore

/// Google Takeout "Access Log Activity" CSV (`Activities - A list of Google services accessed
/// by….csv`), in the 16-, 13- and 7-column layouts, under any localised folder name. Every row is
/// one access to the account; rows whose activity type names a sign-in or a password change
/// take that action. Reference: login-exports.md §4.1.
public struct GoogleAccessLogParser: LogParser {
    public static let formatID = "google_access_log"
    public static let accountScope = AccountScope.exportedAccount
    public static let displayName = "Google Takeout Access Log Activity (CSV)"
    public static let version = "1"
    public static let reads =
        "Takeout/Access Log Activity/Activities - ….csv (any language), and law-enforcement preservation CSVs with the same columns"

    static let timestamp = ["Activity Timestamp", "Timestamp"]
    static let ip = ["IP Address"]
    static let proxied = ["Proxiedhost IP Address", "Proxied Host IP Address"]
    static let nonRoutable = ["Is Non-routable IP Address"]
    static let userAgent = ["User Agent String", "User Agent"]
    static let activityType = ["Activity Type"]
    static let product = ["Product Name"]
    static let subProduct = ["Sub-Product Name"]
    static let gaia = ["Gaia ID", "GAIA ID"]
    static let place = [
        ("country", ["Activity Country", "Country Code"]), ("region", ["Activity Region"]),
        ("city", ["Activity City", "City"]), ("gmail_access_channel", ["Gmail Access Channel"]),
    ]

    public init(options: ParseOptions) {}

    public static func recognize(_ sample: FormatSample) -> Int {
        guard let firstLine = sample.lines(limit: 1).first else { return 0 }
        let header = CSVHeader(String(firstLine).replacingNBSP().split(separator: ",").map(String.init))
        guard header.column(ip) != nil, header.column(timestamp) != nil, header.column(product) != nil else { return 0 }
        return 95
    }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        guard var rows = try CSVRecords(source, evidence: evidence, sink: sink) else { return summary }
        if rows.header.column(Self.timestamp) == nil || rows.header.column(Self.ip) == nil {
            summary.malformed += 1
            sink.warn(
                ParseWarning(
                    locator: Locator(evidence: evidence, position: .row(0)),
                    message: "header lacks 'Activity Timestamp' or 'IP Address'; no row can be read"))
            return summary
        }
        let h = rows.header
        let c = (
            timestamp: h.column(Self.timestamp), ip: h.column(Self.ip), type: h.column(Self.activityType),
            product: h.column(Self.product), subProduct: h.column(Self.subProduct), gaia: h.column(Self.gaia),
            proxied: h.column(Self.proxied), nonRoutable: h.column(Self.nonRoutable), userAgent: h.column(Self.userAgent),
            place: Self.place.map { ($0.0, h.column($0.1)) }
        )
        while let (record, locator) = try rows.next() {
            summary.records += 1
            if record.malformed {
                sink.warn(ParseWarning(locator: locator, message: "CSV quoting is broken in this row; read as written"))
            }
            guard let timeText = rows.value(record, c.timestamp), let time = Timestamp.parseISO8601(timeText) else {
                summary.malformed += 1
                sink.warn(
                    ParseWarning(
                        locator: locator, message: "no readable Activity Timestamp", excerpt: rows.value(record, c.timestamp)))
                continue
            }
            let ipText = rows.value(record, c.ip)
            let endpoint = ipText.flatMap { IPAddress.parseEndpoint($0) }
            let type = rows.value(record, c.type)
            let product = rows.value(record, c.product)
            var fields: [String: String] = [:]
            if let p = product { fields["product"] = p }
            if let s = rows.value(record, c.subProduct) { fields["sub_product"] = s }

            if let proxied = rows.value(record, c.proxied) { fields["proxied_host_ip"] = proxied }
            if let flag = rows.value(record, c.nonRoutable), flag.lowercased() != "no", flag.lowercased() != "false" {
                fields["non_routable"] = flag
            }
            for (key, column) in c.place { if let v = rows.value(record, column) { fields[key] = v } }
            let event = AccessEvent(
                format: Self.formatID, time: time, action: Self.action(type), rawAction: type ?? product,
                ip: endpoint?.address, ipRaw: endpoint?.address.description == ipText ? nil : ipText, port: endpoint?.port,
                account: rows.value(record, c.gaia), userAgent: rows.value(record, c.userAgent), fields: fields, locator: locator)
            if let ipText, endpoint == nil {
                sink.warn(ParseWarning(locator: locator, message: "IP Address not readable", excerpt: ipText))
            }
            try sink.accept(.access(event))
        }
        return summary
    }

    /// Sign-in and password-change activity types take their action; any other row is an
    /// access by an active session.
    static func action(_ type: String?) -> Action {
        ActionWords.action(type, default: .sessionActive)
    }
}
