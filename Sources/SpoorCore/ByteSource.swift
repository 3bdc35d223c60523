/// A forward-only stream of bytes: an evidence file, an archive member, standard input.
/// Parsers read evidence through this so they never see how it is stored.
public protocol ByteSource: AnyObject {
    /// Reads up to `maxLength` bytes. An empty result means the end of the stream.
    /// - Throws: the storage's error, carrying the path it was reading.
    func read(upTo maxLength: Int) throws -> [UInt8]
}

/// Bytes held in memory: fixtures, small archive members.
public final class MemoryByteSource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public convenience init(_ text: String) { self.init(Array(text.utf8)) }

    public func read(upTo maxLength: Int) throws -> [UInt8] {
        let end = min(bytes.count, offset + maxLength)
        defer { offset = end }
        return Array(bytes[offset..<end])
    }
}

/// Raised when a whole-document format is larger than Spoor reads into memory.
public struct SourceTooLarge: Error, CustomStringConvertible {
    public let limit: Int
    public var description: String { "larger than \(limit) bytes, the most read into memory for this format" }
}

extension ByteSource {
    /// Reads the rest of the source, for formats that must be read whole (JSON documents).
    /// - Throws: ``SourceTooLarge`` past `limit` bytes, or the source's own error.
    public func readAll(limit: Int = 1 << 30) throws -> [UInt8] {
        var bytes: [UInt8] = []
        while true {
            let chunk = try read(upTo: 1 << 20)
            if chunk.isEmpty { return bytes }
            bytes.append(contentsOf: chunk)
            if bytes.count > limit { throw SourceTooLarge(limit: limit) }
        }
    }
}
