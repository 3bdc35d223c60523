import Foundation
import CSQLiteSetup
import GRDB
import SpoorCore
import SpoorIntel

extension DatabaseMigrator {
    /// The migrations a store records that this build does not know, in the order they were
    /// applied: a non-empty answer means a newer Spoor wrote the store, and opening it must
    /// not change it. Read-only; a store without migrations yet answers none.
    public func unknownMigrations(in reader: some DatabaseReader) throws -> [String] {
        try reader.read { db in
            guard try db.tableExists("grdb_migrations") else { return [] }
            let known = Set(migrations)
            return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
                .filter { !known.contains($0) }
        }
    }
}

extension StoreFault {
    /// The fault a store library error stands for; nil for errors that are not the store's.
    package static func from(_ error: any Error, store: String) -> StoreFault? {
        guard let error = error as? DatabaseError else { return nil }
        return StoreFault(store: store, sqliteResultCode: error.extendedResultCode.rawValue, detail: "\(error)")
    }
}

extension Configuration {
    /// How both stores open: foreign keys on, and a bounded wait for another writer.
    package static var spoorStore: Configuration {
        _ = sqliteSetUp
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(TimeInterval(StoreFault.busyWaitSeconds))
        return configuration
    }

    /// The shared reference store: as ``spoorStore``, and read through memory-mapped pages and a
    /// larger page cache. A year of registry snapshots is several gigabytes asked a few pages at
    /// a time for each address; reading them with one system call each cost more than the
    /// answer (`Benchmarks/registry-year.sh`).
    package static var spoorReferenceStore: Configuration {
        var configuration = spoorStore
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA mmap_size = \(referenceMappedBytes); PRAGMA cache_size = -\(referenceCacheKiB)")
        }
        return configuration
    }

    /// SQLite's process-wide settings (`spoor_sqlite_setup`), made once, before the first
    /// connection opens. Without them an import of a million registry objects spent a tenth of
    /// its writing thread's time taking and releasing the memory-statistics mutex.
    private static let sqliteSetUp: Void = { _ = spoor_sqlite_setup() }()

    /// How much of the reference store may be mapped (SQLite caps it at its compiled maximum).
    static let referenceMappedBytes: Int64 = 1 << 36
    /// The page cache of the reference store, in KiB.
    static let referenceCacheKiB = 65_536
}
