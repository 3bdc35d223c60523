import Foundation
import PropertyBased
import SpoorStore
import SpoorCore
import SpoorIntel
import SpoorTestSupport
import Testing

@Suite struct IndicatorParsingTests {
    func parsed(_ raw: String, _ type: IndicatorType? = nil) -> (Indicator, [Indicator.Note])? {
        try? Indicator.parse(raw, type: type).get()
    }

    @Test func canonicalisesAddressesAndNetworks() {
        #expect(parsed("2001:DB8:00AA::1")?.0 == parsed("2001:db8:aa::1")?.0)
        #expect(parsed("2001:DB8:00AA::1")?.0.value == "2001:db8:aa::1")
        #expect(parsed("192.0.2.130/25")?.0.value == "192.0.2.128/25")
        #expect(parsed("192.0.2.130/25")?.1 == [.hostBitsCleared])
        #expect(parsed("::ffff:198.51.100.1", .ipv6)?.0.type == .ipv4)
    }

    @Test func undoesDefanging() throws {
        let (indicator, notes) = try #require(parsed("198.51.100[.]8"))
        #expect(indicator.value == "198.51.100.8")
        #expect(notes.contains(.refanged))
        #expect(parsed("hxxps://evil[.]example[.]com/login")?.0.value == "https://evil.example.com/login")
    }

    @Test func retypesIPLiteralsPublishedAsDomains() {
        let result = parsed("192.0.2.99", .domain)
        #expect(result?.0.type == .ipv4)
        #expect(result?.1.contains(.retyped) == true)
    }

    @Test func readsASNsAndDomains() {
        #expect(parsed("AS64500")?.0.value == "AS64500")
        #expect(parsed("asn 64501", .asn)?.0.value == "AS64501")
        #expect(parsed("64502", .asn)?.0.value == "AS64502")
        #expect(parsed("Evil.Example.NET.", .domain)?.0.value == "evil.example.net")
        #expect(parsed("*.example.org", .domain)?.0.value == "example.org")
    }

    @Test func refusesWhatIsNotAnIndicator() {
        #expect(parsed("not an indicator") == nil)
        #expect(parsed("192.0.2.300", .ipv4) == nil)
        #expect(parsed("bad domain.example", .domain) == nil)
        #expect(parsed("", nil) == nil)
    }
}

@Suite struct IndicatorMatcherTests {
    func matcher(_ values: [String]) -> IndicatorMatcher {
        IndicatorMatcher(
            values.enumerated().compactMap { i, v in
                (try? Indicator.parse(v, type: nil).get()).map { (Int64(i), $0.0) }
            })
    }

