import Foundation
import SpoorCore
import SpoorLogs
import SpoorTestSupport
import Testing

/// Collects what a parser delivers.
final class CollectingSink: ObservationSink {
    var events: [AccessEvent] = []
    var warnings: [ParseWarning] = []

    func accept(_ observation: Observation) throws {
        if case .access(let event) = observation { events.append(event) }
    }

    func warn(_ warning: ParseWarning) { warnings.append(warning) }
}

func parse(_ parser: some LogParser, fixture: String, modified: Date? = nil) throws -> (CollectingSink, ParseSummary) {
    let bytes = try Fixtures.bytes(fixture)
    let evidence = EvidenceItem(path: Fixtures.path(fixture), size: Int64(bytes.count), sha256: "test", modified: modified)
    let sink = CollectingSink()
    let summary = try parser.parse(MemoryByteSource(bytes), evidence: evidence, into: sink)
    return (sink, summary)
}

@Suite struct OpenSSHParserTests {
    let fixture = "openssh/auth-bsd-newyear.log"

    func events() throws -> (CollectingSink, ParseSummary) {
        try parse(OpenSSHParser(options: ParseOptions(year: 2023)), fixture: fixture)
    }

    func event(line: Int, in sink: CollectingSink) throws -> AccessEvent {
        try #require(sink.events.first { $0.locator.line == line })
    }

    @Test func readsAcceptedLoginsWithAddressPortUserAndMethod() throws {
        let (sink, _) = try events()
        let login = try event(line: 2, in: sink)
        #expect(login.action == .login)
        #expect(login.ip?.description == "192.0.2.10")
        #expect(login.port == 50000)
        #expect(login.account == "alice")
        #expect(login.fields["method"] == "password")
        #expect(login.rawAction == "Accepted password")
        #expect(login.format == "openssh")
    }

    @Test func advancesTheYearAtNewYear() throws {
        let (sink, _) = try events()
        #expect(try event(line: 2, in: sink).time?.displayText == "2023-12-31T23:50:02 (no zone)")
        #expect(try event(line: 4, in: sink).time?.displayText == "2024-01-01T00:00:03 (no zone)")
    }

    @Test func infersTheYearFromTheModificationTimeWhenNotGiven() throws {
        let modified = try #require(Timestamp.parseISO8601("2024-01-02T00:00:00Z")?.date)
        let (sink, _) = try parse(OpenSSHParser(options: ParseOptions()), fixture: fixture, modified: modified)
        let first = try #require(sink.events.first?.time)
        #expect(first.displayText.hasPrefix("2023-12-31"))
        #expect(first.assumption?.contains("modification time") == true)
    }

    @Test func readsInvalidUsersWithAndWithoutPort() throws {
        let (sink, _) = try events()
        let old = try event(line: 4, in: sink)
        #expect(old.action == .loginFailed)
        #expect(old.account == "oracle")
        #expect(old.ip?.description == "203.0.113.9")
        #expect(old.port == nil)
        #expect(try event(line: 5, in: sink).port == 40001)
    }

    @Test func countsRepeatedMessagesByTheirRepeatCount() throws {
        let (sink, _) = try events()
        let repeated = try event(line: 7, in: sink)
        #expect(repeated.action == .loginFailed)
        #expect(repeated.count == 3)
        #expect(repeated.account == "test")
        #expect(repeated.fields["invalid_user"] == "true")
    }

    @Test func keepsUserNamesWithSpacesAndIsNotFooledByAddressesInThem() throws {
        let (sink, _) = try events()
        #expect(try event(line: 9, in: sink).account == "john smith")
        let spoofed = try event(line: 10, in: sink)
        #expect(spoofed.ip?.description == "203.0.113.77", "the address is the one sshd wrote last")
        #expect(spoofed.account == "x from 6.6.6.6 port 1")
    }

    @Test func readsIPv6KeyboardInteractiveAndPAMFailures() throws {
        let (sink, _) = try events()
        let kbd = try event(line: 11, in: sink)
        #expect(kbd.ip?.description == "2001:db8::bad")
        #expect(kbd.fields["method"] == "keyboard-interactive/pam")
        let pam = try event(line: 12, in: sink)
        #expect(pam.action == .loginFailed)
        #expect(pam.ip?.description == "203.0.113.9")
        #expect(pam.account == "root")
    }

