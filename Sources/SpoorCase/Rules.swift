import Foundation
import GRDB
import SpoorCore

/// Analysis rules beyond indicator matches. Each finding names its rule, says in plain words what
/// the records show (never more), and carries the locators of the records it rests on.
///
/// - `change_after_login`: a login followed within 24 hours, in the same session of the account,
///   by a password, e-mail or two-factor change or a new device (high); a change record naming
///   no address, within 30 minutes of the account's latest login (medium, and it says so).
/// - `new_access`: after the account's first session, access from an address in a network (/24,
///   /48), AS or country it had not used before.
/// - `anonymising_infrastructure`: an address used on an account that a database flags (VPN, Tor,
///   hosting, proxy) or a warninglist holds.
/// - `simultaneous_sessions`: two sessions of one account overlapping in time from addresses in
///   different countries.
/// - `account_and_capture`: an address in account or server records that also appears in a packet
///   capture.
enum Rules {
    static let changeWindow: Int64 = 24 * 3600 * 1_000_000_000
    static let loginActions: Set<String> = ["login", "session_start"]
    static let changeActions: [String: String] = [
        "password_change": "a password change", "email_change": "an e-mail change",
        "two_factor_change": "a two-factor change", "device_added": "a new device",
    ]

    typealias Add = (String, Finding.Severity, String, [String], [Locator]) -> Void

    /// The rules' findings, numbered from `first`. Account events are read one account at a
    /// time in time order, each rule keeping only what it must remember (the latest login per
    /// recent session, the account's networks and countries so far, sessions active now);
    /// sessions with a country go to a temporary table where overlaps are found in SQL. So the
    /// memory taken does not grow with the number of records.
    /// `forgetEvery`: how many events pass between looks for idle sessions to forget.
    static func findings(_ db: Database, numberingFrom first: Int, forgetEvery: Int = 4096) throws -> [Finding] {
        var found: [Finding] = []
        func add(_ rule: String, _ severity: Finding.Severity, _ statement: String, _ ips: [String], _ locators: [Locator]) {
            found.append(Finding(
                id: "F\(first + found.count)", rule: rule, severity: severity, statement: statement,
                addresses: Array(Set(ips)).compactMap { IPAddress($0) }.sorted(), indicators: [], locators: locators))
        }
        try db.execute(
            sql: """
                CREATE TEMP TABLE IF NOT EXISTS rule_span (
                    session TEXT PRIMARY KEY, first_key INTEGER NOT NULL, first_utc TEXT, first_locator TEXT NOT NULL,
                    last_key INTEGER NOT NULL);
                CREATE INDEX IF NOT EXISTS temp.rule_span_first ON rule_span (first_key, session);
                CREATE TEMP TABLE IF NOT EXISTS rule_span_country (
                    session TEXT NOT NULL, country TEXT NOT NULL, ip TEXT NOT NULL, PRIMARY KEY (session, country)) WITHOUT ROWID;
                DELETE FROM rule_span; DELETE FROM rule_span_country;
                """)
        defer { try? db.execute(sql: "DROP TABLE IF EXISTS temp.rule_span; DROP TABLE IF EXISTS temp.rule_span_country") }
        let rows = try Row.fetchCursor(
            db,
            sql: "SELECT " + CaseStore.eventColumns + ", s.countries AS subject_countries, s.asns AS subject_asns FROM "
                + CaseStore.eventJoins + " LEFT JOIN subject_ip s ON s.ip = o.ip"
                + " WHERE o.kind = 'access' AND o.time_utc IS NOT NULL AND m.account_key IS NOT NULL ORDER BY m.account_key, "
                + CaseStore.eventOrder)
        var pass: AccountPass? = nil
        while let row = try rows.next() {
            let event = try StoredEvent(row: row)
            let account = event.accountKey ?? ""
            if pass?.account != account {
                try pass?.finish(db, add)
                pass = AccountPass(account: account, forgetEvery: forgetEvery)
            }
            let countries: String? = row["subject_countries"]
            let asns: String? = row["subject_asns"]
            try pass?.consume(
                event, countries: countries.map { $0.split(separator: ",").map(String.init) } ?? [],
                asns: asns.map { $0.split(separator: ",").compactMap { UInt32($0) } } ?? [], db)
        }
        try pass?.finish(db, add)
        try flaggedInfrastructure(db, add)
        try accountAndCapture(db, add)
        return found
    }

