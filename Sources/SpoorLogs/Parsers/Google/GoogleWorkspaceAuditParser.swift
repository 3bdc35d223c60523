import SpoorCore

/// Google Workspace audit activities from the Admin SDK Reports API (`activities.list` for the
/// `login`, `admin`, `token`, `user_accounts`, `drive` and `takeout` applications): one JSON
/// document `{kind: "admin#reports#activities", items: [...]}`, a JSON list of activities, or one
/// activity per line (as GAM and log shippers write them). Each activity is
/// `{id: {time, uniqueQualifier, applicationName}, actor: {email, profileId}, ipAddress,
/// events: [{type, name, parameters: [{name, value | boolValue | intValue | multiValue}]}]}`,
/// and each of its events is one record. Reference: login-exports.md §4.4.
public struct GoogleWorkspaceAuditParser: LogParser {
    public static let formatID = "google_workspace_audit"
    public static let accountScope = AccountScope.namedAccounts
    public static let displayName = "Google Workspace audit activities (Reports API JSON)"
    public static let version = "1"
    public static let reads =
        "Admin SDK Reports API activities (login, admin, token, user_accounts, drive, takeout) as a JSON document, a list or JSON lines"

    public init(options: ParseOptions) {}

    public static func recognize(_ sample: FormatSample) -> Int {
        let head = String(decoding: sample.head.prefix(4096), as: UTF8.self)
        if head.contains("admin#reports#activit") { return 95 }
        if head.contains("\"applicationName\""), head.contains("\"uniqueQualifier\""), head.contains("\"events\"") { return 90 }
        return 0
    }

    /// Event names read as actions, by application (names compared in lower case).
    static let named: [String: Action] = [
        "login_success": .login, "login_failure": .loginFailed, "logout": .logout,
        "password_edit": .passwordChange, "password_change": .passwordChange,
        "2sv_enroll": .twoFactorChange, "2sv_disable": .twoFactorChange, "titanium_enroll": .twoFactorChange,
        "titanium_unenroll": .twoFactorChange, "recovery_email_edit": .recoveryChange,
        "recovery_phone_edit": .recoveryChange, "recovery_secret_qa_edit": .recoveryChange,
        "recovery_info_change": .recoveryChange, "gov_attack_warning": .attackWarning,
        "suspicious_login": .attackWarning, "suspicious_login_less_secure_app": .attackWarning,
        "suspicious_programmatic_login": .attackWarning, "email_forwarding_out_of_domain": .mailForwarding,
        "email_forwarding_change": .mailForwarding, "authorize": .appAccess, "app_password_creation": .appAccess,
        "add_to_trusted_oauth2_apps": .appAccess, "authorize_api_client_access": .appAccess,
        "assign_role": .appAccess, "grant_admin_privilege": .appAccess, "grant_delegated_admin_privileges": .appAccess,
        "unassign_role": .deletion, "revoke_admin_privilege": .deletion, "delete": .deletion, "trash": .deletion,
    ]

    /// The parameters that say what an event was about, in the order they are preferred.
    static let targetParameters = [
        "email_forwarding_destination_address", "app_name", "APP_NAME", "OAUTH2_APP_NAME", "USER_EMAIL", "GROUP_EMAIL",
        "ROLE_NAME", "doc_title", "client_id",
    ]

    static func action(application: String, name: String) -> Action {
        let lower = name.lowercased()
        if let action = named[lower] { return action }
        if application.lowercased() == "takeout" || lower.contains("takeout") { return .dataExport }
        if lower.contains("delete") { return .deletion }
        if lower.contains("forwarding") { return .mailForwarding }
        return .other
    }

    /// A parameter's value as text: `value`, `intValue`, `boolValue`, or `multiValue` joined.
    static func text(_ parameter: JSONValue) -> String? {
        for key in ["value", "intValue", "boolValue"] {
            if let text = parameter[key]?.scalarText { return text }
        }
        if let list = parameter["multiValue"]?.array ?? parameter["multiStrValue"]?.array {
            return list.compactMap(\.scalarText).joined(separator: ", ")
        }
        return nil
    }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        let bytes = try source.readAll()
        let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }
        // One document (an object with items, or a list) unless the first line is a whole activity.
        var lines: [ArraySlice<UInt8>] = []
        if first == UInt8(ascii: "{") {
            lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        }
        if lines.count > 1, let one = lines.first, (try? JSONValue.parse(Array(one)))?["id"] != nil {
            for (number, line) in lines.enumerated() where line.contains(where: { $0 > 0x20 }) {
                let locator = Locator(evidence: evidence, position: .line(number + 1))
                do {
                    let activity = try JSONValue.parse(Array(line))
                    try read(activity, locator: { _ in locator }, summary: &summary, sink: sink)
                } catch let error as JSONParseError {
                    summary.records += 1
                    summary.malformed += 1
                    sink.warn(
                        ParseWarning(locator: locator, message: "not valid JSON at column \(error.column): \(error.message)"))
                }
            }
            return summary
        }
        guard
            let document = try JSONRecords.document(
                MemoryByteSource(bytes), evidence: evidence, sink: sink, summary: &summary)
        else { return summary }
        let (items, prefix): ([JSONValue]?, String) =
            document.array != nil ? (document.array, "") : (document["items"]?.array ?? [], "/items")
        guard let items else { return summary }
        for (index, activity) in items.enumerated() {
            try read(
                activity,
                locator: { event in
                    Locator(evidence: evidence, position: .jsonPointer("\(prefix)/\(index)/events/\(event)"))
                }, summary: &summary, sink: sink)
        }
        return summary
    }

    /// Each event of one activity, as a record.
    private func read(
        _ activity: JSONValue, locator: (Int) -> Locator, summary: inout ParseSummary, sink: any ObservationSink
    ) throws {
        let application = activity["id"]?["applicationName"]?.string ?? ""
        guard let timeText = activity["id"]?["time"]?.string, let time = Timestamp.parseISO8601(timeText) else {
            summary.records += 1
            summary.malformed += 1
            sink.warn(ParseWarning(locator: locator(0), message: "activity without a readable id.time"))
            return
        }
        let (ip, raw, port) = JSONRecords.address(activity["ipAddress"])
        let account = activity["actor"]?["email"]?.string ?? activity["actor"]?["profileId"]?.scalarText
        let events = activity["events"]?.array ?? []
        if events.isEmpty {
            summary.records += 1
            summary.ignored += 1
        }
        for (number, event) in events.enumerated() {
            summary.records += 1
            let name = event["name"]?.string ?? ""
            var fields: [String: String] = ["application": application]
            if let type = event["type"]?.string { fields["event_type"] = type }
            var byName: [String: String] = [:]
            for parameter in (event["parameters"]?.array ?? []).prefix(40) {
                guard let key = parameter["name"]?.string, let value = Self.text(parameter) else { continue }
                byName[key] = value
                fields[key] = value
            }
            if let target = Self.targetParameters.lazy.compactMap({ byName[$0] }).first(where: { !$0.isEmpty }) {
                fields["target"] = target
            }
            let action = Self.action(application: application, name: name)
            try sink.accept(
                .access(
                    AccessEvent(
                        format: Self.formatID, time: time, action: action, rawAction: name.isEmpty ? nil : name, ip: ip,
                        ipRaw: raw, port: port, account: account, fields: fields, locator: locator(number))))
        }
    }
}
