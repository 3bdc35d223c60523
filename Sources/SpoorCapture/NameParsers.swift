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