    /// Flagged infrastructure (a database's VPN/Tor/hosting flags, a warninglist) used on an account.
    static func flaggedInfrastructure(_ db: Database, _ add: Add) throws {
        let subjects = try Row.fetchCursor(db, sql: "SELECT ip, document FROM subject_ip WHERE flagged = 1 ORDER BY sort_key, ip")
        let decoder = JSONDecoder()
        while let row = try subjects.next() {
            let ip: String = row["ip"]
            let locators = try Row.fetchAll(
                db,
                sql: CaseStore.eventSelect + " WHERE o.ip = ? AND o.kind = 'access' AND o.time_utc IS NOT NULL AND m.account_key IS NOT NULL ORDER BY "
                    + CaseStore.eventOrder + " LIMIT 20",
                arguments: [ip]
            ).map { try StoredEvent(row: $0).locator }
            guard !locators.isEmpty else { continue }
            let document: String = row["document"]
            let subject = try decoder.decode(SubjectIP.self, from: Data(document.utf8))
            var reasons: [String] = []
            for answer in subject.enrichment where !answer.flags.isEmpty {
                reasons.append("flagged " + answer.flags.joined(separator: ", ") + " by \(answer.source.databaseType) built \(answer.source.buildDate)")
            }
            for hit in subject.warninglists ?? [] { reasons.append("listed in the warninglist \(hit.name) (\(hit.entry))") }
            guard !reasons.isEmpty else { continue }
            add("anonymising_infrastructure", .medium,
                "\(subject.ip), used on the account(s) \(subject.accounts.joined(separator: ", ")), is \(reasons.joined(separator: " and ")). "
                    + "Such addresses are shared by many users: this says how the access was made, not who made it.",
                [subject.ip], locators)
        }
    }

    /// The same address in account or server records and in captured traffic.
    static func accountAndCapture(_ db: Database, _ add: Add) throws {
        let subjects = try Row.fetchCursor(
            db,
            sql: """
                SELECT s.ip, s.document FROM subject_ip s
                WHERE s.address_class IN ('global', 'documentation')
                    AND EXISTS (SELECT 1 FROM observation WHERE ip = s.ip AND kind = 'access')
                    AND EXISTS (SELECT 1 FROM observation WHERE ip = s.ip AND kind IN ('flow', 'name'))
                ORDER BY s.sort_key, s.ip
                """)
        let decoder = JSONDecoder()
        while let row = try subjects.next() {
            let ip: String = row["ip"]
            let document: String = row["document"]
            let subject = try decoder.decode(SubjectIP.self, from: Data(document.utf8))
            let access = try Row.fetchAll(db, sql: CaseStore.eventSelect + " WHERE o.ip = ? AND o.kind = 'access' ORDER BY " + CaseStore.eventOrder + " LIMIT 10", arguments: [ip]).map { try StoredEvent(row: $0) }
            let traffic = try Row.fetchAll(db, sql: CaseStore.eventSelect + " WHERE o.ip = ? AND o.kind IN ('flow', 'name') ORDER BY " + CaseStore.eventOrder + " LIMIT 10", arguments: [ip]).map { try StoredEvent(row: $0) }
            let names = subject.reachedAs.map { " (reached as \($0.prefix(3).joined(separator: ", ")))" } ?? ""
            add("account_and_capture", subject.indicatorHits.isEmpty ? .medium : .high,
                "\(ip) appears both in account or server records (\(access.count == 10 ? "10 or more" : String(access.count)) record(s), e.g. \(access.first?.locator.description ?? "")) "
                    + "and in captured traffic\(names) (e.g. \(traffic.first?.locator.description ?? "")).",
                [ip], access.map(\.locator) + traffic.map(\.locator))
        }
    }

    /// One account's events, in time order, through the per-account rules.
    struct AccountPass {
        let account: String
        let forgetEvery: Int
        init(account: String, forgetEvery: Int) {
            self.account = account
            self.forgetEvery = max(1, forgetEvery)
        }

