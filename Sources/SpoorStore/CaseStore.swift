import Foundation
import GRDB
import SpoorCore
import SpoorIntel

/// One case: a folder holding `case.sqlite`, which records the case's metadata, its evidence
/// items, every observation with its locator, parse warnings, and the subject IPs of the last
/// analysis.
public final class CaseStore: Sendable {
    public static let fileName = "case.sqlite"

    public let directory: String
    /// Where the times the case records come from.
    public let clock: SpoorClock
    let database: DatabaseQueue
    /// The store's file, `case.sqlite` in the case folder.
    public var storeFile: String { (directory as NSString).appendingPathComponent(Self.fileName) }

    /// Case metadata shown at the top of every report.
    public struct Metadata: Hashable, Sendable, Codable {
        public var title: String
        public var examiner: String?
        public var organisation: String?
        public var reference: String?
        public var createdAt: String

        public init(
            title: String, examiner: String? = nil, organisation: String? = nil, reference: String? = nil, createdAt: String
        ) {
            self.title = title
            self.examiner = examiner
            self.organisation = organisation
            self.reference = reference
            self.createdAt = createdAt
        }
    }

    /// Creates a new case folder (or uses an empty existing one).
    /// - Throws: ``CaseError/alreadyExists(path:)`` when the folder already holds a case.
    /// - Parameter clock: where the times the case records (ingested at, analysed at) come from.
    public static func create(at directory: String, metadata: Metadata, clock: SpoorClock = .system) throws(CaseError)
        -> CaseStore
    {
        let file = (directory as NSString).appendingPathComponent(fileName)
        guard !FileManager.default.fileExists(atPath: file) else { throw .alreadyExists(path: directory) }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .storeUnavailable(path: directory, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        let store = try CaseStore(directory: directory, creating: true, clock: clock)
        try store.write { db in
            let values: [(String, String?)] = [
                ("title", metadata.title), ("examiner", metadata.examiner), ("organisation", metadata.organisation),
                ("reference", metadata.reference), ("created_at", metadata.createdAt),
            ]
            for (key, value) in values {
                try db.execute(sql: "INSERT INTO case_info (key, value) VALUES (?, ?)", arguments: [key, value])
            }
        }
        return store
    }

    /// Opens an existing case.
    /// - Throws: ``CaseError/notACase(path:)`` when the folder holds no `case.sqlite`.
    public convenience init(directory: String, clock: SpoorClock = .system) throws(CaseError) {
        try self.init(directory: directory, creating: false, clock: clock)
    }

    private init(directory: String, creating: Bool, clock: SpoorClock) throws(CaseError) {
        self.directory = directory
        self.clock = clock
        let file = (directory as NSString).appendingPathComponent(CaseStore.fileName)
        guard creating || FileManager.default.fileExists(atPath: file) else { throw .notACase(path: directory) }
        do {
            database = try DatabaseQueue(path: file, configuration: .spoorStore)
            let newer = try CaseStore.migrator.unknownMigrations(in: database)
            guard newer.isEmpty else { throw CaseError.writtenByNewerSpoor(path: file, changes: newer) }
            try CaseStore.migrator.migrate(database)
        } catch let error as CaseError {
            throw error
        } catch {
            throw CaseError(error, store: file)
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(CaseError) -> T {
        do {
            return try database.write(body)
        } catch let error as CaseError {
            throw error
        } catch {
            throw CaseError(error, store: storeFile)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(CaseError) -> T {
        do {
            return try database.read(body)
        } catch let error as CaseError {
            throw error
        } catch {
            throw CaseError(error, store: storeFile)
        }
    }

    public func metadata() throws(CaseError) -> Metadata {
        try read { db in
            var values: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, value FROM case_info") {
                if let value: String = row["value"] { values[row["key"]] = value }
            }
            return Metadata(
                title: values["title"] ?? "", examiner: values["examiner"], organisation: values["organisation"],
                reference: values["reference"], createdAt: values["created_at"] ?? "")
        }
    }

    /// Append-only: a released migration is never edited, only followed by a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 case, evidence, observations, subjects") { db in
            try db.execute(
                sql: """
                    CREATE TABLE case_info (key TEXT PRIMARY KEY, value TEXT);
                    CREATE TABLE evidence (
                        id INTEGER PRIMARY KEY,
                        path TEXT NOT NULL,
                        member TEXT,
                        size INTEGER NOT NULL,
                        sha256 TEXT NOT NULL,
                        modified TEXT,
                        format TEXT,
                        parser TEXT,
                        parser_version TEXT,
                        status TEXT NOT NULL,
                        detail TEXT,
                        records INTEGER NOT NULL DEFAULT 0,
                        ignored INTEGER NOT NULL DEFAULT 0,
                        malformed INTEGER NOT NULL DEFAULT 0,
                        observations INTEGER NOT NULL DEFAULT 0,
                        warnings INTEGER NOT NULL DEFAULT 0,
                        ingested_at TEXT NOT NULL
                    );
                    CREATE UNIQUE INDEX evidence_identity ON evidence (sha256, path, ifnull(member, ''));
                    CREATE TABLE observation (
                        id INTEGER PRIMARY KEY,
                        evidence_id INTEGER NOT NULL REFERENCES evidence(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL,
                        format TEXT NOT NULL,
                        time_key INTEGER,
                        time_utc TEXT,
                        time_raw TEXT,
                        time_rule TEXT,
                        time_zone TEXT,
                        time_assumption TEXT,
                        ip TEXT,
                        ip_raw TEXT,
                        port INTEGER,
                        action TEXT,
                        raw_action TEXT,
                        account TEXT,
                        user_agent TEXT,
                        count INTEGER NOT NULL DEFAULT 1,
                        fields TEXT NOT NULL DEFAULT '{}',
                        locator TEXT NOT NULL,
                        position INTEGER
                    );
                    CREATE INDEX observation_ip ON observation (ip);
                    CREATE INDEX observation_evidence ON observation (evidence_id, position);
                    CREATE TABLE parse_warning (
                        id INTEGER PRIMARY KEY,
                        evidence_id INTEGER NOT NULL REFERENCES evidence(id) ON DELETE CASCADE,
                        position TEXT NOT NULL,
                        message TEXT NOT NULL,
                        excerpt TEXT
                    );
                    CREATE TABLE subject_ip (
                        ip TEXT PRIMARY KEY,
                        family INTEGER NOT NULL,
                        address_class TEXT NOT NULL,
                        document TEXT NOT NULL
                    );
                    CREATE TABLE analysis (
                        id INTEGER PRIMARY KEY,
                        ran_at TEXT NOT NULL,
                        document TEXT NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2 user agent summaries, sessions and novelty marks") { db in
            try db.execute(
                sql: """
                    ALTER TABLE observation ADD COLUMN user_agent_summary TEXT;
                    CREATE TABLE observation_mark (
                        observation_id INTEGER PRIMARY KEY REFERENCES observation(id) ON DELETE CASCADE,
                        account_key TEXT NOT NULL,
                        session TEXT NOT NULL,
                        novel TEXT NOT NULL DEFAULT ''
                    );
                    """)
        }
        migrator.registerMigration("v3 user agents stored once") { db in
            // Records repeat a handful of user agents; each distinct one is kept once, with its
            // summary, and records point to it. Rows written before keep their own text.
            try db.execute(
                sql: """
                    CREATE TABLE user_agent (
                        id INTEGER PRIMARY KEY,
                        text TEXT NOT NULL UNIQUE,
                        summary TEXT NOT NULL
                    );
                    ALTER TABLE observation ADD COLUMN user_agent_id INTEGER REFERENCES user_agent(id);
                    """)
        }
        migrator.registerMigration("v4 flows from packet captures") { db in
            // One row per flow with its whole record (JSON); its two addresses are also
            // observations (kind 'flow'), and names seen in captures are observations (kind 'name').
            try db.execute(
                sql: """
                    CREATE TABLE flow (
                        id INTEGER PRIMARY KEY,
                        evidence_id INTEGER NOT NULL REFERENCES evidence(id) ON DELETE CASCADE,
                        first_packet INTEGER NOT NULL,
                        time_key INTEGER NOT NULL,
                        document TEXT NOT NULL
                    );
                    CREATE INDEX flow_time ON flow (time_key, evidence_id, first_packet);
                    """)
        }
        migrator.registerMigration("v5 subject order and the enrichment the rules read") { db in
            // Subjects are written and read one at a time, in address order (`sort_key`: the
            // family byte, then the address's bytes); the rules read each address's countries,
            // ASNs and flags from columns instead of holding every subject in memory.
            try db.execute(
                sql: """
                    ALTER TABLE subject_ip ADD COLUMN sort_key BLOB;
                    ALTER TABLE subject_ip ADD COLUMN countries TEXT;
                    ALTER TABLE subject_ip ADD COLUMN asns TEXT;
                    ALTER TABLE subject_ip ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
                    CREATE INDEX subject_ip_order ON subject_ip (sort_key);
                    """)
        }
        migrator.registerMigration("v6 how each evidence item was read") { db in
            // `notes`: a JSON array of sentences on what the reading decided that the source did
            // not say (an inferred year) and dates after the file's modification time; they
            // depend on the evidence alone. `history`: earlier readings an `ingest --replace`
            // superseded. `options`: the reading options given (`--year 2023`).
            try db.execute(
                sql: """
                    ALTER TABLE evidence ADD COLUMN notes TEXT;
                    ALTER TABLE evidence ADD COLUMN options TEXT;
                    ALTER TABLE evidence ADD COLUMN history TEXT;
                    """)
        }
        migrator.registerMigration("v7 flows in typed columns") { db in
            // A flow's figures in columns of their own instead of one JSON document: a capture
            // has a hundred thousand flows and more, and decoding each document cost a report
            // more than writing its rows. `time_key` is the flow's first time; `services` and
            // `names` are JSON arrays of strings. Existing flows are carried over from their
            // documents.
            try db.execute(
                sql: """
                    CREATE TABLE flow_typed (
                        id INTEGER PRIMARY KEY,
                        evidence_id INTEGER NOT NULL REFERENCES evidence(id) ON DELETE CASCADE,
                        first_packet INTEGER NOT NULL,
                        time_key INTEGER NOT NULL,
                        flow_id INTEGER NOT NULL,
                        protocol INTEGER NOT NULL,
                        originator TEXT NOT NULL,
                        originator_port INTEGER NOT NULL,
                        responder TEXT NOT NULL,
                        responder_port INTEGER NOT NULL,
                        last_time INTEGER NOT NULL,
                        first_packet_offset INTEGER NOT NULL,
                        last_packet INTEGER NOT NULL,
                        originator_packets INTEGER NOT NULL,
                        responder_packets INTEGER NOT NULL,
                        originator_ip_bytes INTEGER NOT NULL,
                        responder_ip_bytes INTEGER NOT NULL,
                        originator_bytes INTEGER,
                        responder_bytes INTEGER,
                        missed_bytes INTEGER NOT NULL,
                        state TEXT NOT NULL,
                        history TEXT NOT NULL,
                        community_id TEXT NOT NULL,
                        services TEXT NOT NULL,
                        names TEXT NOT NULL,
                        vlan INTEGER,
                        tunnel TEXT,
                        tunnel_source TEXT,
                        tunnel_destination TEXT,
                        tunnel_parent INTEGER,
                        ended TEXT NOT NULL
                    );
                    INSERT INTO flow_typed
                    SELECT id, evidence_id, first_packet, time_key,
                        json_extract(document, '$.id'), json_extract(document, '$.protocolNumber'),
                        json_extract(document, '$.originator'), json_extract(document, '$.originatorPort'),
                        json_extract(document, '$.responder'), json_extract(document, '$.responderPort'),
                        json_extract(document, '$.lastTime'), json_extract(document, '$.firstPacketOffset'),
                        json_extract(document, '$.lastPacket'), json_extract(document, '$.originatorPackets'),
                        json_extract(document, '$.responderPackets'), json_extract(document, '$.originatorIPBytes'),
                        json_extract(document, '$.responderIPBytes'), json_extract(document, '$.originatorBytes'),
                        json_extract(document, '$.responderBytes'), json_extract(document, '$.missedBytes'),
                        json_extract(document, '$.state'), json_extract(document, '$.history'),
                        json_extract(document, '$.communityID'), coalesce(json_extract(document, '$.services'), '[]'),
                        coalesce(json_extract(document, '$.names'), '[]'), json_extract(document, '$.vlan'),
                        json_extract(document, '$.tunnel'), json_extract(document, '$.tunnelSource'),
                        json_extract(document, '$.tunnelDestination'), json_extract(document, '$.tunnelParent'),
                        json_extract(document, '$.ended')
                    FROM flow;
                    DROP TABLE flow;
                    ALTER TABLE flow_typed RENAME TO flow;
                    CREATE INDEX flow_time ON flow (time_key, evidence_id, first_packet);
                    """)
        }
        migrator.registerMigration("v8 flow ends read from the flow table") { db in
            // A flow's two addresses were two observation rows beside the flow's own row,
            // repeating what it holds; a capture's store was mostly those copies. Records of
            // exports and logs (and names seen in captures) stay rows of `record_observation`;
            // `observation` is a view of those rows and of each flow's two ends, computed from
            // the flow's columns, so every later step still reads one thing. A flow end's id is
            // 2^62 plus twice the flow's row id (plus one for the responder): after every
            // record's id, originator before responder. Times are the flow's first instant in
            // UTC (the text `Timestamp` writes: seconds, then up to nine fraction digits without
            // trailing zeros) and its raw `seconds.nanoseconds`.
            try db.execute(
                sql: """
                    ALTER TABLE observation RENAME TO record_observation;
                    DELETE FROM record_observation WHERE kind = 'flow';
                    CREATE INDEX flow_originator ON flow (originator);
                    CREATE INDEX flow_responder ON flow (responder);
                    CREATE VIEW observation AS
                    SELECT id, evidence_id, kind, format, time_key, time_utc, time_raw, time_rule, time_zone,
                        time_assumption, ip, ip_raw, port, action, raw_action, account, user_agent, count, fields,
                        locator, position, user_agent_summary, user_agent_id
                    FROM record_observation
                    UNION ALL
                    SELECT 4611686018427387904 + 2 * f.id, f.evidence_id, 'flow', e.format, f.time_key,
                        strftime('%Y-%m-%dT%H:%M:%S',
                            f.time_key / 1000000000 - (f.time_key % 1000000000 < 0), 'unixepoch')
                            || CASE WHEN f.time_key % 1000000000 = 0 THEN ''
                                ELSE '.' || rtrim(printf('%09d', (f.time_key % 1000000000 + 1000000000) % 1000000000), '0')
                                END || 'Z',
                        (f.time_key / 1000000000 - (f.time_key % 1000000000 < 0)) || '.'
                            || printf('%09d', (f.time_key % 1000000000 + 1000000000) % 1000000000),
                        'capture_record', 'utc', NULL, f.originator, NULL, f.originator_port, 'flow_originator', NULL,
                        NULL, NULL, 1,
                        CASE WHEN f.names = '[]' THEN json_object('conn_state', f.state, 'flow', CAST(f.flow_id AS TEXT),
                            'peer', f.responder, 'peer_port', CAST(f.responder_port AS TEXT), 'proto',
                            CASE f.protocol WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmp'
                                ELSE CAST(f.protocol AS TEXT) END)
                        ELSE json_object('conn_state', f.state, 'flow', CAST(f.flow_id AS TEXT),
                            'names', (SELECT group_concat(value, ' ') FROM json_each(f.names)),
                            'peer', f.responder, 'peer_port', CAST(f.responder_port AS TEXT), 'proto',
                            CASE f.protocol WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmp'
                                ELSE CAST(f.protocol AS TEXT) END)
                        END,
                        json_object('offset', f.first_packet_offset, 'packet', f.first_packet), f.first_packet, NULL, NULL
                    FROM flow f JOIN evidence e ON e.id = f.evidence_id
                    UNION ALL
                    SELECT 4611686018427387905 + 2 * f.id, f.evidence_id, 'flow', e.format, f.time_key,
                        strftime('%Y-%m-%dT%H:%M:%S',
                            f.time_key / 1000000000 - (f.time_key % 1000000000 < 0), 'unixepoch')
                            || CASE WHEN f.time_key % 1000000000 = 0 THEN ''
                                ELSE '.' || rtrim(printf('%09d', (f.time_key % 1000000000 + 1000000000) % 1000000000), '0')
                                END || 'Z',
                        (f.time_key / 1000000000 - (f.time_key % 1000000000 < 0)) || '.'
                            || printf('%09d', (f.time_key % 1000000000 + 1000000000) % 1000000000),
                        'capture_record', 'utc', NULL, f.responder, NULL, f.responder_port, 'flow_responder', NULL,
                        NULL, NULL, 1,
                        CASE WHEN f.names = '[]' THEN json_object('conn_state', f.state, 'flow', CAST(f.flow_id AS TEXT),
                            'peer', f.originator, 'peer_port', CAST(f.originator_port AS TEXT), 'proto',
                            CASE f.protocol WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmp'
                                ELSE CAST(f.protocol AS TEXT) END)
                        ELSE json_object('conn_state', f.state, 'flow', CAST(f.flow_id AS TEXT),
                            'names', (SELECT group_concat(value, ' ') FROM json_each(f.names)),
                            'peer', f.originator, 'peer_port', CAST(f.originator_port AS TEXT), 'proto',
                            CASE f.protocol WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmp'
                                ELSE CAST(f.protocol AS TEXT) END)
                        END,
                        json_object('offset', f.first_packet_offset, 'packet', f.first_packet), f.first_packet, NULL, NULL
                    FROM flow f JOIN evidence e ON e.id = f.evidence_id;
                    """)
        }
        migrator.registerMigration("v9 lists as JSON arrays") { db in
            // Novelty marks, and a subject's countries and AS numbers, were comma-joined text; a
            // value holding a comma could not be told apart. They are JSON arrays now. Marks are
            // names from a fixed set, so text replacement converts them; countries come from
            // reference databases and are converted value by value.
            try db.execute(
                sql: """
                    UPDATE observation_mark SET novel = CASE WHEN novel = '' THEN '[]'
                        ELSE '["' || replace(novel, ',', '","') || '"]' END;
                    UPDATE subject_ip SET asns = '[' || asns || ']' WHERE asns IS NOT NULL;
                    """)
            let rows = try Row.fetchAll(db, sql: "SELECT rowid, countries FROM subject_ip WHERE countries IS NOT NULL")
            let update = try db.makeStatement(sql: "UPDATE subject_ip SET countries = ? WHERE rowid = ?")
            for row in rows {
                let text: String = row[1]
                try update.execute(arguments: [JSONText.array(text.split(separator: ",").map(String.init)), row[0]])
            }
        }
        migrator.registerMigration("v10 subject locations") { db in
            // Where a database places each subject (a `GeoPoint`: degrees, accuracy radius, the
            // database's file), for the account rules that compare the places of two logins; read
            // for every dated account record, so in columns, not JSON. Filled by the next analysis.
            try db.execute(
                sql: """
                    ALTER TABLE subject_ip ADD COLUMN latitude REAL;
                    ALTER TABLE subject_ip ADD COLUMN longitude REAL;
                    ALTER TABLE subject_ip ADD COLUMN radius_km INTEGER;
                    ALTER TABLE subject_ip ADD COLUMN location_source TEXT;
                    """)
        }
        return migrator
    }
}

/// Errors of the case store and pipeline; each names the case folder or evidence file.
public enum CaseError: Error, Hashable, CustomStringConvertible {
    case notACase(path: String)
    case alreadyExists(path: String)
    case storeUnavailable(path: String, reason: String)
    case referenceData(path: String, reason: String)
    /// The case holds schema changes this build does not know; it is left as it is.
    case writtenByNewerSpoor(path: String, changes: [String])
    /// The store could not be read or written: busy, full, read-only, damaged.
    case fault(StoreFault)

    /// A store error by its cause when it is one, else the error's own words.
    package init(_ error: any Error, store: String) {
        if let error = error as? CaseError {
            self = error
        } else if let fault = StoreFault.from(error, store: store) {
            self = .fault(fault)
        } else {
            self = .storeUnavailable(path: store, reason: "\(error)")
        }
    }

    public var description: String {
        switch self {
        case .notACase(let path): return "\(path): not a Spoor case (no \(CaseStore.fileName)); create one with 'spoor case init'"
        case .alreadyExists(let path): return "\(path): already holds a case"
        case .storeUnavailable(let path, let reason): return "\(path): case store error: \(reason)"
        case .referenceData(let path, let reason): return reason.hasPrefix(path) ? reason : "\(path): \(reason)"
        case .fault(let fault): return fault.description
        case .writtenByNewerSpoor(let path, let changes):
            return "\(path): \(StoreVersion.newerSpoorWrote(changes)); open the case with the Spoor that wrote it or a later one"
        }
    }
}

extension CaseStore {
    /// The case's secret for redaction pseudonyms: 32 random bytes made on first use and kept in
    /// the case, so the same value gets the same pseudonym in every redacted annex of the case,
    /// and no one without the case can test a guess (an IPv4 address, a name) against one.
    public func redactionKey() throws(CaseError) -> [UInt8] {
        try write { db in
            if let hex = try String.fetchOne(db, sql: "SELECT value FROM case_info WHERE key = 'redaction_key'"),
                let bytes = Hex.bytes(hex), bytes.count == 32
            {
                return bytes
            }
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let hex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
                .joined()
            try db.execute(sql: "INSERT OR REPLACE INTO case_info (key, value) VALUES ('redaction_key', ?)", arguments: [hex])
            return bytes
        }
    }
}
