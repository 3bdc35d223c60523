import SpoorCore
import SpoorLogs
import SpoorTestSupport
import Testing

@Suite struct WebAccessLogParserTests {
    func events() throws -> (CollectingSink, ParseSummary) {
        try parse(WebAccessLogParser(options: ParseOptions()), fixture: "web/access-combined.log")
    }

    @Test func readsCombinedLinesWithRequestStatusAndUserAgent() throws {
        let (sink, _) = try events()
        let first = try #require(sink.events.first)
        #expect(first.ip?.description == "192.0.2.44")
        #expect(first.time?.rfc3339UTC == "2024-05-17T10:05:03Z")
        #expect(first.action == .request)
        #expect(first.rawAction == "GET /index.html")
        #expect(first.fields["status"] == "200")
        #expect(first.fields["referer"] == "https://example.com/")
        #expect(first.userAgent == "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0")
        #expect(first.locator.line == 1)
    }

    @Test func readsUnbracketedIPv6ClientsAndServerOffsets() throws {
        let (sink, _) = try events()
        let v6 = sink.events[1]
        #expect(v6.ip?.description == "2001:db8:a::1")
        #expect(v6.time?.rfc3339UTC == "2024-05-17T08:05:04Z")
        #expect(v6.fields["method"] == "POST")
    }

    @Test func keepsDashAndBinaryRequests() throws {
        let (sink, _) = try events()
        #expect(sink.events[2].fields["request"] == "-")
        #expect(sink.events[2].userAgent == nil)
        #expect(sink.events[3].fields["request"]?.hasPrefix("\\x16\\x03\\x01") == true, "kept as written")
    }

    @Test func readsBothQuoteEscapes() throws {
        let (sink, _) = try events()
        #expect(sink.events[4].userAgent == "nginx-escape \\x22agent\\x22")
        #expect(sink.events[5].userAgent == "apache-escape \\\"agent\\\"")
        #expect(sink.events[5].account == "frank")
        #expect(sink.events[5].fields["bytes"] == "-")
    }

    @Test func keepsForwardedForBesideTheProxyAddress() throws {
        let (sink, _) = try events()
        let proxied = sink.events[6]
        #expect(proxied.ip?.description == "192.0.2.200")
        #expect(proxied.fields["x_forwarded_for"] == "203.0.113.50, 192.0.2.1")
    }

    @Test func readsCommonFormatAndReportsBadLines() throws {
        let (sink, summary) = try events()
        #expect(summary.records == 9)
        #expect(summary.malformed == 1)
        #expect(sink.warnings.count == 1)
        #expect(sink.warnings.first?.locator.line == 8)
        let common = try #require(sink.events.last)
        #expect(common.locator.line == 9)
        #expect(common.userAgent == nil)
        #expect(common.fields["path"] == "/common-format")
    }

    @Test func isRecognisedFromContent() throws {
        let sample = FormatSample(fileName: "site-log.txt", head: try Fixtures.bytes("web/access-combined.log"))
        #expect(ParserRegistry.recognize(sample) == WebAccessLogParser.self)
    }
}
