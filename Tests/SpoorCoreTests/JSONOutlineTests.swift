import SpoorCore
import Testing

@Suite struct JSONOutlineTests {
    @Test func readsTheTopLevelKeysWhereverTheySit() throws {
        let text =
            #"{"list": ["a", {"name": "inner"}, "b\"]"], "n": 1.5e3, "ok": true, "none": null, "name": "x", "type": "cidr"}"#
        let outline = try #require(JSONOutline.read(Array(text.utf8)))
        #expect(outline.members.map(\.key) == ["list", "n", "ok", "none", "name", "type"])
        #expect(outline["list"] == .array && outline["n"] == .number && outline["ok"] == .bool && outline["none"] == .null)
        #expect(outline["name"] == .string, "the nested name does not count")
    }

    @Test func refusesWhatIsNotAnObject() {
        #expect(JSONOutline.read(Array("[1, 2]".utf8)) == nil)
        #expect(JSONOutline.read(Array("198.51.100.1\n".utf8)) == nil)
        #expect(JSONOutline.read(Array(#"{"list": [1, 2"#.utf8)) == nil, "cut short")
        #expect(JSONOutline.read(Array(#"{"a" 1}"#.utf8)) == nil)
        #expect(JSONOutline.read([0xEF, 0xBB, 0xBF] + Array(" {}".utf8))?.members.isEmpty == true)
    }
}
