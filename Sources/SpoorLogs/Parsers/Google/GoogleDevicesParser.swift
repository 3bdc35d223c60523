import SpoorCore

/// Google Takeout's `Devices - A list of devices (i.e. Nest, Pixel, iPh….csv` under Access Log
/// Activity, in both known headers: (A, 2021) with first and last activity timestamps, and (B,
/// 2022) whose `Device Last Location` is a multi-line cell such as `Country ISO: FR⏎Last Activity
/// Time: 2022-01-29 19:51:44 UTC`. Each device gives `device_added` (first activity) and
/// `session_active` (last activity) events; there is no address. Reference: login-exports.md §4.1.
public struct GoogleDevicesParser: LogParser {
    public static let formatID = "google_devices"
    public static let accountScope = AccountScope.exportedAccount
    public static let displayName = "Google Takeout Access Log Activity devices (CSV)"
    public static let version = "1"
    public static let reads = "Takeout/Access Log Activity/Devices - A list of devices ….csv (any language)"

    public init(options: ParseOptions) {}

    public static func recognize(_ sample: FormatSample) -> Int {
        guard let first = sample.lines(limit: 1).first else { return 0 }
        let header = CSVHeader(String(first).replacingNBSP().split(separator: ",").map { $0.trimming("\" ") })
        guard header.column(["Device Type"]) != nil, header.column(["Brand Name"]) != nil,
            header.column(["Device Model"]) != nil
        else { return 0 }
        return 90
    }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        guard var rows = try CSVRecords(source, evidence: evidence, sink: sink) else { return summary }
        let h = rows.header
        let columns = (
            type: h.column(["Device Type"]), brand: h.column(["Brand Name"]), model: h.column(["Device Model"]),
            marketing: h.column(["Marketing Name"]), os: h.column(["OS"]), osVersion: h.column(["OS Version"]),
            given: h.column(["User Given Name"]), first: h.column(["First Activity Timestamp"]),
            last: h.column(["Last Activity Timestamp"]), location: h.column(["Device Last Location"]),
            country: h.column(["Country"])
        )
        while let (record, locator) = try rows.next() {
            summary.records += 1
            var fields: [String: String] = [:]
            for (key, column) in [
                ("device_type", columns.type), ("brand", columns.brand), ("model", columns.model),
                ("marketing_name", columns.marketing), ("os", columns.os), ("os_version", columns.osVersion),
                ("device_name", columns.given), ("country", columns.country),
            ] {
                if let v = rows.value(record, column) { fields[key] = v }
            }
            var lastText = rows.value(record, columns.last)
            if let location = rows.value(record, columns.location) {
                fields["last_location"] = location
                for line in location.split(whereSeparator: \.isNewline) {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    guard parts.count == 2 else { continue }
                    let key = parts[0].trimmedASCII.lowercased()
                    if key == "last activity time" { lastText = lastText ?? parts[1].trimmedASCII }
                    if key == "country iso" { fields["country"] = parts[1].trimmedASCII }
                }
            }
            let name = [fields["brand"], fields["marketing_name"] ?? fields["model"]].compactMap { $0 }.joined(separator: " ")
            fields["device"] = name.isEmpty ? nil : name
            var emitted = 0
            if let text = rows.value(record, columns.first), let time = Timestamp.parseISO8601(text) {
                try sink.accept(
                    .access(
                        AccessEvent(
                            format: Self.formatID, time: time, action: .deviceAdded, rawAction: "first activity", fields: fields,
                            locator: locator)))
                emitted += 1
            }
            if let text = lastText, let time = Timestamp.parseISO8601(text) {
                try sink.accept(
                    .access(
                        AccessEvent(
                            format: Self.formatID, time: time, action: .sessionActive, rawAction: "last activity", fields: fields,
                            locator: locator)))
                emitted += 1
            }
            if emitted == 0 {
                summary.ignored += 1
            }
        }
        return summary
    }
}
