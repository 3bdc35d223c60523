import Foundation
import SpoorTestSupport
import Testing

/// Dated reference sources besides RPSL: CAIDA pfx2as and as2org snapshots dated by their file
/// names, Tor exit lists judged for the day of an event, two snapshots of one date, and files
/// that state no date or are cut short.
@Suite struct DatedSourcesTests {
    static let fingerprint = "A1B2C3D4E5F60718293A4B5C6D7E8F9012345678"

    /// An exit list that holds 203.0.113.77 and .78 (`listed`) or not, with another exit in it.
    static func torList(downloaded: String, listed: Bool) -> String {
        var text = """
            @type tordnsel 1.0
            Downloaded \(downloaded)
            ExitNode 00112233445566778899AABBCCDDEEFF00112233
            Published 2023-12-31 22:00:00
            LastStatus \(downloaded.prefix(10)) 01:00:00
            ExitAddress 192.0.2.200 \(downloaded.prefix(10)) 01:10:00

            """
        if listed {
            text += """
                ExitNode \(fingerprint)
                Published 2023-12-31 23:00:00
                LastStatus \(downloaded.prefix(10)) 02:00:00
                ExitAddress 203.0.113.77 \(downloaded.prefix(10)) 02:15:00
                ExitAddress 203.0.113.78 \(downloaded.prefix(10)) 02:16:00

                """
        }
        return text
    }

