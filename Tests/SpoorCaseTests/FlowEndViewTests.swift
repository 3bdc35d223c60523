import Foundation
import GRDB
@testable import SpoorIntake
@testable import SpoorStore
import SpoorCapture
@testable import SpoorCase
import SpoorCore
import SpoorTestSupport
import Testing

/// Migration v8 stops keeping a flow's two ends as observation rows: the `observation` view
/// computes them from the flow's row. What a reader gets must be what the rows held.
@Suite struct FlowEndViewTests {
    /// A flow end as release v7 wrote it into `observation` (the encoder this migration retired).
    static func v7Row(_ flow: Flow, originator: Bool) -> [(any DatabaseValueConvertible)?] {
        let seconds = flow.firstTime / 1_000_000_000
        let fraction = String(flow.firstTime % 1_000_000_000)
        let stamp = Timestamp(sortKey: flow.firstTime, zone: .utc)
        let (ip, port, peer, peerPort) =
            originator
            ? (flow.originator, flow.originatorPort, flow.responder, flow.responderPort)
            : (flow.responder, flow.responderPort, flow.originator, flow.originatorPort)
        var pairs: [(String, String)] = [("conn_state", flow.state), ("flow", String(flow.id))]
        if !flow.names.isEmpty { pairs.append(("names", flow.names.joined(separator: " "))) }
        pairs += [("peer", peer.description), ("peer_port", String(peerPort)), ("proto", flow.protocolName)]
        return [
            "flow", "pcap", flow.firstTime, stamp.rfc3339UTC,
            "\(seconds)." + String(repeating: "0", count: 9 - fraction.count) + fraction, "capture_record", "utc",
            ip.description, Int(port), originator ? "flow_originator" : "flow_responder", JSONText.object(pairs: pairs),
            "{\"offset\":\(flow.firstPacketOffset),\"packet\":\(flow.firstPacket)}", flow.firstPacket,
        ]
    }

    static func withoutIDs(_ events: [StoredEvent]) -> [StoredEvent] {
        events.map {
            var event = $0
            event.id = 0
            return event
        }
    }

    /// The events as SQL reads them from the `observation` view, in the events' order.
    static func throughTheView(_ store: CaseStore) throws -> [StoredEvent] {
        try store.database.read { db in
            try Row.fetchAll(db, sql: CaseStore.eventSelect + " ORDER BY " + CaseStore.eventOrder).map {
                try StoredEvent(row: $0)
            }
        }
    }

    static func counted(_ events: [StoredEvent]) -> [StoredEvent: Int] {
        Self.withoutIDs(events).reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }

