extension StringProtocol {
    /// The first (or last) range of `needle`, compared byte for byte in UTF-8. Unlike
    /// Foundation's `range(of:)` it involves no locale and no bridging, which matters per line.
    public func utf8Range(of needle: String, backwards: Bool = false) -> Range<String.Index>? {
        let pattern = Array(needle.utf8)
        guard let first = pattern.first else { return nil }
        let view = self.utf8
        let count = pattern.count
        let found: Int? = view.withContiguousStorageIfAvailable { bytes -> Int? in
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
