import SpoorCore

/// Google's `<login>.SubscriberInfo.html` (Takeout `Google Account/` folder, any language, and
/// law-enforcement returns of the same layout): the `IP ACTIVITY` table (`Timestamp`, `IP
/// Address`, `Activity Type`, `Raw User Agents`), plus the account's creation time and terms of
/// service address. Rows are located by the line their `<tr>` starts on. Reference:
/// login-exports.md §4.2.
public struct GoogleSubscriberInfoParser: LogParser {
    public static let formatID = "google_subscriber_info"
    public static let accountScope = AccountScope.exportedAccount
    public static let displayName = "Google SubscriberInfo.html (IP ACTIVITY table)"
    public static let version = "1"
    public static let reads =
        "Takeout/Google Account/<login>.SubscriberInfo.html and law-enforcement returns with an IP ACTIVITY table"

    public init(options: ParseOptions) {}

    public static func recognize(_ sample: FormatSample) -> Int {
        let head = String(decoding: sample.head, as: UTF8.self)
        guard head.utf8Range(of: "IP ACTIVITY") != nil || head.utf8Range(of: "IP Activity") != nil else { return 0 }
        return sample.fileName.hasSuffix(".SubscriberInfo.html")
            ? 95 : (head.contains("<table") || head.contains("<TABLE") ? 70 : 0)
    }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        let html = String(decoding: try source.readAll(limit: 256 << 20), as: UTF8.self)
        let start = html.utf8Range(of: "IP ACTIVITY") ?? html.utf8Range(of: "IP Activity")
        guard let start else {
            sink.warn(
                ParseWarning(
                    locator: Locator(evidence: evidence, position: .line(1)), message: "no IP ACTIVITY table in this file"))
            return summary
        }
        let rows = HTMLTable.rows(
            in: html[start.upperBound...], lineOffset: html[..<start.upperBound].utf8.filter { $0 == 0x0A }.count)
        guard let header = rows.first else { return summary }
        let columns = CSVHeader(header.cells)
        let (timeColumn, ipColumn, typeColumn, agentColumn) = (
            columns.column(["Timestamp", "Time"]), columns.column(["IP Address"]), columns.column(["Activity Type"]),
            columns.column(["Raw User Agents", "User Agent"])
        )
        for row in rows.dropFirst() {
            summary.records += 1
            let locator = Locator(evidence: evidence, position: .line(row.line))
            func cell(_ column: Int?) -> String? {
                guard let column, column < row.cells.count, !row.cells[column].isEmpty else { return nil }
                return row.cells[column]
            }
            guard let text = cell(timeColumn), let time = Timestamp.parseISO8601(text) else {
                summary.malformed += 1
                sink.warn(
                    ParseWarning(
                        locator: locator, message: "IP ACTIVITY row without a readable Timestamp", excerpt: cell(timeColumn)))
                continue
            }
            let ipText = cell(ipColumn)
            let endpoint = ipText.flatMap { IPAddress.parseEndpoint($0) }
            let type = cell(typeColumn)
            try sink.accept(
                .access(
                    AccessEvent(
                        format: Self.formatID, time: time, action: ActionWords.action(type, default: .sessionActive),
                        rawAction: type,
                        ip: endpoint?.address, ipRaw: endpoint?.address.description == ipText ? nil : ipText,
                        port: endpoint?.port,
                        userAgent: cell(agentColumn), locator: locator)))
        }
        return summary
    }
}

/// The rows of the first HTML table in a text: cell text with tags removed and entities
/// decoded, and the line each row starts on. Enough for the plain tables exports write; not a
/// general HTML parser.
enum HTMLTable {
    struct Row {
        var line: Int
        var cells: [String]
    }

    static func rows(in text: Substring, lineOffset: Int) -> [Row] {
        let bytes = Array(text.utf8)
        var line = lineOffset + 1
        var rows: [Row] = []
        var current: Row? = nil
        var cell: [UInt8]? = nil
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x0A { line += 1 }
            guard b == UInt8(ascii: "<") else {
                cell?.append(b)
                i += 1
                continue
            }
            let end = bytes[i...].firstIndex(of: UInt8(ascii: ">")) ?? bytes.count - 1
            let tagBytes = bytes[(i + 1)..<max(i + 1, end)]
            line += tagBytes.filter { $0 == 0x0A }.count
            let tag = String(decoding: tagBytes, as: UTF8.self).lowercased()
            let closing = tag.hasPrefix("/")
            let name = String((closing ? tag.dropFirst() : Substring(tag)).prefix { $0.isLetter })
            switch (closing, name) {
            case (true, "table") where !rows.isEmpty:
                return rows
            case (false, "tr"):
                current = Row(line: line, cells: [])
            case (false, "td"), (false, "th"):
                cell = []
            case (true, "td"), (true, "th"):
                if let c = cell { current?.cells.append(decode(c)) }
                cell = nil
            case (true, "tr"):
                if let c = cell { current?.cells.append(decode(c)) }
                cell = nil
                if let row = current, !row.cells.isEmpty { rows.append(row) }
                current = nil
            case (false, "br"):
                cell?.append(0x20)
            default:
                break
            }
            i = end + 1
        }
        return rows
    }

    static func decode(_ bytes: [UInt8]) -> String {
        var text = String(decoding: bytes, as: UTF8.self)
        for (entity, value) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&nbsp;", " "), ("&amp;", "&")] {
            text = text.replacingAll(entity, with: value)
        }
        return text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
