import SpoorCore
import SpoorLogs
import SpoorTestSupport
import Testing

@Suite struct EntraSignInParserTests {
    @Test func readsThePortalExportDespiteItsHeaderDefects() throws {
        let (sink, summary) = try parse(
            EntraSignInParser(options: ParseOptions()), fixture: "microsoft/entra-InteractiveSignIns_2024-01-01.csv")
        #expect(summary.malformed == 0)
        #expect(sink.events.map(\.action) == [.loginFailed, .login])
        let failed = try #require(sink.events.first)
        #expect(failed.ip?.description == "203.0.113.45")
        #expect(failed.account == "ada@example.org")
        #expect(failed.fields["failure_reason"] == "Invalid username or password.")
        #expect(failed.fields["asn"] == "64500", "the double-spaced header is found")
        #expect(sink.events[1].fields["ip_seen_by_resource"] == "198.51.100.99", "both addresses kept")
        let sample = FormatSample(
            path: "InteractiveSignIns_2024-01-01.csv",
            head: try Fixtures.bytes("microsoft/entra-InteractiveSignIns_2024-01-01.csv"))
        #expect(ParserRegistry.recognize(sample) == EntraSignInParser.self)
    }

    @Test func readsLegacyCultureDatesAndSaysWhenTheyAreAmbiguous() throws {
        let (sink, _) = try parse(EntraSignInParser(options: ParseOptions()), fixture: "microsoft/entra-legacy.csv")
        let first = try #require(sink.events.first)
        #expect(first.time?.displayText == "2025-03-12T07:22:01 (no zone)")
        #expect(first.time?.assumption == "day and month ambiguous: read month first")
        #expect(sink.events[1].time?.assumption == "read month first")
        #expect(sink.events[1].time?.displayText == "2025-03-25T13:05:00 (no zone)")
    }
}

@Suite struct UnifiedAuditLogParserTests {
    @Test func readsThePowerShellLayoutWithAddressesInEveryForm() throws {
        let (sink, summary) = try parse(UnifiedAuditLogParser(options: ParseOptions()), fixture: "microsoft/ual-powershell.csv")
        #expect(summary.malformed == 0)
        #expect(sink.events.map(\.action) == [.login, .other, .passwordChange])
        let login = try #require(sink.events.first)
        #expect(login.ip?.description == "203.0.113.45")
        #expect(login.port == 51234)
        #expect(login.time?.rfc3339UTC == "2024-01-01T03:10:00Z")
        #expect(login.userAgent?.contains("Firefox/121") == true)
        #expect(login.fields["RequestType"] == "Login:login")
        #expect(sink.events[1].ip?.description == "2001:db8::7")
        #expect(sink.events[1].port == 443)
        #expect(sink.events[1].rawAction == "New-InboxRule")
        #expect(sink.events[2].ip?.description == "203.0.113.45", "::ffff: removed")
    }

    @Test func readsThePurviewLayoutWithItsTrailingSpaceDates() throws {
        let (sink, _) = try parse(UnifiedAuditLogParser(options: ParseOptions()), fixture: "microsoft/ual-purview.csv")
        let failed = try #require(sink.events.first)
        #expect(failed.action == .loginFailed)
        #expect(failed.time?.rfc3339UTC == "2026-01-24T06:54:24Z")
        #expect(failed.ip?.description == "198.51.100.77")
        #expect(failed.fields["logonerror"] == "InvalidUserNameOrPassword")
    }

    @Test func flagsAnExportOfExactlyFiftyThousandRows() throws {
        var text = "CreationDate,UserIds,Operations,AuditData\n"
        for i in 0..<50_000 {
            text +=
                "2024-01-01T00:00:00Z,a@example.org,UserLoggedIn,\"{\"\"Operation\"\":\"\"UserLoggedIn\"\",\"\"ClientIP\"\":\"\"192.0.2.\(i % 250)\"\"}\"\n"
        }
        let evidence = EvidenceItem(path: "/tmp/ual.csv", size: Int64(text.utf8.count), sha256: "x")
        let sink = CollectingSink()
        _ = try UnifiedAuditLogParser(options: ParseOptions()).parse(MemoryByteSource(text), evidence: evidence, into: sink)
        #expect(sink.events.count == 50_000)
        #expect(sink.warnings.last?.message.contains("probably truncated") == true)
    }
}

@Suite struct UnifiedAuditLogTakeoverTests {
    @Test func inboxRulesThatSendMailElsewhereAreForwardingAndNameTheirTarget() throws {
        let (sink, summary) = try parse(UnifiedAuditLogParser(options: ParseOptions()), fixture: "microsoft/ual-takeover.csv")
        #expect(summary.malformed == 0)
        #expect(
            sink.events.map(\.action) == [.login, .mailForwarding, .other, .mailForwarding, .appAccess, .dataExport],
            "a rule that only moves mail to a folder is not forwarding")
        #expect(sink.events[1].fields["target"] == "collector@example.net")
        #expect(sink.events[1].fields["rule_name"] == ".")
        #expect(sink.events[1].ip?.description == "198.51.100.7", "the port is removed")
        #expect(sink.events[3].fields["target"] == "smtp:collector@example.net")
        #expect(sink.events[4].fields["target"] == "Mail Sync Helper")
        #expect(sink.events[5].rawAction == "SearchExported")
    }
}
