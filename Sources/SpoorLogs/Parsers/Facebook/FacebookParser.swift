import SpoorCore

/// Facebook "Download Your Information" JSON files from `security_and_login_information/`:
/// account activity, logins and logouts, where you're logged in, IP address activity, login
/// protection, recognised devices, administrative records and mobile devices, in the 2019–2020
/// keys and the `_v2` keys (both may be mixed in one export). Meta's mojibake is repaired in
/// keys and values before anything is looked up. Reference: login-exports.md §2.
public struct FacebookParser: LogParser {
    public static let formatID = "facebook"
    public static let accountScope = AccountScope.exportedAccount
    public static let displayName = "Facebook Download Your Information (security and login JSON)"
    public static let version = "1"
    public static let reads =
        "security_and_login_information/*.json: account_activity, logins_and_logouts, where_you're_logged_in, ip_address_activity, login_protection_data, recognized_devices, record_details, mobile_devices (and their 2018–2020 names)"

    /// Root keys this parser reads, each with its pre-2021 form.
    static let roots = [
        "account_activity", "account_accesses", "active_sessions", "used_ip_address", "login_protection_data",
        "recognized_devices", "admin_records", "devices",
    ]

    static let fileNames: Set<String> = [
        "account_activity.json", "logins_and_logouts.json", "where_you're_logged_in.json",
        "where_you\u{2019}re_logged_in.json", "where_you_re_logged_in.json", "ip_address_activity.json",
        "used_ip_addresses.json", "login_protection_data.json", "recognized_devices.json", "authorized_logins.json",
        "record_details.json", "administrative_records.json", "mobile_devices.json",
    ]

    public init(options: ParseOptions) {}

