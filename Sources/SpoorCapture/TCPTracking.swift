/// TCP connection tracking with Zeek's endpoint states, so that `conn_state`, `history` and the
/// byte counts mean what they mean in Zeek's conn.log. Written from Zeek's documented
/// vocabulary and its TCP analyzer's behaviour; where Spoor departs, the README says so.
enum TCPState: UInt8, Sendable {
    case inactive, synSent, synAckSent, partial, established, closed, reset
}

/// TCP flags as the dissector hands them.
struct TCPFlags {
    let bits: UInt8
    var fin: Bool { bits & 0x01 != 0 }
    var syn: Bool { bits & 0x02 != 0 }
    var rst: Bool { bits & 0x04 != 0 }
    var ack: Bool { bits & 0x10 != 0 }
}

/// One side of a connection: what it sent, and for TCP, its state and sequence space.
final class Endpoint {
    var isOriginator: Bool
    var packets = 0
    var ipBytes = 0
    /// UDP and ICMP payload bytes (TCP sizes come from sequence numbers); -1 before any packet.
    var payloadBytes = -1

    // TCP: sequence numbers in a 64-bit space (a 32-bit value placed nearest the last one).
    var state = TCPState.inactive
    var previousState = TCPState.inactive
    var startSeq: Int64 = 0
    var lastSeq: Int64 = 0
    var ackSeq: Int64 = 0
    var finCount = 0
    var finSeq: Int64 = 0
    var lastSYN: Int64 = -1
    var lastFIN: Int64 = -1
    var lastRST: Int64 = -1
    var retransmissions: UInt32 = 0
    var retransmissionThreshold: UInt32 = 1
    var zeroWindows: UInt32 = 0
    var zeroWindowThreshold: UInt32 = 1
    var gaps: UInt32 = 0
    var gapThreshold: UInt32 = 1
    /// Relative sequence number up to which data was delivered in order (or given up as a gap).
    var reassembled: Int64 = 1
    /// Data seen beyond a hole: (start, end) relative sequence ranges.
    var pending: [(Int64, Int64)] = []

    init(isOriginator: Bool) { self.isOriginator = isOriginator }

    func setState(_ new: TCPState) {
        guard new != state else { return }
        previousState = state
        state = new
    }

    /// A 32-bit sequence number placed in the 64-bit space near `reference`.
    @inline(__always) static func unwrap(_ raw: UInt32, near reference: Int64) -> Int64 {
        reference + Int64(Int32(bitPattern: raw &- UInt32(truncatingIfNeeded: reference)))
    }

    @inline(__always) static func delta(_ a: UInt32, _ b: Int64) -> Int32 {
        Int32(bitPattern: a &- UInt32(truncatingIfNeeded: b))
    }

    func initialise(at seq: Int64, last: Int64) {
        startSeq = seq
        ackSeq = seq
        lastSeq = last
    }

    var noDataAcked: Bool { ackSeq == startSeq || ackSeq == startSeq + 1 }

    /// Bytes sent, by sequence numbers: what Zeek logs as orig_bytes / resp_bytes for TCP.
    var tcpSize: Int {
        if previousState == .synSent && state == .reset && !noDataAcked { return 0 }
        var size = max(lastSeq, ackSeq) - startSeq
        if size > 0 { size -= 1 }
        if finCount > 0 && size > 0 { size -= 1 }
        return Int(max(0, size))
    }
}

extension FlowState {
    static let tooLargeSeqDelta: Int32 = 1_048_576

    /// History masks, one bit per letter; the responder's are shifted by 16.
    enum HistoryBit: UInt32 {
        case syn = 0x1, fin = 0x2, rst = 0x4, finRst = 0x8, data = 0x10, ack = 0x20, multiFlag = 0x40
    }

    /// Records a history letter the first time it is seen for the endpoint's side; returns
    /// whether it had been seen before.
    @discardableResult
    func checkHistory(_ endpoint: Endpoint, _ bit: HistoryBit, _ code: UInt8) -> Bool {
        if (code == UInt8(ascii: "A") || code == UInt8(ascii: "D")) && history == [UInt8(ascii: "H")] {
            // A connection that began with a SYN-ACK and now carries traffic: the SYN-ACK
            // sender was the responder. Zeek flips the roles here and writes "^h".
            flipRoles()
            history = [UInt8(ascii: "^"), UInt8(ascii: "h")]
        }
        let mask = endpoint.isOriginator ? bit.rawValue : bit.rawValue << 16
        if historySeen & mask == 0 {
            historySeen |= mask
            addHistory(endpoint, code)
            return false
        }
        return true
    }

