import Foundation
import PropertyBased
import SpoorCore
import Testing

@Suite struct TimestampTests {
    @Test func readsUnixSecondsAndMillisecondsFromNumbersAndText() throws {
        #expect(Timestamp.unixSeconds(1_643_700_000).rfc3339UTC == "2022-02-01T07:20:00Z")
        #expect(Timestamp.unixMilliseconds(1_643_700_000_123).rfc3339UTC == "2022-02-01T07:20:00.123Z")
        let fromText = try #require(Timestamp.parseUnix("1700000000"))
        #expect(fromText.rule == .unixSeconds)
        #expect(fromText.raw == "1700000000")
        #expect(fromText.rfc3339UTC == "2023-11-14T22:13:20Z")
        #expect(Timestamp.parseUnix("1700000000123")?.rule == .unixMilliseconds)
        #expect(Timestamp.parseUnix("1700000000.5")?.nanoseconds == 500_000_000)
        #expect(Timestamp.parseUnix("17000x") == nil)
        #expect(Timestamp.unixMilliseconds(-1).rfc3339UTC == "1969-12-31T23:59:59.999Z")
    }

    @Test func readsISO8601WithZoneOffsetFractionAndNone() throws {
        let z = try #require(Timestamp.parseISO8601("2021-03-22T13:22:50.000Z"))
        #expect(z.rfc3339UTC == "2021-03-22T13:22:50Z")
        #expect(z.zone == .utc)
        let offset = try #require(Timestamp.parseISO8601("2024-07-09T15:00:29.099504+02:00"))
        #expect(offset.rfc3339UTC == "2024-07-09T13:00:29.099504Z")
        #expect(offset.zone == .offset(seconds: 7200))
        let purview = try #require(Timestamp.parseISO8601("2026-01-24T06:54:24.0000000Z "))
        #expect(purview.rfc3339UTC == "2026-01-24T06:54:24Z")
        #expect(purview.raw == "2026-01-24T06:54:24.0000000Z ", "the raw text is kept exactly")
        let compact = try #require(Timestamp.parseISO8601("2024-01-01T00:30:00-0130"))
        #expect(compact.rfc3339UTC == "2024-01-01T02:00:00Z")
    }

    @Test func keepsATimeWithoutZoneAsAWallClockReading() throws {
        let local = try #require(Timestamp.parseISO8601("2023-11-14T23:13:20"))
        #expect(local.zone == .unspecified)
        #expect(local.rule == .iso8601NoZone)
        #expect(local.rfc3339UTC == nil, "never silently taken as UTC")
        #expect(local.date == nil)
        #expect(local.displayText == "2023-11-14T23:13:20 (no zone)")
    }

    @Test func readsDateTimeWithUTCSuffix() throws {
        let google = try #require(Timestamp.parseISO8601("2022-01-31 07:59:09 UTC"))
        #expect(google.rule == .dateTimeUTC)
        #expect(google.rfc3339UTC == "2022-01-31T07:59:09Z")
        #expect(Timestamp.parseISO8601("2022-02-01 19:47:49 Z")?.rfc3339UTC == "2022-02-01T19:47:49Z")
    }

    @Test(arguments: [
        "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z",
        "2024-01-01T00:60:00Z", "2024-01-01", "2024-01-01T00:00:00+25:00", "2024-01-01T00:00:00 PST", "yesterday",
    ])
    func rejectsImpossibleOrUnknownTimes(_ text: String) {
        #expect(Timestamp.parseISO8601(text) == nil)
    }

    @Test func readsCommonLogTimes() throws {
        let t = try #require(Timestamp.parseCommonLog("10/Oct/2000:13:55:36 -0700"))
        #expect(t.rfc3339UTC == "2000-10-10T20:55:36Z")
        #expect(t.rule == .commonLog)
        #expect(Timestamp.parseCommonLog("10/Okt/2000:13:55:36 -0700") == nil, "month names are English")
    }

    @Test func advancesTheSyslogYearAcrossNewYearAndSaysItAssumedIt() throws {
        var reader = SyslogDateReader(startYear: 2023, yearSource: "given by the examiner")
        let decemberRead = reader.read("Dec 31 23:59:59 host sshd[1]: x")
        let januaryRead = reader.read("Jan  1 00:00:01 host sshd[1]: x")
        let december = try #require(decemberRead)
        let january = try #require(januaryRead)
        #expect(december.displayText == "2023-12-31T23:59:59 (no zone)")
        #expect(january.displayText == "2024-01-01T00:00:01 (no zone)")
        #expect(january.zone == .unspecified)
        #expect(january.rule == .syslogBSD)
        #expect(january.assumption?.contains("year 2024 given by the examiner") == true)
        #expect(january.raw == "Jan  1 00:00:01")
        #expect(SyslogDateReader.startYear(firstMonth: 12, endYear: 2024, endMonth: 1) == 2023)
        #expect(SyslogDateReader.startYear(firstMonth: 3, endYear: 2024, endMonth: 5) == 2024)
    }

    @Test func rfc3339TextReadsBackToTheSameInstant() async {
        let instants = zip(Gen.int64(in: -2_000_000_000...32_503_680_000), Gen.int32(in: 0...999_999_999))
        await propertyCheck(count: 3000, input: instants) { seconds, nanos in
            let t = Timestamp(seconds: seconds, nanoseconds: nanos, zone: .utc, raw: "", rule: .unixSeconds)
            let text = t.rfc3339UTC ?? ""
            let back = Timestamp.parseISO8601(text)
            #expect(back?.seconds == seconds && back?.nanoseconds == nanos, "\(text)")
        }
    }

    @Test func calendarArithmeticAgreesWithFoundation() async {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let formatter = ISO8601DateFormatter()
        await propertyCheck(count: 2000, input: Gen.int64(in: -2_000_000_000...4_000_000_000)) { seconds in
            let ours = Timestamp.unixSeconds(seconds).rfc3339UTC
            #expect(ours == formatter.string(from: Date(timeIntervalSince1970: Double(seconds))))
        }
    }

    @Test func sortKeysOrderTimesAsTheirInstants() async {
        let pair = zip(Gen.int64(in: 0...4_000_000_000), Gen.int64(in: 0...4_000_000_000))
        await propertyCheck(count: 1000, input: pair) { a, b in
            let x = Timestamp.unixSeconds(a)
            let y = Timestamp.unixSeconds(b)
            #expect((x.sortKey < y.sortKey) == (a < b))
        }
    }
}
