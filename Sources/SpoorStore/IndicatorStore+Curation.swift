import Foundation
import GRDB
import SpoorCore
import SpoorIntel

/// Finding and curating indicators by hand: `spoor intel search|add|remove`.
extension IndicatorStore {
    /// What a search looks for.
    public enum Query: Hashable, Sendable {
        /// IP and CIDR indicators containing the address.
        case address(IPAddress)
        /// IP and CIDR indicators inside or around the network.
        case network(IPNetwork)
        /// ASN indicators for the number.
        case asn(UInt32)
        /// Domain indicators equal to the name or one of its parents, and URLs on it.
        case domain(String)
        /// Text anywhere in a value, source, title, reference, campaign, tag or description
        /// (case-insensitive).
        case text(String)

        /// Reads what was typed: an address, a network, `AS64500`, a domain name, else text.
        public init(_ typed: String) {
            let text = typed.trimming(" \t\r\n")
            if let address = IPAddress(text) {
                self = .address(address)
            } else if text.contains("/"), let network = IPNetwork(text) {
                self = .network(network)
            } else if case .success(let (indicator, _)) = Indicator.parse(text, type: nil), indicator.type == .asn,
                let asn = indicator.asn
            {
                self = .asn(asn)
            } else if !text.contains(" "), case .success(let (indicator, _)) = Indicator.parse(text, type: .domain),
                indicator.type == .domain, indicator.value.contains(".")
            {
                self = .domain(indicator.value)
            } else {
                self = .text(text)
            }
        }
    }

    /// Indicators answering the query, each with all its provenance, ordered by type and value.
    public func search(_ query: Query) throws(IntelError) -> [IndicatorRecord] {
        var ids: Set<Int64> = []
        switch query {
        case .address(let address):
            ids.formUnion(try matcher().matches(address))
        case .network(let network):
            // Indicators around the network (containing its first address and as wide or wider)
            // and inside it.
            for record in try rows(sql: "SELECT id, type, value FROM indicator WHERE type IN ('ipv4', 'ipv6', 'cidr')") {
                guard let other = record.1.network, other.family == network.family else { continue }
                if other.contains(network.address) || network.contains(other.address) { ids.insert(record.0) }
            }
        case .asn(let asn):
            ids.formUnion(try matcher().matches(asn: asn))
        case .domain(let name):
            ids.formUnion(try matcher().matches(domain: name))
            // URLs on the name or its subdomains.
            for record in try rows(sql: "SELECT id, type, value FROM indicator WHERE type = 'url'") {
                guard let host = URLComponents(string: record.1.value)?.host?.lowercased() else { continue }
                if host == name || host.hasSuffix("." + name) { ids.insert(record.0) }
            }
        case .text(let text):
            let pattern =
                "%"
                + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + "%"
            do {
                let found = try reader.read { db in
                    try Int64.fetchAll(
                        db,
                        sql: """
                            SELECT DISTINCT i.id FROM indicator i LEFT JOIN provenance p ON p.indicator_id = i.id
                            WHERE i.value LIKE ?1 ESCAPE '\\' OR p.source LIKE ?1 ESCAPE '\\' OR p.title LIKE ?1 ESCAPE '\\'
                               OR p.reference LIKE ?1 ESCAPE '\\' OR p.campaign LIKE ?1 ESCAPE '\\'
                               OR p.tags LIKE ?1 ESCAPE '\\' OR p.description LIKE ?1 ESCAPE '\\'
                            """, arguments: [pattern])
                }
                ids.formUnion(found)
            } catch {
                throw IntelError.store(error, path: path)
            }
        }
        return ids.isEmpty ? [] : try records(ids: Array(ids))
    }

    private func rows(sql: String) throws(IntelError) -> [(Int64, Indicator)] {
        do {
            return try reader.read { db in
                try Row.fetchAll(db, sql: sql).compactMap { row -> (Int64, Indicator)? in
                    guard let type = IndicatorType(rawValue: row["type"]) else { return nil }
                    return (row["id"], Indicator(type: type, canonicalValue: row["value"]))
                }
            }
        } catch {
            throw IntelError.store(error, path: path)
        }
    }

    /// What ``remove(_:source:)`` took out.
    public struct Removal: Hashable, Sendable {
        /// Provenance records deleted.
        public var provenanceRecords: Int
        /// Whether the indicator itself went too (no provenance left).
        public var indicatorRemoved: Bool

        public init(provenanceRecords: Int, indicatorRemoved: Bool) {
            self.provenanceRecords = provenanceRecords
            self.indicatorRemoved = indicatorRemoved
        }
    }

    /// Removes an indicator's provenance records — all of them, or only those from `source` —
    /// and the indicator once it has none left. Nil when the store does not hold the indicator.
    /// The store's content hash changes, so a report cites the set it actually used.
    public func remove(_ indicator: Indicator, source: String?) throws(IntelError) -> Removal? {
        do {
            return try database.write { db -> Removal? in
                guard
                    let id = try Int64.fetchOne(
                        db, sql: "SELECT id FROM indicator WHERE type = ? AND value = ?",
                        arguments: [indicator.type.rawValue, indicator.value])
                else { return nil }
                if let source {
                    try db.execute(sql: "DELETE FROM provenance WHERE indicator_id = ? AND source = ?", arguments: [id, source])
                } else {
                    try db.execute(sql: "DELETE FROM provenance WHERE indicator_id = ?", arguments: [id])
                }
                let removed = db.changesCount
                let left =
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM provenance WHERE indicator_id = ?", arguments: [id]) ?? 0
                if left == 0 { try db.execute(sql: "DELETE FROM indicator WHERE id = ?", arguments: [id]) }
                return Removal(provenanceRecords: removed, indicatorRemoved: left == 0)
            }
        } catch {
            throw IntelError.store(error, path: path)
        }
    }
}