    func addHistory(_ endpoint: Endpoint, _ code: UInt8) {
        history.append(endpoint.isOriginator ? code : code | 0x20)
    }

    /// Letters repeated at 1, 10, 100, … occurrences (retransmissions, zero windows, gaps).
    func scaledHistory(_ endpoint: Endpoint, _ code: UInt8, _ counter: inout UInt32, _ threshold: inout UInt32) {
        counter &+= 1
        guard counter == threshold else { return }
        addHistory(endpoint, code)
        let next = threshold &* 10
        if next <= threshold { counter = 0 } else { threshold = next }
    }

    /// Processes one TCP segment of this connection.
    /// - Parameters:
    ///   - length: the payload length the headers declare; `captured`: how much of it was captured.
    func processTCP(
        isOriginator: Bool, flags: TCPFlags, seq: UInt32, ack: UInt32, length: Int, captured: Int, window: UInt16
    ) {
        let endpoint = isOriginator ? originator : responder
        let peer = isOriginator ? responder : originator
        if endpoint.packets == 1 {
            // Zeek's "partial" connection: begun without a clean SYN.
            if isOriginator { isPartial = !flags.syn || flags.ack } else if !isPartial { isPartial = !flags.syn }
        }
        var segmentLength = length + (flags.syn ? 1 : 0) + (flags.fin ? 1 : 0)
        if flags.rst { segmentLength -= length }
        let seqEndRaw = seq &+ UInt32(truncatingIfNeeded: segmentLength)

        switch endpoint.state {
        case .inactive:
            if flags.syn {
                endpoint.initialise(at: Int64(seq), last: Int64(seq) + Int64(segmentLength))
            } else {
                endpoint.initialise(at: Int64(seq) - 1, last: Int64(seq))
            }
        case .synSent, .synAckSent:
            if flags.syn && seq != UInt32(truncatingIfNeeded: endpoint.startSeq) {
                endpoint.initialise(at: Int64(seq), last: Int64(seq) + Int64(segmentLength))
            }
        case .established, .partial:
            if flags.syn { endpoint.initialise(at: Int64(seq), last: Int64(seq) + Int64(segmentLength)) }
        case .reset:
            if flags.syn && endpoint.previousState == .inactive {
                endpoint.initialise(at: Int64(seq), last: Int64(seq) + Int64(segmentLength))
            }
        case .closed:
            break
        }
        let seqFull = Endpoint.unwrap(seq, near: endpoint.lastSeq)
        let relativeSeq = seqFull - endpoint.startSeq

        updateHistory(endpoint, flags: flags, relativeSeq: relativeSeq, length: length)
        if window == 0 && !flags.rst && peer.state != .closed && endpoint.state != .reset {
            scaledHistory(endpoint, UInt8(ascii: "W"), &endpoint.zeroWindows, &endpoint.zeroWindowThreshold)
        }
        if flags.fin {
            endpoint.finCount += 1
            endpoint.finSeq = relativeSeq + Int64(segmentLength)
        }
        var relativeAck: Int64 = 0
        if flags.ack {
            if peer.state == .inactive {
                relativeAck = 1
                peer.initialise(at: Int64(ack) - 1, last: Int64(ack) - 1)
            } else {
                let ackFull = Endpoint.unwrap(ack, near: peer.ackSeq)
                relativeAck = ackFull - peer.startSeq
                if relativeAck < 0 {
                    relativeAck = 0
                } else if !flags.rst {
                    let deltaAck = Endpoint.delta(ack, peer.ackSeq)
                    if !(ack == 0 && deltaAck > Self.tooLargeSeqDelta) && deltaAck > 0 { peer.ackSeq = ackFull }
                }
            }
        }
        let deltaLast = Endpoint.delta(seqEndRaw, endpoint.lastSeq)
        let seqEndFull = Endpoint.unwrap(seqEndRaw, near: endpoint.lastSeq)
        if (flags.syn || flags.rst) && (deltaLast > Self.tooLargeSeqDelta || deltaLast < -Self.tooLargeSeqDelta) {
            // A wild jump on a SYN or RST: leave the sequence space alone.
        } else if flags.fin && endpoint.lastSeq == endpoint.startSeq + 1 {
            endpoint.lastSeq = seqEndFull
        } else if endpoint.state == .reset {
        } else if deltaLast > 0 {
            endpoint.lastSeq = seqEndFull
        } else if length > 0 {
            scaledHistory(endpoint, UInt8(ascii: "T"), &endpoint.retransmissions, &endpoint.retransmissionThreshold)
        }

        updateState(endpoint: endpoint, peer: peer, seq: seq, isOriginator: isOriginator, flags: flags, length: length)

        if flags.ack { ackReceived(peer, relativeAck: relativeAck) }
        // Data cut short by the snapshot length is not delivered: acknowledging it makes a gap.
        if length > 0 && captured >= length && !flags.rst && relativeSeq >= 0 {
            dataSent(endpoint, relativeSeq: flags.syn ? relativeSeq + 1 : relativeSeq, length: length)
        }
    }

