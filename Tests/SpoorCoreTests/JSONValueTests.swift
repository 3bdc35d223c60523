import Foundation
import SpoorCore
import Testing

@Suite struct JSONValueTests {
    func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(Array(text.utf8)) }

    @Test func readsDocumentsKeepingOrderAndNumberText() throws {
        let value = try parse(#"{"b": 1643700000, "a": [true, null, -1.5e3, "x\u00e9\ud83d\ude00"], "b": "dup"}"#)
        #expect(value.members?.map(\.key) == ["b", "a", "b"])
        #expect(value["b"]?.int64 == 1_643_700_000)
        #expect(value["a"]?.array?[2] == .number("-1.5e3"))
        #expect(value["a"]?.array?[3].string == "xé😀")
    }

    @Test func readsIntegersWrittenAsStrings() throws {
        #expect(try parse(#""1700000000""#).int64 == 1_700_000_000)
        #expect(try parse("12.0").int64 == 12)
    }

    @Test(arguments: [
        (#"{"a": 1 "b": 2}"#, 1, 9, "missing comma"),
        ("{\n  \"a\": [1, 2,\n", 3, 1, "truncated"),
        (#"{"a": "unterminated"#, 1, 20, "truncated"),
        (#"[1, 2] x"#, 1, 8, "after the document"),
        (#"{"a": tru}"#, 1, 7, "expected 'true'"),
    ])
    func saysWhereABrokenDocumentBreaks(_ text: String, _ line: Int, _ column: Int, _ words: String) {
        do throws(JSONParseError) {
            _ = try JSONValue.parse(Array(text.utf8))
            Issue.record("\(text) parsed")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.column == column, "\(error)")
            #expect(error.message.contains(words), "\(error)")
        }
    }

    @Test func refusesNestingDeepEnoughToExhaustTheStack() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { _ = try parse(deep) }
    }

    @Test func escapesPointerTokens() {
        #expect(JSONValue.pointerToken("a/b~c") == "a~1b~0c")
    }
}

@Suite struct JSONTextTests {
    @Test func writesWhatJSONEncoderWrites() throws {
        let evidence = EvidenceItem(path: "/cases/a \"b\"/auth.log", member: "x/y.json", size: 1, sha256: "ab")
        for position in [Locator.Position.line(3), .row(7), .jsonPointer("/a~1b/0"), .packet(number: 9, offset: 1234)] {
            let locator = Locator(evidence: evidence, position: position)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            #expect(locator.jsonText == String(decoding: try encoder.encode(locator), as: UTF8.self))
        }
        let fields = ["b": "line\nbreak \u{1}", "a": "quote \" and \\"]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let parsed = try JSONDecoder().decode([String: String].self, from: Data(JSONText.object(fields).utf8))
        #expect(parsed == fields)
    }
}

@Suite struct LocatorCodingTests {
    /// findings.json is written with snake-case keys and read back converting them; every kind
    /// of position must survive that (a JSON pointer once did not, and `verify --rerun` failed
    /// on every case with an account export).
    @Test func everyPositionRoundTripsThroughSnakeCaseCoding() throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let converting = JSONDecoder()
        converting.keyDecodingStrategy = .convertFromSnakeCase
        let positions: [Locator.Position] = [.line(3), .row(4), .jsonPointer("/a/0/b"), .packet(number: 7, offset: 1927)]
        for position in positions {
            let locator = Locator(evidenceSHA256: "ab", path: "x.zip", member: "m.json", position: position)
            let data = try encoder.encode(locator)
            #expect(try converting.decode(Locator.self, from: data) == locator)
            #expect(try JSONDecoder().decode(Locator.self, from: data) == locator)
        }
    }
}
