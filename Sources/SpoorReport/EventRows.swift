import Foundation
import SpoorAnalysis
import SpoorCase
import SpoorStore
import SpoorCore

/// Observations as CSV rows: `spoor events --format csv` and the annex's `events.csv`. Every
/// field goes through ``SafeText/csvField(_:)`` (quoting, and formula injection defused).
public enum EventRows {
    public static let columns = [
        "time", "time_raw", "time_zone", "ip", "port", "action", "raw_action", "account", "user_agent",
        "user_agent_summary", "session", "novel", "count", "format", "evidence_sha256", "path", "position",
    ]

    public static var header: String { columns.joined(separator: ",") + "\n" }

    public static func csvLine(_ event: StoredEvent) -> String {
        var out: [UInt8] = []
        appendCSVLine(event, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// ``csvLine(_:)`` appended to `out` as UTF-8 (an annex writes hundreds of thousands).
    public static func appendCSVLine(_ event: StoredEvent, to out: inout [UInt8]) {
        func field(_ text: String) {
            SafeText.appendCSVField(text, to: &out)
            out.append(UInt8(ascii: ","))
        }
        field(event.timeUTC ?? "")
        field(event.timeRaw ?? "")
        field(event.timeZone ?? "")
        field(event.ip ?? event.ipRaw ?? "")
        field(event.port.map(String.init) ?? "")
        field(event.action.rawValue)
        field(event.rawAction ?? "")
        field(event.account ?? "")
        field(event.userAgent ?? "")
        field(event.userAgentSummary ?? "")
        field(event.session ?? "")
        field(event.novel.map(\.rawValue).joined(separator: " "))
        field(String(event.count))
        field(event.format)
        field(event.locator.evidenceSHA256)
        field(event.locator.member.map { "\(event.locator.path)!\($0)" } ?? event.locator.path)
        SafeText.appendCSVField(position(event.locator), to: &out)
        out.append(UInt8(ascii: "\n"))
    }

    /// The locator's position without the separator it is written with (`12`, `row 3`,
    /// `packet 7`): colons and spaces trimmed from both ends.
    static func position(_ locator: Locator) -> String {
        let text = locator.positionText
        let bytes = Array(text.utf8)
        var start = 0
        var end = bytes.count
        func trimmed(_ byte: UInt8) -> Bool { byte == UInt8(ascii: ":") || byte == UInt8(ascii: " ") }
        while start < end, trimmed(bytes[start]) { start += 1 }
        while end > start, trimmed(bytes[end - 1]) { end -= 1 }
        return start == 0 && end == bytes.count ? text : String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

/// Subject IPs as CSV rows: the annex's `subjects.csv`, one row per distinct address.
public enum SubjectRows {
    public static let columns = [
        "ip", "address_class", "special_purpose", "first_seen", "last_seen", "zoneless_first", "zoneless_last", "records",
        "occurrences", "sources", "actions", "accounts", "reached_as", "networks", "registry_holders", "warninglists",
        "indicators",
    ]

    public static var header: String { columns.joined(separator: ",") + "\n" }

    public static func csvLine(_ s: SubjectIP) -> String {
        func counts(_ map: [String: Int]) -> String {
            map.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        let networks = s.enrichment.map { "\($0.summary) (\($0.source.databaseType) \($0.source.buildDate))" }
        let holders = (s.registry ?? []).compactMap { answer in
            (answer.holder ?? answer.netblock?.name).map { "\($0) (\(answer.source.fileName) as of \(answer.source.asOf))" }
        }
        let values: [String] = [
            s.ip, s.addressClass.rawValue, s.specialPurpose ?? "", s.firstSeen ?? "", s.lastSeen ?? "", s.zonelessFirst ?? "",
            s.zonelessLast ?? "", String(s.records), String(s.occurrences), counts(s.bySource), counts(s.byAction),
            s.accounts.joined(separator: "; "), (s.reachedAs ?? []).joined(separator: "; "), networks.joined(separator: "; "),
            holders.joined(separator: "; "), (s.warninglists ?? []).map { "\($0.name): \($0.entry)" }.joined(separator: "; "),
            s.indicatorHits.map { "\($0.type) \($0.value) (\($0.provenance.map(\.source).joined(separator: ", ")))" }.joined(
                separator: "; "),
        ]
        return values.map { SafeText.csvField($0) }.joined(separator: ",") + "\n"
    }
}
