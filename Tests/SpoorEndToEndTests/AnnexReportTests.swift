import Foundation
import SpoorTestSupport
import Testing

/// The annex's page: its sections, timeline, PDF with page numbers, translated templates,
/// redaction for sharing, and hostile strings carried from evidence to every output.
@Suite struct AnnexReportTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let englishTemplates = repository.appendingPathComponent("Sources/SpoorReport/Templates/en")

    /// The account holder (`jane.doe@newsroom.example`) logs in from home (192.0.2.10); later an
    /// address from an indicator's range logs in and changes the password.
    func takeover(title: String = "Takeover of J. Doe", extraLines: String = "") throws -> (
        folder: URL, caseDir: String, evidence: String
    ) {
        let folder = try Fixtures.temporaryDirectory()
        let evidence = folder.appendingPathComponent("evidence")
        try FileManager.default.createDirectory(at: evidence, withIntermediateDirectories: true)
        let log = """
            2024-07-01T08:00:00Z web sshd[10]: Accepted publickey for jane.doe@newsroom.example from 192.0.2.10 port 50000 ssh2
            2024-07-01T08:30:00Z web sshd[10]: pam_unix(sshd:session): session closed for user jane.doe@newsroom.example
            2024-07-09T15:00:00Z web sshd[11]: Failed password for jane.doe@newsroom.example from 203.0.113.66 port 4000 ssh2
            2024-07-09T15:00:05Z web sshd[11]: Accepted password for jane.doe@newsroom.example from 203.0.113.66 port 4001 ssh2
            2024-07-09T15:02:00Z web passwd[12]: pam_unix(passwd:chauthtok): password changed for jane.doe@newsroom.example
            \(extraLines)
            """
        try log.write(to: evidence.appendingPathComponent("auth-jane-doe.log"), atomically: true, encoding: .utf8)
        let caseDir = folder.appendingPathComponent("case").path
        let store = folder.appendingPathComponent("intel.sqlite").path
        #expect(try runSpoor(["case", "init", caseDir, "--title", title, "--reference", "REF-7"]).status == 0)
        #expect(try runSpoor(["ingest", caseDir, evidence.path]).status == 0)
        #expect(
            try runSpoor([
                "intel", "add", "203.0.113.0/24", "--source", "Example Lab", "--reference", "https://example.org/r", "--intel-db",
                store,
            ]).status == 0)
        #expect(try runSpoor(["analyze", caseDir, "--intel-db", store]).status == 0)
        return (folder, caseDir, evidence.path)
    }

    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test func thePageHasEverySectionTheTimelineAndAPrintedCopyWithPageNumbers() throws {
        let (folder, caseDir, _) = try takeover()
        let annex = folder.appendingPathComponent("annex").path
        let made = try runSpoor([
            "report", caseDir, "--out", annex, "--generated-at", "2024-08-01T00:00:00Z", "--pdf", "weasyprint",
        ])
        #expect(made.status == 0, "\(made.stderr)")
        let html = try read(annex + "/report.html")
        for id in [
            "summary", "timeline", "findings", "addresses", "evidence", "reference-data", "methodology", "limitations",
            "glossary", "checking",
        ] {
            #expect(html.contains("id=\"\(id)\""), "section \(id)")
        }
        #expect(html.contains("carrier-grade NAT") || html.contains("Carrier-grade NAT"))
        // The indicator set is identified by its version hash, which the manifest also holds.
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: annex + "/manifest.json")))
                as? [String: Any])
        let setHash = try #require((manifest["indicator_set"] as? [String: Any])?["content_hash"] as? String)
        #expect(html.contains(setHash))
        // The timeline: an SVG with the ssh records' row, and a marker for each finding.
        #expect(html.contains("<svg") && html.contains(">openssh<"))
        let findings = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: annex + "/findings.json")))
                as? [String: Any])
        let ids = try #require(findings["findings"] as? [[String: Any]]).compactMap { $0["id"] as? String }
        #expect(ids.count >= 2, "the indicator match and the new network after the baseline session")
        let markers = html.components(separatedBy: "class=\"mk\"").dropFirst().joined()
        for id in ids { #expect(markers.contains(id), "finding \(id) is marked on the timeline") }
        // No external resource of any kind.
        #expect(!html.contains("src=") && !html.contains("<link") && !html.contains("@import") && !html.contains("<script"))
        // The PDF is the page printed, with page numbers.
        let pdf = try Data(contentsOf: URL(fileURLWithPath: annex + "/report.pdf"))
        #expect(pdf.starts(with: Data("%PDF".utf8)))
        let text = try pdfText(annex + "/report.pdf")
        #expect(text.contains("Page 1 of "))
        #expect(text.contains("Methodology") && text.contains("Glossary"))
    }

    @Test func aTranslatedTemplateFolderWritesTheReportInItsWords() throws {
        let (folder, caseDir, _) = try takeover()
        let french = folder.appendingPathComponent("fr")
        try FileManager.default.copyItem(at: Self.englishTemplates, to: french)
        let page = french.appendingPathComponent("report.mustache")
        let english = try read(page.path)
        try english.replacingOccurrences(of: "Summary of findings", with: "Résumé des constatations")
            .replacingOccurrences(of: "<html lang=\"en\">", with: "<html lang=\"fr\">")
            .write(to: page, atomically: true, encoding: .utf8)
        let annex = folder.appendingPathComponent("annex").path
        let made = try runSpoor(["report", caseDir, "--out", annex, "--pdf", "none", "--templates", french.path])
        #expect(made.status == 0, "\(made.stderr)")
        let html = try read(annex + "/report.html")
        #expect(html.contains("Résumé des constatations") && html.contains("lang=\"fr\""))
        #expect(!html.contains("Summary of findings"))
        let manifest = try read(annex + "/manifest.json")
        #expect(manifest.contains("\"language\" : \"fr\""))

        // A template that does not parse is named, and no annex is claimed.
        try "{{#findings}} unclosed".write(
            to: french.appendingPathComponent("finding.mustache"), atomically: true, encoding: .utf8)
        let broken = try runSpoor([
            "report", caseDir, "--out", folder.appendingPathComponent("annex2").path, "--templates", french.path,
        ])
        #expect(broken.status != 0)
        #expect(broken.stderr.contains("finding.mustache") && broken.stderr.contains("does not parse"))
        // A partial deleted from the copy is named too (Mustache would render it as nothing).
        try FileManager.default.removeItem(at: french.appendingPathComponent("finding.mustache"))
        let partial = try runSpoor([
            "report", caseDir, "--out", folder.appendingPathComponent("annex4").path, "--templates", french.path,
        ])
        #expect(partial.status != 0 && partial.stderr.contains("report.mustache includes finding"))
        let missing = try runSpoor([
            "report", caseDir, "--out", folder.appendingPathComponent("annex3").path, "--templates",
            folder.appendingPathComponent("nowhere").path,
        ])
        #expect(missing.status != 0 && missing.stderr.contains("no such template folder"))
    }

    @Test func aRedactedAnnexKeepsTheAttackerAndHidesTheAccountHolder() throws {
        let (folder, caseDir, evidence) = try takeover()
        let annex = folder.appendingPathComponent("shared").path
        let made = try runSpoor([
            "report", caseDir, "--out", annex, "--redact", "--pdf", "none", "--generated-at", "2024-08-01T00:00:00Z",
        ])
        #expect(made.status == 0, "\(made.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: annex)
        var all = ""
        for name in names { all += try read(annex + "/" + name) }
        for secret in ["jane.doe", "newsroom.example", "192.0.2.10", "auth-jane-doe"] {
            #expect(!all.contains(secret), "\(secret) does not appear in the redacted annex")
        }
        #expect(all.contains("203.0.113.66"), "the attacker's address is kept")
        #expect(all.contains("Example Lab") && all.contains("203.0.113.0/24"), "so is the indicator and its source")
        #expect(all.contains("account-") && all.contains("ip-") && all.contains("file-"))
        let html = try read(annex + "/report.html")
        #expect(html.contains("Redacted copy"))
        // Stable: the same case gives the same pseudonyms.
        let again = folder.appendingPathComponent("shared2").path
        #expect(
            try runSpoor([
                "report", caseDir, "--out", again, "--redact", "--pdf", "none", "--generated-at", "2024-08-01T00:00:00Z",
            ]).status == 0)
        #expect(try read(annex + "/findings.json") == read(again + "/findings.json"))
        // The manifest says so, and a redacted annex is not re-run from evidence.
        #expect(try read(annex + "/manifest.json").contains("\"redacted\" : true"))
        let rerun = try runSpoor(["verify", annex, "--evidence", evidence, "--rerun"])
        #expect(rerun.status == 1 && rerun.stdout.contains("redacted annex"))
        // The unredacted annex still shows everything.
        let full = folder.appendingPathComponent("full").path
        #expect(try runSpoor(["report", caseDir, "--out", full, "--pdf", "none"]).status == 0)
        #expect(try read(full + "/events.csv").contains("jane.doe@newsroom.example"))
    }

    @Test func injectionPayloadsFromEvidenceReachNoOutputAlive() throws {
        let payloads = [
            "<script>alert(1)</script>", "{{caseTitle}}", "=cmd|'/C_calc'!A0", "\u{1B}]0;owned\u{07}x", "</style><img/src=x>",
        ]
        let lines =
            payloads.enumerated().map { index, user in
                "2024-07-09T16:0\(index):00Z web sshd[2\(index)]: Accepted password for \(user) from 203.0.113.\(70 + index) port 4100 ssh2"
            }.joined(separator: "\n") + "\n"
        let (folder, caseDir, _) = try takeover(title: "T\"}body{background:url(http://198.51.100.9/x)}\\", extraLines: lines)
        let annex = folder.appendingPathComponent("annex").path
        let made = try runSpoor(["report", caseDir, "--out", annex, "--pdf", "weasyprint"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(!made.stdout.contains("\u{1B}") && !made.stderr.contains("\u{1B}"))

        let html = try read(annex + "/report.html")
        #expect(!html.contains("<script>") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!html.contains("</style><img") && !html.contains("<img"))
        #expect(html.contains("{{caseTitle}}"), "a value is shown, never read as a template")
        #expect(!html.contains("\u{1B}"))
        // The page footer is a CSS string: the title reaches it without quotes, braces or backslashes.
        let footer = try #require(html.split(separator: "\n").first { $0.contains("@bottom-left") })
        #expect(footer.filter { $0 == "\"" }.count == 2 && !footer.contains("}body") && !footer.contains("\\"))

        let events = try read(annex + "/events.csv")
        #expect(events.contains(",'=cmd|'/C_calc'!A0,") && !events.contains(",=cmd"))
        #expect(events.contains("\\x1B]0;owned\\x07x"), "the escape is shown, not sent")
        #expect(!events.contains("\u{1B}"))
        for name in ["findings.json", "subjects.csv", "manifest.json", "indicators.stix.json"] {
            #expect(!(try read(annex + "/" + name)).contains("\u{1B}"), "\(name) carries no raw escape")
        }
        // The terminal: listing the events prints the names, defused.
        let listed = try runSpoor(["events", caseDir])
        #expect(listed.status == 0)
        #expect(listed.stdout.contains("<script>alert(") && listed.stdout.contains("\\x1B]0;owned"))
        #expect(!listed.stdout.contains("\u{1B}") && !listed.stdout.contains("\u{07}"))
        // The PDF was printed from the same page, the payloads as text.
        #expect(try pdfText(annex + "/report.pdf").contains("<script>alert(1)</script>"))
    }

    func pdfText(_ path: String) throws -> String {
        let pipe = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pdftotext")
        process.arguments = [path, "-"]
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