        // change_after_login: the latest login overall and per session; logins and changes grouped.
        var lastLogin: StoredEvent?
        var loginBySession: [String: StoredEvent] = [:]
        var sessionLast: [String: Int64] = [:]
        var groups: [String: (login: StoredEvent, changes: [StoredEvent], byTime: Bool)] = [:]
        var order: [String] = []

        // new_access: the account's first session, and the networks and countries seen so far.
        var firstSession: String?
        var asns: Set<UInt32> = []
        var countries: Set<String> = []
        var reported: Set<String> = []
        var newAccess: [(String, [String], [Locator])] = []

        // simultaneous_sessions: the sessions still running, each with its first event and countries.
        struct Span {
            var first: StoredEvent
            var last: Int64
            var countries: [String: String]
        }
        var spans: [String: Span] = [:]
        var consumed = 0

        mutating func consume(_ event: StoredEvent, countries eventCountryList: [String], asns eventASNList: [UInt32], _ db: Database) throws {
            guard let time = event.timeKey else { return }
            // A change, set against the latest login of its own session. A change record that
            // names no address cannot be placed in a session: it is set against the latest
            // login only when that login is at most a session gap (30 minutes) before it, and
            // the finding says so. A login of another session is never paired.
            if changeActions[event.action] != nil {
                let own = event.session.flatMap { loginBySession[$0] }
                let byTime = own == nil && event.ip == nil
                if let login = own ?? (byTime ? lastLogin : nil), let loginTime = login.timeKey,
                    time - loginTime <= (byTime ? Sessions.gap : changeWindow)
                {
                    // One finding per login and change (action and time), however many files record it.
                    let key = "\(login.id) \(event.action) \(time)"
                    if groups[key] == nil { order.append(key) }
                    groups[key, default: (login, [], byTime)].changes.append(event)
                }
            }
            if loginActions.contains(event.action), event.ip != nil {
                lastLogin = event
                if let session = event.session { loginBySession[session] = event }
            }

            if firstSession == nil { firstSession = event.session }
            if let ip = event.ip {
                let eventASNs = Set(eventASNList)
                let eventCountries = Set(eventCountryList)
                // The first session is the account's baseline; later ones are compared with it.
                if event.session != firstSession, loginActions.contains(event.action) || event.action == "session_active",
                    !reported.contains(ip)
                {
                    var new: [String] = []
                    if event.novel.contains("network") { new.append("network (/24 or /48)") }
                    let newASNs = eventASNs.subtracting(asns)
                    if !asns.isEmpty, !newASNs.isEmpty { new.append(newASNs.sorted().map { "AS\($0)" }.joined(separator: ", ")) }
                    let newCountries = eventCountries.subtracting(countries)
                    if !countries.isEmpty, !newCountries.isEmpty { new.append("country " + newCountries.sorted().joined(separator: ", ")) }
                    if !new.isEmpty {
                        reported.insert(ip)
                        newAccess.append((
                            "On \(account), \(event.action.replacingOccurrences(of: "_", with: " ")) from \(ip) at \(event.timeUTC ?? "?"): new for the account in these records: \(new.joined(separator: ", ")).",
                            [ip], [event.locator]))
                    }
                }
                asns.formUnion(eventASNs)
                countries.formUnion(eventCountries)
            }

            if let session = event.session {
                sessionLast[session] = time
                if let ip = event.ip {
                    var span = spans[session] ?? Span(first: event, last: time, countries: [:])
                    span.last = max(span.last, time)
                    for country in eventCountryList where span.countries[country] == nil { span.countries[country] = ip }
                    spans[session] = span
                }
            }
            consumed += 1
            if consumed % forgetEvery == 0 { try forgetIdle(before: time - changeWindow, db) }
        }

        /// Sessions idle for longer than the change window: their logins can no longer explain a
        /// change, and their spans are complete (written out when they have a country).
        mutating func forgetIdle(before limit: Int64, _ db: Database) throws {
            for (session, last) in sessionLast where last < limit {
                sessionLast[session] = nil
                loginBySession[session] = nil
                if let span = spans.removeValue(forKey: session) { try Self.store(session, span, db) }
            }
        }

