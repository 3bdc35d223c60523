import Foundation
import SpoorTestSupport
import Testing

/// Regression tests for conclusions the annex must not draw (issue 23): each rebuilds, from a
/// synthetic fixture, the shape of real material that once made Spoor say something false.
@Suite struct WrongEvidenceTests {
    let work: URL
    let store: String

    init() throws {
        work = try Fixtures.temporaryDirectory("spoor-wrong")
        store = work.appendingPathComponent("intel.sqlite").path
    }

    func spoor(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try runSpoor(arguments, environment: ["SPOOR_INTEL_DB": store].merging(environment) { $1 })
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = work.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func findings(_ annex: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: annex + "/findings.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(document["findings"] as? [[String: Any]])
    }

    func indicatorCount() throws -> String {
        let stats = try spoor(["intel", "stats"]).stdout
        return stats.split(separator: "\n").first { $0.hasPrefix("Indicators:") }.map(String.init) ?? stats
    }

    // 1. A benign list is never an accusation.

    @Test func aWarninglistLargerThanAFirstReadIsStillAWarninglist() throws {
        // MISP writes its keys sorted: the entries come first, name and type after them, so a
        // large list holds neither in its first 64 KiB. About 1.5 MB, like public-dns-v4.
        var entries: [String] = []
        for a in 0..<256 {
            for b in stride(from: 0, to: 256, by: 1) where entries.count < 60_000 { entries.append("\"198.18.\(a).\(b)/32\"") }
        }
        entries.append("\"dns.example\"")
        let list = """
            {
              "description": "Synthetic resolvers",
              "list": [
                \(entries.joined(separator: ",\n    "))
              ],
              "matching_attributes": ["ip-dst"],
              "name": "Synthetic public resolvers",
              "type": "cidr",
              "version": 20240101
            }
            """
        let path = try write("list.json", list)
        #expect(list.utf8.count > 1_000_000)
        let imported = try spoor(["intel", "import", path])
        #expect(
            imported.stdout.contains(
                "(warninglist): Synthetic public resolvers version 20240101, as of 2024-01-01, cidr, 60000 entries"),
            "\(imported.stdout.prefix(300))")
        #expect(!imported.stdout.contains("not a valid domain"))
        #expect(try indicatorCount() == "Indicators: 0", "a warninglist adds no indicator")
    }

    @Test func everySharedWarninglistImportsAsAWarninglist() throws {
        guard let shared = Fixtures.sharedTestdata?.appendingPathComponent("warninglists") else { return }
        let lists = try FileManager.default.contentsOfDirectory(atPath: shared.path).sorted()
            .map { shared.appendingPathComponent($0).appendingPathComponent("list.json").path }
            .filter { FileManager.default.fileExists(atPath: $0) }
        #expect(lists.count >= 10)
        for list in lists {
            let imported = try spoor(["intel", "import", list])
            #expect(imported.status == 0 && imported.stdout.contains("(warninglist)"), "\(list): \(imported.stdout.prefix(200))")
        }
        #expect(try indicatorCount() == "Indicators: 0")
    }

    @Test func aGuessedImportThatIsMostlyUnreadableKeepsNothing() throws {
        // JSON that is neither STIX, MISP nor a warninglist is not read as a plain list.
        let json = try write("other.json", "{\"entries\": [\"198.51.100.1\", \"not an indicator\"]}\n")
        let refused = try spoor(["intel", "import", json])
        #expect(refused.status == 2 && refused.stderr.contains("not a recognised indicator format"), "\(refused.stderr)")
        // A text file with one readable line among many unreadable ones.
        let text = try write("notes.txt", "meeting notes\n198.51.100.1\nsee the attached report\ncall back on monday\n")
        let mostly = try spoor(["intel", "import", text])
        #expect(mostly.status == 2)
        #expect(mostly.stderr.contains("not imported: read as list, 3 of 4 values were unreadable"), "\(mostly.stderr)")
        #expect(try indicatorCount() == "Indicators: 0", "the one readable line is not kept as a stray indicator")
        // Named explicitly, the user's choice stands.
        #expect(try spoor(["intel", "import", text, "--format", "list"]).status == 3)
        #expect(try indicatorCount() == "Indicators: 1")
    }

