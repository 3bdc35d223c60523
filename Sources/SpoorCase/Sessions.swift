import Foundation
import GRDB
import SpoorAnalysis
import SpoorCore
import SpoorLogs

/// Groups each account's events into sessions and marks what is new for the account.
///
/// The account is the record's account name, or — for exports that belong to one account and
/// do not repeat its name in each record — the exported account of that format. Events are taken
/// in time order (zone-less times by their wall-clock reading). An event joins the latest
/// session of its account that saw the same address, cookie or device within ``gap``; otherwise
/// it opens a new session. It is marked `address`, `network` (the /24 or /48 around it),
/// `device` or `user_agent` when it is the first of the account's events to bring one.
enum Sessions {
    static let gap = Sessioning.gap

    struct Open {
        var id: String
        var last: Int64
        var addresses: Set<String>
        var tokens: Set<String>
    }

    /// One account's state: its open sessions and how many it has had. What it has shown before
    /// (addresses, networks, devices, user agents) is in ``Ledger``.
    struct Seen {
        var sessions: [Open] = []
        var count = 0
    }

    /// Values an account has already shown, for novelty marks: a set in memory up to
    /// ``memoryLimit`` values, then a temporary table, so an account with millions of addresses
    /// costs disk, not memory.
    struct Ledger {
        static let memoryLimit = 100_000
        let limit: Int
        var memory: Set<String> = []
        var spilled = false

        /// True the first time `value` of `kind` is offered since the last ``reset(_:)``.
        mutating func first(_ kind: String, _ value: String, _ db: Database) throws -> Bool {
            // The kind is one letter, so `kind:value` is unambiguous (SQLite text stops at a NUL).
            let key = kind + ":" + value
            if !spilled {
                if memory.count < limit { return memory.insert(key).inserted }
                if memory.contains(key) { return false }
                try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS novelty (value TEXT PRIMARY KEY) WITHOUT ROWID")
                let insert = try db.cachedStatement(sql: "INSERT INTO novelty (value) VALUES (?)")
                for known in memory { try insert.execute(arguments: [known]) }
                memory = []
                spilled = true
            }
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO novelty (value) VALUES (?)").execute(arguments: [key])
            return db.changesCount > 0
        }

        mutating func reset(_ db: Database) throws {
            memory = []
            if spilled { try db.execute(sql: "DELETE FROM novelty") }
            spilled = false
        }
    }

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

    /// Marks every dated account record (flows, names and records of no account get no mark). The observations are read account by account (each in
    /// time order), so only one account's open sessions are held at a time.
    /// `memoryLimit`: values per account held in memory before the ledger moves to disk.
    static func mark(_ db: Database, memoryLimit: Int = Ledger.memoryLimit) throws {
        try db.execute(sql: "DELETE FROM observation_mark")
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT o.id, \(accountKeySQL) AS account_key,
                    o.time_key, o.ip, coalesce(o.user_agent, ua.text) AS user_agent,
                    json_extract(o.fields, '$.device') AS device, json_extract(o.fields, '$.datr_cookie') AS cookie,
                    json_extract(o.fields, '$.name') AS name
                FROM observation o
                LEFT JOIN user_agent ua ON ua.id = o.user_agent_id
                WHERE o.time_key IS NOT NULL AND o.kind = 'access' AND account_key IS NOT NULL
                ORDER BY account_key, o.time_key, o.id
                """)
        var currentKey: String? = nil
        var seen = Seen()
        var ledger = Ledger(limit: memoryLimit)
        defer { try? db.execute(sql: "DROP TABLE IF EXISTS temp.novelty") }
        let insert = try db.makeStatement(
            sql: "INSERT INTO observation_mark (observation_id, account_key, session, novel) VALUES (?, ?, ?, ?)")
        while let row = try rows.next() {
            let id: Int64 = row["id"]
            let time: Int64 = row["time_key"]
            let key: String = row["account_key"]
            if key != currentKey {
                currentKey = key
                seen = Seen()
                try ledger.reset(db)
            }
            let ip: String? = row["ip"]
            let userAgent: String? = row["user_agent"]
            // Device and cookie come out of the stored fields in SQL: no JSON decoding per record.
            let deviceField: String? = row["device"]
            let cookie: String? = row["cookie"]
            let name: String? = row["name"]
            let device = deviceField ?? cookie ?? name
            var tokens = Set([cookie, deviceField].compactMap { $0 }.filter { !$0.isEmpty })
            if let userAgent, !userAgent.isEmpty { tokens.insert("ua:" + userAgent) }

            var novel: [String] = []
            if let ip, let address = IPAddress(ip) {
                if try ledger.first("a", ip, db) { novel.append("address") }
                if let network = Sessioning.network(around: address), try ledger.first("n", network.description, db) {
                    novel.append("network")
                }
            }
            if let device, !device.isEmpty, try ledger.first("d", device, db) { novel.append("device") }
            if let userAgent, !userAgent.isEmpty, try ledger.first("u", userAgent, db) { novel.append("user_agent") }

            let match = seen.sessions.lastIndex { open in
                time - open.last <= gap && (ip.map(open.addresses.contains) == true || !open.tokens.isDisjoint(with: tokens))
            }
            let session: String
            if let match {
                seen.sessions[match].last = time
                if let ip { seen.sessions[match].addresses.insert(ip) }
                seen.sessions[match].tokens.formUnion(tokens)
                session = seen.sessions[match].id
            } else {
                seen.count += 1
                session = "S\(seen.count)"
                seen.sessions.append(Open(id: session, last: time, addresses: Set([ip].compactMap { $0 }), tokens: tokens))
                // Sessions idle for longer than the gap cannot be joined again.
                seen.sessions.removeAll { time - $0.last > gap }
            }
            try insert.execute(arguments: [id, key, session, JSONText.array(novel)])
        }
    }
}
