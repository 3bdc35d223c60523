import SpoorCore
import SpoorLogs
import SpoorTestSupport
import Testing

@Suite struct XArchiveParserTests {
    func events(_ file: String) throws -> (CollectingSink, ParseSummary) {
        try parse(XArchiveParser(options: ParseOptions()), fixture: "x/data/" + file)
    }

    @Test func readsIPAuditRecordsAfterTheJavaScriptPrefix() throws {
        let (sink, summary) = try events("ip-audit.js")
        #expect(summary.records == 2)
        let first = try #require(sink.events.first)
        #expect(first.action == .sessionActive)
        #expect(first.ip?.description == "203.0.113.45")
        #expect(first.port == nil, "loginPortNumber \"0\" is unknown")
        #expect(first.account == "1700000000000000001", "19-digit ids stay text")
        #expect(first.time?.rfc3339UTC == "2024-01-01T03:10:00Z")
        #expect(first.locator.position == .jsonPointer("/0"))
        #expect(sink.events[1].ip?.description == "2001:db8:5::17")
    }

    @Test func readsSplitPartsEmptyFilesAndCreationAddresses() throws {
        let (part, _) = try events("ip-audit-part1.js")
        #expect(part.events.first?.port == 51000)
        let (empty, emptySummary) = try events("ip-audit-empty.js")
        #expect(empty.events.isEmpty)
        #expect(empty.warnings.isEmpty)
        #expect(emptySummary.records == 0)
        let (creation, _) = try events("account-creation-ip.js")
        #expect(creation.events.first?.action == .accountCreated)
        #expect(creation.events.first?.ip?.description == "192.0.2.44")
        #expect(creation.events.first?.time == nil)
    }

    @Test func isRecognisedFromItsPrefix() throws {
        let sample = FormatSample(path: "twitter-2024/data/ip-audit.js", head: try Fixtures.bytes("x/data/ip-audit.js"))
        #expect(ParserRegistry.recognize(sample) == XArchiveParser.self)
    }
}

@Suite struct TelegramExportParserTests {
    @Test func readsSessionsFromTheUnixTimeFieldsOnly() throws {
        let (sink, summary) = try parse(TelegramExportParser(options: ParseOptions()), fixture: "telegram/result.json")
        #expect(summary.records == 4)
        #expect(summary.malformed == 0)
        let created = try #require(sink.events.first)
        #expect(created.action == .sessionStart)
        #expect(created.ip == nil, "last_ip is where the session was last seen, not where it was created")
        #expect(created.time?.rfc3339UTC == "2024-01-01T02:50:00Z")
        #expect(created.fields["created"] == "2024-01-01T03:50:00", "local time kept as written")
        let active = sink.events[1]
        #expect(active.action == .sessionActive)
        #expect(active.ip?.description == "203.0.113.45")
        #expect(active.time?.rfc3339UTC == "2024-01-01T03:00:00Z")
        #expect(active.locator.position == .jsonPointer("/sessions/list/0"))
        #expect(
            sink.events.filter { $0.fields["list"] == "web_sessions" }.count == 3, "the bare web session has only last_active")
        #expect(sink.events.last?.ip?.description == "203.0.113.46")
    }

    @Test func saysWhenTheExportHasNoSessions() throws {
        let (sink, summary) = try parse(
            TelegramExportParser(options: ParseOptions()), fixture: "telegram/result-without-sessions.json")
        #expect(sink.events.isEmpty)
        #expect(summary.malformed == 0)
        #expect(sink.warnings.first?.message.contains("Active sessions") == true)
    }

    @Test func isRecognisedAsResultJSON() throws {
        let sample = FormatSample(path: "DataExport_2024-01-02/result.json", head: try Fixtures.bytes("telegram/result.json"))
        #expect(ParserRegistry.recognize(sample) == TelegramExportParser.self)
    }
}
