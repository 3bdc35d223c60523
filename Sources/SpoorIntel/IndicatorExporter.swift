import Crypto
import Foundation
import SpoorCore

/// Which indicators an export holds: provenance records from a source, with a tag, of a TLP, or
/// first seen (else published) on or after a date. An indicator is exported with the provenance
/// records that pass, and left out when none does.
public struct ExportFilter: Sendable {
    public var source: String?
    public var tag: String?
    public var tlp: String?
    public var since: String?

    public init(source: String? = nil, tag: String? = nil, tlp: String? = nil, since: String? = nil) {
        self.source = source
        self.tag = tag
        self.tlp = tlp
        self.since = since
    }

    func admits(_ p: Provenance) -> Bool {
        if let source, p.source.lowercased() != source.lowercased() { return false }
        if let tag, !p.tags.contains(where: { $0.lowercased() == tag.lowercased() }) { return false }
        if let tlp, (p.tlp ?? "").lowercased() != tlp.lowercased().replacingOccurrences(of: "tlp:", with: "") { return false }
        if let since, let date = p.firstSeen ?? p.published ?? p.validFrom, String(date.prefix(10)) < since { return false }
        if since != nil, p.firstSeen == nil && p.published == nil && p.validFrom == nil { return false }
        return true
    }

    public func apply(_ records: [IndicatorRecord]) -> [IndicatorRecord] {
        records.compactMap { record in
            let kept = record.provenance.filter(admits)
            return kept.isEmpty ? nil : IndicatorRecord(id: record.id, indicator: record.indicator, provenance: kept)
        }
    }
}

/// Writes indicators, with their provenance, in the formats the field exchanges. Output is a
/// function of the records and `generatedAt` only, so the same store exports the same bytes.
public enum IndicatorExporter {
    public enum Format: String, Sendable, CaseIterable {
        case stix, misp, mispFeed = "misp-feed", csv, text, zeek, mmdb
    }

