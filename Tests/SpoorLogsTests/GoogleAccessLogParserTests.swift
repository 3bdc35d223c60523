import SpoorCore
import SpoorLogs
import SpoorTestSupport
import Testing

@Suite struct GoogleAccessLogParserTests {
    func events(_ file: String) throws -> (CollectingSink, ParseSummary) {
        try parse(GoogleAccessLogParser(options: ParseOptions()), fixture: "google/" + file)
    }

    @Test func readsTheSixteenColumnLayoutByName() throws {
        let (sink, summary) = try events("activities-16col.csv")
        #expect(summary.records == 5)
        #expect(sink.events.count == 4)
        let signIn = try #require(sink.events.first)
        #expect(signIn.action == .login)
        #expect(signIn.rawAction == "Sign-in")
        #expect(signIn.ip?.description == "203.0.113.45")
        #expect(signIn.time?.rfc3339UTC == "2024-01-01T02:30:09Z")
        #expect(signIn.time?.rule == .dateTimeUTC)
        #expect(signIn.locator.position == .row(1))
        #expect(signIn.fields["city"] == "Zurich")
        #expect(signIn.userAgent?.contains("Chrome/120") == true, "a quoted cell with commas")
        #expect(sink.events[1].action == .passwordChange)
        let gmail = sink.events[2]
        #expect(gmail.action == .sessionActive)
        #expect(gmail.rawAction == "Gmail")
        #expect(gmail.fields["proxied_host_ip"] == "198.51.100.9")
        #expect(gmail.fields["gmail_access_channel"] == "IMAP")
        #expect(gmail.userAgent?.hasPrefix("App : GMAIL_APP") == true)
        #expect(sink.events[3].fields["non_routable"] == "Yes")
        #expect(sink.warnings.first?.locator.position == .row(5))
        #expect(summary.malformed == 1)
    }

    @Test func readsTheThirteenAndSevenColumnLayouts() throws {
        let (thirteen, _) = try events("activities-13col.csv")
        #expect(thirteen.events.first?.action == .loginFailed)
        let (seven, _) = try events("preservation-7col.csv")
        #expect(seven.events.first?.ip?.description == "192.0.2.77")
        #expect(seven.events.first?.rawAction == "YouTube")
    }

    @Test func isRecognisedFromTheHeaderWhateverTheLocalisedFileName() throws {
        let name =
            "Takeout/Activit\u{00E9} du journal des acc\u{00E8}s/Activit\u{00E9}s\u{00A0}_ liste des services Google auxquels vos.csv"
        let sample = FormatSample(path: name, head: try Fixtures.bytes("google/activities-16col.csv"))
        #expect(ParserRegistry.recognize(sample) == GoogleAccessLogParser.self)
    }
}

@Suite struct GoogleDevicesParserTests {
    @Test func readsTheMultiLineLastLocationOfHeaderB() throws {
        let (sink, _) = try parse(GoogleDevicesParser(options: ParseOptions()), fixture: "google/devices-2022.csv")
        let last = try #require(sink.events.first)
        #expect(last.action == .sessionActive)
        #expect(last.time?.rfc3339UTC == "2024-01-01T02:40:00Z")
        #expect(last.fields["country"] == "FR")
        #expect(last.fields["device"] == "Google Pixel 7")
        #expect(last.ip == nil)
    }

    @Test func readsFirstAndLastActivityOfHeaderA() throws {
        let (sink, _) = try parse(GoogleDevicesParser(options: ParseOptions()), fixture: "google/devices-2021.csv")
        #expect(sink.events.map(\.action) == [.deviceAdded, .sessionActive])
        #expect(sink.events.first?.fields["device"] == "Apple iPhone14,2")
        let sample = FormatSample(
            path: "Takeout/Access Log Activity/Devices - A list of devices (i.e. Nest, Pixel, iPh.csv",
            head: try Fixtures.bytes("google/devices-2021.csv"))
        #expect(ParserRegistry.recognize(sample) == GoogleDevicesParser.self)
    }
}
