import Foundation

/// Writing small JSON texts by hand, for the per-record hot path where `JSONEncoder` costs more
/// than the parsing. Output is valid JSON with keys in sorted order.
public enum JSONText {
    /// A JSON string literal: quotes, backslashes and control characters escaped.
    public static func quote(_ text: String) -> String {
        // Most text needs no escaping: one pass over the bytes decides.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }) { return "\"" + text + "\"" }
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `["…","…"]`.
    public static func array(_ items: [String]) -> String {
        "[" + items.map(quote).joined(separator: ",") + "]"
    }

    /// `{"a":"…","b":"…"}` with sorted keys.
    public static func object(_ fields: [String: String]) -> String {
        object(pairs: fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    /// `{"a":"…","b":"…"}` from pairs already in the order wanted (no sorting, no dictionary).
    public static func object(pairs: [(String, String)]) -> String {
        var out = "{"
        for (i, (key, value)) in pairs.enumerated() {
            if i > 0 { out.append(",") }
            append(key, to: &out)
            out.append(":")
            append(value, to: &out)
        }
        out.append("}")
        return out
    }

    /// Appends `text` as a JSON string literal.
    static func append(_ text: String, to out: inout String) {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C }) {
            out.append("\"")
            out.append(text)
            out.append("\"")
        } else {
            out.append(quote(text))
        }
    }
}

extension Locator {
    /// Only the position, as JSON (`{"line":12}`): what the case store keeps per record, the
    /// evidence item's hash, path and member being stored once with the item.
    public var positionJSON: String {
        switch position {
        case .line(let n): return "{\"line\":\(n)}"
        case .row(let n): return "{\"row\":\(n)}"
        case .jsonPointer(let p): return "{\"json_pointer\":\(JSONText.quote(p))}"
        case .packet(let n, let offset): return "{\"offset\":\(offset),\"packet\":\(n)}"
        }
    }

    /// The locator as JSON, the same text `JSONEncoder` with sorted keys writes.
    public var jsonText: String {
        var parts: [(String, String)] = [("path", JSONText.quote(path)), ("sha256", JSONText.quote(evidenceSHA256))]
        if let member { parts.append(("member", JSONText.quote(member))) }
        switch position {
        case .line(let n): parts.append(("line", String(n)))
        case .row(let n): parts.append(("row", String(n)))
        case .jsonPointer(let p): parts.append(("json_pointer", JSONText.quote(p)))
        case .packet(let n, let offset):
            parts.append(("packet", String(n)))
            parts.append(("offset", String(offset)))
        }
        return "{" + parts.sorted { $0.0 < $1.0 }.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}

extension JSONText {
    /// Reads back a flat object of strings as ``object(_:)`` writes it (`{"a":"x","b":"y"}`), for
    /// the per-record read path where `JSONDecoder` costs more than the rest of the row. Nil when
    /// the text has any other shape or any escape: the caller then decodes it in full.
    public static func flatStrings(_ text: String) -> [String: String]? {
        var text = text
        text.makeContiguousUTF8()
        return text.utf8.withContiguousStorageIfAvailable { bytes -> [String: String]? in
            let quote = UInt8(ascii: "\"")
            let n = bytes.count
            guard n >= 2, bytes[0] == UInt8(ascii: "{"), bytes[n - 1] == UInt8(ascii: "}") else { return nil }
            var result: [String: String] = [:]
            var i = 1
            // A string literal without escapes starting at `i` (its opening quote).
            func string() -> String? {
                guard i < n, bytes[i] == quote else { return nil }
                let start = i + 1
                var j = start
                while j < n, bytes[j] != quote {
                    if bytes[j] == UInt8(ascii: "\\") || bytes[j] < 0x20 { return nil }
                    j += 1
                }
                guard j < n else { return nil }
                i = j + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<j]), as: UTF8.self)
            }
            if n == 2 { return result }
            while true {
                guard let key = string(), i < n, bytes[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                guard let value = string(), i < n else { return nil }
                result[key] = value
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                return bytes[i] == UInt8(ascii: "}") && i == n - 1 ? result : nil
            }
        } ?? nil
    }
}

extension JSONText {
    /// Reads back an array of strings as ``array(_:)`` writes it (`["a","b"]`); nil for any
    /// other shape or any escape (decode it in full then).
    public static func flatStringArray(_ text: String) -> [String]? {
        guard text.hasPrefix("["), text.hasSuffix("]") else { return nil }
        // The same reader as for objects: `{"0":…}` would need keys, so read the items directly.
        let body = text.dropFirst().dropLast()
        if body.isEmpty { return [] }
        var items: [String] = []
        var rest = Substring(body)
        while true {
            guard rest.hasPrefix("\""), let close = rest.dropFirst().firstIndex(of: "\"") else { return nil }
            let item = rest[rest.index(after: rest.startIndex)..<close]
            if item.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 < 0x20 }) { return nil }
            items.append(String(item))
            rest = rest[rest.index(after: close)...]
            if rest.isEmpty { return items }
            guard rest.hasPrefix(",") else { return nil }
            rest = rest.dropFirst()
        }
    }
}

extension JSONText {
    /// An array of strings: read as ``flatStringArray(_:)`` when it can be, else decoded in full.
    public static func stringArray(_ text: String) throws -> [String] {
        if let flat = flatStringArray(text) { return flat }
        return try JSONDecoder().decode([String].self, from: Data(text.utf8))
    }

    /// An array of unsigned integers (`[64500,64501]`), read without a decoder when it has no
    /// spaces or other shape; decoded in full otherwise.
    public static func unsignedArray(_ text: String) throws -> [UInt64] {
        if text.hasPrefix("["), text.hasSuffix("]") {
            let body = text.dropFirst().dropLast()
            if body.isEmpty { return [] }
            var values: [UInt64] = []
            for item in body.split(separator: ",", omittingEmptySubsequences: false) {
                guard item.utf8.count <= 19, !item.isEmpty, item.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                    let value = UInt64(item)
                else { return try JSONDecoder().decode([UInt64].self, from: Data(text.utf8)) }
                values.append(value)
            }
            return values
        }
        return try JSONDecoder().decode([UInt64].self, from: Data(text.utf8))
    }
}

extension Locator.Position {
    /// Reads back a position as ``Locator/positionJSON`` writes a line, row or packet
    /// (`{"line":12}`, `{"offset":184,"packet":3}`); nil for anything else (decode it in full).
    public static func fromPositionJSON(_ text: String) -> Locator.Position? {
        func number(_ s: Substring) -> Int? { s.utf8.count <= 18 && s.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } ? Int(s) : nil }
        guard text.hasPrefix("{\""), text.hasSuffix("}") else { return nil }
        let body = text.dropFirst(2).dropLast()
        if body.hasPrefix("line\":"), let n = number(body.dropFirst(6)) { return .line(n) }
        if body.hasPrefix("row\":"), let n = number(body.dropFirst(5)) { return .row(n) }
        if body.hasPrefix("offset\":"), let comma = body.firstIndex(of: ","),
            let offset = number(body[body.index(body.startIndex, offsetBy: 8)..<comma]),
            body[comma...].hasPrefix(",\"packet\":"), let n = number(body[comma...].dropFirst(10))
        {
            return .packet(number: n, offset: Int64(offset))
        }
        return nil
    }
}
