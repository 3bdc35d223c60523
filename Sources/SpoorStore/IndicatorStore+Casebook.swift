import Foundation
import GRDB
import SpoorCore
import SpoorIntel

/// The casebook: what this helpline's own cases saw, kept in the reference store beside the
/// indicators others published, so that every later analysis recognises it.
extension IndicatorStore {
    static func registerCasebookMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v6 casebook") { db in
            try db.execute(
                sql: """
                    CREATE TABLE casebook_case (
                        id INTEGER PRIMARY KEY,
                        pseudonym TEXT NOT NULL UNIQUE,
                        reference TEXT,
                        examiner TEXT,
                        organisation TEXT,
                        recorded_at TEXT NOT NULL,
                        analysed_at TEXT,
                        source TEXT NOT NULL
                    );
                    CREATE TABLE casebook_sighting (
                        case_id INTEGER NOT NULL REFERENCES casebook_case(id) ON DELETE CASCADE,
                        address TEXT NOT NULL,
                        network TEXT NOT NULL,
                        asn INTEGER,
                        holder TEXT,
                        first_seen TEXT,
                        last_seen TEXT,
                        records INTEGER NOT NULL,
                        roles TEXT NOT NULL,
                        user_agents TEXT NOT NULL,
                        devices TEXT NOT NULL,
                        findings TEXT NOT NULL
                    );
                    CREATE INDEX casebook_sighting_case ON casebook_sighting (case_id);
                    CREATE INDEX casebook_sighting_address ON casebook_sighting (address);
                    CREATE INDEX casebook_sighting_network ON casebook_sighting (network);
                    CREATE INDEX casebook_sighting_asn ON casebook_sighting (asn) WHERE asn IS NOT NULL;
                    """)
        }
        // The cases that saw a network or an AS are found from the index alone.
        migrator.registerMigration("v7 casebook indexes by case") { db in
            try db.execute(
                sql: """
                    DROP INDEX casebook_sighting_address;
                    DROP INDEX casebook_sighting_network;
                    DROP INDEX casebook_sighting_asn;
                    CREATE INDEX casebook_sighting_address ON casebook_sighting (address, case_id);
                    CREATE INDEX casebook_sighting_network ON casebook_sighting (network, case_id);
                    CREATE INDEX casebook_sighting_asn ON casebook_sighting (asn, holder, case_id) WHERE asn IS NOT NULL;
                    """)
        }
    }

    /// Records a case's sightings, replacing what an earlier recording of the same case (same
    /// pseudonym) held: a case recorded twice is updated, not duplicated. One transaction.
    /// - Returns: true when an earlier recording was replaced.
    @discardableResult
    public func recordCase(_ entry: CasebookCase, sightings: [CasebookSighting]) throws(IntelError) -> Bool {
        do {
            return try database.write { db in
                let earlier = try Int64.fetchOne(
                    db, sql: "SELECT id FROM casebook_case WHERE pseudonym = ?", arguments: [entry.pseudonym])
                if let earlier { try db.execute(sql: "DELETE FROM casebook_case WHERE id = ?", arguments: [earlier]) }
                try db.execute(
                    sql: """
                        INSERT INTO casebook_case (pseudonym, reference, examiner, organisation, recorded_at, analysed_at, source)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        entry.pseudonym, entry.reference, entry.examiner, entry.organisation, entry.recordedAt,
                        entry.analysedAt, entry.source,
                    ])
                let id = db.lastInsertedRowID
                let insert = try db.makeStatement(
                    sql: """
                        INSERT INTO casebook_sighting (case_id, address, network, asn, holder, first_seen, last_seen, records,
                            roles, user_agents, devices, findings)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """)
                for s in sightings {
                    try insert.execute(arguments: [
                        id, s.address, s.network, s.asn.map { Int64($0) }, s.holder, s.firstSeen, s.lastSeen, s.records,
                        JSONText.array(s.roles), JSONText.array(s.userAgents), JSONText.array(s.devices),
                        JSONText.array(s.findings),
                    ])
                }
                return earlier != nil
            }
        } catch {
            throw IntelError.store(error, path: path)
        }
    }

    /// The recorded cases, by reference then pseudonym, with how many sightings each holds.
    public func casebookCases() throws(IntelError) -> [(entry: CasebookCase, sightings: Int)] {
        do {
            return try database.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT c.*, (SELECT count(*) FROM casebook_sighting s WHERE s.case_id = c.id) AS sightings
                        FROM casebook_case c ORDER BY ifnull(c.reference, ''), c.pseudonym
                        """
                ).map { (Self.casebookCase($0), $0["sightings"]) }
            }
        } catch {
            throw IntelError.store(error, path: path)
        }
    }

    /// One case and its sightings, found by pseudonym or reference; nil when the casebook has none.
    public func casebookCase(named name: String) throws(IntelError) -> (entry: CasebookCase, sightings: [CasebookSighting])? {
        do {
            return try database.read { db in
                guard
                    let row = try Row.fetchOne(
                        db, sql: "SELECT * FROM casebook_case WHERE pseudonym = ? OR reference = ? ORDER BY id LIMIT 1",
                        arguments: [name, name])
                else { return nil }
                let sightings = try Row.fetchAll(
                    db, sql: "SELECT * FROM casebook_sighting WHERE case_id = ? ORDER BY address",
                    arguments: [row["id"] as Int64]
                ).map(Self.sighting)
                return (Self.casebookCase(row), sightings)
            }
        } catch {
            throw IntelError.store(error, path: path)
        }
    }

    /// Withdraws a case: its row and every sighting of it are deleted, not hidden.
    /// - Returns: how many cases were removed (0 when none has that pseudonym or reference).
    @discardableResult
    public func removeCasebookCase(named name: String) throws(IntelError) -> Int {
        do {
            return try database.write { db in
                try db.execute(sql: "DELETE FROM casebook_case WHERE pseudonym = ? OR reference = ?", arguments: [name, name])
                return db.changesCount
            }
        } catch {
            throw IntelError.store(error, path: path)
        }
    }

    /// Every sighting of an address, of its /24 or /48, or of an AS, with its case.
    public func casebookSearch(address: IPAddress? = nil, network: String? = nil, asn: UInt32? = nil) throws(IntelError)
        -> [(entry: CasebookCase, sighting: CasebookSighting)]
    {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let address {
            conditions.append("s.address = ?")
            arguments.append(address.description)
        }
        if let network {
            conditions.append("s.network = ?")
            arguments.append(network)
        }
        if let asn {
            conditions.append("s.asn = ?")
            arguments.append(Int64(asn))
        }
        guard !conditions.isEmpty else { return [] }
        do {
            return try database.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT s.*, c.pseudonym, c.reference, c.examiner, c.organisation, c.recorded_at, c.analysed_at, c.source
                        FROM casebook_sighting s JOIN casebook_case c ON c.id = s.case_id
                        WHERE \(conditions.joined(separator: " OR "))
                        ORDER BY ifnull(c.reference, ''), c.pseudonym, s.address
                        """, arguments: StatementArguments(arguments)
                ).map { (Self.casebookCase($0), Self.sighting($0)) }
            }
        } catch {
            throw IntelError.store(error, path: path)
        }
    }

    /// What the casebook holds, for the annex: cases, sightings and a content hash over both (the
    /// casebook's version, as the indicator set's hash is the indicators').
    public func casebookStatistics() throws(IntelError) -> (cases: Int, sightings: Int, contentHash: String) {
        do {
            return try database.read { db in
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT c.pseudonym, c.reference, c.source, s.address, s.network, s.asn, s.holder, s.first_seen,
                            s.last_seen, s.records, s.roles, s.findings
                        FROM casebook_sighting s JOIN casebook_case c ON c.id = s.case_id
                        ORDER BY c.pseudonym, s.address
                        """)
                let (hash, sightings) = try Self.hashRows(rows)
                let cases = try Int.fetchOne(db, sql: "SELECT count(*) FROM casebook_case") ?? 0
                return (cases, sightings, hash)
            }
        } catch {
            throw IntelError.store(error, path: path)
        }
    }

    static func casebookCase(_ row: Row) -> CasebookCase {
        CasebookCase(
            pseudonym: row["pseudonym"], reference: row["reference"], examiner: row["examiner"],
            organisation: row["organisation"], recordedAt: row["recorded_at"], analysedAt: row["analysed_at"],
            source: row["source"])
    }

    static func sighting(_ row: Row) -> CasebookSighting {
        func list(_ column: String) -> [String] { (try? JSONText.stringArray(row[column] ?? "[]")) ?? [] }
        let asn: Int64? = row["asn"]
        return CasebookSighting(
            address: row["address"], network: row["network"], asn: asn.flatMap { UInt32(exactly: $0) }, holder: row["holder"],
            firstSeen: row["first_seen"], lastSeen: row["last_seen"], records: row["records"], roles: list("roles"),
            userAgents: list("user_agents"), devices: list("devices"), findings: list("findings"))
    }
}

