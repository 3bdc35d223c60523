import Crypto
import SpoorCore
import _CryptoExtras

/// The server name a QUIC client sends in its Initial packets. Initial packets are encrypted,
/// but with keys anyone can derive from the packet's destination connection id (RFC 9001 §5.2),
/// so a capture shows them as Zeek's quic.log and nDPI do: remove the header protection,
/// decrypt, gather the CRYPTO frames in order and read the TLS ClientHello they carry.
///
/// Versions: QUIC v1 (RFC 9000), v2 (RFC 9369) and the drafts 29 to 32 (one salt). The AEAD tag
/// authenticates every decryption, so a datagram that only looks like QUIC yields nothing.
enum QUICInitial {
    /// What differs between versions for Initial packets.
    struct Version: Equatable {
        var salt: [UInt8]
        var labelPrefix: String
        /// The long-header packet type of Initial packets (bits 4–5 of the first byte).
        var initialType: UInt8

        static let v1 = Version(
            salt: Hex.bytes("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")!, labelPrefix: "quic ", initialType: 0)
        static let v2 = Version(
            salt: Hex.bytes("0dede3def700a6db819381be6e269dcbf9bd2ed9")!, labelPrefix: "quicv2 ", initialType: 1)
        static let draft29 = Version(
            salt: Hex.bytes("afbfec289993d24c9e9786f19c6111e04390a899")!, labelPrefix: "quic ", initialType: 0)

        static func named(_ number: UInt32) -> Version? {
            switch number {
            case 0x0000_0001: .v1
            case 0x6b33_43cf: .v2
            case 0xff00_001d...0xff00_0020: .draft29
            default: nil
            }
        }
    }

    /// The client's Initial keys for one destination connection id.
    struct Keys {
        var key: SymmetricKey
        var iv: [UInt8]
        var headerProtection: SymmetricKey

        init(clientDestination dcid: [UInt8], version: Version) {
            let initial = HKDF<SHA256>.extract(inputKeyMaterial: SymmetricKey(data: dcid), salt: version.salt)
            let client = QUICInitial.expandLabel(SymmetricKey(data: Array(initial)), "client in", 32)
            key = QUICInitial.expandLabel(client, version.labelPrefix + "key", 16)
            iv = QUICInitial.expandLabel(client, version.labelPrefix + "iv", 12).withUnsafeBytes { Array($0) }
            headerProtection = QUICInitial.expandLabel(client, version.labelPrefix + "hp", 16)
        }
    }

    /// TLS 1.3's HKDF-Expand-Label with an empty context (RFC 8446 §7.1).
    static func expandLabel(_ secret: SymmetricKey, _ label: String, _ length: Int) -> SymmetricKey {
        let full = Array("tls13 \(label)".utf8)
        let info = [UInt8(length >> 8), UInt8(length & 0xFF), UInt8(full.count)] + full + [0]
        return HKDF<SHA256>.expand(pseudoRandomKey: secret, info: info, outputByteCount: length)
    }

    /// The header of one client Initial packet.
    struct LongHeader {
        var first: UInt8
        var version: Version
        var destination: [UInt8]
        /// Where the (protected) packet number starts, and where the packet ends.
        var packetNumberOffset: Int
        var end: Int
    }

    /// Reads the header of the Initial packet `b` begins with (long header, fixed bit, a known
    /// version, its Initial type); nil when it is not one or is cut short.
    static func longHeader(_ b: UnsafeRawBufferPointer) -> LongHeader? {
        guard b.count >= 7, b[0] & 0xC0 == 0xC0 else { return nil }
        let first = b[0]
        let number = UInt32(b[1]) << 24 | UInt32(b[2]) << 16 | UInt32(b[3]) << 8 | UInt32(b[4])
        guard let version = Version.named(number), (first >> 4) & 0x03 == version.initialType else { return nil }
        var o = 5
        let dcidLength = Int(b[o])
        guard dcidLength <= 20, b.count - o >= 1 + dcidLength + 1 else { return nil }
        let destination = Array(b[(o + 1)..<(o + 1 + dcidLength)])
        o += 1 + dcidLength
        let scidLength = Int(b[o])
        guard scidLength <= 20, b.count - o >= 1 + scidLength else { return nil }
        o += 1 + scidLength
        guard let tokenLength = varint(b, &o), tokenLength <= b.count - o else { return nil }
        o += tokenLength
        guard let length = varint(b, &o), length <= b.count - o, length >= 20 else { return nil }
        return LongHeader(first: first, version: version, destination: destination, packetNumberOffset: o, end: o + length)
    }