        /// A session's span into the temporary table (a session seen again later extends its row).
        static func store(_ session: String, _ span: Span, _ db: Database) throws {
            guard !span.countries.isEmpty else { return }
            try db.execute(
                sql: """
                    INSERT INTO rule_span (session, first_key, first_utc, first_locator, last_key) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (session) DO UPDATE SET last_key = max(last_key, excluded.last_key)
                    """,
                arguments: [session, span.first.timeKey ?? 0, span.first.timeUTC, span.first.locator.jsonText, span.last])
            for (country, ip) in span.countries {
                try db.execute(sql: "INSERT OR IGNORE INTO rule_span_country (session, country, ip) VALUES (?, ?, ?)", arguments: [session, country, ip])
            }
        }

        mutating func finish(_ db: Database, _ add: Add) throws {
            for key in order {
                guard let (login, changes, byTime) = groups[key], let change = changes.first(where: { $0.ip != nil }) ?? changes.first,
                    let what = changeActions[change.action], let loginTime = login.timeKey, let changeTime = change.timeKey
                else { continue }
                let minutes = (changeTime - loginTime) / 60_000_000_000
                let changeFrom = change.ip.map { " from \($0)" } ?? ""
                let records = changes.count > 1 ? " (recorded in \(changes.count) places)" : ""
                let placed = byTime
                    ? " The change record names no address, so it is set against the latest login before it, not tied to that session."
                    : " Both are in the same session."
                add("change_after_login", byTime ? .medium : .high,
                    "On \(account), a login from \(login.ip ?? "?") at \(login.timeUTC ?? "?") was followed \(minutes) minute(s) later by \(what)\(changeFrom) at \(change.timeUTC ?? "?")\(records).\(placed)",
                    ([login.ip] + changes.map(\.ip)).compactMap { $0 }, [login.locator] + changes.map(\.locator))
            }
            for (statement, ips, locators) in newAccess { add("new_access", .medium, statement, ips, locators) }
            for (session, span) in spans { try Self.store(session, span, db) }
            try Rules.simultaneous(account, db, add)
            try db.execute(sql: "DELETE FROM rule_span; DELETE FROM rule_span_country")
        }
    }

    /// Two sessions of the account overlapping in time (the later one starting before the
    /// earlier one's last event) from addresses in different countries.
    static func simultaneous(_ account: String, _ db: Database, _ add: Add) throws {
        let pairs = try Row.fetchCursor(
            db,
            sql: """
                SELECT a.session AS a_session, a.first_locator AS a_locator, b.session AS b_session, b.first_utc AS b_utc,
                    b.first_locator AS b_locator
                FROM rule_span a JOIN rule_span b ON b.first_key BETWEEN a.first_key AND a.last_key
                    AND (b.first_key > a.first_key OR b.session > a.session)
                ORDER BY a.first_key, a.session, b.first_key, b.session
                """)
        let decoder = JSONDecoder()
        func countries(_ session: String) throws -> [(String, String)] {
            try Row.fetchAll(db, sql: "SELECT country, ip FROM rule_span_country WHERE session = ? ORDER BY country", arguments: [session])
                .map { ($0["country"], $0["ip"]) }
        }
        while let row = try pairs.next() {
            let a: String = row["a_session"]
            let b: String = row["b_session"]
            guard let (countryA, ipA) = try countries(a).first, let (countryB, ipB) = try countries(b).first(where: { $0.0 != countryA })
            else { continue }
            let locatorA: String = row["a_locator"]
            let locatorB: String = row["b_locator"]
            let startB: String? = row["b_utc"]
            add("simultaneous_sessions", .medium,
                "On \(account), session \(a) from \(ipA) (\(countryA)) and session \(b) from \(ipB) (\(countryB)) were active at the same time (from \(startB ?? "?")). "
                    + "Two places at once can mean two people, or one person behind a VPN or relay.",
                [ipA, ipB],
                [try decoder.decode(Locator.self, from: Data(locatorA.utf8)), try decoder.decode(Locator.self, from: Data(locatorB.utf8))])
        }
    }
}
