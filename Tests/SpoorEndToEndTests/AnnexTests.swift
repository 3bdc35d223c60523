import Foundation
import SpoorTestSupport
import Testing

/// The evidence annex: every file listed in the manifest by hash, byte-identical when made again,
/// signed and verified, and checked against the evidence by re-running the analysis.
@Suite struct AnnexTests {
    /// A case with a hostile account name, an attacker address in the indicator store, analysed.
    func analysedCase() throws -> (folder: URL, caseDir: String, store: String, evidence: String) {
        let folder = try Fixtures.temporaryDirectory()
        let evidence = folder.appendingPathComponent("evidence")
        try FileManager.default.createDirectory(at: evidence, withIntermediateDirectories: true)
        let log = """
            2024-07-09T15:00:00Z gw sshd[1]: Failed password for =HYPERLINK("http://x") from 203.0.113.66 port 4000 ssh2
            2024-07-09T15:00:05Z gw sshd[1]: Accepted password for editor from 203.0.113.66 port 4001 ssh2
            2024-07-09T16:00:00Z gw sshd[2]: Accepted publickey for editor from 192.0.2.10 port 5000 ssh2

            """
        try log.write(to: evidence.appendingPathComponent("auth.log"), atomically: true, encoding: .utf8)
        let caseDir = folder.appendingPathComponent("case").path
        let store = folder.appendingPathComponent("intel.sqlite").path
        #expect(
            try runSpoor(["case", "init", caseDir, "--title", "Takeover <b>test</b>", "--examiner", "E. Xaminer"]).status == 0)
        #expect(try runSpoor(["ingest", caseDir, evidence.path]).status == 0)
        #expect(
            try runSpoor([
                "intel", "add", "203.0.113.0/24", "--source", "Example Lab", "--reference", "https://example.org/r", "--intel-db",
                store,
            ]).status == 0)
        #expect(try runSpoor(["analyze", caseDir, "--intel-db", store]).status == 0)
        return (folder, caseDir, store, evidence.path)
    }

    @Test func theAnnexListsEveryFileByHashAndIsByteIdenticalWhenMadeAgain() throws {
        let (folder, caseDir, _, _) = try analysedCase()
        let first = folder.appendingPathComponent("annex1").path
        let second = folder.appendingPathComponent("annex2").path
        // The PDF too: WeasyPrint is told the annex's time, so it prints the same bytes.
        #expect(
            try runSpoor(["report", caseDir, "--out", first, "--generated-at", "2024-08-01T00:00:00Z", "--pdf", "weasyprint"])
                .status == 0)
        let epoch = try runSpoor(
            ["report", caseDir, "--out", second, "--pdf", "weasyprint"], environment: ["SOURCE_DATE_EPOCH": "1722470400"])
        #expect(epoch.status == 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: first).sorted()
        #expect(
            names == [
                "events.csv", "findings.json", "flows.csv", "indicators.stix.json", "manifest.json", "report.html", "report.pdf",
                "subjects.csv",
            ])
        for name in names {
            let a = try Data(contentsOf: URL(fileURLWithPath: first + "/" + name))
            let b = try Data(contentsOf: URL(fileURLWithPath: second + "/" + name))
            #expect(a == b, "\(name) is byte-identical")
        }
        let manifest = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: first + "/manifest.json")))
                as? [String: Any])
        #expect(manifest["schema"] as? String == "spoor-manifest/1")
        let files = try #require(manifest["files"] as? [[String: Any]])
        #expect(files.count == 7)
        #expect((manifest["renderer"] as? [String: Any])?["name"] as? String == "weasyprint")
        #expect((manifest["templates"] as? [String: Any])?["language"] as? String == "en")
        let evidence = try #require(manifest["evidence"] as? [[String: Any]])
        #expect(evidence.first?["sha256"] as? String == (try sha256(of: folder.appendingPathComponent("evidence/auth.log").path)))
        #expect((manifest["indicator_set"] as? [String: Any])?["sources"] as? [String] == ["Example Lab"])
        // Hostile strings: defused in CSV, escaped in HTML.
        let events = try String(contentsOfFile: first + "/events.csv", encoding: .utf8)
        #expect(events.contains("\"'=HYPERLINK(\"\"http://x\"\")\""))
        #expect(!events.contains(",=HYPERLINK"))
        let html = try String(contentsOfFile: first + "/report.html", encoding: .utf8)
        #expect(!html.contains("<b>test</b>") && html.contains("&lt;b&gt;test&lt;/b&gt;"))
        let stix = try String(contentsOfFile: first + "/indicators.stix.json", encoding: .utf8)
        #expect(stix.contains("[ipv4-addr:value = '203.0.113.0/24']") && stix.contains("Example Lab"))
        let subjects = try String(contentsOfFile: first + "/subjects.csv", encoding: .utf8)
        #expect(subjects.contains("203.0.113.66,documentation,"))
    }

    @Test func signedAnnexesVerifyAndEveryChangeIsNamed() throws {
        let (folder, caseDir, _, _) = try analysedCase()
        let key = folder.appendingPathComponent("examiner.key").path
        let made = try runSpoor(["keygen", key])
        #expect(made.status == 0 && made.stdout.contains("fingerprint: "))
        let attrs = try FileManager.default.attributesOfItem(atPath: key)
        #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600, "the private key is readable by its owner only")
        #expect(try runSpoor(["keygen", key]).status != 0, "an existing key is never overwritten")
        let annex = folder.appendingPathComponent("annex").path
        #expect(
            try runSpoor(["report", caseDir, "--out", annex, "--sign", key, "--generated-at", "2024-08-01T00:00:00Z"]).status == 0
        )
        let verified = try runSpoor(["verify", annex, "--public-key", key + ".pub"])
        #expect(verified.status == 0)
        #expect(verified.stdout.contains("ok       signature: Ed25519 by the key in"))
        // Another key's public half is refused.
        let other = folder.appendingPathComponent("other.key").path
        #expect(try runSpoor(["keygen", other]).status == 0)
        let wrongKey = try runSpoor(["verify", annex, "--public-key", other + ".pub"])
        #expect(wrongKey.status == 1 && wrongKey.stdout.contains("by another key"))
        // A changed file, and an added one, are named.
        let html = annex + "/report.html"
        try (try String(contentsOfFile: html, encoding: .utf8) + "<!-- edited -->").write(
            toFile: html, atomically: true, encoding: .utf8)
        try "x".write(toFile: annex + "/extra.txt", atomically: true, encoding: .utf8)
        let tampered = try runSpoor(["verify", annex])
        #expect(tampered.status == 1)
        #expect(tampered.stdout.contains("DIFFERS  report.html: SHA-256 is"))
        #expect(tampered.stdout.contains("DIFFERS  extra.txt: in the folder but not in the manifest"))
        // A manifest edited to match the change breaks the signature.
        let manifestPath = annex + "/manifest.json"
        let manifest = try String(contentsOfFile: manifestPath, encoding: .utf8)
        try manifest.replacingOccurrences(of: "Takeover", with: "Takeoever").write(
            toFile: manifestPath, atomically: true, encoding: .utf8)
        #expect(try runSpoor(["verify", annex]).stdout.contains("DIFFERS  manifest.sig: not a valid signature of manifest.json"))
    }

    @Test func verifyChecksTheEvidenceAndReRunsTheAnalysis() throws {
        let (folder, caseDir, store, evidence) = try analysedCase()
        let annex = folder.appendingPathComponent("annex").path
        #expect(try runSpoor(["report", caseDir, "--out", annex, "--generated-at", "2024-08-01T00:00:00Z"]).status == 0)
        let same = try runSpoor(["verify", annex, "--evidence", evidence, "--rerun", "--intel-db", store])
        #expect(same.status == 0, "\(same.stdout)")
        #expect(same.stdout.contains("re-run: findings.json identical"))
        #expect(same.stdout.contains("the analysis re-ran to the same result"))
        // A changed indicator store changes the finding, and the verifier says which.
        #expect(try runSpoor(["intel", "add", "203.0.113.66", "--source", "Second Lab", "--intel-db", store]).status == 0)
        let changed = try runSpoor(["verify", annex, "--evidence", evidence, "--rerun", "--intel-db", store])
        #expect(changed.status == 1)
        #expect(changed.stdout.contains("reference data: the indicator store's version is"))
        #expect(changed.stdout.contains("re-run: finding F1 differs"))
        // Evidence that is not the evidence.
        let forged = folder.appendingPathComponent("forged.log").path
        try "2024-07-09T15:00:00Z gw sshd[1]: Accepted password for editor from 198.51.100.1 port 1 ssh2\n".write(
            toFile: forged, atomically: true, encoding: .utf8)
        let wrong = try runSpoor(["verify", annex, "--evidence", forged])
        #expect(wrong.status == 1)
        #expect(wrong.stdout.contains("is not in the manifest"))
        #expect(wrong.stdout.contains("auth.log") && wrong.stdout.contains("not among the files given"))
    }

    func sha256(of path: String) throws -> String {
        let pipe = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ").first.map(
            String.init) ?? ""
    }
}
