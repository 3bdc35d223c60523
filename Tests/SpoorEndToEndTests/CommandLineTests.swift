import Foundation
import SpoorTestSupport
import Testing

/// Runs the built `spoor` binary on a synthetic case, as an investigator would.
@Suite(.serialized) struct CommandLineTests {
    let work: URL
    let environment: [String: String]

    init() throws {
        work = try Fixtures.temporaryDirectory("spoor-e2e")
        environment = ["SPOOR_INTEL_DB": work.appendingPathComponent("intel.sqlite").path]
    }

    func spoor(_ arguments: String..., input: String? = nil) throws -> ProcessResult {
        try runSpoor(arguments, environment: environment, input: input)
    }

    var caseDir: String { work.appendingPathComponent("case").path }

    func preparedCase() throws {
        #expect(try spoor("case", "init", caseDir, "--title", "E2E", "--examiner", "Tester").status == 0)
        let ingest = try spoor("ingest", caseDir, Fixtures.path("web/access-combined.log"))
        #expect(ingest.status == 3, "one unreadable line gives status 3: \(ingest.stderr)")
        #expect(ingest.stderr.contains("access-combined.log:8: not a Common or Combined log line"))
        #expect(try spoor("ingest", caseDir, Fixtures.path("openssh/auth-rfc3339.log")).status == 0)
        #expect(try spoor("intel", "import", Fixtures.path("intel/mixed.csv")).status == 3, "skipped rows give status 3")
    }

    @Test func eachKindOfStoreFailureHasItsExitStatusAndASentence() throws {
        #expect(try spoor("case", "init", caseDir, "--title", "Twice").status == 0)
        let twice = try spoor("case", "init", caseDir, "--title", "Twice")
        #expect(twice.status == 73 && twice.stderr.contains("already holds a case"), "\(twice)")
        let none = try spoor("analyze", work.path)
        #expect(none.status == 66 && none.stderr.contains("not a Spoor case"), "\(none)")
        try Data(repeating: 0x41, count: 8_192).write(to: URL(fileURLWithPath: caseDir + "/case.sqlite"))
        let damaged = try spoor("case", "info", caseDir)
        #expect(damaged.status == 65 && damaged.stderr.contains("damaged or not a Spoor store"), "\(damaged)")
        #expect(!damaged.stderr.contains("SQLite error"), "\(damaged.stderr)")
        var verbose = environment
        verbose["SPOOR_VERBOSE"] = "1"
        let detailed = try runSpoor(["case", "info", caseDir], environment: verbose)
        #expect(detailed.status == 65 && detailed.stderr.contains("spoor: detail: SQLite error"), "\(detailed.stderr)")
    }

    @Test func runsTheWholeChainFromLogsToReport() throws {
        try preparedCase()
        let analyze = try spoor("analyze", caseDir)
        #expect(analyze.status == 0, "\(analyze.stderr)")
        #expect(analyze.stdout.contains("finding(s)"))
        #expect(analyze.stdout.contains("198.51.100.7"))
        let out = work.appendingPathComponent("report").path
        let report = try spoor("report", caseDir, "--out", out, "--generated-at", "2024-06-01T00:00:00Z")
        #expect(report.status == 0, "\(report.stderr)")
        let findings =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/findings.json")))
            as? [String: Any]
        #expect(findings?["generated_at"] as? String == "2024-06-01T00:00:00Z")
        #expect((findings?["findings"] as? [Any])?.isEmpty == false)
        #expect(FileManager.default.fileExists(atPath: out + "/report.html"))
    }

