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

    /// `192.0.2.0 - 192.0.2.255 EXAMPLE-NET (Example Org), route 192.0.2.0/24 AS64500 EXAMPLE-AS, as of 2024-01-01`.
    public var summary: String {
        var parts: [String] = []
        if let netblock {
            parts.append("\(netblock.key)" + (netblock.name.map { " \($0)" } ?? "") + (holder.map { " (\($0))" } ?? ""))
        }
        if let originASN {
            parts.append((route.map { "route \($0.key) " } ?? "") + "AS\(originASN)" + (originName.map { " \($0)" } ?? ""))
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

    static func hex(_ address: IPAddress) -> String {
        let digits = String(address.value, radix: 16)
        return String(repeating: "0", count: 32 - digits.count) + digits
    }

    /// Imports a registry file (RPSL dump or iptoasn table) in one transaction. Personal objects
    /// are skipped unread; unreadable objects are listed with their line.
    /// - Parameters:
    ///   - asOf: the date the data describes (YYYY-MM-DD), and how it was decided.
    public func importRegistry(
        _ source: any ByteSource, format: RegistryFormat, fileName: String, sha256: String, asOf: String, asOfBasis: String
    ) throws -> RegistryImportReport {
        var report = RegistryImportReport(format: format.rawValue, asOf: asOf)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO registry_import (file_name, file_sha256, format, as_of, as_of_basis, imported_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [fileName, sha256, format.rawValue, asOf, asOfBasis, ISO8601DateFormatter().string(from: clock.now())])
            let importID = db.lastInsertedRowID
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO registry_object (import_id, kind, key, family, first_hex, last_hex, asn, document)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            func keep(_ object: RegistryObject) throws {
                try insert.execute(arguments: [
                    importID, object.kind.rawValue, object.key, object.first.map { Int($0.family.rawValue) },
                    object.first.map(Self.hex), object.last.map(Self.hex), object.asn.map { Int64($0) },
                    String(decoding: try encoder.encode(object), as: UTF8.self),
                ])
                report.kept[object.kind, default: 0] += 1
            }
            switch format {
            case .rpsl:
                try RPSLReader.forEachObject(source) { attributes, line in
                    guard let className = attributes.first?.0 else { return }
                    switch RPSLReader.object(attributes, line: line) {
                    case .success(let object?): try keep(object)
                    case .success(nil): report.skippedKinds[className, default: 0] += 1
                    case .failure(let error): report.unreadable.append((error.line, error.reason))
                    }
                }
            case .iptoasn:
                var reader = LineReader(source)
                while let line = try reader.next() {
                    switch IPToASNReader.object(line.text, number: line.number) {
                    case .success(let object?): try keep(object)
                    case .success(nil): break
                    case .failure(let error): report.unreadable.append((error.line, error.reason))
                    }
                }
            }
        }
        return report
    }

    /// Every registry import, oldest data first.
    public func registryImports() throws -> [RegistryImport] {
        try database.read { db in
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

extension IndicatorStore {
    /// Records the hash of data that was hashed while it was read (standard input).
    public func setRegistrySHA256(_ sha256: String, forLatestNamed name: String) throws {
        try database.write { db in
            try db.execute(
                sql:
                    "UPDATE registry_import SET file_sha256 = ? WHERE id = (SELECT max(id) FROM registry_import WHERE file_name = ?)",
                arguments: [sha256, name])
        }
    }
}
