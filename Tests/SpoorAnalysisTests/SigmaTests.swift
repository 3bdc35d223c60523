import Foundation
import SpoorCore
import SpoorSigma
import SpoorTestSupport
import Testing

@Suite struct SigmaTests {
    static func rule(_ yaml: String) throws -> SigmaRule {
        switch SigmaRule.parse(yaml, file: "test.yml") {
        case .success(let rules): return try #require(rules.first)
        case .failure(let why): throw why
        }
    }

    static let forwarding = """
        title: Inbox rule forwarding outside
        id: 00000000-0000-4000-8000-000000000001
        author: Spoor tests
        level: high
        references:
            - https://example.org/forwarding
        logsource:
            product: m365
            service: exchange
        detection:
            selection:
                Operation:
                    - New-InboxRule
                    - Set-InboxRule
            target:
                target|contains: '@example.net'
            filter_internal:
                target|endswith: '@example.org'
            condition: selection and target and not 1 of filter_*
        """

    @Test func aRuleIsReadWithWhatItSaysOfItselfAndTestsFieldsByTheTable() throws {
        let rule = try Self.rule(Self.forwarding)
        #expect(rule.title == "Inbox rule forwarding outside")
        #expect(rule.level == "high" && rule.severity == .high)
        #expect(rule.references == ["https://example.org/forwarding"])
        #expect(rule.source == .m365)
        let hit = SigmaEvent(values: ["raw_action": "new-inboxrule", "target": "Collector@EXAMPLE.net"])
        #expect(rule.matches(hit), "values compare without case")
        #expect(!rule.matches(SigmaEvent(values: ["raw_action": "New-InboxRule", "target": "a@example.org"])))
        #expect(!rule.matches(SigmaEvent(values: ["raw_action": "Set-Mailbox", "target": "c@example.net"])))
    }

    @Test func wildcardsEscapesAndModifiersFollowSigma() throws {
        func field(_ key: String, _ value: String) throws -> SigmaRule {
            try Self.rule(
                """
                title: t
                logsource: {category: webserver}
                detection:
                    selection:
                        \(key): '\(value)'
                    condition: selection
                """)
        }
        let glob = try field("cs-uri-query", "*id=?*")
        #expect(glob.matches(SigmaEvent(values: ["path": "/a?x=1&id=7"])))
        #expect(!glob.matches(SigmaEvent(values: ["path": "/a?id="])))
        let stem = try field("cs-uri-stem|endswith", ".php")
        #expect(stem.matches(SigmaEvent(values: ["path": "/wp-login.php?redirect=1"])))
        #expect(!stem.matches(SigmaEvent(values: ["path": "/index.html?x=.php"])))
        let escaped = try field("cs-uri-query", "*a\\*b")
        #expect(escaped.matches(SigmaEvent(values: ["path": "/?a*b"])))
        #expect(!escaped.matches(SigmaEvent(values: ["path": "/?axxb"])))
        // Found past earlier near-misses, whichever byte the search anchors on.
        let dots = try field("cs-uri-query|contains", "/../e?c/")
        #expect(dots.matches(SigmaEvent(values: ["path": "/a/b/./../x/../etc/passwd"])))
        #expect(!dots.matches(SigmaEvent(values: ["path": "/a/b/./../x/../et/passwd"])))
        let cidr = try field("c-ip|cidr", "203.0.113.0/24")
        #expect(cidr.matches(SigmaEvent(values: ["ip": "203.0.113.45"])))
        #expect(!cidr.matches(SigmaEvent(values: ["ip": "198.51.100.1"])))
        let regex = try field("cs-user-agent|re", "^sqlmap/[0-9]")
        #expect(regex.matches(SigmaEvent(values: ["user_agent": "sqlmap/1.7"])))
        #expect(!regex.matches(SigmaEvent(values: ["user_agent": "SQLMAP/1.7"])), "re is case-sensitive")
        let base64 = try field("cs-uri-query|base64|contains", "whoami")
        #expect(base64.matches(SigmaEvent(values: ["path": "/?c=d2hvYW1p"])))
        let all = try Self.rule(
            """
            title: t
            logsource: {category: webserver}
            detection:
                selection:
                    cs-uri-query|contains|all: ['union', 'select']
                condition: selection
            """)
        #expect(all.matches(SigmaEvent(values: ["path": "/?q=1 UNION SELECT 2"])))
        #expect(!all.matches(SigmaEvent(values: ["path": "/?q=union"])))
    }