    @Test func writesTheSameReportTwiceForTheSameInputs() throws {
        try preparedCase()
        _ = try spoor("analyze", caseDir)
        let a = work.appendingPathComponent("a").path
        let b = work.appendingPathComponent("b").path
        _ = try spoor("report", caseDir, "--out", a, "--generated-at", "2024-06-01T00:00:00Z")
        _ = try runSpoor(
            ["report", caseDir, "--out", b], environment: environment.merging(["SOURCE_DATE_EPOCH": "1717200000"]) { $1 })
        for file in ["findings.json", "report.html"] {
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: "\(a)/\(file)"))
                    == Data(contentsOf: URL(fileURLWithPath: "\(b)/\(file)")), "\(file)")
        }
    }

    @Test func printsEventsAsJSONLinesWithTheDocumentedKeys() throws {
        try preparedCase()
        let result = try spoor("events", caseDir, "--format", "jsonl")
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 12)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for key in ["time", "ip", "port", "action", "format", "evidence_sha256", "locator"] {
                #expect(object.keys.contains(key), "\(key) in \(line)")
            }
        }
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["time"] as? String == "2024-05-17T08:05:04Z")
        let locator = try #require(first["locator"] as? [String: Any])
        #expect(locator["line"] as? Int == 2)
        #expect((first["evidence_sha256"] as? String)?.count == 64)
    }

    @Test func printsEventsAsCSVAndTable() throws {
        try preparedCase()
        let csv = try spoor("events", caseDir, "--format", "csv")
        #expect(csv.stdout.hasPrefix("time,time_raw,time_zone,ip,port,action"))
        #expect(csv.stdout.split(separator: "\n").count == 13)
        let table = try spoor("events", caseDir)
        #expect(table.stdout.contains("2001:db8::5"))
        #expect(table.stdout.contains("auth-rfc3339.log:1"))
    }

    @Test func keepsGoingPastABadInputAndSaysSo() throws {
        #expect(try spoor("case", "init", caseDir).status == 0)
        let result = try spoor("ingest", caseDir, "/nonexistent/auth.log", Fixtures.path("openssh/auth-rfc3339.log"))
        #expect(result.status == 2)
        #expect(result.stderr.contains("FAILED    /nonexistent/auth.log"))
        #expect(result.stderr.contains("Summary: 1 ingested"))
    }

    @Test func looksUpAddressesFromArgumentsAndStandardInput() throws {
        _ = try spoor("intel", "import", Fixtures.path("intel/mixed.csv"))
        let result = try spoor("lookup", "--json", "203.0.113.5", "100.64.1.1")
        #expect(result.status == 0)
        let answers = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(answers.first?["address_class"] as? String == "documentation")
        #expect((answers.first?["indicators"] as? [Any])?.count == 1)
        #expect(answers.last?["address_class"] as? String == "shared_address_space")
        let piped = try spoor("lookup", input: "198.51.100.7\nnot-an-ip\n")
        #expect(piped.status == 3)
        #expect(piped.stdout.contains("INDICATOR   ipv4 198.51.100.7"))
        #expect(piped.stdout.contains("not-an-ip: not an IP address"))
    }

    @Test func reportsIndicatorStoreStatistics() throws {
        _ = try spoor("intel", "import", Fixtures.path("intel/mixed.csv"))
        let stats = try spoor("intel", "stats", "--json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        #expect((object["content_hash"] as? String)?.count == 64)
        let list = try spoor("intel", "list")
        #expect(list.stdout.contains("cidr    203.0.113.0/24"))
        #expect(list.stdout.contains("← Example Lab, https://lab.example.org/r/1"))
    }

    @Test func explainsItselfAndRejectsBadArguments() throws {
        let help = try spoor("--help")
        #expect(help.stdout.contains("Exit status"))
        #expect(help.stdout.contains("ingest"))
        let unknown = try spoor("ingest", caseDir, "x.log", "--format", "nope")
        #expect(unknown.status == 64)
        let noCase = try spoor("events", work.appendingPathComponent("nothing").path)
        #expect(noCase.status == 66, "no case: EX_NOINPUT")
        #expect(noCase.stderr.contains("not a Spoor case"))
    }

    @Test func readsAGenericCSVThroughAMappingGivenOnTheCommandLine() throws {
        #expect(try spoor("case", "init", caseDir).status == 0)
        let missing = try spoor("ingest", caseDir, Fixtures.path("generic/vpn-portal.csv"), "--format", "csv")
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("needs --map"))
        let result = try spoor(
            "ingest", caseDir, Fixtures.path("generic/vpn-portal.csv"), "--format", "csv",
            "--map", "time=When,ip=From,account=Who,action=What")
        #expect(result.status == 3, "one row has no readable time: \(result.stderr)")
        let events = try spoor("events", caseDir, "--format", "jsonl")
        #expect(events.stdout.split(separator: "\n").count == 2)
        #expect(events.stdout.contains("\"format\":\"csv\""))
    }
}

