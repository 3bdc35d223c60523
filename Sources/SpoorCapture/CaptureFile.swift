import Foundation

/// An open packet-capture file (pcap or pcapng) read through libpcap.
///
/// One owner for the libpcap handle: `close()` is safe to call twice, and `deinit` closes a
/// file that was not closed. Flow and name extraction build on ``nextPacket()``.
public final class CaptureFile {
    /// The version string of the libpcap Spoor is linked against, for reports.
    public static var libraryVersion: String { PcapCalls.libraryVersion() }

    public let path: String
    private var handle: OpaquePointer?
    /// Packets returned so far; the number of the last one.
    public private(set) var packetsRead = 0

    /// Opens a capture read-only.
    /// - Throws: ``PcapError/cannotOpen(path:libpcapMessage:)`` with libpcap's own text.
    public init(path: String) throws(PcapError) {
        self.path = path
        switch PcapCalls.openOffline(path) {
        case .success(let h): handle = h
        case .failure(let error): throw error
        }
    }

    deinit { close() }

    /// Whether the file is a classic pcap (not pcapng, not a stream): its record offsets can be
    /// computed.
    public var isClassicPcap: Bool {
        guard path != "-", let file = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? file.close() }
        let magic = [UInt8]((try? file.read(upToCount: 4)) ?? Data())
        let known: [[UInt8]] = [
            [0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0xC3, 0xD4], [0x4D, 0x3C, 0xB2, 0xA1], [0xA1, 0xB2, 0x3C, 0x4D],
        ]
        return known.contains(magic)
    }

    public func close() {
        if let handle { PcapCalls.close(handle) }
        handle = nil
    }

    /// The link-layer type number (`DLT_…`), for ``PacketDecoder``.
    public var linkType: Int32 {
        guard let handle else { return -1 }
        return PcapCalls.linkType(handle)
    }

    /// A link-layer type number's libpcap name.
    public static func linkTypeName(_ type: Int32) -> String { PcapCalls.linkTypeName(type) }

    /// The link-layer type's libpcap name (`EN10MB`, `LINUX_SLL2`, `RAW`).
    public var linkTypeName: String {
        guard let handle else { return "closed" }
        return PcapCalls.linkTypeName(PcapCalls.linkType(handle))
    }

    /// Reads the remaining packets without copying them: `body` gets each packet's header and
    /// bytes (valid during the call only) and returns false to stop.
    /// - Throws: ``PcapError/readFailed(path:packet:libpcapMessage:)`` at a damaged record; the
    ///   packets handed over before it stay valid.
    public func forEachPacket(_ body: (PacketHeader, UnsafeRawBufferPointer) -> Bool) throws(PcapError) {
        guard let handle else { return }
        var number = packetsRead
        let message = PcapCalls.forEach(handle, classicFile: isClassicPcap && packetsRead == 0) {
            seconds, nanoseconds, original, offset, bytes in
            number += 1
            let header = PacketHeader(
                number: number, seconds: seconds, nanoseconds: nanoseconds, originalLength: original, offset: offset)
            return body(header, bytes)
        }
        packetsRead = number
        if let message { throw PcapError.readFailed(path: path, packet: packetsRead + 1, libpcapMessage: message) }
    }

    /// The next packet, or nil at the end of the file.
    /// - Throws: ``PcapError/readFailed(path:packet:libpcapMessage:)`` naming the packet number
    ///   after the last good one; packets read before it stay valid.
    public func nextPacket() throws(PcapError) -> Packet? {
        guard let handle else { return nil }
        switch PcapCalls.next(handle) {
        case .packet(let seconds, let nanoseconds, let captured, let original, let bytes):
            packetsRead += 1
            return Packet(
                number: packetsRead, seconds: seconds, nanoseconds: nanoseconds,
                capturedLength: captured, originalLength: original, bytes: bytes)
        case .end:
            return nil
        case .error(let message):
            throw PcapError.readFailed(path: path, packet: packetsRead + 1, libpcapMessage: message)
        }
    }
}

/// A packet's place and time, without its bytes.
public struct PacketHeader: Sendable, Hashable {
    /// 1-based position in the file.
    public var number: Int
    public var seconds: Int64
    public var nanoseconds: Int32
    /// The length on the wire (the captured bytes may be fewer).
    public var originalLength: Int
    /// The byte offset of the packet's record in the file (-1 when reading a stream).
    public var offset: Int64

    /// Nanoseconds since 1970.
    public var time: Int64 { seconds &* 1_000_000_000 &+ Int64(nanoseconds) }
}

/// One captured packet as libpcap hands it over.
public struct Packet: Sendable, Hashable {
    /// 1-based position in the file.
    public let number: Int
    public let seconds: Int64
    public let nanoseconds: Int32
    public let capturedLength: Int
    public let originalLength: Int
    public let bytes: [UInt8]
}

/// Errors reading captures; each names the file, and the packet where one is involved.
public enum PcapError: Error, Hashable, CustomStringConvertible {
    case cannotOpen(path: String, libpcapMessage: String)
    case readFailed(path: String, packet: Int, libpcapMessage: String)

    /// libpcap's own words, without the file name.
    public var libpcapMessage: String {
        switch self {
        case .cannotOpen(_, let message), .readFailed(_, _, let message): return message
        }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let path, let message): return "\(path): libpcap cannot open it: \(message)"
        case .readFailed(let path, let packet, let message): return "\(path): packet \(packet): \(message)"
        }
    }
}
