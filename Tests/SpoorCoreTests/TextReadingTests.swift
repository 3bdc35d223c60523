import SpoorCore
import Testing

@Suite struct SafeTextTests {
    @Test func escapesTerminalControlSequences() {
        #expect(SafeText.terminal("root\u{1B}[2Jx") == "root\\x1B[2Jx")
        #expect(SafeText.terminal("a\nb") == "a\\nb")
        #expect(SafeText.terminal("evil\u{202E}txt") == "evil\\u{202E}txt")
        #expect(SafeText.excerpt(String(repeating: "a", count: 500), limit: 10) == "aaaaaaaaaa…")
    }

    @Test func escapesHTML() {
        #expect(SafeText.html("<script>alert('x')</script>&\"") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;")
    }

    @Test func defusesSpreadsheetFormulasAndQuotesCSV() {
        #expect(SafeText.csvField("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(SafeText.csvField("plain") == "plain")
        #expect(SafeText.csvField("a,b") == "\"a,b\"")
        #expect(SafeText.csvField("@SUM(A1)") == "'@SUM(A1)")
        // Control characters become visible escapes: no terminal sequence, no line break.
        #expect(SafeText.csvField("a\u{1B}]0;x\u{07}b") == "a\\x1B]0;x\\x07b")
        #expect(SafeText.csvField("line\nbreak,") == "\"line\\nbreak,\"")
        #expect(SafeText.csvField("\u{202E}gpj.exe") == "\\u{202E}gpj.exe")
        #expect(SafeText.csvField("\t=1") == "\\t=1")
    }

    @Test func appendsTheSameFieldItReturns() {
        let pieces = ["a", "=", "+", "-", "@", ",", "\"", "\n", "\u{1B}", "\u{202E}", "é", " ", "x", "\u{7F}", "\u{A0}"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let text = (0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }
                .joined()
            var out: [UInt8] = Array("prefix|".utf8)
            SafeText.appendCSVField(text, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == "prefix|" + SafeText.csvField(text), "\(Array(text.unicodeScalars))")
        }
    }
}

@Suite struct LineReaderTests {
    @Test func numbersLinesAndStripsCarriageReturns() throws {
        var reader = LineReader(MemoryByteSource("one\r\ntwo\n\nlast"))
        var lines: [(Int, String)] = []
        while let line = try reader.next() { lines.append((line.number, line.text)) }
        #expect(lines.map(\.0) == [1, 2, 3, 4])
        #expect(lines.map(\.1) == ["one", "two", "", "last"])
    }

    @Test func replacesInvalidUTF8InsteadOfStopping() throws {
        var reader = LineReader(MemoryByteSource([0x61, 0xFF, 0x62, 0x0A, 0x63]))
        let n1 = try reader.next()
        #expect(n1?.text == "a\u{FFFD}b")
        let n2 = try reader.next()
        #expect(n2?.text == "c")
    }

    @Test func cutsAnOverlongLineAndKeepsCountingAfterIt() throws {
        let long = String(repeating: "x", count: LineReader.maximumLineLength + 5000)
        var reader = LineReader(MemoryByteSource(long + "\nnext\n"))
        let firstRead = try reader.next()
        let first = try #require(firstRead)
        let (truncated, length) = (first.truncated, first.text.utf8.count)
        #expect(truncated)
        #expect(length == LineReader.maximumLineLength)
        let secondRead = try reader.next()
        let second = try #require(secondRead)
        #expect(second.number == 2)
        #expect(second.text == "next")
        let n3 = try reader.next()
        #expect(n3 == nil)
    }
}

@Suite struct CSVReaderTests {
    @Test func readsQuotedFieldsEmbeddedNewlinesAndCRLF() throws {
        let text = "\u{FEFF}a,b,c\r\n1,\"two, with comma\",\"multi\nline\"\r\n\"quote \"\"x\"\"\",,end\n"
        var reader = CSVReader(MemoryByteSource(text))
        let headerRead = try reader.next()
        let header = try #require(headerRead)
        #expect(header.fields == ["a", "b", "c"])
        #expect(header.index == 0)
        let rowRead = try reader.next()
        let row = try #require(rowRead)
        #expect(row.fields == ["1", "two, with comma", "multi\nline"])
        #expect(row.line == 2)
        #expect(row.index == 1)
        let thirdRead = try reader.next()
        let third = try #require(thirdRead)
        #expect(third.fields == ["quote \"x\"", "", "end"])
        #expect(third.line == 4, "the embedded newline counts as a line")
        let n4 = try reader.next()
        #expect(n4 == nil)
    }

    @Test func flagsBrokenQuotingButKeepsReading() throws {
        var reader = CSVReader(MemoryByteSource("a,b\nx\"y,2\n3,4\n"))
        _ = try reader.next()
        let n5 = try reader.next()
        #expect(n5?.malformed == true)
        let n6 = try reader.next()
        #expect(n6?.fields == ["3", "4"])
    }

    @Test func findsColumnsByAliasWhateverTheCaseAndSpacing() {
        let header = CSVHeader(["  First  Seen ", "IP_Address", "value"])
        #expect(header.column(["first_seen"]) == 0)
        #expect(header.column(["ip address"]) == 1)
        #expect(header.column(["missing", "VALUE"]) == 2)
        #expect(header.column(["nothing"]) == nil)
    }
}