/// A capture from the shared corpus ingested into a case: flows listed by `spoor flows`, names
/// and flow ends among the events.
@Suite(.enabled(if: Fixtures.sharedTestdata != nil, "../shared/testdata is absent"))
struct CaptureCommandLineTests {
    @Test func ingestedCaptureGivesFlowsAndNamesWithTheirPackets() throws {
        let capture = (Fixtures.sharedTestdata ?? URL(fileURLWithPath: "/")).appendingPathComponent("pcap/zeek-tls13-ech.pcap")
            .path
        let caseDir = try Fixtures.temporaryDirectory().appendingPathComponent("case").path
        #expect(try runSpoor(["case", "init", caseDir]).status == 0)
        #expect(try runSpoor(["ingest", caseDir, capture]).status == 0)
        let flows = try runSpoor(["flows", caseDir, "--format", "csv"])
        let rows = flows.stdout.split(separator: "\n")
        #expect(rows.count == 4, "a header and three flows")
        #expect(
            rows.contains { $0.contains(",162.159.138.85,443,tcp,") && $0.contains(",SF,") && $0.contains("cloudflare-ech.com") })
        let events = try runSpoor(["events", caseDir, "--format", "jsonl"]).stdout
        #expect(events.contains("\"tls_sni\""))
        #expect(events.contains("\"packet\":4"))
        let direct = try runSpoor(["flows", capture, "--format", "csv"]).stdout
        #expect(direct.split(separator: "\n").count == 4)
        // The same capture on standard input: read directly, and kept in a case as evidence.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: capture))
        let piped = try runSpoor(["flows", "-", "--format", "csv"], inputBytes: bytes).stdout
        #expect(piped.split(separator: "\n").count == 4)
        let second = try Fixtures.temporaryDirectory().appendingPathComponent("piped").path
        #expect(try runSpoor(["case", "init", second]).status == 0)
        let kept = try runSpoor(["ingest", second, "-"], inputBytes: bytes)
        #expect(kept.status == 0)
        let evidence = try FileManager.default.contentsOfDirectory(atPath: second + "/evidence")
        #expect(evidence.count == 1)
        let copy = try Data(contentsOf: URL(fileURLWithPath: second + "/evidence/" + (evidence.first ?? "")))
        #expect(copy == bytes)
        #expect(try runSpoor(["flows", second, "--format", "csv"]).stdout.split(separator: "\n").count == 4)
        // The server's address is a subject "reached as" its TLS server name, and a host-name
        // warninglist naming it is shown as context for the address.
        let store = try Fixtures.temporaryDirectory().appendingPathComponent("i.sqlite").path
        let list = try Fixtures.temporaryFile(
            named: "list.json",
            contents: #"{"name":"Example CDN names","version":1,"type":"hostname","list":["CLOUDFLARE-ECH.com."]}"#)
        #expect(try runSpoor(["intel", "import", list, "--intel-db", store]).status == 0)
        #expect(try runSpoor(["analyze", caseDir, "--intel-db", store]).status == 0)
        let out = try Fixtures.temporaryDirectory().appendingPathComponent("report").path
        #expect(try runSpoor(["report", caseDir, "--out", out]).status == 0)
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(html.contains("Reached as (in captures): <code>cloudflare-ech.com</code>"))
        #expect(html.contains("cloudflare-ech.com (reached as cloudflare-ech.com)"))
    }
}

