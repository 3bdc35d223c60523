/// Meta's exports (Facebook, Instagram) write each UTF-8 byte of non-ASCII text as its own
/// `\u00XX` escape, so `ř` arrives as `Å\u{99}`. The repair maps each scalar back to a byte and
/// decodes the bytes as UTF-8; text that was not damaged this way is returned unchanged.
public enum MetaText {
    public static func repair(_ text: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.unicodeScalars.count)
        var sawHigh = false
        for scalar in text.unicodeScalars {
            guard scalar.value <= 0xFF else { return text }
            if scalar.value >= 0x80 { sawHigh = true }
            bytes.append(UInt8(scalar.value))
        }
        guard sawHigh, let repaired = String(validating: bytes, as: UTF8.self) else { return text }
        return repaired
    }
}
