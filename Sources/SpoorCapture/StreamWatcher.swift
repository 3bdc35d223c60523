/// Watches one direction of a TCP flow for names: a client's TLS ClientHello or HTTP request
/// headers (at the start of the stream or later, after STARTTLS or between pipelined requests),
/// a server's TLS certificate where the handshake is in clear, or DNS messages with their
/// 2-byte length prefixes. Segments are put in sequence order
/// (retransmissions trimmed, a few out-of-order segments held); bytes are kept only while a
/// message is being assembled, and the watcher gives up after a bounded amount of data.
final class StreamWatcher {
    enum Purpose { case client, server, dns }
    enum Mode { case watching, tls, http, dns, done }

    enum Event {
        case serverName(String?)
        /// The names of the certificate a server presented (empty when it names no host).
        case certificateNames([String])
        case http(HTTPRequest.Parsed)
        case dns(DNSMessage.Parsed)
    }

    let purpose: Purpose
    private(set) var mode: Mode
    private var buffer: [UInt8] = []
    private var nextSeq: Int64?
    private var pending: [(Int64, [UInt8])] = []
    private var pendingBytes = 0
    private var examined = 0

    /// Stream bytes looked at before giving up on a direction that never shows a name.
    static let watchLimit = 256 * 1024
    static let bufferLimit = 96 * 1024
    static let pendingLimit = 64 * 1024

    init(purpose: Purpose) {
        self.purpose = purpose
        mode = purpose == .dns ? .dns : .watching
    }

    var isDone: Bool { mode == .done }

    /// Hands over a segment's payload at its relative sequence number.
    func segment(at seq: Int64, _ bytes: UnsafeRawBufferPointer, _ emit: (Event) -> Void) {
        guard mode != .done, !bytes.isEmpty else { return }
        let expected = nextSeq ?? seq
        if seq > expected {
            // A hole: hold the segment until what is missing arrives.
            if pendingBytes + bytes.count <= Self.pendingLimit && pending.count < 32 {
                pending.append((seq, Array(bytes)))
                pendingBytes += bytes.count
            }
            return
        }
        let skip = Int(expected - seq)
        guard skip < bytes.count else { return }  // a retransmission of what was delivered
        deliver(UnsafeRawBufferPointer(rebasing: bytes[skip...]), emit)
        nextSeq = expected + Int64(bytes.count - skip)
        drain(emit)
    }

    private func drain(_ emit: (Event) -> Void) {
        while mode != .done, let expected = nextSeq,
            let index = pending.firstIndex(where: { $0.0 <= expected })
        {
            let (seq, bytes) = pending.remove(at: index)
            pendingBytes -= bytes.count
            let skip = Int(expected - seq)
            guard skip < bytes.count else { continue }
            bytes.withUnsafeBytes { deliver(UnsafeRawBufferPointer(rebasing: $0[skip...]), emit) }
            nextSeq = expected + Int64(bytes.count - skip)
        }
        if mode == .done {
            pending = []
            pendingBytes = 0
        }
    }

    /// In-order bytes of the stream.
    private func deliver(_ chunk: UnsafeRawBufferPointer, _ emit: (Event) -> Void) {
        examined += chunk.count
        switch mode {
        case .done:
            return
        case .watching:
            if TLSClientHello.looksLikeHandshake(chunk) {
                mode = .tls
                buffer = Array(chunk)
                tryTLS(emit)
            } else if purpose == .client, HTTPRequest.looksLikeRequest(chunk) {
                mode = .http
                buffer = Array(chunk)
                tryHTTP(emit)
            } else if examined > Self.watchLimit {
                finish()
            }
        case .tls:
            buffer += chunk
            tryTLS(emit)
        case .http:
            buffer += chunk
            tryHTTP(emit)
        case .dns:
            buffer += chunk
            tryDNS(emit)
        }
    }

    private func tryTLS(_ emit: (Event) -> Void) {
        if purpose == .server {
            switch buffer.withUnsafeBytes({ TLSServerCertificate.parse($0) }) {
            case .needMore: if buffer.count > TLSServerCertificate.maximumHandshake { finish() }
            case .none: finish()
            case .names(let names):
                emit(.certificateNames(names))
                finish()
            }
            return
        }
        let result = buffer.withUnsafeBytes { TLSClientHello.parse($0) }
        switch result {
        case .needMore:
            if buffer.count > Self.bufferLimit { finish() }
        case .notClientHello:
            backToWatching()
        case .serverName(let name):
            emit(.serverName(name))
            finish()
        }
    }

    private func tryHTTP(_ emit: (Event) -> Void) {
        while mode == .http {
            let result = buffer.withUnsafeBytes { HTTPRequest.parse($0) }
            switch result {
            case .needMore:
                if buffer.count > HTTPRequest.maximumHeader { backToWatching() }
                return
            case .notHTTP:
                backToWatching()
            case .request(let request):
                emit(.http(request))
                if request.method == "CONNECT" {
                    // What follows is the tunnelled stream, typically TLS.
                    let rest = Array(buffer[request.headerLength...])
                    mode = .watching
                    buffer = []
                    if !rest.isEmpty { rest.withUnsafeBytes { deliver($0, emit) } }
                    return
                }
                buffer.removeFirst(request.headerLength)
                let next = buffer.withUnsafeBytes { HTTPRequest.looksLikeRequest($0) }
                if buffer.isEmpty || !next { backToWatching() }
            }
        }
    }

    private func tryDNS(_ emit: (Event) -> Void) {
        var offset = 0
        while buffer.count - offset >= 2 {
            let length = Int(buffer[offset]) << 8 | Int(buffer[offset + 1])
            guard buffer.count - offset - 2 >= length else { break }
            if let message = buffer.withUnsafeBytes({
                DNSMessage.parse(UnsafeRawBufferPointer(rebasing: $0[(offset + 2)..<(offset + 2 + length)]))
            }) {
                emit(.dns(message))
            }
            offset += 2 + length
        }
        if offset > 0 { buffer.removeFirst(offset) }
        if examined > 4 * Self.watchLimit { finish() }
    }

    private func backToWatching() {
        buffer = []
        mode = examined > Self.watchLimit ? .done : .watching
    }

    private func finish() {
        mode = .done
        buffer = []
    }
}
