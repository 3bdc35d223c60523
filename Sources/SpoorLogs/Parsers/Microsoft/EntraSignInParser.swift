import SpoorCore

/// Microsoft Entra ID sign-in logs downloaded as CSV from the portal (`InteractiveSignIns_….csv`,
/// `NonInteractiveSignIns_…`, 56 columns with trailing-space, double-space and duplicate
/// headers), and the older portal / PowerShell layout (`CreatedDateTime, UserPrincipalName,
/// IPAddress, …`, culture-dependent dates read month first, as en-US writes them, with the
/// ambiguity recorded). Status gives login or login_failed. Reference: login-exports.md §7.1.
public struct EntraSignInParser: LogParser {
    public static let formatID = "entra_signin"
    public static let accountScope = AccountScope.namedAccounts
    public static let displayName = "Microsoft Entra ID sign-in log (CSV)"
    public static let version = "1"
    public static let reads =
        "InteractiveSignIns_*.csv, NonInteractiveSignIns_*.csv and older CreatedDateTime/UserPrincipalName CSVs"

    static let date = ["Date (UTC)", "CreatedDateTime", "Date"]
    static let ip = ["IP address", "IPAddress"]
    static let user = ["Username", "UserPrincipalName", "User"]
    static let status = ["Status"]
    static let agent = ["User agent"]
    static let extra: [(String, [String])] = [
        ("application", ["Application", "AppDisplayName"]), ("location", ["Location"]), ("city", ["City"]),
        ("country", ["Country"]), ("client_app", ["Client app", "ClientAppUsed"]), ("browser", ["Browser"]),
        ("os", ["Operating System", "OS"]), ("device_id", ["Device ID"]), ("error_code", ["Sign-in error code"]),
        ("failure_reason", ["Failure reason"]), ("ip_seen_by_resource", ["IP address (seen by resource)"]),
        ("asn", ["Autonomous system number"]), ("session_id", ["Session ID"]), ("request_id", ["Request ID"]),
        ("mfa_result", ["Multifactor authentication result"]), ("conditional_access", ["Conditional Access"]),
    ]

    public init(options: ParseOptions) {}

    public static func recognize(_ sample: FormatSample) -> Int {
        guard let first = sample.lines(limit: 1).first else { return 0 }
        let header = CSVHeader(String(first).split(separator: ",").map { $0.trimming("\"") })
        if header.names.first?.trimming("\" \u{FEFF}") == "Date (UTC)" && header.column(ip) != nil { return 95 }
        if header.column(["CreatedDateTime"]) != nil && header.column(["UserPrincipalName"]) != nil && header.column(ip) != nil {
            return 85
        }
        return 0
    }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        guard var rows = try CSVRecords(source, evidence: evidence, sink: sink) else { return summary }
        let h = rows.header
        let (dateColumn, ipColumn, userColumn, statusColumn, agentColumn) = (
            h.column(Self.date), h.column(Self.ip), h.column(Self.user), h.column(Self.status), h.column(Self.agent)
        )
        let extras = Self.extra.map { ($0.0, h.column($0.1)) }
        while let (record, locator) = try rows.next() {
            summary.records += 1
            guard let text = rows.value(record, dateColumn),
                let time = Timestamp.parseISO8601(text) ?? Timestamp.parseCultureDate(text, dayFirst: false)
            else {
                summary.malformed += 1
                sink.warn(
                    ParseWarning(locator: locator, message: "no readable sign-in date", excerpt: rows.value(record, dateColumn)))
                continue
            }
            let ipText = rows.value(record, ipColumn)
            let endpoint = ipText.flatMap { IPAddress.parseEndpoint($0) }
            var fields: [String: String] = [:]
            for (key, column) in extras { if let v = rows.value(record, column) { fields[key] = v } }
            let status = rows.value(record, statusColumn)
            let action: Action =
                switch status?.lowercased() {
                case "success": .login
                case "failure": .loginFailed
                default: fields["error_code"].map { $0 == "0" ? Action.login : .loginFailed } ?? .other
                }
            try sink.accept(
                .access(
                    AccessEvent(
                        format: Self.formatID, time: time, action: action, rawAction: status.map { "sign-in \($0)" } ?? "sign-in",
                        ip: endpoint?.address, ipRaw: endpoint?.address.description == ipText ? nil : ipText,
                        port: endpoint?.port,
                        account: rows.value(record, userColumn), userAgent: rows.value(record, agentColumn), fields: fields,
                        locator: locator)))
        }
        return summary
    }
}