    @Test func pfx2asAndAs2orgSnapshotsAreDatedByTheirFileNamesAndNameTheASHolder() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = folder.appendingPathComponent("intel.sqlite").path
        let pfx2as = folder.appendingPathComponent("routeviews-rv2-20240101-1200.pfx2as")
        try Data("198.51.100.0\t24\t64500\n203.0.113.0\t24\t64501_64502\n2001:db8::\t32\t64500\n".utf8).write(to: pfx2as)
        let as2org = folder.appendingPathComponent("20231201.as-org2info.txt")
        try Data(
            """
            # name: AS Org
            # format:aut|changed|aut_name|org_id|opaque_id|source
            64500|20200101|EXAMPLE-AS|ORG-EX-TEST|abc_TEST|TEST
            # format:org_id|changed|org_name|country|source
            ORG-EX-TEST|20200101|Example Hosting Ltd|NL|TEST

            """.utf8
        ).write(to: as2org)
        let jsonl = folder.appendingPathComponent("20240201.as-org2info.jsonl")
        try Data(
            """
            {"type":"ASN","asn":"64501","changed":"20210101","name":"OTHER-AS","organizationId":"ORG-OT-TEST","opaqueId":"x","source":"TEST"}
            {"type":"Organization","organizationId":"ORG-OT-TEST","changed":"20210101","name":"Other Net","country":"DE","source":"TEST"}

            """.utf8
        ).write(to: jsonl)
        for file in [pfx2as, as2org, jsonl] {
            let imported = try runSpoor(["registry", "import", file.path, "--intel-db", store])
            #expect(imported.status == 0, "\(imported.stdout)\(imported.stderr)")
            #expect(imported.stdout.contains("from the file name"), "\(imported.stdout)")
        }
        let list = try runSpoor(["registry", "list", "--intel-db", store]).stdout
        #expect(
            list.contains("2024-01-01  pfx2as") && list.contains("2023-12-01  as2org") && list.contains("2024-02-01  as2org"),
            "\(list)")

        let looked = try runSpoor(["lookup", "198.51.100.9", "--at", "2024-01-05", "--intel-db", store])
        #expect(looked.status == 0, "\(looked.stderr)")
        #expect(
            looked.stdout.contains(
                "prefix 198.51.100.0/24 AS64500 EXAMPLE-AS of Example Hosting Ltd (AS named by 20231201.as-org2info.txt as of 2023-12-01)"
            ), "\(looked.stdout)")
        #expect(looked.stdout.contains("held by Example Hosting Ltd (AS64500 EXAMPLE-AS)"), "\(looked.stdout)")
        // Several origins: the first is the one answered, all are said.
        let moas = try runSpoor(["lookup", "203.0.113.9", "--json", "--intel-db", store]).stdout
        #expect(
            moas.contains("announced by 2 origins: AS64501, AS64502") && moas.contains("\"origin_name\":\"OTHER-AS\""), "\(moas)")
        #expect(moas.contains("\"origin_organisation\":\"Other Net\""), "\(moas)")
    }

    @Test func dataThatStatesNoDateIsRefusedWithoutAsOf() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = folder.appendingPathComponent("intel.sqlite").path
        let dump = folder.appendingPathComponent("ripe.db.inetnum")
        try Data("inetnum: 198.51.100.0 - 198.51.100.255\nnetname: SYNTH\n\n".utf8).write(to: dump)
        let refused = try runSpoor(["registry", "import", dump.path, "--intel-db", store])
        #expect(
            refused.status != 0 && refused.stderr.contains("states no date") && refused.stderr.contains("--as-of"),
            "\(refused.stderr)")
        #expect(try runSpoor(["registry", "list", "--intel-db", store]).stdout.contains("ripe.db.inetnum") == false)
        let given = try runSpoor(["registry", "import", dump.path, "--as-of", "2024-01-01", "--intel-db", store])
        #expect(given.status == 0, "\(given.stderr)")
    }

    @Test func filesCutShortAreReportedWithTheirLineAndTheRestKept() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = folder.appendingPathComponent("intel.sqlite").path
        let tor = folder.appendingPathComponent("exit-addresses")
        try Data(
            (Self.torList(downloaded: "2024-01-01 03:00:00", listed: true)
                + "ExitNode FFEEDDCCBBAA99887766554433221100FFEEDDCC\nPublished 2024-01-01 00:00:00\n").utf8
        )
        .write(to: tor)
        let torImport = try runSpoor(["registry", "import", tor.path, "--intel-db", store])
        #expect(torImport.status != 0, "\(torImport.stdout)")
        #expect(torImport.stdout.contains("3 kept (3 tor-exit)"), "\(torImport.stdout)")
        #expect(
            torImport.stdout.contains("line 12: exit node FFEEDDCC") && torImport.stdout.contains("cut short"),
            "\(torImport.stdout)")
        #expect(torImport.stdout.contains("as of 2024-01-01, from the the list's Downloaded line") == false)
        #expect(torImport.stdout.contains("from the list's Downloaded line (2024-01-01 03:00:00)"), "\(torImport.stdout)")

        let pfx2as = folder.appendingPathComponent("routeviews-rv2-20240101-1200.pfx2as")
        try Data("198.51.100.0\t24\t64500\n203.0.113.0\t2".utf8).write(to: pfx2as)
        let cut = try runSpoor(["registry", "import", pfx2as.path, "--intel-db", store])
        #expect(cut.status != 0 && cut.stdout.contains("1 kept") && cut.stdout.contains("line 2: not 'prefix"), "\(cut.stdout)")

        let dump = folder.appendingPathComponent("ripe.db.inetnum")
        try Data("inetnum: 198.51.100.0 - 198.51.100.255\nnetname: SYNTH\n\ninetnum: 192.0.2.0 - 192.0.2.255\nnetna".utf8).write(
            to: dump)
        let rpsl = try runSpoor(["registry", "import", dump.path, "--as-of", "2024-01-01", "--intel-db", store])
        #expect(rpsl.status != 0 && rpsl.stdout.contains("line 4: the dump ends without a final newline"), "\(rpsl.stdout)")
    }

    @Test func aTorExitIsJudgedForTheDayOfTheEvent() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = folder.appendingPathComponent("intel.sqlite").path
        for (date, listed) in [("2024-01-01 03:00:00", true), ("2024-03-01 03:00:00", false)] {
            let file = folder.appendingPathComponent("exit-addresses-\(date.prefix(10))")
            try Data(Self.torList(downloaded: date, listed: listed).utf8).write(to: file)
            #expect(try runSpoor(["registry", "import", file.path, "--format", "tor-exits", "--intel-db", store]).status == 0)
        }
        func tor(_ day: String) throws -> String {
            let result = try runSpoor(["lookup", "203.0.113.77", "--at", day, "--intel-db", store])
            return result.stdout.split(separator: "\n").first { $0.contains("tor exit:") }.map(String.init) ?? ""
        }
        #expect(
            try tor("2024-01-02").contains(
                "On 2024-01-02 this address was a Tor exit: the Tor exit list of 2024-01-01 (exit-addresses-2024-01-01), 1 day before, lists it (relay \(Self.fingerprint), seen exiting from it at 2024-01-01 02:15:00 UTC"
            ))
        #expect(
            try tor("2024-03-05").contains(
                "The Tor exit list nearest before 2024-03-05, of 2024-03-01 (exit-addresses-2024-03-01), does not list this address; the list(s) of 2024-01-01 do: it was a Tor exit at another time"
            ))
        #expect(try tor("2023-12-01").contains("No Tor exit list precedes 2023-12-01"))
        #expect(try tor("2024-01-02").contains("identifies the service, not who used it"))
        #expect(
            try runSpoor(["lookup", "198.51.100.1", "--at", "2024-01-02", "--intel-db", store]).stdout.contains("tor exit:")
                == false)

        // In a case: used on the account while an exit, and after it stopped being one.
        let path = try Fixtures.caseFromLog(
            """
            2024-01-02T08:00:01Z web01 sshd[100]: Accepted password for synth from 203.0.113.77 port 50000 ssh2
            2024-03-05T09:00:00Z web01 sshd[101]: Accepted password for synth from 203.0.113.78 port 50001 ssh2

            """, in: folder, title: "tor")
        let analysed = try runSpoor(["analyze", path, "--intel-db", store])
        #expect(analysed.status == 0, "\(analysed.stderr)")
        let lines = analysed.stdout.split(separator: "\n").map(String.init)
        let exit = lines.first { $0.contains("used on the account") && $0.contains("203.0.113.77,") } ?? ""
        #expect(exit.contains("listed as a Tor exit by the Tor exit list of 2024-01-01"), "\(analysed.stdout)")
        let former = lines.first { $0.contains("used on the account") && $0.contains("203.0.113.78,") } ?? ""
        #expect(former.contains("not a Tor exit on the day of its first record, but one at another time"), "\(analysed.stdout)")
        #expect(former.contains("does not list 203.0.113.78"), "\(analysed.stdout)")
    }

    @Test func aVPNWarninglistIsJudgedByItsVersionForTheDay() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = folder.appendingPathComponent("intel.sqlite").path
        // 203.0.113.0/24 is a VPN's in January; by June it has left the list and 198.51.100.0/24 is in it.
        for (version, ranges) in [("20240101", #"["203.0.113.0/24"]"#), ("20240601", #"["198.51.100.0/24"]"#)] {
            let file = folder.appendingPathComponent("vpn-\(version).json")
            try Data(#"{"name": "Example VPN exits", "version": \#(version), "type": "cidr", "list": \#(ranges)}"#.utf8)
                .write(to: file)
            let imported = try runSpoor(["intel", "import", file.path, "--intel-db", store])
            #expect(imported.status == 0 && imported.stdout.contains("as of \(version.prefix(4))-"), "\(imported.stdout)")
        }
        func listed(_ address: String, _ day: String) throws -> String {
            let result = try runSpoor(["lookup", address, "--at", day, "--intel-db", store])
            return result.stdout.split(separator: "\n").first { $0.contains("warninglist:") }.map(String.init) ?? ""
        }
        #expect(
            try listed("203.0.113.9", "2024-02-01").contains(
                "listed in the warninglist Example VPN exits (203.0.113.0/24) by its version of 2024-01-01, 31 days before its first record (its version of 2024-06-01 no longer lists it)"
            ))
        #expect(
            try listed("203.0.113.9", "2024-07-01").contains(
                "not listed in the warninglist Example VPN exits by its version of 2024-06-01, the one for its first record; its version of 2024-01-01 lists it (203.0.113.0/24): listed at another time"
            ))
        #expect(try listed("198.51.100.9", "2023-06-01").contains("not listed"))
        #expect(try listed("198.51.100.9", "2024-06-01").contains("by its version of 2024-06-01, of that day"))
        #expect(try listed("192.0.2.1", "2024-02-01") == "")

        // In a case: on the account while the range was a VPN's, and after it left the list.
        let path = try Fixtures.caseFromLog(
            """
            2024-02-01T08:00:01Z web01 sshd[100]: Accepted password for synth from 203.0.113.77 port 50000 ssh2
            2024-07-01T09:00:00Z web01 sshd[101]: Accepted password for synth from 203.0.113.78 port 50001 ssh2

            """, in: folder, title: "vpn")
        // Each address's first record decides: .77 on 2024-02-01, .78 on 2024-07-01.
        let analysed = try runSpoor(["analyze", path, "--intel-db", store])
        #expect(analysed.status == 0, "\(analysed.stderr)")
        let lines = analysed.stdout.split(separator: "\n").map(String.init)
        let then = lines.first { $0.contains("used on the account") && $0.contains("203.0.113.77,") } ?? ""
        #expect(
            then.contains("listed in the warninglist Example VPN exits (203.0.113.0/24) by its version of 2024-01-01"),
            "\(analysed.stdout)")
        #expect(then.contains("how the access was made, not who made it"), "\(then)")
        let later = lines.first { $0.contains("used on the account") && $0.contains("203.0.113.78,") } ?? ""
        #expect(
            later.contains("not listed in the warninglist Example VPN exits by its version of 2024-06-01"), "\(analysed.stdout)")
        // The annex names each version that answered with its date and hash.
        let annex = folder.appendingPathComponent("annex")
        let reported = try runSpoor(["report", path, "--out", annex.path, "--pdf", "none"])
        #expect(reported.status == 0, "\(reported.stderr)")
        let html = try String(contentsOf: annex.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("Example VPN exits, version 20240101, as of 2024-01-01, SHA-256 <code>"), "warninglist versions")
    }

    @Test func twoSnapshotsOfOneDateAreBothKeptAndNamed() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = folder.appendingPathComponent("intel.sqlite").path
        for (file, holder) in [("a.db", "Example Hosting"), ("b.db", "Other Net")] {
            let url = folder.appendingPathComponent(file)
            try Data("inetnum: 198.51.100.0 - 198.51.100.255\nnetname: SYNTH\ndescr: \(holder)\n\n".utf8).write(to: url)
            #expect(try runSpoor(["registry", "import", url.path, "--as-of", "2024-01-01", "--intel-db", store]).status == 0)
        }
        let looked = try runSpoor(["lookup", "198.51.100.5", "--at", "2024-02-01", "--intel-db", store]).stdout
        #expect(
            looked.contains("held by Other Net") && looked.contains("the other snapshot of that date, a.db, has it"), "\(looked)")
        #expect(looked.contains("held by Example Hosting instead"), "\(looked)")
    }
}

