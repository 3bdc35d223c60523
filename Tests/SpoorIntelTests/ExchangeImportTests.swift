import Foundation
@testable import SpoorStore
import SpoorCore
@testable import SpoorIntel
import SpoorTestSupport
import Testing

@Suite struct STIXPatternTests {
    @Test func readsComparisonsWrittenAnyWay() {
        #expect(
            STIXPattern.comparisons("[ipv4-addr:value='192.0.2.1']") == [
                .init(path: "ipv4-addr:value", op: "=", value: "192.0.2.1")
            ])
        let compound = STIXPattern.comparisons(
            "[domain-name:value = 'a.example' OR ipv4-addr:value ISSUBSET '198.51.100.0/24'] AND [autonomous-system:number = 64500]"
        )
        #expect(compound.map(\.value) == ["a.example", "198.51.100.0/24", "64500"])
        #expect(compound.map(\.op) == ["=", "ISSUBSET", "="])
        #expect(STIXPattern.comparisons("[url:value = 'http://x.example/it\\'s']").first?.value == "http://x.example/it's")
        #expect(STIXPattern.comparisons("[network-traffic:dst_ref.value != '203.0.113.9']").first?.op == "!=")
    }

    @Test func importsABundleWithProvenanceFromWhatItIndicates() throws {
        let bundle = """
            {"type":"bundle","id":"bundle--1","objects":[
             {"type":"identity","id":"identity--1","name":"Example Lab"},
             {"type":"malware","id":"malware--1","name":"ExampleSpy"},
             {"type":"indicator","id":"indicator--1","created_by_ref":"identity--1","pattern_type":"stix","confidence":80,
              "pattern":"[ipv4-addr:value = '198.51.100.7' OR domain-name:value = '203.0.113.5']","valid_from":"2024-02-01T00:00:00Z",
              "external_references":[{"source_name":"report","url":"https://lab.example/report"}]},
             {"type":"indicator","id":"indicator--2","pattern_type":"sigma","pattern":"x"},
             {"type":"relationship","id":"relationship--1","relationship_type":"indicates","source_ref":"indicator--1","target_ref":"malware--1"}]}
            """
        let read = try STIXImporter.read(Data(bundle.utf8), fileName: "b.json", defaultSource: nil)
        #expect(read.values.count == 2)
        #expect(read.values[0].provenance.source == "Example Lab")
        #expect(read.values[0].provenance.campaign == "ExampleSpy")
        #expect(read.values[0].provenance.reference == "https://lab.example/report")
        #expect(read.values[0].provenance.confidence == 80)
        #expect(read.values[1].type == .domain, "declared as a domain; Indicator.parse retypes the IP literal")
        #expect(read.skipped.map(\.reason) == ["pattern type 'sigma' is not STIX"])
    }
}

/// The STIX bundles and MISP events in ../shared/testdata import with the counts documented
/// there, and what each yields equals the upstream authors' sidecar lists (STIX) or the other
/// export of the same event (MISP JSON and CSV).
@Suite(.enabled(if: Fixtures.sharedTestdata != nil, "../shared/testdata is absent"))
struct ExchangeConformanceTests {
    static let root = Fixtures.sharedTestdata ?? URL(fileURLWithPath: "/")

