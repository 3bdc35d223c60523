import Foundation
import GRDB
import SpoorCore
import SpoorLogs

/// One dated account record as the account pass reads it (``AnalysisPass/markAccountRecords(memoryLimit:_:)``):
/// what the sessions pass needs, and — for a record with a zoned time — what the account rules
/// read, with what attribution said of its address.
package struct AccountRecord: Sendable {
    package var id: Int64
    /// `format: account`.
    package var accountKey: String
    package var timeKey: Int64
    /// RFC 3339 UTC; nil when the source gave no zone (such a record is marked, and the account
    /// rules do not see it).
    package var timeUTC: String?
    package var ip: String?
    package var action: Action
    package var locator: Locator
    package var userAgent: String?
    /// The `device`, `datr_cookie` and `name` fields, read in SQL (no JSON decoding per record).
    package var device: String?
    package var cookie: String?
    package var name: String?
    /// The source's words for the action, and the record's `target` field (what it was about).
    package var rawAction: String?
    package var target: String?
    /// Where a database places the address, and whether a database or warninglist calls it
    /// anonymising or hosting (dated records only).
    package var location: GeoPoint?
    package var flagged: Bool = false
    /// The countries and AS numbers the databases gave for the address (dated records only).
    package var countries: [String]
    package var asns: [UInt32]
}

/// A record's marks: its account's session and what it brought that was new.
package struct Mark: Sendable {
    package var session: String
    package var novel: [Novelty]

    package init(session: String, novel: [Novelty]) {
        self.session = session
        self.novel = novel
    }
}

extension CaseStore {
    /// The account an access record belongs to, as SQL over `observation o`: `format: name`, or
    /// NULL when the record is nobody's account record (see ``AccountScope``). Exports of one
    /// account do not repeat its name per record; a case holds one victim's exports, so every
    /// such record of a format is that account's (split exports too).
    static var accountKeySQL: String {
        func formats(_ scope: AccountScope) -> String {
            ParserRegistry.all.filter { $0.accountScope == scope }.map { "'\($0.formatID)'" }.joined(separator: ", ")
        }
        return """
            CASE WHEN o.format IN (\(formats(.exportedAccount))) THEN o.format || ': ' || coalesce(o.account, 'the exported account')
                WHEN o.format IN (\(formats(.namedAccounts))) AND o.account IS NOT NULL AND o.account != '' THEN o.format || ': ' || o.account
                END
            """
    }

}

