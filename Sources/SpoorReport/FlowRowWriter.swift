import SpoorCapture
import SpoorCase
import SpoorStore
import SpoorCore

/// Writes flows as CSV or JSON Lines rows straight into bytes: a capture can hold millions of
/// flows, and building a string per value would cost more than reading the packets.
public struct FlowRowWriter {
    /// Zeek's conn.log columns, then Spoor's: names, VLAN, tunnel, evidence and packets.
    public static let columns = [
        "ts", "orig_h", "orig_p", "resp_h", "resp_p", "proto", "service", "duration", "orig_bytes", "resp_bytes",
        "conn_state", "missed_bytes", "history", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes",
        "community_id", "names", "vlan", "tunnel", "ended", "evidence_sha256", "path", "first_packet", "last_packet",
    ]

    public enum Style: Sendable { case csv, jsonl }

    let style: Style
    public var bytes: [UInt8] = []
    private var lastPath = ""
    private var lastPathBytes: [UInt8] = []
    /// For a redacted annex: what to write instead of an address or a capture's path (nil keeps
    /// the address). A flow with a replaced endpoint gets no Community ID, which would let the
    /// endpoint be recovered by trying addresses.
    var replaceAddress: ((IPAddress) -> String?)?
    var replacePath: ((String) -> String)?

    public init(style: Style) {
        self.style = style
        bytes.reserveCapacity(1 << 17)
    }

    /// One row in ``Flows/columns`` order; a missing value is empty (CSV) or null (JSON).
    public mutating func row(_ stored: StoredFlow) {
        let flow = stored.flow
        if style == .jsonl { bytes.append(UInt8(ascii: "{")) }
        column(0) { $0.time(flow.firstTime) }
        let originator = replaceAddress?(flow.originator)
        let responder = replaceAddress?(flow.responder)
        column(1) { w in if let originator { w.text(originator) } else { w.ip(flow.originator) } }
        column(2) { $0.number(Int(flow.originatorPort)) }
        column(3) { w in if let responder { w.text(responder) } else { w.ip(flow.responder) } }
        column(4) { $0.number(Int(flow.responderPort)) }
        column(5) { $0.plain(flow.protocolName) }
        optional(6, flow.services.isEmpty ? nil : flow.services.joined(separator: ",")) { $0.plain($1) }
        optional(7, flow.duration > 0 ? flow.duration : nil) { $0.seconds($1) }
        optional(8, flow.originatorBytes) { $0.number($1) }
        optional(9, flow.responderBytes) { $0.number($1) }
        column(10) { $0.plain(flow.state) }
        column(11) { $0.number(flow.missedBytes) }
        column(12) { $0.plain(flow.history) }
        column(13) { $0.number(flow.originatorPackets) }
        column(14) { $0.number(flow.originatorIPBytes) }
        column(15) { $0.number(flow.responderPackets) }
        column(16) { $0.number(flow.responderIPBytes) }
        column(17) { w in if originator == nil && responder == nil { w.plain(flow.communityID) } }
        column(18) { writer in
            if writer.style == .jsonl {
                writer.bytes.append(UInt8(ascii: "["))
                for (i, name) in flow.names.enumerated() {
                    if i > 0 { writer.bytes.append(UInt8(ascii: ",")) }
                    writer.bytes += JSONText.quote(name).utf8
                }
                writer.bytes.append(UInt8(ascii: "]"))
            } else if !flow.names.isEmpty {
                writer.bytes += SafeText.csvField(flow.names.joined(separator: " ")).utf8
            }
        }
        optional(19, flow.vlan) { $0.number(Int($1)) }
        optional(20, flow.tunnel?.rawValue) { $0.plain($1) }
        column(21) { $0.plain(flow.ended) }
        optional(22, stored.evidenceSHA256.isEmpty ? nil : stored.evidenceSHA256) { $0.plain($1) }
        column(23) { writer in
            // Consecutive flows mostly come from one capture: its written form is kept.
            let shown = writer.replacePath?(stored.path) ?? stored.path
            let path = stored.member.map { "\(shown)!\($0)" } ?? shown
            if path != writer.lastPath {
                let start = writer.bytes.count
                writer.text(path)
                writer.lastPath = path
                writer.lastPathBytes = Array(writer.bytes[start...])
            } else {
                writer.bytes += writer.lastPathBytes
            }
        }
        column(24) { $0.number(flow.firstPacket) }
        column(25) { $0.number(flow.lastPacket) }
        bytes += style == .jsonl ? [UInt8(ascii: "}"), 0x0A] : [0x0A]
    }

