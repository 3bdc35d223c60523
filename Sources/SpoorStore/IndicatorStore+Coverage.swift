import Foundation
import GRDB
import SpoorCore
import SpoorIntel

extension IndicatorStore {
    static func registerSnapshotMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v4 coverage snapshot") { db in
            // The snapshot is derived data: any change to the indicators discards it.
            try db.execute(
                sql: """
                    CREATE TABLE coverage_snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), data BLOB NOT NULL);
                    CREATE TRIGGER coverage_stale_insert AFTER INSERT ON indicator BEGIN DELETE FROM coverage_snapshot; END;
                    CREATE TRIGGER coverage_stale_delete AFTER DELETE ON indicator BEGIN DELETE FROM coverage_snapshot; END;
                    CREATE TRIGGER coverage_stale_update AFTER UPDATE ON indicator BEGIN DELETE FROM coverage_snapshot; END;
                    """)
        }
    }

    /// The coverage of every IP and CIDR indicator: the stored snapshot when it is current,
    /// otherwise compiled from the indicators and stored (when the store is writable).
    public func coverage() throws(IntelError) -> CoverageIndex {
        do {
            let stored = try reader.read { db in try Data.fetchOne(db, sql: "SELECT data FROM coverage_snapshot WHERE id = 1") }
            if let stored, let index = CoverageIndex(serialized: stored) { return index }
            let networks = try reader.read { db in
                try Row.fetchAll(db, sql: "SELECT type, value FROM indicator WHERE type IN ('ipv4', 'ipv6', 'cidr')")
                    .compactMap { row -> IPNetwork? in
                        guard let type = IndicatorType(rawValue: row["type"]) else { return nil }
                        return Indicator(type: type, canonicalValue: row["value"]).network
                    }
            }
            let index = CoverageIndex(networks)
            try? database.write { db in
                try db.execute(
                    sql: "INSERT OR REPLACE INTO coverage_snapshot (id, data) VALUES (1, ?)", arguments: [index.serialized])
            }
            return index
        } catch {
            throw IntelError.store(error, path: path)
        }
    }
}
