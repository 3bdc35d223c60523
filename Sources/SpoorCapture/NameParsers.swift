import SpoorCore

/// DNS messages (RFC 1035): the question and the A, AAAA, CNAME and PTR answers (a PTR answer
/// names the address its reverse name stands for). Names are read
/// with backward-only compression pointers, a cap on jumps and on length, and reserved label
/// types rejected, so crafted messages (pointer loops, bad labels) end the parse, not the tool.
enum DNSMessage {
    struct Answer: Equatable {
        var name: String
        var type: UInt16
        var ttl: UInt32
        var address: IPAddress?
        var target: String?
    }

    struct Parsed {
        var id: UInt16
        var isResponse: Bool
        var truncated: Bool
        var question: String?
        var answers: [Answer]
    }

    static let maximumJumps = 32

    static func parse(_ b: UnsafeRawBufferPointer) -> Parsed? {
        guard b.count >= 12 else { return nil }
        let id = UInt16(b[0]) << 8 | UInt16(b[1])
        let flags = b[2]
        let questions = Int(b[4]) << 8 | Int(b[5])
        let answers = Int(b[6]) << 8 | Int(b[7])
        var parsed = Parsed(id: id, isResponse: flags & 0x80 != 0, truncated: flags & 0x02 != 0, question: nil, answers: [])
        var offset = 12
        for i in 0..<min(questions, 16) {
            guard let name = readName(b, &offset), b.count - offset >= 4 else { return parsed }
            if i == 0 { parsed.question = name }
            offset += 4
        }
        guard parsed.isResponse else { return parsed }
        for _ in 0..<min(answers, 256) {
            guard let name = readName(b, &offset), b.count - offset >= 10 else { return parsed }
            let type = UInt16(b[offset]) << 8 | UInt16(b[offset + 1])
            let ttl =
                UInt32(b[offset + 4]) << 24 | UInt32(b[offset + 5]) << 16 | UInt32(b[offset + 6]) << 8 | UInt32(b[offset + 7])
            let length = Int(b[offset + 8]) << 8 | Int(b[offset + 9])
            offset += 10
            guard b.count - offset >= length else { return parsed }
            switch type {
            case 1 where length == 4:
                let v = UInt32(b[offset]) << 24 | UInt32(b[offset + 1]) << 16 | UInt32(b[offset + 2]) << 8 | UInt32(b[offset + 3])
                parsed.answers.append(Answer(name: name, type: type, ttl: ttl, address: IPAddress(v4: v)))
            case 28 where length == 16:
                parsed.answers.append(
                    Answer(name: name, type: type, ttl: ttl, address: IPAddress(v6: Dissector.be128(b, offset))))
            case 5:
                var at = offset
                if let target = readName(b, &at) {
                    parsed.answers.append(Answer(name: name, type: type, ttl: ttl, target: target))
                }
            case 12:
                var at = offset
                if let target = readName(b, &at), let address = IPAddress(reverseName: name) {
                    parsed.answers.append(Answer(name: name, type: type, ttl: ttl, address: address, target: target))
                }
            default:
                break
            }
            offset += length
        }
        return parsed
    }

    /// Reads a possibly compressed name at `offset`, moving it past the name's bytes.
    static func readName(_ b: UnsafeRawBufferPointer, _ offset: inout Int) -> String? {
        var position = offset
        var jumped = false
        var jumps = 0
        var text: [UInt8] = []
        var wireLength = 0
        while true {
            guard position < b.count else { return nil }
            let length = Int(b[position])
            if length == 0 {
                position += 1
                break
            }
            switch length & 0xC0 {
            case 0xC0:
                guard position + 1 < b.count else { return nil }
                let pointer = (length & 0x3F) << 8 | Int(b[position + 1])
                // Only backward pointers, and only so many: loops and forward tricks end here.
                guard pointer < position, jumps < maximumJumps else { return nil }
                if !jumped { offset = position + 2 }
                jumped = true
                jumps += 1
                position = pointer
                continue
            case 0x00:
                break
            default:
                return nil  // 01 and 10 label types are reserved
            }
            guard position + 1 + length <= b.count else { return nil }
            wireLength += length + 1
            guard wireLength <= 255 else { return nil }
            if !text.isEmpty { text.append(UInt8(ascii: ".")) }
            for i in 0..<length { appendLabelByte(b[position + 1 + i], to: &text) }
            position += 1 + length
        }
        if !jumped { offset = position }
        return String(decoding: text, as: UTF8.self)
    }