/// Registry data imported into the reference store answers `lookup` and `analyze`.
@Suite struct RegistryCommandLineTests {
    @Test func importedRegistryDataNamesTheHolderInLookupAndAnalysis() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = folder.appendingPathComponent("intel.sqlite").path
        let imported = try runSpoor([
            "registry", "import", Fixtures.path("registry/ripe-style.db"), "--as-of", "2024-01-01", "--intel-db", store,
        ])
        #expect(imported.status == 3, "one unreadable object in the fixture")
        #expect(imported.stdout.contains("1 × person skipped (personal data, not kept)"))
        let lookup = try runSpoor(["lookup", "198.51.100.7", "--json", "--intel-db", store])
        #expect(lookup.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(lookup.stdout.utf8)) as? [String: Any]
        let registry = (object?["registry"] as? [[String: Any]])?.first
        #expect(registry?["holder"] as? String == "Example Hosting Ltd")
        #expect(registry?["origin_asn"] as? Int == 64500)
        #expect((registry?["source"] as? [String: Any])?["as_of"] as? String == "2024-01-01")
        // A case whose log names that address: the subject carries the registry answer.
        let caseDir = folder.appendingPathComponent("case").path
        let log = folder.appendingPathComponent("auth.log")
        try "Mar  3 10:00:00 host sshd[1]: Accepted password for alice from 198.51.100.7 port 50000 ssh2\n".write(
            to: log, atomically: true, encoding: .utf8)
        #expect(try runSpoor(["case", "init", caseDir]).status == 0)
        #expect(try runSpoor(["ingest", caseDir, log.path, "--year", "2024"]).status == 0)
        #expect(try runSpoor(["analyze", caseDir, "--intel-db", store]).status == 0)
        let out = folder.appendingPathComponent("report").path
        #expect(try runSpoor(["report", caseDir, "--out", out]).status == 0)
        let findings = try String(contentsOfFile: out + "/findings.json", encoding: .utf8)
        #expect(
            findings.contains("\"holder\" : \"Example Hosting Ltd\"") || findings.contains("\"holder\":\"Example Hosting Ltd\""))
    }
}

/// `spoor mmdb build` writes a database `spoor lookup` reads, from CSV.
@Suite struct MMDBBuildCommandLineTests {
    @Test func csvBecomesADatabaseThatLookupAnswersFrom() throws {
        let folder = try Fixtures.temporaryDirectory()
        let csv = folder.appendingPathComponent("asn.csv")
        try
            "network,autonomous_system_number,autonomous_system_organization,extra.nested\n198.51.100.0/24,64500,Example AS,yes\n2001:db8::/32,64501,Example Six,\n"
            .write(to: csv, atomically: true, encoding: .utf8)
        let mmdb = folder.appendingPathComponent("asn.mmdb").path
        let built = try runSpoor([
            "mmdb", "build", csv.path, "--out", mmdb, "--type", "Example-ASN", "--build-date", "2024-01-01",
        ])
        #expect(built.status == 0)
        #expect(built.stdout.contains("Example-ASN, 2 networks"))
        let lookup = try runSpoor(
            ["lookup", "--mmdb", mmdb, "--json", "--intel-db", folder.appendingPathComponent("i.sqlite").path],
            input: "198.51.100.9\n2001:db8::5\n")
        let lines = lookup.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].contains("\"asn\":64500") && lines[0].contains("\"build_date\":\"2024-01-01\""))
        #expect(lines[1].contains("\"asn\":64501"))
        let bad = folder.appendingPathComponent("bad.csv")
        try "network,asn\nnot-a-network,1\n".write(to: bad, atomically: true, encoding: .utf8)
        let refused = try runSpoor([
            "mmdb", "build", bad.path, "--out", folder.appendingPathComponent("bad.mmdb").path, "--type", "X",
        ])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("row 1: 'not-a-network' is not a network"))
    }
}

