import Foundation

/// Spoor's own reader of pcapng files, used only where libpcap 1.10 gives up: files whose
/// interfaces differ in link type or snapshot length (libpcap keeps one of each per handle).
/// It walks the blocks (Section Header, Interface Description, Enhanced, Simple and obsolete
/// Packet blocks; others skipped), applies each interface's timestamp resolution and offset,
/// and hands over every packet with its own interface's link type. Every length is checked
/// against the block and the file; a damaged block ends the reading with the packet number.
public enum PcapngReader {
    /// Whether libpcap's error is the multi-interface limit this reader lifts.
    public static func lifts(_ error: PcapError) -> Bool {
        let message = error.libpcapMessage
        return message.contains("different from the") && message.contains("of the first interface")
    }

    struct Interface {
        var linkType: Int32
        var snapLength: Int
        /// Timestamp units per second, and the offset in seconds.
        var unitsPerSecond: UInt64 = 1_000_000
        var offset: Int64 = 0
    }

    static let maximumBlock = 16 << 20

    /// Reads the packets after the first `skip` ones.
    /// - Parameter body: the packet's header (numbered from 1 over the whole file), its
    ///   interface's link type, and its bytes (valid during the call only).
    public static func forEachPacket(
        path: String, skipping skip: Int, _ body: (PacketHeader, Int32, UnsafeRawBufferPointer) -> Void
    ) throws(PcapError) {
        guard let file = FileHandle(forReadingAtPath: path) else {
            throw PcapError.cannotOpen(path: path, libpcapMessage: "cannot open the file")
        }
        defer { try? file.close() }
        var interfaces: [Interface] = []
        var bigEndian = false
        var number = 0
        var offset: Int64 = 0
        func fail(_ message: String) -> PcapError {
            PcapError.readFailed(path: path, packet: number + 1, libpcapMessage: "pcapng (Spoor's reader): \(message)")
        }
        while true {
            let head: Data
            do { head = try file.read(upToCount: 8) ?? Data() } catch { throw fail("read error") }
            if head.isEmpty { return }
            guard head.count == 8 else { throw fail("truncated block header at byte \(offset)") }
            let headBytes = [UInt8](head)
            let type = word(headBytes, 0, bigEndian: bigEndian)
            if type == 0x0A0D_0D0A {
                // A Section Header: its byte-order magic decides how the section is read.
                guard let magic = try? file.read(upToCount: 4), magic.count == 4 else { throw fail("truncated section header") }
                let m = [UInt8](magic)
                if m == [0x1A, 0x2B, 0x3C, 0x4D] {
                    bigEndian = true
                } else if m == [0x4D, 0x3C, 0x2B, 0x1A] {
                    bigEndian = false
                } else {
                    throw fail("bad byte-order magic at byte \(offset)")
                }
                let length = Int(word(headBytes, 4, bigEndian: bigEndian))
                guard length >= 28, length % 4 == 0, length <= maximumBlock else {
                    throw fail("bad section header length \(length)")
                }
                guard let rest = try? file.read(upToCount: length - 12), rest.count == length - 12 else {
                    throw fail("truncated section header")
                }
                interfaces = []
                offset += Int64(length)
                continue
            }
            let length = Int(word(headBytes, 4, bigEndian: bigEndian))
            guard length >= 12, length % 4 == 0, length <= maximumBlock else {
                throw fail("bad block length \(length) at byte \(offset)")
            }
            guard let bodyData = try? file.read(upToCount: length - 8), bodyData.count == length - 8 else {
                throw fail("truncated block at byte \(offset)")
            }
            let blockOffset = offset
            offset += Int64(length)
            let block = [UInt8](bodyData.prefix(length - 12))  // without the trailing length
            switch type {
            case 1:
                guard block.count >= 8 else { throw fail("short interface description block") }
                let linkType = Int32(half(block, 0, bigEndian: bigEndian))
                var interface = Interface(linkType: linkType, snapLength: Int(word(block, 4, bigEndian: bigEndian)))
                readOptions(block, from: 8, bigEndian: bigEndian) { code, value in
                    if code == 9, let resolution = value.first {
                        let exponent = UInt64(resolution & 0x7F)
                        guard exponent < 64 else { return }
                        if resolution & 0x80 != 0 {
                            interface.unitsPerSecond = 1 << exponent
                        } else if exponent <= 19 {
                            var units: UInt64 = 1
                            for _ in 0..<exponent { units *= 10 }
                            interface.unitsPerSecond = units
                        }
                    } else if code == 14, value.count == 8 {
                        interface.offset = Int64(
                            bitPattern: bigEndian
                                ? value.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                                : value.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
                    }
                }
                interfaces.append(interface)
            case 6, 2, 3:
                var interfaceID = 0
                var units: UInt64 = 0
                var captured = 0
                var original = 0
                var dataStart = 0
                if type == 3 {
                    guard block.count >= 4, let first = interfaces.first else {
                        throw fail("simple packet block without an interface")
                    }
                    original = Int(word(block, 0, bigEndian: bigEndian))
                    captured = min(original, block.count - 4, first.snapLength > 0 ? first.snapLength : Int.max)
                    dataStart = 4
                } else {
                    guard block.count >= 20 else { throw fail("short packet block") }
                    interfaceID =
                        type == 6 ? Int(word(block, 0, bigEndian: bigEndian)) : Int(half(block, 0, bigEndian: bigEndian))
                    units = UInt64(word(block, 4, bigEndian: bigEndian)) << 32 | UInt64(word(block, 8, bigEndian: bigEndian))
                    captured = Int(word(block, 12, bigEndian: bigEndian))
                    original = Int(word(block, 16, bigEndian: bigEndian))
                    dataStart = 20
                    guard captured <= block.count - 20 else { throw fail("packet longer than its block") }
                }
                guard interfaceID < interfaces.count else {
                    throw fail("a packet arrived on interface \(interfaceID), which has no description block")
                }
                number += 1
                guard number > skip else { continue }
                let interface = interfaces[interfaceID]
                let seconds = Int64(units / interface.unitsPerSecond) + interface.offset
                let fraction = units % interface.unitsPerSecond
                let nanoseconds = Int32(truncatingIfNeeded: fraction * 1_000_000_000 / interface.unitsPerSecond)
                let header = PacketHeader(
                    number: number, seconds: seconds, nanoseconds: nanoseconds, originalLength: original, offset: blockOffset)
                block.withUnsafeBytes { raw in
                    body(header, interface.linkType, UnsafeRawBufferPointer(rebasing: raw[dataStart..<(dataStart + captured)]))
                }
            default:
                continue  // name resolution, statistics, custom blocks …
            }
        }
    }

    static func word(_ b: [UInt8], _ o: Int, bigEndian: Bool) -> UInt32 {
        bigEndian
            ? UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
            : UInt32(b[o + 3]) << 24 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 1]) << 8 | UInt32(b[o])
    }

    static func half(_ b: [UInt8], _ o: Int, bigEndian: Bool) -> UInt16 {
        bigEndian ? UInt16(b[o]) << 8 | UInt16(b[o + 1]) : UInt16(b[o + 1]) << 8 | UInt16(b[o])
    }

    /// Options: code 2, length 2, value padded to 4; code 0 ends them.
    static func readOptions(_ b: [UInt8], from start: Int, bigEndian: Bool, _ each: (UInt16, ArraySlice<UInt8>) -> Void) {
        var o = start
        while b.count - o >= 4 {
            let code = half(b, o, bigEndian: bigEndian)
            let length = Int(half(b, o + 2, bigEndian: bigEndian))
            o += 4
            if code == 0 || b.count - o < length { return }
            each(code, b[o..<(o + length)])
            o += (length + 3) & ~3
        }
    }
}
