import Foundation
import SpoorCore

/// A MISP warninglist: addresses and names known to be benign or shared infrastructure (cloud
/// ranges, VPN exits, a platform's own proxies). A hit is context shown beside an address,
/// never a reason to drop it.
public struct Warninglist: Hashable, Sendable, Codable {
    public var name: String
    public var description: String?
    public var version: String
    /// `cidr`, `string`, `hostname`, `substring`, `regex`.
    public var type: String
    public var entries: [String]
    /// The day the list describes (YYYY-MM-DD): its version when that is a date (MISP's lists of
    /// cloud, VPN and relay ranges are versioned by the day they were built), or the date given
    /// at import; nil for a fixed list (RFC ranges, versioned 1, 2, …).
    public var asOf: String? = nil

    public init(
        name: String, description: String? = nil, version: String, type: String, entries: [String], asOf: String? = nil
    ) {
        self.name = name
        self.description = description
        self.version = version
        self.type = type
        self.entries = entries
        self.asOf = asOf
    }

    /// The day a version names, when it is one (`20260811` → `2026-08-11`).
    public static func day(ofVersion version: String) -> String? {
        let digits = Array(version.utf8)
        guard digits.count == 8, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let year = Int(version.prefix(4)),
            (1990...2200).contains(year)
        else { return nil }
        let day = "\(version.prefix(4))-\(version.dropFirst(4).prefix(2))-\(version.suffix(2))"
        return CivilTime.days(isoDate: day) == nil ? nil : day
    }

    /// Reads a warninglist `list.json`. Bare addresses become /32 or /128; IPv6 is normalised
    /// (`FE80::/10` → `fe80::/10`).
    public static func read(json data: Data) throws -> Warninglist {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let name = object["name"] as? String, let list = object["list"] as? [Any], let type = object["type"] as? String
        else { throw WarninglistError.notAWarninglist }
        let version = (object["version"] as? NSNumber)?.stringValue ?? (object["version"] as? String) ?? "unversioned"
        return Warninglist(
            name: name, description: object["description"] as? String, version: version, type: type,
            entries: list.compactMap { $0 as? String }, asOf: day(ofVersion: version))
    }

    /// Whether a whole JSON document is a warninglist: a top-level object with a string `name`,
    /// a string `type` and an array `list`. Decided from the document's outline, so a list of any
    /// size is recognised (MISP writes `list` first; its name and type come after the entries).
    public static func looksLike<Bytes: Collection>(_ document: Bytes) -> Bool where Bytes.Element == UInt8 {
        guard let outline = JSONOutline.read(document) else { return false }
        return outline["name"] == .string && outline["type"] == .string && outline["list"] == .array
    }

    /// The entries as networks (for cidr lists); entries that are not addresses are returned apart.
    public var networks: (networks: [IPNetwork], unreadable: [String]) {
        var networks: [IPNetwork] = []
        var unreadable: [String] = []
        for entry in entries {
            let text = entry.trimming(" \t")
            if let network = IPNetwork(text) {
                networks.append(network)
            } else if let address = IPAddress(text) {
                networks.append(IPNetwork(containing: address, prefixLength: address.family.bitWidth)!)
            } else {
                unreadable.append(entry)
            }
        }
        return (networks, unreadable)
    }
}

public enum WarninglistError: Error, Hashable, CustomStringConvertible {
    case notAWarninglist
    public var description: String { "not a MISP warninglist (expected name, type and list)" }
}

/// A warninglist that holds an address.
public struct WarninglistHit: Hashable, Sendable, Codable {
    public var name: String
    public var version: String
    /// The entry that holds it (`142.250.0.0/15`).
    public var entry: String
    /// The day this version of the list describes; nil for a fixed list.
    public var asOf: String?
    /// The SHA-256 of the file this version was imported from.
    public var sha256: String?
    /// How this version stands to the day asked about; nil when no day was asked or the list is
    /// fixed (one undated version).
    public var judged: Judgement?
    /// For ``Judgement/notOnDay``: the day of the version judged for the day, which does not
    /// hold the address.
    public var dayVersionAsOf: String?
    /// The day of a later (the latest) version that no longer holds the address.
    public var notInLatestAsOf: String?

    /// How a dated list's version relates to the day of the address's records.
    public enum Judgement: String, Hashable, Sendable, Codable {
        /// The version nearest before (or on) the day holds the address.
        case onDay = "on_day"
        /// No version precedes the day; the earliest, dated after it, holds the address.
        case fromLater = "from_later"
        /// The version for the day does not hold it; another version does (listed at another time).
        case notOnDay = "not_on_day"
    }

    public init(
        name: String, version: String, entry: String, asOf: String? = nil, sha256: String? = nil, judged: Judgement? = nil,
        dayVersionAsOf: String? = nil, notInLatestAsOf: String? = nil
    ) {
        self.name = name
        self.version = version
        self.entry = entry
        self.asOf = asOf
        self.sha256 = sha256
        self.judged = judged
        self.dayVersionAsOf = dayVersionAsOf
        self.notInLatestAsOf = notInLatestAsOf
    }
}

