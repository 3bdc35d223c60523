import SpoorCore
import SpoorLogs
import SpoorTestSupport
import Testing

@Suite struct GenericParserTests {
    @Test func readsAnyCSVThroughAMapping() throws {
        let mapping = try FieldMapping(parsing: "time=When,ip=From,account=Who,action=What,user_agent=Browser")
        let (sink, summary) = try parse(
            GenericCSVParser(options: ParseOptions(mapping: mapping)), fixture: "generic/vpn-portal.csv")
        #expect(summary.malformed == 1)
        #expect(sink.events.map(\.action) == [.login, .twoFactorChange])
        #expect(sink.events[0].ip?.description == "203.0.113.45")
        #expect(sink.events[0].port == 60000)
        #expect(sink.events[0].account == "ada")
        #expect(sink.warnings.first?.locator.position == .row(3))
    }

    @Test func readsJSONLinesWithDottedKeysAndReportsBrokenLines() throws {
        let mapping = try FieldMapping(
            parsing: "time=ts\nip=client.ip\nport=client.port\naccount=user.name\naction=event\ntime_format=unix_seconds")
        let (sink, summary) = try parse(
            GenericJSONLinesParser(options: ParseOptions(mapping: mapping)), fixture: "generic/events.jsonl")
        #expect(sink.events.map(\.action) == [.login, .passwordChange])
        #expect(sink.events[0].ip?.description == "2001:db8::45")
        #expect(sink.events[0].port == 443)
        #expect(sink.events[1].time?.rfc3339UTC == "2024-01-01T05:01:00Z")
        #expect(summary.malformed == 1)
        #expect(sink.warnings.first?.locator.line == 3)
    }

    @Test func refusesMappingsItCannotUse() {
        #expect(throws: MappingError.missingTime) { _ = try FieldMapping(parsing: "ip=From") }
        #expect(throws: MappingError.unknownField("colour")) { _ = try FieldMapping(parsing: "time=a,colour=b") }
        #expect(throws: MappingError.self) { _ = try FieldMapping(parsing: "time=a,time_format=weird") }
    }

    @Test func isNeverChosenWithoutBeingAskedFor() throws {
        let sample = FormatSample(path: "vpn-portal.csv", head: try Fixtures.bytes("generic/vpn-portal.csv"))
        #expect(ParserRegistry.recognize(sample) == nil)
    }
}