    @Test func readsDisconnectsAndConnectionsBeforeAuthentication() throws {
        let (sink, _) = try events()
        let closed = try event(line: 8, in: sink)
        #expect(closed.action == .disconnect)
        #expect(closed.fields["preauth"] == "true")
        #expect(closed.account == "test")
        let received = try event(line: 13, in: sink)
        #expect(received.action == .disconnect)
        #expect(received.port == 40005)
        #expect(received.fields["reason"]?.contains("Bye Bye") == true)
        #expect(try event(line: 14, in: sink).account == "root")
        #expect(try event(line: 1, in: sink).action == .connect)
        let scan = try event(line: 15, in: sink)
        #expect(scan.action == .disconnect)
        #expect(scan.rawAction == "Did not receive identification string")
        #expect(scan.ip?.description == "198.51.100.99")
    }

    @Test func correlatesSessionLinesWithTheLoginOfTheSameProcess() throws {
        let (sink, _) = try events()
        let opened = try event(line: 3, in: sink)
        #expect(opened.action == .sessionStart)
        #expect(opened.ip?.description == "192.0.2.10")
        #expect(opened.fields["address_from"] == "line 2 (same sshd process 700)")
        let closed = try event(line: 18, in: sink)
        #expect(closed.action == .sessionEnd)
        #expect(closed.ip?.description == "192.0.2.10")
        #expect(try event(line: 17, in: sink).action == .logout)
    }

    @Test func readsPasswordChanges() throws {
        let (sink, _) = try events()
        let change = try event(line: 19, in: sink)
        #expect(change.action == .passwordChange)
        #expect(change.account == "alice")
        #expect(change.ip == nil)
    }

    @Test func countsOtherProgramsAsIgnoredAndReportsBadLinesWithTheirNumbers() throws {
        let (sink, summary) = try events()
        #expect(summary.records == 22)
        #expect(summary.ignored == 2, "CRON and the reverse-mapping notice")
        #expect(summary.malformed == 1)
        let notSyslog = try #require(sink.warnings.first { $0.message == "not a syslog line" })
        #expect(notSyslog.locator.line == 21)
        let badAddress = try #require(sink.warnings.first { $0.message == "address not readable" })
        #expect(badAddress.locator.line == 22)
        let kept = try event(line: 22, in: sink)
        #expect(kept.ip == nil)
        #expect(kept.ipRaw == "999.1.2.3", "the unreadable text is kept, not dropped")
        #expect(sink.events.count == 19)
    }

    @Test func readsRFC3339PrefixesAndNewerProcessNames() throws {
        let (sink, summary) = try parse(OpenSSHParser(options: ParseOptions()), fixture: "openssh/auth-rfc3339.log")
        #expect(summary.malformed == 0)
        #expect(sink.events.count == 4)
        let first = try #require(sink.events.first)
        #expect(first.time?.rfc3339UTC == "2024-07-09T13:00:29.099504Z")
        #expect(first.ip?.description == "2001:db8::5")
        #expect(first.fields["process"] == "sshd-session")
        #expect(sink.events[1].ip?.description == "2001:db8::5", "session line of the same sshd-session")
        #expect(sink.events[2].ip?.description == "198.51.100.4", "IPv4-mapped written as IPv4")
        #expect(sink.events[3].fields["process"] == "sshd-auth")
    }

    @Test func recognisesSSHLogsAndNothingElse() throws {
        let ssh = FormatSample(fileName: "auth.log", head: try Fixtures.bytes(fixture))
        #expect(ParserRegistry.recognize(ssh) == OpenSSHParser.self)
        let web = FormatSample(fileName: "access.log", head: try Fixtures.bytes("web/access-combined.log"))
        #expect(OpenSSHParser.recognize(web) == 0)
        #expect(ParserRegistry.recognize(FormatSample(fileName: "notes.txt", head: Array("hello\nworld\n".utf8))) == nil)
    }
}
