import Foundation
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
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(TimeInterval(StoreFault.busyWaitSeconds))
        return configuration
    }
}
