import SpoorCore

/// Microsoft 365 Unified Audit Log exported as CSV, in the PowerShell layout
/// (`[RecordType,]CreationDate,UserIds,Operations,AuditData`) and the Purview portal layout
/// (`RecordId,CreationDate,RecordType,Operation,UserId,AuditData,…`). The address comes from
/// AuditData's `ClientIP`, else `ClientIPAddress`, else `ActorIpAddress`, with ports and `::ffff:`
/// removed; the time from AuditData's `CreationTime` (UTC by Microsoft's schema), else the
/// `CreationDate` cell. An export of exactly 50,000 rows is flagged: the portal stops there.
/// Reference: login-exports.md §7.2.
public struct UnifiedAuditLogParser: LogParser {
    public static let formatID = "m365_unified_audit_log"
    public static let accountScope = AccountScope.namedAccounts
    public static let displayName = "Microsoft 365 Unified Audit Log (CSV)"
    public static let version = "1"
    public static let reads = "Search-UnifiedAuditLog and Purview audit CSV exports (AuditData JSON column)"

    static let truncationLimit = 50_000

    static let operations: [String: Action] = [
        "userloggedin": .login, "userloginfailed": .loginFailed, "change user password.": .passwordChange,
        "reset user password.": .passwordChange, "change password (self-service)": .passwordChange,
        "reset password (self-service)": .passwordChange, "update user.": .other, "userloggedout": .logout,
        "register security info": .twoFactorChange, "user registered security info": .twoFactorChange,
        "user deleted security info": .twoFactorChange, "add registered owner to device.": .deviceAdded,
        "add device.": .deviceAdded,
        // Grants of access that outlive a password change.
        "consent to application.": .appAccess, "add delegated permission grant.": .appAccess,
        "add app role assignment grant to user.": .appAccess, "add-mailboxpermission": .appAccess,
        "add-recipientpermission": .appAccess, "add-mailboxfolderpermission": .appAccess,
        "set-mailboxfolderpermission": .appAccess,
        // Copies of mailbox and site content made by eDiscovery.
        "searchexported": .dataExport, "searchexportdownloaded": .dataExport, "viewedsearchexported": .dataExport,
        "updateinboxrules": .mailForwarding,
        "remove-mailbox": .deletion, "delete user.": .deletion, "delete group.": .deletion,
        "remove member from role.": .deletion, "hard delete user.": .deletion,
    ]

    /// Inbox rule and mailbox parameters that send mail elsewhere or delete it, in the order
    /// their values are preferred as the record's target.
    static let forwardingParameters = [
        "ForwardTo", "ForwardAsAttachmentTo", "RedirectTo", "ForwardingSmtpAddress", "ForwardingAddress", "DeleteMessage",
        "SoftDeleteMessage",
    ]

    /// Where a `New-InboxRule`, `Set-InboxRule` or `Set-Mailbox` sends mail (or
    /// `DeleteMessage=True`) when its parameters forward, redirect or delete; nil otherwise.
    static func forwarding(_ operation: String, parameters: [String: String]) -> String? {
        guard ["new-inboxrule", "set-inboxrule", "set-mailbox"].contains(operation) else { return nil }
        for name in forwardingParameters {
            guard let value = parameters[name], !value.isEmpty, value.lowercased() != "false" else { continue }
            return name.hasSuffix("DeleteMessage") ? "\(name)=\(value)" : value
        }
        return nil
    }

    public init(options: ParseOptions) {}

