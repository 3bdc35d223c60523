import Foundation
import PropertyBased
import SpoorCore
import Testing

@Suite struct JSONTextReadingTests {
    /// Strings drawn from letters, digits, spaces, quotes, backslashes, control characters and
    /// non-ASCII text, so both the fast path and its refusals are exercised.
    static let pieces = ["a", "Z", "0", " ", "\"", "\\", "\n", "\u{1}", "é", "😀", ":", ",", "{", "}", "/"]
    static let text = Gen.int(in: 0...(pieces.count - 1)).array(of: 0...6).map { $0.map { pieces[$0] }.joined() }
    /// Keys and values taken in turn from one list of strings.
    static let objects = text.array(of: 0...10).map { strings -> [String: String] in
        var fields: [String: String] = [:]
        for i in stride(from: 0, to: strings.count - 1, by: 2) where fields[strings[i]] == nil {
            fields[strings[i]] = strings[i + 1]
        }
        return fields
    }

    @Test func aFlatObjectReadsBackAsWrittenOrIsLeftToTheFullDecoder() async {
        await propertyCheck(count: 3000, input: Self.objects) { fields in
            let written = JSONText.object(fields)
            let decoded = try? JSONDecoder().decode([String: String].self, from: Data(written.utf8))
            #expect(decoded == fields)
            if let fast = JSONText.flatStrings(written) {
                #expect(fast == fields, "\(written)")
            } else {
                // Refused only when some key or value needed an escape.
                #expect(
                    fields.contains { !($0.key + $0.value).utf8.allSatisfy { $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C } },
                    "\(written)")
            }
        }
    }

    @Test(arguments: [
        "", "{", "{\"a\":1}", "{\"a\":\"b\",}", "{\"a\":\"b\"} ", "{\"a\" :\"b\"}", "[\"a\"]", "{\"a\":\"b\"\"c\":\"d\"}",
    ])
    func otherShapesAreRefused(_ text: String) {
        #expect(JSONText.flatStrings(text) == nil)
    }

    @Test func positionsReadBackAsTheStoreWritesThem() {
        let positions: [Locator.Position] = [
            .line(1), .line(123_456_789), .row(7), .packet(number: 3, offset: 184), .packet(number: 0, offset: 0),
        ]
        for position in positions {
            let locator = Locator(evidenceSHA256: "", path: "", member: nil, position: position)
            #expect(Locator.Position.fromPositionJSON(locator.positionJSON) == position)
        }
        for other in [
            #"{"json_pointer":"/a"}"#, #"{"line":-1}"#, #"{"line":1.5}"#, #"{"offset":1,"packet":}"#, #"{"path":"x","line":1}"#,
        ] {
            #expect(Locator.Position.fromPositionJSON(other) == nil, "\(other)")
        }
    }
}
