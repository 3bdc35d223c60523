import ArgumentParser
import Foundation
import SpoorCore
import SpoorIntel

extension Intel {
    struct Match: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Screen lines of text for addresses the indicator store holds, as grepcidr does.",
            discussion: """
                Reads FILE (or standard input, or -), finds the addresses written in each line (IPv4, IPv6, \
                IPv4-mapped IPv6 read as IPv4), and prints each line holding one that an IP or CIDR indicator \
                contains, followed by the indicators matched. --count prints only the number of matching lines. \
                Exit status 0 when a line matched, 1 when none did (as grep).
                """)

        @Argument(help: ArgumentHelp("The text to screen (default: standard input).", valueName: "file")) var file: String?
        @Flag(help: "Print only the number of matching lines.") var count = false
        @Flag(help: "Print on standard error how long loading the indicators and matching took.") var timing = false
        @OptionGroup var intel: IntelStoreOption

        func run() throws {
            let started = Date()
            let store = try Intel.open(intel)
            // Screening needs only the union of the indicators (a stored snapshot); which
            // indicators matched is looked up, with provenance, for the lines that match.
            let coverage: CoverageIndex
            do { coverage = try store.coverage() } catch { throw fail(error) }
            let loaded = Date()
            var matcher: IndicatorMatcher?
            let descriptor: Int32
            if let file, file != "-" {
                descriptor = Glibc.open(file, O_RDONLY)
                guard descriptor >= 0 else {
                    Console.error("spoor: error: \(SafeText.terminal(file)): cannot open (\(String(cString: strerror(errno))))")
                    throw ExitStatus.failure
                }
            } else {
                descriptor = STDIN_FILENO
            }
            defer { if descriptor != STDIN_FILENO { Glibc.close(descriptor) } }
            var lines = 0
            var matched = 0
            var output = BufferedOutput()
            var records: [Int64: IndicatorRecord] = [:]
            /// A matching line: counted, and unless counting only, printed with its indicators.
            func report(_ line: UnsafeBufferPointer<UInt8>) throws {
                matched += 1
                guard !count else { return }
                if matcher == nil { matcher = try store.matcher() }
                guard let matcher, let address = AddressScanner.firstCovered(in: line, coverage) else { return }
                let ids = matcher.matches(address)
                let missing = ids.filter { records[$0] == nil }
                if !missing.isEmpty { for record in try store.records(ids: missing) { records[record.id] = record } }
                let cited = ids.compactMap { records[$0] }.map { record in
                    record.indicator.value + " (" + record.provenance.map(\.source).joined(separator: "; ") + ")"
                }
                output.write(SafeText.terminal(String(decoding: line, as: UTF8.self)) + "\t# " + SafeText.terminal(cited.joined(separator: ", ")) + "\n")
            }
            // Lines are screened in place in a 4 MiB buffer; a line cut by the buffer's end
            // moves to its front before the next read. With --count, each buffer's lines are
            // screened on two threads.
            let capacity = 4 << 20
            let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            defer { buffer.deallocate() }
            var filled = 0
            do {
                while true {
                    let got = Glibc.read(descriptor, buffer + filled, capacity - filled)
                    if got < 0 {
                        if errno == EINTR { continue }
                        throw IntelError.cannotRead(path: file ?? "-", reason: String(cString: strerror(errno)))
                    }
                    let end = filled + got
                    let atEnd = got == 0
                    // Whole lines up to the last newline; at the end of input, everything; a
                    // line longer than the buffer is screened in pieces.
                    var complete = end
                    if !atEnd {
                        var i = end - 1
                        while i >= 0, buffer[i] != 0x0A { i -= 1 }
                        if i >= 0 { complete = i + 1 }
                    }
                    if count {
                        let (n, hits) = LineScreen.countInParallel(buffer, complete, coverage)
                        lines += n
                        matched += hits
                    } else {
                        var failure: Error?
                        lines += LineScreen.screen(buffer, 0, complete, coverage) { line in
                            do { try report(line) } catch { failure = error }
                        }
                        if let failure { throw failure }
                    }
                    if atEnd { break }
                    filled = end - complete
                    if filled > 0 { buffer.update(from: buffer + complete, count: filled) }
                }
            } catch {
                output.flush()
                throw fail(error)
            }
            if count { output.write("\(matched)\n") }
            output.flush()
            if timing { try reportTiming(store: store, coverage: coverage, loading: loaded.timeIntervalSince(started), screening: Date().timeIntervalSince(loaded), lines: lines, matched: matched) }
            if matched == 0 { throw ExitCode(1) }
        }

        /// Times the structures alone over the same addresses, parsed first: the coverage index
        /// (what screening uses) and the full matcher (every matching indicator).
        func reportTiming(store: IndicatorStore, coverage: CoverageIndex, loading: Double, screening: Double, lines: Int, matched: Int) throws {
            var addresses: [IPAddress] = []
            if let file, file != "-", let data = FileManager.default.contents(atPath: file) {
                [UInt8](data).withUnsafeBufferPointer { bytes in
                    var lineStart = 0
                    for i in bytes.indices where bytes[i] == 0x0A {
                        AddressScanner.forEachAddress(in: UnsafeBufferPointer(rebasing: bytes[lineStart..<i])) { addresses.append($0); return true }
                        lineStart = i + 1
                    }
                }
            }
            let v4 = addresses.filter { $0.family == .v4 }.map { UInt32(truncatingIfNeeded: $0.value) }
            var before = Date()
            var hits = 0
            for q in v4 where coverage.covers(v4: q) { hits += 1 }
            let coverageTime = Date().timeIntervalSince(before)
            let compileStart = Date()
            let matcher: IndicatorMatcher
            do { matcher = try store.matcher() } catch { throw fail(error) }
            let compiling = Date().timeIntervalSince(compileStart)
            before = Date()
            var every = 0
            for address in addresses { matcher.forEachMatch(address) { _ in every += 1 } }
            let matcherTime = Date().timeIntervalSince(before)
            Console.error(String(
                format: "loading the coverage snapshot (%d ranges): %.3f s; screening %d lines (%d matching): %.3f s; "
                    + "coverage alone: %d IPv4 lookups in %.4f s (%.1f M/s, %d hits); "
                    + "compiling the full matcher (%d indicators): %.3f s; full matcher alone (every matching indicator): %d lookups in %.4f s (%.1f M/s, %d matches)",
                coverage.rangeCount, loading, lines, matched, screening,
                v4.count, coverageTime, Double(v4.count) / max(coverageTime, 1e-9) / 1e6, hits,
                matcher.count, compiling, addresses.count, matcherTime, Double(addresses.count) / max(matcherTime, 1e-9) / 1e6, every))
        }
    }
}