/// Passive DNS: the names an address carried around its records, from a common-output-format
/// file; A, AAAA and PTR kept, other types counted, bad lines named.
@Suite struct PassiveDNSTests {
    @Test func namesAroundTheRecordsAreShownWithTheirFileAndLine() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = folder.appendingPathComponent("intel.sqlite").path
        let file = folder.appendingPathComponent("pdns.jsonl")
        // 2024-01-01 = 1704067200; 2023-01-01 = 1672531200.
        try Data(
            """
            {"rrname":"login-verify.example.","rrtype":"A","rdata":"203.0.113.45","time_first":1704067200,"time_last":1704153600,"count":12}
            {"rrname":"old-name.example","rrtype":"A","rdata":["203.0.113.45"],"time_first":1672531200,"time_last":1672617600,"count":1}
            {"rrname":"45.113.0.203.in-addr.arpa","rrtype":"PTR","rdata":"host45.hosting.example.","time_first":"2023-12-20T00:00:00Z","time_last":"2024-02-01T00:00:00Z"}
            {"rrname":"v6.example","rrtype":"AAAA","rdata":"2001:db8::45","time_first":1704067200,"time_last":1704067200,"count":1}
            {"rrname":"alias.example","rrtype":"CNAME","rdata":"login-verify.example"}
            {"rrname":"broken.example","rrtype":"A","rdata":"not-an-address"}
            {"rrname":"cut.example","rrtype":"A","rd
            """.utf8
        ).write(to: file)
        let imported = try runSpoor(["pdns", "import", file.path, "--intel-db", store])
        #expect(imported.status == 3, "\(imported.stdout)\(imported.stderr)")
        #expect(imported.stdout.contains("4 address record(s) kept; not kept (no address): 1 CNAME"), "\(imported.stdout)")
        #expect(imported.stdout.contains("line 6: broken.example A: rdata is not an address"), "\(imported.stdout)")
        #expect(imported.stdout.contains("line 7: not a JSON object"), "\(imported.stdout)")
        #expect(try runSpoor(["pdns", "list", "--intel-db", store]).stdout.contains("pdns.jsonl  4 record(s)"))

