import Foundation
import SpoorTestSupport
import Testing

/// Who held an address on the day: two registry snapshots in which a netblock changes holder,
/// and records before, between and after them. `lookup --at`, the findings and the annex give
/// the same answer, from the same engine.
@Suite struct HeldAtTests {
    static func snapshot(org: String, name: String, asn: Int) -> String {
        """
        inetnum:        198.51.100.0 - 198.51.100.255
        netname:        SYNTH-NET
        org:            ORG-S1-TEST
        source:         TEST

        organisation:   ORG-S1-TEST
        org-name:       \(org)
        source:         TEST

        route:          198.51.100.0/24
        origin:         AS\(asn)
        source:         TEST

        aut-num:        AS\(asn)
        as-name:        \(name)
        source:         TEST

        """
    }

    static func store(in folder: URL) throws -> String {
        let store = folder.appendingPathComponent("intel.sqlite").path
        for (date, org, name, asn) in [
            ("2023-05-28", "Example Hosting", "EXAMPLE-AS", 64500), ("2024-06-01", "Other Net", "OTHER-AS", 64501),
        ] {
            let file = folder.appendingPathComponent("ripe-\(date).db")
            try Data(Self.snapshot(org: org, name: name, asn: asn).utf8).write(to: file)
            let imported = try runSpoor(["registry", "import", file.path, "--as-of", date, "--intel-db", store])
            #expect(imported.status == 0, "\(imported.stderr)")
        }
        return store
    }

    @Test func lookupAtADaySaysWhoHeldItThenAndWhetherThatChanged() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = try Self.store(in: folder)
        func held(_ day: String) throws -> String {
            let result = try runSpoor(["lookup", "198.51.100.8", "--at", day, "--intel-db", store])
            #expect(result.status == 0, "\(result.stderr)")
            return result.stdout.split(separator: "\n").first { $0.contains("then/now:") }.map(String.init) ?? result.stdout
        }
        let between = try held("2023-06-01")
        #expect(
            between.contains(
                "On 2023-06-01 this address was in 198.51.100.0 - 198.51.100.255, held by Example Hosting (AS64500 EXAMPLE-AS) (registry snapshot of 2023-05-28, 4 days before); by 2024-06-01 it was in 198.51.100.0 - 198.51.100.255, held by Other Net (AS64501 OTHER-AS)."
            ), "\(between)")
        let before = try held("2023-01-01")
        #expect(
            before.contains(
                "No registry snapshot precedes 2023-01-01: the earliest, of 2023-05-28 (147 days later), has this address in 198.51.100.0 - 198.51.100.255, held by Example Hosting"
            ) && before.contains("is not known from these snapshots; by 2024-06-01 it was"), "\(before)")
        let after = try held("2024-07-01")
        #expect(
            after.contains(
                "held by Other Net (AS64501 OTHER-AS) (registry snapshot of 2024-06-01, 30 days before); no later snapshot is held."
            ),
            "\(after)")
        let json = try runSpoor(["lookup", "198.51.100.8", "--at", "2023-06-01", "--json", "--intel-db", store]).stdout
        #expect(
            json.contains("\"held_at\":{") && json.contains("\"changed\":true") && json.contains("\"days_before\":4"), "\(json)")
        let bad = try runSpoor(["lookup", "198.51.100.8", "--at", "2023-02-30", "--intel-db", store])
        #expect(bad.status != 0 && bad.stderr.contains("not a date"), "\(bad.stderr)")
    }

    @Test func theFindingsAndTheAnnexSayWhoHeldTheAddressOnTheDayOfItsRecords() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = try Self.store(in: folder)
        #expect(try runSpoor(["intel", "add", "198.51.100.0/24", "--source", "Example Lab", "--intel-db", store]).status == 0)
        let path = folder.appendingPathComponent("case").path
        let log = folder.appendingPathComponent("auth.log")
        try Data(
            """
            2023-01-10T08:00:01Z web01 sshd[100]: Accepted password for synth from 198.51.100.7 port 50000 ssh2
            2023-06-01T09:00:00Z web01 sshd[101]: Accepted password for synth from 198.51.100.8 port 50001 ssh2
            2024-07-01T10:00:00Z web01 sshd[102]: Accepted password for synth from 198.51.100.9 port 50002 ssh2

            """.utf8
        ).write(to: log)
        #expect(try runSpoor(["case", "init", path, "--title", "held"]).status == 0)
        #expect(try runSpoor(["ingest", path, log.path]).status == 0)
        let analysed = try runSpoor(["analyze", path, "--intel-db", store])
        #expect(analysed.status == 0, "\(analysed.stderr)")
        let lines = analysed.stdout.split(separator: "\n").map(String.init)
        func finding(_ address: String) -> String { lines.first { $0.contains("indicator") && $0.contains(address) } ?? "" }
        #expect(
            finding("198.51.100.7").contains(
                "No registry snapshot precedes 2023-01-10, the day of its first record here: the earliest, of 2023-05-28 (138 days later), has 198.51.100.7 in"
            ), "\(analysed.stdout)")
        #expect(
            finding("198.51.100.8").contains("On 2023-06-01, the day of its first record here, 198.51.100.8 was in"),
            "\(analysed.stdout)")
        #expect(finding("198.51.100.8").contains("by 2024-06-01 it was in 198.51.100.0 - 198.51.100.255, held by Other Net"))
        #expect(!finding("198.51.100.9").contains("registry snapshot"), "the latest snapshot agrees: nothing to add")

        let annex = folder.appendingPathComponent("annex").path
        #expect(try runSpoor(["report", path, "--out", annex, "--pdf", "none"]).status == 0)
        let page = try String(contentsOfFile: annex + "/report.html", encoding: .utf8)
        #expect(
            page.contains(
                "<li class=\"hit\">Then and now: On 2023-06-01, the day of its first record here, this address was in 198.51.100.0 - 198.51.100.255, held by Example Hosting"
            ))
        #expect(
            page.contains(
                "<li>Then and now: On 2024-07-01, the day of its first record here, this address was in 198.51.100.0 - 198.51.100.255, held by Other Net"
            ))
    }
}
