import Foundation
import SpoorCore

// Screening text against the indicator set's coverage (`spoor intel match`): a byte scan for
// addresses, millions of lines a second. Package-visible: the CLI drives it over mapped files,
// tests call it directly; it is not part of the library's public interface.

/// Screens whole lines held in memory.
package enum LineScreen {
    /// Screens the lines in `base[start..<end]` (each ended by a newline, except perhaps the
    /// last), calling `onMatch` with each line holding a covered address; returns the number
    /// of lines.
    package static func screen(
        _ base: UnsafeMutablePointer<UInt8>, _ start: Int, _ end: Int, _ coverage: CoverageIndex,
        onMatch: (UnsafeBufferPointer<UInt8>) -> Void
    ) -> Int {
        // Bare dotted quads are collected in batches and looked up together (their memory
        // reads overlap); any other line is scanned for addresses anywhere, on its own.
        let batch = 32
        let quads = (
            UnsafeMutablePointer<UInt32>.allocate(capacity: batch), UnsafeMutablePointer<UInt64>.allocate(capacity: batch)
        )
        let spans = UnsafeMutablePointer<(Int, Int)>.allocate(capacity: batch)
        defer {
            quads.0.deallocate()
            quads.1.deallocate()
            spans.deallocate()
        }
        var pending = 0
        func flush() {
            coverage.covers(v4: quads.0, count: pending, results: quads.1)
            for k in 0..<pending where quads.1[k] != 0 {
                onMatch(UnsafeBufferPointer(start: base + spans[k].0, count: spans[k].1))
            }
            pending = 0
        }
        var lines = 0
        var lineStart = start
        while lineStart < end {
            let (quad, length) = AddressScanner.quadLine(base + lineStart, base + end)
            let lineEnd = lineStart + length
            lines += 1
            if let quad {
                quads.0[pending] = quad
                spans[pending] = (lineStart, length)
                pending += 1
                if pending == batch { flush() }
            } else {
                let line = UnsafeBufferPointer(start: base + lineStart, count: length)
                if AddressScanner.firstCovered(in: line, coverage) != nil {
                    flush()
                    onMatch(line)
                }
            }
            lineStart = lineEnd + 1
        }
        flush()
        return lines
    }

    /// Counts lines and matching lines in `base[0..<end]`, the two halves (split at a
    /// newline) on two threads when the text is large enough to be worth it.
    package static func countInParallel(_ base: UnsafeMutablePointer<UInt8>, _ end: Int, _ coverage: CoverageIndex) -> (Int, Int)
    {
        var split = end
        if end >= 1 << 16, let newline = memchr(base + end / 2, 0x0A, end - end / 2) {
            split = newline.assumingMemoryBound(to: UInt8.self) - base + 1
        }
        let parts = [(0, split), (split, end)]
        let results = UnsafeMutableBufferPointer<(Int, Int)>.allocate(capacity: 2)
        defer { results.deallocate() }
        results.initialize(repeating: (0, 0))
        let address = UInt(bitPattern: base)
        let slots = UInt(bitPattern: results.baseAddress)
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            let base = UnsafeMutablePointer<UInt8>(bitPattern: address)!
            var hits = 0
            let lines = screen(base, parts[part].0, parts[part].1, coverage) { _ in hits += 1 }
            UnsafeMutablePointer<(Int, Int)>(bitPattern: slots)![part] = (lines, hits)
        }
        return (results[0].0 + results[1].0, results[0].1 + results[1].1)
    }
}

