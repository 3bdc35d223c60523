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

    /// Reads a warninglist `list.json`. Bare addresses become /32 or /128; IPv6 is normalised
    /// (`FE80::/10` → `fe80::/10`).
    public static func read(json data: Data) throws -> Warninglist {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let name = object["name"] as? String, let list = object["list"] as? [Any], let type = object["type"] as? String
        else { throw WarninglistError.notAWarninglist }
        let version = (object["version"] as? NSNumber)?.stringValue ?? (object["version"] as? String) ?? "unversioned"
        return Warninglist(
            name: name, description: object["description"] as? String, version: version, type: type,
            entries: list.compactMap { $0 as? String })
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

    public init(name: String, version: String, entry: String) {
        self.name = name
        self.version = version
        self.entry = entry
    }
}

/// Every warninglist entry compiled for address and name lookups. IPv4-mapped IPv6 addresses are
/// looked up as IPv4 (as grepcidr does).
public struct WarninglistMatcher: Sendable {
    let lists: [(name: String, version: String)]
    let intervals: IndicatorMatcher
    /// The network text of each interval id.
    let entries: [Int64: (list: Int, entry: String)]
    let hostnames: [String: [Int]]

    public var isEmpty: Bool { lists.isEmpty }

    package init(_ stored: [(name: String, version: String, type: String, entries: [String])]) {
        var compiled: [(id: Int64, indicator: Indicator)] = []
        var entries: [Int64: (Int, String)] = [:]
        var hostnames: [String: [Int]] = [:]
        for (index, list) in stored.enumerated() {
            if list.type == "cidr" {
                let warninglist = Warninglist(
                    name: list.name, description: nil, version: list.version, type: list.type, entries: list.entries)
                for network in warninglist.networks.networks {
                    let id = Int64(compiled.count)
                    compiled.append((id, Indicator(type: .cidr, canonicalValue: network.description)))
                    entries[id] = (index, network.description)
                }
            } else if list.type == "hostname" || list.type == "string" {
                for entry in list.entries { hostnames[entry.lowercased().trimming(". "), default: []].append(index) }
            }
        }
        lists = stored.map { ($0.name, $0.version) }
        intervals = IndicatorMatcher(compiled)
        self.entries = entries
        self.hostnames = hostnames
    }

    /// Every list entry holding the address (each list once, its most specific entry).
    public func hits(_ address: IPAddress) -> [WarninglistHit] {
        var seen: Set<Int> = []
        var hits: [WarninglistHit] = []
        for id in intervals.matches(address) {
            guard let (list, entry) = entries[id], seen.insert(list).inserted else { continue }
            hits.append(WarninglistHit(name: lists[list].name, version: lists[list].version, entry: entry))
        }
        return hits.sorted { $0.name < $1.name }
    }

    /// Lists naming a host name or one of its parent domains.
    public func hits(name: String) -> [WarninglistHit] {
        var labels = name.lowercased().split(separator: ".").map(String.init)
        var hits: [WarninglistHit] = []
        while !labels.isEmpty {
            let candidate = labels.joined(separator: ".")
            for list in hostnames[candidate] ?? [] {
                hits.append(WarninglistHit(name: lists[list].name, version: lists[list].version, entry: candidate))
            }
            labels.removeFirst()
        }
        return hits
    }
}