/// Answers, for the addresses of a case being analysed, where the casebook saw the same address,
/// the same /24 or /48, or the same AS with the same registry holder — in other cases than this
/// one. Each address costs a few indexed queries, so the analysis grows with the case's
/// addresses, not with the casebook.
public final class CasebookReader {
    let store: IndicatorStore
    /// The case being analysed: its own sightings never match it.
    let excluding: String?
    /// False when the casebook holds nothing: no query is made at all.
    public let holdsSightings: Bool

    public init(_ store: IndicatorStore, excluding pseudonym: String?) throws(IntelError) {
        self.store = store
        excluding = pseudonym
        do {
            holdsSightings = try store.database.read { db in
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM casebook_sighting)") ?? false
            }
        } catch {
            throw IntelError.store(error, path: store.path)
        }
    }

    /// At most this many earlier cases are named per kind of overlap (a hosting range seen in
    /// hundreds of cases would otherwise make one finding of hundreds of sentences); the hit
    /// that comes last says how many more cases there were.
    public static let casesPerOverlap = 20

    /// The casebook's hits for one address, given the ASes and registry holders attribution gave
    /// it: by address, then network, then AS and holder; each earlier case once, at its strongest
    /// overlap (its earliest sighting of that kind), at most ``casesPerOverlap`` cases per kind.
    public func hits(for address: IPAddress, asns: Set<UInt32>, holders: Set<String>) throws(IntelError) -> [CasebookHit] {
        guard holdsSightings else { return [] }
        let network = CasebookSighting.network(of: address)
        let limit = Self.casesPerOverlap
        do {
            return try store.database.unsafeRead { db in
                var hits: [CasebookHit] = []
                var named: Set<String> = []
                let own = excluding ?? ""
                // One sighting per case (its earliest), the case's own left out, at most `limit` + 1.
                /// `columns` equal to `arguments`, one sighting per case.
                func fetch(_ columns: [String], _ arguments: [any DatabaseValueConvertible]) throws -> (rows: [Row], cases: Int) {
                    func condition(_ alias: String) -> String {
                        columns.map { "\(alias).\($0) = ?" }.joined(separator: " AND ")
                    }
                    let rows = try Row.fetchAll(
                        db.cachedStatement(
                            sql: """
                                SELECT s.*, c.pseudonym, c.reference, c.examiner, c.organisation, c.recorded_at, c.analysed_at, c.source
                                FROM casebook_sighting s JOIN casebook_case c ON c.id = s.case_id
                                WHERE s.rowid IN (
                                    SELECT (SELECT s2.rowid FROM casebook_sighting s2
                                            WHERE s2.case_id = g.case_id AND \(condition("s2"))
                                            ORDER BY ifnull(s2.first_seen, ''), s2.address LIMIT 1)
                                    FROM (SELECT DISTINCT s.case_id FROM casebook_sighting s JOIN casebook_case c ON c.id = s.case_id
                                          WHERE \(condition("s")) AND c.pseudonym != ?) g)
                                ORDER BY c.pseudonym LIMIT \(limit)
                                """),
                        arguments: StatementArguments(arguments + arguments + [own]))
                    let cases =
                        rows.count < limit
                        ? rows.count
                        : try Int.fetchOne(
                            db.cachedStatement(
                                sql: """
                                    SELECT count(DISTINCT s.case_id) FROM casebook_sighting s JOIN casebook_case c ON c.id = s.case_id
                                    WHERE \(condition("s")) AND c.pseudonym != ?
                                    """), arguments: StatementArguments(arguments + [own])) ?? rows.count
                    return (rows, cases)
                }
                func add(
                    _ found: (rows: [Row], cases: Int), _ overlap: CasebookHit.Overlap, _ value: (CasebookSighting) -> String
                ) {
                    var added = 0
                    for row in found.rows {
                        let entry = IndicatorStore.casebookCase(row)
                        let sighting = IndicatorStore.sighting(row)
                        // Kinds come strongest first: a case already named is not named again.
                        guard named.insert(entry.pseudonym).inserted else { continue }
                        hits.append(
                            CasebookHit(
                                overlap: overlap, caseName: entry.name, pseudonym: entry.pseudonym, source: entry.source,
                                value: value(sighting), earlierAddress: sighting.address, firstSeen: sighting.firstSeen,
                                lastSeen: sighting.lastSeen, roles: sighting.roles, findings: sighting.findings))
                        added += 1
                    }
                    if found.cases > found.rows.count, added > 0 {
                        hits[hits.count - 1].moreCases = found.cases - found.rows.count
                    }
                }
                let byAddress = try fetch(["address"], [address.description])
                add(byAddress, .address) { $0.address }
                add(try fetch(["network"], [network]), .network) { $0.network }
                for asn in asns.sorted() {
                    for holder in holders.sorted() {
                        add(try fetch(["asn", "holder"], [Int64(asn), holder]), .asAndHolder) {
                            "AS\($0.asn.map(String.init) ?? "?") \($0.holder ?? "")"
                        }
                    }
                }
                return hits
            }
        } catch {
            throw IntelError.store(error, path: store.path)
        }
    }
}