    static let jsonKeys: [[UInt8]] = FlowRowWriter.columns.map { Array((JSONText.quote($0) + ":").utf8) }
    /// Whether each column's JSON value is written bare (numbers, the names array) or quoted.
    static let bare: [Bool] = (0..<FlowRowWriter.columns.count).map {
        [2, 4, 7, 8, 9, 11, 13, 14, 15, 16, 18, 19, 24, 25].contains($0)
    }

    private mutating func separator(_ index: Int) {
        if index > 0 { bytes.append(UInt8(ascii: ",")) }
        if style == .jsonl { bytes += Self.jsonKeys[index] }
    }

    private mutating func column(_ index: Int, _ write: (inout FlowRowWriter) -> Void) {
        separator(index)
        let quoted = style == .jsonl && !Self.bare[index]
        if quoted { bytes.append(UInt8(ascii: "\"")) }
        write(&self)
        if quoted { bytes.append(UInt8(ascii: "\"")) }
    }

    private mutating func optional<T>(_ index: Int, _ value: T?, _ write: (inout FlowRowWriter, T) -> Void) {
        guard let value else {
            separator(index)
            if style == .jsonl { bytes += "null".utf8 }
            return
        }
        column(index) { write(&$0, value) }
    }

    /// Text known to need no quoting or escaping (numbers, states, protocol names, base64).
    mutating func plain(_ text: String) { bytes += text.utf8 }

    /// Text that may need it (file names, names from the wire).
    mutating func text(_ text: String) {
        if style == .jsonl {
            let quoted = JSONText.quote(text).utf8
            bytes += quoted.dropFirst().dropLast()
        } else {
            bytes += SafeText.csvField(text).utf8
        }
    }

    mutating func number(_ value: Int) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            number(-value)
            return
        }
        if value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = value
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while v > 0 {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                count += 1
            }
            bytes += buffer[(20 - count)...]
        }
    }

    /// `n` as exactly `width` digits.
    mutating func padded(_ n: Int, _ width: Int) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var v = n
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8((v / divisor) % 10))
            v %= divisor
            divisor /= 10
        }
    }

    /// RFC 3339 UTC with microseconds: `2023-10-16T12:18:16.259279Z`.
    public mutating func time(_ nanoseconds: Int64) {
        let seconds = nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000
        let micro = Int((nanoseconds - seconds * 1_000_000_000) / 1000)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let of = Int(seconds - days * 86_400)
        let (year, month, day) = CivilTime.civil(days: days)
        padded(year, 4)
        bytes.append(UInt8(ascii: "-"))
        padded(month, 2)
        bytes.append(UInt8(ascii: "-"))
        padded(day, 2)
        bytes.append(UInt8(ascii: "T"))
        padded(of / 3600, 2)
        bytes.append(UInt8(ascii: ":"))
        padded(of / 60 % 60, 2)
        bytes.append(UInt8(ascii: ":"))
        padded(of % 60, 2)
        bytes.append(UInt8(ascii: "."))
        padded(micro, 6)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// An interval as seconds with six decimals, as Zeek writes it.
    mutating func seconds(_ nanoseconds: Int64) {
        let micro = Int((nanoseconds + 500) / 1000)
        number(micro / 1_000_000)
        bytes.append(UInt8(ascii: "."))
        padded(micro % 1_000_000, 6)
    }

    mutating func ip(_ address: IPAddress) {
        guard address.family == .v4 else {
            bytes += address.description.utf8
            return
        }
        let v = UInt32(truncatingIfNeeded: address.value)
        number(Int(v >> 24))
        bytes.append(UInt8(ascii: "."))
        number(Int(v >> 16 & 0xFF))
        bytes.append(UInt8(ascii: "."))
        number(Int(v >> 8 & 0xFF))
        bytes.append(UInt8(ascii: "."))
        number(Int(v & 0xFF))
    }
}