    static func importFile(_ relative: String, _ format: IndicatorFormat) throws -> (ImportReport, IndicatorStore) {
        let store = try IndicatorStore(path: try Fixtures.temporaryDirectory().appendingPathComponent("intel.sqlite").path)
        let url = root.appendingPathComponent(relative)
        #expect(
            IndicatorFormat.detect(fileName: url.lastPathComponent, head: Array(try Data(contentsOf: url).prefix(4096))) == format
        )
        let report = try store.importIndicators(
            MemoryByteSource([UInt8](try Data(contentsOf: url))), format: format, fileName: url.lastPathComponent, sha256: "t",
            defaultSource: nil)
        return (report, store)
    }

    static func values(_ store: IndicatorStore, _ type: IndicatorType) throws -> Set<String> {
        Set(try store.records().filter { $0.indicator.type == type }.map(\.indicator.value))
    }

    static func sidecar(_ relative: String) throws -> Set<String> {
        Set(
            try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8).split(whereSeparator: \.isNewline)
                .map { $0.trimming(" \t\r") }.filter { !$0.isEmpty })
    }

    @Test func stixBundlesImportWithTheDocumentedCounts() throws {
        let (resident, residentStore) = try Self.importFile("stix/ResidentBat/residentbat.stix2", .stix)
        #expect(resident.added == ["ipv4": 24] && resident.skipped.isEmpty)
        #expect(resident.notes["app:id skipped (not network infrastructure)"] == 8)
        #expect(try Self.values(residentStore, .ipv4) == Self.sidecar("stix/ResidentBat/ip-addresses.txt"))

        let (eagle, eagleStore) = try Self.importFile("stix/2024-12-25_eaglemsgspy/eaglemsgspy.stix2", .stix)
        #expect(eagle.added == ["ipv4": 13, "domain": 13])
        #expect(try Self.values(eagleStore, .ipv4) == Self.sidecar("stix/2024-12-25_eaglemsgspy/ip-addresses.txt"))
        #expect(try Self.values(eagleStore, .domain) == Self.sidecar("stix/2024-12-25_eaglemsgspy/domains.txt"))

        let (novi, noviStore) = try Self.importFile("stix/2024-12-16_serbia_novispy/novispy.stix2", .stix)
        #expect(novi.added == ["ipv4": 7], "IPv4 literals written as domain-name are addresses")
        #expect(try Self.values(noviStore, .ipv4) == Self.sidecar("stix/2024-12-16_serbia_novispy/domains.txt"))

        let (apt1, _) = try Self.importFile("stix/oasis-threat-reports/apt1.json", .stix)
        #expect(apt1.added == ["cidr": 4, "domain": 3])

        let (ivy, _) = try Self.importFile("stix/oasis-threat-reports/poisonivy.json", .stix)
        // 40 IPv4 and 25 domain comparisons: one domain value is malformed upstream ('domain autuo.xicp.net').
        #expect(ivy.addedTotal + ivy.alreadyPresent + ivy.skipped.count == 65)
        #expect(ivy.skipped.count == 1 && ivy.skipped[0].reason.contains("domain autuo.xicp.net"))
        print(
            "STIX conformance: ResidentBat 24 IPv4, EagleMsgSpy 13 IPv4 + 13 domains, NoviSpy 7 IPv4, APT1 4 CIDR + 3 domains, Poison Ivy 65 comparisons"
        )
    }

    @Test func mispJSONAndCSVOfTheSameEventGiveTheSameIndicators() throws {
        for event in ["201909_MissingLink", "201702_NilePhish"] {
            let (json, jsonStore) = try Self.importFile("misp/\(event)/misp.json", .misp)
            let (csv, csvStore) = try Self.importFile("misp/\(event)/iocs.csv", .misp)
            for type in [IndicatorType.ipv4, .domain, .url] {
                #expect(try Self.values(jsonStore, type) == Self.values(csvStore, type), "\(event) \(type)")
            }
            #expect(json.added == csv.added, "\(event)")
        }
        let (link, _) = try Self.importFile("misp/201909_MissingLink/misp.json", .misp)
        // 12 ip-dst, 15 domain, 32 url; one url is malformed upstream ('http//…').
        #expect(link.added == ["ipv4": 12, "domain": 15, "url": 31] && link.skipped.count == 1)
        let (nile, _) = try Self.importFile("misp/201702_NilePhish/misp.json", .misp)
        #expect(nile.added == ["domain": 35, "ipv4": 3])
        #expect(nile.notes["email-src attributes skipped (not network infrastructure)"] == 14)
    }
}
