import SpoorCore
import SpoorLogs
import SpoorTestSupport
import Testing

@Suite struct GoogleWorkspaceAuditParserTests {
    @Test func readsEachEventOfTheActivitiesDocumentWithItsParameters() throws {
        let (sink, summary) = try parse(
            GoogleWorkspaceAuditParser(options: ParseOptions()), fixture: "google/workspace-activities.json")
        #expect(summary.records == 8)
        #expect(summary.malformed == 0)
        #expect(
            sink.events.map(\.action) == [
                .login, .login, .recoveryChange, .mailForwarding, .appAccess, .dataExport, .deletion, .attackWarning,
            ])
        let first = try #require(sink.events.first)
        #expect(first.account == "ada@example.org")
        #expect(first.ip?.description == "192.0.2.10")
        #expect(first.time?.rfc3339UTC == "2024-05-02T08:00:00Z")
        #expect(first.fields["login_challenge_method"] == "password")
        #expect(first.fields["is_suspicious"] == "false")
        #expect(first.locator.position == .jsonPointer("/items/0/events/0"))
        #expect(sink.events[3].fields["target"] == "collector@example.net")
        #expect(sink.events[4].fields["target"] == "Mail Backup Tool", "the application's name, not its client id")
        #expect(sink.events[6].fields["target"] == "Sources 2024")
        #expect(sink.events[7].rawAction == "gov_attack_warning")
    }

    @Test func readsOneActivityPerLineAndNamesABrokenLine() throws {
        let (sink, summary) = try parse(
            GoogleWorkspaceAuditParser(options: ParseOptions()), fixture: "google/workspace-activities.jsonl")
        #expect(sink.events.count == 3)
        #expect(summary.malformed == 1)
        #expect(sink.events[2].locator.position == .line(3))
        #expect(sink.warnings.first?.locator.position == .line(4))
    }

    @Test func isRecognisedByItsKindOrItsShape() throws {
        for fixture in ["google/workspace-activities.json", "google/workspace-activities.jsonl"] {
            let sample = FormatSample(path: fixture, head: try Fixtures.bytes(fixture))
            #expect(ParserRegistry.recognize(sample)?.formatID == GoogleWorkspaceAuditParser.formatID, "\(fixture)")
        }
    }
}
