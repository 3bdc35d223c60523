import Foundation
import GRDB
import SpoorCore
import SpoorIntel

/// A registry object's row: each field in a column of its own, addresses as their bytes.
///
/// One snapshot of a RIPE dump is millions of rows, a year of them tens of millions, so a row
/// holds what an answer needs and nothing twice: the range as 4 bytes (IPv4) or 16 (IPv6),
/// big-endian, so that comparing two of one family compares the addresses; no JSON copy of the
/// columns.
enum RegistryRows {
    /// The columns of `registry_object` after the import id, in the order ``bind(_:_:_:_:)`` binds them (after the id and import id)
    /// and ``object(_:)`` reads them.
    static let columns =
        "kind, key, family, first, last, asn, name, descr, country, org, status, maintainer, created, last_modified, line"

    /// The kinds whose `org:` and `mnt-by:` make an object part of an organisation's
    /// neighbourhood (``RegistryLinks``).
    static let relatedKinds: Set<RegistryObject.Kind> = [.inetnum, .inet6num, .route, .route6, .autNum]

    /// The address of a `first`/`last` column's bytes (``IPAddress/bytes``).
    static func address(_ data: Data?) -> IPAddress? { data.flatMap { IPAddress(bytes: $0) } }

    /// Binds the object's values for `INSERT INTO registry_object (id, import_id, <columns>)`.
    static func bind(_ id: Int64, _ importID: Int64, _ object: RegistryObject, _ row: inout BoundInsert.Row) {
        row.int(id)
        row.int(importID)
        row.text(object.kind.rawValue)
        row.text(object.key)
        row.int(object.first.map { Int($0.family.rawValue) })
        row.blob(object.first?.bytes)
        row.blob(object.last?.bytes)
        row.int(object.asn.map(Int64.init))
        row.text(object.name)
        row.text(object.descr)
        row.text(object.country)
        row.text(object.org)
        row.text(object.status)
        row.text(object.maintainedBy)
        row.text(object.created)
        row.text(object.lastModified)
        row.int(object.line)
    }

    /// The object of a row selected with ``columns`` (by name, so other columns may come first).
    static func object(_ row: Row) -> RegistryObject? {
        guard let kind = RegistryObject.Kind(rawValue: row["kind"]) else { return nil }
        var object = RegistryObject(kind: kind, key: row["key"], line: row["line"])
        object.first = address(row["first"])
        object.last = address(row["last"])
        object.asn = (row["asn"] as Int64?).map { UInt32(truncatingIfNeeded: $0) }
        object.name = row["name"]
        object.descr = row["descr"]
        object.country = row["country"]
        object.org = row["org"]
        object.status = row["status"]
        object.maintainedBy = row["maintainer"]
        object.created = row["created"]
        object.lastModified = row["last_modified"]
        return object
    }
}

/// The objects of each organisation (`org:`) and each maintainer (`mnt-by:`) in one import:
/// one row of `registry_link` per organisation or maintainer, holding its objects' ids.
///
/// Gathered in memory while an import writes its objects and written once at its end: an index
/// on the objects' `org` kept row by row cost more than the rest of the import, since a
/// snapshot's organisations come in no order, and a row per object and organisation cost
/// almost as much. A snapshot names tens of thousands of organisations for millions of objects.
struct RegistryLinks {
    private var orgs: [String: [Int64]] = [:]
    private var maintainers: [String: [Int64]] = [:]

    mutating func add(kind: RegistryObject.Kind, org: String?, maintainer: String?, id: Int64) {
        guard RegistryRows.relatedKinds.contains(kind) else { return }
        if let org { orgs[org, default: []].append(id) }
        if let maintainer { maintainers[maintainer, default: []].append(id) }
    }

    func write(importID: Int64, _ db: Database) throws {
        let insert = try BoundInsert(
            db, sql: "INSERT INTO registry_link (relation, import_id, value, object_ids) VALUES (?, ?, ?, ?)")
        for (relation, values) in [("maintainer", maintainers), ("org", orgs)] {
            for (value, ids) in values.sorted(by: { $0.key < $1.key }) {
                try insert.insert { row in
                    row.text(relation)
                    row.int(importID)
                    row.text(value)
                    row.blob(Self.bytes(ids))
                }
            }
        }
    }

