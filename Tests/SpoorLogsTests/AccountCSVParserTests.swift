import SpoorCore
import SpoorLogs
import SpoorTestSupport
import Testing

@Suite struct AppleAccountParserTests {
    let folder = "apple/Apple ID account and device information/"

    @Test func readsSignOnsAfterAPreambleWithLeadingSpaceHeadersAndNA() throws {
        let (sink, summary) = try parse(
            AppleAccountParser(options: ParseOptions()), fixture: folder + "Apple ID SignOn Information.csv")
        #expect(summary.records == 3)
        #expect(summary.malformed == 1)
        let first = try #require(sink.events.first)
        #expect(first.action == .login)
        #expect(first.ip?.description == "203.0.113.45")
        #expect(first.time?.rfc3339UTC == "2024-01-01T03:20:00Z")
        #expect(first.time?.assumption?.contains("taken as UTC") == true)
        #expect(first.fields["application"] == "iCloud.com")
        #expect(sink.events[1].ip == nil, "N/A is no address")
        #expect(sink.events[1].ipRaw == nil)
    }

    @Test func readsDevicesAndTheirLastHeartbeatAddress() throws {
        let (sink, _) = try parse(
            AppleAccountParser(options: ParseOptions()), fixture: folder + "Apple ID Device Information.csv")
        #expect(sink.events.map(\.action) == [.deviceAdded, .sessionActive])
        #expect(sink.events[1].ip?.description == "2001:db8:5::17")
        #expect(sink.events[0].fields["device"] == "Ada's iPhone")
    }
}

@Suite struct ProtonLogsParserTests {
    @Test func readsFromTheRightSoCommasInDescriptionsDoNotShiftColumns() throws {
        let (sink, summary) = try parse(ProtonLogsParser(options: ParseOptions()), fixture: "proton/logs.csv")
        #expect(summary.malformed == 0)
        #expect(sink.events.map(\.action) == [.login, .loginFailed, .logout, .twoFactorChange])
        #expect(sink.events[1].rawAction == "Login failed, wrong password")
        #expect(sink.events[1].ip?.description == "203.0.113.45")
        #expect(sink.events[2].ip == nil)
        #expect(sink.events[3].ip == nil, "literal null is no address")
        #expect(sink.events[0].locator.line == 2)
        #expect(
            ParserRegistry.recognize(FormatSample(path: "logs.csv", head: try Fixtures.bytes("proton/logs.csv")))
                == ProtonLogsParser.self)
    }
}

@Suite struct LinkedInLoginsParserTests {
    @Test func readsLogins() throws {
        let (sink, _) = try parse(LinkedInLoginsParser(options: ParseOptions()), fixture: "linkedin/Logins.csv")
        let login = try #require(sink.events.first)
        #expect(login.ip?.description == "203.0.113.45")
        #expect(login.time?.rfc3339UTC == "2024-01-01T03:40:00Z")
        #expect(login.rawAction == "WEB")
        #expect(login.userAgent?.contains("Firefox") == true)
    }
}
