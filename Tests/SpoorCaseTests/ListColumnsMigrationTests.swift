import Foundation
import GRDB
@testable import SpoorStore
@testable import SpoorCase
import SpoorAnalysis
import SpoorCore
import Testing

/// Case store v9 keeps novelty marks and a subject's countries and AS numbers as JSON arrays; a
/// case analysed by the release before (comma-joined text) reads the same after the migration.
@Suite struct ListColumnsMigrationTests {
    /// The stored marks and subject lists of every account record, decoded as the store decodes
    /// them, as text that compares.
    static func accountEvents(_ store: CaseStore) throws -> [String] {
        try store.database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT m.account_key, o.id, o.action, m.novel, s.countries, s.asns FROM record_observation o
                    JOIN observation_mark m ON m.observation_id = o.id LEFT JOIN subject_ip s ON s.ip = o.ip
                    ORDER BY m.account_key, o.id
                    """
            ).map { row in
                let novel = try JSONText.stringArray(row["novel"]).sorted()
                let countries = try (row["countries"] as String?).map(JSONText.stringArray) ?? []
                let asns = try (row["asns"] as String?).map(JSONText.unsignedArray) ?? []
                return
                    "\(row["account_key"] as String) \(row["id"] as Int64) \(row["action"] as String) \(novel) \(countries) \(asns)"
            }
        }
    }

    @Test func aCaseWithCommaJoinedListsReadsTheSameAfterTheMigration() throws {
        let (store, _, _) = try StreamingAnalysisTests.analysedCase()
        var events: [StoredEvent] = []
        try store.forEachEvent { events.append($0) }
        let given = try Self.accountEvents(store)
        #expect(given.contains { $0.contains("[\"NL\"] [64500]") } && given.contains { $0.contains("address") })
        // Back to what v8 wrote, and the migration forgotten.
        let (v8Countries, v8Marks) = try store.database.write { db in
            try db.execute(
                sql: """
                    UPDATE observation_mark SET novel = replace(replace(replace(replace(novel, '[', ''), ']', ''), '"', ''), ' ', '');
                    UPDATE subject_ip SET countries = replace(replace(replace(countries, '[', ''), ']', ''), '"', ''),
                        asns = replace(replace(asns, '[', ''), ']', '');
                    DELETE FROM grdb_migrations WHERE identifier = 'v9 lists as JSON arrays';
                    """)
            return (
                try String.fetchOne(db, sql: "SELECT countries FROM subject_ip WHERE ip = '198.51.100.10'"),
                try Int.fetchOne(db, sql: "SELECT count(*) FROM observation_mark WHERE novel = 'address,network'")
            )
        }
        #expect(v8Countries == "NL" && (v8Marks ?? 0) > 0, "the case holds what v8 wrote")
        let migrated = try CaseStore(directory: store.directory)
        var after: [StoredEvent] = []
        try migrated.forEachEvent { after.append($0) }
        #expect(after == events)
        #expect(try Self.accountEvents(migrated) == given)
        let (countries, unconverted) = try migrated.database.read { db in
            (
                try String.fetchOne(db, sql: "SELECT countries FROM subject_ip WHERE ip = '198.51.100.10'"),
                try Int.fetchOne(db, sql: "SELECT count(*) FROM observation_mark WHERE novel NOT LIKE '[%]'")
            )
        }
        #expect(countries == "[\"NL\"]" && unconverted == 0)
    }

    @Test func listsReadBackWhateverTheyHold() throws {
        for values in [[], ["NL"], ["A,B", "C"], ["quote\"d", "back\\slash"], ["ünï"]] {
            #expect(try JSONText.stringArray(JSONText.array(values)) == values)
        }
        #expect(try JSONText.unsignedArray("[]") == [])
        #expect(try JSONText.unsignedArray("[64500,4294967295]") == [64500, 4_294_967_295])
        #expect(try JSONText.unsignedArray("[ 1, 2 ]") == [1, 2], "other spellings are decoded in full")
        #expect(throws: (any Error).self) { _ = try JSONText.unsignedArray("64500,64501") }
    }
}