        let looked = try runSpoor(["lookup", "203.0.113.45", "--at", "2024-01-02", "--intel-db", store]).stdout
        #expect(
            looked.contains(
                "passive DNS: login-verify.example (A record, seen 2024-01-01T00:00:00Z to 2024-01-02T00:00:00Z, 12 times; pdns.jsonl line 1)"
            ), "\(looked)")
        #expect(
            looked.contains("host45.hosting.example (PTR name, seen 2023-12-20T00:00:00Z to 2024-02-01T00:00:00Z"), "\(looked)")
        #expect(!looked.contains("old-name.example"), "a year before: not around the day")
        let v6 = try runSpoor(["lookup", "2001:db8::45", "--at", "2024-01-01", "--json", "--intel-db", store]).stdout
        #expect(v6.contains("\"passive_dns\":[{") && v6.contains("\"name\":\"v6.example\""), "\(v6)")

        // In a case's annex.
        let path = try Fixtures.caseFromLog(
            "2024-01-05T08:00:01Z web01 sshd[100]: Accepted password for synth from 203.0.113.45 port 50000 ssh2\n", in: folder,
            title: "pdns")
        #expect(try runSpoor(["analyze", path, "--intel-db", store]).status == 0)
        let annex = folder.appendingPathComponent("annex").path
        #expect(try runSpoor(["report", path, "--out", annex, "--pdf", "none"]).status == 0)
        let page = try String(contentsOfFile: annex + "/report.html", encoding: .utf8)
        #expect(page.contains("Names in passive DNS within 30 days of its records"), "\(page)")
        #expect(page.contains("<code>login-verify.example (A record"), "\(page)")
        #expect(page.contains("<td class=\"mono\">pdns.jsonl</td><td>passive DNS</td>"), "the file is cited with its hash")
    }
}

