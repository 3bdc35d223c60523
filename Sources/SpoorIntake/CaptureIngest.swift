import Foundation
import SpoorCapture
import SpoorCore
import SpoorLogs
import SpoorStore

extension CaseStore {
    /// Reads a packet capture into the case in one transaction: each flow as a row of the
    /// `flow` table (whose two addresses the `observation` view shows as observations), each
    /// DNS answer, TLS server name and HTTP host as an observation of the address it names.
    /// A damaged capture keeps what was read before the damage; libpcap's words and the packet
    /// number are a warning of the item.
    func storeCapture(
        _ evidence: EvidenceItem, kind: String, outcome: inout IngestOutcome, open: () throws -> any ByteSource
    ) throws {
        // libpcap reads files: an archive member is written to a private temporary file first.
        var temporary: URL?
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary.deletingLastPathComponent()) } }
        var path = evidence.path
        if evidence.member != nil {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-\(UUID().uuidString)")
            try FileManager.default.createDirectory(
                at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            let file = folder.appendingPathComponent("member.\(kind)")
            try Data(try open().readAll()).write(to: file)
            temporary = file
            path = file.path
        }
        let capture: CaptureFile
        do {
            capture = try CaptureFile(path: path)
        } catch {
            outcome.status = .failed("libpcap cannot open it: \(error.libpcapMessage)")
            try recordUnread(evidence, format: kind, status: outcome.status)
            return
        }
        defer { capture.close() }
        let result = try writeItem(evidence, format: kind, parser: nil) { writer -> CaptureAnalyzer.Summary in
            try writer.setReader(name: "Packet capture (\(CaptureFile.libraryVersion))", version: SpoorVersion.current)
            let encoder = CaptureRowEncoder(evidence: evidence, format: kind)
            var rows: [ObservationRow] = []
            func take(_ item: CaptureHandOff.Item) throws {
                switch item {
                case .flow(let flow):
                    try writer.insert(flow)
                case .name(let name):
                    if let row = encoder.row(name) { rows.append(row) }
                    if rows.count >= 2000 {
                        try writer.insert(rows)
                        rows.removeAll(keepingCapacity: true)
                    }
                }
            }
            // The packets are read and dissected on a thread of their own while this one writes
            // what they gave: on two cores the parsing and SQLite overlap.
            let handOff = CaptureHandOff.start(capture)
            func drain() throws -> CaptureAnalyzer.Summary {
                while true {
                    switch handOff.next() {
                    case .items(let items): for item in items { try take(item) }
                    case .finished(let summary): return summary
                    }
                }
            }
            let summary: CaptureAnalyzer.Summary
            do {
                summary = try drain()
                if !rows.isEmpty { try writer.insert(rows) }
            } catch {
                // Nothing more is taken: the reading thread drops the rest and ends.
                handOff.stop()
                handOff.waitUntilDone()
                throw error
            }
            handOff.waitUntilDone()
            for warning in encoder.warnings(summary, path: path) { writer.warn(warning) }
            if let error = writer.error { throw error }
            // The file must still be the one hashed before reading.
            if evidence.member == nil {
                let after = try FileHasher.sha256(path: evidence.path).sha256
                guard after == evidence.sha256 else {
                    throw IntakeError.changedDuringIngest(path: evidence.path, before: evidence.sha256, after: after)
                }
            }
            let detail =
                "link type \(summary.linkType), \(summary.packets) packets, \(summary.flows) flows, \(summary.names) names"
                + (summary.libpcapRefusal.map { _ in "; read past libpcap's multi-interface limit by Spoor's pcapng reader" }
                    ?? "")
                + (summary.error.map { "; stopped at packet \(summary.packets + 1): \($0.libpcapMessage)" } ?? "")
            try writer.finish(
                records: summary.packets, ignored: summary.packets - summary.withIP, malformed: summary.error == nil ? 0 : 1,
                detail: detail)
            outcome.observations = writer.observations
            outcome.warningCount = writer.warningCount
            outcome.warnings = writer.firstWarnings
            return summary
        }
        var parse = ParseSummary()
        parse.records = result.packets
        parse.ignored = result.packets - result.withIP
        parse.malformed = result.error == nil ? 0 : 1
        outcome.summary = parse
    }
}

/// Runs a capture's analysis on a thread of its own, handing its flows and names over in the
/// order they came, in batches, to the thread that writes them.
final class CaptureHandOff: @unchecked Sendable {
    enum Item {
        case flow(Flow)
        case name(NameRecord)
    }

    enum Batch {
        case items([Item])
        case finished(CaptureAnalyzer.Summary)
    }

    static let batchSize = 1024
    private let queue = HandOff<Batch>(capacity: 4)
    private let done = DispatchSemaphore(value: 0)
    private let capture: CaptureFile

    private init(_ capture: CaptureFile) {
        self.capture = capture
    }

    /// Starts reading the capture; its batches arrive through ``next()``. The capture is read
    /// by that thread only until ``waitUntilDone()`` returns.
    static func start(_ capture: CaptureFile) -> CaptureHandOff {
        let handOff = CaptureHandOff(capture)
        let thread = Thread {
            var batch: [Item] = []
            batch.reserveCapacity(batchSize)
            func give(_ item: Item) {
                batch.append(item)
                if batch.count == batchSize {
                    handOff.queue.put(.items(batch))
                    batch.removeAll(keepingCapacity: true)
                }
            }
            let analyzer = CaptureAnalyzer(onFlow: { give(.flow($0)) }, onName: { give(.name($0)) })
            let summary = analyzer.analyze(handOff.capture)
            if !batch.isEmpty { handOff.queue.put(.items(batch)) }
            handOff.queue.put(.finished(summary))
            handOff.done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        return handOff
    }

    /// The next batch, waiting for it; `.finished` comes last, unless the writer stopped.
    func next() -> Batch { queue.next() }

    /// Tells the reading thread that nothing more will be taken: it drops the rest.
    func stop() { queue.stop() }

    /// Waits for the reading thread to be done with the capture.
    func waitUntilDone() { done.wait() }
}
