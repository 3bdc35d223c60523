import Foundation
import SpoorAnalysis
import SpoorCase
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
        let position = event.locator.positionText.trimmingCharacters(in: CharacterSet(charactersIn: ": "))
        let values: [String] = [
            event.timeUTC ?? "", event.timeRaw ?? "", event.timeZone ?? "", event.ip ?? event.ipRaw ?? "",
            event.port.map(String.init) ?? "", event.action, event.rawAction ?? "", event.account ?? "",
            event.userAgent ?? "", event.userAgentSummary ?? "", event.session ?? "", event.novel.joined(separator: " "),
            String(event.count), event.format, event.locator.evidenceSHA256,
            event.locator.member.map { "\(event.locator.path)!\($0)" } ?? event.locator.path, position,
        ]
        return values.map { SafeText.csvField($0) }.joined(separator: ",") + "\n"
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
