import Foundation
import SpoorTestSupport
import Testing

/// The casebook from the command line: record a case, recognise it in the next, share the
/// sightings in the field's formats (the STIX bundle through the OASIS validator), read them
/// back at another helpline — and never let the victim's account names or the case's reference out.
@Suite struct CasebookCommandLineTests {
    static let validator = IntelExportCommandLineTests.validator

    /// A case folder with one sshd log, ingested and analysed against `store`.
    static func analysedCase(_ folder: URL, _ name: String, reference: String, log: String, store: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        let file = folder.appendingPathComponent(name + ".log")
        try Data(log.utf8).write(to: file)
        #expect(
            try runSpoor([
                "case", "init", path, "--title", name, "--examiner", "B. Analyst", "--organisation", "Example Helpline",
                "--reference", reference,
            ]).status == 0)
        #expect(try runSpoor(["ingest", path, file.path, "--year", "2024"]).status == 0)
        #expect(try runSpoor(["analyze", path, "--intel-db", store]).status == 0)
        return path
    }

    @Test func aRecordedCaseIsRecognisedSharedAndReadBackWithoutTheVictim() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = folder.appendingPathComponent("intel.sqlite").path
        #expect(try runSpoor(["intel", "add", "203.0.113.45", "--source", "Example Lab", "--intel-db", store]).status == 0)
        let first = try Self.analysedCase(
            folder, "a", reference: "CASE-A-2024",
            log: """
                Jan  5 08:00:01 web01 sshd[100]: Accepted password for ana.victim from 192.0.2.10 port 50000 ssh2
                Jan 20 02:11:19 web01 sshd[200]: Accepted password for ana.victim from 203.0.113.45 port 41872 ssh2
                """, store: store)

        let notYet = folder.appendingPathComponent("empty").path
        #expect(try runSpoor(["case", "init", notYet, "--title", "empty"]).status == 0)
        let refused = try runSpoor(["casebook", "add", notYet, "--intel-db", store])
        #expect(refused.status == 1 && refused.stderr.contains("has not been analysed yet"), "\(refused.stderr)")

        let added = try runSpoor(["casebook", "add", first, "--intel-db", store])
        #expect(added.status == 0 && added.stdout.contains("CASE-A-2024 (C-") && added.stdout.contains("1 address(es) recorded"))
        #expect(try runSpoor(["casebook", "add", first, "--intel-db", store]).stdout.contains("replacing the earlier recording"))
        #expect(try runSpoor(["casebook", "list", "--intel-db", store]).stdout.split(separator: "\n").count == 1)
        #expect(try runSpoor(["casebook", "search", "203.0.113.9", "--intel-db", store]).stdout.contains("203.0.113.45"))

        let second = try Self.analysedCase(
            folder, "b", reference: "CASE-B-2024",
            log: """
                Mar 14 03:40:11 mail02 sshd[300]: Accepted password for other.person from 203.0.113.45 port 40001 ssh2
                """, store: store)
        let findings = try runSpoor(["analyze", second, "--intel-db", store]).stdout
        #expect(findings.contains("[high] 203.0.113.45 was seen in this case as login source"), "\(findings)")
        #expect(findings.contains("Case CASE-A-2024 (C-"))

        // The annex says so in its address section and reference data; redacted, it names the
        // earlier case by pseudonym only.
        let annex = folder.appendingPathComponent("annex-b").path
        #expect(try runSpoor(["report", second, "--out", annex, "--pdf", "none"]).status == 0)
        let page = try String(contentsOfFile: annex + "/report.html", encoding: .utf8)
        #expect(page.contains("Seen in an earlier case: CASE-A-2024 (C-") && page.contains("<h3>Casebook</h3>"))
        let redacted = folder.appendingPathComponent("annex-b-redacted").path
        #expect(try runSpoor(["report", second, "--out", redacted, "--pdf", "none", "--redact"]).status == 0)
        for file in ["report.html", "findings.json"] {
            let text = try String(contentsOfFile: redacted + "/" + file, encoding: .utf8)
            #expect(!text.contains("CASE-A-2024") && text.contains("C-"), "\(file)")
        }

        // Shared: nothing of the victim, and not the case's reference either.
        var exported: [String: String] = [:]
        for format in ["stix", "misp", "csv"] {
            let out = folder.appendingPathComponent("sightings-\(format).json").path
            let written = try runSpoor(["casebook", "export", "--format", format, "--out", out, "--intel-db", store])
            #expect(written.status == 0, "\(written.stderr)")
            exported[format] = try String(contentsOfFile: out, encoding: .utf8)
        }
        for (format, text) in exported {
            for secret in ["ana.victim", "other.person", "CASE-A-2024", "CASE-B-2024", "192.0.2.10"] {
                #expect(!text.contains(secret), "\(format) export holds \(secret)")
            }
            #expect(text.contains("203.0.113.45"), "\(format)")
        }
        #expect(exported["stix"]?.contains("\"type\" : \"sighting\"") == true)
        #expect(exported["misp"]?.contains("\"type\" : \"0\"") == true && exported["misp"]?.contains("Example Helpline") == true)
        let anonymous = try runSpoor(["casebook", "export", "--format", "misp", "--anonymise", "--intel-db", store]).stdout
        #expect(!anonymous.contains("Example Helpline") && !anonymous.contains("Organisation"))
        let storeBytes = try Data(contentsOf: URL(fileURLWithPath: store))
        #expect(storeBytes.range(of: Data("ana.victim".utf8)) == nil, "the casebook keeps no account name")

        let bundle = folder.appendingPathComponent("sightings-stix.json").path
        if FileManager.default.isExecutableFile(atPath: Self.validator) {
            let (status, output) = try runTool(Self.validator, ["--version", "2.1", bundle])
            #expect(status == 0 && output.contains("STIX JSON: Valid"), "\(output.suffix(600))")
        } else {
            #expect(
                ProcessInfo.processInfo.environment["CI"] == nil, "CI must run the STIX validator (Scripts/setup installs it)")
        }

        // MISP's own library reads the sightings.
        let pymisp = Fixtures.packageRoot.appendingPathComponent(".build-tools/pymisp/bin/python").path
        if FileManager.default.isExecutableFile(atPath: pymisp) {
            let (status, output) = try runTool(
                pymisp,
                [
                    "-c",
                    """
                    import json, sys
                    from pymisp import MISPSighting
                    for item in json.load(open(sys.argv[1]))["response"]:
                        s = MISPSighting()
                        s.from_dict(**item)
                        print(s.type, s.value, s.date_sighting, s.source)
                    """, folder.appendingPathComponent("sightings-misp.json").path,
                ])
            #expect(status == 0, "\(output)")
            #expect(
                output.hasPrefix("0 203.0.113.45 1705708800 spoor casebook C-"),
                "a zone-less time is shared by its day: \(output)")
        } else {
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "CI must run PyMISP (Scripts/setup installs it)")
        }

        // Read back into the casebook that wrote them: its own case stays, once.
        for format in ["stix", "misp", "csv"] {
            let own = try runSpoor([
                "casebook", "import", folder.appendingPathComponent("sightings-\(format).json").path, "--intel-db", store,
            ])
            #expect(own.status == 0 && own.stdout.contains("is this casebook's own case CASE-A-2024"), "\(format): \(own.stdout)")
            #expect(try runSpoor(["casebook", "list", "--intel-db", store]).stdout.split(separator: "\n").count == 1)
        }

        // Another helpline reads each format and recognises the address, saying whose sighting it was.
        for format in ["stix", "misp", "csv"] {
            let other = folder.appendingPathComponent("other-\(format).sqlite").path
            let read = try runSpoor([
                "casebook", "import", folder.appendingPathComponent("sightings-\(format).json").path, "--intel-db", other,
            ])
            #expect(read.status == 0 && read.stdout.contains("sighting(s)"), "\(format): \(read.stderr)")
            let seen = try runSpoor(["analyze", second, "--intel-db", other]).stdout
            #expect(
                seen.contains("as reported by Example Helpline") && seen.contains("saw the same address"), "\(format): \(seen)")
        }
        let junk = folder.appendingPathComponent("junk.json")
        try Data("{\"a\": 1}".utf8).write(to: junk)
        let bad = try runSpoor(["casebook", "import", junk.path, "--intel-db", store])
        #expect(bad.status == 2 && bad.stderr.contains("not a sightings file"), "\(bad.stderr)")

        // Withdrawn: gone from search, and from the next analysis.
        #expect(try runSpoor(["casebook", "remove", "CASE-A-2024", "--intel-db", store]).status == 0)
        #expect(try runSpoor(["casebook", "search", "203.0.113.45", "--intel-db", store]).stdout.contains("no case"))
        #expect(!(try runSpoor(["analyze", second, "--intel-db", store]).stdout.contains("was seen in this case")))
        #expect(try runSpoor(["casebook", "remove", "CASE-A-2024", "--intel-db", store]).status == 1)
    }

    /// Two processes record cases into one casebook at the same moment: the second waits for the
    /// first writer (bounded), and both cases are kept whole.
    @Test func twoProcessesRecordingAtOnceBothLand() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = folder.appendingPathComponent("intel.sqlite").path
        #expect(try runSpoor(["intel", "add", "203.0.113.45", "--source", "Example Lab", "--intel-db", store]).status == 0)
        var cases: [String] = []
        for n in 0..<4 {
            cases.append(
                try Self.analysedCase(
                    folder, "c\(n)", reference: "PAR-\(n)",
                    log: "Jan 20 02:11:19 web01 sshd[200]: Accepted password for user\(n) from 203.0.113.45 port 41872 ssh2\n",
                    store: store))
        }
        let processes = cases.map { path -> Process in
            let process = Process()
            process.executableURL = Fixtures.spoorBinary
            process.arguments = ["casebook", "add", path, "--intel-db", store]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            return process
        }
        for process in processes { try process.run() }
        for process in processes { process.waitUntilExit() }
        #expect(processes.allSatisfy { $0.terminationStatus == 0 })
        let listed = try runSpoor(["casebook", "list", "--intel-db", store]).stdout
        #expect((0..<4).allSatisfy { listed.contains("PAR-\($0) (C-") }, "\(listed)")
        #expect(listed.split(separator: "\n").count == 4 && listed.components(separatedBy: "1 address(es)").count == 5)
    }
}
