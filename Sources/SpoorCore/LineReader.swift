/// Reads a byte source line by line with 1-based line numbers, in constant memory.
///
/// Lines end at `\n`; a trailing `\r` is removed. Bytes that are not UTF-8 become U+FFFD rather
/// than stopping the read. A line longer than ``maximumLineLength`` is cut there and flagged, so a
/// file without newlines cannot exhaust memory.
public struct LineReader {
    public static let maximumLineLength = 1 << 20

    public struct Line {
        public let number: Int
        public let text: String
        /// True when the line was longer than ``LineReader/maximumLineLength`` and was cut.
        public let truncated: Bool
    }

    private let source: any ByteSource
    private var buffer: [UInt8] = []
    private var start = 0
    private var number = 0
    private var atEnd = false
    private var discarding = false

    /// Lines that are not valid UTF-8 are read as ISO-8859-1 (Latin-1) instead of having their
    /// bad bytes replaced: for sources such as RIPE database dumps, which are Latin-1.
    public var latin1Fallback = false

    /// True once the last line was read and it did not end with a newline: a file cut short
    /// (a partial download, a full disk) usually ends so.
    public private(set) var endedMidLine = false

    public init(_ source: any ByteSource) { self.source = source }

    public mutating func next() throws -> Line? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                if discarding {
                    // The rest of a line already returned cut short.
                    start = newline + 1
                    discarding = false
                    continue
                }
                let cut = newline - start > LineReader.maximumLineLength
                let end = cut ? start + LineReader.maximumLineLength : newline
                let line = makeLine(buffer[start..<end], truncated: cut)
                start = newline + 1
                return line
            }
            if buffer.count - start > LineReader.maximumLineLength && !discarding {
                let line = makeLine(buffer[start..<(start + LineReader.maximumLineLength)], truncated: true)
                buffer.removeAll(keepingCapacity: true)
                start = 0
                discarding = true
                return line
            }
            if atEnd {
                guard start < buffer.count, !discarding else { return nil }
                let line = makeLine(buffer[start...], truncated: false)
                start = buffer.count
                endedMidLine = true
                return line
            }
            if discarding {
                buffer.removeAll(keepingCapacity: true)
                start = 0
            } else if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            let chunk = try source.read(upTo: 256 * 1024)
            if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
        }
    }

    private mutating func makeLine(_ bytes: ArraySlice<UInt8>, truncated: Bool) -> Line {
        number += 1
        var slice = bytes
        if slice.last == 0x0D { slice = slice.dropLast() }
        if latin1Fallback, let text = String(validating: slice, as: UTF8.self) {
            return Line(number: number, text: text, truncated: truncated)
        } else if latin1Fallback {
            // Not UTF-8: read as ISO-8859-1, where every byte is the character of that number.
            return Line(
                number: number, text: String(String.UnicodeScalarView(slice.map { Unicode.Scalar($0) })), truncated: truncated)
        }
        return Line(number: number, text: String(decoding: slice, as: UTF8.self), truncated: truncated)
    }
}