    func updateHistory(_ endpoint: Endpoint, flags: TCPFlags, relativeSeq: Int64, length: Int) {
        let bits = (flags.syn ? 1 : 0) + (flags.fin ? 1 : 0) + (flags.rst ? 1 : 0)
        if bits > 1 {
            if flags.fin && flags.rst {
                checkHistory(endpoint, .finRst, UInt8(ascii: "I"))
            } else {
                checkHistory(endpoint, .multiFlag, UInt8(ascii: "Q"))
            }
        } else if bits == 1 {
            if flags.syn {
                let code = flags.ack ? UInt8(ascii: "H") : UInt8(ascii: "S")
                if checkHistory(endpoint, .syn, code) && relativeSeq != endpoint.lastSYN { addHistory(endpoint, code) }
                endpoint.lastSYN = relativeSeq
            }
            if flags.fin {
                let end = relativeSeq + Int64(length)
                if checkHistory(endpoint, .fin, UInt8(ascii: "F")) && end != endpoint.lastFIN {
                    addHistory(endpoint, UInt8(ascii: "F"))
                }
                endpoint.lastFIN = end
            }
            if flags.rst {
                if checkHistory(endpoint, .rst, UInt8(ascii: "R")) && relativeSeq != endpoint.lastRST {
                    addHistory(endpoint, UInt8(ascii: "R"))
                }
                endpoint.lastRST = relativeSeq
            }
        } else if length > 0 {
            checkHistory(endpoint, .data, UInt8(ascii: "D"))
        } else if flags.ack {
            checkHistory(endpoint, .ack, UInt8(ascii: "A"))
        }
    }

    func updateState(endpoint: Endpoint, peer: Endpoint, seq: UInt32, isOriginator: Bool, flags: TCPFlags, length: Int) {
        switch endpoint.state {
        case .inactive:
            if flags.syn {
                if isOriginator {
                    endpoint.setState(flags.ack ? .synAckSent : .synSent)
                } else {
                    if !flags.ack && peer.state == .synAckSent && Int64(seq) == endpoint.startSeq {
                        // A SYN answering a SYN-ACK: the roles were the other way round.
                        flipRoles()
                        peer.setState(.established)
                    }
                    if peer.state == .synSent { peer.setState(.established) }
                    endpoint.setState(.established)
                }
            }
            if flags.fin { endpoint.setState(.closed) }
            if flags.rst { endpoint.setState(.reset) }
            if endpoint.state == .inactive {
                if !isOriginator && length == 0 && originator.state == .synSent {
                    // An ACK of the SYN before the SYN-ACK: not yet a partial connection.
                } else if flags.ack && peer.state == .established {
                    endpoint.setState(.established)
                } else {
                    endpoint.setState(.partial)
                }
            }
        case .synSent, .synAckSent:
            if flags.fin { endpoint.setState(.closed) }
            if flags.rst { endpoint.setState(.reset) }
        case .established, .partial:
            if flags.syn && endpoint.state == .partial && peer.state == .inactive && !flags.ack {
                endpoint.setState(.synSent)
            }
            if flags.fin && !flags.rst {
                endpoint.setState(.closed)
                if peer.state == .reset && peer.previousState == .closed { peer.setState(.closed) }
            }
            if flags.rst { endpoint.setState(.reset) }
        case .closed:
            if flags.rst && peer.state != .closed { endpoint.setState(.reset) }
        case .reset:
            break
        }
    }