/// Every warninglist entry compiled for address and name lookups, each dated version of a list
/// kept. IPv4-mapped IPv6 addresses are looked up as IPv4 (as grepcidr does).
///
/// Asked for a day, each list answers from its version nearest before (or on) the day, else from
/// its earliest; a version for the day that does not hold the address, while a later one does,
/// is reported as such (listed at another time), and a version for the day that holds it while
/// the latest no longer does says so too. Asked without a day, each list answers from its latest
/// version.
public struct WarninglistMatcher: Sendable {
    let lists: [(name: String, version: String, asOf: String?, sha256: String?)]
    /// Each list's versions (indexes into `lists`), oldest first (undated first).
    let versions: [String: [Int]]
    let intervals: IndicatorMatcher
    /// The version and network text of each interval id.
    let entries: [Int64: (list: Int, entry: String)]
    let hostnames: [String: [Int]]

    public var isEmpty: Bool { lists.isEmpty }

    /// - Parameter stored: every stored version, with the SHA-256 of the file it came from.
    package init(_ stored: [(list: Warninglist, sha256: String?)]) {
        var compiled: [(id: Int64, indicator: Indicator)] = []
        var entries: [Int64: (Int, String)] = [:]
        var hostnames: [String: [Int]] = [:]
        for (index, (list, _)) in stored.enumerated() {
            if list.type == "cidr" {
                for network in list.networks.networks {
                    let id = Int64(compiled.count)
                    compiled.append((id, Indicator(type: .cidr, canonicalValue: network.description)))
                    entries[id] = (index, network.description)
                }
            } else if list.type == "hostname" || list.type == "string" {
                for entry in list.entries { hostnames[entry.lowercased().trimming(". "), default: []].append(index) }
            }
        }
        lists = stored.map { ($0.list.name, $0.list.version, $0.list.asOf, $0.sha256) }
        var versions: [String: [Int]] = [:]
        for (index, (list, _)) in stored.enumerated() { versions[list.name, default: []].append(index) }
        self.versions = versions.mapValues { indexes in
            indexes.sorted { (stored[$0].list.asOf ?? "", $0) < (stored[$1].list.asOf ?? "", $1) }
        }
        intervals = IndicatorMatcher(compiled)
        self.entries = entries
        self.hostnames = hostnames
    }

    /// Every list holding the address (each list once, its most specific entry), from the
    /// version for `day` (YYYY-MM-DD…) or, without one, the latest.
    public func hits(_ address: IPAddress, day: String? = nil) -> [WarninglistHit] {
        var held: [Int: String] = [:]
        for id in intervals.matches(address) {
            guard let (list, entry) = entries[id], held[list] == nil else { continue }
            held[list] = entry
        }
        return judged(held, day: day)
    }

    /// Lists naming a host name or one of its parent domains, judged for `day` as ``hits(_:day:)``.
    public func hits(name: String, day: String? = nil) -> [WarninglistHit] {
        var labels = name.lowercased().split(separator: ".").map(String.init)
        var held: [Int: String] = [:]
        while !labels.isEmpty {
            let candidate = labels.joined(separator: ".")
            for list in hostnames[candidate] ?? [] where held[list] == nil { held[list] = candidate }
            labels.removeFirst()
        }
        return judged(held, day: day)
    }

    /// One hit per list from the versions holding the address (`held`: version → entry).
    private func judged(_ held: [Int: String], day: String?) -> [WarninglistHit] {
        let names = Set(held.keys.map { lists[$0].name })
        var hits: [WarninglistHit] = []
        for name in names.sorted() {
            guard let ordered = versions[name], let latest = ordered.last else { continue }
            func hit(_ version: Int, _ judged: WarninglistHit.Judgement?) -> WarninglistHit {
                let list = lists[version]
                return WarninglistHit(
                    name: list.name, version: list.version, entry: held[version] ?? "", asOf: list.asOf, sha256: list.sha256,
                    judged: judged)
            }
            let day = day.map { String($0.prefix(10)) }
            let dated = ordered.filter { lists[$0].asOf != nil }
            guard let day, !dated.isEmpty else {
                // No day asked, or a fixed list: its latest version answers.
                if held[latest] != nil { hits.append(hit(latest, nil)) }
                continue
            }
            let chosen = dated.last { lists[$0].asOf! <= day } ?? dated[0]
            let fromLater = lists[chosen].asOf! > day
            if held[chosen] != nil {
                var found = hit(chosen, fromLater ? .fromLater : .onDay)
                if latest != chosen && held[latest] == nil { found.notInLatestAsOf = lists[latest].asOf }
                hits.append(found)
            } else if let other = dated.last(where: { held[$0] != nil }) {
                var found = hit(other, .notOnDay)
                found.dayVersionAsOf = lists[chosen].asOf
                hits.append(found)
            }
        }
        return hits
    }
}