    /// Removes the header protection and decrypts one Initial packet; its plaintext frames, or
    /// nil when the keys do not open it.
    static func open(_ b: UnsafeRawBufferPointer, _ header: LongHeader, _ keys: Keys) -> [UInt8]? {
        let pn = header.packetNumberOffset
        guard header.end - pn >= 4 + 16 + 16 else { return nil }
        var mask = Array(b[(pn + 4)..<(pn + 20)])
        guard (try? AES.permute(&mask, key: keys.headerProtection)) != nil else { return nil }
        let first = header.first ^ (mask[0] & 0x0F)
        let pnLength = Int(first & 0x03) + 1
        var aad = Array(b[0..<(pn + pnLength)])
        aad[0] = first
        var packetNumber: UInt64 = 0
        for i in 0..<pnLength {
            aad[pn + i] ^= mask[1 + i]
            packetNumber = packetNumber << 8 | UInt64(aad[pn + i])
        }
        var nonce = keys.iv
        for i in 0..<8 { nonce[11 - i] ^= UInt8(truncatingIfNeeded: packetNumber >> (8 * UInt64(i))) }
        let sealed = Array(b[(pn + pnLength)..<header.end])
        guard sealed.count >= 16,
            let box = try? AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: nonce), ciphertext: sealed.dropLast(16), tag: sealed.suffix(16)),
            let plain = try? AES.GCM.open(box, using: keys.key, authenticating: aad)
        else { return nil }
        return Array(plain)
    }

    /// The CRYPTO frames of an Initial packet's plaintext, as (offset, bytes). Initial packets may
    /// also hold PADDING, PING, ACK and CONNECTION_CLOSE; any other frame ends the reading.
    static func cryptoFrames(_ plain: [UInt8]) -> [(offset: Int, data: ArraySlice<UInt8>)] {
        var frames: [(Int, ArraySlice<UInt8>)] = []
        plain.withUnsafeBytes { b in
            var o = 0
            while o < b.count {
                let type = b[o]
                o += 1
                switch type {
                case 0x00, 0x01: continue
                case 0x02, 0x03:
                    guard varint(b, &o) != nil, varint(b, &o) != nil, let ranges = varint(b, &o), varint(b, &o) != nil,
                        ranges <= 256
                    else { return }
                    for _ in 0..<(ranges * 2 + (type == 0x03 ? 3 : 0)) {
                        guard varint(b, &o) != nil else { return }
                    }
                case 0x06:
                    guard let offset = varint(b, &o), let length = varint(b, &o), length <= b.count - o else { return }
                    frames.append((offset, plain[o..<(o + length)]))
                    o += length
                default:
                    return
                }
            }
        }
        return frames
    }

    /// A QUIC variable-length integer (RFC 9000 §16), advancing `o`; nil when cut short.
    static func varint(_ b: UnsafeRawBufferPointer, _ o: inout Int) -> Int? {
        guard o < b.count else { return nil }
        let length = 1 << Int(b[o] >> 6)
        guard b.count - o >= length else { return nil }
        var value = Int(b[o] & 0x3F)
        for i in 1..<length { value = value << 8 | Int(b[o + i]) }
        o += length
        return value
    }
}

/// Gathers one QUIC connection's client CRYPTO stream from its Initial packets until the
/// ClientHello is whole (clients split it over several packets and reorder the pieces).
/// Bounded: at most ``maximumPackets`` Initial packets and 64 KB are looked at.
final class QUICHelloCollector {
    static let maximumPackets = 8
    private var keys: QUICInitial.Keys?
    private var keyDestination: [UInt8] = []
    private var pieces: [Int: ArraySlice<UInt8>] = [:]
    private var stream: [UInt8] = []
    private var packets = 0
    private(set) var isDone = false

    enum Outcome: Equatable {
        case needMore
        case serverName(String?)
        case notQUIC
    }

    /// Reads the Initial packets of one client datagram (several may be coalesced).
    func datagram(_ b: UnsafeRawBufferPointer) -> Outcome {
        guard !isDone else { return .notQUIC }
        var start = 0
        var opened = false
        while start < b.count {
            let rest = UnsafeRawBufferPointer(rebasing: b[start...])
            guard let header = QUICInitial.longHeader(rest) else { break }
            packets += 1
            let packet = UnsafeRawBufferPointer(rebasing: rest[..<header.end])
            // The keys come from the connection id of the client's first Initial; after a Retry
            // the client starts again with the id the server chose (and its hello from the start).
            var plain = keys.flatMap { QUICInitial.open(packet, header, $0) }
            if plain == nil, header.destination != keyDestination {
                let fresh = QUICInitial.Keys(clientDestination: header.destination, version: header.version)
                plain = QUICInitial.open(packet, header, fresh)
                if plain != nil {
                    pieces = [:]
                    stream = []
                    keys = fresh
                    keyDestination = header.destination
                }
            }
            if let plain {
                opened = true
                for frame in QUICInitial.cryptoFrames(plain) where frame.offset < TLSClientHello.maximumHello {
                    pieces[frame.offset] = frame.data
                }
            }
            start += header.end
        }
        let outcome = assemble()
        if outcome == .needMore && packets >= Self.maximumPackets {
            isDone = true
            return opened ? .serverName(nil) : .notQUIC
        }
        if outcome != .needMore { isDone = true }
        return outcome
    }

    /// Extends the in-order stream with the pieces that reach it; the server name once the
    /// ClientHello is whole, `.notQUIC` when the stream is no ClientHello.
    private func assemble() -> Outcome {
        var grew = true
        while grew {
            grew = false
            for (offset, data) in pieces where offset <= stream.count && offset + data.count > stream.count {
                stream += data.dropFirst(stream.count - offset)
                grew = true
            }
        }
        guard stream.count >= 4 else { return .needMore }
        guard stream[0] == 1 else { return .notQUIC }
        let needed = 4 + (Int(stream[1]) << 16 | Int(stream[2]) << 8 | Int(stream[3]))
        guard needed <= TLSClientHello.maximumHello else { return .notQUIC }
        guard stream.count >= needed else { return .needMore }
        let result = stream.withUnsafeBytes { TLSClientHello.serverName(hello: UnsafeRawBufferPointer(rebasing: $0[4..<needed])) }
        if case .serverName(let name) = result { return .serverName(name) }
        return .notQUIC
    }
}