/// Several builds of one MaxMind-format database given as a folder: the build nearest before the
/// record answers (and alone decides matches); the latest is said when it differs.
@Suite struct DatabaseBuildsTests {
    @Test func theBuildForTheDayAnswersAndTheLatestIsSaid() throws {
        let folder = try Fixtures.temporaryDirectory()
        let builds = folder.appendingPathComponent("asn")
        try FileManager.default.createDirectory(at: builds, withIntermediateDirectories: true)
        for (date, asn, org) in [("2024-01-01", 64500, "Example Hosting"), ("2024-03-01", 64501, "Other Net")] {
            let csv = folder.appendingPathComponent("\(date).csv")
            try Data("network,autonomous_system_number,autonomous_system_organization\n198.51.100.0/24,\(asn),\(org)\n".utf8)
                .write(to: csv)
            let built = try runSpoor([
                "mmdb", "build", csv.path, "--out", builds.appendingPathComponent("asn-\(date).mmdb").path, "--type",
                "Synthetic-ASN", "--build-date", date,
            ])
            #expect(built.status == 0, "\(built.stderr)")
        }
        let store = folder.appendingPathComponent("intel.sqlite").path
        #expect(try runSpoor(["intel", "add", "AS64501", "--source", "Example Lab", "--intel-db", store]).status == 0)

        let looked = try runSpoor(["lookup", "198.51.100.7", "--mmdb", builds.path, "--at", "2024-02-01", "--intel-db", store])
        #expect(looked.status == 0, "\(looked.stderr)")
        #expect(
            looked.stdout.contains(
                "For 2024-02-01 the Synthetic-ASN build asn-2024-01-01.mmdb built 2024-01-01 (31 days before) says AS64500 Example Hosting; the latest, asn-2024-03-01.mmdb built 2024-03-01, says AS64501 Other Net."
            ), "\(looked.stdout)")
        #expect(looked.stdout.contains("indicators: none"), "the AS the latest build names does not match for the day")
        let now = try runSpoor(["lookup", "198.51.100.7", "--mmdb", builds.path, "--intel-db", store]).stdout
        #expect(now.contains("AS64501 Other Net") && now.contains("asn AS64501"), "without a day, the latest build: \(now)")
        let empty = folder.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let refused = try runSpoor(["lookup", "198.51.100.7", "--mmdb", empty.path, "--intel-db", store])
        #expect(refused.status != 0 && refused.stderr.contains("holds no .mmdb file"), "\(refused.stderr)")