    /// A UUID derived from a text (SHA-1, laid out as version 4, which STIX asks identifiers to
    /// be): the same indicator and provenance give the same STIX or MISP identifier in every
    /// export, and the identifier stays a well-formed random-looking UUID.
    static func uuid(_ text: String) -> String {
        var bytes = Array(Insecure.SHA1.hash(data: Data(("spoor:" + text).utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = Hex.string(bytes)
        let parts = [
            hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4),
            hex.dropFirst(20),
        ]
        return parts.joined(separator: "-")
    }

    static func json(_ object: Any) throws -> String {
        let data = try JSONSerialization.data(
            withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// RFC 3339 with milliseconds, as STIX timestamps want; a date alone is midnight UTC.
    static func stixTime(_ text: String?) -> String? {
        guard let text else { return nil }
        if text.count == 10 { return text + "T00:00:00.000Z" }
        guard let t = Timestamp.parseISO8601(text), let utc = t.rfc3339UTC else { return nil }
        let base = utc.hasSuffix("Z") ? String(utc.dropLast()) : utc
        let parts = base.split(separator: ".", maxSplits: 1)
        let fraction = parts.count == 2 ? String(parts[1].prefix(3)) : "000"
        return parts[0] + "." + fraction + String(repeating: "0", count: 3 - fraction.count) + "Z"
    }

    /// The STIX pattern for an indicator.
    static func stixPattern(_ indicator: Indicator) -> String {
        let value = indicator.value.replacingAll("\\", with: "\\\\").replacingAll("'", with: "\\'")
        switch indicator.type {
        case .ipv4: return "[ipv4-addr:value = '\(value)']"
        case .ipv6: return "[ipv6-addr:value = '\(value)']"
        case .cidr: return indicator.network?.family == .v6 ? "[ipv6-addr:value = '\(value)']" : "[ipv4-addr:value = '\(value)']"
        case .domain: return "[domain-name:value = '\(value)']"
        case .url: return "[url:value = '\(value)']"
        case .asn: return "[autonomous-system:number = \(indicator.asn ?? 0)]"
        }
    }

    /// The TLP marking definitions STIX 2.1 defines (section 7.2.1.4), by TLP 1.0 colour. TLP
    /// 2.0's CLEAR is WHITE's successor; AMBER+STRICT has no STIX 2.1 marking and is marked RED,
    /// the nearest that does not loosen it (its own name stays in the labels and description).
    static let tlpMarkings: [String: String] = [
        "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
    ]

    /// The STIX 2.1 marking-definition object of a TLP colour (`white`, `green`, `amber`, `red`).
    static func tlpMarking(_ colour: String) -> (id: String, object: [String: Any])? {
        guard let id = tlpMarkings[colour] else { return nil }
        return (
            id,
            [
                "type": "marking-definition", "spec_version": "2.1", "id": id, "created": "2017-01-20T00:00:00.000Z",
                "definition_type": "tlp", "name": "TLP:" + colour.uppercased(), "definition": ["tlp": colour],
            ]
        )
    }

    /// A TLP as written (`TLP:AMBER`, `clear`, `amber+strict`) → its plain lower-case name.
    static func tlpName(_ text: String) -> String {
        var name = text.lowercased().trimmingCharacters(in: .whitespaces)
        if name.hasPrefix("tlp:") { name.removeFirst(4) }
        return name
    }

    /// The STIX 2.1 TLP colour for a TLP, or nil when there is none.
    static func stixTLP(_ text: String) -> String? {
        switch tlpName(text) {
        case "white", "clear": "white"
        case "green": "green"
        case "amber": "amber"
        case "amber+strict", "red": "red"
        default: nil
        }
    }

    /// A STIX 2.1 bundle: an identity per source, an indicator per (indicator, provenance), and
    /// the TLP marking definition of every TLP the provenance carries (referenced by
    /// `object_marking_refs`).
    public static func stix(_ records: [IndicatorRecord], generatedAt: String) throws -> String {
        let now = stixTime(generatedAt) ?? "1970-01-01T00:00:00.000Z"
        var identities: [String: [String: Any]] = [:]
        var markings: [String: [String: Any]] = [:]
        var objects: [[String: Any]] = []
        for record in records {
            for p in record.provenance {
                let identityID = "identity--" + uuid("identity " + p.source)
                if identities[identityID] == nil {
                    identities[identityID] = [
                        "type": "identity", "spec_version": "2.1", "id": identityID, "name": p.source,
                        "identity_class": "organization", "created": now, "modified": now,
                    ]
                }
                let validFrom = stixTime(p.validFrom) ?? stixTime(p.firstSeen) ?? stixTime(p.published) ?? now
                var object: [String: Any] = [
                    "type": "indicator", "spec_version": "2.1",
                    "id": "indicator--"
                        + uuid(
                            "\(record.indicator.type.rawValue) \(record.indicator.value) \(p.source) \(p.reference ?? "") \(p.firstSeen ?? "")"
                        ),
                    "created": now, "modified": now, "created_by_ref": identityID,
                    "name": "\(record.indicator.type.rawValue) \(record.indicator.value)" + (p.title.map { " (\($0))" } ?? ""),
                    "pattern": stixPattern(record.indicator), "pattern_type": "stix", "valid_from": validFrom,
                    "indicator_types": ["malicious-activity"],
                ]
                if let until = stixTime(p.validUntil), until > validFrom { object["valid_until"] = until }
                if let confidence = p.confidence { object["confidence"] = confidence }
                var description: [String] = ["Reported by \(p.source)" + (p.title.map { " in \($0)" } ?? "") + "."]
                if let campaign = p.campaign { description.append("Campaign or actor: \(campaign).") }
                if let d = p.description { description.append(d) }
                if let seen = p.lastSeen { description.append("Last seen \(seen).") }
                object["description"] = description.joined(separator: " ")
                var labels = p.tags
                if let tlp = p.tlp {
                    let name = tlpName(tlp)
                    if let colour = stixTLP(tlp), let marking = tlpMarking(colour) {
                        object["object_marking_refs"] = [marking.id]
                        markings[marking.id] = marking.object
                        if colour != name {
                            description.append(
                                "TLP:\(name.uppercased()) at the source (marked TLP:\(colour.uppercased()), the nearest STIX 2.1 marking)."
                            )
                        }
                    } else {
                        description.append("TLP:\(name.uppercased()) at the source (no STIX 2.1 marking for it).")
                    }
                    if !labels.contains(where: { tlpName($0) == name && $0.lowercased().hasPrefix("tlp:") }) {
                        labels.append("tlp:" + name)
                    }
                    object["description"] = description.joined(separator: " ")
                }
                if !labels.isEmpty { object["labels"] = labels }
                if let reference = p.reference {
                    object["external_references"] = [
                        reference.hasPrefix("http://") || reference.hasPrefix("https://")
                            ? ["source_name": p.source, "url": reference] : ["source_name": p.source, "description": reference]
                    ]
                }
                objects.append(object)
            }
        }
        let ordered =
            identities.keys.sorted().compactMap { identities[$0] } + markings.keys.sorted().compactMap { markings[$0] }
            + objects.sorted {
                ($0["id"] as? String ?? "") < ($1["id"] as? String ?? "")
            }
        let bundle: [String: Any] = [
            "type": "bundle",
            "id": "bundle--" + uuid("bundle " + ordered.compactMap { $0["id"] as? String }.joined(separator: ",")),
            "objects": ordered,
        ]
        return try json(bundle)
    }

    /// MISP attribute type and value of an indicator.
    static func mispAttribute(_ indicator: Indicator) -> (type: String, category: String, value: String) {
        switch indicator.type {
        case .ipv4, .ipv6, .cidr: return ("ip-dst", "Network activity", indicator.value)
        case .domain: return ("domain", "Network activity", indicator.value)
        case .url: return ("url", "Network activity", indicator.value)
        case .asn: return ("AS", "Network activity", String(indicator.asn ?? 0))
        }
    }

    /// One MISP event holding every indicator; provenance as attribute comments and tags.
    /// - Parameter organisation: who shares the event (MISP's `Orgc`): the examiner's organisation.
    public static func mispEvent(_ records: [IndicatorRecord], generatedAt: String, title: String, organisation: String) throws
        -> [String: Any]
    {
        let date = String(generatedAt.prefix(10))
        let epoch = Timestamp.parseISO8601(generatedAt).map { String($0.seconds) } ?? "0"
        var attributes: [[String: Any]] = []
        for record in records {
            let (type, category, value) = mispAttribute(record.indicator)
            for p in record.provenance {
                var comment = [p.source]
                if let title = p.title { comment.append(title) }
                if let reference = p.reference { comment.append(reference) }
                if let campaign = p.campaign { comment.append("campaign: \(campaign)") }
                var attribute: [String: Any] = [
                    "uuid": uuid(
                        "misp \(record.indicator.type.rawValue) \(record.indicator.value) \(p.source) \(p.reference ?? "") \(p.firstSeen ?? "")"
                    ),
                    "type": type, "category": category, "value": value, "to_ids": true,
                    "comment": comment.joined(separator: " — "),
                    "timestamp": epoch, "distribution": "5", "deleted": false, "disable_correlation": false,
                ]
                if let first = p.firstSeen { attribute["first_seen"] = stixTime(first) ?? first }
                if let last = p.lastSeen { attribute["last_seen"] = stixTime(last) ?? last }
                let tags = p.tags.filter { !$0.lowercased().hasPrefix("tlp:") } + (p.tlp.map { ["tlp:" + tlpName($0)] } ?? [])
                if !tags.isEmpty { attribute["Tag"] = tags.map { ["name": $0] } }
                attributes.append(attribute)
            }
        }
        attributes.sort { ($0["uuid"] as? String ?? "") < ($1["uuid"] as? String ?? "") }
        return [
            "Event": [
                "uuid": uuid("event " + attributes.compactMap { $0["uuid"] as? String }.joined(separator: ",")),
                "info": title, "date": date, "timestamp": epoch, "publish_timestamp": epoch, "published": true,
                "analysis": "2", "threat_level_id": "2", "distribution": "3",
                "Orgc": ["name": organisation], "Attribute": attributes,
            ] as [String: Any]
        ]
    }

    /// A MISP feed folder: `manifest.json`, one `<uuid>.json` event, and `hashes.csv`.
    public static func mispFeed(
        _ records: [IndicatorRecord], generatedAt: String, title: String, organisation: String, into folder: URL
    ) throws {
        let event = try mispEvent(records, generatedAt: generatedAt, title: title, organisation: organisation)
        guard let body = event["Event"] as? [String: Any], let id = body["uuid"] as? String else { return }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try json(event).write(to: folder.appendingPathComponent("\(id).json"), atomically: true, encoding: .utf8)
        let manifest: [String: Any] = [
            id: [
                "info": title, "date": body["date"] ?? "", "timestamp": body["timestamp"] ?? "0", "analysis": "2",
                "threat_level_id": "2", "Orgc": ["name": organisation], "Tag": [] as [Any],
            ] as [String: Any]
        ]
        try json(manifest).write(to: folder.appendingPathComponent("manifest.json"), atomically: true, encoding: .utf8)
        var hashes = ""
        for attribute in (body["Attribute"] as? [[String: Any]]) ?? [] {
            let value = attribute["value"] as? String ?? ""
            let md5 = Hex.string(Insecure.MD5.hash(data: Data(value.utf8)))
            hashes += "\(md5),\(id)\n"
        }
        try hashes.write(to: folder.appendingPathComponent("hashes.csv"), atomically: true, encoding: .utf8)
    }

    /// CSV in the layout `spoor intel import` reads: one row per (indicator, provenance).
    public static func csv(_ records: [IndicatorRecord]) -> String {
        let columns = [
            "value", "type", "source", "title", "reference", "published", "first_seen", "last_seen", "confidence", "tlp", "tags",
            "campaign", "description", "valid_from", "valid_until",
        ]
        var out = columns.joined(separator: ",") + "\n"
        for record in records {
            for p in record.provenance {
                let values: [String?] = [
                    record.indicator.value, record.indicator.type.rawValue, p.source, p.title, p.reference, p.published,
                    p.firstSeen,
                    p.lastSeen, p.confidence.map(String.init), p.tlp, p.tags.isEmpty ? nil : p.tags.joined(separator: ";"),
                    p.campaign,
                    p.description, p.validFrom, p.validUntil,
                ]
                out += values.map { SafeText.csvField($0 ?? "") }.joined(separator: ",") + "\n"
            }
        }
        return out
    }

    /// Values of one type (or all), one per line, as plain lists for other tools.
    /// A list has no column for a TLP, so the TLPs of its values head it as `#` comments (which
    /// `spoor intel import` and grep-style tools skip).
    public static func text(_ records: [IndicatorRecord], type: IndicatorType?) -> String {
        let kept = records.filter { type == nil || $0.indicator.type == type }
        return tlpHeader(kept, comment: "#") + kept.map { $0.indicator.value + "\n" }.joined()
    }

    /// `# TLP:AMBER` when every value carries one TLP; the TLPs and counts when they differ.
    static func tlpHeader(_ records: [IndicatorRecord], comment: String) -> String {
        var counts: [String: Int] = [:]
        var unmarked = 0
        for record in records {
            let tlps = Set(record.provenance.compactMap { $0.tlp.map(tlpName) })
            if tlps.isEmpty { unmarked += 1 }
            for tlp in tlps { counts[tlp, default: 0] += 1 }
        }
        guard !counts.isEmpty else { return "" }
        if counts.count == 1, unmarked == 0, let only = counts.keys.first { return "\(comment) TLP:\(only.uppercased())\n" }
        let parts =
            counts.sorted { $0.key < $1.key }.map { "TLP:\($0.key.uppercased()) (\($0.value))" }
            + (unmarked > 0 ? ["no TLP (\(unmarked))"] : [])
        return "\(comment) values under different TLPs: \(parts.joined(separator: ", ")); export with --tlp to separate them\n"
    }

    /// Zeek intel framework TSV.
    public static func zeek(_ records: [IndicatorRecord]) -> String {
        var out = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\n"
        func clean(_ text: String?) -> String {
            guard let text, !text.isEmpty else { return "-" }
            return text.replacingAll("\t", with: " ").replacingAll("\n", with: " ")
        }
        for record in records {
            let type: String
            switch record.indicator.type {
            case .ipv4, .ipv6: type = "Intel::ADDR"
            case .cidr: type = "Intel::SUBNET"
            case .domain: type = "Intel::DOMAIN"
            case .url: type = "Intel::URL"
            case .asn: continue  // Zeek's intel framework has no AS type
            }
            let p = record.provenance.first
            let sources = record.provenance.map(\.source)
            // Zeek's intel meta has no TLP field: the strictest one goes in front of the description.
            let tlps = Set(record.provenance.compactMap { $0.tlp.map(tlpName) })
            let order = ["red", "amber+strict", "amber", "green", "clear", "white"]
            let strictest = tlps.sorted { (order.firstIndex(of: $0) ?? -1, $0) < (order.firstIndex(of: $1) ?? -1, $1) }.first
            let desc = [strictest.map { "TLP:\($0.uppercased())" }, p?.title ?? p?.description].compactMap { $0 }.joined(
                separator: " ")
            out +=
                [
                    clean(record.indicator.value), type, clean(sources.joined(separator: "; ")),
                    clean(desc), clean(p?.reference.flatMap { $0.hasPrefix("http") ? $0 : nil }),
                ].joined(separator: "\t") + "\n"
        }
        return out
    }
}
