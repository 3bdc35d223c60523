import SpoorCore
import SpoorLogs
import SpoorTestSupport
import Testing

@Suite struct InstagramParserTests {
    func events(_ file: String) throws -> (CollectingSink, ParseSummary) {
        try parse(InstagramParser(options: ParseOptions()), fixture: "instagram/" + file)
    }

    @Test func readsTitleCaseLabelsOf2022() throws {
        let (sink, _) = try events("2022/login_and_account_creation/login_activity.json")
        let login = try #require(sink.events.first)
        #expect(login.action == .login)
        #expect(login.ip?.description == "198.51.100.23")
        #expect(login.time?.rfc3339UTC == "2022-05-01T10:00:00Z")
        #expect(login.fields["cookie"] == "*****abc3_C")
        #expect(login.userAgent?.hasPrefix("Instagram 230") == true)
        #expect(login.locator.position == .jsonPointer("/account_history_login_history/0"))
    }

    @Test func readsLowerCaseLabelsWithPortsIPv6AndThreadsAgents() throws {
        let (login, _) = try events("2025/security_and_login_information/login_and_profile_creation/login_activity.json")
        #expect(login.events.first?.ip?.description == "2001:db8:7::9")
        #expect(login.events.first?.port == 49276)
        #expect(login.events.first?.userAgent?.hasPrefix("Barcelona") == true)
        let (logout, _) = try events("2025/security_and_login_information/login_and_profile_creation/logout_activity.json")
        #expect(logout.events.first?.action == .logout)
        #expect(logout.events.first?.port == nil, "port \"0\" is unknown")
    }

    @Test func readsPasswordChangesWithOnlyATime() throws {
        let (sink, _) = try events("2025/security_and_login_information/login_and_profile_creation/password_change_activity.json")
        #expect(sink.events.first?.action == .passwordChange)
        #expect(sink.events.first?.ip == nil)
        #expect(sink.events.first?.time?.rfc3339UTC == "2025-11-21T20:10:00Z")
    }

    @Test func readsLocalisedLabelsIncludingMojibakeInKeys() throws {
        let (turkish, _) = try events("tr/login_activity.json")
        #expect(turkish.events.first?.ip?.description == "203.0.113.45")
        #expect(turkish.events.first?.fields["cookie"] == "*****tr01_C")
        #expect(turkish.events.first?.userAgent == "Mozilla/5.0 (Linux; Android 14)")
        let (german, _) = try events("de/login_activity.json")
        #expect(german.events.first?.ip?.description == "192.0.2.60")
        #expect(german.events.first?.time?.rfc3339UTC == "2024-03-02T08:00:00Z")
        let (korean, _) = try events("ko/login_activity.json")
        #expect(korean.events.first?.ip?.description == "192.0.2.61")
        #expect(korean.events.first?.time?.rfc3339UTC == "2024-03-03T08:00:00Z")
    }

    @Test func readsThePre2021SingleFile() throws {
        let (sink, _) = try events("2019/account_history.json")
        #expect(Set(sink.events.map(\.action)) == [.login, .logout, .accountCreated])
        let login = try #require(sink.events.first { $0.action == .login })
        #expect(login.time?.rfc3339UTC == "2019-08-01T12:00:00Z")
        #expect(login.fields["device_id"] == "android-0000000000000001")
        #expect(sink.events.first { $0.action == .accountCreated }?.ip?.description == "198.51.100.41")
    }

    @Test func isRecognisedByRootKey() throws {
        let sample = FormatSample(path: "x/login_activity.json", head: try Fixtures.bytes("instagram/tr/login_activity.json"))
        #expect(ParserRegistry.recognize(sample) == InstagramParser.self)
    }
}