extension AnalysisPass {
    /// Replaces every mark: `body` is given each dated account record (flows, names and records
    /// of no account get no mark), account by account and each account's in ``CaseStore/eventOrder``,
    /// with the account's ledger of values already shown (reset when the account changes), and
    /// says the record's marks. One pass: the account rules read the records as they are marked.
    /// - Parameter memoryLimit: values per account held in memory before the ledger moves to disk.
    package func markAccountRecords(
        memoryLimit: Int = NoveltyLedger.memoryLimit, _ body: (AccountRecord, NoveltyLedger, _ newAccount: Bool) throws -> Mark
    ) throws {
        try db.execute(sql: "DELETE FROM observation_mark")
        // Account records are records, never flow ends: read from their own table, not the view.
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT o.id, \(CaseStore.accountKeySQL) AS account_key, o.time_key, o.time_utc, o.ip, o.action, o.locator,
                    o.evidence_id,
                    coalesce(o.user_agent, ua.text) AS user_agent,
                    json_extract(o.fields, '$.device') AS device, json_extract(o.fields, '$.datr_cookie') AS cookie,
                    json_extract(o.fields, '$.name') AS name, o.raw_action, json_extract(o.fields, '$.target') AS target,
                    s.countries AS subject_countries, s.asns AS subject_asns, s.flagged AS subject_flagged,
                    s.latitude, s.longitude, s.radius_km, s.location_source
                FROM record_observation o
                LEFT JOIN user_agent ua ON ua.id = o.user_agent_id
                LEFT JOIN subject_ip s ON s.ip = o.ip
                WHERE o.time_key IS NOT NULL AND o.kind = 'access' AND account_key IS NOT NULL
                ORDER BY account_key, \(CaseStore.eventOrder)
                """)
        // Each row carries its item's id only; the item's hash, path and member are read once.
        let items = try CaseStore.evidenceItems(db)
        var currentKey: String? = nil
        let ledger = NoveltyLedger(db: db, limit: memoryLimit)
        defer { try? db.execute(sql: "DROP TABLE IF EXISTS temp.novelty") }
        let insert = try db.makeStatement(
            sql: "INSERT INTO observation_mark (observation_id, account_key, session, novel) VALUES (?, ?, ?, ?)")
        while let row = try rows.next() {
            let timeUTC: String? = row["time_utc"]
            let action: String = row["action"] ?? "other"
            var countries: [String] = []
            var asns: [UInt32] = []
            if timeUTC != nil {
                let countryList: String? = row["subject_countries"]
                let asnList: String? = row["subject_asns"]
                countries = try countryList.map(JSONText.stringArray) ?? []
                asns = try asnList.map { try JSONText.unsignedArray($0).compactMap { UInt32(exactly: $0) } } ?? []
            }
            var record = AccountRecord(
                id: row["id"], accountKey: row["account_key"], timeKey: row["time_key"], timeUTC: timeUTC, ip: row["ip"],
                action: Action(rawValue: action) ?? .other, locator: try CaseStore.locator(row, items: items),
                userAgent: row["user_agent"],
                device: row["device"], cookie: row["cookie"], name: row["name"], rawAction: row["raw_action"],
                target: row["target"], countries: countries, asns: asns)
            if timeUTC != nil {
                record.flagged = row["subject_flagged"] ?? false
                if let latitude: Double = row["latitude"], let longitude: Double = row["longitude"] {
                    record.location = GeoPoint(
                        latitude: latitude, longitude: longitude, radiusKm: row["radius_km"], source: row["location_source"] ?? ""
                    )
                }
            }
            let newAccount = record.accountKey != currentKey
            if newAccount {
                currentKey = record.accountKey
                try ledger.reset()
            }
            let mark = try body(record, ledger, newAccount)
            try insert.execute(arguments: [
                record.id, record.accountKey, mark.session, JSONText.array(mark.novel.map(\.rawValue)),
            ])
        }
    }
}

/// Values an account has already shown, for novelty marks: their fingerprints in memory up to a
/// limit, then in a temporary table, so an account with tens of millions of values costs disk,
/// not memory.
///
/// A value is kept as a 128-bit fingerprint (two SipHash values under this process's random
/// seed, with different prefixes): 16 bytes whatever the value's length, so a user agent of
/// 400 characters costs what an address does. Two different values share a fingerprint with
/// odds of about n² / 2¹²⁹ — for ten million values, below one in 10²⁴ — and the seed is not
/// known outside the process, so attacker-written values cannot be made to collide.
package final class NoveltyLedger {
    /// Fingerprints held in memory before the ledger moves to disk: at most 64 MiB of hash table.
    package static let memoryLimit = 2_000_000
    let db: Database
    let limit: Int
    var memory: Set<Fingerprint> = []
    var spilled = false

    struct Fingerprint: Hashable {
        var high: UInt64
        var low: UInt64

        init(_ kind: String, _ value: String) {
            var first = Hasher()
            first.combine(0x4E as UInt8)
            first.combine(kind)
            first.combine(value)
            var second = Hasher()
            second.combine(0x56 as UInt8)
            second.combine(kind)
            second.combine(value)
            high = UInt64(bitPattern: Int64(first.finalize()))
            low = UInt64(bitPattern: Int64(second.finalize()))
        }

        /// The fingerprint as 16 bytes, for the table on disk.
        var bytes: Data {
            var big = (high.bigEndian, low.bigEndian)
            return withUnsafeBytes(of: &big) { Data($0) }
        }
    }

    init(db: Database, limit: Int) {
        self.db = db
        self.limit = limit
    }

    /// True the first time `value` of `kind` is offered since the last ``reset()``.
    package func first(_ kind: String, _ value: String) throws -> Bool {
        let key = Fingerprint(kind, value)
        if !spilled {
            if memory.count < limit { return memory.insert(key).inserted }
            if memory.contains(key) { return false }
            try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS novelty (value BLOB PRIMARY KEY) WITHOUT ROWID")
            let insert = try db.cachedStatement(sql: "INSERT INTO novelty (value) VALUES (?)")
            for known in memory { try insert.execute(arguments: [known.bytes]) }
            memory = []
            spilled = true
        }
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO novelty (value) VALUES (?)").execute(arguments: [key.bytes])
        return db.changesCount > 0
    }

    func reset() throws {
        memory = []
        if spilled { try db.execute(sql: "DELETE FROM novelty") }
        spilled = false
    }
}
