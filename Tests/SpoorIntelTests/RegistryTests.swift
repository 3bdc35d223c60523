import Foundation
import GRDB
@testable import SpoorStore
import SpoorCore
@testable import SpoorIntel
import SpoorTestSupport
import Testing

/// An address written in a test (the tests name valid ones only).
func ip(_ text: String) -> IPAddress { IPAddress(text) ?? IPAddress(v4: 0) }

@Suite struct RegistryTests {
    static func store() throws -> IndicatorStore {
        try IndicatorStore(path: try Fixtures.temporaryDirectory().appendingPathComponent("intel.sqlite").path)
    }

    static func importFixture(_ store: IndicatorStore, _ name: String, _ format: RegistryFormat, asOf: String) throws
        -> RegistryImportReport
    {
        try store.importRegistry(
            MemoryByteSource(try Fixtures.bytes("registry/\(name)")), format: format, fileName: name, sha256: "test",
            asOf: asOf, asOfBasis: "given")
    }

    @Test func anObjectReadBackFromItsRowIsTheObjectWritten() throws {
        var full = RegistryObject(kind: .inetnum, key: "198.51.100.0 - 198.51.100.255", line: 12)
        full.first = ip("198.51.100.0")
        full.last = ip("198.51.100.255")
        full.asn = 64500
        full.name = "SYNTH \"NET\"\\"
        full.descr = "line\none\ttab \u{1} ünï"
        full.country = "ZZ"
        full.org = "ORG-EX1-TEST"
        full.status = "ASSIGNED PA"
        full.maintainedBy = "A-MNT; B-MNT"
        full.created = "2020-01-01T00:00:00Z"
        full.lastModified = "2024-01-01T00:00:00Z"
        var v6 = RegistryObject(kind: .torExit, key: "A1B2", line: 1)
        v6.first = ip("2001:db8::1")
        v6.last = ip("2001:db8::1")
        let objects = [full, v6, RegistryObject(kind: .organisation, key: "ORG-X", line: 3)]
        let store = try Self.store()
        let read = try store.database.write { db in
            try db.execute(
                sql: """
                    INSERT INTO registry_import (file_name, file_sha256, format, as_of, as_of_basis, imported_at)
                    VALUES ('t', 't', 'rpsl', '2024-01-01', 'given', '2024-01-01T00:00:00Z')
                    """)
            let importID = db.lastInsertedRowID
            let insert = try BoundInsert(
                db,
                sql:
                    "INSERT INTO registry_object (id, import_id, \(RegistryRows.columns)) VALUES (?\(String(repeating: ", ?", count: 16)))"
            )
            for (n, object) in objects.enumerated() {
                try insert.insert { RegistryRows.bind(Int64(n + 1), importID, object, &$0) }
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM registry_object ORDER BY id").compactMap(RegistryRows.object)
        }
        #expect(read == objects)
    }

    @Test func detectsBothFormats() throws {
        #expect(RegistryFormat.detect(head: try Fixtures.bytes("registry/ripe-style.db")) == .rpsl)
        #expect(RegistryFormat.detect(head: try Fixtures.bytes("registry/ip2asn-style.tsv")) == .iptoasn)
        #expect(RegistryFormat.detect(head: Array("time,ip\n1,2\n".utf8)) == nil)
    }

    @Test func keepsRegistryObjectsSkipsPersonalDataAndListsTheUnreadable() throws {
        let store = try Self.store()
        let report = try Self.importFixture(store, "ripe-style.db", .rpsl, asOf: "2024-01-01")
        #expect(report.kept[.inetnum] == 2)
        #expect(report.kept[.inet6num] == 1)
        #expect(report.kept[.organisation] == 1)
        #expect(report.kept[.route] == 1 && report.kept[.route6] == 1 && report.kept[.autNum] == 1)
        #expect(report.skippedKinds == ["person": 1, "role": 1])
        #expect(report.unreadable.count == 1 && report.unreadable[0].line == 78)
    }

    @Test func latin1DumpsKeepTheirLettersAndUTF8StaysUTF8() throws {
        var bytes = Array("organisation:   ORG-LAT1-TEST\norg-name:       M".utf8) + [0xFC] + Array("ller Netz GmbH\n\n".utf8)
        bytes += Array("organisation:   ORG-UTF1-TEST\norg-name:       Zürich Net\n".utf8)
        var names: [String] = []
        try RPSLReader.forEachObject(MemoryByteSource(bytes)) { attributes, _ in
            names += attributes.filter { $0.0 == "org-name" }.map(\.1)
        }
        #expect(names == ["Müller Netz GmbH", "Zürich Net"])
    }

    @Test func answersTheMostSpecificNetblockItsHolderAndTheRouteOrigin() throws {
        let store = try Self.store()
        _ = try Self.importFixture(store, "ripe-style.db", .rpsl, asOf: "2024-01-01")
        let inner = try #require(try store.registryAnswers(for: ip("198.51.100.150")).first)
        #expect(inner.netblock?.name == "EXAMPLE-CUSTOMER")
        #expect(inner.netblock?.descr == "A customer of Example Hosting", "continuation lines join the value")
        #expect(inner.holder == "A customer of Example Hosting", "no org: the description names the holder")
        #expect(inner.originASN == 64500 && inner.originName == "EXAMPLE-AS")
        #expect(inner.source.asOf == "2024-01-01")
        let outer = try #require(try store.registryAnswers(for: ip("198.51.100.7")).first)
        #expect(outer.netblock?.name == "EXAMPLE-NET")
        #expect(outer.holder == "Example Hosting Ltd", "the org's name")
        #expect(
            outer.summary
                == "198.51.100.0 - 198.51.100.255 EXAMPLE-NET (Example Hosting Ltd), route 198.51.100.0/24 AS64500 EXAMPLE-AS of Example Hosting Ltd, as of 2024-01-01"
        )
        let v6 = try #require(try store.registryAnswers(for: ip("2001:db8:4400::1")).first)
        #expect(v6.netblock?.kind == .inet6num && v6.originASN == 64500)
        let mapped = try store.registryAnswers(for: ip("::ffff:198.51.100.7"))
        #expect(mapped.first?.netblock?.name == "EXAMPLE-NET", "IPv4-mapped addresses are looked up as IPv4")
        #expect(try store.registryAnswers(for: ip("192.0.2.1")).isEmpty)
    }

    @Test func iptoasnRangesGiveTheOriginAndEachImportAnswersWithItsDate() throws {
        let store = try Self.store()
        let report = try Self.importFixture(store, "ip2asn-style.tsv", .iptoasn, asOf: "2023-05-01")
        #expect(report.kept[.asnRange] == 4)
        #expect(report.unreadable.map(\.line) == [5])
        _ = try Self.importFixture(store, "ripe-style.db", .rpsl, asOf: "2024-01-01")
        let answers = try store.registryAnswers(for: ip("203.0.113.9"))
        #expect(answers.count == 1)
        #expect(answers[0].originASN == 64502 && answers[0].holder == "EXAMPLE-MOBILE Example Mobile")
        let unrouted = try #require(try store.registryAnswers(for: ip("203.0.113.200")).first)
        #expect(unrouted.originASN == nil, "AS 0 is unrouted space, not an origin")
        #expect(unrouted.netblock?.country == nil)
        let both = try store.registryAnswers(for: ip("2001:db8:4400::1"))
        #expect(both.map(\.source.asOf) == ["2023-05-01", "2024-01-01"])
        #expect(both.map(\.originASN) == [64503, 64500])
    }
}
