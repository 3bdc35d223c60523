import Foundation
import SpoorTestSupport
import Testing

/// The registry neighbourhood: an organisation with several netblocks and an AS, one netblock
/// holding an indicator and one an earlier case's address; a netblock with no organisation
/// related by its maintainers only; `registry neighbours`, the finding and the annex.
@Suite struct NeighbourhoodTests {
    static let dump = """
        inetnum:        198.51.100.0 - 198.51.100.255
        netname:        SYNTH-HOSTING
        descr:          Synthetic hosting for customers
        org:            ORG-MIN1-TEST
        mnt-by:         SYNTH-MNT
        source:         TEST

        inetnum:        203.0.113.0 - 203.0.113.127
        netname:        SYNTH-MINISTRY-WEB
        descr:          Web servers of the Synthetic Ministry of Interior
        org:            ORG-MIN1-TEST
        source:         TEST

        inetnum:        203.0.113.128 - 203.0.113.255
        netname:        SYNTH-MINISTRY-MAIL
        org:            ORG-MIN1-TEST
        source:         TEST

        inetnum:        192.0.2.0 - 192.0.2.127
        netname:        LONE-NET
        mnt-by:         LONE-MNT
        source:         TEST

        inetnum:        192.0.2.128 - 192.0.2.255
        netname:        LONE-NET-2
        mnt-by:         LONE-MNT
        source:         TEST

        inetnum:        192.0.2.0 - 192.0.2.255
        netname:        RIR-ALLOCATION
        mnt-by:         RIPE-NCC-HM-MNT
        source:         TEST

        organisation:   ORG-MIN1-TEST
        org-name:       Synthetic Ministry Networks
        country:        ZZ
        source:         TEST

        aut-num:        AS64500
        as-name:        SYNTH-MIN-AS
        org:            ORG-MIN1-TEST
        source:         TEST

        route:          198.51.100.0/24
        origin:         AS64500
        source:         TEST

        """

    static func store(in folder: URL) throws -> String {
        let store = folder.appendingPathComponent("intel.sqlite").path
        let file = folder.appendingPathComponent("ripe.db")
        try Data(Self.dump.utf8).write(to: file)
        #expect(try runSpoor(["registry", "import", file.path, "--as-of", "2024-06-01", "--intel-db", store]).status == 0)
        #expect(try runSpoor(["intel", "add", "203.0.113.45", "--source", "Example Lab", "--intel-db", store]).status == 0)
        #expect(try runSpoor(["intel", "add", "198.51.100.7", "--source", "Example Lab", "--intel-db", store]).status == 0)
        return store
    }

    @Test func theOrganisationsOtherNetblocksAreListedWithWhatTheyHold() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = try Self.store(in: folder)
        // An earlier case saw an address in the mail block.
        let earlier = folder.appendingPathComponent("earlier").path
        let log = folder.appendingPathComponent("earlier.log")
        try Data("2024-01-01T00:00:00Z web01 sshd[1]: Accepted password for synth from 203.0.113.200 port 1 ssh2\n".utf8)
            .write(to: log)
        #expect(try runSpoor(["case", "init", earlier, "--title", "earlier"]).status == 0)
        #expect(try runSpoor(["ingest", earlier, log.path]).status == 0)
        #expect(try runSpoor(["analyze", earlier, "--intel-db", store]).status == 0)
        let added = try runSpoor(["casebook", "add", earlier, "--address", "203.0.113.200", "--intel-db", store])
        #expect(added.status == 0, "\(added.stdout)\(added.stderr)")

        let table = try runSpoor(["registry", "neighbours", "198.51.100.7", "--intel-db", store])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(
            table.stdout.contains("organisation ORG-MIN1-TEST: Synthetic Ministry Networks (ZZ), from ripe.db as of 2024-06-01"))
        let rows = table.stdout.split(separator: "\n").map(String.init)
        #expect(
            rows.contains {
                $0.contains("198.51.100.0 - 198.51.100.255") && $0.hasSuffix("holds the target; indicators: ipv4 198.51.100.7")
            }, "\(table.stdout)")
        #expect(
            rows.contains { $0.contains("SYNTH-MINISTRY-WEB — Web servers") && $0.hasSuffix("indicators: ipv4 203.0.113.45") },
            "\(table.stdout)")
        #expect(rows.contains { $0.contains("SYNTH-MINISTRY-MAIL") && $0.contains("casebook: ") }, "\(table.stdout)")
        #expect(rows.contains { $0.contains("aut-num") && $0.contains("AS64500") && $0.contains("holds the target") })
        #expect(!table.stdout.contains("LONE-NET"), "another holder's blocks are not neighbours")
        #expect(
            table.stdout.contains("4 member(s); 2 other than the target's own hold indicators or casebook sightings"),
            "\(table.stdout)")

        // The AS gives the same organisation; JSON carries the members.
        let json = try runSpoor(["registry", "neighbours", "AS64500", "--json", "--intel-db", store]).stdout
        #expect(
            json.contains("\"target\" : \"AS64500\"") && json.contains("\"key\" : \"203.0.113.0 - 203.0.113.127\""), "\(json)")
        // No organisation: the maintainers relate, the registry's own maintainer does not.
        let lone = try runSpoor(["registry", "neighbours", "192.0.2.5", "--intel-db", store]).stdout
        #expect(
            lone.contains("maintainers LONE-MNT") && lone.contains("LONE-NET-2") && !lone.contains("RIR-ALLOCATION"), "\(lone)")
        let bad = try runSpoor(["registry", "neighbours", "not-an-address", "--intel-db", store])
        #expect(bad.status != 0 && bad.stderr.contains("not an address, a CIDR network or an AS number"))
    }

    @Test func aHighFindingAndTheAnnexShowTheNeighbourhood() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = try Self.store(in: folder)
        let path = try Fixtures.caseFromLog(
            "2024-07-02T08:00:01Z web01 sshd[100]: Accepted password for synth from 198.51.100.7 port 50000 ssh2\n", in: folder,
            title: "hood")
        let analysed = try runSpoor(["analyze", path, "--intel-db", store])
        #expect(
            analysed.stdout.contains(
                "The organisation holding 198.51.100.7, Synthetic Ministry Networks (registry snapshot of 2024-06-01), also holds 203.0.113.0 - 203.0.113.127 (SYNTH-MINISTRY-WEB, Web servers of the Synthetic Ministry of Interior), with indicator(s) ipv4 203.0.113.45."
            ), "\(analysed.stdout)")
        let annex = folder.appendingPathComponent("annex").path
        #expect(try runSpoor(["report", path, "--out", annex, "--pdf", "none"]).status == 0)
        let page = try String(contentsOfFile: annex + "/report.html", encoding: .utf8)
        #expect(
            page.contains("<strong>Neighbourhood.</strong> Held by organisation ORG-MIN1-TEST, Synthetic Ministry Networks (ZZ)"))
        #expect(page.contains("<tr class=\"hit\"><td>inetnum</td><td class=\"mono\">203.0.113.0 - 203.0.113.127</td>"), "\(page)")
    }
}
