import Foundation
import SpoorCore

/// One value an exchange file states, before it becomes an indicator.
public struct StatedValue: Sendable {
    public var raw: String
    public var type: IndicatorType?
    public var provenance: Provenance
    /// Where it was stated (file and line, row, object id or network), for the import report.
    public var location: String

    public init(raw: String, type: IndicatorType?, provenance: Provenance, location: String) {
        self.raw = raw
        self.type = type
        self.provenance = provenance
        self.location = location
    }
}

/// What an exchange format importer read: values, and what it left out with why.
package struct ExchangeRead {
    package var values: [StatedValue] = []
    package var skipped: [ImportReport.Skipped] = []
    package var notes: [String: Int] = [:]
}

/// STIX 2.1 bundles, read leniently: indicator patterns with one or several comparisons (`OR`,
/// `AND`), on `ipv4-addr`, `ipv6-addr`, `domain-name`, `url`, `autonomous-system` and
/// `network-traffic` source/destination references; CIDR as `=` or `ISSUBSET`; IP literals
/// written as `domain-name` retyped. Other pattern types and object paths are skipped and counted.
/// The malware, campaign or intrusion set an indicator `indicates`, and the report that holds it,
/// become its provenance.
package enum STIXImporter {
    package static func read(_ data: Data, fileName: String, defaultSource: String?) throws -> ExchangeRead {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw IntelError.cannotRead(path: fileName, reason: "not a JSON object")
        }
        let objects = (root["objects"] as? [[String: Any]]) ?? (root["type"] as? String == "indicator" ? [root] : [])
        var byID: [String: [String: Any]] = [:]
        for object in objects { if let id = object["id"] as? String { byID[id] = object } }
        // What each indicator indicates, and which reports hold it.
        var indicates: [String: [String]] = [:]
        var reports: [String: [[String: Any]]] = [:]
        for object in objects {
            let type = object["type"] as? String
            if type == "relationship", object["relationship_type"] as? String == "indicates",
                let from = object["source_ref"] as? String, let to = object["target_ref"] as? String,
                let target = byID[to], let name = target["name"] as? String
            {
                indicates[from, default: []].append(name)
            }
            if type == "report", let refs = object["object_refs"] as? [String] {
                for ref in refs { reports[ref, default: []].append(object) }
            }
        }
        var read = ExchangeRead()
        var index = 0
        for object in objects where object["type"] as? String == "indicator" {
            index += 1
            let id = object["id"] as? String ?? "indicator \(index)"
            let location = "\(fileName) \(id)"
            let patternType = object["pattern_type"] as? String ?? "stix"
            guard patternType == "stix" else {
                read.skipped.append(
                    .init(location: location, reason: "pattern type '\(SafeText.excerpt(patternType, limit: 30))' is not STIX"))
                continue
            }
            guard let pattern = object["pattern"] as? String else {
                read.skipped.append(.init(location: location, reason: "no pattern"))
                continue
            }
            let comparisons = STIXPattern.comparisons(pattern)
            if comparisons.isEmpty {
                read.skipped.append(.init(location: location, reason: "no comparison read in the pattern"))
                continue
            }
            if pattern.contains(" AND ") { read.notes["comparisons of an AND pattern imported one by one", default: 0] += 1 }
            let report = reports[id]?.first
            let creator = (object["created_by_ref"] as? String).flatMap { byID[$0]?["name"] as? String }
            let external =
                ((object["external_references"] as? [[String: Any]]) ?? [])
                + ((report?["external_references"] as? [[String: Any]]) ?? [])
            let reference =
                external.compactMap { $0["url"] as? String }.first
                ?? external.compactMap { ref -> String? in
                    guard let name = ref["source_name"] as? String, let eid = ref["external_id"] as? String else { return nil }
                    return "\(name) \(eid)"
                }.first
            let indicated = indicates[id] ?? []
            let validFrom = (object["valid_from"] as? String).flatMap(IndicatorDate.normalise)
            // The TLP: a `tlp:` label keeps the source's own name (AMBER+STRICT, CLEAR); else the
            // TLP marking definition the indicator references.
            var labels = (object["labels"] as? [String]) ?? (object["indicator_types"] as? [String]) ?? []
            var tlp = labels.first { $0.lowercased().hasPrefix("tlp:") }.map { IndicatorExporter.tlpName($0) }
            labels.removeAll { $0.lowercased().hasPrefix("tlp:") }
            if tlp == nil {
                for ref in (object["object_marking_refs"] as? [String]) ?? [] {
                    if let colour = IndicatorExporter.tlpMarkings.first(where: { $0.value == ref })?.key
                        ?? ((byID[ref]?["definition"] as? [String: Any])?["tlp"] as? String)
                    {
                        tlp = IndicatorExporter.tlpName(colour)
                        break
                    }
                }
            }
            let provenance = Provenance(
                source: defaultSource ?? creator ?? Provenance.unstatedSource,
                title: (report?["name"] as? String) ?? (object["name"] as? String) ?? indicated.first,
                reference: reference, published: (report?["published"] as? String).flatMap(IndicatorDate.normalise),
                firstSeen: validFrom, lastSeen: nil,
                confidence: (object["confidence"] as? Int).flatMap { (0...100).contains($0) ? $0 : nil },
                tlp: tlp, tags: labels,
                campaign: indicated.isEmpty ? nil : indicated.joined(separator: ", "),
                description: object["description"] as? String, validFrom: validFrom,
                validUntil: (object["valid_until"] as? String).flatMap(IndicatorDate.normalise), origin: location)
            for comparison in comparisons {
                guard comparison.op == "=" || comparison.op == "ISSUBSET" else {
                    read.skipped.append(
                        .init(location: location, reason: "operator \(comparison.op) on \(comparison.path) is not an equality"))
                    continue
                }
                let type: IndicatorType?
                switch comparison.path {
                case "ipv4-addr:value", "ipv6-addr:value", "network-traffic:dst_ref.value", "network-traffic:src_ref.value":
                    type = nil  // address or CIDR, as the value says
                case "domain-name:value": type = .domain
                case "url:value": type = .url
                case "autonomous-system:number": type = .asn
                default:
                    read.notes["\(comparison.path) skipped (not network infrastructure)", default: 0] += 1
                    continue
                }
                read.values.append(StatedValue(raw: comparison.value, type: type, provenance: provenance, location: location))
            }
        }
        return read
    }
}

