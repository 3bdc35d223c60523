/// Making attacker-controlled text safe to show: evidence strings reach terminals, CSV and HTML.
public enum SafeText {
    /// Escapes control characters (including ESC, so no terminal sequences pass) as `\xNN` or
    /// `\u{NNNN}` and cuts the text to `limit` characters with a trailing `…`.
    public static func excerpt(_ text: some StringProtocol, limit: Int = 200) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                out += "…"
                break
            }
            out += printable(scalar)
            count += 1
        }
        return out
    }

    /// The text with every control character escaped, whole.
    public static func terminal(_ text: some StringProtocol) -> String {
        text.unicodeScalars.map(printable).joined()
    }

    static func printable(_ scalar: Unicode.Scalar) -> String {
        switch scalar.value {
        case 0x09: return "\\t"
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x00..<0x20, 0x7F: return "\\x" + hex(scalar.value, width: 2)
        // C1 controls, bidirectional overrides and isolates can disguise text.
        case 0x80..<0xA0, 0x202A...0x202E, 0x2066...0x2069:
            return "\\u{" + hex(scalar.value, width: 4) + "}"
        default: return String(scalar)
        }
    }

    static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Escapes text for HTML element content and attribute values.
    public static func html(_ text: some StringProtocol) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" || scalar.value == 0x7F {
                    out += "&#xFFFD;"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// Quotes a CSV field (RFC 4180), defuses spreadsheet formulas (a cell starting with `=`,
    /// `+`, `-` or `@` gets a leading `'`) and writes control characters as visible escapes
    /// (`\x1B`, `\n`, `\u{202E}`), so a table opened in a spreadsheet or printed in a terminal
    /// runs nothing. The record's exact bytes stay in the evidence, at the row's locator.
    /// ``csvField(_:)`` appended to `out` as UTF-8; a field with nothing to guard (the common
    /// case) is copied as it is, without making a String.
    public static func appendCSVField(_ text: String, to out: inout [UInt8]) {
        var plain = true
        var first = true
        for byte in text.utf8 {
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte < 0x20 || byte == 0x7F || byte == 0xC2
                || byte == 0xE2
                || (first
                    && (byte == UInt8(ascii: "=") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
                        || byte == UInt8(ascii: "@")))
            {
                plain = false
                break
            }
            first = false
        }
        if plain { out.append(contentsOf: text.utf8) } else { out.append(contentsOf: csvField(text).utf8) }
    }

    public static func csvField(_ text: some StringProtocol) -> String {
        var value = String(text)
        // Fast path: nothing to guard, escape or quote (checked on the UTF-8 bytes).
        var plain = true
        for (i, byte) in value.utf8.enumerated() {
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte < 0x20 || byte == 0x7F || byte == 0xC2
                || byte == 0xE2
                || (i == 0
                    && (byte == UInt8(ascii: "=") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
                        || byte == UInt8(ascii: "@")))
            {
                plain = false
                break
            }
        }
        if plain { return value }
        value = terminal(value)
        if let first = value.unicodeScalars.first, "=+-@".unicodeScalars.contains(first) {
            value = "'" + value
        }
        if value.contains(where: { $0 == "," || $0 == "\"" }) {
            return "\"" + value.replacingAll("\"", with: "\"\"") + "\""
        }
        return value
    }
}

extension String {
    /// The text with every occurrence of `target` replaced (no Foundation, no locale).
    public func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
