import Foundation

/// Writes small zip archives for tests: stored (uncompressed) members, any names — including
/// the hostile ones a real library refuses to write — and lying size fields when asked.
public struct ZipBuilder {
    public struct Member {
        public var name: String
        public var bytes: [UInt8]
        /// The uncompressed size written in the headers (defaults to the true size).
        public var declaredSize: UInt32?

        public init(_ name: String, _ bytes: [UInt8], declaredSize: UInt32? = nil) {
            self.name = name
            self.bytes = bytes
            self.declaredSize = declaredSize
        }

        public init(_ name: String, text: String) { self.init(name, Array(text.utf8)) }
    }

    public var members: [Member] = []

    public init(_ members: [Member] = []) { self.members = members }

    public func data() -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        func le16(_ v: Int, _ buffer: inout [UInt8]) { buffer += [UInt8(v & 0xff), UInt8(v >> 8 & 0xff)] }
        func le32(_ v: UInt32, _ buffer: inout [UInt8]) { for i in 0..<4 { buffer.append(UInt8(v >> (8 * UInt32(i)) & 0xff)) } }
        for member in members {
            let offset = UInt32(out.count)
            let name = Array(member.name.utf8)
            let crc = ZipBuilder.crc32(member.bytes)
            let size = UInt32(member.bytes.count)
            let declared = member.declaredSize ?? size
            le32(0x0403_4B50, &out)
            le16(20, &out)
            le16(0, &out)
            le16(0, &out)
            le16(0, &out)
            le16(0x21, &out)
            le32(crc, &out)
            le32(size, &out)
            le32(declared, &out)
            le16(name.count, &out)
            le16(0, &out)
            out += name + member.bytes
            le32(0x0201_4B50, &central)
            le16(20, &central)
            le16(20, &central)
            le16(0, &central)
            le16(0, &central)
            le16(0, &central)
            le16(0x21, &central)
            le32(crc, &central)
            le32(size, &central)
            le32(declared, &central)
            le16(name.count, &central)
            le16(0, &central)
            le16(0, &central)
            le16(0, &central)
            le16(0, &central)
            le32(0, &central)
            le32(offset, &central)
            central += name
        }
        let centralOffset = UInt32(out.count)
        out += central
        le32(0x0605_4B50, &out)
        le16(0, &out)
        le16(0, &out)
        le16(members.count, &out)
        le16(members.count, &out)
        le32(UInt32(central.count), &out)
        le32(centralOffset, &out)
        le16(0, &out)
        return out
    }

    public func write(to url: URL) throws { try Data(data()).write(to: url) }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
