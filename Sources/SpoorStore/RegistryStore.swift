import Foundation
import GRDB
import SpoorCore
import SpoorIntel

/// One registry import: the file, its hash, and the date its data describes.
public struct RegistryImport: Hashable, Sendable, Codable {
    public var id: Int64
    public var fileName: String
    public var sha256: String
    public var format: String
    /// The date the data is "as of" (YYYY-MM-DD), given by the examiner or taken from the file.
    public var asOf: String
    /// How the date was decided: `given` (--as-of) or `file modification time`.
    public var asOfBasis: String
}

/// What the registry data says of an address, as of one import's date.
public struct RegistryAnswer: Hashable, Sendable, Codable {
    public var source: RegistryImport
    /// The most specific netblock (inetnum/inet6num, or the iptoasn range) containing the address.
    public var netblock: RegistryObject?
    /// The holder: the netblock's organisation name, else its description, else its name.
    public var holder: String?
    /// The most specific route containing the address, and its origin AS and AS name.
    public var route: RegistryObject?
    public var originASN: UInt32?
    public var originName: String?
    /// The organisation holding the origin AS (RPSL `org:` of the aut-num, as2org organisation).
    public var originOrganisation: String?
    /// When the AS's name comes from another import than this one (a pfx2as snapshot names no
    /// AS): that import's file and date.
    public var originFrom: String?

    /// `192.0.2.0 - 192.0.2.255 EXAMPLE-NET (Example Org), route 192.0.2.0/24 AS64500 EXAMPLE-AS, as of 2024-01-01`.
    public var summary: String {
        var parts: [String] = []
        if let netblock {
            parts.append("\(netblock.key)" + (netblock.name.map { " \($0)" } ?? "") + (holder.map { " (\($0))" } ?? ""))
        }
        if let originASN {
            parts.append(
                (route.map { "\($0.kind == .prefixOrigin ? "prefix" : "route") \($0.key) " } ?? "") + "AS\(originASN)"
                    + (originName.map { " \($0)" } ?? "") + (originOrganisation.map { " of \($0)" } ?? "")
                    + (originFrom.map { " (AS named by \($0))" } ?? ""))
        }
        return (parts.isEmpty ? "no registry object covers it" : parts.joined(separator: ", ")) + ", as of \(source.asOf)"
    }
}