    @Test func returnsEveryContainingNetworkNotOnlyTheMostSpecific() throws {
        let m = matcher(["203.0.113.0/24", "203.0.113.0/26", "203.0.113.7", "203.0.0.0/16", "198.51.100.0/24", "203.0.113.7/32"])
        #expect(Set(m.matches(try #require(IPAddress("203.0.113.7")))) == [0, 1, 2, 3, 5])
        #expect(Set(m.matches(try #require(IPAddress("203.0.113.200")))) == [0, 3])
        #expect(m.matches(try #require(IPAddress("192.0.2.1"))).isEmpty)
        #expect(
            Set(m.matches(try #require(IPAddress("::ffff:203.0.113.7")))) == [0, 1, 2, 3, 5], "mapped addresses match as IPv4")
    }

    @Test func matchesIPv6NetworksApartFromIPv4() throws {
        let m = matcher(["2001:db8::/32", "2001:db8:aa::/48", "0.0.0.0/0"])
        #expect(Set(m.matches(try #require(IPAddress("2001:db8:aa::1")))) == [0, 1])
        #expect(Set(m.matches(try #require(IPAddress("2001:db9::1")))) == [])
        #expect(Set(m.matches(try #require(IPAddress("192.0.2.1")))) == [2])
    }

    @Test func matchesASNsAndDomainSuffixes() {
        let m = matcher(["AS64500", "example.net", "login.example.org"])
        #expect(m.matches(asn: 64500) == [0])
        #expect(m.matches(asn: 64501).isEmpty)
        #expect(m.matches(domain: "mail.EXAMPLE.net.") == [1])
        #expect(m.matches(domain: "example.org").isEmpty)
        #expect(m.matches(domain: "a.login.example.org") == [2])
    }

    @Test func agreesWithCheckingEveryIndicatorInTurn() async {
        // Random nested and disjoint networks inside 198.51.100.0/24, random probes.
        let networks = zip(Gen.uint8(), Gen.int(in: 24...32)).array(of: 1...40)
        await propertyCheck(count: 300, input: networks, Gen.uint8()) { specs, probe in
            let nets = specs.compactMap { host, length in
                IPNetwork(containing: IPAddress(v4: 0xC633_6400 | UInt32(host)), prefixLength: length)
            }
            let m = IndicatorMatcher(
                nets.enumerated().map { i, n in
                    (Int64(i), try! Indicator.parse(n.description, type: .cidr).get().0)
                })
            let address = IPAddress(v4: 0xC633_6400 | UInt32(probe))
            let expected = Set(nets.indices.filter { nets[$0].contains(address) }.map(Int64.init))
            #expect(Set(m.matches(address)) == expected)
        }
    }
}

@Suite struct IndicatorStoreTests {
    func store() throws -> IndicatorStore {
        try IndicatorStore(path: try Fixtures.temporaryDirectory().appendingPathComponent("intel.sqlite").path)
    }

    func importFixture(_ store: IndicatorStore, source: String? = nil) throws -> ImportReport {
        let bytes = try Fixtures.bytes("intel/mixed.csv")
        return try store.importIndicators(
            MemoryByteSource(bytes), format: .csv, fileName: "mixed.csv", sha256: "test", defaultSource: source)
    }

    @Test func importsCSVByHeaderNamesAndListsEverySkippedRowWithWhy() throws {
        let store = try store()
        let report = try importFixture(store)
        #expect(report.added == ["cidr": 2, "ipv4": 3, "ipv6": 1, "asn": 1, "domain": 1])
        #expect(report.skipped.count == 4)
        let reasons = report.skipped.map(\.reason).joined(separator: "\n")
        #expect(reasons.contains("cannot tell what kind of indicator"))
        #expect(reasons.contains("unreadable date '2024-13-45'"))
        #expect(reasons.contains("confidence must be 0–100"))
        #expect(reasons.contains("unknown type 'hash'"))
        #expect(report.skipped.first?.location.contains("row 9") == true)
        #expect(report.notes["defanged notation undone"] == 1)
        #expect(report.notes["host bits cleared"] == 1)
    }

    @Test func keepsProvenanceFieldsAsPublished() throws {
        let store = try store()
        _ = try importFixture(store)
        let records = try store.records()
        let cidr = try #require(records.first { $0.indicator.value == "203.0.113.0/24" })
        let p = try #require(cidr.provenance.first)
        #expect(p.source == "Example Lab")
        #expect(p.reference == "https://lab.example.org/r/1")
        #expect(p.firstSeen == "2024-01-15")
        #expect(p.confidence == 80)
        #expect(p.tags == ["phishing", "infra"])
        #expect(p.origin == "mixed.csv row 1")
        let v6 = try #require(records.first { $0.indicator.type == .ipv6 })
        #expect(v6.provenance.first?.firstSeen == "2024-02-01T10:00:00Z")
    }

    @Test func keepsOneProvenanceRecordPerSourceAndNeverOverwrites() throws {
        let store = try store()
        let cidr = try #require(try? Indicator.parse("203.0.113.0/24", type: nil).get().0)
        #expect(try store.add(cidr, provenance: Provenance(source: "Lab A", reference: "report 1")))
        #expect(try store.add(cidr, provenance: Provenance(source: "Lab B", reference: "report 9")))
        #expect(try store.add(cidr, provenance: Provenance(source: "Lab A", reference: "report 1")) == false)
        let record = try #require(try store.records().first)
        #expect(record.provenance.map(\.source) == ["Lab A", "Lab B"])
        let again = try importFixture(store)
        #expect(again.addedTotal == 8)
        let twice = try importFixture(store)
        #expect(twice.addedTotal == 0)
        #expect(twice.alreadyPresent == 8)
    }

    @Test func contentHashDependsOnContentNotOnImportOrder() throws {
        let a = try store()
        let b = try store()
        let one = try #require(try? Indicator.parse("192.0.2.1", type: nil).get().0)
        let two = try #require(try? Indicator.parse("AS64500", type: nil).get().0)
        try a.add(one, provenance: Provenance(source: "S", reference: "r"))
        try a.add(two, provenance: Provenance(source: "T"))
        try b.add(two, provenance: Provenance(source: "T"))
        try b.add(one, provenance: Provenance(source: "S", reference: "r"))
        #expect(try a.statistics().contentHash == b.statistics().contentHash)
        try b.add(one, provenance: Provenance(source: "U"))
        #expect(try a.statistics().contentHash != b.statistics().contentHash)
    }

    @Test func compilesAMatcherFromTheStore() throws {
        let store = try store()
        _ = try importFixture(store)
        let matcher = try store.matcher()
        let hits = try store.records(ids: matcher.matches(try #require(IPAddress("203.0.113.200"))))
        #expect(hits.map(\.indicator.value) == ["203.0.113.0/24"])
        #expect(try store.records(ids: matcher.matches(asn: 64500)).first?.indicator.value == "AS64500")
    }

    @Test func readsPlainListsWithComments() throws {
        let store = try store()
        let list = "# published list\n198.51.100.30\n\n203.0.113.0/28  # a range\nnot-a-thing\n"
        let report = try store.importIndicators(
            MemoryByteSource(list), format: .list, fileName: "list.txt", sha256: "x", defaultSource: "Helpline")
        #expect(report.addedTotal == 2)
        #expect(report.skipped.map(\.location) == ["list.txt:5"])
        #expect(try store.records().allSatisfy { $0.provenance.first?.source == "Helpline" })
    }

    @Test func detectsTheFormat() {
        #expect(IndicatorFormat.detect(fileName: "x.txt", head: Array("value,type\n1.2.3.4,ipv4\n".utf8)) == .csv)
        #expect(IndicatorFormat.detect(fileName: "x.txt", head: Array("192.0.2.1\n".utf8)) == .list)
    }
}