    public static func recognize(_ sample: FormatSample) -> Int {
        let head = String(decoding: sample.head.prefix(4096), as: UTF8.self)
        let hasRoot = roots.contains { head.contains("\"\($0)_v2\"") || head.contains("\"\($0)\"") }
        guard head.drop(while: { $0.isWhitespace || $0 == "\u{FEFF}" }).first == "{", hasRoot else { return 0 }
        let knownName = fileNames.contains(sample.fileName.lowercased())
        let inFolder = sample.path.contains("security_and_login_information/")
        return knownName || inFolder ? 95 : 70
    }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        guard let raw = try JSONRecords.document(source, evidence: evidence, sink: sink, summary: &summary) else {
            return summary
        }
        let document = raw.mappingStrings(MetaText.repair)
        guard let members = document.members else {
            summary.records += 1
            summary.malformed += 1
            sink.warn(
                ParseWarning(locator: Locator(evidence: evidence, position: .jsonPointer("")), message: "expected a JSON object"))
            return summary
        }
        for (key, value) in members {
            let base = key.hasSuffix("_v2") ? String(key.dropLast(3)) : key
            guard Self.roots.contains(base) else {
                summary.ignored += 1
                continue
            }
            guard let records = value.array else {
                summary.malformed += 1
                sink.warn(
                    ParseWarning(
                        locator: Locator(evidence: evidence, position: .jsonPointer("/" + JSONValue.pointerToken(key))),
                        message: "expected a list under '\(key)'"))
                continue
            }
            for (index, record) in records.enumerated() {
                summary.records += 1
                let locator = Locator(evidence: evidence, position: .jsonPointer("/\(JSONValue.pointerToken(key))/\(index)"))
                guard record.members != nil else {
                    summary.malformed += 1
                    sink.warn(ParseWarning(locator: locator, message: "expected an object in '\(key)'"))
                    continue
                }
                let events = Self.events(root: base, record: record, locator: locator)
                if events.isEmpty {
                    summary.malformed += 1
                    sink.warn(ParseWarning(locator: locator, message: "record has no time", excerpt: nil))
                }
                for event in events { try sink.accept(.access(event)) }
            }
        }
        return summary
    }

    /// Localised `action` texts seen in exports, lower-cased.
    static let actions: [String: Action] = [
        "login": .login, "anmelden": .login, "log in": .login, "connexion": .login,
        "log out": .logout, "logout": .logout, "abmelden": .logout, "déconnexion": .logout,
        "session updated": .sessionActive, "web session terminated": .sessionEnd,
        "mobile session terminated": .sessionEnd, "password change": .passwordChange,
        "password changed": .passwordChange, "email added": .emailChange, "email changed": .emailChange,
        "login failed": .loginFailed, "failed login": .loginFailed,
    ]

    static func action(_ text: String?, default fallback: Action) -> Action {
        guard let text else { return fallback }
        let lower = text.lowercased().trimming(" ")
        return actions[lower] ?? ActionWords.takeover(lower) ?? .other
    }

    static func events(root: String, record: JSONValue, locator: Locator) -> [AccessEvent] {
        func event(_ action: Action, _ raw: String?, time: JSONValue?, ipField: JSONValue?, fields: [String: String])
            -> AccessEvent?
        {
            guard let time = JSONRecords.unixTime(time) else { return nil }
            let (ip, ipRaw, embeddedPort) = JSONRecords.address(ipField)
            var all = fields
            for key in [
                "city", "region", "country", "site_name", "site", "datr_cookie", "device", "location", "app", "session_type",
                "name",
            ] {
                if let value = record[key]?.scalarText, !value.isEmpty, all[key] == nil { all[key] = value }
            }
            return AccessEvent(
                format: formatID, time: time, action: action, rawAction: raw, ip: ip, ipRaw: ipRaw,
                port: JSONRecords.port(record["port"]) ?? embeddedPort,
                userAgent: record["user_agent"]?.string.flatMap { $0.isEmpty ? nil : $0 }, fields: all, locator: locator)
        }
        let actionText = record["action"]?.string
        switch root {
        case "account_activity", "account_accesses":
            let e = event(
                action(actionText, default: .other), actionText, time: record["timestamp"], ipField: record["ip_address"],
                fields: [:])
            return e.map { [$0] } ?? []
        case "used_ip_address":
            let e = event(
                action(actionText, default: .login), actionText ?? "IP address used", time: record["timestamp"],
                ipField: record["ip"] ?? record["ip_address"], fields: [:])
            return e.map { [$0] } ?? []
        case "active_sessions":
            return [
                event(
                    .sessionStart, "session created", time: record["created_timestamp"], ipField: record["ip_address"],
                    fields: [:]),
                event(
                    .sessionActive, "session updated", time: record["updated_timestamp"], ipField: record["ip_address"],
                    fields: [:]),
            ].compactMap { $0 }
        case "recognized_devices":
            return [
                event(
                    .deviceAdded, "device recognised", time: record["created_timestamp"], ipField: record["ip_address"],
                    fields: [:]),
                event(
                    .sessionActive, "device last used", time: record["updated_timestamp"], ipField: record["ip_address"],
                    fields: [:]),
            ].compactMap { $0 }
        case "login_protection_data":
            let session = record["session"]
            let name = record["name"]?.string ?? ""
            let ipField = session?["ip_address"] ?? embeddedAddress(name).map { JSONValue.string($0) }
            return [
                event(
                    .sessionStart, "login protection: session created", time: session?["created_timestamp"], ipField: ipField,
                    fields: [:]),
                event(
                    .sessionActive, "login protection: session updated", time: session?["updated_timestamp"], ipField: ipField,
                    fields: [:]),
            ].compactMap { $0 }
        case "admin_records":
            let session = record["session"]
            let eventText = record["event"]?.string
            var kind = action(eventText, default: .other)
            var fields: [String: String] = [:]
            if let extra = record["extra_info"]?.members {
                for (key, value) in extra { if let text = value.scalarText { fields[key] = text } }
                if kind == .other, fields["new_email"] != nil { kind = .emailChange }
            }
            if let ua = session?["user_agent"]?.string { fields["session_user_agent"] = ua }
            if let datr = session?["datr_cookie"]?.string, !datr.isEmpty { fields["datr_cookie"] = datr }
            var e = event(
                kind, eventText, time: session?["created_timestamp"] ?? record["timestamp"],
                ipField: session?["ip_address"], fields: fields)
            if e?.userAgent == nil { e?.userAgent = session?["user_agent"]?.string }
            return e.map { [$0] } ?? []
        case "devices":
            var fields: [String: String] = [:]
            for key in ["type", "os", "device_locale"] { if let v = record[key]?.scalarText { fields[key] = v } }
            let e = event(.deviceAdded, "mobile device", time: record["update_time"], ipField: nil, fields: fields)
            return e.map { [$0] } ?? []
        default:
            return []
        }
    }

    /// The address in a login-protection label such as `IP address: 192.0.2.10` or
    /// `IP-Adresse: 2001:db8::1`, whatever the label's language: the last token shaped like one.
    static func embeddedAddress(_ text: String) -> String? {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" }).reversed()
            .map { $0.trimming(",;") }
            .first { IPAddress.parseEndpoint($0) != nil }
    }
}
