import Foundation
import SpoorCore

/// Sightings shared between helplines: what a casebook saw, written so that another helpline's
/// tools read it (STIX 2.1 sightings, MISP sightings, CSV), and read back from those formats.
/// Only infrastructure leaves: each address with its network, AS and holder, dates, count and
/// roles, and the case by pseudonym — never the victim, the case's reference, or its records.
public enum CasebookExchange {
    public enum Format: String, Sendable, CaseIterable {
        case stix, misp, csv
    }

    /// One case's sightings as they are shared.
    public typealias Shared = (entry: CasebookCase, sightings: [CasebookSighting])

    /// The case's name in a shared file: its pseudonym, with the helpline that saw it when the
    /// case came from another one.
    static func sharedCase(_ entry: CasebookCase) -> String { entry.pseudonym }

    static func description(_ entry: CasebookCase, _ s: CasebookSighting, by source: String) -> String {
        var text = "Seen by \(source) in case \(sharedCase(entry))"
        if !s.roles.isEmpty { text += " as " + s.roles.joined(separator: ", ") }
        text += ", \(s.records) record(s)"
        if let asn = s.asn { text += "; AS\(asn)" + (s.holder.map { " \($0)" } ?? "") }
        return text + "."
    }

    /// A time as STIX wants it (milliseconds, UTC); a zone-less reading is taken by its day.
    static func stixTime(_ text: String?) -> String? {
        guard let text else { return nil }
        if text.hasSuffix(" (no zone)") { return IndicatorExporter.stixTime(String(text.prefix(10))) }
        return IndicatorExporter.stixTime(text)
    }

    /// A STIX 2.1 bundle: the helpline's identity (where the sightings were made), an indicator
    /// per address, and a `sighting` of each (`first_seen`, `last_seen`, `count`,
    /// `where_sighted_refs`), marked with the TLP given. No observed-data.
    public static func stix(_ cases: [Shared], source: String, tlp: String, generatedAt: String) throws -> String {
        let now = IndicatorExporter.stixTime(generatedAt) ?? "1970-01-01T00:00:00.000Z"
        let identity = "identity--" + IndicatorExporter.uuid("casebook identity " + source)
        var objects: [[String: Any]] = [
            [
                "type": "identity", "spec_version": "2.1", "id": identity, "name": source, "identity_class": "organization",
                "created": now, "modified": now,
            ]
        ]
        var marking: [String] = []
        if let colour = IndicatorExporter.stixTLP(tlp), let definition = IndicatorExporter.tlpMarking(colour) {
            marking = [definition.id]
            objects.append(definition.object)
        }
        var indicators: [String: [String: Any]] = [:]
        var sightings: [[String: Any]] = []
        for (entry, list) in cases {
            for s in list {
                guard case .success(let (indicator, _)) = Indicator.parse(s.address, type: nil) else { continue }
                let indicatorID = "indicator--" + IndicatorExporter.uuid("casebook indicator \(source) \(s.address)")
                let first = stixTime(s.firstSeen) ?? now
                let last = max(stixTime(s.lastSeen) ?? first, first)
                if indicators[indicatorID] == nil {
                    var object: [String: Any] = [
                        "type": "indicator", "spec_version": "2.1", "id": indicatorID, "created": now, "modified": now,
                        "created_by_ref": identity, "name": "\(indicator.type.rawValue) \(indicator.value)",
                        "pattern": IndicatorExporter.stixPattern(indicator), "pattern_type": "stix", "valid_from": first,
                        "indicator_types": ["malicious-activity"], "labels": ["casebook"],
                        "description": "An address \(source) saw in the infrastructure of a case it investigated.",
                    ]
                    if !marking.isEmpty { object["object_marking_refs"] = marking }
                    indicators[indicatorID] = object
                } else if let earlier = indicators[indicatorID]?["valid_from"] as? String, first < earlier {
                    indicators[indicatorID]?["valid_from"] = first
                }
                var sighting: [String: Any] = [
                    "type": "sighting", "spec_version": "2.1",
                    "id": "sighting--" + IndicatorExporter.uuid("casebook sighting \(source) \(sharedCase(entry)) \(s.address)"),
                    "created": now, "modified": now, "created_by_ref": identity, "sighting_of_ref": indicatorID,
                    "first_seen": first, "last_seen": last, "count": min(max(s.records, 0), 999_999_999),
                    "where_sighted_refs": [identity], "description": description(entry, s, by: source),
                ]
                if !marking.isEmpty { sighting["object_marking_refs"] = marking }
                sightings.append(sighting)
            }
        }
        let ordered =
            objects + indicators.keys.sorted().compactMap { indicators[$0] }
            + sightings.sorted { ($0["id"] as? String ?? "") < ($1["id"] as? String ?? "") }
        let bundle: [String: Any] = [
            "type": "bundle",
            "id": "bundle--"
                + IndicatorExporter.uuid("casebook bundle " + ordered.compactMap { $0["id"] as? String }.joined(separator: ",")),
            "objects": ordered,
        ]
        return try IndicatorExporter.json(bundle)
    }

