import Foundation
import SpoorAnalysis
import SpoorCore
import Testing

/// Account events made by hand: minutes from 2024-01-01T00:00:00Z, a session, an address, countries.
struct Events {
    static let base: Int64 = 1_704_067_200 * 1_000_000_000
    var next: Int64 = 1

    mutating func make(
        _ minute: Int64, _ action: Action, session: String?, ip: String?, countries: [String] = [], novel: Set<Novelty> = []
    ) -> AccountEvent {
        defer { next += 1 }
        let key = Self.base + minute * 60_000_000_000
        let utc = Timestamp(sortKey: key, zone: .utc).rfc3339UTC
        return AccountEvent(
            id: next, timeKey: key, timeUTC: utc, ip: ip, action: action, session: session, novel: novel,
            locator: Locator(
                evidenceSHA256: String(repeating: "0", count: 64), path: "export.json", member: nil, position: .line(Int(next))),
            countries: countries, asns: [])
    }
}

func run(_ rule: any Rule, account: String = "facebook: the exported account", _ events: [AccountEvent]) throws -> [Finding] {
    let run = RuleRun(rules: [rule])
    for event in events { try run.consume(event, account: account) }
    return try run.findings()
}

@Suite struct SimultaneousSessionsTests {
    @Test(arguments: [1, 4096])
    func aShortSessionInsideALongOneIsFoundEvenWhenSessionsAreForgottenAtEveryEvent(forgetEvery: Int) throws {
        var e = Events()
        // S1 from the Netherlands every 20 minutes for two hours; S2 from Brazil once, at minute 10,
        // and over before S1's next event: the overlap shows only at S1's event of minute 20.
        var events = [e.make(0, .login, session: "S1", ip: "198.51.100.20", countries: ["NL"])]
        events.append(e.make(10, .login, session: "S2", ip: "203.0.113.80", countries: ["BR"]))
        for minute in stride(from: 20, through: 120, by: 20) {
            events.append(e.make(Int64(minute), .sessionActive, session: "S1", ip: "198.51.100.20", countries: ["NL"]))
        }
        let found = try run(SimultaneousSessions(forgetEvery: forgetEvery), events)
        #expect(found.count == 1)
        #expect(
            found.first?.statement.hasPrefix(
                "On facebook: the exported account, session S1 from 198.51.100.20 (NL) and session S2 from 203.0.113.80 (BR) were active at the same time (from 2024-01-01T00:10:00Z)."
            ) == true)
        #expect(found.first?.locators.map(\.line) == [1, 2])
        #expect(found.first?.id == "F1")
    }

    @Test func sessionsOneAfterTheOtherOrInOneCountryAreNotReported() throws {
        var e = Events()
        let apart = [
            e.make(0, .login, session: "S1", ip: "198.51.100.20", countries: ["NL"]),
            e.make(5, .sessionActive, session: "S1", ip: "198.51.100.20", countries: ["NL"]),
            e.make(6, .login, session: "S2", ip: "203.0.113.80", countries: ["BR"]),
        ]
        #expect(try run(SimultaneousSessions(forgetEvery: 1), apart).isEmpty)
        var f = Events()
        let together = [
            f.make(0, .login, session: "S1", ip: "198.51.100.20", countries: ["NL"]),
            f.make(1, .login, session: "S2", ip: "198.51.100.21", countries: ["NL"]),
            f.make(2, .sessionActive, session: "S1", ip: "198.51.100.20", countries: ["NL"]),
        ]
        #expect(try run(SimultaneousSessions(), together).isEmpty)
    }

    @Test func anAccountsSessionsAreNotSetAgainstAnotherAccounts() throws {
        var e = Events()
        let rule = SimultaneousSessions(forgetEvery: 1)
        let runner = RuleRun(rules: [rule])
        try runner.consume(e.make(0, .login, session: "S1", ip: "198.51.100.20", countries: ["NL"]), account: "a")
        try runner.consume(e.make(1, .login, session: "S1", ip: "203.0.113.80", countries: ["BR"]), account: "b")
        try runner.consume(e.make(2, .sessionActive, session: "S1", ip: "203.0.113.80", countries: ["BR"]), account: "b")
        #expect(try runner.findings().isEmpty)
    }
}

@Suite struct ChangeAfterLoginTests {
    @Test func aChangeInTheLoginsSessionIsHighAndOneNamingNoAddressIsSetAgainstTheLatestLoginWithinTheGap() throws {
        var e = Events()
        let events = [
            e.make(0, .login, session: "S1", ip: "203.0.113.45"),
            e.make(5, .passwordChange, session: "S1", ip: "203.0.113.45"),
            e.make(20, .emailChange, session: nil, ip: nil),
            // 31 minutes after the latest login and naming no address: not placed.
            e.make(31, .twoFactorChange, session: nil, ip: nil),
        ]
        let found = try run(ChangeAfterLogin(), events)
        #expect(found.map(\.severity) == [.high, .medium])
        #expect(found[0].statement.contains("followed 5 minute(s) later by a password change from 203.0.113.45"))
        #expect(found[1].statement.contains("names no address"))
    }

