import Foundation
import GRDB
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

    init(_ stored: [(name: String, version: String, type: String, entries: [String])]) {
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

extension IndicatorStore {
    static func registerWarninglistMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v3 warninglists") { db in
            try db.execute(
                sql: """
                    CREATE TABLE warninglist (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE,
                        description TEXT,
                        version TEXT NOT NULL,
                        type TEXT NOT NULL,
                        file_sha256 TEXT NOT NULL,
                        imported_at TEXT NOT NULL
                    );
                    CREATE TABLE warninglist_entry (
                        warninglist_id INTEGER NOT NULL REFERENCES warninglist(id) ON DELETE CASCADE,
                        value TEXT NOT NULL
                    );
                    CREATE INDEX warninglist_entry_list ON warninglist_entry (warninglist_id);
                    """)
        }
    }

    /// Stores a warninglist, replacing an earlier version of the same list.
    /// - Returns: the entries kept and those that are not addresses or networks (cidr lists).
    @discardableResult
    public func importWarninglist(_ list: Warninglist, sha256: String) throws -> (kept: Int, unreadable: [String]) {
        let unreadable = list.type == "cidr" ? list.networks.unreadable : []
        try database.write { db in
            try db.execute(sql: "DELETE FROM warninglist WHERE name = ?", arguments: [list.name])
            try db.execute(
                sql:
                    "INSERT INTO warninglist (name, description, version, type, file_sha256, imported_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    list.name, list.description, list.version, list.type, sha256,
                    ISO8601DateFormatter().string(from: clock.now()),
                ])
            let id = db.lastInsertedRowID
            let insert = try db.makeStatement(sql: "INSERT INTO warninglist_entry (warninglist_id, value) VALUES (?, ?)")
            let bad = Set(unreadable)
            for entry in list.entries where !bad.contains(entry) { try insert.execute(arguments: [id, entry]) }
        }
        return (list.entries.count - unreadable.count, unreadable)
    }

    /// Every stored warninglist compiled into one matcher.
    public func warninglistMatcher() throws -> WarninglistMatcher {
        try database.read { db in
            var stored: [(name: String, version: String, type: String, entries: [String])] = []
            for row in try Row.fetchAll(db, sql: "SELECT id, name, version, type FROM warninglist ORDER BY name") {
                let entries = try String.fetchAll(
                    db, sql: "SELECT value FROM warninglist_entry WHERE warninglist_id = ?", arguments: [row["id"] as Int64])
                stored.append((row["name"], row["version"], row["type"], entries))
            }
            return WarninglistMatcher(stored)
        }
    }

    /// Stored lists: name, version, type and entry count.
    public func warninglists() throws -> [(name: String, version: String, type: String, entries: Int)] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT w.name, w.version, w.type, count(e.value) AS n FROM warninglist w
                    LEFT JOIN warninglist_entry e ON e.warninglist_id = w.id GROUP BY w.id ORDER BY w.name
                    """
            ).map { ($0["name"], $0["version"], $0["type"], $0["n"]) }
        }
    }
}
