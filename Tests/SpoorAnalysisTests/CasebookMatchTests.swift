import Foundation
import SpoorAnalysis
import SpoorCore
import SpoorIntel
import Testing

/// `casebook_match`: how strongly an earlier case's sighting counts, and what the finding says.
@Suite struct CasebookMatchTests {
    static func hit(_ overlap: CasebookHit.Overlap, lastSeen: String = "2024-01-01T02:00:00Z") -> CasebookHit {
        CasebookHit(
            overlap: overlap, caseName: "CASE-1 (C-0000000A)", pseudonym: "C-0000000A", source: CasebookCase.localSource,
            value: overlap == .address ? "203.0.113.45" : overlap == .network ? "203.0.113.0/24" : "AS64511 Example Hosting",
            earlierAddress: "203.0.113.45", firstSeen: "2024-01-01T00:00:00Z", lastSeen: lastSeen, roles: ["login source"],
            findings: ["F1"])
    }

    static func findings(_ hits: [CasebookHit]?, firstSeen: String = "2024-03-14T03:40:11Z") throws -> [Finding] {
        var subject = SubjectIP(address: IPAddress("203.0.113.77")!)
        subject.firstSeen = firstSeen
        subject.lastSeen = "2024-03-14T03:41:02Z"
        subject.byAction = ["request": 5]
        subject.casebookHits = hits
        let context = SubjectContext(subject: subject, kinds: [.access]) { _, _ in [] }
        let run = RuleRun(rules: [CasebookMatch()])
        try run.consume(context)
        return try run.findings()
    }

    @Test func theSameAddressIsHighANearbyNetworkMediumAndAProviderLow() throws {
        #expect(try Self.findings([Self.hit(.address)]).map(\.severity) == [.high])
        #expect(try Self.findings([Self.hit(.network)]).map(\.severity) == [.medium])
        #expect(try Self.findings([Self.hit(.asAndHolder)]).map(\.severity) == [.low])
        // The strongest overlap decides; one finding per address.
        #expect(try Self.findings([Self.hit(.asAndHolder), Self.hit(.network), Self.hit(.address)]).map(\.severity) == [.high])
        #expect(try Self.findings(nil).isEmpty && (try Self.findings([])).isEmpty)
    }

    @Test func aNetworkSeenLongBeforeIsOnlyContext() throws {
        let far = try Self.findings([Self.hit(.network, lastSeen: "2021-05-01T00:00:00Z")])
        #expect(far.map(\.severity) == [.low])
        #expect(far.first?.statement.contains("long before or after this case") == true)
        // Within the window, before or after.
        #expect(try Self.findings([Self.hit(.network, lastSeen: "2024-12-01T00:00:00Z")]).map(\.severity) == [.medium])
    }

    @Test func theFindingNamesTheEarlierCaseAndSaysWhatItDoesNotShow() throws {
        let finding = try #require(try Self.findings([Self.hit(.address)]).first)
        #expect(finding.rule == .casebookMatch && finding.addresses.map(\.description) == ["203.0.113.77"])
        for part in [
            "203.0.113.77 was seen in this case as web request", "Case CASE-1 (C-0000000A) saw the same address",
            "as login source (its findings F1)", "does not show that the same person used it",
        ] {
            #expect(finding.statement.contains(part), "\(part)")
        }
        #expect(finding.indicators == ["casebook CASE-1 (C-0000000A) address 203.0.113.45"])
    }

    @Test func anUnusualClientOnTheSameASIsContextAndQuotedSafely() throws {
        var hit = Self.hit(.clientAndAS)
        hit.value = "AS64501"
        hit.client = CasebookClient(.userAgent, "ExampleTool/0.9 \u{1B}[31m(synthetic)")
        hit.clientCases = 1
        let finding = try #require(try Self.findings([hit]).first)
        #expect(finding.severity == .low)
        #expect(
            finding.statement.contains(
                "saw 203.0.113.45 with the same user agent, \u{201C}ExampleTool/0.9 \\x1B[31m(synthetic)\u{201D}, on the same AS (AS64501)"
            ), "\(finding.statement)")
        #expect(finding.statement.contains("Only that case of the casebook saw this user agent."))
        #expect(!finding.statement.contains("\u{1B}"), "a control character from the evidence is escaped")
        #expect(finding.statement.contains("This is context only"))
    }
}
