import SpoorCore

/// Instagram "Download Your Information" JSON: login, logout and password-change activity,
/// signup details and devices, in the `string_map_data` layout (2021+, labels in any case and
/// in the documented languages, mojibake repaired in keys and values) and the single-file
/// `account_history.json` layout (pre-2021). The action comes from the root key, not from the
/// labels. Reference: login-exports.md §3.
public struct InstagramParser: LogParser {
    public static let formatID = "instagram"
    public static let accountScope = AccountScope.exportedAccount
    public static let displayName = "Instagram Download Your Information (login activity JSON)"
    public static let version = "1"
    public static let reads =
        "login_and_account_creation/ or login_and_profile_creation/ {login_activity, logout_activity, password_change_activity, signup_details}.json, devices.json, pre-2021 account_history.json"

    static let roots: [(key: String, action: Action)] = [
        ("account_history_login_history", .login), ("account_history_logout_history", .logout),
        ("account_history_password_change_history", .passwordChange), ("account_history_registration_info", .accountCreated),
        ("devices_devices", .deviceAdded),
    ]
    static let legacyRoots: [(key: String, action: Action)] = [
        ("login_history", .login), ("logout_history", .logout), ("password_change_history", .passwordChange),
        ("registration_info", .accountCreated),
    ]

    /// Label aliases, lower-cased, after the mojibake repair.
    static let ipLabels: Set<String> = [
        "ip address", "ip-adresse", "ip adresi", "ip 주소", "adresse ip", "dirección ip", "indirizzo ip", "endereço ip",
    ]
    static let timeLabels: Set<String> = ["time", "zeit", "zaman", "시간", "heure", "hora", "ora", "last login"]
    static let userAgentLabels: Set<String> = ["user agent", "kullanıcı aracısı", "사용자 에이전트", "agent utilisateur"]
    static let cookieLabels: Set<String> = ["cookie name", "çerez adı"]

    public init(options: ParseOptions) {}

    public static func recognize(_ sample: FormatSample) -> Int {
        let head = String(decoding: sample.head.prefix(4096), as: UTF8.self)
        if roots.contains(where: { head.contains("\"\($0.key)\"") }) { return 95 }
        if sample.fileName == "account_history.json", head.contains("\"login_history\"") { return 90 }
        return 0
    }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        guard let raw = try JSONRecords.document(source, evidence: evidence, sink: sink, summary: &summary) else {
            return summary
        }
        let document = raw.mappingStrings(MetaText.repair)
        for (key, action) in Self.roots + Self.legacyRoots {
            guard let value = document[key] else { continue }
            // Registration info is one object, not a list.
            let records = value.array ?? [value]
            for (index, record) in records.enumerated() {
                summary.records += 1
                let pointer = value.array == nil ? "/\(key)" : "/\(key)/\(index)"
                let locator = Locator(evidence: evidence, position: .jsonPointer(pointer))
                let event =
                    record["string_map_data"] != nil
                    ? Self.event(stringMap: record, action: action, locator: locator)
                    : Self.event(legacy: record, action: action, locator: locator)
                guard let event else {
                    summary.malformed += 1
                    sink.warn(ParseWarning(locator: locator, message: "record has no readable time"))
                    continue
                }
                try sink.accept(.access(event))
            }
        }
        return summary
    }

    /// A `string_map_data` record: labels found by alias, then by the shape of their values.
    static func event(stringMap record: JSONValue, action: Action, locator: Locator) -> AccessEvent? {
        var ip: (IPAddress?, String?, UInt16?) = (nil, nil, nil)
        var time: Timestamp? = nil
        var port: UInt16? = nil
        var userAgent: String? = nil
        var fields: [String: String] = [:]
        for (label, entry) in record["string_map_data"]?.members ?? [] {
            let name = label.lowercased().trimming(" ")
            let value = entry["value"]?.string ?? ""
            let stamp = JSONRecords.unixTime(entry["timestamp"])
            if ipLabels.contains(name) || (ip.0 == nil && !value.isEmpty && IPAddress.parseEndpoint(value) != nil) {
                ip = JSONRecords.address(.string(value))
            } else if timeLabels.contains(name), let stamp {
                time = stamp
            } else if name == "port" {
                port = JSONRecords.port(.string(value))
            } else if userAgentLabels.contains(name) || value.hasPrefix("Mozilla/") || value.hasPrefix("Instagram ")
                || value.hasPrefix("Barcelona ")
            {
                userAgent = value.isEmpty ? nil : value
            } else if cookieLabels.contains(name) {
                fields["cookie"] = value
            } else if !value.isEmpty {
                fields[name] = value
            } else if time == nil, let stamp {
                time = stamp
            }
        }
        if time == nil, let title = record["title"]?.string, !title.isEmpty { time = Timestamp.parseISO8601(title) }
        guard let time else { return nil }
        return AccessEvent(
            format: formatID, time: time, action: action, rawAction: action.rawValue, ip: ip.0, ipRaw: ip.1,
            port: port ?? ip.2, userAgent: userAgent, fields: fields, locator: locator)
    }

    /// A pre-2021 `account_history.json` record with plain keys and ISO times.
    static func event(legacy record: JSONValue, action: Action, locator: Locator) -> AccessEvent? {
        let timeText = record["timestamp"]?.string ?? record["registration_time"]?.string
        guard let time = timeText.flatMap(Timestamp.parseISO8601) ?? JSONRecords.unixTime(record["timestamp"]) else { return nil }
        let (ip, raw, port) = JSONRecords.address(record["ip_address"])
        var fields: [String: String] = [:]
        for key in ["cookie_name", "language_code", "device_id", "device_name"] {
            if let v = record[key]?.scalarText, !v.isEmpty { fields[key] = v }
        }
        return AccessEvent(
            format: formatID, time: time, action: action, rawAction: action.rawValue, ip: ip, ipRaw: raw, port: port,
            userAgent: record["user_agent"]?.string, fields: fields, locator: locator)
    }
}