/// `spoor intel match` screens text as grepcidr does, and `lookup` shows warninglist context.
@Suite struct IntelMatchCommandLineTests {
    @Test func matchingLinesArePrintedWithTheirIndicatorsOrCounted() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = folder.appendingPathComponent("intel.sqlite").path
        let list = folder.appendingPathComponent("list.txt")
        try "198.51.100.0/24\n2001:db8:5::/48\n".write(to: list, atomically: true, encoding: .utf8)
        #expect(
            try runSpoor(["intel", "import", list.path, "--format", "text", "--source", "Example Lab", "--intel-db", store])
                .status == 0)
        let text =
            "login from 198.51.100.7 port 22\nnothing here 10.0.0.1\n[2001:db8:5::17]:443 ok\n::ffff:198.51.100.9\n203.0.113.1\n"
        let matched = try runSpoor(["intel", "match", "--intel-db", store], input: text)
        #expect(matched.status == 0)
        let lines = matched.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0] == "login from 198.51.100.7 port 22\t# 198.51.100.0/24 (Example Lab)")
        #expect(lines[1].hasPrefix("[2001:db8:5::17]:443 ok\t# 2001:db8:5::/48"))
        let counted = try runSpoor(["intel", "match", "--count", "--intel-db", store], input: text)
        #expect(counted.stdout == "3\n")
        let none = try runSpoor(["intel", "match", "--count", "--intel-db", store], input: "192.0.2.1\n")
        #expect(none.status == 1 && none.stdout == "0\n")
        // A warninglist is context in lookup, not an indicator.
        let warninglist = folder.appendingPathComponent("list.json")
        try #"{"name":"Example VPN exits","version":3,"type":"cidr","matching_attributes":["ip-src"],"list":["192.0.2.0/24"]}"#
            .write(to: warninglist, atomically: true, encoding: .utf8)
        let imported = try runSpoor(["intel", "import", warninglist.path, "--intel-db", store])
        #expect(
            imported.stdout.contains(
                "(warninglist): Example VPN exits version 3 (undated: replaces any earlier version), cidr, 1 entries"))
        let lookup = try runSpoor(["lookup", "192.0.2.1", "--intel-db", store])
        #expect(
            lookup.stdout.contains("warninglist: listed in the warninglist Example VPN exits (192.0.2.0/24), version 3 — context")
        )
        #expect(lookup.stdout.contains("indicators: none"))
    }
}

