extension StringProtocol {
    /// The first (or last) range of `needle`, compared byte for byte in UTF-8. Unlike
    /// Foundation's `range(of:)` it involves no locale and no bridging, which matters per line.
    public func utf8Range(of needle: String, backwards: Bool = false) -> Range<String.Index>? {
        let pattern = Array(needle.utf8)
        guard let first = pattern.first else { return nil }
        let view = self.utf8
        let count = pattern.count
        let found: Int? =
            view.withContiguousStorageIfAvailable { bytes -> Int? in
                guard bytes.count >= count else { return nil }
                let last = bytes.count - count
                var i = backwards ? last : 0
                while backwards ? i >= 0 : i <= last {
                    if bytes[i] == first {
                        var j = 1
                        while j < count && bytes[i + j] == pattern[j] { j += 1 }
                        if j == count { return i }
                    }
                    i += backwards ? -1 : 1
                }
                return nil
            } ?? slowSearch(Array(view), pattern, backwards: backwards)
        guard let offset = found else { return nil }
        let start = view.index(view.startIndex, offsetBy: offset)
        let end = view.index(start, offsetBy: count)
        return start..<end
    }

    private func slowSearch(_ bytes: [UInt8], _ pattern: [UInt8], backwards: Bool) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        let offsets = Array(0...(bytes.count - pattern.count))
        for i in backwards ? offsets.reversed() : offsets where bytes[i..<i + pattern.count].elementsEqual(pattern) {
            return i
        }
        return nil
    }
}

extension StringProtocol {
    /// The text without leading and trailing ASCII whitespace (space, tab, CR, LF), compared by
    /// byte: per field of a large export this is much cheaper than Foundation's trimming.
    public var trimmedASCII: String { trimming(" \t\r\n") }
}

extension StringProtocol {
    /// The text without the given characters at either end. An ASCII set is compared by byte
    /// (cheap per field); any other set by character.
    public func trimming(_ set: String) -> String { String(trimmedSlice(set)) }

    /// ``trimming(_:)`` as a slice of the same text, making no new one.
    public func trimmedSlice(_ set: String) -> Substring {
        let slice = Substring(self)
        if set.utf8.allSatisfy({ $0 < 0x80 }) {
            let bytes = set.utf8
            let view = slice.utf8
            guard let first = view.firstIndex(where: { !bytes.contains($0) }),
                let last = view.lastIndex(where: { !bytes.contains($0) })
            else { return slice[slice.endIndex...] }
            return slice[first...last]
        }
        var s = slice
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return s
    }
}
