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
        try reader.read { db in
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
        try reader.read { db in
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