extension IndicatorStore {
    /// Infrastructure seen in two or more cases: by address, by /24 or /48, and by AS with the
    /// same registry holder, each with every case's sightings.
    public func casebookOverlap() throws(IntelError) -> [CasebookOverlap] {
        do {
            return try database.read { db in
                let select = """
                    SELECT s.*, c.pseudonym, c.reference, c.examiner, c.organisation, c.recorded_at, c.analysed_at, c.source
                    FROM casebook_sighting s JOIN casebook_case c ON c.id = s.case_id
                    """
                // The keys two or more cases share, found from the indexes (key columns, then case).
                func overlaps(_ key: String, _ overlap: CasebookHit.Overlap, _ value: (Row) -> String) throws -> [CasebookOverlap]
                {
                    let columns = key.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    let match = columns.map { "s.\($0) = k.\($0)" }.joined(separator: " AND ")
                    let rows = try Row.fetchAll(
                        db,
                        sql: select + """
                             JOIN (SELECT \(key) FROM casebook_sighting
                                WHERE \(columns.map { "\($0) IS NOT NULL" }.joined(separator: " AND "))
                                GROUP BY \(key) HAVING count(DISTINCT case_id) > 1) k ON \(match)
                            ORDER BY \(columns.map { "s.\($0)" }.joined(separator: ", ")), c.pseudonym, s.address
                            """)
                    var found: [CasebookOverlap] = []
                    for row in rows {
                        let entry = Self.casebookCase(row)
                        let sighting = Self.sighting(row)
                        let seen = CasebookOverlap.Seen(
                            caseName: entry.name, address: sighting.address, firstSeen: sighting.firstSeen,
                            lastSeen: sighting.lastSeen, roles: sighting.roles)
                        let key = value(row)
                        if found.last?.value == key {
                            found[found.count - 1].seen.append(seen)
                        } else {
                            found.append(CasebookOverlap(overlap: overlap, value: key, seen: [seen]))
                        }
                    }
                    return found
                }
                return try overlaps("address", .address) { $0["address"] }
                    + overlaps("network", .network) { $0["network"] }
                    + overlaps("asn, holder", .asAndHolder) { row in
                        "AS\(row["asn"] as Int64? ?? 0) \(row["holder"] as String? ?? "")"
                    }
            }
        } catch {
            throw IntelError.store(error, path: path)
        }
    }
}