/// Curating by hand, and importing MISP feed folders and MaxMind DBs.
@Suite struct IntelCurationCommandLineTests {
    @Test func addSearchAndRemove() throws {
        let store = try Fixtures.temporaryDirectory().appendingPathComponent("intel.sqlite").path
        let added = try runSpoor([
            "intel", "add", "198.51.100[.]0/24", "--source", "Example Lab", "--reference", "https://example.org/r1",
            "--tlp", "AMBER", "--tag", "apt", "--campaign", "Operation Example", "--valid-from", "2024-01-01", "--intel-db",
            store,
        ])
        #expect(added.status == 0)
        #expect(added.stdout == "cidr 198.51.100.0/24 (defanged notation undone): added, reported by Example Lab\n")
        #expect(
            try runSpoor([
                "intel", "add", "198.51.100.0/24", "--source", "Example Lab", "--reference", "https://example.org/r1",
                "--intel-db", store,
            ])
            .stdout.contains("already held with this provenance"))
        let refused = try runSpoor([
            "intel", "add", "198.51.100.0/24", "--source", "X", "--confidence", "120", "--intel-db", store,
        ])
        #expect(refused.status != 0 && refused.stderr.contains("--confidence must be 0 to 100"))
        let found = try runSpoor(["intel", "search", "198.51.100.77", "--intel-db", store])
        #expect(found.status == 0)
        #expect(found.stdout.contains("cidr    198.51.100.0/24"))
        #expect(
            found.stdout.contains(
                "Example Lab, https://example.org/r1, campaign Operation Example, TLP:AMBER, tags apt, valid 2024-01-01 to …"))
        #expect(try runSpoor(["intel", "search", "192.0.2.1", "--intel-db", store]).status == 1)
        let wrongSource = try runSpoor(["intel", "remove", "198.51.100.0/24", "--source", "Nobody", "--intel-db", store])
        #expect(wrongSource.status == 1)
        let removed = try runSpoor(["intel", "remove", "198.51.100.0/24", "--intel-db", store])
        #expect(removed.stdout.contains("1 provenance record(s) removed; the indicator is gone"))
        #expect(try runSpoor(["intel", "remove", "198.51.100.0/24", "--intel-db", store]).status == 1)
    }

    @Test func importsMISPFeedFoldersAndMaxMindDBsBackFromExports() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = folder.appendingPathComponent("a.sqlite").path
        for args in [
            ["198.51.100.0/24", "--source", "Example Lab", "--reference", "https://example.org/r1"],
            ["2001:db8:5::/48", "--source", "Other Lab"], ["evil.example", "--source", "Other Lab"],
        ] {
            #expect(try runSpoor(["intel", "add"] + args + ["--intel-db", store]).status == 0)
        }
        let feed = folder.appendingPathComponent("feed").path
        let mmdb = folder.appendingPathComponent("x.mmdb").path
        #expect(
            try runSpoor([
                "intel", "export", "--format", "misp-feed", "--out", feed, "--generated-at", "2024-05-01T00:00:00Z",
                "--organisation", "Example Helpline", "--intel-db", store,
            ]).status == 0)
        #expect(
            try runSpoor([
                "intel", "export", "--format", "mmdb", "--out", mmdb, "--generated-at", "2024-05-01T00:00:00Z", "--intel-db",
                store,
            ]).status == 0)
        let other = folder.appendingPathComponent("b.sqlite").path
        let fromFeed = try runSpoor(["intel", "import", feed, "--intel-db", other])
        #expect(fromFeed.status == 0)
        #expect(fromFeed.stdout.contains("(misp-feed): 1 event(s)"))
        #expect(
            fromFeed.stdout.contains("(misp): 3 added (1 cidr, 1 domain, 1 ipv6)")
                || fromFeed.stdout.contains("(misp): 3 added (2 cidr, 1 domain)"))
        let fromMMDB = try runSpoor(["intel", "import", mmdb, "--intel-db", other])
        #expect(fromMMDB.status == 0)
        #expect(fromMMDB.stdout.contains("(mmdb): 2 added (2 cidr)"), "the two networks, with their own sources")
        let listed = try runSpoor(["intel", "search", "198.51.100.1", "--intel-db", other])
        #expect(listed.stdout.contains("← Example Lab, https://example.org/r1"), "provenance read back from the MaxMind DB")
        // A manifest naming a missing event is reported, not silently passed over.
        try FileManager.default.removeItem(
            atPath: feed + "/"
                + (try FileManager.default.contentsOfDirectory(atPath: feed).first {
                    $0.hasSuffix(".json") && $0 != "manifest.json"
                } ?? ""))
        let broken = try runSpoor(["intel", "import", feed, "--intel-db", other])
        #expect(broken.status == 3)
        #expect(broken.stdout.contains("listed in manifest.json but not in the folder"))
    }

    @Test func screensCRLFLinesLongLinesAndALastLineWithoutNewline() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = folder.appendingPathComponent("i.sqlite").path
        #expect(try runSpoor(["intel", "add", "198.51.100.0/24", "--source", "Lab", "--intel-db", store]).status == 0)
        let long = String(repeating: "x", count: 5 << 20) + " 198.51.100.3\n"
        let text = "198.51.100.1\r\n192.0.2.1\r\n" + long + "203.0.113.1\n198.51.100.2"
        let input = folder.appendingPathComponent("in.txt")
        try text.write(to: input, atomically: true, encoding: .utf8)
        let counted = try runSpoor(["intel", "match", input.path, "--count", "--intel-db", store])
        #expect(counted.stdout == "3\n")
        let printed = try runSpoor(["intel", "match", "--intel-db", store], input: "198.51.100.1\r\n192.0.2.1\n198.51.100.2")
        #expect(printed.stdout.split(separator: "\n").map { String($0.prefix(12)) } == ["198.51.100.1", "198.51.100.2"])
    }
}

/// Exports keep what the store holds: each format read back gives the same indicators, and the
/// STIX bundle passes the OASIS validator (installed by Scripts/setup; required under CI).
@Suite struct IntelExportCommandLineTests {
    static let validator = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build-tools/stix-validator/bin/stix2_validator").path

