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

    /// `{"a":"…","b":"…"}` with sorted keys.
    public static func object(_ fields: [String: String]) -> String {
        if fields.isEmpty { return "{}" }
        return "{" + fields.keys.sorted().map { quote($0) + ":" + quote(fields[$0] ?? "") }.joined(separator: ",") + "}"
    }
}

extension Locator {
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
