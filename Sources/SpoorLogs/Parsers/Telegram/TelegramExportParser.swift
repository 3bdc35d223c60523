import SpoorCore

/// Telegram Desktop's machine-readable export, `result.json`: `sessions` (apps signed in to the
/// account) and `web_sessions` (websites logged in with Telegram). Times come from the
/// `*_unixtime` fields only; `created`/`last_active` are the exporting computer's local time
/// without an offset and are kept as written. Reference: login-exports.md §6.
public struct TelegramExportParser: LogParser {
    public static let formatID = "telegram"
    public static let accountScope = AccountScope.exportedAccount
    public static let displayName = "Telegram Desktop export (result.json sessions)"
    public static let version = "1"
    public static let reads = "result.json with the \"Active sessions\" option ticked (sessions and web_sessions lists)"

    public init(options: ParseOptions) {}

    public static func recognize(_ sample: FormatSample) -> Int {
        let head = String(decoding: sample.head.prefix(8192), as: UTF8.self)
        guard head.drop(while: { $0.isWhitespace }).first == "{" else { return 0 }
        let telegramKeys = ["\"personal_information\"", "\"frequent_contacts\"", "\"web_sessions\"", "\"left_chats\""]
        let hits = telegramKeys.filter { head.contains($0) }.count
        if sample.fileName == "result.json" && (hits >= 1 || head.contains("\"sessions\"")) { return 90 }
        return hits >= 2 ? 75 : 0
    }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        guard let document = try JSONRecords.document(source, evidence: evidence, sink: sink, summary: &summary) else {
            return summary
        }
        var foundList = false
        for key in ["sessions", "web_sessions"] {
            guard let list = document[key]?["list"]?.array else { continue }
            foundList = true
            for (index, session) in list.enumerated() {
                summary.records += 1
                let locator = Locator(evidence: evidence, position: .jsonPointer("/\(key)/list/\(index)"))
                let (ip, raw, _) = JSONRecords.address(session["last_ip"])
                var fields: [String: String] = ["list": key]
                for name in [
                    "last_country", "last_region", "application_name", "application_version", "device_model",
                    "platform", "system_version", "browser", "bot_username", "domain_name", "created", "last_active",
                ] {
                    if let value = session[name]?.scalarText { fields[name] = value }
                }
                let label = key == "sessions" ? "session" : "web session"
                var any = false
                if let created = JSONRecords.unixTime(session["created_unixtime"]) {
                    any = true
                    // The address Telegram gives is the session's last one, not the one it was created from.
                    try sink.accept(
                        .access(
                            AccessEvent(
                                format: Self.formatID, time: created, action: .sessionStart, rawAction: "\(label) created",
                                fields: fields.merging(["last_ip": session["last_ip"]?.scalarText ?? ""]) { a, _ in a },
                                locator: locator)))
                }
                if let active = JSONRecords.unixTime(session["last_active_unixtime"]) {
                    any = true
                    try sink.accept(
                        .access(
                            AccessEvent(
                                format: Self.formatID, time: active, action: .sessionActive, rawAction: "\(label) last active",
                                ip: ip, ipRaw: raw, fields: fields, locator: locator)))
                }
                if !any {
                    summary.malformed += 1
                    sink.warn(ParseWarning(locator: locator, message: "session without created_unixtime or last_active_unixtime"))
                }
            }
        }
        if !foundList {
            sink.warn(
                ParseWarning(
                    locator: Locator(evidence: evidence, position: .jsonPointer("")),
                    message: "this export has no sessions: re-export with \"Active sessions\" ticked under Other"))
        }
        return summary
    }
}