/// Screens whole lines held in memory.
enum LineScreen {
    /// Screens the lines in `base[start..<end]` (each ended by a newline, except perhaps the
    /// last), calling `onMatch` with each line holding a covered address; returns the number
    /// of lines.
    static func screen(
        _ base: UnsafeMutablePointer<UInt8>, _ start: Int, _ end: Int, _ coverage: CoverageIndex,
        onMatch: (UnsafeBufferPointer<UInt8>) -> Void
    ) -> Int {
        // Bare dotted quads are collected in batches and looked up together (their memory
        // reads overlap); any other line is scanned for addresses anywhere, on its own.
        let batch = 32
        let quads = (UnsafeMutablePointer<UInt32>.allocate(capacity: batch), UnsafeMutablePointer<UInt64>.allocate(capacity: batch))
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
    static func countInParallel(_ base: UnsafeMutablePointer<UInt8>, _ end: Int, _ coverage: CoverageIndex) -> (Int, Int) {
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
    @inline(__always) static func quadLine(_ p: UnsafeMutablePointer<UInt8>, _ end: UnsafeMutablePointer<UInt8>) -> (UInt32?, Int) {
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
    @inline(__always) static func firstCovered(in line: UnsafeBufferPointer<UInt8>, _ coverage: CoverageIndex) -> IPAddress? {
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
    @inline(__always) static func dottedQuad(_ line: UnsafeBufferPointer<UInt8>) -> UInt32? {
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
enum AddressScanner {
    /// Calls `body` with each address in order; `body` returns false to stop.
    static func forEachAddress(in line: UnsafeBufferPointer<UInt8>, _ body: (IPAddress) -> Bool) {
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

    @inline(__always) static func isAddressByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x3A) || b == 0x2E || (b | 0x20 >= 0x61 && b | 0x20 <= 0x66)
    }
}