        let path = try Fixtures.caseFromLog(
            "2024-02-01T08:00:01Z web01 sshd[100]: Accepted password for synth from 198.51.100.7 port 50000 ssh2\n", in: folder,
            title: "builds")
        let analysed = try runSpoor(["analyze", path, "--mmdb", builds.path, "--intel-db", store])
        #expect(analysed.status == 0, "\(analysed.stderr)")
        #expect(!analysed.stdout.contains("matches its network AS64501"), "\(analysed.stdout)")
        // The March build alone would have matched: the check above can fail.
        let march = builds.appendingPathComponent("asn-2024-03-01.mmdb").path
        let latestOnly = try runSpoor(["analyze", path, "--mmdb", march, "--intel-db", store])
        #expect(latestOnly.stdout.contains("matches its network AS64501"), "\(latestOnly.stdout)")
        #expect(try runSpoor(["analyze", path, "--mmdb", builds.path, "--intel-db", store]).status == 0)
        let annex = folder.appendingPathComponent("annex").path
        #expect(try runSpoor(["report", path, "--out", annex, "--pdf", "none"]).status == 0)
        let page = try String(contentsOfFile: annex + "/report.html", encoding: .utf8)
        #expect(
            page.contains("<li class=\"hit\">Database builds: For 2024-02-01 the Synthetic-ASN build asn-2024-01-01.mmdb"),
            "\(page)")
    }
}

/// A snapshot imported after an analysis: the annex already written stays as it was; analysing
/// again says which findings changed and which reference data is new.
@Suite struct NewSnapshotTests {
    @Test func analysingAgainSaysWhatChangedAndWhy() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = folder.appendingPathComponent("intel.sqlite").path
        let first = folder.appendingPathComponent("ripe-2023-05-28.db")
        try Data(HeldAtTests.snapshot(org: "Example Hosting", name: "EXAMPLE-AS", asn: 64500).utf8).write(to: first)
        #expect(try runSpoor(["registry", "import", first.path, "--as-of", "2023-05-28", "--intel-db", store]).status == 0)
        #expect(try runSpoor(["intel", "add", "198.51.100.0/24", "--source", "Example Lab", "--intel-db", store]).status == 0)
        let path = try Fixtures.caseFromLog(
            "2023-06-01T09:00:00Z web01 sshd[101]: Accepted password for synth from 198.51.100.8 port 50001 ssh2\n", in: folder,
            title: "again")
        #expect(try runSpoor(["analyze", path, "--intel-db", store]).status == 0)
        let annex = folder.appendingPathComponent("annex").path
        #expect(try runSpoor(["report", path, "--out", annex, "--pdf", "none"]).status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: annex + "/findings.json"))
        let manifest = try String(contentsOfFile: annex + "/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"reference_snapshots\"") && manifest.contains("\"file_name\" : \"ripe-2023-05-28.db\""))

        let same = try runSpoor(["analyze", path, "--intel-db", store])
        #expect(
            same.stdout.contains("Since the previous analysis: the same findings, from the same reference data."),
            "\(same.stdout)")

        let second = folder.appendingPathComponent("ripe-2024-06-01.db")
        try Data(HeldAtTests.snapshot(org: "Other Net", name: "OTHER-AS", asn: 64501).utf8).write(to: second)
        #expect(try runSpoor(["registry", "import", second.path, "--as-of", "2024-06-01", "--intel-db", store]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: annex + "/findings.json")) == before, "the annex is not rewritten")
        let again = try runSpoor(["analyze", path, "--intel-db", store])
        #expect(again.stdout.contains("0 finding(s) added, 0 removed, 1 reworded or regraded."), "\(again.stdout)")
        #expect(again.stdout.contains("changed F1 (was F1) indicator_match 198.51.100.8: its statement"), "\(again.stdout)")
        #expect(
            again.stdout.contains("reference data now read: registry rpsl ripe-2024-06-01.db as of 2024-06-01"), "\(again.stdout)"
        )
        #expect(again.stdout.contains("by 2024-06-01 it was in 198.51.100.0 - 198.51.100.255, held by Other Net"))
    }
}