    @Test func aLoginOfAnotherSessionOrOneBeyondTheWindowIsNeverPaired() throws {
        var e = Events()
        let events = [
            e.make(0, .login, session: "S1", ip: "203.0.113.45"),
            e.make(3, .passwordChange, session: "S2", ip: "198.51.100.9"),
            e.make(25 * 60, .emailChange, session: "S1", ip: "203.0.113.45"),
        ]
        #expect(try run(ChangeAfterLogin(forgetEvery: 1), events).isEmpty)
        // The window is a setting: widened to 26 hours, the late change is paired.
        let wide = ChangeAfterLogin()
        wide.window = 26 * 3600 * 1_000_000_000
        #expect(try run(wide, events).map(\.rule) == [.changeAfterLogin])
        #expect(wide.tunables.first { $0.name == "window" }?.value.description == "26 hours")
    }
}

@Suite struct RuleRunTests {
    /// An address rule that reports every subject it is given.
    final class EveryAddress: Rule {
        static let id = RuleID("every_address")
        static let summary = "Every address."
        static let reads = "Addresses."
        static let doesNotShow = "Anything."
        let scope = RuleScope.address
        var tunables: [Tunable] { [] }
        func consume(_ subject: SubjectContext) throws -> [Finding] {
            [finding(.info, subject.subject.ip, addresses: [subject.subject.ip], locators: [])]
        }
        func finding(_ s: Finding.Severity, _ text: String, addresses: [String], locators: [Locator]) -> Finding {
            Finding(id: "", rule: Self.id, severity: s, statement: text, addresses: addresses.compactMap { IPAddress($0) })
        }
    }

    @Test func findingsComeRuleByRuleAddressesInAddressOrderAccountsTogetherNumberedFromOne() throws {
        let runner = RuleRun(rules: [EveryAddress(), ChangeAfterLogin(), NewAccess()])
        for ip in ["10.0.0.1", "2001:db8::1", "9.0.0.1"] {
            let subject = SubjectIP(address: try #require(IPAddress(ip)))
            try runner.consume(SubjectContext(subject: subject, kinds: [.access]) { _, _ in [] })
        }
        var e = Events()
        for account in ["a", "b"] {
            try runner.consume(e.make(0, .login, session: "S1", ip: "192.0.2.1", countries: ["DE"]), account: account)
            try runner.consume(e.make(1, .passwordChange, session: "S1", ip: "192.0.2.1", countries: ["DE"]), account: account)
            try runner.consume(
                e.make(90, .login, session: "S2", ip: "198.51.100.1", countries: ["FR"], novel: [.network]), account: account)
        }
        let found = try runner.findings()
        #expect(found.map(\.id) == (1...7).map { "F\($0)" })
        #expect(found.prefix(3).map(\.statement) == ["9.0.0.1", "10.0.0.1", "2001:db8::1"])
        #expect(found.dropFirst(3).map(\.rule) == [.changeAfterLogin, .newAccess, .changeAfterLogin, .newAccess])
        #expect(found[3].statement.hasPrefix("On a,") && found[5].statement.hasPrefix("On b,"))
        #expect(found[4].statement.contains("new for the account in these records: network (/24 or /48), country FR"))
    }

    @Test func everyRuleHasItsOwnNameASummaryAndSettingsThatSayWhatTheyDecide() {
        let rules = RuleRegistry.standard()
        let ids = rules.map { type(of: $0).id }
        #expect(Set(ids).count == rules.count)
        #expect(ids.first == .governmentBackedAttackWarning)
        for rule in rules {
            let stated = rule.stated
            for sentence in [stated.summary, stated.reads, stated.doesNotShow] {
                #expect(sentence.first?.isUppercase == true && sentence.hasSuffix("."), "\(stated.id): \(sentence)")
            }
            for tunable in stated.tunables {
                #expect(
                    tunable.meaning.first?.isUppercase == true && tunable.meaning.hasSuffix("."), "\(stated.id).\(tunable.name)")
                #expect(!tunable.name.contains(" "))
            }
        }
        #expect(Tunable.Value.seconds(3600).description == "1 hour")
        #expect(Tunable.Value.seconds(1800).description == "30 minutes")
        #expect(Tunable.Value.seconds(90).description == "90 seconds")
    }

    @Test func aTunableIsStoredByKindAndReadBack() throws {
        let values: [Tunable.Value] = [.seconds(86400), .count(50), .text("first session")]
        let text = String(decoding: try JSONEncoder().encode(values), as: UTF8.self)
        #expect(text == #"[{"seconds":86400},{"count":50},{"text":"first session"}]"#)
        #expect(try JSONDecoder().decode([Tunable.Value].self, from: Data(text.utf8)) == values)
    }
}