    /// MISP sightings as MISP's sightings API lists them (`{"response": [{"Sighting": …}]}`): type
    /// 0 (a sighting), `date_sighting` (seconds since 1970, the last time seen), `source`, the
    /// attribute's `value`, and the helpline as `Organisation` unless `anonymise`.
    public static func misp(_ cases: [Shared], source: String, anonymise: Bool) throws -> String {
        var response: [[String: Any]] = []
        for (entry, list) in cases {
            for s in list {
                let when = (stixTime(s.lastSeen) ?? stixTime(s.firstSeen)).flatMap(Timestamp.parseISO8601).map { $0.seconds } ?? 0
                var sighting: [String: Any] = [
                    "uuid": IndicatorExporter.uuid("casebook misp sighting \(source) \(sharedCase(entry)) \(s.address)"),
                    "value": s.address, "type": "0", "date_sighting": String(when),
                    "source": "spoor casebook \(sharedCase(entry))",
                ]
                if !anonymise {
                    sighting["Organisation"] = [
                        "name": source, "uuid": IndicatorExporter.uuid("casebook misp organisation " + source),
                    ]
                }
                response.append(["Sighting": sighting])
            }
        }
        response.sort {
            (($0["Sighting"] as? [String: Any])?["uuid"] as? String ?? "")
                < (($1["Sighting"] as? [String: Any])?["uuid"] as? String ?? "")
        }
        return try IndicatorExporter.json(["response": response])
    }

    static let csvHeader = "value,network,asn,holder,first_seen,last_seen,count,roles,case,source"