    @Test func keywordsAreSearchedInTheRecordsText() throws {
        let rule = try Self.rule(
            """
            title: t
            logsource: {product: linux, service: sshd}
            detection:
                keywords:
                    - 'Corrupted MAC on input'
                    - 'maximum authentication attempts exceeded'
                condition: keywords
            """)
        #expect(rule.matches(SigmaEvent(values: ["raw_action": "error: maximum authentication attempts exceeded for root"])))
        #expect(!rule.matches(SigmaEvent(values: ["raw_action": "Failed password"])))
    }

    @Test func whatCannotBeEvaluatedIsRefusedWithTheReason() {
        func reason(_ yaml: String) -> String? {
            if case .failure(let why) = SigmaRule.parse(yaml, file: "x.yml") { return why.reason }
            return nil
        }
        let head = "title: t\nlogsource: {category: webserver}\ndetection:\n    selection:\n"
        #expect(
            reason(head + "        cs-method: GET\n    condition: selection | count() by c-ip > 10\n")?.contains("aggregations")
                == true)
        #expect(
            reason(head + "        cs-method|windash: GET\n    condition: selection\n")?.contains("modifier 'windash'") == true)
        #expect(
            reason(head + "        cs-host: example.org\n    condition: selection\n")?.contains(
                "field 'cs-host' has no Spoor counterpart") == true)
        #expect(
            reason(head + "        cs-method: GET\n    condition: selection and other\n")?.contains(
                "no selection is named 'other'") == true)
        #expect(
            reason("title: t\nlogsource: {product: windows}\ndetection:\n    s: {a: b}\n    condition: s\n")?.contains(
                "no Spoor format reads its log source (product windows)") == true)
        #expect(reason("title: [unclosed\n")?.hasPrefix("not valid YAML") == true, "\(reason("title: [unclosed\n") ?? "")")
    }
}

/// The public SigmaHQ rules in ../shared/testdata/sigma: each is evaluated or listed with a reason,
/// and a rule pySigma refuses is never evaluated.
@Suite(.enabled(if: Fixtures.sharedTestdata != nil, "../shared/testdata is absent"))
struct SigmaConformanceTests {
    @Test func everyPublicRuleIsEvaluatedOrRefusedWithAReason() throws {
        let folder = try #require(Fixtures.sharedTestdata).appendingPathComponent("sigma/rules").path
        let set = try SigmaRuleSet.load(folder: folder)
        let files = FileManager.default.enumerator(atPath: folder)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".yml") }
        #expect(set.rules.count + set.unsupported.count == files.count)
        #expect(set.unsupported.allSatisfy { !$0.reason.isEmpty })
        print("Sigma conformance: \(set.rules.count) of \(files.count) rules evaluated, \(set.unsupported.count) refused")
        let reasons = Dictionary(grouping: set.unsupported) { $0.reason }
        for (reason, rules) in reasons.sorted(by: { $0.value.count > $1.value.count }) {
            print("  \(rules.count) × \(reason)")
        }
        // pySigma's verdict on the same files, where the setup installed it.
        let python = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../.build-tools/pysigma/bin/python"
        ).standardized.path
        guard FileManager.default.isExecutableFile(atPath: python) else { return }
        let script = """
            import sys, pathlib
            from sigma.rule import SigmaRule
            for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.yml')):
                try:
                    SigmaRule.from_yaml(p.read_text())
                    print('ok', p.relative_to(sys.argv[1]))
                except Exception as e:
                    print('bad', p.relative_to(sys.argv[1]))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, folder]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let verdicts = output.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 1).map(String.init) }
        #expect(verdicts.count == files.count, "\(output)")
        let refusedByPySigma = Set(verdicts.filter { $0.first == "bad" }.compactMap { $0.last })
        let evaluated = Set(set.rules.map(\.file))
        #expect(evaluated.isDisjoint(with: refusedByPySigma), "rules pySigma refuses: \(refusedByPySigma)")
        print("pySigma: \(verdicts.count - refusedByPySigma.count) of \(verdicts.count) rules valid")
    }
}
