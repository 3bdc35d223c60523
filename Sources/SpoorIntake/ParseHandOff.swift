import Foundation
import SpoorCore
import SpoorLogs
import SpoorStore

/// Runs a parser on a thread of its own and hands what it finds, in order and in batches, to
/// the thread that writes the case store: on two cores, parsing one item and storing the last
/// batch overlap. The hand-off holds a few batches at most, so memory stays bounded whatever
/// the size of the evidence.
final class ParseHandOff: @unchecked Sendable {
    enum Item {
        case rows([ObservationRow])
        case warning(ParseWarning)
        case finished(Result<ParseSummary, any Error>)
    }

    static let batchSize = 1024
    static let capacity = 4

    private let queue = HandOff<Item>(capacity: ParseHandOff.capacity)

    /// Starts `parse` on a new thread; its items arrive through ``next()``.
    static func start(
        _ parser: any LogParser, source: any ByteSource, evidence: EvidenceItem
    ) -> ParseHandOff {
        let handOff = ParseHandOff()
        let work = UncheckedWork(parser: parser, source: source, evidence: evidence)
        let thread = Thread {
            let sink = BatchingSink(handOff, encoder: RowEncoder(evidence: work.evidence))
            let result = Result { try work.parser.parse(work.source, evidence: work.evidence, into: sink) }
            sink.flush()
            handOff.put(.finished(result))
        }
        thread.stackSize = 8 << 20
        thread.start()
        return handOff
    }

    func put(_ item: Item) { queue.put(item) }

    /// The next item, waiting for it.
    func next() -> Item { queue.next() }

    /// Tells the parser thread to drop what it still finds (the writer gave up); it then
    /// finishes without waiting for room.
    func stop() { queue.stop() }

    /// The parser thread's inputs, handed over once and touched by that thread only.
    struct UncheckedWork: @unchecked Sendable {
        let parser: any LogParser
        let source: any ByteSource
        let evidence: EvidenceItem
    }

    /// Collects the parser's observations as prepared rows, a batch at a time.
    final class BatchingSink: ObservationSink {
        let handOff: ParseHandOff
        let encoder: RowEncoder
        var batch: [ObservationRow] = []

        init(_ handOff: ParseHandOff, encoder: RowEncoder) {
            self.handOff = handOff
            self.encoder = encoder
            batch.reserveCapacity(ParseHandOff.batchSize)
        }

        func accept(_ observation: Observation) throws {
            switch observation {
            case .access(let event): batch.append(encoder.row(event))
            }
            if batch.count == ParseHandOff.batchSize { flush() }
        }

        func warn(_ warning: ParseWarning) {
            flush()
            handOff.put(.warning(warning))
        }

        func flush() {
            guard !batch.isEmpty else { return }
            handOff.put(.rows(batch))
            batch = []
            batch.reserveCapacity(ParseHandOff.batchSize)
        }
    }
}

/// A bounded queue from one thread to another: `put` waits while it is full, `next` while it
/// is empty. After `stop` (the taker gave up) puts are dropped at once, so the giver finishes.
final class HandOff<Item>: @unchecked Sendable {
    let capacity: Int
    private let condition = NSCondition()
    private var items: [Item] = []
    private var stopped = false

    init(capacity: Int) {
        self.capacity = capacity
    }

    func put(_ item: Item) {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !stopped { condition.wait() }
        guard !stopped else { return }
        items.append(item)
        condition.broadcast()
    }

    /// The next item, waiting for it.
    func next() -> Item {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty { condition.wait() }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    func stop() {
        condition.lock()
        stopped = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
