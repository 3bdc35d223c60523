import Foundation
import GRDB
import SpoorCore
import SpoorIntel

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

    /// v13: every dated version of a list is kept (the date it describes in `as_of`), so an
    /// address is judged by the version for the day of its records. Earlier stores held one
    /// version per list; its date is read from its version where that is one.
    static func registerWarninglistVersionsMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v13 warninglist versions") { db in
            try db.execute(
                sql: """
                    CREATE TABLE warninglist_version (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL,
                        description TEXT,
                        version TEXT NOT NULL,
                        type TEXT NOT NULL,
                        as_of TEXT,
                        file_sha256 TEXT NOT NULL,
                        imported_at TEXT NOT NULL,
                        UNIQUE (name, version)
                    );
                    INSERT INTO warninglist_version (id, name, description, version, type, as_of, file_sha256, imported_at)
                        SELECT id, name, description, version, type, NULL, file_sha256, imported_at FROM warninglist;
                    """)
            for row in try Row.fetchAll(db, sql: "SELECT id, version FROM warninglist_version") {
                guard let day = Warninglist.day(ofVersion: row["version"]) else { continue }
                try db.execute(
                    sql: "UPDATE warninglist_version SET as_of = ? WHERE id = ?", arguments: [day, row["id"] as Int64])
            }
            // The entries keep their ids' lists; the old table goes once nothing refers to it.
            try db.execute(
                sql: """
                    CREATE TABLE warninglist_version_entry (
                        warninglist_id INTEGER NOT NULL REFERENCES warninglist_version(id) ON DELETE CASCADE,
                        value TEXT NOT NULL
                    );
                    INSERT INTO warninglist_version_entry SELECT warninglist_id, value FROM warninglist_entry;
                    DROP TABLE warninglist_entry;
                    DROP TABLE warninglist;
                    CREATE INDEX warninglist_version_entry_list ON warninglist_version_entry (warninglist_id);
                    """)
        }
    }

    /// Stores a warninglist. A dated version (``Warninglist/asOf``) is kept beside the list's
    /// other dated versions, replacing only the same version and any undated one; an undated
    /// (fixed) list replaces every version of its name.
    /// - Returns: the entries kept and those that are not addresses or networks (cidr lists).
    @discardableResult
    public func importWarninglist(_ list: Warninglist, sha256: String) throws -> (kept: Int, unreadable: [String]) {
        let unreadable = list.type == "cidr" ? list.networks.unreadable : []
        try database.write { db in
            try db.execute(
                sql: list.asOf == nil
                    ? "DELETE FROM warninglist_version WHERE name = ?"
                    : "DELETE FROM warninglist_version WHERE name = ? AND (version = ? OR as_of IS NULL)",
                arguments: list.asOf == nil ? [list.name] : [list.name, list.version])
            try db.execute(
                sql: """
                    INSERT INTO warninglist_version (name, description, version, type, as_of, file_sha256, imported_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    list.name, list.description, list.version, list.type, list.asOf, sha256,
                    ISO8601DateFormatter().string(from: clock.now()),
                ])
            let id = db.lastInsertedRowID
            let insert = try db.makeStatement(
                sql: "INSERT INTO warninglist_version_entry (warninglist_id, value) VALUES (?, ?)")
            let bad = Set(unreadable)
            for entry in list.entries where !bad.contains(entry) { try insert.execute(arguments: [id, entry]) }
        }
        return (list.entries.count - unreadable.count, unreadable)
    }

    /// Every stored warninglist compiled into one matcher.
    public func warninglistMatcher() throws -> WarninglistMatcher {
        try reader.read { db in
            var stored: [(list: Warninglist, sha256: String?)] = []
            for row in try Row.fetchAll(
                db, sql: "SELECT id, name, version, type, as_of, file_sha256 FROM warninglist_version ORDER BY name, id")
            {
                let entries = try String.fetchAll(
                    db, sql: "SELECT value FROM warninglist_version_entry WHERE warninglist_id = ?",
                    arguments: [row["id"] as Int64])
                let list = Warninglist(
                    name: row["name"], description: nil, version: row["version"], type: row["type"], entries: entries,
                    asOf: row["as_of"])
                stored.append((list, row["file_sha256"]))
            }
            return WarninglistMatcher(stored)
        }
    }

    /// Stored lists, each version: name, version, the day it describes, type and entry count.
    public func warninglists() throws -> [(name: String, version: String, asOf: String?, type: String, entries: Int)] {
        try reader.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT w.name, w.version, w.as_of, w.type, count(e.value) AS n FROM warninglist_version w
                    LEFT JOIN warninglist_version_entry e ON e.warninglist_id = w.id GROUP BY w.id
                    ORDER BY w.name, w.as_of, w.id
                    """
            ).map { ($0["name"], $0["version"], $0["as_of"], $0["type"], $0["n"]) }
        }
    }
}
