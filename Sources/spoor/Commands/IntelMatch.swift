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
            let matcher: IndicatorMatcher
            do { matcher = try store.matcher() } catch { throw fail(error) }
            let loaded = Date()
            var lookups = 0
            var matching = 0.0
            let handle: FileHandle
            if let file, file != "-" {
                guard let opened = FileHandle(forReadingAtPath: file) else {
                    Console.error("spoor: error: \(SafeText.terminal(file)): cannot open")
                    throw ExitStatus.failure
                }
                handle = opened
            } else {
                handle = FileHandle.standardInput
            }
            var matched = 0
            var output = BufferedOutput()
            var records: [Int64: IndicatorRecord] = [:]
            var carry: [UInt8] = []
            /// A matching line: counted, and unless counting only, printed with its indicators.
            func report(_ line: ArraySlice<UInt8>) throws {
                matched += 1
                guard !count, let address = AddressScanner.firstMatch(in: line, matcher) else { return }
                let ids = matcher.matches(address)
                let missing = ids.filter { records[$0] == nil }
                if !missing.isEmpty { for record in try store.records(ids: missing) { records[record.id] = record } }
                let cited = ids.compactMap { records[$0] }.map { record in
                    record.indicator.value + " (" + record.provenance.map(\.source).joined(separator: "; ") + ")"
                }
                output.write(SafeText.terminal(String(decoding: line, as: UTF8.self)) + "\t# " + SafeText.terminal(cited.joined(separator: ", ")) + "\n")
            }
            do {
                // Lines are screened in 1 MiB chunks; a line cut by a chunk's end is carried over.
                while true {
                    let data = handle.readData(ofLength: 1 << 20)
                    if data.isEmpty { break }
                    var bytes = carry
                    bytes.append(contentsOf: data)
                    carry = []
                    let lastNewline = bytes.lastIndex(of: 0x0A) ?? -1
                    if lastNewline >= 0 {
                        // Fast path: screen every complete line for a matching address.
                        var lineStart = 0
                        try bytes.withUnsafeBufferPointer { buffer in
                            var i = 0
                            while i <= lastNewline {
                                if buffer[i] == 0x0A {
                                    let line = bytes[lineStart..<i]
                                    lookups += 1
                                    if AddressScanner.firstMatch(in: line, matcher) != nil { try report(line) }
                                    lineStart = i + 1
                                }
                                i += 1
                            }
                        }
                    }
                    carry = Array(bytes[(lastNewline + 1)...])
                }
                if !carry.isEmpty, AddressScanner.firstMatch(in: carry[...], matcher) != nil { try report(carry[...]) }
            } catch {
                output.flush()
                throw fail(error)
            }
            if count { output.write("\(matched)\n") }
            output.flush()
            if timing {
                // The matcher alone, timed over the same addresses again (parsed first).
                var addresses: [IPAddress] = []
                if let file, file != "-", let data = FileManager.default.contents(atPath: file) {
                    let bytes = [UInt8](data)
                    var lineStart = 0
                    while let newline = bytes[lineStart...].firstIndex(of: 0x0A) {
                        AddressScanner.forEachAddress(in: bytes[lineStart..<newline]) { addresses.append($0); return true }
                        lineStart = newline + 1
                    }
                }
                let before = Date()
                var hits = 0
                for address in addresses where matcher.containsMatch(address) { hits += 1 }
                matching = Date().timeIntervalSince(before)
                Console.error(String(
                    format: "loading %d indicators: %.3f s; screening %d addresses in %d lines: %.3f s; the matcher alone: %d lookups in %.4f s (%.1f M/s)",
                    matcher.count, loaded.timeIntervalSince(started), lookups, matched, Date().timeIntervalSince(loaded) - matching,
                    addresses.count, matching, Double(addresses.count) / max(matching, 1e-9) / 1e6) + " (\(hits) hits)")
            }
            if matched == 0 { throw ExitCode(1) }
        }
    }
}

extension AddressScanner {
    /// The first address in the line that an IP or CIDR indicator contains.
    static func firstMatch(in line: ArraySlice<UInt8>, _ matcher: IndicatorMatcher) -> IPAddress? {
        // Most lines are one dotted quad: read it directly before the general scan.
        if let v4 = dottedQuad(line) { return matcher.containsMatch(v4) ? v4 : nil }
        var hit: IPAddress?
        forEachAddress(in: line) { address in
            if matcher.containsMatch(address) {
                hit = address
                return false
            }
            return true
        }
        return hit
    }

    /// A line that is exactly `a.b.c.d` (a trailing CR allowed).
    @inline(__always) static func dottedQuad(_ line: ArraySlice<UInt8>) -> IPAddress? {
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
        return IPAddress(v4: value << 8 | octet)
    }
}

/// Finds the addresses written in a line of text: runs of hex digits, dots and colons that read
/// as an IPv4 or IPv6 address. A cheap byte scan, for screening millions of lines.
enum AddressScanner {
    /// Calls `body` with each address in order; `body` returns false to stop.
    static func forEachAddress(in line: ArraySlice<UInt8>, _ body: (IPAddress) -> Bool) {
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
