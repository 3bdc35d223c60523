import SpoorCore

/// WP Activity Log (Melapress, formerly WSAL) CSV exports: `ID, Severity, Date, User, IP, Object,
/// Event Type, [Site], Message`, with the header translated into the site's language and hidden
/// columns dropped. Columns are found by name in the languages below, else by the shape of their
/// values. The event code gives the action. Cells that the plugin defused against CSV injection
/// (`'=…`) are restored. Dates are in the site's own time zone, which the export does not state,
/// so they are kept as zone-less readings. Reference: login-exports.md §9.3.
public struct WPActivityLogParser: LogParser {
    public static let formatID = "wordpress_activity_log"
    public static let accountScope = AccountScope.namedAccounts
    public static let displayName = "WordPress WP Activity Log export (CSV)"
    public static let version = "1"
    public static let reads = "CSV exported from WP Activity Log (any admin language, single site or multisite)"

    static let idNames = ["ID", "Code", "Event ID", "Alert ID", "Ereignis-ID", "Código"]
    static let dateNames = ["Date", "Datum", "Fecha", "Data", "Date et heure"]
    static let userNames = ["User", "Benutzer", "Utilisateur", "Usuario", "Utente", "Username"]
    static let ipNames = ["IP", "Source IP", "IP address", "IP-Adresse", "Adresse IP", "Dirección IP", "Indirizzo IP"]
    static let messageNames = ["Message", "Nachricht", "Mensaje", "Messaggio"]
    static let siteNames = ["Site", "Website", "Sitio"]

    static let codes: [Int: Action] = [
        1000: .login, 1001: .logout, 1002: .loginFailed, 1003: .loginFailed, 1004: .loginFailed, 1005: .login,
        1006: .sessionEnd, 1007: .sessionEnd, 1008: .other, 1009: .sessionEnd, 1010: .other,
        4003: .passwordChange, 4004: .passwordChange,
    ]

    public init(options: ParseOptions) {}

    public static func recognize(_ sample: FormatSample) -> Int {
        let lines = sample.lines(limit: 3)
        guard lines.count >= 2 else { return 0 }
        let header = CSVHeader(String(lines[0]).split(separator: ",").map { $0.trimming("\" ") })
        let firstCell = lines[1].split(separator: ",").first.map { $0.trimming("\" '") } ?? ""
        let codeLike = Int(firstCell).map { (1000...9999).contains($0) } ?? false
        let named = header.column(ipNames) != nil && header.column(dateNames) != nil
        return codeLike && (named || header.names.count >= 7) ? 85 : 0
    }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        guard var rows = try CSVRecords(source, evidence: evidence, sink: sink) else { return summary }
        let h = rows.header
        var columns = (
            id: h.column(Self.idNames) ?? 0, date: h.column(Self.dateNames), user: h.column(Self.userNames),
            ip: h.column(Self.ipNames), message: h.column(Self.messageNames), site: h.column(Self.siteNames)
        )
        var first = true
        while let (record, locator) = try rows.next() {
            summary.records += 1
            let cells = record.fields.map(Self.restored)
            if first {
                // Unknown header language: take the columns whose first values have the right shape.
                if columns.ip == nil { columns.ip = cells.firstIndex { IPAddress.parseEndpoint($0.trimming("[]\"")) != nil } }
                if columns.date == nil { columns.date = cells.firstIndex { Self.date($0) != nil } }
                first = false
            }
            func cell(_ column: Int?) -> String? {
                guard let column, column < cells.count else { return nil }
                let text = cells[column].trimmedASCII
                return text.isEmpty ? nil : text
            }
            guard let code = cell(columns.id).flatMap({ Int($0) }), let time = cell(columns.date).flatMap(Self.date) else {
                summary.malformed += 1
                sink.warn(ParseWarning(locator: locator, message: "row without a readable event code or date"))
                continue
            }
            let ipText = cell(columns.ip)?.trimming("[]\"")
            let endpoint = ipText.flatMap { IPAddress.parseEndpoint($0) }
            var fields: [String: String] = ["event_code": String(code)]
            if let message = cell(columns.message) { fields["message"] = message }
            if let site = cell(columns.site) { fields["site"] = site }
            try sink.accept(
                .access(
                    AccessEvent(
                        format: Self.formatID, time: time, action: Self.codes[code] ?? .other, rawAction: "event \(code)",
                        ip: endpoint?.address, ipRaw: endpoint?.address.description == ipText ? nil : ipText,
                        account: cell(columns.user), fields: fields, locator: locator)))
        }
        return summary
    }

    /// Undoes the plugin's CSV-injection guard: a `'` put before `=`, `+`, `-`, `@`, TAB or CR.
    static func restored(_ cell: String) -> String {
        guard cell.hasPrefix("'"), let next = cell.dropFirst().first, "=+-@\t\r".contains(next) else { return cell }
        return String(cell.dropFirst())
    }

    /// The site's date format: ISO-like `YYYY-MM-DD HH:MM[:SS]`, kept zone-less (site time zone).
    static func date(_ text: String) -> Timestamp? {
        guard let t = Timestamp.parseISO8601(text) ?? Timestamp.parseISO8601(text + ":00") else { return nil }
        guard t.zone == .unspecified else { return t }
        return Timestamp(
            seconds: t.seconds, nanoseconds: t.nanoseconds, zone: .unspecified, raw: text, rule: t.rule,
            assumption: "in the WordPress site's time zone, which the export does not state")
    }
}