    static func values(_ store: String) throws -> Set<String> {
        let listed = try runSpoor(["intel", "list", "--json", "--intel-db", store]).stdout
        let records = try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: Any]] ?? []
        return Set(
            records.compactMap { ($0["indicator"] as? [String: Any]).flatMap { "\($0["type"] ?? "") \($0["value"] ?? "")" } })
    }

    @Test func everyFormatRoundTripsAndTheSTIXBundleIsValid() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = folder.appendingPathComponent("intel.sqlite").path
        let csv = folder.appendingPathComponent("in.csv")
        try """
        value,type,source,reference,first_seen,confidence,tlp,tags,campaign
        203.0.113.0/24,cidr,Example Lab,https://lab.example/r1,2023-09-14,80,green,c2;vpn,ExampleSpy
        198.51.100.200,ipv4,Example Lab,https://lab.example/r1,2023-09-14,60,amber,c2,
        2001:db8:5::17,ipv6,Example Helpline,case 117,2023-11-02,50,,,
        bad.example.net,domain,Example Helpline,case 117,2023-11-02,50,,,
        http://bad.example.net/login,url,Example Helpline,case 117,2023-11-02,50,,,
        AS64511,asn,Example Lab,https://lab.example/r1,2023-09-14,70,,,

        """.write(to: csv, atomically: true, encoding: .utf8)
        #expect(try runSpoor(["intel", "import", csv.path, "--intel-db", store]).status == 0)
        let original = try Self.values(store)
        #expect(original.count == 6)
        for (format, roundTrips) in [("stix", 6), ("misp", 6), ("csv", 6), ("zeek", 5)] {
            // The validator reads files named *.json only.
            let out = folder.appendingPathComponent("export.\(format)" + (format == "stix" ? ".json" : "")).path
            let exported = try runSpoor(
                [
                    "intel", "export", "--format", format, "--out", out, "--generated-at", "2024-06-01T00:00:00Z", "--intel-db",
                    store,
                ]
                    + (format == "misp" ? ["--organisation", "Example Helpline"] : []))
            #expect(exported.status == 0, "\(format): \(exported.stderr)")
            let second = folder.appendingPathComponent("from-\(format).sqlite").path
            let imported = try runSpoor(["intel", "import", out, "--format", format, "--intel-db", second])
            #expect(imported.status == 0, "\(format): \(imported.stdout)")
            let back = try Self.values(second)
            #expect(back.count == roundTrips && back.isSubset(of: original), "\(format): \(back.sorted())")
        }
        // Filters: only the Example Lab statements marked TLP green.
        let green = try runSpoor(["intel", "export", "--format", "text", "--tlp", "green", "--intel-db", store]).stdout
        #expect(green == "# TLP:GREEN\n203.0.113.0/24\n")
        let since = try runSpoor([
            "intel", "export", "--format", "text", "--since", "2023-10-01", "--type", "domain", "--intel-db", store,
        ]).stdout
        #expect(since == "bad.example.net\n")
        // Reproducible.
        let a = try runSpoor([
            "intel", "export", "--format", "stix", "--generated-at", "2024-06-01T00:00:00Z", "--intel-db", store,
        ]).stdout
        let b = try runSpoor([
            "intel", "export", "--format", "stix", "--generated-at", "2024-06-01T00:00:00Z", "--intel-db", store,
        ]).stdout
        #expect(a == b && a.contains("\"pattern\" : \"[autonomous-system:number = 64511]\""))
        // The OASIS validator.
        let bundle = folder.appendingPathComponent("export.stix.json").path
        if FileManager.default.isExecutableFile(atPath: Self.validator) {
            let (status, output) = try runTool(Self.validator, ["--version", "2.1", bundle])
            #expect(status == 0 && output.contains("STIX JSON: Valid"), "\(output.suffix(600))")
        } else {
            #expect(
                ProcessInfo.processInfo.environment["CI"] == nil, "CI must run the STIX validator (Scripts/setup installs it)")
        }
        // MMDB export: the networks answer with their sources.
        let mmdb = folder.appendingPathComponent("indicators.mmdb").path
        #expect(
            try runSpoor([
                "intel", "export", "--format", "mmdb", "--out", mmdb, "--generated-at", "2024-06-01T00:00:00Z", "--intel-db",
                store,
            ]).status == 0)
        let looked = try runSpoor([
            "lookup", "203.0.113.9", "--mmdb", mmdb, "--json", "--intel-db", folder.appendingPathComponent("none.sqlite").path,
        ]).stdout
        #expect(looked.contains("Spoor-Indicators"))
        // A MISP feed folder.
        let feed = folder.appendingPathComponent("feed").path
        #expect(
            try runSpoor([
                "intel", "export", "--format", "misp-feed", "--out", feed, "--organisation", "Example Helpline", "--intel-db",
                store,
            ]).status == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: feed)
        #expect(files.contains("manifest.json") && files.contains("hashes.csv") && files.count == 3)
    }
}

