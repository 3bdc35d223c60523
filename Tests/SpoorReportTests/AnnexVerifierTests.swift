import Foundation
import SpoorIntake
import SpoorStore
import SpoorAnalysis
import SpoorCase
import SpoorCore
import SpoorLogs
@testable import SpoorReport
import SpoorTestSupport
import Testing

/// A small analysed case and its annex, written without a PDF.
func writtenAnnex() throws -> (annex: String, evidence: String) {
    let folder = try Fixtures.temporaryDirectory()
    let log = try Fixtures.temporaryFile(
        named: "auth.log",
        contents: """
            Mar  3 10:00:00 host sshd[1]: Accepted password for alice from 198.51.100.7 port 50000 ssh2
            Mar  3 10:05:00 host sshd[2]: Accepted password for alice from 203.0.113.9 port 50001 ssh2

            """)
    let store = try CaseStore.create(
        at: folder.appendingPathComponent("case").path, metadata: .init(title: "Verify <me>", createdAt: "2024-03-04T00:00:00Z"))
    _ = store.ingest(paths: [log], options: ParseOptions(year: 2024))
    _ = try store.analyze(mmdbPaths: [], intel: nil)
    let out = folder.appendingPathComponent("annex").path
    _ = try Annex.write(store: store, to: out, options: .init(generatedAt: "2024-03-04T12:00:00Z"))
    return (out, log)
}

func check(_ annex: String, evidence: [String] = [], rerun: AnnexVerifier.Rerun? = nil) throws -> [AnnexVerifier.Line] {
    var lines: [AnnexVerifier.Line] = []
    try AnnexVerifier.verify(annex, evidence: evidence, publicKey: nil, rerun: rerun) { lines.append($0) }
    return lines
}

@Suite struct AnnexVerifierTests {
    @Test func anAnnexAsWrittenAgreesAndReRunsToTheSameFiles() throws {
        let (annex, log) = try writtenAnnex()
        let rerun = AnnexVerifier.Rerun(
            mmdb: [], year: 2024, intel: { throw CocoaError(.fileNoSuchFile) }, templates: try ReportTemplates.bundled(),
            templatesGiven: false)
        let lines = try check(annex, evidence: [log], rerun: rerun)
        #expect(!lines.contains { $0.outcome == .differs }, "\(lines.filter { $0.outcome == .differs })")
        #expect(lines.contains { $0.text == "re-run: findings.json identical" })
        #expect(lines.contains { $0.text.hasPrefix("evidence ") && $0.text.contains("auth.log is ") })
        #expect(lines.contains { $0.outcome == .note && $0.text == "the annex is not signed" })
    }

    @Test func aChangedFileAnExtraFileAndUnknownEvidenceAreNamed() throws {
        let (annex, _) = try writtenAnnex()
        let subjects = annex + "/subjects.csv"
        try (String(contentsOfFile: subjects, encoding: .utf8) + "203.0.113.66,global\n").write(
            toFile: subjects, atomically: true, encoding: .utf8)
        try "x".write(toFile: annex + "/notes.txt", atomically: true, encoding: .utf8)
        let other = try Fixtures.temporaryFile(named: "other.log", contents: "nothing\n")
        let differs = try check(annex, evidence: [other]).filter { $0.outcome == .differs }.map(\.text)
        #expect(differs.contains { $0.hasPrefix("subjects.csv: SHA-256 is ") })
        #expect(differs.contains("notes.txt: in the folder but not in the manifest"))
        #expect(
            differs.contains { $0.hasPrefix("evidence ") && $0.hasSuffix("is not in the manifest") && $0.contains("other.log") })
        #expect(differs.contains { $0.contains("auth.log") && $0.hasSuffix("not among the files given") })
    }

    @Test func aFolderWithoutAManifestIsNotAnAnnex() throws {
        let folder = try Fixtures.temporaryDirectory().path
        #expect {
            _ = try check(folder)
        } throws: { error in
            guard case .noManifest(let path) = error as? AnnexVerifier.Failure else { return false }
            return path.hasSuffix("manifest.json")
        }
    }
}

@Suite struct MethodsSectionTests {
    @Test func everyRuleIsListedWithWhatItReadsAndTheSettingsItRanWith() throws {
        let (annex, _) = try writtenAnnex()
        let html = try String(contentsOfFile: annex + "/report.html", encoding: .utf8)
        for rule in RuleRegistry.standard() {
            let stated = rule.stated
            #expect(html.contains("<li><code>\(stated.id.rawValue)</code>:"), "\(stated.id)")
            for tunable in stated.tunables {
                #expect(
                    html.contains("<code>\(tunable.name)</code> = \(tunable.value.description):"), "\(stated.id).\(tunable.name)")
            }
        }
        #expect(html.contains("<code>window</code> = 24 hours:"))
        #expect(html.contains("at most 30 minutes earlier"))
        // Text from the rules goes through the template's escaping like any other.
        #expect(html.contains("account&#39;s"))
        #expect(html.contains("Verify &lt;me&gt;"))
    }
}
