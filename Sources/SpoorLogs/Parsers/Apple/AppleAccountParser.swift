import SpoorCore

/// Apple's privacy export (`Apple ID account and device information/`): `Apple ID SignOn
/// Information.csv` (sign-ins: `Logged In Date`, `Application`, `IP Address`, which may be `N/A`)
/// and `Apple ID Device Information.csv` (devices and their last heartbeat address). Apple writes
/// these dates without a zone; they are UTC by Apple's description of the export, which each time
/// records. Headers may have leading spaces and a preamble line. Reference: login-exports.md §8.
public struct AppleAccountParser: LogParser {
    public static let formatID = "apple_account"
    public static let accountScope = AccountScope.exportedAccount
    public static let displayName = "Apple ID sign-on and device information (CSV)"
    public static let version = "1"
    public static let reads = "Apple ID SignOn Information.csv, Apple ID Device Information.csv"

    static let signOnDate = ["Logged In Date"]
    static let deviceAdded = ["Device Added Date"]
    static let heartbeat = ["Device Last Heartbeat Timestamp"]
    static let heartbeatIP = ["Device Last Heartbeat IP"]
    static let utcNote = "Apple's export gives UTC times without a zone"

    public init(options: ParseOptions) {}

    static func isHeader(_ header: CSVHeader) -> Bool {
        header.column(signOnDate) != nil || header.column(deviceAdded) != nil || header.column(heartbeat) != nil
    }

    public static func recognize(_ sample: FormatSample) -> Int {
        let lines = sample.lines(limit: 5)
        let found = lines.contains { isHeader(CSVHeader(String($0).split(separator: ",").map(String.init))) }
        guard found else { return 0 }
        return sample.fileName.hasPrefix("Apple ID") ? 95 : 80
    }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        guard var rows = try CSVRecords(source, evidence: evidence, sink: sink, isHeader: Self.isHeader) else { return summary }
        let h = rows.header
        let signOn = h.column(Self.signOnDate)
        let application = h.column(["Application"])
        let ip = h.column(["IP Address"])
        let deviceName = h.column(["Device Name"])
        let added = h.column(Self.deviceAdded)
        let beat = h.column(Self.heartbeat)
        let beatIP = h.column(Self.heartbeatIP)
        while let (record, locator) = try rows.next() {
            summary.records += 1
            func time(_ column: Int?) -> Timestamp? {
                rows.value(record, column).flatMap(Timestamp.parseISO8601)?.assumingUTC(because: Self.utcNote)
            }
            func address(_ column: Int?) -> (IPAddress?, String?) {
                guard let text = rows.value(record, column), text.uppercased() != "N/A" else { return (nil, nil) }
                let endpoint = IPAddress.parseEndpoint(text)
                return (endpoint?.address, endpoint?.address.description == text ? nil : text)
            }
            var emitted = 0
            if signOn != nil {
                if let t = time(signOn) {
                    let (addr, raw) = address(ip)
                    var fields: [String: String] = [:]
                    if let app = rows.value(record, application) { fields["application"] = app }
                    try sink.accept(
                        .access(
                            AccessEvent(
                                format: Self.formatID, time: t, action: .login, rawAction: "Apple ID sign-on", ip: addr,
                                ipRaw: raw,
                                fields: fields, locator: locator)))
                    emitted += 1
                }
            } else {
                var fields: [String: String] = [:]
                if let name = rows.value(record, deviceName) { fields["device"] = name }
                if let t = time(added) {
                    try sink.accept(
                        .access(
                            AccessEvent(
                                format: Self.formatID, time: t, action: .deviceAdded, rawAction: "device added", fields: fields,
                                locator: locator)))
                    emitted += 1
                }
                if let t = time(beat) {
                    let (addr, raw) = address(beatIP)
                    try sink.accept(
                        .access(
                            AccessEvent(
                                format: Self.formatID, time: t, action: .sessionActive, rawAction: "device last heartbeat",
                                ip: addr,
                                ipRaw: raw, fields: fields, locator: locator)))
                    emitted += 1
                }
            }
            if emitted == 0 {
                summary.malformed += 1
                sink.warn(ParseWarning(locator: locator, message: "no readable date in this row"))
            }
        }
        return summary
    }
}
