import Foundation
import SpoorCore

/// Apache and nginx access logs in the Common and Combined formats, with any extra fields after
/// them (nginx `main`'s X-Forwarded-For, Apache `%I %O`).
///
/// `<client> <ident> <user> [<dd/Mon/yyyy:HH:MM:SS ±hhmm>] "<request>" <status> <bytes>
/// { "<referer>" "<user agent>"}{<extra>}`. Quoted fields keep their escapes as written
/// (Apache `\"`, nginx `\x22`): the annex quotes the evidence, it does not rewrite it.
public struct WebAccessLogParser: LogParser {
    public static let formatID = "web_access"
    public static let accountScope = AccountScope.none
    public static let displayName = "Web server access log (Common/Combined)"
    public static let version = "1"
    public static let reads = "access.log / access_log in the Common or Combined format (Apache, nginx)"

    public init(options: ParseOptions) {}

    public static func recognize(_ sample: FormatSample) -> Int {
        let lines = sample.lines(limit: 50)
        guard !lines.isEmpty else { return 0 }
        let matching = lines.filter { AccessLogLine(String($0)) != nil }.count
        guard matching > 0 else { return 0 }
        let name = sample.fileName.lowercased()
        let nameHint = name.contains("access")
        if matching * 10 >= lines.count * 8 { return nameHint ? 95 : 80 }
        return matching * 2 >= lines.count ? 60 : 30
    }

    public func parse(
        _ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink
    ) throws -> ParseSummary {
        var reader = LineReader(source)
        var summary = ParseSummary()
        while let line = try reader.next() {
            if line.text.allSatisfy(\.isWhitespace) { continue }
            summary.records += 1
            let locator = Locator(evidence: evidence, position: .line(line.number))
            guard let record = AccessLogLine(line.text) else {
                summary.malformed += 1
                sink.warn(ParseWarning(locator: locator, message: "not a Common or Combined log line", excerpt: line.text))
                continue
            }
            if line.truncated {
                sink.warn(ParseWarning(locator: locator, message: "line longer than 1 MiB, cut", excerpt: line.text))
            }
            let endpoint = IPAddress.parseEndpoint(record.client)
            if endpoint == nil {
                sink.warn(ParseWarning(locator: locator, message: "client address not readable", excerpt: String(record.client)))
            }
            var fields: [String: String] = [
                "request": String(record.request), "status": String(record.status), "bytes": String(record.bytes),
            ]
            let requestParts = record.request.split(separator: " ", maxSplits: 2)
            if requestParts.count == 3 {
                fields["method"] = String(requestParts[0])
                fields["path"] = String(requestParts[1])
                fields["protocol"] = String(requestParts[2])
            }
            if record.ident != "-" { fields["ident"] = String(record.ident) }
            if let referer = record.referer, referer != "-" { fields["referer"] = String(referer) }
            if let extra = record.extra, !extra.isEmpty {
                fields["extra"] = String(extra)
                if let forwarded = AccessLogLine.forwardedFor(extra) { fields["x_forwarded_for"] = forwarded }
            }
            let userAgent = record.userAgent.flatMap { $0 == "-" || $0.isEmpty ? nil : String($0) }
            let event = AccessEvent(
                format: Self.formatID, time: record.time, action: .request,
                rawAction: requestParts.count >= 2 ? "\(requestParts[0]) \(requestParts[1])" : String(record.request),
                ip: endpoint?.address,
                ipRaw: endpoint == nil || endpoint?.address.description != String(record.client) ? String(record.client) : nil,
                port: endpoint?.port,
                account: record.user == "-" ? nil : String(record.user), userAgent: userAgent,
                fields: fields, locator: locator)
            try sink.accept(.access(event))
        }
        return summary
    }
}

/// One access-log line, split into its fields.
struct AccessLogLine {
    var client: Substring
    var ident: Substring
    var user: Substring
    var time: Timestamp
    var request: Substring
    var status: Substring
    var bytes: Substring
    var referer: Substring?
    var userAgent: Substring?
    var extra: Substring?

    init?(_ text: String) {
        var rest = Substring(text)
        guard let client = rest.takeToken(), let ident = rest.takeToken() else { return nil }
        // The user field may itself be `-` or a name; it ends at ` [`.
        guard
            let bracket = rest.utf8Range(of: " [")
                ?? (rest.first == "[" ? rest.startIndex..<rest.index(after: rest.startIndex) : nil)
        else { return nil }
        let user = rest.first == "[" ? Substring("-") : rest[..<bracket.lowerBound]
        rest = rest[bracket.upperBound...]
        guard let close = rest.firstIndex(of: "]"),
            let time = Timestamp.parseCommonLog(String(rest[..<close]))
        else { return nil }
        rest = rest[rest.index(after: close)...]
        guard rest.first == " " else { return nil }
        rest = rest.dropFirst()
        guard let request = rest.takeQuoted() else { return nil }
        guard let status = rest.takeToken(), status == "-" || (status.count == 3 && status.allSatisfy(\.isNumber)),
            let bytes = rest.takeToken(), bytes == "-" || bytes.allSatisfy(\.isNumber)
        else { return nil }
        self.client = client
        self.ident = ident
        self.user = user
        self.time = time
        self.request = request
        self.status = status
        self.bytes = bytes
        if rest.first == "\"" {
            referer = rest.takeQuoted()
            if rest.first == "\"" { userAgent = rest.takeQuoted() }
        }
        let remaining = rest.drop { $0 == " " }
        extra = remaining.isEmpty ? nil : remaining
    }

    /// The first quoted extra field that holds an address list (nginx `"$http_x_forwarded_for"`).
    static func forwardedFor(_ extra: Substring) -> String? {
        var rest = extra
        while rest.first == "\"" {
            guard let field = rest.takeQuoted() else { return nil }
            let parts = field.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if !parts.isEmpty, parts.allSatisfy({ IPAddress.parseEndpoint($0) != nil }) { return String(field) }
            rest = rest.drop { $0 == " " }
        }
        return nil
    }
}

extension Substring {
    /// Removes and returns the text up to the next space (and the space).
    mutating func takeToken() -> Substring? {
        guard !isEmpty else { return nil }
        let end = firstIndex(of: " ") ?? endIndex
        let token = self[..<end]
        self = end == endIndex ? self[endIndex...] : self[index(after: end)...]
        return token.isEmpty ? nil : token
    }

    /// Removes and returns a `"…"` field (backslash escapes skipped over, kept as written) and
    /// the space after it.
    mutating func takeQuoted() -> Substring? {
        guard first == "\"" else { return nil }
        var i = index(after: startIndex)
        while i < endIndex {
            let c = self[i]
            if c == "\\" {
                i = index(after: i)
                if i < endIndex { i = index(after: i) }
                continue
            }
            if c == "\"" {
                let value = self[index(after: startIndex)..<i]
                var next = index(after: i)
                if next < endIndex && self[next] == " " { next = index(after: next) }
                self = self[next...]
                return value
            }
            i = index(after: i)
        }
        return nil
    }
}