/// `lookup` and `analyze` attribute through one engine: for the same address, databases and
/// reference store they give the same database answers, registry answers and indicator hits.
@Suite struct LookupAgreesWithAnalysisTests {
    @Test func lookupGivesWhatTheAnnexSaysOfAnAddress() throws {
        let folder = try Fixtures.temporaryDirectory()
        let csv = folder.appendingPathComponent("asn.csv")
        try "network,autonomous_system_number,autonomous_system_organization\n198.51.100.0/24,64500,Example AS\n"
            .write(to: csv, atomically: true, encoding: .utf8)
        let mmdb = folder.appendingPathComponent("asn.mmdb").path
        #expect(
            try runSpoor(["mmdb", "build", csv.path, "--out", mmdb, "--type", "Example-ASN", "--build-date", "2024-01-01"]).status
                == 0)
        let store = folder.appendingPathComponent("intel.sqlite").path
        #expect(
            try runSpoor([
                "registry", "import", Fixtures.path("registry/ripe-style.db"), "--as-of", "2024-01-01", "--intel-db", store,
            ]).status == 3)
        #expect(try runSpoor(["intel", "add", "AS64500", "--source", "Lab A", "--intel-db", store]).status == 0)
        #expect(
            try runSpoor(["intel", "add", "198.51.100.7", "--source", "Lab B", "--first-seen", "2024-03-01", "--intel-db", store])
                .status == 0)
        let caseDir = folder.appendingPathComponent("case").path
        let log = folder.appendingPathComponent("auth.log")
        try "Mar  3 10:00:00 host sshd[1]: Accepted password for alice from 198.51.100.7 port 50000 ssh2\n".write(
            to: log, atomically: true, encoding: .utf8)
        #expect(try runSpoor(["case", "init", caseDir]).status == 0)
        #expect(try runSpoor(["ingest", caseDir, log.path, "--year", "2024"]).status == 0)
        #expect(try runSpoor(["analyze", caseDir, "--mmdb", mmdb, "--intel-db", store]).status == 0)
        let out = folder.appendingPathComponent("report").path
        #expect(try runSpoor(["report", caseDir, "--out", out]).status == 0)
        let findings =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/findings.json")))
            as? [String: Any]
        let subject = try #require(((findings?["subjects"] as? [[String: Any]])?.first)?["subject"] as? [String: Any])
        let looked = try runSpoor(["lookup", "198.51.100.7", "--mmdb", mmdb, "--json", "--intel-db", store])
        #expect(looked.status == 0)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(looked.stdout.utf8)) as? [String: Any])

        func hits(_ list: Any?) -> [String] {
            ((list as? [[String: Any]]) ?? []).map { "\($0["type"] ?? "") \($0["value"] ?? "") by \($0["matched_by"] ?? "")" }
                .sorted()
        }
        #expect(hits(subject["indicator_hits"]) == ["asn AS64500 by asn", "ipv4 198.51.100.7 by address"])
        #expect(hits(answer["indicators"]) == hits(subject["indicator_hits"]))
        func same(_ key: String, _ lookupKey: String) throws {
            let a = try JSONSerialization.data(withJSONObject: subject[key] ?? [], options: .sortedKeys)
            let b = try JSONSerialization.data(withJSONObject: answer[lookupKey] ?? [], options: .sortedKeys)
            #expect(a == b, "\(key)")
        }
        try same("enrichment", "enrichment")
        try same("registry", "registry")
        #expect((subject["registry"] as? [Any])?.isEmpty == false)
    }
}
