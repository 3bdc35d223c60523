import SpoorCore
import SpoorLogs
import SpoorTestSupport
import Testing

@Suite struct WPActivityLogParserTests {
    @Test func readsATranslatedExportByEventCode() throws {
        let (sink, summary) = try parse(WPActivityLogParser(options: ParseOptions()), fixture: "wordpress/activity-log-de.csv")
        #expect(summary.malformed == 0)
        #expect(sink.events.map(\.action) == [.loginFailed, .login, .passwordChange, .logout])
        let failed = try #require(sink.events.first)
        #expect(failed.ip?.description == "203.0.113.45")
        #expect(failed.account == "admin")
        #expect(failed.fields["message"] == "Fehlgeschlagener Anmeldeversuch\nals admin", "multi-line message")
        #expect(failed.time?.zone == .unspecified)
        #expect(failed.time?.assumption?.contains("site's time zone") == true)
        #expect(sink.events[2].fields["message"] == "=HYPERLINK(\"https://evil.example.net\")", "CSV-injection guard removed")
        #expect(sink.events[3].ip?.description == "203.0.113.45", "[\"…\"] storage form read")
        #expect(sink.events[1].locator.position == .row(2))
    }

    @Test func readsMultisiteExportsAndMinuteDates() throws {
        let (sink, _) = try parse(WPActivityLogParser(options: ParseOptions()), fixture: "wordpress/activity-log-multisite.csv")
        #expect(sink.events.first?.fields["site"] == "blog.example.org")
        #expect(sink.events.first?.time?.displayText == "2024-01-02T08:00:00 (no zone)")
        let sample = FormatSample(path: "wsal-export.csv", head: try Fixtures.bytes("wordpress/activity-log-de.csv"))
        #expect(ParserRegistry.recognize(sample) == WPActivityLogParser.self)
    }
}

@Suite struct CPanelLogParserTests {
    @Test func readsOldAndNewLoginLogLines() throws {
        let (sink, summary) = try parse(CPanelLogParser(options: ParseOptions()), fixture: "cpanel/login_log")
        #expect(summary.malformed == 0)
        #expect(sink.events.map(\.action) == [.loginFailed, .login, .login])
        let old = try #require(sink.events.first)
        #expect(old.time?.rfc3339UTC == "2024-01-01T08:50:00Z", "month first, offset applied")
        #expect(old.account == "admin")
        #expect(old.fields["reason"] == "user password incorrect")
        #expect(sink.events[1].account == "exampleuser")
        #expect(sink.events[1].time?.rfc3339UTC == "2024-01-01T08:51:02Z")
        #expect(sink.events[2].fields["possessor"] == "reseller1")
        #expect(sink.events[2].fields["service"] == "whostmgrd")
    }

    @Test func readsSessionLog() throws {
        let (sink, _) = try parse(CPanelLogParser(options: ParseOptions()), fixture: "cpanel/session_log")
        #expect(sink.events.map(\.action) == [.sessionStart, .sessionEnd])
        #expect(sink.events[0].account == "exampleuser")
        #expect(sink.events[0].ip?.description == "203.0.113.45")
        let sample = FormatSample(path: "session_log", head: try Fixtures.bytes("cpanel/session_log"))
        #expect(ParserRegistry.recognize(sample) == CPanelLogParser.self)
    }
}