    /// The ids as 8-byte little-endian integers, one after another.
    static func bytes(_ ids: [Int64]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ids.count * 8)
        for id in ids { withUnsafeBytes(of: id.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    static func ids(_ data: Data) -> [Int64] {
        data.withUnsafeBytes { raw in
            (0..<raw.count / 8).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
        }
    }
}

extension IndicatorStore {
    static func registerRegistryColumnsMigration(_ migrator: inout DatabaseMigrator) {
        // Registry objects in typed columns with addresses as bytes, instead of a JSON document
        // beside 32-digit hex addresses: a row and its index entry are about half the size, and
        // an import writes no JSON. Rows keep their ids. An organisation's and a maintainer's
        // objects are found from `registry_link` (relation, import, value), written in order at
        // the end of each import, instead of two indexes kept row by row.
        migrator.registerMigration("v12 registry objects in columns") { db in
            db.add(
                function: DatabaseFunction("spoor_hex_address", argumentCount: 2, pure: true) { values in
                    guard let hex = String.fromDatabaseValue(values[0]), let family = Int.fromDatabaseValue(values[1]),
                        let value = UInt128(hex, radix: 16)
                    else { return nil }
                    let address =
                        family == Int(IPAddress.Family.v4.rawValue)
                        ? IPAddress(v4: UInt32(truncatingIfNeeded: value)) : IPAddress(v6: value)
                    return Data(address.bytes)
                })
            try db.execute(
                sql: """
                    CREATE TABLE registry_object_v12 (
                        id INTEGER PRIMARY KEY,
                        import_id INTEGER NOT NULL REFERENCES registry_import(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL,
                        key TEXT NOT NULL,
                        family INTEGER,
                        first BLOB,
                        last BLOB,
                        asn INTEGER,
                        name TEXT,
                        descr TEXT,
                        country TEXT,
                        org TEXT,
                        status TEXT,
                        maintainer TEXT,
                        created TEXT,
                        last_modified TEXT,
                        line INTEGER NOT NULL
                    );
                    INSERT INTO registry_object_v12 (id, import_id, \(RegistryRows.columns))
                    SELECT id, import_id, kind, key, family, spoor_hex_address(first_hex, family),
                        spoor_hex_address(last_hex, family), asn, json_extract(document, '$.name'),
                        json_extract(document, '$.descr'), json_extract(document, '$.country'),
                        json_extract(document, '$.org'), json_extract(document, '$.status'),
                        json_extract(document, '$.maintainedBy'), json_extract(document, '$.created'),
                        json_extract(document, '$.lastModified'), coalesce(json_extract(document, '$.line'), 0)
                    FROM registry_object;
                    DROP TABLE registry_object;
                    ALTER TABLE registry_object_v12 RENAME TO registry_object;
                    CREATE INDEX registry_object_containing ON registry_object (import_id, kind, family, first, last DESC);
                    CREATE INDEX registry_object_key ON registry_object (import_id, key) WHERE kind = 'organisation';
                    CREATE INDEX registry_object_asn ON registry_object (import_id, asn) WHERE kind = 'aut-num';
                    CREATE TABLE registry_link (
                        relation TEXT NOT NULL,
                        import_id INTEGER NOT NULL REFERENCES registry_import(id) ON DELETE CASCADE,
                        value TEXT NOT NULL,
                        object_ids BLOB NOT NULL,
                        PRIMARY KEY (relation, import_id, value)
                    ) WITHOUT ROWID;
                    """)
            for importID in try Int64.fetchAll(db, sql: "SELECT id FROM registry_import") {
                var links = RegistryLinks()
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT id, kind, org, maintainer FROM registry_object WHERE import_id = ?", arguments: [importID])
                while let row = try rows.next() {
                    guard let kind = RegistryObject.Kind(rawValue: row["kind"]) else { continue }
                    links.add(kind: kind, org: row["org"], maintainer: row["maintainer"], id: row["id"])
                }
                try links.write(importID: importID, db)
            }
        }
    }
}
