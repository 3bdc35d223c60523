import Crypto
import Foundation
import GRDB
import SpoorCore
import SpoorIntel

/// The long-lived indicator database shared across cases: indicators, each with every
/// provenance record, and the import history. One SQLite file.
public final class IndicatorStore: Sendable {
    public let path: String
    /// Where the import times the store records come from.
    public let clock: SpoorClock
    /// The connection that writes (and migrates).
    let database: DatabaseQueue
    /// A connection of its own for reading, opened read-only. A read on the writing connection
    /// switches SQLite's `query_only` on and off around it, and each switch expires every
    /// statement prepared on that connection: a lookup asking the registry a dozen cached
    /// queries per address compiled them all again after each indicator or casebook read.
    let reader: DatabaseQueue

    /// Opens (creating when needed) the store at `path` and brings its schema up to date.
    /// - Throws: ``IntelError/storeUnavailable(path:reason:)``.
    public init(path: String, clock: SpoorClock = .system) throws(IntelError) {
        self.clock = clock
        self.path = path
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            database = try DatabaseQueue(path: path, configuration: .spoorReferenceStore)
            let newer = try IndicatorStore.migrator.unknownMigrations(in: database)
            guard newer.isEmpty else { throw IntelError.writtenByNewerSpoor(path: path, changes: newer) }
            try IndicatorStore.migrator.migrate(database)
            var reading = Configuration.spoorReferenceStore
            reading.readonly = true
            reader = try DatabaseQueue(path: path, configuration: reading)
        } catch let error as IntelError {
            throw error
        } catch {
            throw IntelError.store(error, path: path)
        }
    }

    /// Append-only: a released migration is never edited, only followed by a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 indicators and provenance") { db in
            try db.execute(
                sql: """
                    CREATE TABLE import (
                        id INTEGER PRIMARY KEY,
                        file_name TEXT NOT NULL,
                        file_sha256 TEXT NOT NULL,
                        format TEXT NOT NULL,
                        imported_at TEXT NOT NULL
                    );
                    CREATE TABLE indicator (
                        id INTEGER PRIMARY KEY,
                        type TEXT NOT NULL,
                        value TEXT NOT NULL,
                        UNIQUE (type, value)
                    );
                    CREATE TABLE provenance (
                        id INTEGER PRIMARY KEY,
                        indicator_id INTEGER NOT NULL REFERENCES indicator(id) ON DELETE CASCADE,
                        import_id INTEGER REFERENCES import(id),
                        source TEXT NOT NULL,
                        title TEXT,
                        reference TEXT,
                        published TEXT,
                        first_seen TEXT,
                        last_seen TEXT,
                        confidence INTEGER,
                        tlp TEXT,
                        tags TEXT NOT NULL DEFAULT '[]',
                        campaign TEXT,
                        description TEXT,
                        valid_from TEXT,
                        valid_until TEXT,
                        origin TEXT
                    );
                    CREATE UNIQUE INDEX provenance_identity ON provenance (
                        indicator_id, source, ifnull(reference, ''), ifnull(first_seen, ''));
                    """)
        }
        registerRegistryMigration(&migrator)
        registerWarninglistMigration(&migrator)
        registerSnapshotMigration(&migrator)
        registerRegistryLookupMigration(&migrator)
        registerCasebookMigration(&migrator)
        registerRegistryOrganisationMigration(&migrator)
        registerPassiveDNSMigration(&migrator)
        registerRegistryLeanIndexMigration(&migrator)
        registerRegistryColumnsMigration(&migrator)
        registerWarninglistVersionsMigration(&migrator)
        return migrator
    }

    /// Adds an indicator with one provenance record. Returns false when the store already held
    /// that exact provenance (same indicator, source, reference and first-seen date).
    @discardableResult
    public func add(_ indicator: Indicator, provenance: Provenance) throws(IntelError) -> Bool {
        do {
            return try database.write { db in try Self.insert(db, indicator, provenance, importID: nil) }
        } catch {
            throw IntelError.store(error, path: path)
        }
    }

    static func insert(_ db: Database, _ indicator: Indicator, _ p: Provenance, importID: Int64?) throws -> Bool {
        try db.execute(
            sql: "INSERT OR IGNORE INTO indicator (type, value) VALUES (?, ?)",
            arguments: [indicator.type.rawValue, indicator.value])
        guard
            let id = try Int64.fetchOne(
                db, sql: "SELECT id FROM indicator WHERE type = ? AND value = ?",
                arguments: [indicator.type.rawValue, indicator.value])
        else { return false }
        let tags = String(decoding: try JSONEncoder().encode(p.tags), as: UTF8.self)
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO provenance (indicator_id, import_id, source, title, reference, published,
                    first_seen, last_seen, confidence, tlp, tags, campaign, description, valid_from, valid_until, origin)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                id, importID, p.source, p.title, p.reference, p.published, p.firstSeen, p.lastSeen, p.confidence,
                p.tlp, tags, p.campaign, p.description, p.validFrom, p.validUntil, p.origin,
            ])
        return db.changesCount > 0
    }

    /// Runs an import in one transaction: either every accepted row is stored or none.
    func performImport(
        fileName: String, sha256: String, format: String,
        _ body: (_ add: (Indicator, Provenance) throws -> Bool) throws -> Void
    ) throws(IntelError) {
        do {
            try database.write { db in
                try db.execute(
                    sql: "INSERT INTO import (file_name, file_sha256, format, imported_at) VALUES (?, ?, ?, ?)",
                    arguments: [fileName, sha256, format, ISO8601DateFormatter().string(from: clock.now())])
                let importID = db.lastInsertedRowID
                try body { indicator, provenance in
                    try Self.insert(db, indicator, provenance, importID: importID)
                }
            }
        } catch let error as IntelError {
            throw error
        } catch {
            throw IntelError.store(error, path: path)
        }
    }

    /// Every indicator with its provenance, ordered by type then value.
    public func records(ids: [Int64]? = nil) throws(IntelError) -> [IndicatorRecord] {
        do {
            return try reader.read { db in
                var sql = "SELECT id, type, value FROM indicator"
                var arguments: StatementArguments = []
                if let ids {
                    sql += " WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ",")))"
                    arguments = StatementArguments(ids)
                }
                sql += " ORDER BY type, value"
                let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
                var records: [IndicatorRecord] = []
                for row in rows {
                    guard let type = IndicatorType(rawValue: row["type"]) else { continue }
                    let id: Int64 = row["id"]
                    records.append(
                        IndicatorRecord(
                            id: id, indicator: Indicator(type: type, canonicalValue: row["value"]),
                            provenance: try Self.provenance(db, indicatorID: id)))
                }
                return records
            }
        } catch {
            throw IntelError.store(error, path: path)
        }
    }

    static func provenance(_ db: Database, indicatorID: Int64) throws -> [Provenance] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM provenance WHERE indicator_id = ? ORDER BY source, reference, first_seen, id",
            arguments: [indicatorID]
        ).map { row in
            let tagText: String = row["tags"] ?? "[]"
            let tags = (try? JSONDecoder().decode([String].self, from: Data(tagText.utf8))) ?? []
            return Provenance(
                source: row["source"], title: row["title"], reference: row["reference"], published: row["published"],
                firstSeen: row["first_seen"], lastSeen: row["last_seen"], confidence: row["confidence"],
                tlp: row["tlp"], tags: tags, campaign: row["campaign"], description: row["description"],
                validFrom: row["valid_from"], validUntil: row["valid_until"], origin: row["origin"])
        }
    }

    /// Compiles every indicator into a matcher.
    public func matcher() throws(IntelError) -> IndicatorMatcher {
        do {
            let entries = try reader.read { db in
                try Row.fetchAll(db, sql: "SELECT id, type, value FROM indicator").compactMap { row -> (Int64, Indicator)? in
                    guard let type = IndicatorType(rawValue: row["type"]) else { return nil }
                    return (row["id"], Indicator(type: type, canonicalValue: row["value"]))
                }
            }
            return IndicatorMatcher(entries.map { (id: $0.0, indicator: $0.1) })
        } catch {
            throw IntelError.store(error, path: path)
        }
    }

    /// Counts and the content hash, for `spoor intel stats` and for reports.
    public func statistics() throws(IntelError) -> IntelStatistics {
        do {
            return try reader.read { db in
                var byType: [String: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT type, count(*) AS n FROM indicator GROUP BY type") {
                    byType[row["type"]] = row["n"]
                }
                var bySource: [String: Int] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT source, count(*) AS n FROM provenance GROUP BY source") {
                    bySource[row["source"]] = row["n"]
                }
                let provenance = try Int.fetchOne(db, sql: "SELECT count(*) FROM provenance") ?? 0
                let imports = try Int.fetchOne(db, sql: "SELECT count(*) FROM import") ?? 0
                return IntelStatistics(
                    indicatorsByType: byType, provenanceBySource: bySource, provenanceRecords: provenance,
                    imports: imports, contentHash: try Self.contentHash(db))
            }
        } catch {
            throw IntelError.store(error, path: path)
        }
    }

    /// SHA-256 over every indicator and provenance record in a fixed order and layout: the same
    /// content gives the same hash whatever the order of imports. Reports cite it as the
    /// indicator set's version.
    static func contentHash(_ db: Database) throws -> String {
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT i.type, i.value, p.source, p.title, p.reference, p.published, p.first_seen, p.last_seen,
                       p.confidence, p.tlp, p.tags, p.campaign, p.description, p.valid_from, p.valid_until
                FROM indicator i JOIN provenance p ON p.indicator_id = i.id
                ORDER BY i.type, i.value, p.source, ifnull(p.reference, ''), ifnull(p.first_seen, ''), p.title,
                         p.published, p.last_seen, p.confidence, p.tlp, p.tags, p.campaign, p.description,
                         p.valid_from, p.valid_until
                """)
        return try hashRows(rows).hash
    }

    /// SHA-256 over rows in the order given, one line per row (columns tab-separated, NULL as a
    /// NUL character), and how many rows there were: a content version the annex can cite.
    static func hashRows(_ rows: RowCursor) throws -> (hash: String, rows: Int) {
        var hasher = SHA256()
        var count = 0
        while let row = try rows.next() {
            count += 1
            let fields = (0..<row.count).map { i -> String in
                let value: DatabaseValue = row[i]
                return value.isNull ? "\u{0}" : "\(value)"
            }
            hasher.update(data: Data((fields.joined(separator: "\t") + "\n").utf8))
        }
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), count)
    }
}

/// What the store holds.
public struct IntelStatistics: Hashable, Sendable, Codable {
    public var indicatorsByType: [String: Int]
    public var provenanceBySource: [String: Int]
    public var provenanceRecords: Int
    public var imports: Int
    /// SHA-256 of the whole content: the version a report cites.
    public var contentHash: String

    public var indicators: Int { indicatorsByType.values.reduce(0, +) }
}

/// Errors of the indicator store and its importers.

extension IntelError {
    /// A store error by its cause when it is one, else the error's own words.
    package static func store(_ error: any Error, path: String) -> IntelError {
        if let error = error as? IntelError { return error }
        if let fault = StoreFault.from(error, store: path) { return .fault(fault) }
        return .storeUnavailable(path: path, reason: "\(error)")
    }
}