    /// Lower case letters; bytes outside the printable ASCII range as `\DDD` (RFC 1035 §5.1).
    /// In a DNS label a dot byte is data (escaped); in a host name it separates labels.
    static func appendLabelByte(_ byte: UInt8, to text: inout [UInt8], dotSeparates: Bool = false) {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): text.append(byte | 0x20)
        case UInt8(ascii: "."): if dotSeparates { text.append(byte) } else { text += Array("\\046".utf8) }
        case 0x21...0x7E where byte != UInt8(ascii: "\\"): text.append(byte)
        default:
            text.append(UInt8(ascii: "\\"))
            let digits = String(byte)
            text += Array(String(repeating: "0", count: 3 - digits.count).utf8) + Array(digits.utf8)
        }
    }

    static func typeName(_ type: UInt16) -> String {
        switch type {
        case 1: return "A"
        case 28: return "AAAA"
        case 5: return "CNAME"
        case 12: return "PTR"
        default: return String(type)
        }
    }
}

/// The server name of a TLS ClientHello, read from the first bytes of a client's stream
/// (several records and segments are fine: the caller hands all bytes so far).
enum TLSClientHello {
    enum Result: Equatable {
        case needMore
        case notClientHello
        case serverName(String?)
    }

    /// Whether bytes begin like a TLS handshake record (content type 22, version 3.x).
    static func looksLikeHandshake(_ b: UnsafeRawBufferPointer) -> Bool {
        b.count >= 3 && b[0] == 0x16 && b[1] == 0x03 && b[2] <= 0x04
    }

    static let maximumHello = 1 << 16

    static func parse(_ b: UnsafeRawBufferPointer) -> Result {
        // Gather the handshake bytes carried by consecutive handshake records.
        var handshake: [UInt8] = []
        var offset = 0
        var needed = 4
        while handshake.count < needed {
            guard b.count - offset >= 5 else { return b.count > maximumHello ? .notClientHello : .needMore }
            guard b[offset] == 0x16, b[offset + 1] == 0x03 else { return .notClientHello }
            let length = Int(b[offset + 3]) << 8 | Int(b[offset + 4])
            let available = min(length, b.count - offset - 5)
            handshake += UnsafeRawBufferPointer(rebasing: b[(offset + 5)..<(offset + 5 + available)])
            if handshake.count >= 4 {
                guard handshake[0] == 1 else { return .notClientHello }
                needed = 4 + (Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3]))
                guard needed <= maximumHello else { return .notClientHello }
            }
            if available < length { break }
            offset += 5 + length
        }
        guard handshake.count >= needed else { return .needMore }
        return handshake.withUnsafeBytes { serverName(hello: UnsafeRawBufferPointer(rebasing: $0[4..<needed])) }
    }

    /// Walks the ClientHello body to extension 0 (server_name), host_name entry.
    static func serverName(hello h: UnsafeRawBufferPointer) -> Result {
        var o = 2 + 32
        guard h.count > o else { return .notClientHello }
        o += 1 + Int(h[o])  // session id
        guard h.count >= o + 2 else { return .notClientHello }
        o += 2 + (Int(h[o]) << 8 | Int(h[o + 1]))  // cipher suites
        guard h.count >= o + 1 else { return .notClientHello }
        o += 1 + Int(h[o])  // compression methods
        guard h.count >= o + 2 else { return .serverName(nil) }  // no extensions
        let end = min(h.count, o + 2 + (Int(h[o]) << 8 | Int(h[o + 1])))
        o += 2
        while end - o >= 4 {
            let type = Int(h[o]) << 8 | Int(h[o + 1])
            let length = Int(h[o + 2]) << 8 | Int(h[o + 3])
            o += 4
            guard end - o >= length else { break }
            if type == 0, length >= 5 {
                var e = o + 2
                let listEnd = min(o + length, o + 2 + (Int(h[o]) << 8 | Int(h[o + 1])))
                while listEnd - e >= 3 {
                    let nameType = h[e]
                    let nameLength = Int(h[e + 1]) << 8 | Int(h[e + 2])
                    e += 3
                    guard listEnd - e >= nameLength else { break }
                    if nameType == 0 {
                        var text: [UInt8] = []
                        for i in 0..<nameLength { DNSMessage.appendLabelByte(h[e + i], to: &text, dotSeparates: true) }
                        return .serverName(String(decoding: text, as: UTF8.self))
                    }
                    e += nameLength
                }
            }
            o += length
        }
        return .serverName(nil)
    }
}

