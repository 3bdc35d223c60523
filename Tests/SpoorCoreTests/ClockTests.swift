import Foundation
import SpoorCore
import Testing

@Suite struct ClockTests {
    @Test func sourceDateEpochIsReadOnlyWhenItIsANumber() {
        #expect(SpoorClock.sourceDateEpoch(["SOURCE_DATE_EPOCH": "1704186000"]) == Date(timeIntervalSince1970: 1_704_186_000))
        #expect(SpoorClock.sourceDateEpoch(["SOURCE_DATE_EPOCH": "yesterday"]) == nil)
        #expect(SpoorClock.sourceDateEpoch([:]) == nil)
        #expect(SpoorClock.reproducible(["SOURCE_DATE_EPOCH": "1704186000"]).rfc3339() == "2024-01-02T09:00:00Z")
        #expect(SpoorClock.fixed(Date(timeIntervalSince1970: 0.9)).rfc3339() == "1970-01-01T00:00:00Z")
    }
}
