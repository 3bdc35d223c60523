import SpoorCore

/// cPanel's `login_log` (old `MM/DD/YYYY` style and new `[YYYY-MM-DD …]` style, with
/// `(possessor: …)`) and `session_log` (`NEW`, `PURGE`, `EXPIRED`). Reference: login-exports.md §9.4.
public struct CPanelLogParser: LogParser {
    public static let formatID = "cpanel"
    public static let accountScope = AccountScope.namedAccounts
    public static let displayName = "cPanel login_log and session_log"
    public static let version = "1"
    public static let reads = "/usr/local/cpanel/logs/login_log and session_log"

    public init(options: ParseOptions) {}

    public static func recognize(_ sample: FormatSample) -> Int {
        let lines = sample.lines(limit: 20)
        guard !lines.isEmpty else { return 0 }
        let hits = lines.filter { line in
            (line.contains(" LOGIN ") && (line.contains("FAILED") || line.contains("SUCCESS")))
                || (line.hasPrefix("[") && line.contains("] info [")
                    && (line.contains(" NEW ") || line.contains(" PURGE ") || line.contains(" EXPIRED ")))
        }.count
        guard hits * 2 >= lines.count else { return 0 }
        return sample.fileName.contains("login_log") || sample.fileName.contains("session_log") ? 95 : 80
    }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        var reader = LineReader(source)
        while let line = try reader.next() {
            if line.text.allSatisfy(\.isWhitespace) { continue }
            summary.records += 1
            let locator = Locator(evidence: evidence, position: .line(line.number))
            if let event = Self.newStyle(Substring(line.text), locator) ?? Self.oldStyle(Substring(line.text), locator) {
                try sink.accept(.access(event))
            } else {
                summary.malformed += 1
                sink.warn(
                    ParseWarning(locator: locator, message: "not a cPanel login_log or session_log line", excerpt: line.text))
            }
        }
        return summary
    }

    /// `[YYYY-MM-DD HH:MM:SS ±zzzz] info [<daemon>] <ip> …`
    static func newStyle(_ line: Substring, _ locator: Locator) -> AccessEvent? {
        guard line.first == "[", let close = line.firstIndex(of: "]"),
            let time = Timestamp.parseISO8601(String(line[line.index(after: line.startIndex)..<close]))
        else { return nil }
        var rest = line[line.index(after: close)...].drop { $0 == " " }
        guard let level = rest.takeToken(), !level.isEmpty, rest.first == "[", let daemonEnd = rest.firstIndex(of: "]") else {
            return nil
        }
        let daemon = String(rest[rest.index(after: rest.startIndex)..<daemonEnd])
        rest = rest[rest.index(after: daemonEnd)...].drop { $0 == " " }
        guard let ipText = rest.takeToken() else { return nil }
        let endpoint = IPAddress.parseEndpoint(ipText)
        var fields = ["daemon": daemon]
        // session_log: `<ip> NEW|PURGE|EXPIRED <user>:<session> …`
        if let verb = rest.takeToken(), ["NEW", "PURGE", "EXPIRED", "PREAUTH"].contains(verb) {
            let userSession = rest.takeToken() ?? ""
            let user = userSession.split(separator: ":").first.map(String.init)
            if !rest.isEmpty { fields["detail"] = String(rest) }
            let action: Action = verb == "NEW" ? .sessionStart : verb == "PREAUTH" ? .other : .sessionEnd
            return AccessEvent(
                format: formatID, time: time, action: action, rawAction: "session \(verb)", ip: endpoint?.address,
                ipRaw: endpoint == nil ? String(ipText) : nil, account: user, fields: fields, locator: locator)
        }
        // login_log: `<ip> - <user>{ (possessor: <owner>)} {- }{"<request>" }FAILED|SUCCESS LOGIN <svc>{: <reason>}`
        let text = String(line)
        guard let (failed, service, reason) = loginOutcome(text) else { return nil }
        fields["service"] = service
        if let reason { fields["reason"] = reason }
        let account = userField(line: text, afterIP: ipText)
        if let possessor = text.utf8Range(of: "(possessor: ") {
            fields["possessor"] = String(text[possessor.upperBound...].prefix { $0 != ")" })
        }
        return AccessEvent(
            format: formatID, time: time, action: failed ? .loginFailed : .login,
            rawAction: "\(failed ? "FAILED" : "SUCCESS") LOGIN \(service)", ip: endpoint?.address,
            ipRaw: endpoint == nil ? String(ipText) : nil, account: account, fields: fields, locator: locator)
    }

    /// `<ip> - <user> [MM/DD/YYYY:HH:MM:SS ±zzzz] "<request>" FAILED LOGIN <svc>: <reason>`
    static func oldStyle(_ line: Substring, _ locator: Locator) -> AccessEvent? {
        var rest = line
        guard let ipText = rest.takeToken(), let open = rest.firstIndex(of: "["), let close = rest.firstIndex(of: "]"),
            open < close, let time = Timestamp.parseCPanel(String(rest[rest.index(after: open)..<close]))
        else { return nil }
        let text = String(line)
        guard let (failed, service, reason) = loginOutcome(text) else { return nil }
        var fields = ["service": service]
        if let reason { fields["reason"] = reason }
        let endpoint = IPAddress.parseEndpoint(ipText)
        return AccessEvent(
            format: formatID, time: time, action: failed ? .loginFailed : .login,
            rawAction: "\(failed ? "FAILED" : "SUCCESS") LOGIN \(service)", ip: endpoint?.address,
            ipRaw: endpoint == nil ? String(ipText) : nil, account: userField(line: text, afterIP: ipText), fields: fields,
            locator: locator)
    }

    /// `… FAILED|SUCCESS LOGIN <service>{: <reason>}`, in both line styles.
    static func loginOutcome(_ text: String) -> (failed: Bool, service: String, reason: String?)? {
        guard let outcome = text.utf8Range(of: " LOGIN ") else { return nil }
        let before = text[..<outcome.lowerBound]
        let failed = before.hasSuffix("FAILED")
        guard failed || before.hasSuffix("SUCCESS") else { return nil }
        var after = text[outcome.upperBound...]
        let service = after.takeToken().map { $0.hasSuffix(":") ? String($0.dropLast()) : String($0) } ?? ""
        return (failed, service, after.isEmpty ? nil : String(after))
    }

    /// The user in `<ip> - <user> …`.
    static func userField(line: String, afterIP ip: Substring) -> String? {
        guard let range = line.utf8Range(of: String(ip) + " - ") else { return nil }
        let user = line[range.upperBound...].prefix { $0 != " " && $0 != "[" }
        return user.isEmpty || user == "-" ? nil : String(user)
    }
}