/// The host an HTTP/1.x request names: an absolute-form target, a CONNECT authority, or the
/// Host header. Lines may end in CRLF or a bare LF.
enum HTTPRequest {
    struct Parsed: Equatable {
        var method: String
        var host: String?
        /// Bytes of the request line and headers (the body, if any, follows).
        var headerLength: Int
    }

    enum Result: Equatable {
        case needMore
        case notHTTP
        case request(Parsed)
    }

    static let maximumHeader = 16 * 1024

    /// Whether bytes begin like a request line: an upper-case method token and a space.
    static func looksLikeRequest(_ b: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        while i < b.count && i < 16 {
            let c = b[i]
            if c == UInt8(ascii: " ") { return i >= 3 }
            guard c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") || c == UInt8(ascii: "-") else { return false }
            i += 1
        }
        return false
    }

    static func parse(_ b: UnsafeRawBufferPointer) -> Result {
        guard looksLikeRequest(b) || b.count < 4 else { return .notHTTP }
        let lf = UInt8(ascii: "\n")
        let cr = UInt8(ascii: "\r")
        // The end of the headers: an empty line (CRLF or bare LF).
        var headerLength: Int?
        var i = 0
        while i < b.count {
            if b[i] == lf {
                if i + 1 < b.count && b[i + 1] == lf {
                    headerLength = i + 2
                    break
                }
                if i + 2 < b.count && b[i + 1] == cr && b[i + 2] == lf {
                    headerLength = i + 3
                    break
                }
            }
            i += 1
        }
        guard let headerLength else { return b.count > maximumHeader ? .notHTTP : .needMore }
        // Request line: method, target.
        var methodEnd = 0
        while methodEnd < headerLength && b[methodEnd] != UInt8(ascii: " ") { methodEnd += 1 }
        var targetStart = methodEnd
        while targetStart < headerLength && b[targetStart] == UInt8(ascii: " ") { targetStart += 1 }
        var targetEnd = targetStart
        while targetEnd < headerLength && b[targetEnd] != UInt8(ascii: " ") && b[targetEnd] != cr && b[targetEnd] != lf {
            targetEnd += 1
        }
        guard targetEnd > targetStart else { return .notHTTP }
        let method = String(decoding: UnsafeRawBufferPointer(rebasing: b[0..<methodEnd]), as: UTF8.self)
        var host: String?
        if method == "CONNECT" {
            host = hostPart(b, targetStart, targetEnd)
        } else if let authority = schemeEnd(b, targetStart, targetEnd) {
            var end = authority
            while end < targetEnd && b[end] != UInt8(ascii: "/") && b[end] != UInt8(ascii: "?") && b[end] != UInt8(ascii: "#") {
                end += 1
            }
            host = hostPart(b, authority, end)
        }
        if host == nil {
            // Header lines: the first one named Host (any case).
            var line = targetEnd
            while line < headerLength && b[line] != lf { line += 1 }
            line += 1
            while line + 5 <= headerLength {
                if b[line] | 0x20 == UInt8(ascii: "h") && b[line + 1] | 0x20 == UInt8(ascii: "o")
                    && b[line + 2] | 0x20 == UInt8(ascii: "s")
                    && b[line + 3] | 0x20 == UInt8(ascii: "t") && b[line + 4] == UInt8(ascii: ":")
                {
                    var start = line + 5
                    var end = start
                    while end < headerLength && b[end] != lf && b[end] != cr { end += 1 }
                    while start < end && (b[start] == UInt8(ascii: " ") || b[start] == 0x09) { start += 1 }
                    while end > start && (b[end - 1] == UInt8(ascii: " ") || b[end - 1] == 0x09) { end -= 1 }
                    host = hostPart(b, start, end)
                    break
                }
                while line < headerLength && b[line] != lf { line += 1 }
                line += 1
            }
        }
        return .request(Parsed(method: method, host: host, headerLength: headerLength))
    }