    /// In-order delivery of an endpoint's data, remembering what lies beyond a hole.
    func dataSent(_ endpoint: Endpoint, relativeSeq: Int64, length: Int) {
        let end = relativeSeq + Int64(length)
        guard end > endpoint.reassembled else { return }
        if relativeSeq <= endpoint.reassembled {
            endpoint.reassembled = end
            drainPending(endpoint)
        } else if endpoint.pending.count < 64 {
            endpoint.pending.append((relativeSeq, end))
        }
    }

    func drainPending(_ endpoint: Endpoint) {
        guard !endpoint.pending.isEmpty else { return }
        var progressed = true
        while progressed {
            progressed = false
            for (i, block) in endpoint.pending.enumerated() where block.0 <= endpoint.reassembled {
                endpoint.reassembled = max(endpoint.reassembled, block.1)
                endpoint.pending.remove(at: i)
                progressed = true
                break
            }
        }
    }

    /// The peer acknowledged `endpoint`'s data up to `relativeAck`: data never seen below it is
    /// a content gap (Zeek's `G`).
    func ackReceived(_ endpoint: Endpoint, relativeAck: Int64) {
        var upTo = relativeAck
        if endpoint.finCount > 0 && upTo >= endpoint.finSeq { upTo = endpoint.finSeq - 1 }
        guard upTo > endpoint.reassembled else { return }
        if upTo <= 2 && isPartial { return }
        endpoint.pending.sort { $0.0 < $1.0 }
        while let block = endpoint.pending.first, block.0 < upTo {
            endpoint.pending.removeFirst()
            if block.0 > endpoint.reassembled {
                scaledHistory(endpoint, UInt8(ascii: "G"), &endpoint.gaps, &endpoint.gapThreshold)
                missedBytes += Int(block.0 - endpoint.reassembled)
            }
            endpoint.reassembled = max(endpoint.reassembled, block.1)
        }
        if upTo > endpoint.reassembled {
            scaledHistory(endpoint, UInt8(ascii: "G"), &endpoint.gaps, &endpoint.gapThreshold)
            missedBytes += Int(upTo - endpoint.reassembled)
            endpoint.reassembled = upTo
        }
    }

    /// Zeek's `conn_state` for TCP, from the two endpoints' final states.
    var tcpConnState: String {
        let os = originator.state
        let rs = responder.state
        let originatorInactive = os == .inactive || os == .partial
        let responderInactive = rs == .inactive || rs == .partial
        if rs == .reset {
            if os == .synSent || os == .synAckSent || (os == .reset && originator.tcpSize == 0 && responder.tcpSize == 0) {
                return "REJ"
            }
            return originatorInactive ? "RSTRH" : "RSTR"
        }
        if os == .reset {
            if responderInactive { return Self.looksLikeSynThenReset(history) ? "RSTOS0" : "OTH" }
            return "RSTO"
        }
        if rs == .closed && os == .closed { return "SF" }
        if os == .closed { return responderInactive ? "SH" : "S2" }
        if rs == .closed { return originatorInactive ? "SHR" : "S3" }
        if os == .synSent && rs == .inactive { return "S0" }
        if os == .established && rs == .established { return "S1" }
        return "OTH"
    }

    /// `^?S[^HAFGIQ]*R.*`: a SYN, then a RST with no handshake, data or close between.
    static func looksLikeSynThenReset(_ history: [UInt8]) -> Bool {
        var i = 0
        if i < history.count && history[i] == UInt8(ascii: "^") { i += 1 }
        guard i < history.count, history[i] == UInt8(ascii: "S") else { return false }
        i += 1
        while i < history.count {
            let c = history[i]
            if c == UInt8(ascii: "R") { return true }
            if "HAFGIQ".utf8.contains(c) { return false }
            i += 1
        }
        return false
    }
}