extension AddressScanner {
    /// Reads a line from `p` (before `end`) that is exactly a dotted quad with an optional CR,
    /// in one pass: returns the address and the newline's position. Any other line gives nil
    /// and the position of its newline (`end` when there is none yet).
    @inline(__always) package static func quadLine(_ p: UnsafeMutablePointer<UInt8>, _ end: UnsafeMutablePointer<UInt8>) -> (
        UInt32?, Int
    ) {
        var q = p
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var dots = 0
        while q < end {
            let byte = q.pointee
            if byte &- 0x30 < 10 {
                octet = octet &* 10 &+ UInt32(byte &- 0x30)
                digits += 1
                if digits > 3 || octet > 255 { break }
            } else if byte == 0x2E {
                if digits == 0 || dots == 3 { break }
                value = value << 8 | octet
                octet = 0
                digits = 0
                dots += 1
            } else if byte == 0x0A {
                let at = q - p
                return dots == 3 && digits > 0 ? (value << 8 | octet, at) : (nil, at)
            } else if byte == 0x0D, q + 1 < end, (q + 1).pointee == 0x0A {
                let at = q + 1 - p
                return dots == 3 && digits > 0 ? (value << 8 | octet, at) : (nil, at)
            } else {
                break
            }
            q += 1
        }
        // Not a bare quad: find the newline.
        guard q < end, let newline = memchr(q, 0x0A, end - q) else { return (nil, end - p) }
        return (nil, newline.assumingMemoryBound(to: UInt8.self) - p)
    }

    /// The first address in the line that an IP or CIDR indicator covers.
    @inline(__always) package static func firstCovered(in line: UnsafeBufferPointer<UInt8>, _ coverage: CoverageIndex)
        -> IPAddress?
    {
        // Most lines are one dotted quad: read it directly before the general scan.
        if let v4 = dottedQuad(line) { return coverage.covers(v4: v4) ? IPAddress(v4: v4) : nil }
        var hit: IPAddress?
        forEachAddress(in: line) { address in
            if coverage.covers(address) {
                hit = address
                return false
            }
            return true
        }
        return hit
    }

    /// A line that is exactly `a.b.c.d` (a trailing CR allowed).
    @inline(__always) package static func dottedQuad(_ line: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var dots = 0
        for byte in line {
            switch byte {
            case 0x30...0x39:
                octet = octet * 10 + UInt32(byte - 0x30)
                digits += 1
                guard digits <= 3, octet <= 255 else { return nil }
            case UInt8(ascii: "."):
                guard digits > 0, dots < 3 else { return nil }
                value = value << 8 | octet
                octet = 0
                digits = 0
                dots += 1
            case 0x0D:
                continue
            default:
                return nil
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        return value << 8 | octet
    }
}

/// Finds the addresses written in a line of text: runs of hex digits, dots and colons that read
/// as an IPv4 or IPv6 address. A cheap byte scan, for screening millions of lines.
package enum AddressScanner {
    /// Calls `body` with each address in order; `body` returns false to stop.
    package static func forEachAddress(in line: UnsafeBufferPointer<UInt8>, _ body: (IPAddress) -> Bool) {
        var i = line.startIndex
        let end = line.endIndex
        while i < end {
            // Start of a candidate: a hex digit or a colon.
            guard isAddressByte(line[i]) else {
                i += 1
                continue
            }
            var j = i
            var dots = 0
            var colons = 0
            while j < end, isAddressByte(line[j]) {
                if line[j] == UInt8(ascii: ".") { dots += 1 } else if line[j] == UInt8(ascii: ":") { colons += 1 }
                j += 1
            }
            if (dots == 3 || colons >= 2) && j - i >= 2 {
                if let address = IPAddress.parse(utf8: line[i..<j]) {
                    if !body(address.normalized) { return }
                } else if dots == 3 && colons == 1, let colon = line[i..<j].firstIndex(of: UInt8(ascii: ":")),
                    let address = IPAddress.parse(utf8: line[i..<colon])
                {
                    // a.b.c.d:port
                    if !body(address) { return }
                }
            }
            i = j
        }
    }

    @inline(__always) package static func isAddressByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x3A) || b == 0x2E || (b | 0x20 >= 0x61 && b | 0x20 <= 0x66)
    }
}