    /// Where the authority of an absolute-form target (`http://host/…`) in `b[start..<end]` begins.
    static func schemeEnd(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Int? {
        var i = start
        while i + 2 < end {
            let c = b[i]
            if c == UInt8(ascii: ":") { return b[i + 1] == UInt8(ascii: "/") && b[i + 2] == UInt8(ascii: "/") ? i + 3 : nil }
            let letter = (c | 0x20) >= UInt8(ascii: "a") && (c | 0x20) <= UInt8(ascii: "z")
            guard letter || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") else { return nil }
            i += 1
        }
        return nil
    }

    /// The host of an authority `b[start..<end]` (`user@host:port`, `[v6]:port`), lower case;
    /// nil when empty.
    static func hostPart(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> String? {
        var from = start
        var to = end
        for i in start..<end where b[i] == UInt8(ascii: "@") { from = i + 1 }
        let bracketed = from < to && b[from] == UInt8(ascii: "[")
        if bracketed {
            var close = from + 1
            while close < to && b[close] != UInt8(ascii: "]") { close += 1 }
            guard close < to else { return nil }
            from += 1
            to = close
        } else {
            var colons = 0
            var last = to
            for i in from..<to where b[i] == UInt8(ascii: ":") {
                colons += 1
                last = i
            }
            if colons == 1 { to = last }
        }
        guard from < to else { return nil }
        var text: [UInt8] = []
        text.reserveCapacity(to - from)
        for i in from..<to { DNSMessage.appendLabelByte(b[i], to: &text, dotSeparates: true) }
        // An address literal is given in its one canonical spelling (`[2001:DB8:0::1]` is
        // 2001:db8::1), so that it is the same address the flow and the indicators name.
        if bracketed || text.allSatisfy({ $0 == UInt8(ascii: ".") || ($0 >= 0x30 && $0 <= 0x39) }),
            let address = IPAddress.parse(utf8: text[...])
        {
            return address.description
        }
        return String(decoding: text, as: UTF8.self)
    }

}

/// The names a TLS server's certificate gives, where the handshake is in clear (TLS 1.2 and
/// earlier; TLS 1.3 encrypts the Certificate message): the leaf certificate's subject common
/// name when it is a host name, and its subject alternative names of type dNSName.
enum TLSServerCertificate {
    enum Result: Equatable {
        case needMore
        /// Not a TLS handshake, or one whose certificate is not in clear.
        case none
        case names([String])
    }

    static let maximumHandshake = 1 << 17

    /// Reads the server's handshake records (ServerHello, Certificate, …) up to the Certificate
    /// message.
    static func parse(_ b: UnsafeRawBufferPointer) -> Result {
        var handshake: [UInt8] = []
        var offset = 0
        while true {
            // Each complete handshake message gathered so far.
            var m = 0
            while handshake.count - m >= 4 {
                let type = handshake[m]
                let length = Int(handshake[m + 1]) << 16 | Int(handshake[m + 2]) << 8 | Int(handshake[m + 3])
                guard length <= maximumHandshake else { return .none }
                guard handshake.count - m - 4 >= length else { break }
                if type == 11 {
                    return handshake.withUnsafeBytes {
                        certificateNames(UnsafeRawBufferPointer(rebasing: $0[(m + 4)..<(m + 4 + length)]))
                    }
                }
                // ServerHelloDone (14) or Finished (20) before any certificate: none is sent.
                if type == 14 || type == 20 { return .none }
                m += 4 + length
            }
            guard b.count - offset >= 5 else { return b.count > maximumHandshake ? .none : .needMore }
            // A record other than a handshake (ChangeCipherSpec, encrypted data) ends what is in clear.
            guard b[offset] == 0x16, b[offset + 1] == 0x03 else { return .none }
            let length = Int(b[offset + 3]) << 8 | Int(b[offset + 4])
            guard b.count - offset - 5 >= length else { return b.count > maximumHandshake ? .none : .needMore }
            handshake += UnsafeRawBufferPointer(rebasing: b[(offset + 5)..<(offset + 5 + length)])
            offset += 5 + length
        }
    }

    /// The Certificate message body: a 3-byte list length, then each certificate with a 3-byte
    /// length; the first is the server's own.
    static func certificateNames(_ body: UnsafeRawBufferPointer) -> Result {
        guard body.count >= 6 else { return .none }
        let length = Int(body[3]) << 16 | Int(body[4]) << 8 | Int(body[5])
        guard body.count >= 6 + length, length > 0 else { return .none }
        return .names(names(der: UnsafeRawBufferPointer(rebasing: body[6..<(6 + length)])))
    }

    /// One DER element: its tag, and where its contents start and end.
    private struct Element {
        let tag: UInt8
        let start: Int
        let end: Int
    }

    private static func element(_ d: UnsafeRawBufferPointer, at offset: Int, end: Int) -> Element? {
        guard end - offset >= 2 else { return nil }
        let tag = d[offset]
        var o = offset + 1
        var length = Int(d[o])
        o += 1
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count >= 1, count <= 3, end - o >= count else { return nil }
            length = 0
            for _ in 0..<count {
                length = length << 8 | Int(d[o])
                o += 1
            }
        }
        guard end - o >= length else { return nil }
        return Element(tag: tag, start: o, end: o + length)
    }

    /// The elements inside a constructed element, in order.
    private static func children(_ d: UnsafeRawBufferPointer, _ parent: Element) -> [Element] {
        var out: [Element] = []
        var o = parent.start
        while o < parent.end, let e = element(d, at: o, end: parent.end) {
            out.append(e)
            o = e.end
        }
        return out
    }

    private static let commonName: [UInt8] = [0x55, 0x04, 0x03]  // 2.5.4.3
    private static let subjectAltName: [UInt8] = [0x55, 0x1D, 0x11]  // 2.5.29.17

    /// The names of one X.509 certificate (DER), subject common name first; unreadable parts
    /// give no names rather than a wrong one.
    static func names(der d: UnsafeRawBufferPointer) -> [String] {
        guard let certificate = element(d, at: 0, end: d.count), certificate.tag == 0x30,
            let tbs = children(d, certificate).first, tbs.tag == 0x30
        else { return [] }
        var fields = children(d, tbs)
        if fields.first?.tag == 0xA0 { fields.removeFirst() }  // [0] version
        // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, then optional fields.
        guard fields.count >= 6 else { return [] }
        var names: [String] = []
        func add(_ bytes: UnsafeRawBufferPointer.SubSequence) {
            guard !bytes.isEmpty, bytes.count <= 253,
                bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") })
            else { return }
            var text: [UInt8] = []
            for byte in bytes { DNSMessage.appendLabelByte(byte, to: &text, dotSeparates: true) }
            let name = String(decoding: text, as: UTF8.self)
            guard name.contains("."), !names.contains(name) else { return }
            names.append(name)
        }
        // Subject: SEQUENCE OF SET OF SEQUENCE { OID, value }.
        for set in children(d, fields[4]) where set.tag == 0x31 {
            for attribute in children(d, set) where attribute.tag == 0x30 {
                let parts = children(d, attribute)
                guard parts.count == 2, parts[0].tag == 0x06,
                    d[parts[0].start..<parts[0].end].elementsEqual(commonName),
                    [0x0C, 0x13, 0x16, 0x14].contains(parts[1].tag)  // UTF8, Printable, IA5, T61 strings
                else { continue }
                add(d[parts[1].start..<parts[1].end])
            }
        }
        // Extensions: [3] EXPLICIT SEQUENCE OF SEQUENCE { OID, critical?, OCTET STRING }.
        guard let extensionsTag = fields.dropFirst(6).first(where: { $0.tag == 0xA3 }),
            let list = children(d, extensionsTag).first, list.tag == 0x30
        else { return names }
        for ext in children(d, list) where ext.tag == 0x30 {
            let parts = children(d, ext)
            guard let oid = parts.first, oid.tag == 0x06, d[oid.start..<oid.end].elementsEqual(subjectAltName),
                let value = parts.last, value.tag == 0x04,
                let generalNames = element(d, at: value.start, end: value.end), generalNames.tag == 0x30
            else { continue }
            for name in children(d, generalNames) where name.tag == 0x82 {  // [2] dNSName, IA5String
                add(d[name.start..<name.end])
            }
        }
        return names
    }
}
