import Foundation
@testable import SpoorStore
import Testing

/// Reading on one thread and writing on another gives what reading and writing on one would,
/// in order, and an error on either side ends both.
@Suite struct PipelineTests {
    struct ReadFailed: Error {}
    struct WriteFailed: Error {}

    @Test func everyItemArrivesInOrder() throws {
        var seen: [Int] = []
        try Pipeline.run(batch: 7, depth: 2, produce: { emit in for i in 0..<10_000 { try emit(i) } }, consume: { seen += $0 })
        #expect(seen == Array(0..<10_000))
    }

    @Test func aReadErrorComesAfterWhatWasReadBeforeIt() {
        var seen: [Int] = []
        #expect(throws: ReadFailed.self) {
            try Pipeline.run(
                batch: 3,
                produce: { emit in
                    for i in 0..<10 { try emit(i) }
                    throw ReadFailed()
                }, consume: { seen += $0 })
        }
        #expect(seen == Array(0..<10))
    }

    @Test func aWriteErrorStopsTheReader() {
        var read = 0
        #expect(throws: WriteFailed.self) {
            try Pipeline.run(
                batch: 10, depth: 2,
                produce: { emit in
                    for i in 0..<1_000_000 {
                        read = i
                        try emit(i)
                    }
                }, consume: { _ in throw WriteFailed() })
        }
        #expect(read < 1_000, "the reader stops within a few batches of the writer's error")
    }
}
