import Foundation
import GRDB
import SpoorCore
import SpoorIntel

/// One passive DNS import: the file, its hash and when it was imported.
public struct PassiveDNSImport: Hashable, Sendable, Codable {
    public var id: Int64
    public var fileName: String
    public var sha256: String
    public var importedAt: String
    public var records: Int
}

/// A name an address carried according to passive DNS, with the window the sensors saw it in
/// and the file that says so.
public struct PassiveDNSName: Hashable, Sendable, Codable {
    public var name: String
    public var type: String
    /// RFC 3339 UTC, or nil when the record gives no time.
    public var firstSeen: String?
    public var lastSeen: String?
    public var count: Int64?
    public var source: PassiveDNSImport
    public var line: Int

    /// `www.example.org (A record, seen 2024-01-01T10:00:00Z to 2024-02-01T08:00:00Z, 12 times;
    /// pdns.jsonl line 3)`.
    public var words: String {
        var text = "\(name) (\(type == "PTR" ? "PTR name" : "\(type) record")"
        switch (firstSeen, lastSeen) {
        case (let a?, let b?): text += a == b ? ", seen at \(a)" : ", seen \(a) to \(b)"
        case (let a?, nil): text += ", first seen \(a)"
        case (nil, let b?): text += ", last seen \(b)"
        case (nil, nil): text += ", no time given"
        }
        if let count { text += count == 1 ? ", once" : ", \(count) times" }
        return text + "; \(source.fileName) line \(line))"
    }
}

/// What importing a passive DNS file did.
public struct PassiveDNSImportReport: Sendable {
    public var kept = 0
    /// Records of types that tie no address to a name, by type.
    public var otherTypes: [String: Int] = [:]
    public var unreadable: [(line: Int, reason: String)] = []
}

extension IndicatorStore {
    static func registerPassiveDNSMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v10 passive DNS") { db in
            try db.execute(
                sql: """
                    CREATE TABLE pdns_import (
                        id INTEGER PRIMARY KEY,
                        file_name TEXT NOT NULL,
                        file_sha256 TEXT NOT NULL,
                        imported_at TEXT NOT NULL,
                        records INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE pdns_record (
                        import_id INTEGER NOT NULL REFERENCES pdns_import(id) ON DELETE CASCADE,
                        family INTEGER NOT NULL,
                        address_hex TEXT NOT NULL,
                        name TEXT NOT NULL,
                        type TEXT NOT NULL,
                        time_first INTEGER,
                        time_last INTEGER,
                        count INTEGER,
                        line INTEGER NOT NULL
                    );
                    CREATE INDEX pdns_record_address ON pdns_record (family, address_hex, time_first);
                    """)
        }
    }

    /// Imports a passive DNS file (common output format, JSON lines) in one transaction; A, AAAA
    /// and PTR records are kept, other types counted, unreadable lines listed with the rest kept.
    public func importPassiveDNS(_ source: any ByteSource, fileName: String, sha256: String) throws -> PassiveDNSImportReport {
        var report = PassiveDNSImportReport()
        try database.write { db in
            try db.execute(
                sql: "INSERT INTO pdns_import (file_name, file_sha256, imported_at) VALUES (?, ?, ?)",
                arguments: [fileName, sha256, ISO8601DateFormatter().string(from: clock.now())])
            let importID = db.lastInsertedRowID
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO pdns_record (import_id, family, address_hex, name, type, time_first, time_last, count, line)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            var reader = LineReader(source)
            while let line = try reader.next() {
                switch PassiveDNSReader.read(line.text, number: line.number) {
                case .success(.records(let records)?):
                    for r in records {
                        try insert.execute(arguments: [
                            importID, Int(r.address.family.rawValue), Self.hex(r.address), r.name, r.type, r.firstSeen,
                            r.lastSeen, r.count, r.line,
                        ])
                        report.kept += 1
                    }
                case .success(.otherType(let type)?): report.otherTypes[type, default: 0] += 1
                case .success(nil): break
                case .failure(let error): report.unreadable.append((error.line, error.reason))
                }
            }
            try db.execute(sql: "UPDATE pdns_import SET records = ? WHERE id = ?", arguments: [report.kept, importID])
        }
        return report
    }

    public func passiveDNSImports() throws(IntelError) -> [PassiveDNSImport] {
        do {
            return try reader.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM pdns_import ORDER BY id").map(Self.passiveDNSImport)
            }
        } catch {
            throw IntelError.store(error, path: path)
        }
    }

    static func passiveDNSImport(_ row: Row) -> PassiveDNSImport {
        PassiveDNSImport(
            id: row["id"], fileName: row["file_name"], sha256: row["file_sha256"], importedAt: row["imported_at"],
            records: row["records"])
    }

    /// The names passive DNS ties to the address whose window [first, last] comes within
    /// `margin` seconds of [from, until] (a record without times always does), earliest first;
    /// at most `limit`. `imports` are ``passiveDNSImports()``, read once by a caller asking for
    /// many addresses; none asks nothing.
    public func passiveDNSNames(
        for address: IPAddress, from: Int64, until: Int64, margin: Int64, limit: Int = 50, imports: [PassiveDNSImport]
    ) throws(IntelError) -> [PassiveDNSName] {
        guard !imports.isEmpty else { return [] }
        let address = address.normalized
        do {
            return try reader.read { db in
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT * FROM pdns_record WHERE family = ? AND address_hex = ?
                          AND (time_first IS NULL OR time_first <= ?) AND (time_last IS NULL OR time_last >= ?)
                        ORDER BY time_first, name LIMIT ?
                        """,
                    arguments: [Int(address.family.rawValue), Self.hex(address), until + margin, from - margin, limit])
                return rows.compactMap { row in
                    guard let source = imports.first(where: { $0.id == row["import_id"] }) else { return nil }
                    return PassiveDNSName(
                        name: row["name"], type: row["type"], firstSeen: (row["time_first"] as Int64?).map(Self.utcText),
                        lastSeen: (row["time_last"] as Int64?).map(Self.utcText), count: row["count"], source: source,
                        line: row["line"])
                }
            }
        } catch {
            throw IntelError.store(error, path: path)
        }
    }

    /// RFC 3339 UTC, as the annex writes every time.
    static func utcText(_ seconds: Int64) -> String { Timestamp.unixSeconds(seconds).rfc3339UTC ?? String(seconds) }
}

extension IndicatorStore {
    /// Records the hash of passive DNS read from standard input (hashed while it was read).
    public func setPassiveDNSSHA256(_ sha256: String, forLatestNamed name: String) throws {
        try database.write { db in
            try db.execute(
                sql: "UPDATE pdns_import SET file_sha256 = ? WHERE id = (SELECT max(id) FROM pdns_import WHERE file_name = ?)",
                arguments: [sha256, name])
        }
    }
}
