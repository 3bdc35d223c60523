import SpoorCore
import SpoorLogs
import SpoorTestSupport
import Testing

@Suite struct FacebookParserTests {
    let folder = "facebook/security_and_login_information/"

    func events(_ file: String) throws -> (CollectingSink, ParseSummary) {
        try parse(FacebookParser(options: ParseOptions()), fixture: folder + file)
    }

    @Test func readsAccountActivityWithPortsPaddedIPv6AndLocalisedActions() throws {
        let (sink, summary) = try events("account_activity.json")
        #expect(summary.records == 6)
        #expect(summary.malformed == 0)
        let first = try #require(sink.events.first)
        #expect(first.action == .login)
        #expect(first.ip?.description == "203.0.113.45")
        #expect(first.port == 51234)
        #expect(first.time?.rfc3339UTC == "2024-01-01T00:05:00Z")
        #expect(first.time?.rule == .unixSeconds)
        #expect(first.locator.position == .jsonPointer("/account_activity_v2/0"))
        #expect(first.fields["city"] == "Zürich", "mojibake repaired")
        #expect(first.fields["datr_cookie"] == "I9J9****")
        let german = sink.events[1]
        #expect(german.action == .login)
        #expect(german.rawAction == "Anmelden")
        #expect(german.ip?.description == "2001:db8:e0::1")
        #expect(german.ipRaw == "2001:0db8:00e0:0000:0000:0000:0000:0001")
        #expect(german.fields["city"] == "Köln")
        #expect(sink.events[2].action == .passwordChange)
        #expect(sink.events[2].port == nil, "port \"0\" is unknown")
        #expect(sink.events[3].action == .sessionActive)
        #expect(sink.events[4].action == .sessionEnd)
        #expect(sink.events[5].action == .other)
        #expect(sink.events[5].rawAction == "Contact Point Demoted")
    }

    @Test func readsOldKeysAndRecordsWithoutAnAddress() throws {
        let (sink, _) = try events("logins_and_logouts.json")
        #expect(sink.events.map(\.action) == [.logout, .login, .logout])
        #expect(sink.events[1].ip == nil)
        #expect(sink.events[2].rawAction == "Abmelden")
        #expect(sink.events[0].locator.position == .jsonPointer("/account_accesses/0"))
    }

    @Test func readsActiveSessionsAsStartAndLastUpdate() throws {
        let (sink, _) = try events("where_you're_logged_in.json")
        #expect(sink.events.map(\.action) == [.sessionStart, .sessionActive, .sessionStart, .sessionActive])
        #expect(sink.events[0].fields["device"] == "Büro PC 😠")
        #expect(sink.events[0].fields["location"] == "Zürich, Switzerland")
        #expect(sink.events[2].fields["app"] == "Messenger für iOS")
        #expect(sink.events[2].userAgent == nil)
    }

    @Test func readsIPAddressActivityFromItsIPField() throws {
        let (sink, _) = try events("ip_address_activity.json")
        #expect(sink.events.map { $0.ip?.description } == ["203.0.113.45", "198.51.100.23"])
    }

    @Test func takesAddressesOutOfLocalisedLoginProtectionLabels() throws {
        let (sink, _) = try events("login_protection_data.json")
        #expect(sink.events.map { $0.ip?.description } == ["203.0.113.45", "203.0.113.45", "2001:db8:5::17", nil])
    }

    @Test func readsPasswordAndEmailChangesFromAdministrativeRecords() throws {
        let (sink, _) = try events("record_details.json")
        #expect(sink.events.map(\.action) == [.passwordChange, .emailChange])
        #expect(sink.events[0].ip == nil)
        #expect(sink.events[1].fields["new_email"] == "attacker@example.net")
        #expect(sink.events[1].ip?.description == "203.0.113.45")
    }

    @Test func reportsBrokenJSONWithItsLineAndColumn() throws {
        let (sink, summary) = try parse(FacebookParser(options: ParseOptions()), fixture: "facebook/broken_record_details.json")
        #expect(sink.events.isEmpty)
        #expect(summary.malformed == 1)
        let warning = try #require(sink.warnings.first)
        #expect(warning.locator.line == 5, "the member after the missing comma")
        #expect(warning.message.contains("missing comma"))
    }

    @Test func isRecognisedByFolderFileNameAndRootKey() throws {
        for (path, fixture) in [
            ("export/security_and_login_information/where_you\u{2019}re_logged_in.json", "where_you're_logged_in.json"),
            ("where_you_re_logged_in.json", "where_you're_logged_in.json"),
            ("logins_and_logouts.json", "logins_and_logouts.json"),
        ] {
            let sample = FormatSample(path: path, head: try Fixtures.bytes(folder + fixture))
            #expect(ParserRegistry.recognize(sample) == FacebookParser.self, "\(path)")
        }
        #expect(FacebookParser.recognize(FormatSample(path: "x.json", head: Array(#"{"other": []}"#.utf8))) == 0)
    }
}