    // 2. Visitors of a public web server are nobody's account.

    @Test func webServerVisitorsAreNotOneAccountsSessions() throws {
        // 60 visitors from three countries at the same minutes: a busy public site.
        var lines: [String] = []
        for minute in 0..<20 {
            for (n, net) in ["192.0.2", "198.51.100", "203.0.113"].enumerated() {
                let ip = "\(net).\(minute + 1)"
                lines.append(
                    "\(ip) - - [01/Mar/2024:10:\(String(format: "%02d", minute)):0\(n) +0000] \"GET /news/ HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\""
                )
            }
        }
        let log = try write("access.log", lines.joined(separator: "\n") + "\n")
        let mmdb = try Fixtures.testGeoDatabase(
            rows: ["192.0.2.0/24,64496,NL,false", "198.51.100.0/24,64500,BR,false", "203.0.113.0/24,64511,KE,false"], in: work)
        let caseDir = work.appendingPathComponent("case").path
        #expect(try spoor(["case", "init", caseDir]).status == 0)
        #expect(try spoor(["ingest", caseDir, log]).status == 0)
        #expect(try spoor(["analyze", caseDir, "--mmdb", mmdb, "--no-intel"]).status == 0)
        let annex = work.appendingPathComponent("annex").path
        #expect(
            try spoor(["report", caseDir, "--out", annex, "--pdf", "none", "--generated-at", "2024-04-01T00:00:00Z"]).status == 0)
        let rules = Set(try findings(annex).compactMap { $0["rule"] as? String })
        #expect(rules.isDisjoint(with: ["simultaneous_sessions", "new_access", "change_after_login"]), "\(rules)")
        let events = try spoor(["events", caseDir, "--format", "jsonl"]).stdout.split(separator: "\n")
        #expect(events.count == 60)
        #expect(events.allSatisfy { $0.contains("\"session\":null") }, "web requests get no account session")
    }

    // 5. A change is paired with the login of its own session only.

    @Test func aChangeIsSetAgainstTheLoginOfItsOwnSessionOnly() throws {
        let history = """
            When,From,Who,What
            2024-03-05T08:00:00Z,198.51.100.10,alice,login
            2024-03-05T17:20:00Z,203.0.113.5,alice,session_active
            2024-03-05T17:20:00Z,203.0.113.5,alice,password_change
            2024-03-06T09:00:00Z,198.51.100.10,alice,login
            2024-03-06T09:10:00Z,,alice,email_change

            """
        let csv = try write("history.csv", history)
        let caseDir = work.appendingPathComponent("case").path
        #expect(try spoor(["case", "init", caseDir]).status == 0)
        #expect(
            try spoor(["ingest", caseDir, csv, "--format", "csv", "--map", "time=When,ip=From,account=Who,action=What"]).status
                == 0)
        #expect(try spoor(["analyze", caseDir, "--no-intel"]).status == 0)
        let annex = work.appendingPathComponent("annex").path
        #expect(
            try spoor(["report", caseDir, "--out", annex, "--pdf", "none", "--generated-at", "2024-04-01T00:00:00Z"]).status == 0)
        let changes = try findings(annex).filter { $0["rule"] as? String == "change_after_login" }
        // The password change 560 minutes after the login, from another address in another
        // session, is not paired with it; the addressless e-mail change 10 minutes after a
        // login is, at medium, saying how it was placed.
        #expect(changes.count == 1, "\(changes.map { $0["statement"] ?? "" })")
        let only = try #require(changes.first)
        #expect(only["severity"] as? String == "medium")
        let statement = only["statement"] as? String ?? ""
        #expect(statement.contains("followed 10 minute(s) later by an e-mail change"))
        #expect(statement.contains("names no address, so it is set against the latest login before it"))
    }

    // 6. One sshd attempt is one failure.

    @Test func oneSSHAttemptIsOneFailureAndEveryClientIsKept() throws {
        let caseDir = work.appendingPathComponent("case").path
        #expect(try spoor(["case", "init", caseDir]).status == 0)
        #expect(try spoor(["ingest", caseDir, Fixtures.path("openssh/auth-attempts.log"), "--year", "2023"]).status == 0)
        let events = try spoor(["events", caseDir, "--format", "jsonl"]).stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let failures = events.filter { $0["action"] as? String == "login_failed" }
        // By hand: webmaster (line 6), root (lines 10, 11, and 12 twice), test (line 14 alone),
        // deploy (line 16, no Failed line before the publickey login), oracle (line 18).
        #expect(failures.reduce(0) { $0 + ($1["count"] as? Int ?? 1) } == 8)
        let webmaster = try #require(failures.first { $0["account"] as? String == "webmaster" })
        #expect(webmaster["raw_action"] as? String == "Failed password")
        #expect((webmaster["fields"] as? [String: String])?["supporting_lines"] == "2,5")
        let supporting = events.filter { ($0["fields"] as? [String: String])?["failure_line"] != nil }
        #expect(supporting.count == 3, "Invalid user and PAM lines of attempts that had a Failed line")
        #expect(
            events.contains {
                $0["ip"] as? String == "198.51.100.61" && $0["raw_action"] as? String == "Did not receive identification string"
            })
    }

    // 4. A year Spoor inferred is stated; dates that cannot be right are flagged; re-reading works.

    @Test func anInferredYearIsStatedAndAFileCanBeReadAgainWithAnotherYear() throws {
        let log = work.appendingPathComponent("auth.log")
        try FileManager.default.copyItem(atPath: Fixtures.path("openssh/auth-attempts.log"), toPath: log.path)
        // A copy dated far ahead: the year taken from it puts the attack after the ingest.
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(400 * 86_400)], ofItemAtPath: log.path)
        let caseDir = work.appendingPathComponent("case").path
        #expect(try spoor(["case", "init", caseDir]).status == 0)
        let first = try spoor(["ingest", caseDir, log.path])
        #expect(first.stderr.contains("note: The log's dates have no year;"), "\(first.stderr)")
        #expect(first.stderr.contains("was taken for its first line from the file's modification time"))
        #expect(first.stderr.contains("record(s) are dated after this ingest"))
        let skipped = try spoor(["ingest", caseDir, log.path, "--year", "2023"])
        #expect(skipped.stderr.contains("already in the case (--replace reads it again)"))
        let again = try spoor(["ingest", caseDir, log.path, "--year", "2023", "--replace"])
        #expect(again.status == 0)
        #expect(!again.stderr.contains("no year;") && !again.stderr.contains("dated after"), "\(again.stderr)")
        #expect(again.stderr.contains("Read again with --replace at") && again.stderr.contains("(--year 2023)"))
        let info = try spoor(["case", "info", caseDir]).stdout
        #expect(info.contains("history: Read again with --replace"), "\(info)")
        let events = try spoor(["events", caseDir, "--format", "jsonl"]).stdout.split(separator: "\n")
        #expect(events.count == 14, "one reading, not two")
        #expect(events.allSatisfy { $0.contains("year 2023 given by the examiner") }, "\(events.first ?? "")")

        // Read with the inferred year, the annex says so beside the item.
        let other = work.appendingPathComponent("case2").path
        #expect(try spoor(["case", "init", other]).status == 0)
        _ = try spoor(["ingest", other, log.path])
        let annex = work.appendingPathComponent("annex").path
        #expect(
            try spoor(["report", other, "--out", annex, "--pdf", "none", "--generated-at", "2024-04-01T00:00:00Z"]).status == 0)
        let html = try String(contentsOfFile: annex + "/report.html", encoding: .utf8)
        #expect(
            html.contains("<strong>note:</strong> The log&#39;s dates have no year;")
                || html.contains("<strong>note:</strong> The log's dates have no year;"))
        #expect(html.contains("record(s) are dated after this annex was written (2024-04-01T00:00:00Z)"))
    }

    // 3. A printer that fails costs the PDF only.

    @Test func aFailingPrinterLeavesTheRestOfTheAnnexAndTheManifestSaysWhy() throws {
        let bin = work.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let fake = bin.appendingPathComponent("weasyprint").path
        try "#!/bin/sh\necho 'out of memory' >&2\nexit 1\n".write(toFile: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake)
        let caseDir = work.appendingPathComponent("case").path
        #expect(try spoor(["case", "init", caseDir]).status == 0)
        _ = try spoor(["ingest", caseDir, Fixtures.path("web/access-combined.log")])
        #expect(try spoor(["analyze", caseDir, "--no-intel"]).status == 0)
        let annex = work.appendingPathComponent("annex").path
        let path = bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let report = try spoor(["report", caseDir, "--out", annex, "--pdf", "weasyprint"], environment: ["PATH": path])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stderr.contains("No report.pdf: weasyprint exited with status 1"), "\(report.stderr)")
        for file in ["report.html", "findings.json", "manifest.json", "events.csv"] {
            #expect(FileManager.default.fileExists(atPath: annex + "/" + file), "\(file)")
        }
        #expect(!FileManager.default.fileExists(atPath: annex + "/report.pdf"))
        let manifest = try String(contentsOfFile: annex + "/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"pdf_missing\" : \"weasyprint exited with status 1"), "\(manifest.prefix(400))")
        #expect(try spoor(["verify", annex]).status == 0, "the annex without its PDF still verifies")
    }

    // 7. Sharing keeps provenance and invents none.

    @Test func exportsKeepTheTLPAndNameTheSharerAndAnUnnamedPublisherIsSaidToBeUnnamed() throws {
        let csv = try write(
            "lab.csv", "value,source,tlp\n203.0.113.0/24,Example Lab,amber\n198.51.100.9,Example Lab,amber+strict\n")
        #expect(try spoor(["intel", "import", csv]).status == 0)
        let stix = try spoor(["intel", "export", "--format", "stix", "--generated-at", "2024-06-01T00:00:00Z"]).stdout
        let objects = try #require(
            (try JSONSerialization.jsonObject(with: Data(stix.utf8)) as? [String: Any])?["objects"] as? [[String: Any]])
        let amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
        let red = "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
        let markings = objects.filter { $0["type"] as? String == "marking-definition" }
        #expect(Set(markings.compactMap { $0["id"] as? String }) == [amber, red])
        #expect(markings.allSatisfy { $0["definition_type"] as? String == "tlp" })
        let indicators = objects.filter { $0["type"] as? String == "indicator" }
        let range = try #require(indicators.first { ($0["pattern"] as? String)?.contains("203.0.113.0/24") == true })
        #expect(range["object_marking_refs"] as? [String] == [amber])
        let strict = try #require(indicators.first { ($0["pattern"] as? String)?.contains("198.51.100.9") == true })
        #expect(strict["object_marking_refs"] as? [String] == [red], "AMBER+STRICT is marked RED, never loosened")
        #expect((strict["description"] as? String)?.contains("TLP:AMBER+STRICT at the source") == true)
        let refused = try spoor(["intel", "export", "--format", "misp"])
        #expect(refused.status == 64 && refused.stderr.contains("needs --organisation"))
        let misp = try spoor(["intel", "export", "--format", "misp", "--organisation", "Example Helpline"]).stdout
        #expect(misp.contains("\"name\" : \"Example Helpline\"") && !misp.contains("Spoor export"))
        #expect(misp.contains("\"name\" : \"tlp:amber\""))
        // STIX read back keeps the TLP.
        let bundle = try write("bundle.json", stix)
        let second = work.appendingPathComponent("second.sqlite").path
        #expect(try runSpoor(["intel", "import", bundle, "--intel-db", second]).status == 0)
        let back = try runSpoor(["intel", "export", "--format", "csv", "--intel-db", second]).stdout
        #expect(back.contains(",amber,") && back.contains(",amber+strict,"), "\(back)")

        // A list imported without --source: the file's name is not cited as its publisher.
        let list = try write("ips.txt", "203.0.113.77\n")
        let imported = try spoor(["intel", "import", list])
        #expect(imported.stdout.contains("publisher not stated in the file"), "\(imported.stdout)")
        let caseDir = work.appendingPathComponent("case").path
        #expect(try spoor(["case", "init", caseDir]).status == 0)
        let access = try write(
            "access.log", "203.0.113.77 - - [01/Mar/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"x\"\n")
        _ = try spoor(["ingest", caseDir, access])
        let analyze = try spoor(["analyze", caseDir])
        #expect(analyze.stdout.contains("reported by a publisher not named at import (ips.txt:1)"), "\(analyze.stdout)")
        #expect(!analyze.stdout.contains("reported by ips.txt"))
    }

    // 8. Redaction covers the case's own words.

    @Test func aRedactedAnnexDoesNotCarryTheCaseTitleOrReference() throws {
        let caseDir = work.appendingPathComponent("case").path
        #expect(
            try spoor([
                "case", "init", caseDir, "--title", "Takeover of Jane Roe's account", "--reference", "HL-ROE-7", "--examiner",
                "B. Analyst",
            ]).status == 0)
        _ = try spoor(["ingest", caseDir, Fixtures.path("web/access-combined.log")])
        #expect(try spoor(["analyze", caseDir, "--no-intel"]).status == 0)
        let annex = work.appendingPathComponent("shared").path
        #expect(
            try spoor(["report", caseDir, "--out", annex, "--redact", "--pdf", "none", "--generated-at", "2024-04-01T00:00:00Z"])
                .status == 0)
        for file in try FileManager.default.contentsOfDirectory(atPath: annex) {
            let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: annex + "/" + file)), as: UTF8.self)
            #expect(!text.contains("Roe") && !text.contains("HL-ROE-7"), "\(file)")
        }
        let html = try String(contentsOfFile: annex + "/report.html", encoding: .utf8)
        #expect(html.contains("Redacted case case-") && html.contains("B. Analyst"))
    }

    // 9. Errors say where, a first run works, operations keep their names.

    @Test func warningsNameTheArchiveMemberAndAnalysisRunsWithoutAnIndicatorStore() throws {
        let zip = work.appendingPathComponent("export.zip")
        try ZipBuilder([
            .init(
                "logs/access.log",
                text: "198.51.100.7 - - [01/Mar/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"x\"\nnot a log line\n")
        ]).write(to: zip)
        let caseDir = work.appendingPathComponent("case").path
        #expect(try spoor(["case", "init", caseDir]).status == 0)
        let ingest = try spoor(["ingest", caseDir, zip.path])
        #expect(ingest.stderr.contains("export.zip!logs/access.log:2: "), "\(ingest.stderr)")
        let missing = work.appendingPathComponent("never-made.sqlite").path
        let analyze = try spoor(["analyze", caseDir], environment: ["SPOOR_INTEL_DB": missing])
        #expect(analyze.status == 0, "\(analyze.stderr)")
        #expect(analyze.stderr.contains("No indicator store at") && analyze.stderr.contains("no indicators were loaded"))

        let ual = try write(
            "ual.csv",
            "CreationDate,UserIds,Operations,AuditData\n2024-03-01T10:00:00Z,alice@example.org,Set-Mailbox,\"{\"\"ClientIP\"\":\"\"203.0.113.8\"\",\"\"Operation\"\":\"\"Set-Mailbox\"\"}\"\n"
        )
        #expect(try spoor(["ingest", caseDir, ual]).status == 0)
        let table = try spoor(["events", caseDir]).stdout
        #expect(table.contains("other: Set-Mailbox"), "\(table)")
    }
}
