import SpoorCore

/// X/Twitter archive data files: `data/ip-audit.js` (and its split parts) and
/// `data/account-creation-ip.js`, written as `window.YTD.<name>.partN = [ … ]`. An ip-audit
/// record shows the account in use from an address, not proof of a login, so it is
/// `session_active`. Reference: login-exports.md §5.
public struct XArchiveParser: LogParser {
    public static let formatID = "x_archive"
    public static let accountScope = AccountScope.exportedAccount
    public static let displayName = "X/Twitter archive (ip-audit.js, account-creation-ip.js)"
    public static let version = "1"
    public static let reads = "data/ip-audit.js and its parts (ip-audit-part1.js, …), data/account-creation-ip.js"

    public init(options: ParseOptions) {}

    public static func recognize(_ sample: FormatSample) -> Int {
        let head = String(decoding: sample.head.prefix(200), as: UTF8.self)
        if head.contains("window.YTD.ip_audit.part") || head.contains("window.YTD.account_creation_ip.part") { return 95 }
        return 0
    }

    public func parse(_ source: any ByteSource, evidence: EvidenceItem, into sink: any ObservationSink) throws -> ParseSummary {
        var summary = ParseSummary()
        // `window.YTD.ip_audit.part0 = [ … ]`: the document starts at the first `[` (on the first
        // line, so the line numbers of any error stay true).
        guard
            let document = try JSONRecords.document(
                source, evidence: evidence, sink: sink, summary: &summary,
                dropPrefix: { bytes in
                    if let open = bytes.firstIndex(of: UInt8(ascii: "[")) { bytes = bytes[open...] }
                    while let last = bytes.last, last == UInt8(ascii: ";") || last == 0x0A || last == 0x0D || last == 0x20 {
                        bytes = bytes.dropLast()
                    }
                })
        else { return summary }
        guard let records = document.array else {
            summary.malformed += 1
            sink.warn(ParseWarning(locator: Locator(evidence: evidence, position: .jsonPointer("")), message: "expected a list"))
            return summary
        }
        for (index, wrapper) in records.enumerated() {
            summary.records += 1
            let locator = Locator(evidence: evidence, position: .jsonPointer("/\(index)"))
            if let audit = wrapper["ipAudit"] {
                guard let time = audit["createdAt"]?.string.flatMap(Timestamp.parseISO8601) else {
                    summary.malformed += 1
                    sink.warn(ParseWarning(locator: locator, message: "ipAudit record without a readable createdAt"))
                    continue
                }
                let (ip, raw, _) = JSONRecords.address(audit["loginIp"])
                var fields: [String: String] = [:]
                if let id = audit["accountId"]?.scalarText { fields["account_id"] = id }
                try sink.accept(
                    .access(
                        AccessEvent(
                            format: Self.formatID, time: time, action: .sessionActive, rawAction: "ip audit", ip: ip, ipRaw: raw,
                            port: JSONRecords.port(audit["loginPortNumber"]), account: audit["accountId"]?.scalarText,
                            fields: fields, locator: locator)))
            } else if let creation = wrapper["accountCreationIp"] {
                let (ip, raw, _) = JSONRecords.address(creation["userCreationIp"])
                try sink.accept(
                    .access(
                        AccessEvent(
                            format: Self.formatID, time: nil, action: .accountCreated, rawAction: "account creation IP", ip: ip,
                            ipRaw: raw, account: creation["accountId"]?.scalarText, locator: locator)))
            } else {
                summary.ignored += 1
            }
        }
        return summary
    }
}
