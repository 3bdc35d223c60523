import Foundation
import GRDB
import SpoorCore

/// Analysis rules beyond indicator matches. Each finding names its rule, says in plain words what
/// the records show (never more), and carries the locators of the records it rests on.
///
/// - `change_after_login`: a login followed within 24 hours, on the same account, by a password,
///   e-mail or two-factor change or a new device.
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

    /// Every access observation with a known instant, in time order, with its marks.
    static func accessEvents(_ db: Database) throws -> [StoredEvent] {
        try Row.fetchAll(
            db,
            sql: CaseStore.eventSelect + " WHERE o.kind = 'access' AND o.time_utc IS NOT NULL AND m.account_key IS NOT NULL ORDER BY "
                + CaseStore.eventOrder
        ).map { try StoredEvent(row: $0) }
    }

    static func findings(_ db: Database, subjects: [SubjectIP], numberingFrom first: Int) throws -> [Finding] {
        let events = try accessEvents(db)
        let byIP = Dictionary(subjects.map { ($0.ip, $0) }, uniquingKeysWith: { a, _ in a })
        var found: [Finding] = []
        func add(_ rule: String, _ severity: Finding.Severity, _ statement: String, _ ips: [String], _ locators: [Locator]) {
            found.append(Finding(
                id: "F\(first + found.count)", rule: rule, severity: severity, statement: statement,
                addresses: Array(Set(ips)).compactMap { IPAddress($0) }.sorted(), indicators: [], locators: locators))
        }
        let byAccount = Dictionary(grouping: events, by: { $0.accountKey ?? "" })
        for account in byAccount.keys.sorted() {
            let list = byAccount[account] ?? []
            changeAfterLogin(account, list, add)
            newAccess(account, list, byIP, add)
            simultaneous(account, list, byIP, add)
        }
        // Flagged infrastructure used on an account.
        let usedOnAccounts = Set(events.compactMap(\.ip))
        for subject in subjects where usedOnAccounts.contains(subject.ip) {
            var reasons: [String] = []
            for answer in subject.enrichment where !answer.flags.isEmpty {
                reasons.append("flagged " + answer.flags.joined(separator: ", ") + " by \(answer.source.databaseType) built \(answer.source.buildDate)")
            }
            for hit in subject.warninglists ?? [] { reasons.append("listed in the warninglist \(hit.name) (\(hit.entry))") }
            guard !reasons.isEmpty else { continue }
            let locators = events.filter { $0.ip == subject.ip }.prefix(20).map(\.locator)
            add("anonymising_infrastructure", .medium,
                "\(subject.ip), used on the account(s) \(subject.accounts.joined(separator: ", ")), is \(reasons.joined(separator: " and ")). "
                    + "Such addresses are shared by many users: this says how the access was made, not who made it.",
                [subject.ip], Array(locators))
        }
        // The same address in account records and in captured traffic.
        let captured = try String.fetchSet(db, sql: "SELECT DISTINCT ip FROM observation WHERE kind IN ('flow', 'name') AND ip IS NOT NULL")
        let recorded = try String.fetchSet(db, sql: "SELECT DISTINCT ip FROM observation WHERE kind = 'access' AND ip IS NOT NULL")
        for ip in recorded.intersection(captured).sorted(by: { (IPAddress($0) ?? IPAddress(v4: 0)) < (IPAddress($1) ?? IPAddress(v4: 0)) }) {
            guard let subject = byIP[ip], subject.addressClass == .global || subject.addressClass == .documentation else { continue }
            let access = try Row.fetchAll(db, sql: CaseStore.eventSelect + " WHERE o.ip = ? AND o.kind = 'access' ORDER BY " + CaseStore.eventOrder + " LIMIT 10", arguments: [ip]).map { try StoredEvent(row: $0) }
            let traffic = try Row.fetchAll(db, sql: CaseStore.eventSelect + " WHERE o.ip = ? AND o.kind IN ('flow', 'name') ORDER BY " + CaseStore.eventOrder + " LIMIT 10", arguments: [ip]).map { try StoredEvent(row: $0) }
            let names = subject.reachedAs.map { " (reached as \($0.prefix(3).joined(separator: ", ")))" } ?? ""
            add("account_and_capture", subject.indicatorHits.isEmpty ? .medium : .high,
                "\(ip) appears both in account or server records (\(access.count == 10 ? "10 or more" : String(access.count)) record(s), e.g. \(access.first?.locator.description ?? "")) "
                    + "and in captured traffic\(names) (e.g. \(traffic.first?.locator.description ?? "")).",
                [ip], access.map(\.locator) + traffic.map(\.locator))
        }
        return found
    }

    static func changeAfterLogin(_ account: String, _ events: [StoredEvent], _ add: (String, Finding.Severity, String, [String], [Locator]) -> Void) {
        // One finding per login and change (action and time), however many files record it.
        var groups: [String: (login: StoredEvent, changes: [StoredEvent])] = [:]
        var order: [String] = []
        for (i, change) in events.enumerated() {
            guard changeActions[change.action] != nil, let changeTime = change.timeKey else { continue }
            // The latest login of the change's own session, else the latest login before it.
            let isLogin = { (e: StoredEvent) in loginActions.contains(e.action) && e.ip != nil }
            guard let login = events[..<i].last(where: { isLogin($0) && $0.session == change.session }) ?? events[..<i].last(where: isLogin),
                let loginTime = login.timeKey, changeTime - loginTime <= changeWindow
            else { continue }
            let key = "\(login.id) \(change.action) \(changeTime)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: (login, [])].changes.append(change)
        }
        for key in order {
            guard let (login, changes) = groups[key], let change = changes.first(where: { $0.ip != nil }) ?? changes.first,
                let what = changeActions[change.action], let loginTime = login.timeKey, let changeTime = change.timeKey
            else { continue }
            let minutes = (changeTime - loginTime) / 60_000_000_000
            let changeFrom = change.ip.map { " from \($0)" } ?? ""
            let records = changes.count > 1 ? " (recorded in \(changes.count) places)" : ""
            add("change_after_login", .high,
                "On \(account), a login from \(login.ip ?? "?") at \(login.timeUTC ?? "?") was followed \(minutes) minute(s) later by \(what)\(changeFrom) at \(change.timeUTC ?? "?")\(records).",
                ([login.ip] + changes.map(\.ip)).compactMap { $0 }, [login.locator] + changes.map(\.locator))
        }
    }

    static func newAccess(_ account: String, _ events: [StoredEvent], _ byIP: [String: SubjectIP], _ add: (String, Finding.Severity, String, [String], [Locator]) -> Void) {
        guard let firstSession = events.first?.session else { return }
        var asns: Set<UInt32> = []
        var countries: Set<String> = []
        var reported: Set<String> = []
        for event in events {
            guard let ip = event.ip else { continue }
            let answers = byIP[ip]?.enrichment ?? []
            let eventASNs = Set(answers.compactMap(\.asn))
            let eventCountries = Set(answers.compactMap(\.countryCode))
            defer {
                asns.formUnion(eventASNs)
                countries.formUnion(eventCountries)
            }
            // The first session is the account's baseline; later ones are compared with it.
            guard event.session != firstSession, loginActions.contains(event.action) || event.action == "session_active",
                !reported.contains(ip)
            else { continue }
            var new: [String] = []
            if event.novel.contains("network") { new.append("network (/24 or /48)") }
            let newASNs = eventASNs.subtracting(asns)
            if !asns.isEmpty, !newASNs.isEmpty { new.append(newASNs.sorted().map { "AS\($0)" }.joined(separator: ", ")) }
            let newCountries = eventCountries.subtracting(countries)
            if !countries.isEmpty, !newCountries.isEmpty { new.append("country " + newCountries.sorted().joined(separator: ", ")) }
            guard !new.isEmpty else { continue }
            reported.insert(ip)
            add("new_access", .medium,
                "On \(account), \(event.action.replacingOccurrences(of: "_", with: " ")) from \(ip) at \(event.timeUTC ?? "?"): new for the account in these records: \(new.joined(separator: ", ")).",
                [ip], [event.locator])
        }
    }

    static func simultaneous(_ account: String, _ events: [StoredEvent], _ byIP: [String: SubjectIP], _ add: (String, Finding.Severity, String, [String], [Locator]) -> Void) {
        struct Span { var session: String; var first: StoredEvent; var last: Int64; var countries: [String: String] }
        var spans: [String: Span] = [:]
        for event in events {
            guard let session = event.session, let time = event.timeKey, let ip = event.ip else { continue }
            var span = spans[session] ?? Span(session: session, first: event, last: time, countries: [:])
            span.last = max(span.last, time)
            for country in (byIP[ip]?.enrichment ?? []).compactMap(\.countryCode) where span.countries[country] == nil { span.countries[country] = ip }
            spans[session] = span
        }
        let ordered = spans.values.sorted { ($0.first.timeKey ?? 0) < ($1.first.timeKey ?? 0) }
        for i in ordered.indices {
            for j in ordered.indices where j > i {
                let a = ordered[i], b = ordered[j]
                guard (b.first.timeKey ?? 0) <= a.last else { break }
                guard let (countryA, ipA) = a.countries.sorted(by: { $0.key < $1.key }).first,
                    let (countryB, ipB) = b.countries.sorted(by: { $0.key < $1.key }).first(where: { $0.key != countryA })
                else { continue }
                add("simultaneous_sessions", .medium,
                    "On \(account), session \(a.session) from \(ipA) (\(countryA)) and session \(b.session) from \(ipB) (\(countryB)) were active at the same time (from \(b.first.timeUTC ?? "?")). "
                        + "Two places at once can mean two people, or one person behind a VPN or relay.",
                    [ipA, ipB], [a.first.locator, b.first.locator])
            }
        }
    }
}
