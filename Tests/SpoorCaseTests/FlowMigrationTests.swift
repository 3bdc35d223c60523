import Foundation
import GRDB
@testable import SpoorIntake
@testable import SpoorStore
@testable import SpoorCase
import SpoorCore
import SpoorTestSupport
import Testing

/// Migration v7 moves each flow out of its JSON document into typed columns: a case whose flows
/// a previous release wrote as documents reads back the same flows.
@Suite struct FlowMigrationTests {
    @Test func flowsWrittenAsDocumentsByAnEarlierReleaseReadBackTheSame() throws {
        let folder = try Fixtures.temporaryDirectory()
        let now = try CaseStore.create(
            at: folder.appendingPathComponent("now").path, metadata: .init(title: "Now", createdAt: "2024-01-01T00:00:00Z"))
        _ = now.ingest(paths: [Fixtures.path("capture/tunnels-and-quic.pcap")])
        var flows: [StoredFlow] = []
        try now.forEachFlow { flows.append($0) }
        #expect(flows.count > 5)
        #expect(
            flows.contains { $0.flow.tunnel != nil } && flows.contains { !$0.flow.names.isEmpty }
                && flows.contains { !$0.flow.services.isEmpty })

        // The same flows in a case as the previous release kept them: schema v6, one document each.
        let oldFolder = folder.appendingPathComponent("old")
        try FileManager.default.createDirectory(at: oldFolder, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: oldFolder.appendingPathComponent(CaseStore.fileName).path)
        try CaseStore.migrator.migrate(queue, upTo: "v6 how each evidence item was read")
        try queue.write { db in
            try db.execute(
                sql:
                    "INSERT INTO evidence (id, path, size, sha256, status, ingested_at) VALUES (1, ?, 0, ?, 'ingested', '2024-01-01T00:00:00Z')",
                arguments: [flows[0].path, flows[0].evidenceSHA256])
            for stored in flows {
                try db.execute(
                    sql: "INSERT INTO flow (evidence_id, first_packet, time_key, document) VALUES (1, ?, ?, ?)",
                    arguments: [stored.flow.firstPacket, stored.flow.firstTime, stored.flow.jsonDocument])
            }
        }
        try queue.close()
        let migrated = try CaseStore(directory: oldFolder.path)
        var again: [StoredFlow] = []
        try migrated.forEachFlow { again.append($0) }
        #expect(again.map(\.flow) == flows.map(\.flow))
        #expect(again.map(\.evidenceSHA256) == flows.map(\.evidenceSHA256))
    }
}
