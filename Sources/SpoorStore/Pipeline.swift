import Foundation

/// Reading on one thread and writing on another: a large import reads and parses its file
/// while the store writes what was read so far, so it takes about the longer of the two times
/// instead of their sum.
enum Pipeline {
    /// Runs `produce` on a thread of its own and `consume` on the calling thread with what it
    /// emitted, in order, in batches of up to `batch` items. At most `depth` batches wait at a
    /// time, so a fast reader never holds more than that in memory.
    ///
    /// When `consume` throws, the reader is stopped (its next `emit` throws) and the error is
    /// rethrown once its thread has ended; when `produce` throws, what it emitted before is
    /// consumed and its error is rethrown. Either way nothing of the reader runs after the call.
    static func run<Item: Sendable>(
        batch: Int = 4096, depth: Int = 8, produce: (_ emit: (Item) throws -> Void) throws -> Void,
        consume: ([Item]) throws -> Void
    ) throws {
        let handoff = Handoff<Item>(depth: depth)
        try withoutActuallyEscaping(produce) { produce in
            let reader = Unchecked(produce)
            let ended = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                var pending: [Item] = []
                pending.reserveCapacity(batch)
                do {
                    try reader.value? { item in
                        pending.append(item)
                        if pending.count >= batch {
                            guard handoff.put(pending) else { throw Stopped() }
                            pending.removeAll(keepingCapacity: true)
                        }
                    }
                    if !pending.isEmpty { _ = handoff.put(pending) }
                    handoff.finish(nil)
                } catch is Stopped {
                    handoff.finish(nil)
                } catch {
                    // What was read before the error is written before it is reported.
                    if !pending.isEmpty { _ = handoff.put(pending) }
                    handoff.finish(error)
                }
                // The thread may outlive this call by a moment: it lets go of the reader first
                // (withoutActuallyEscaping checks that nothing holds it once the call returns).
                reader.value = nil
                ended.signal()
            }
            do {
                while let items = handoff.take() { try consume(items) }
            } catch {
                handoff.stop()
                ended.wait()
                throw error
            }
            ended.wait()
            if let failure = handoff.failure { throw failure }
        }
    }

    private struct Stopped: Error {}

    /// The reader handed to its thread, which lets go of it before the call that made it returns.
    private final class Unchecked<Value>: @unchecked Sendable {
        var value: Value?
        init(_ value: Value) { self.value = value }
    }

    /// The batches between the two threads, guarded by one condition.
    private final class Handoff<Item>: @unchecked Sendable {
        private let condition = NSCondition()
        private var batches: [[Item]] = []
        private var finished = false
        private var stopped = false
        private(set) var failure: (any Error)?
        private let depth: Int

        init(depth: Int) { self.depth = depth }

        /// Waits while `depth` batches wait; false once the writer stopped.
        func put(_ items: [Item]) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            while batches.count >= depth && !stopped { condition.wait() }
            guard !stopped else { return false }
            batches.append(items)
            condition.broadcast()
            return true
        }

        /// The next batch, nil once the reader finished and every batch was taken.
        func take() -> [Item]? {
            condition.lock()
            defer { condition.unlock() }
            while batches.isEmpty && !finished { condition.wait() }
            guard !batches.isEmpty else { return nil }
            let items = batches.removeFirst()
            condition.broadcast()
            return items
        }

        func finish(_ error: (any Error)?) {
            condition.lock()
            failure = error
            finished = true
            condition.broadcast()
            condition.unlock()
        }

        func stop() {
            condition.lock()
            stopped = true
            batches.removeAll()
            condition.broadcast()
            condition.unlock()
        }
    }
}