/// The comparisons of a STIX pattern: `object-path operator literal`, wherever they stand in
/// brackets, `OR` and `AND`.
package enum STIXPattern {
    struct Comparison: Equatable {
        var path: String
        var op: String
        var value: String
    }

    static func comparisons(_ pattern: String) -> [Comparison] {
        let scalars = Array(pattern.unicodeScalars)
        var tokens: [(text: String, quoted: Bool)] = []
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "'" {
                var value = ""
                i += 1
                while i < scalars.count {
                    if scalars[i] == "\\", i + 1 < scalars.count {
                        value.unicodeScalars.append(scalars[i + 1])
                        i += 2
                        continue
                    }
                    if scalars[i] == "'" { break }
                    value.unicodeScalars.append(scalars[i])
                    i += 1
                }
                tokens.append((value, true))
                i += 1
            } else if c == "[" || c == "]" || c == "(" || c == ")" || c == " " || c == "\t" || c == "\n" {
                i += 1
            } else if "=!<>".unicodeScalars.contains(c) {
                // Operators may be written without spaces: `[ipv4-addr:value='192.0.2.1']`.
                var op = String(c)
                if i + 1 < scalars.count, scalars[i + 1] == "=" {
                    op.unicodeScalars.append("=")
                    i += 1
                }
                tokens.append((op, false))
                i += 1
            } else {
                var word = ""
                while i < scalars.count, !" \t\n[]()'=!<>".unicodeScalars.contains(scalars[i]) {
                    word.unicodeScalars.append(scalars[i])
                    i += 1
                }
                tokens.append((word, false))
            }
        }
        var found: [Comparison] = []
        var t = 0
        while t + 2 < tokens.count {
            let path = tokens[t]
            if !path.quoted, path.text.contains(":") {
                var op = tokens[t + 1].text
                var valueIndex = t + 2
                if op == "NOT", t + 3 < tokens.count {
                    op = "NOT " + tokens[t + 2].text
                    valueIndex = t + 3
                }
                let value = tokens[valueIndex]
                let isNumber = !value.quoted && UInt64(value.text) != nil
                if value.quoted || isNumber {
                    found.append(Comparison(path: path.text.lowercased(), op: op.uppercased(), value: value.text))
                    t = valueIndex + 1
                    continue
                }
            }
            t += 1
        }
        return found
    }
}

