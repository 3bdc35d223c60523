/// The outline of a JSON document: the keys of its top-level object and what kind of value each
/// holds, read in one pass over the bytes without building the values.
///
/// Formats are recognised by the keys they have, wherever those keys sit in the file. A MISP
/// warninglist writes `list` before `name` and `type` (its keys are sorted), so a first read of a
/// large list holds none of them; the outline sees the whole document at the cost of one scan.
public struct JSONOutline: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case object, array, string, number, bool, null
    }

    /// The top-level object's keys and the kind of each value, in file order (a repeated key
    /// keeps its first kind).
    public private(set) var members: [(key: String, kind: Kind)] = []

    public static func == (a: JSONOutline, b: JSONOutline) -> Bool {
        a.members.map(\.key) == b.members.map(\.key) && a.members.map(\.kind) == b.members.map(\.kind)
    }

    public func hash(into hasher: inout Hasher) {
        for member in members {
            hasher.combine(member.key)
            hasher.combine(member.kind)
        }
    }

    /// The kind of value under `key`, if the top-level object has it.
    public subscript(key: String) -> Kind? { members.first { $0.key == key }?.kind }

    /// Outlines `bytes` when they are a JSON object (a UTF-8 byte-order mark and white space
    /// before it allowed); nil when they are not an object or its top level is malformed. Values
    /// below the top level are skipped by bracket counting, not validated.
    public static func read<Bytes: Collection>(_ bytes: Bytes) -> JSONOutline? where Bytes.Element == UInt8 {
        var scanner = Scanner(bytes: bytes)
        return scanner.outline()
    }

    struct Scanner<Bytes: Collection> where Bytes.Element == UInt8 {
        let bytes: Bytes
        var index: Bytes.Index

        init(bytes: Bytes) {
            self.bytes = bytes
            self.index = bytes.startIndex
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = bytes.index(index, offsetBy: 3) }
        }

        mutating func skipSpace() {
            while index < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) {
                index = bytes.index(after: index)
            }
        }

        var current: UInt8? { index < bytes.endIndex ? bytes[index] : nil }

        mutating func advance() { index = bytes.index(after: index) }

        /// A string starting at the opening quote; its text when `keep`, else nil.
        mutating func string(keep: Bool) -> (ok: Bool, text: String?) {
            advance()
            var text: [UInt8] = []
            while let byte = current {
                advance()
                if byte == UInt8(ascii: "\"") { return (true, keep ? String(decoding: text, as: UTF8.self) : nil) }
                if byte == UInt8(ascii: "\\") {
                    guard let escaped = current else { return (false, nil) }
                    advance()
                    if keep { text.append(escaped == UInt8(ascii: "n") ? 0x0A : escaped) }
                } else if keep {
                    text.append(byte)
                }
            }
            return (false, nil)
        }

        /// Skips one value; its kind, or nil when the bytes end first.
        mutating func skipValue() -> Kind? {
            skipSpace()
            guard let first = current else { return nil }
            switch first {
            case UInt8(ascii: "\""):
                return string(keep: false).ok ? .string : nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                while let byte = current {
                    if byte == UInt8(ascii: "\"") {
                        guard string(keep: false).ok else { return nil }
                        continue
                    }
                    if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") { depth += 1 }
                    if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") { depth -= 1 }
                    advance()
                    if depth == 0 { return first == UInt8(ascii: "{") ? .object : .array }
                }
                return nil
            default:
                let start = index
                while let byte = current, ![0x2C, 0x7D, 0x5D, 0x20, 0x09, 0x0A, 0x0D].contains(byte) { advance() }
                guard start != index else { return nil }
                switch first {
                case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
                case UInt8(ascii: "n"): return .null
                default: return .number
                }
            }
        }

        mutating func outline() -> JSONOutline? {
            skipSpace()
            guard current == UInt8(ascii: "{") else { return nil }
            advance()
            var outline = JSONOutline()
            var seen: Set<String> = []
            skipSpace()
            if current == UInt8(ascii: "}") { return outline }
            while true {
                skipSpace()
                guard current == UInt8(ascii: "\""), case (true, let key?) = string(keep: true) else { return nil }
                skipSpace()
                guard current == UInt8(ascii: ":") else { return nil }
                advance()
                guard let kind = skipValue() else { return nil }
                if seen.insert(key).inserted { outline.members.append((key, kind)) }
                skipSpace()
                if current == UInt8(ascii: ",") {
                    advance()
                    continue
                }
                return current == UInt8(ascii: "}") ? outline : nil
            }
        }
    }
}