    @Test func aCaseWhoseFlowEndsWereRowsReadsTheSameEventsAfterTheMigration() throws {
        let folder = try Fixtures.temporaryDirectory()
        let now = try CaseStore.create(
            at: folder.appendingPathComponent("now").path, metadata: .init(title: "Now", createdAt: "2024-01-01T00:00:00Z"))
        _ = now.ingest(paths: [Fixtures.path("capture/tunnels-and-quic.pcap")])
        var current: [StoredEvent] = []
        try now.forEachEvent { current.append($0) }
        var flows: [Flow] = []
        try now.forEachFlow { flows.append($0.flow) }
        #expect(flows.count > 5 && flows.contains { !$0.names.isEmpty })
        #expect(current.filter { $0.action.kind == .flow }.count == 2 * flows.count)
        #expect(current.contains { $0.action == .name(.dnsAnswer) })
        let stored = try now.database.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM record_observation WHERE kind = 'flow'"),
                try Row.fetchOne(db, sql: "SELECT path, size, sha256 FROM evidence")
            )
        }
        #expect(stored.0 == 0)

        // The same capture as release v7 kept it: flow ends as rows beside the flow rows.
        let oldFolder = folder.appendingPathComponent("old")
        try FileManager.default.createDirectory(at: oldFolder, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: oldFolder.appendingPathComponent(CaseStore.fileName).path)
        try CaseStore.migrator.migrate(queue, upTo: "v7 flows in typed columns")
        let names = try now.database.read { db in try Row.fetchAll(db, sql: "SELECT * FROM record_observation") }
        try queue.write { db in
            let evidence = try #require(stored.1)
            try db.execute(
                sql: """
                    INSERT INTO evidence (id, path, size, sha256, format, status, ingested_at)
                    VALUES (1, ?, ?, ?, 'pcap', 'ingested', '2024-01-01T00:00:00Z')
                    """,
                arguments: [evidence["path"], evidence["size"], evidence["sha256"]])
            let flowStatement = try db.makeStatement(sql: CaptureRowEncoder.flowInsert)
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO observation (evidence_id, kind, format, time_key, time_utc, time_raw, time_rule, time_zone,
                        ip, port, action, fields, locator, position) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
            for flow in flows {
                try flowStatement.execute(arguments: CaptureRowEncoder.flowArguments(flow, evidenceID: 1))
                try insert.execute(arguments: StatementArguments(Self.v7Row(flow, originator: true)))
                try insert.execute(arguments: StatementArguments(Self.v7Row(flow, originator: false)))
            }
            for row in names {
                try db.execute(
                    sql: """
                        INSERT INTO observation (evidence_id, kind, format, time_key, time_utc, time_raw, time_rule,
                            time_zone, ip, port, action, fields, locator, position) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        row["kind"], row["format"], row["time_key"], row["time_utc"], row["time_raw"], row["time_rule"],
                        row["time_zone"], row["ip"], row["port"], row["action"], row["fields"], row["locator"],
                        row["position"],
                    ])
            }
        }
        let before = try queue.read { db in
            try Row.fetchAll(db, sql: CaseStore.eventSelect + " ORDER BY " + CaseStore.eventOrder).map {
                try StoredEvent(row: $0)
            }
        }
        try queue.close()
        #expect(before.count == current.count)

        let migrated = try CaseStore(directory: oldFolder.path)
        var after: [StoredEvent] = []
        try migrated.forEachEvent { after.append($0) }
        // The rows this test wrote are in another order than an ingest's; what they hold is the same.
        #expect(Self.counted(after) == Self.counted(before))
        #expect(Self.withoutIDs(after) == Self.withoutIDs(current))
        #expect(try Self.throughTheView(migrated) == after)
        // Records dated after a moment, counted from the two parts, are the view's count.
        let keys = after.compactMap(\.timeKey).sorted()
        let sha = try #require(after.first?.locator.evidenceSHA256)
        for key in [Int64.min / 2, keys[keys.count / 3], keys[keys.count / 2], keys[keys.count - 1]] {
            let (condition, bounds) = CaseStore.datedAfter(key)
            let viewed = try migrated.database.read { db in
                try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM observation WHERE evidence_id = 1 AND " + condition,
                    arguments: [bounds[0], bounds[1]])
            }
            #expect(try migrated.recordsDated(after: key, sha256: sha) == viewed, "after \(key)")
        }
        // Read for CSV rows, events are the same without their fields.
        var bare: [StoredEvent] = []
        try migrated.forEachEvent(withFields: false) { bare.append($0) }
        #expect(bare.allSatisfy(\.fields.isEmpty) && after.contains { !$0.fields.isEmpty })
        #expect(
            bare
                == after.map {
                    var event = $0
                    event.fields = [:]
                    return event
                })
        // One address's events, whole and cut short, are the view's too.
        for ip in Set(after.compactMap(\.ip)) {
            for limit in [1, 2, 3, nil] {
                let viewed = try migrated.database.read { db in
                    try Row.fetchAll(
                        db,
                        sql: CaseStore.eventSelect + " WHERE o.ip = ? ORDER BY " + CaseStore.eventOrder
                            + (limit.map { " LIMIT \($0)" } ?? ""),
                        arguments: [ip]
                    ).map { try StoredEvent(row: $0) }
                }
                #expect(try migrated.events(ip: ip, limit: limit) == viewed, "\(ip) \(limit ?? 0)")
            }
        }
        let left = try migrated.database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM record_observation WHERE kind = 'flow'")
        }
        #expect(left == 0)
    }

    /// The view's time texts are `Timestamp`'s for any instant a capture can hold (nanoseconds
    /// in an Int64: 1677 to 2262), and its fields carry any name as it was, escapes included.
    @Test func flowEndTimesAndFieldsAreThoseTheEncodersWrite() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = try CaseStore.create(
            at: folder.appendingPathComponent("case").path, metadata: .init(title: "View", createdAt: "2024-01-01T00:00:00Z"))
        var generator = SystemRandomNumberGenerator()
        var keys: [Int64] = [0, -1, 1, 1_000_000_000, -1_000_000_000, 1_500_000_000_643_199_000, .min + 1, .max]
        for _ in 0..<300 { keys.append(Int64.random(in: .min + 1 ... .max, using: &generator)) }
        let odd = ["a\"b.example", "back\\slash", "line\nbreak", "tab\there", "bell\u{07}", "émoji-😀.example", "sp ace"]
        let originator = try #require(IPAddress("192.0.2.1"))
        let responder = try #require(IPAddress("2001:db8::53"))
        var written: [Int64: Flow] = [:]
        try store.database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO evidence (id, path, size, sha256, format, status, ingested_at)
                    VALUES (1, 'synthetic.pcapng', 0, 'x', 'pcapng', 'ingested', '2024-01-01T00:00:00Z')
                    """)
            let statement = try db.makeStatement(sql: CaptureRowEncoder.flowInsert)
            for (index, key) in keys.enumerated() {
                let flow = Flow(
                    id: index + 1, protocolNumber: [6, 17, 1, 58, 132][index % 5], originator: originator,
                    originatorPort: UInt16(index % 65_536), responder: responder, responderPort: 53, firstTime: key,
                    lastTime: key, firstPacket: index + 1, firstPacketOffset: Int64(24 + index), lastPacket: index + 1,
                    originatorPackets: 1, responderPackets: 0, originatorIPBytes: 40, responderIPBytes: 0,
                    originatorBytes: nil, responderBytes: nil, missedBytes: 0, state: "S0", history: "S",
                    communityID: "1:x", services: [], names: index % 3 == 0 ? [] : Array(odd.prefix(index % 8)), vlan: nil,
                    tunnel: nil, tunnelSource: nil, tunnelDestination: nil, tunnelParent: nil, ended: "end of capture")
                try statement.execute(arguments: CaptureRowEncoder.flowArguments(flow, evidenceID: 1))
                written[key] = flow
            }
        }
        let encoder = CaptureRowEncoder(evidence: EvidenceItem(path: "synthetic.pcapng", size: 0, sha256: "x"), format: "pcapng")
        var events: [StoredEvent] = []
        try store.forEachEvent { events.append($0) }
        #expect(try Self.throughTheView(store) == events)
        var seen = 0
        for event in events {
            let key = try #require(event.timeKey)
            let flow = try #require(written[key])
            let stamp = encoder.time(flow.firstTime)
            #expect(event.timeUTC == stamp.rfc3339UTC)
            #expect(event.timeRaw == stamp.raw)
            #expect(event.format == "pcapng")
            let isOriginator = event.action == .flowOriginator
            #expect(event.ip == (isOriginator ? "192.0.2.1" : "2001:db8::53"))
            var expected = [
                "conn_state": "S0", "flow": String(flow.id), "peer": isOriginator ? "2001:db8::53" : "192.0.2.1",
                "peer_port": isOriginator ? "53" : String(flow.originatorPort), "proto": flow.protocolName,
            ]
            if !flow.names.isEmpty { expected["names"] = flow.names.joined(separator: " ") }
            #expect(event.fields == expected)
            #expect(event.locator.position == .packet(number: flow.firstPacket, offset: flow.firstPacketOffset))
            seen += 1
        }
        #expect(seen == 2 * keys.count)
    }

    /// The flow insert that binds with SQLite's own functions writes every column as GRDB's
    /// arguments do, absent values (NULL) and odd text included.
    @Test func theBoundFlowInsertWritesWhatTheArgumentsWrite() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = try CaseStore.create(
            at: folder.appendingPathComponent("case").path, metadata: .init(title: "Bind", createdAt: "2024-01-01T00:00:00Z"))
        let odd = ["a\"b.example", "line\nbreak", "nul\u{0}inside", "émoji-😀.example", String(repeating: "long", count: 400)]
        let addresses = try ["192.0.2.1", "2001:db8::53", "198.51.100.7", "::ffff:203.0.113.9"].map {
            try #require(IPAddress($0))
        }
        let tunnels: [TunnelLayer.Kind?] = [nil, .gre, .vxlan, .teredo]
        var flows: [Flow] = []
        for index in 0..<64 {
            let some = index % 2 == 0
            flows.append(
                Flow(
                    id: index + 1, protocolNumber: [6, 17, 1, 58, 132][index % 5], originator: addresses[index % 4],
                    originatorPort: UInt16(index * 997 % 65_536), responder: addresses[(index + 1) % 4],
                    responderPort: UInt16(index % 3 == 0 ? 0 : 443), firstTime: Int64(index) * 1_000_000_007 - 5,
                    lastTime: Int64(index) * 2_000_000_011, firstPacket: index + 1, firstPacketOffset: Int64(24 + index * 100),
                    lastPacket: index * 3 + 1, originatorPackets: index, responderPackets: index / 2,
                    originatorIPBytes: index * 40, responderIPBytes: index * 20, originatorBytes: some ? index * 7 : nil,
                    responderBytes: some ? nil : index, missedBytes: index % 5, state: ["S0", "SF", "REJ", "OTH"][index % 4],
                    history: "ShADad", communityID: "1:\(index)=", services: some ? ["dns", "tls"] : [],
                    names: Array(odd.prefix(index % 6)), vlan: some ? UInt16(index) : nil, tunnel: tunnels[index % 4],
                    tunnelSource: tunnels[index % 4] == nil ? nil : addresses[2],
                    tunnelDestination: tunnels[index % 4] == nil ? nil : addresses[1],
                    tunnelParent: some ? index : nil, ended: index % 3 == 0 ? "end of capture" : "timeout"))
        }
        let rows = try store.database.write { db -> [[DatabaseValue]] in
            try db.execute(
                sql: """
                    INSERT INTO evidence (id, path, size, sha256, format, status, ingested_at)
                    VALUES (1, 'a.pcap', 0, 'x', 'pcap', 'ingested', '2024-01-01T00:00:00Z'),
                        (2, 'b.pcap', 0, 'y', 'pcap', 'ingested', '2024-01-01T00:00:00Z')
                    """)
            let statement = try db.makeStatement(sql: CaptureRowEncoder.flowInsert)
            let bound = try BoundInsert(db, sql: CaptureRowEncoder.flowInsert)
            for flow in flows {
                try statement.execute(arguments: CaptureRowEncoder.flowArguments(flow, evidenceID: 1))
                try bound.insert(flow, evidenceID: 2)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM flow ORDER BY evidence_id, id").map { row in
                row.columnNames.filter { $0 != "id" && $0 != "evidence_id" }.map { row[$0] as DatabaseValue }
            }
        }
        #expect(rows.count == 2 * flows.count)
        #expect(Array(rows.prefix(flows.count)) == Array(rows.suffix(flows.count)))
        #expect(rows.contains { $0.contains(.null) }, "absent values are among those compared")
    }
}