extension IndicatorStore {
    static func registerRegistryMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2 registry data") { db in
            // Addresses as 32 hex digits (UInt128), so text order is numeric order.
            try db.execute(
                sql: """
                    CREATE TABLE registry_import (
                        id INTEGER PRIMARY KEY,
                        file_name TEXT NOT NULL,
                        file_sha256 TEXT NOT NULL,
                        format TEXT NOT NULL,
                        as_of TEXT NOT NULL,
                        as_of_basis TEXT NOT NULL,
                        imported_at TEXT NOT NULL
                    );
                    CREATE TABLE registry_object (
                        id INTEGER PRIMARY KEY,
                        import_id INTEGER NOT NULL REFERENCES registry_import(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL,
                        key TEXT NOT NULL,
                        family INTEGER,
                        first_hex TEXT,
                        last_hex TEXT,
                        asn INTEGER,
                        document TEXT NOT NULL
                    );
                    CREATE INDEX registry_object_range ON registry_object (import_id, family, first_hex);
                    CREATE INDEX registry_object_key ON registry_object (import_id, kind, key);
                    CREATE INDEX registry_object_asn ON registry_object (import_id, kind, asn);
                    """)
        }
    }

    static func registerRegistryLookupMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5 registry lookup by kind") { db in
            // The most specific object of a kind containing an address: rows of one import and
            // kind in the order the lookup wants (latest start, then earliest end), so it reads
            // one row instead of sorting every range that starts before the address.
            try db.execute(
                sql: """
                    CREATE INDEX registry_object_containing ON registry_object (import_id, kind, family, first_hex, last_hex DESC);
                    """)
        }
    }

    static func registerRegistryOrganisationMigration(_ migrator: inout DatabaseMigrator) {
        // An organisation's other netblocks and ASes, and a maintainer's, found from an index
        // (the neighbourhood of an address).
        migrator.registerMigration("v9 registry objects by organisation and maintainer") { db in
            try db.execute(
                sql: """
                    ALTER TABLE registry_object ADD COLUMN org TEXT;
                    ALTER TABLE registry_object ADD COLUMN maintainer TEXT;
                    UPDATE registry_object SET org = json_extract(document, '$.org'),
                        maintainer = json_extract(document, '$.maintainedBy')
                    WHERE kind IN ('inetnum', 'inet6num', 'route', 'route6', 'aut-num');
                    CREATE INDEX registry_object_org ON registry_object (org, import_id) WHERE org IS NOT NULL;
                    CREATE INDEX registry_object_maintainer ON registry_object (maintainer, import_id) WHERE maintainer IS NOT NULL;
                    """)
        }
    }

    static func registerRegistryLeanIndexMigration(_ migrator: inout DatabaseMigrator) {
        // Fewer index entries per netblock (an import writes millions): the key and AS indexes
        // hold only the kinds looked up by them, and the range index (v2) is covered by v5's.
        migrator.registerMigration("v11 registry indexes for the kinds that use them") { db in
            try db.execute(
                sql: """
                    DROP INDEX registry_object_range;
                    DROP INDEX registry_object_key;
                    DROP INDEX registry_object_asn;
                    CREATE INDEX registry_object_key ON registry_object (import_id, key) WHERE kind = 'organisation';
                    CREATE INDEX registry_object_asn ON registry_object (import_id, asn) WHERE kind = 'aut-num';
                    """)
        }
    }

    /// What the reading thread of an import hands to the writing one.
    enum RegistryRead: Sendable {
        /// An object and the row id it is written with.
        case object(RegistryObject, id: Int64)
        /// An object of a class Spoor does not keep (personal data, other classes).
        case skipped(String)
        case unreadable(Int, String)
    }

    static func hex(_ address: IPAddress) -> String {
        let digits = String(address.value, radix: 16)
        return String(repeating: "0", count: 32 - digits.count) + digits
    }

    /// Imports a registry file (RPSL dump, iptoasn or pfx2as table, as2org file, Tor exit list)
    /// in one transaction. Personal objects are skipped unread; unreadable objects are listed
    /// with their line and the rest kept.
    /// - Parameters:
    ///   - asOf: the date the data describes (YYYY-MM-DD), and how it was decided. When nil, the
    ///     date a Tor list states (its `Downloaded` line, else its latest `LastStatus`) or the
    ///     file name's; data that states none is refused with ``RegistryDateMissing``.
    ///   - hashedWhileRead: when the source hashes what it hands out, its hash once it was read
    ///     to the end: recorded in the same transaction instead of `sha256`.
    public func importRegistry(
        _ source: any ByteSource, format: RegistryFormat, fileName: String, sha256: String, asOf: String?,
        asOfBasis: String = "given", hashedWhileRead: (() -> String?)? = nil
    ) throws -> RegistryImportReport {
        var date = asOf
        var basis = asOfBasis
        if date == nil, format != .torExits, let named = DateInFileName.date(in: fileName) {
            date = named
            basis = "file name"
        }
        guard date != nil || format == .torExits else { throw RegistryDateMissing(fileName: fileName, format: format) }
        var report = RegistryImportReport(format: format.rawValue, asOf: date ?? "", asOfBasis: basis)
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO registry_import (file_name, file_sha256, format, as_of, as_of_basis, imported_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    fileName, sha256, format.rawValue, date ?? "", basis, ISO8601DateFormatter().string(from: clock.now()),
                ])
            let importID = db.lastInsertedRowID
            let insert = try BoundInsert(
                db,
                sql:
                    "INSERT INTO registry_object (id, import_id, \(RegistryRows.columns)) VALUES (\(Array(repeating: "?", count: 17).joined(separator: ", ")))"
            )
            // The file is read and parsed on a thread of its own while this one writes.
            var torReader = TorExitListReader()
            var links = RegistryLinks()
            var cut: Int?
            // Ids given by the reading thread, which gathers the links while it reads.
            var nextID = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) + 1 FROM registry_object") ?? 1
            try Pipeline.run(
                produce: { (emit: (RegistryRead) throws -> Void) in
                    func keep(_ object: RegistryObject) throws {
                        links.add(kind: object.kind, org: object.org, maintainer: object.maintainedBy, id: nextID)
                        try emit(.object(object, id: nextID))
                        nextID += 1
                    }
                    func take(_ result: Result<RegistryObject?, RegistryReadError>) throws {
                        switch result {
                        case .success(let object?): try keep(object)
                        case .success(nil): break
                        case .failure(let error): try emit(.unreadable(error.line, error.reason))
                        }
                    }
                    func lines(_ body: (String, Int) throws -> Void) throws {
                        var reader = LineReader(source)
                        while let line = try reader.next() { try body(line.text, line.number) }
                    }
                    switch format {
                    case .rpsl:
                        cut = try RPSLReader.forEachObject(source, names: RPSLReader.attributesKept) { attributes, line in
                            guard let className = attributes.first?.0 else { return }
                            switch RPSLReader.object(attributes, line: line) {
                            case .success(let object?): try keep(object)
                            case .success(nil): try emit(.skipped(className))
                            case .failure(let error): try emit(.unreadable(error.line, error.reason))
                            }
                        }
                    case .iptoasn: try lines { try take(IPToASNReader.object($0, number: $1)) }
                    case .pfx2as: try lines { try take(PrefixToASReader.object($0, number: $1)) }
                    case .as2org:
                        var reader = AS2OrgReader()
                        try lines { try take(reader.object($0, number: $1)) }
                    case .torExits:
                        try lines { try take(torReader.object($0, number: $1)) }
                    }
                },
                consume: { items in
                    for item in items {
                        switch item {
                        case .object(let object, let id):
                            try insert.insert { RegistryRows.bind(id, importID, object, &$0) }
                            report.kept[object.kind, default: 0] += 1
                        case .skipped(let className): report.skippedKinds[className, default: 0] += 1
                        case .unreadable(let line, let reason): report.unreadable.append((line, reason))
                        }
                    }
                })
            if let cut {
                report.unreadable.append(
                    (cut, "the dump ends without a final newline: it may be cut short; the object starting here was kept as read")
                )
            }
            if format == .torExits {
                if let error = torReader.finish() { report.unreadable.append((error.line, error.reason)) }
                if date == nil {
                    if let downloaded = torReader.downloaded {
                        date = String(downloaded.prefix(10))
                        basis = "list's Downloaded line (\(downloaded))"
                    } else if let latest = torReader.latestStatus {
                        date = String(latest.prefix(10))
                        basis = "list's latest LastStatus (\(latest))"
                    } else {
                        throw RegistryDateMissing(fileName: fileName, format: format)
                    }
                    report.asOf = date ?? ""
                    report.asOfBasis = basis
                    try db.execute(
                        sql: "UPDATE registry_import SET as_of = ?, as_of_basis = ? WHERE id = ?",
                        arguments: [date, basis, importID])
                }
            }
            try links.write(importID: importID, db)
            if let hash = hashedWhileRead?() {
                try db.execute(sql: "UPDATE registry_import SET file_sha256 = ? WHERE id = ?", arguments: [hash, importID])
            }
        }
        return report
    }

    /// Every registry import, oldest data first.
    public func registryImports() throws -> [RegistryImport] {
        try reader.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM registry_import ORDER BY as_of, id").map(Self.registryImport)
        }
    }

    static func registryImport(_ row: Row) -> RegistryImport {
        RegistryImport(
            id: row["id"], fileName: row["file_name"], sha256: row["file_sha256"], format: row["format"], asOf: row["as_of"],
            asOfBasis: row["as_of_basis"])
    }

    /// What each registry import says of the address: the most specific netblock and route
    /// containing it, the holder and the origin AS, one answer per import that has any. For many
    /// addresses, keep one ``RegistryReader``: it reads large imports into memory once.
    public func registryAnswers(for address: IPAddress) throws(IntelError) -> [RegistryAnswer] {
        try RegistryReader(self, strategy: .queries).answers(for: address)
    }
}
