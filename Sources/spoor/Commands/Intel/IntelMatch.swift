import ArgumentParser
import Foundation
import SpoorCore
import SpoorIntel
import SpoorStore

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
                output.write(
                    SafeText.terminal(String(decoding: line, as: UTF8.self)) + "\t# "
                        + SafeText.terminal(cited.joined(separator: ", ")) + "\n")
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
            if timing {
                try reportTiming(
                    store: store, coverage: coverage, loading: loaded.timeIntervalSince(started),
                    screening: Date().timeIntervalSince(loaded), lines: lines, matched: matched)
            }
            if matched == 0 { throw ExitCode(1) }
        }

        /// Times the structures alone over the same addresses, parsed first: the coverage index
        /// (what screening uses) and the full matcher (every matching indicator).
        func reportTiming(
            store: IndicatorStore, coverage: CoverageIndex, loading: Double, screening: Double, lines: Int, matched: Int
        ) throws {
            var addresses: [IPAddress] = []
            if let file, file != "-", let data = FileManager.default.contents(atPath: file) {
                [UInt8](data).withUnsafeBufferPointer { bytes in
                    var lineStart = 0
                    for i in bytes.indices where bytes[i] == 0x0A {
                        AddressScanner.forEachAddress(in: UnsafeBufferPointer(rebasing: bytes[lineStart..<i])) {
                            addresses.append($0)
                            return true
                        }
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
            Console.error(
                String(
                    format: "loading the coverage snapshot (%d ranges): %.3f s; screening %d lines (%d matching): %.3f s; "
                        + "coverage alone: %d IPv4 lookups in %.4f s (%.1f M/s, %d hits); "
                        + "compiling the full matcher (%d indicators): %.3f s; full matcher alone (every matching indicator): %d lookups in %.4f s (%.1f M/s, %d matches)",
                    coverage.rangeCount, loading, lines, matched, screening,
                    v4.count, coverageTime, Double(v4.count) / max(coverageTime, 1e-9) / 1e6, hits,
                    matcher.count, compiling, addresses.count, matcherTime,
                    Double(addresses.count) / max(matcherTime, 1e-9) / 1e6, every))
        }
    }
}
