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