    public static func recognize(_ sample: FormatSample) -> Int {
        guard let first = sample.lines(limit: 1).first else { return 0 }
        let header = CSVHeader(String(first).split(separator: ",").map { $0.trimming("\" \u{FEFF}") })
        guard header.column(["AuditData"]) != nil, header.column(["CreationDate"]) != nil else { return 0 }
        return 95
    }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        guard var rows = try CSVRecords(source, evidence: evidence, sink: sink) else { return summary }
        let h = rows.header
        let (auditColumn, dateColumn, operationColumn, userColumn) = (
            h.column(["AuditData"]), h.column(["CreationDate"]), h.column(["Operation", "Operations"]),
            h.column(["UserId", "UserIds"])
        )
        var dataRows = 0
        var lastLocator: Locator? = nil
        while let (record, locator) = try rows.next() {
            summary.records += 1
            dataRows += 1
            lastLocator = locator
            var audit: JSONValue? = nil
            if let text = rows.value(record, auditColumn) {
                do {
                    audit = try JSONValue.parse(Array(text.utf8))
                } catch {
                    sink.warn(ParseWarning(locator: locator, message: "AuditData is not valid JSON (\(error.description))"))
                }
            }
            let creation = audit?["CreationTime"]?.string.flatMap(Timestamp.parseISO8601)?
                .assumingUTC(because: "Microsoft's audit schema gives CreationTime in UTC")
            let cell = rows.value(record, dateColumn)
            guard
                let time = creation
                    ?? cell.flatMap({ Timestamp.parseISO8601($0) ?? Timestamp.parseCultureDate($0, dayFirst: false) })
            else {
                summary.malformed += 1
                sink.warn(ParseWarning(locator: locator, message: "no readable CreationTime or CreationDate", excerpt: cell))
                continue
            }
            let operation = audit?["Operation"]?.string ?? rows.value(record, operationColumn) ?? ""
            let ipText = ["ClientIP", "ClientIPAddress", "ActorIpAddress"].lazy.compactMap { audit?[$0]?.scalarText }
                .first { !$0.isEmpty }
            let endpoint = ipText.flatMap { IPAddress.parseEndpoint($0) }
            var fields: [String: String] = [:]
            for key in ["Workload", "RecordType", "ResultStatus", "ApplicationId", "ObjectId", "LogonError"] {
                if let v = audit?[key]?.scalarText, !v.isEmpty { fields[key.lowercased()] = v }
            }
            var userAgent: String? = nil
            for list in ["ExtendedProperties", "DeviceProperties"] {
                for item in audit?[list]?.array ?? [] {
                    guard let name = item["Name"]?.string, let value = item["Value"]?.scalarText else { continue }
                    if name == "UserAgent" { userAgent = value } else { fields[name] = value }
                }
            }
            var action = Self.operations[operation.lowercased()] ?? .other
            if action == .login, fields["resultstatus"]?.lowercased() == "failed" { action = .loginFailed }
            var parameters: [String: String] = [:]
            for item in (audit?["Parameters"]?.array ?? []).prefix(60) {
                if let name = item["Name"]?.string, let value = item["Value"]?.scalarText { parameters[name] = value }
            }
            if let target = Self.forwarding(operation.lowercased(), parameters: parameters) {
                action = .mailForwarding
                fields["target"] = target
                if let name = parameters["Name"] { fields["rule_name"] = name }
            }
            if action == .appAccess || action == .deletion || action == .dataExport, fields["target"] == nil {
                let named = ["User", "Trustee", "Identity"].lazy.compactMap { parameters[$0] }.first
                if let target = named ?? fields["objectid"] { fields["target"] = target }
            }
            try sink.accept(
                .access(
                    AccessEvent(
                        format: Self.formatID, time: time, action: action, rawAction: operation.isEmpty ? nil : operation,
                        ip: endpoint?.address, ipRaw: endpoint?.address.description == ipText ? nil : ipText,
                        port: endpoint?.port,
                        account: audit?["UserId"]?.string ?? rows.value(record, userColumn), userAgent: userAgent, fields: fields,
                        locator: locator)))
        }
        if dataRows == Self.truncationLimit, let lastLocator {
            sink.warn(
                ParseWarning(
                    locator: lastLocator,
                    message:
                        "exactly \(Self.truncationLimit) rows: the portal stops exports there, so this export is probably truncated"
                ))
        }
        return summary
    }
}
