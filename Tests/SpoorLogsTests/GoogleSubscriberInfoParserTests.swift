import SpoorCore
import SpoorLogs
import SpoorTestSupport
import Testing

@Suite struct GoogleSubscriberInfoParserTests {
    let fixture = "google/Google Account/ada.example.SubscriberInfo.html"

    @Test func readsTheIPActivityTableWithTheLineOfEachRow() throws {
        let (sink, summary) = try parse(GoogleSubscriberInfoParser(options: ParseOptions()), fixture: fixture)
        #expect(summary.records == 3)
        #expect(summary.malformed == 1)
        let first = try #require(sink.events.first)
        #expect(first.action == .login)
        #expect(first.ip?.description == "203.0.113.45")
        #expect(first.time?.rfc3339UTC == "2024-01-01T02:29:59Z")
        #expect(first.locator.line == 12)
        #expect(sink.events[1].locator.line == 13)
        #expect(sink.events[1].userAgent == "com.google.Maps/6.0 iSL/3.4 iPhone/17.2 hw/iPhone14_2 (gzip)&more")
        #expect(sink.warnings.first?.locator.line == 19)
    }

    @Test func isRecognisedByNameAndTable() throws {
        let sample = FormatSample(
            path: "Takeout/Compte Google/ada.example.SubscriberInfo.html", head: try Fixtures.bytes(fixture))
        #expect(ParserRegistry.recognize(sample) == GoogleSubscriberInfoParser.self)
    }
}
