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
        // The user agents and device names each sighting was seen with, by AS, so that a later
        // case's client on the same AS is found from an index; and each case's content hash,
        // so that the casebook's version is a hash over its cases, not over every sighting.
        migrator.registerMigration("v8 casebook clients and case hashes") { db in
            try db.execute(
                sql: """
                    CREATE TABLE casebook_client (
                        case_id INTEGER NOT NULL REFERENCES casebook_case(id) ON DELETE CASCADE,
                        address TEXT NOT NULL,
                        asn INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        value TEXT NOT NULL
                    );
                    INSERT INTO casebook_client (case_id, address, asn, kind, value)
                    SELECT s.case_id, s.address, s.asn, 'user_agent', j.value
                    FROM casebook_sighting s, json_each(s.user_agents) j WHERE s.asn IS NOT NULL
                    UNION ALL
                    SELECT s.case_id, s.address, s.asn, 'device', j.value
                    FROM casebook_sighting s, json_each(s.devices) j WHERE s.asn IS NOT NULL;
                    CREATE INDEX casebook_client_asn ON casebook_client (asn, kind, value, case_id);
                    CREATE INDEX casebook_client_value ON casebook_client (kind, value, case_id);
                    CREATE INDEX casebook_client_case ON casebook_client (case_id);
                    ALTER TABLE casebook_case ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';
                    """)
            for id in try Int64.fetchAll(db, sql: "SELECT id FROM casebook_case") {
                try db.execute(
                    sql: "UPDATE casebook_case SET content_hash = ? WHERE id = ?", arguments: [try caseHash(db, id), id])
            }
        }
    }

    /// SHA-256 over a case's sightings in address order: the case's content, as the casebook's
    /// version is made of.
    static func caseHash(_ db: Database, _ id: Int64) throws -> String {
        try hashRows(
            Row.fetchCursor(
                db,
                sql: """
                    SELECT address, network, asn, holder, first_seen, last_seen, records, roles, user_agents, devices, findings
                    FROM casebook_sighting WHERE case_id = ? ORDER BY address
                    """, arguments: [id])
        ).hash
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
                let client = try db.makeStatement(
                    sql: "INSERT INTO casebook_client (case_id, address, asn, kind, value) VALUES (?, ?, ?, ?, ?)")
                for s in sightings {
                    try insert.execute(arguments: [
                        id, s.address, s.network, s.asn.map { Int64($0) }, s.holder, s.firstSeen, s.lastSeen, s.records,
                        JSONText.array(s.roles), JSONText.array(s.userAgents), JSONText.array(s.devices),
                        JSONText.array(s.findings),
                    ])
                    guard let asn = s.asn else { continue }
                    for (kind, values) in [(CasebookClient.Kind.userAgent, s.userAgents), (.device, s.devices)] {
                        for value in Set(values) {
                            try client.execute(arguments: [id, s.address, Int64(asn), kind.rawValue, value])
                        }
                    }
                }
                try db.execute(
                    sql: "UPDATE casebook_case SET content_hash = ? WHERE id = ?", arguments: [try Self.caseHash(db, id), id])
                return earlier != nil
            }
        } catch {
            throw IntelError.store(error, path: path)
        }
    }

    /// The recorded cases, by reference then pseudonym, with how many sightings each holds.
    public func casebookCases() throws(IntelError) -> [(entry: CasebookCase, sightings: Int)] {
        do {
            return try reader.read { db in
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
            return try reader.read { db in
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

    /// The local case a shared case is a copy of: the one this casebook recorded under the
    /// pseudonym the file gives, when it saw every address the file lists (a helpline reading
    /// back its own export). Nil when there is none, or when it is another helpline's case.
    public func localOriginal(of shared: CasebookCase, sightings: [CasebookSighting]) throws(IntelError) -> CasebookCase? {
        let name = CasebookExchange.sharedName(of: shared)
        guard let local = try casebookCase(named: name), local.entry.source == CasebookCase.localSource,
            local.entry.pseudonym == name
        else { return nil }
        let known = Set(local.sightings.map(\.address))
        return sightings.allSatisfy { known.contains($0.address) } ? local.entry : nil
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
            return try reader.read { db in
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
            return try reader.read { db in
                // Each case's hash was made when it was recorded: the cost follows the cases.
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT pseudonym, reference, source, content_hash FROM casebook_case ORDER BY pseudonym")
                let (hash, cases) = try Self.hashRows(rows)
                let sightings = try Int.fetchOne(db, sql: "SELECT count(*) FROM casebook_sighting") ?? 0
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
/// the same /24 or /48, the same unusual user agent or device name on the same AS, or the same
/// AS with the same registry holder — in other cases than this one. An address costs one
/// indexed query; what a network, an AS or a client matches is asked once per analysis and
/// kept, so the analysis grows with the case's addresses and networks, not with the casebook.
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
            holdsSightings = try store.reader.read { db in
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
    /// A user agent or device name is unusual when at most this many other cases of the
    /// casebook saw it, on any AS: only then does the same one on the same AS count.
    public static let unusualClientCases = 3
    /// How many cases are kept per network, AS or client asked: enough to name
    /// ``casesPerOverlap`` after leaving out the cases a stronger overlap already named.
    static let keptPerKey = 70

    /// One kind of overlap and the value asked.
    enum Key: Hashable {
        case address(String)
        case network(String)
        case asAndHolder(Int64, String)
        case client(Int64, CasebookClient)

        /// The sightings matching it, as a `FROM … WHERE …` over alias `a`, with its arguments.
        func matching(_ a: String) -> (sql: String, arguments: [any DatabaseValueConvertible]) {
            switch self {
            case .address(let address): ("FROM casebook_sighting \(a) WHERE \(a).address = ?", [address])
            case .network(let network): ("FROM casebook_sighting \(a) WHERE \(a).network = ?", [network])
            case .asAndHolder(let asn, let holder):
                ("FROM casebook_sighting \(a) WHERE \(a).asn = ? AND \(a).holder = ?", [asn, holder])
            case .client(let asn, let client):
                (
                    """
                    FROM casebook_sighting \(a) JOIN casebook_client \(a)k ON \(a)k.case_id = \(a).case_id AND \(a)k.address = \(a).address
                    WHERE \(a)k.asn = ? AND \(a)k.kind = ? AND \(a)k.value = ?
                    """, [asn, client.kind.rawValue, client.value]
                )
            }
        }
    }

    /// What the casebook holds for a key: every case that saw it (its own left out), and the
    /// earliest sighting of the first ``keptPerKey`` of them by pseudonym.
    struct Found {
        var cases: Set<Int64>
        var rows: [(caseID: Int64, entry: CasebookCase, sighting: CasebookSighting)]
        var complete: Bool { rows.count == cases.count }
    }

    var kept: [Key: Found] = [:]
    /// Per AS: the clients the casebook saw on it (other cases'), and per client how many cases saw it.
    var clientsByAS: [Int64: Set<CasebookClient>] = [:]
    var casesByClient: [CasebookClient: Int] = [:]

    /// The casebook's hits for one address, given the ASes and registry holders attribution gave
    /// it and a function giving the user agents and device names the case saw it with (asked
    /// only when the casebook saw clients on one of those ASes): by address, then network, then
    /// client on the AS, then AS and holder; each earlier case once, at its strongest overlap
    /// (its earliest sighting of that kind), at most ``casesPerOverlap`` cases per kind.
    public func hits(
        for address: IPAddress, asns: Set<UInt32>, holders: Set<String>,
        clients: () throws -> [CasebookClient] = { [] }
    ) throws(IntelError) -> [CasebookHit] {
        guard holdsSightings else { return [] }
        do {
            return try store.reader.unsafeRead { db in
                var hits: [CasebookHit] = []
                // The cases a stronger overlap already named or counted: never named or counted again.
                var claimed: Set<Int64> = []
                func add(_ key: Key, _ overlap: CasebookHit.Overlap, _ value: (CasebookSighting) -> String) throws {
                    let (rows, more) = try found(db, key, excluding: &claimed)
                    for row in rows {
                        hits.append(
                            CasebookHit(
                                overlap: overlap, caseName: row.entry.name, pseudonym: row.entry.pseudonym,
                                source: row.entry.source, value: value(row.sighting), earlierAddress: row.sighting.address,
                                firstSeen: row.sighting.firstSeen, lastSeen: row.sighting.lastSeen, roles: row.sighting.roles,
                                findings: row.sighting.findings))
                    }
                    if more > 0, !rows.isEmpty { hits[hits.count - 1].moreCases = more }
                }
                try add(.address(address.description), .address) { $0.address }
                try add(.network(CasebookSighting.network(of: address)), .network) { $0.network }
                let seen = try clientMatches(db, asns: asns, clients)
                for (asn, client, cases) in seen {
                    let before = hits.count
                    try add(.client(asn, client), .clientAndAS) { _ in "AS\(asn)" }
                    for i in before..<hits.count {
                        hits[i].client = client
                        hits[i].clientCases = cases
                    }
                }
                for asn in asns.sorted() {
                    for holder in holders.sorted() {
                        try add(.asAndHolder(Int64(asn), holder), .asAndHolder) {
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

    /// The unusual clients of this address that the casebook saw on the same AS in another case,
    /// with how many cases saw each at all.
    func clientMatches(_ db: Database, asns: Set<UInt32>, _ clients: () throws -> [CasebookClient]) throws
        -> [(asn: Int64, client: CasebookClient, cases: Int)]
    {
        var onAS: [(Int64, Set<CasebookClient>)] = []
        for asn in asns.sorted().map(Int64.init) {
            if clientsByAS[asn] == nil {
                let rows = try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT DISTINCT kind, value FROM casebook_client WHERE asn = ? AND case_id != ?"),
                    arguments: [asn, try ownCaseID(db)])
                clientsByAS[asn] = Set(
                    rows.compactMap { row in
                        CasebookClient.Kind(rawValue: row["kind"]).map { CasebookClient($0, row["value"]) }
                    })
            }
            if let known = clientsByAS[asn], !known.isEmpty { onAS.append((asn, known)) }
        }
        guard !onAS.isEmpty else { return [] }
        let own = Set(try clients())
        var matches: [(asn: Int64, client: CasebookClient, cases: Int)] = []
        for (asn, known) in onAS {
            for client in own.intersection(known).sorted(by: { ($0.kind.rawValue, $0.value) < ($1.kind.rawValue, $1.value) }) {
                if casesByClient[client] == nil {
                    casesByClient[client] =
                        try Int.fetchOne(
                            db.cachedStatement(
                                sql:
                                    "SELECT count(DISTINCT case_id) FROM casebook_client WHERE kind = ? AND value = ? AND case_id != ?"
                            ),
                            arguments: [client.kind.rawValue, client.value, try ownCaseID(db)]) ?? 0
                }
                let cases = casesByClient[client] ?? 0
                if cases <= Self.unusualClientCases { matches.append((asn, client, cases)) }
            }
        }
        return matches
    }

    /// The cases to name for a key — at most ``casesPerOverlap``, none of `claimed` — and how
    /// many more cases saw it that are not named here or claimed already; then claims them all.
    func found(_ db: Database, _ key: Key, excluding claimed: inout Set<Int64>) throws -> (
        rows: [(caseID: Int64, entry: CasebookCase, sighting: CasebookSighting)], more: Int
    ) {
        let limit = Self.casesPerOverlap
        var found: Found
        if let known = kept[key] {
            found = known
        } else {
            found = try fetch(db, key, limit: Self.keptPerKey)
            // An address is asked once; networks, ASes and clients come back for other addresses.
            if case .address = key {} else { kept[key] = found }
        }
        var available = found.rows.filter { !claimed.contains($0.caseID) }
        if available.count < limit, !found.complete {
            // Too many of the kept cases are claimed: the first ones past them, by pseudonym.
            let more = try fetch(db, key, limit: limit + claimed.intersection(found.cases).count)
            available = more.rows.filter { !claimed.contains($0.caseID) }
        }
        let shown = Array(available.prefix(limit))
        let unclaimed = found.cases.subtracting(claimed).count
        claimed.formUnion(found.cases)
        return (shown, max(0, unclaimed - shown.count))
    }

    /// Every case that saw the key (the case's own left out), and the earliest sighting of each
    /// of the first `limit` by pseudonym.
    func fetch(_ db: Database, _ key: Key, limit: Int) throws -> Found {
        let (inner, innerArguments) = key.matching("s2")
        let (outer, outerArguments) = key.matching("s")
        let own = try ownCaseID(db)
        let cases = Set(
            try Int64.fetchAll(
                db.cachedStatement(sql: "SELECT DISTINCT s.case_id \(outer) AND s.case_id != ?"),
                arguments: StatementArguments(outerArguments + [own])))
        guard !cases.isEmpty else { return Found(cases: [], rows: []) }
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT s.*, c.pseudonym, c.reference, c.examiner, c.organisation, c.recorded_at, c.analysed_at, c.source
                    FROM casebook_sighting s JOIN casebook_case c ON c.id = s.case_id
                    WHERE s.rowid IN (
                        SELECT (SELECT s2.rowid \(inner) AND s2.case_id = g.case_id
                                ORDER BY ifnull(s2.first_seen, ''), s2.address LIMIT 1)
                        FROM (SELECT DISTINCT s.case_id \(outer) AND s.case_id != ?) g)
                    ORDER BY c.pseudonym LIMIT ?
                    """),
            arguments: StatementArguments(innerArguments + outerArguments + [own, limit]))
        return Found(
            cases: cases,
            rows: rows.map { row in
                (caseID: row["case_id"], entry: IndicatorStore.casebookCase(row), sighting: IndicatorStore.sighting(row))
            })
    }

    var ownID: Int64??
    /// The row id of the case being analysed in the casebook, or -1 when it is not recorded.
    func ownCaseID(_ db: Database) throws -> Int64 {
        if let ownID { return ownID ?? -1 }
        let id = try Int64.fetchOne(
            db, sql: "SELECT id FROM casebook_case WHERE pseudonym = ?", arguments: [excluding ?? ""])
        ownID = .some(id)
        return id ?? -1
    }
}

extension IndicatorStore {
    /// Infrastructure seen in two or more cases: by address, by /24 or /48, and by AS with the
    /// same registry holder, each with every case's sightings.
    public func casebookOverlap() throws(IntelError) -> [CasebookOverlap] {
        do {
            return try reader.read { db in
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
