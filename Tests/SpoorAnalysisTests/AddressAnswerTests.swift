import Foundation
import SpoorStore
import SpoorAnalysis
import SpoorCore
import SpoorIntel
import SpoorTestSupport
import Testing

/// `spoor lookup --json` lines are written from parts encoded once; they must be the bytes the
/// encoder writes for the whole answer.
@Suite struct AddressAnswerTests {
    @Test func linesAreTheEncodersBytesWhateverTheAnswerHolds() throws {
        let folder = try Fixtures.temporaryDirectory()
        let mmdb = try Fixtures.testGeoDatabase(
            rows: ["198.51.100.0/24,64500,ZZ,false", "203.0.113.0/25,64501,ZZ,true", "2001:db8::/32,64502,ZZ,false"], in: folder)
        let second = folder.appendingPathComponent("second")
        try FileManager.default.createDirectory(at: second, withIntermediateDirectories: true)
        let other = try Fixtures.testGeoDatabase(rows: ["198.51.100.0/25,64510,YY,false"], in: second)
        let store = try IndicatorStore(path: folder.appendingPathComponent("intel.sqlite").path)
        _ = try store.importRegistry(
            MemoryByteSource(try Fixtures.bytes("registry/ripe-style.db")), format: .rpsl, fileName: "ripe-style.db",
            sha256: "test", asOf: "2024-01-01", asOfBasis: "given")
        let cidr = try #require(try? Indicator.parse("198.51.100.128/26", type: nil).get().0)
        _ = try store.add(cidr, provenance: Provenance(source: "Lab \"A\" / unit", reference: "report\n1"))
        _ = try store.importWarninglist(
            try Warninglist.read(
                json: Data(#"{"name": "Example cloud", "version": 2, "type": "cidr", "list": ["203.0.113.0/24"]}"#.utf8)),
            sha256: "test")
        let attributor = try Attributor(
            databases: [ReferenceFile(path: mmdb, sha256: "abc"), ReferenceFile(path: other, sha256: "def")], intel: store)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let lines = AddressAnswerJSON(encoder: encoder)
        let inputs = [
            "198.51.100.150", "198.51.100.7", "198.51.100.150", "203.0.113.9", "[2001:db8:4400::1]:443", "192.0.2.1",
            "10.0.0.1", "::1", "not \"an\" address\t\u{1}", "zürich/ǅ", "198.51.100.140:8080", "::ffff:198.51.100.7",
        ]
        var kinds = Set<String>()
        // Twice over: the second pass is answered from the parts kept by the first.
        for input in inputs + inputs {
            let answer = AddressAnswer(input: input, attributor: attributor)
            let expected = String(decoding: try encoder.encode(answer), as: UTF8.self)
            #expect(try lines.line(answer) == expected, "\(input)")
            if !answer.enrichment.isEmpty { kinds.insert("enrichment") }
            if answer.enrichment.count > 1 { kinds.insert("two databases") }
            if !answer.registry.isEmpty { kinds.insert("registry") }
            if !answer.indicators.isEmpty { kinds.insert("indicator") }
            if !answer.warninglists.isEmpty { kinds.insert("warninglist") }
            if answer.error != nil { kinds.insert("error") }
            if answer.specialPurpose != nil { kinds.insert("special") }
        }
        #expect(kinds == ["enrichment", "two databases", "registry", "indicator", "warninglist", "error", "special"])
    }
}