/// MISP: event JSON (bare `{"Event": …}` or a REST `{"response": [{"Event": …}]}`), and MISP's
/// CSV export. Infrastructure attribute types become indicators; others are skipped by type.
package enum MISPImporter {
    /// The indicator type of a MISP attribute type, or nil when it is not infrastructure.
    static func values(type: String, value: String) -> [(String, IndicatorType?)]? {
        switch type {
        case "ip-dst", "ip-src": return [(value, nil)]
        case "ip-dst|port", "ip-src|port":
            return [(String(value.split(separator: "|").first ?? ""), nil)]
        case "domain", "hostname": return [(value, .domain)]
        case "domain|ip":
            let parts = value.split(separator: "|").map(String.init)
            return parts.count == 2 ? [(parts[0], .domain), (parts[1], nil)] : [(value, .domain)]
        case "hostname|port": return [(String(value.split(separator: "|").first ?? ""), .domain)]
        case "url", "uri": return [(value, .url)]
        case "AS": return [(value, .asn)]
        default: return nil
        }
    }

    package static func readJSON(_ data: Data, fileName: String, defaultSource: String?) throws -> ExchangeRead {
        guard let root = try? JSONSerialization.jsonObject(with: data) else {
            throw IntelError.cannotRead(path: fileName, reason: "not JSON")
        }
        var events: [[String: Any]] = []
        if let object = root as? [String: Any] {
            if let event = object["Event"] as? [String: Any] { events = [event] }
            if let response = object["response"] as? [[String: Any]] {
                events += response.compactMap { $0["Event"] as? [String: Any] }
            }
        } else if let array = root as? [[String: Any]] {
            events = array.compactMap { $0["Event"] as? [String: Any] }
        }
        guard !events.isEmpty else {
            throw IntelError.cannotRead(path: fileName, reason: "no MISP event (expected Event or response[].Event)")
        }
        var read = ExchangeRead()
        for event in events {
            let tags = ((event["Tag"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
            let organisation =
                ((event["Orgc"] as? [String: Any])?["name"] as? String) ?? ((event["Org"] as? [String: Any])?["name"] as? String)
            let date = (event["date"] as? String).flatMap(IndicatorDate.normalise)
            let eventID = (event["uuid"] as? String) ?? (event["id"] as? String) ?? "event"
            var attributes = (event["Attribute"] as? [[String: Any]]) ?? []
            for object in (event["Object"] as? [[String: Any]]) ?? [] {
                attributes += (object["Attribute"] as? [[String: Any]]) ?? []
            }
            for attribute in attributes {
                let type = attribute["type"] as? String ?? "?"
                let value = attribute["value"] as? String ?? ""
                let location = "\(fileName) event \(eventID) attribute \((attribute["uuid"] as? String) ?? "?")"
                guard let stated = values(type: type, value: value) else {
                    read.notes["\(type) attributes skipped (not network infrastructure)", default: 0] += 1
                    continue
                }
                var attributeTags = tags + ((attribute["Tag"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
                let toIDS = (attribute["to_ids"] as? Bool) ?? ((attribute["to_ids"] as? String) == "1")
                if !toIDS { attributeTags.append("misp:to_ids=false") }
                let provenance = Provenance(
                    source: defaultSource ?? organisation ?? Provenance.unstatedSource, title: event["info"] as? String,
                    reference: "MISP event \(eventID)", published: date,
                    firstSeen: (attribute["first_seen"] as? String).flatMap(IndicatorDate.normalise) ?? date,
                    lastSeen: (attribute["last_seen"] as? String).flatMap(IndicatorDate.normalise), confidence: nil,
                    tlp: attributeTags.first { $0.lowercased().hasPrefix("tlp:") }.map { IndicatorExporter.tlpName($0) },
                    tags: attributeTags.filter { !$0.lowercased().hasPrefix("tlp:") }, campaign: nil,
                    description: (attribute["comment"] as? String).flatMap { $0.isEmpty ? nil : $0 },
                    validFrom: nil, validUntil: nil, origin: location)
                for (raw, indicatorType) in stated {
                    read.values.append(StatedValue(raw: raw, type: indicatorType, provenance: provenance, location: location))
                }
            }
        }
        return read
    }

    /// MISP CSV: `uuid,event_id,category,type,value,comment,to_ids,date`.
    package static func readCSV(_ source: any ByteSource, fileName: String, defaultSource: String?) throws -> ExchangeRead {
        var reader = CSVReader(source)
        guard let header = try reader.next() else { return ExchangeRead() }
        let names = header.fields.map { $0.trimming(" \t").lowercased() }
        guard let typeColumn = names.firstIndex(of: "type"), let valueColumn = names.firstIndex(of: "value") else {
            throw IntelError.missingColumn(path: fileName, column: "type and value")
        }
        func column(_ name: String) -> Int? { names.firstIndex(of: name) }
        var read = ExchangeRead()
        while let record = try reader.next() {
            func field(_ index: Int?) -> String? {
                guard let index, index < record.fields.count else { return nil }
                let value = record.fields[index].trimming(" \t")
                return value.isEmpty ? nil : value
            }
            let location = "\(fileName) row \(record.index)"
            let type = field(typeColumn) ?? "?"
            guard let stated = values(type: type, value: field(valueColumn) ?? "") else {
                read.notes["\(type) rows skipped (not network infrastructure)", default: 0] += 1
                continue
            }
            var date = field(column("date"))
            if let d = date, d.count == 8, Int(d) != nil {
                date = "\(d.prefix(4))-\(d.dropFirst(4).prefix(2))-\(d.suffix(2))"
            }
            let provenance = Provenance(
                source: defaultSource ?? Provenance.unstatedSource, title: nil,
                reference: field(column("event_id")).map { "MISP event \($0)" }, published: nil,
                firstSeen: date.flatMap(IndicatorDate.normalise), lastSeen: nil, confidence: nil, tlp: nil,
                tags: field(column("to_ids")) == "0" ? ["misp:to_ids=false"] : [], campaign: nil,
                description: field(column("comment")), validFrom: nil, validUntil: nil, origin: location)
            for (raw, indicatorType) in stated {
                read.values.append(StatedValue(raw: raw, type: indicatorType, provenance: provenance, location: location))
            }
        }
        return read
    }
}

/// Zeek intel files: tab-separated, a `#fields` line naming `indicator`, `indicator_type`
/// (`Intel::ADDR`, `Intel::SUBNET`, `Intel::DOMAIN`, `Intel::URL`) and `meta.*` columns.
package enum ZeekIntelImporter {
    package static func read(_ source: any ByteSource, fileName: String, defaultSource: String?) throws -> ExchangeRead {
        var lines = LineReader(source)
        var fields: [String] = []
        var read = ExchangeRead()
        while let line = try lines.next() {
            if line.text.hasPrefix("#fields") {
                fields = line.text.split(separator: "\t").dropFirst().map(String.init)
                continue
            }
            if line.text.hasPrefix("#") || line.text.trimming(" \t").isEmpty { continue }
            let values = line.text.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            func field(_ name: String) -> String? {
                guard let i = fields.firstIndex(of: name), i < values.count, values[i] != "-", !values[i].isEmpty else {
                    return nil
                }
                return values[i]
            }
            let location = "\(fileName):\(line.number)"
            guard let value = field("indicator"), let type = field("indicator_type") else {
                read.skipped.append(
                    .init(location: location, reason: "no indicator or indicator_type (is there a #fields line?)"))
                continue
            }
            let indicatorType: IndicatorType?
            switch type {
            case "Intel::ADDR", "Intel::SUBNET": indicatorType = nil
            case "Intel::DOMAIN": indicatorType = .domain
            case "Intel::URL": indicatorType = .url
            default:
                read.notes["\(type) skipped (not network infrastructure)", default: 0] += 1
                continue
            }
            let provenance = Provenance(
                source: field("meta.source") ?? defaultSource ?? Provenance.unstatedSource, title: nil,
                reference: field("meta.url"),
                published: nil, firstSeen: nil, lastSeen: nil, confidence: nil, tlp: nil, tags: [], campaign: nil,
                description: field("meta.desc"), validFrom: nil, validUntil: nil, origin: location)
            read.values.append(StatedValue(raw: value, type: indicatorType, provenance: provenance, location: location))
        }
        return read
    }
}
