import Foundation
import GRDB
import SpoorCore
@testable import SpoorIntel
@testable import SpoorStore
import SpoorTestSupport
import Testing

/// Migration v12 moves each registry object out of its JSON document and hex addresses into
/// typed columns: a store an earlier release wrote reads back the same objects and answers.
@Suite struct RegistryColumnsMigrationTests {
    @Test func objectsWrittenAsDocumentsByAnEarlierReleaseReadBackTheSame() throws {
        let folder = try Fixtures.temporaryDirectory()
        let now = try IndicatorStore(path: folder.appendingPathComponent("now.sqlite").path)
        for (name, format) in [("ripe-style.db", RegistryFormat.rpsl), ("ip2asn-style.tsv", .iptoasn)] {
            _ = try now.importRegistry(
                MemoryByteSource(try Fixtures.bytes("registry/\(name)")), format: format, fileName: name, sha256: "test",
                asOf: "2024-01-01")
        }
        let rows = try now.database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM registry_object ORDER BY id").map {
                ($0["import_id"] as Int64, RegistryRows.object($0)!)
            }
        }
        #expect(rows.count > 8 && rows.contains { $0.1.kind == .inet6num } && rows.contains { $0.1.kind == .asnRange })

        // The same objects as the previous release kept them: schema v11, a JSON document each
        // (the encoder's, sorted keys) and the addresses as 32 hex digits.
        let oldPath = folder.appendingPathComponent("old.sqlite").path
        let queue = try DatabaseQueue(path: oldPath)
        try IndicatorStore.migrator.migrate(queue, upTo: "v11 registry indexes for the kinds that use them")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func hex(_ address: IPAddress?) -> String? {
            address.map {
                let d = String($0.value, radix: 16)
                return String(repeating: "0", count: 32 - d.count) + d
            }
        }
        try queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO registry_import (id, file_name, file_sha256, format, as_of, as_of_basis, imported_at)
                    VALUES (1, 'ripe-style.db', 'test', 'rpsl', '2024-01-01', 'given', 'x'),
                           (2, 'ip2asn-style.tsv', 'test', 'iptoasn', '2024-01-01', 'given', 'x')
                    """)
            for (importID, object) in rows {
                let related = [RegistryObject.Kind.inetnum, .inet6num, .route, .route6, .autNum].contains(object.kind)
                try db.execute(
                    sql: """
                        INSERT INTO registry_object (import_id, kind, key, family, first_hex, last_hex, asn, document, org, maintainer)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        importID, object.kind.rawValue, object.key, object.first.map { Int($0.family.rawValue) },
                        hex(object.first),
                        hex(object.last), object.asn.map { Int64($0) },
                        String(decoding: try encoder.encode(object), as: UTF8.self),
                        related ? object.org : nil, related ? object.maintainedBy : nil,
                    ])
            }
        }
        let old = try IndicatorStore(path: oldPath)
        let migrated = try old.database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM registry_object ORDER BY id").map {
                ($0["import_id"] as Int64, RegistryRows.object($0)!)
            }
        }
        #expect(migrated.map(\.1) == rows.map(\.1) && migrated.map(\.0) == rows.map(\.0))
        for address in ["198.51.100.150", "198.51.100.7", "2001:db8:4400::1", "192.0.2.1", "203.0.113.9"] {
            #expect(try old.registryAnswers(for: ip(address)) == now.registryAnswers(for: ip(address)), "\(address)")
        }
        #expect(try !old.registryAnswers(for: ip("198.51.100.7")).isEmpty)
    }
}