    /// One line per sighting.
    public static func csv(_ cases: [Shared], source: String) -> String {
        var lines = [csvHeader]
        for (entry, list) in cases {
            for s in list {
                lines.append(
                    [
                        s.address, s.network, s.asn.map(String.init) ?? "", s.holder ?? "", s.firstSeen ?? "", s.lastSeen ?? "",
                        String(s.records), s.roles.joined(separator: "; "), sharedCase(entry),
                        entry.source == CasebookCase.localSource ? source : entry.source,
                    ].map { SafeText.csvField($0) }.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Why a file is not a sightings file Spoor reads.
    public struct ReadError: Error, Hashable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Reads another helpline's sightings (STIX bundle with `sighting` objects, MISP sightings,
    /// or the CSV above) as casebook cases of that helpline: each case named by the source and
    /// the pseudonym the file gives, so it never takes the place of a local case.
    public static func read(_ data: Data, path: String, recordedAt: String, source override: String? = nil) throws
        -> [Shared]
    {
        let text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix(csvHeader) { return try readCSV(text, path: path, recordedAt: recordedAt, source: override) }
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ReadError(
                path: path, reason: "not a sightings file: neither a STIX bundle, MISP sightings nor Spoor's casebook CSV")
        }
        var found: [(caseName: String, source: String, sighting: CasebookSighting)] = []
        if root["type"] as? String == "bundle", let objects = root["objects"] as? [[String: Any]] {
            var byID: [String: [String: Any]] = [:]
            for object in objects { if let id = object["id"] as? String { byID[id] = object } }
            for object in objects where object["type"] as? String == "sighting" {
                guard let ref = object["sighting_of_ref"] as? String, let pattern = byID[ref]?["pattern"] as? String,
                    let address = patternAddress(pattern), let ip = IPAddress(address)
                else { continue }
                let where_ = (object["where_sighted_refs"] as? [String])?.first.flatMap { byID[$0]?["name"] as? String }
                let by =
                    override ?? where_ ?? (object["created_by_ref"] as? String).flatMap { byID[$0]?["name"] as? String }
                    ?? "an unnamed source"
                let description = object["description"] as? String ?? ""
                found.append(
                    (
                        caseName(in: description) ?? "shared", by,
                        CasebookSighting(
                            address: ip.description, network: CasebookSighting.network(of: ip), asn: nil, holder: nil,
                            firstSeen: object["first_seen"] as? String, lastSeen: object["last_seen"] as? String,
                            records: object["count"] as? Int ?? 1, roles: roles(in: description), userAgents: [], devices: [],
                            findings: [])
                    ))
            }
            guard !found.isEmpty || objects.isEmpty else {
                throw ReadError(path: path, reason: "a STIX bundle without sightings of addresses")
            }
        } else if let response = root["response"] as? [[String: Any]] {
            for item in response {
                guard let sighting = item["Sighting"] as? [String: Any] ?? (item["value"] != nil ? item : nil),
                    let value = sighting["value"] as? String, let ip = IPAddress(value)
                else { continue }
                let org = (sighting["Organisation"] as? [String: Any])?["name"] as? String
                let seconds =
                    (sighting["date_sighting"] as? String).flatMap { Int64($0) }
                    ?? (sighting["date_sighting"] as? Int).map(Int64.init)
                let when = seconds.flatMap { Timestamp.unixSeconds($0).rfc3339UTC }
                let label = sighting["source"] as? String ?? ""
                found.append(
                    (
                        label.hasPrefix("spoor casebook ") ? String(label.dropFirst("spoor casebook ".count)) : "shared",
                        override ?? org ?? "an unnamed MISP organisation",
                        CasebookSighting(
                            address: ip.description, network: CasebookSighting.network(of: ip), asn: nil, holder: nil,
                            firstSeen: when, lastSeen: when, records: 1, roles: [], userAgents: [], devices: [], findings: [])
                    ))
            }
        } else {
            throw ReadError(path: path, reason: "not a sightings file: JSON, but neither a STIX bundle nor MISP sightings")
        }
        return group(found, recordedAt: recordedAt)
    }

    static func readCSV(_ text: String, path: String, recordedAt: String, source override: String?) throws -> [Shared] {
        var found: [(caseName: String, source: String, sighting: CasebookSighting)] = []
        var reader = CSVReader(MemoryByteSource(text))
        _ = try reader.next()
        var line = 1
        while let record = try reader.next() {
            let row = record.fields
            line += 1
            guard row.count >= 10, let ip = IPAddress(row[0]) else {
                throw ReadError(path: path, reason: "row \(line): not a sighting (an address and ten columns)")
            }
            found.append(
                (
                    row[8].isEmpty ? "shared" : row[8], override ?? (row[9].isEmpty ? "an unnamed source" : row[9]),
                    CasebookSighting(
                        address: ip.description, network: CasebookSighting.network(of: ip), asn: UInt32(row[2]),
                        holder: row[3].isEmpty ? nil : row[3], firstSeen: row[4].isEmpty ? nil : row[4],
                        lastSeen: row[5].isEmpty ? nil : row[5], records: Int(row[6]) ?? 1,
                        roles: row[7].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                            !$0.isEmpty
                        },
                        userAgents: [], devices: [], findings: [])
                ))
        }
        return group(found, recordedAt: recordedAt)
    }

    /// The name the shared file gave a case read from it (`C-2954B92C` of `Helpline: C-2954B92C`).
    public static func sharedName(of entry: CasebookCase) -> String {
        let prefix = (entry.organisation ?? entry.source) + ": "
        return entry.pseudonym.hasPrefix(prefix) ? String(entry.pseudonym.dropFirst(prefix.count)) : entry.pseudonym
    }

    /// Sightings by (source, case) as casebook cases named `source: case`.
    static func group(_ found: [(caseName: String, source: String, sighting: CasebookSighting)], recordedAt: String) -> [Shared] {
        var order: [String] = []
        var byKey: [String: Shared] = [:]
        for item in found {
            let key = item.source + ": " + item.caseName
            if byKey[key] == nil {
                order.append(key)
                byKey[key] = (
                    CasebookCase(
                        pseudonym: key, reference: nil, examiner: nil, organisation: item.source, recordedAt: recordedAt,
                        analysedAt: nil, source: item.source), []
                )
            }
            byKey[key]?.sightings.append(item.sighting)
        }
        return order.compactMap { byKey[$0] }
    }

    /// The address of `[ipv4-addr:value = '…']` or `[ipv6-addr:value = '…']`.
    static func patternAddress(_ pattern: String) -> String? {
        guard pattern.contains("ipv4-addr:value") || pattern.contains("ipv6-addr:value"),
            let open = pattern.firstIndex(of: "'"), let close = pattern[pattern.index(after: open)...].firstIndex(of: "'")
        else { return nil }
        return String(pattern[pattern.index(after: open)..<close])
    }

    /// `C-2954B92C` in "Seen by … in case C-2954B92C as …".
    static func caseName(in description: String) -> String? {
        guard let range = description.range(of: " in case ") else { return nil }
        let rest = description[range.upperBound...]
        let name = rest.prefix { !$0.isWhitespace && $0 != "," && $0 != "." }
        return name.isEmpty ? nil : String(name)
    }

    static func roles(in description: String) -> [String] {
        guard let range = description.range(of: " as "),
            let end = description.range(of: ", ", range: range.upperBound..<description.endIndex)
        else { return [] }
        return description[range.upperBound..<end.lowerBound].components(separatedBy: ", ").filter { !$0.isEmpty }
    }
}
