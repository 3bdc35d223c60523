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
