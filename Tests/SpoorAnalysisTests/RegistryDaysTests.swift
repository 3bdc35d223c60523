import Foundation
import SpoorAnalysis
import SpoorCore
import SpoorIntel
import SpoorStore
import SpoorTestSupport
import Testing

/// The registry imports asked for an address's days (``RegistryReader/answers(for:days:)``) give
/// ``HeldAt`` the same answer, for every day among them, as every import would.
@Suite struct RegistryDaysTests {
    @Test func theImportsAskedForTheDaysGiveTheSameThenAndNowAsAllOfThem() throws {
        let store = try IndicatorStore(path: try Fixtures.temporaryDirectory().appendingPathComponent("intel.sqlite").path)
        // Monthly snapshots through 2024: the netblock changes holder in places, some months do
        // not hold it, and two files describe 2024-05-01.
        var months: [(String, String?)] = (1...12).map { m in
            let holder: String? = [3, 8].contains(m) ? nil : (m < 6 ? "Example Hosting" : m < 10 ? "Other Net" : "Third Net")
            return (String(format: "2024-%02d-01", m), holder)
        }
        months.append(("2024-05-01", "Twin Net"))
        for (day, holder) in months {
            let block = holder.map { "inetnum: 198.51.100.0 - 198.51.100.255\nnetname: NET\ndescr: \($0)\n\n" } ?? ""
            let text = block + "inetnum: 192.0.2.0 - 192.0.2.255\nnetname: ELSEWHERE\n\n"
            _ = try store.importRegistry(
                MemoryByteSource(text), format: .rpsl, fileName: "ripe-\(day).db", sha256: "\(day) \(holder ?? "-")", asOf: day)
        }
        let address = IPAddress("198.51.100.9")!
        let reader = try RegistryReader(store)
        let all = try reader.answers(for: address)
        #expect(all.count == 11)
        var compared = 0
        // Spans of records from 2023-12-01 to 2025-01-04, a day to two months long.
        for a in stride(from: 0, to: 400, by: 2) {
            let b = a + (a * 7) % 61
            func day(_ n: Int) -> String {
                ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: 1_701_388_800 + Double(n) * 86_400)).prefix(10)
                    .description  // from 2023-12-01
            }
            let some = try reader.answers(for: address, days: day(a)...day(b))
            #expect(some.count <= all.count)
            for n in [a, (a + b) / 2, b] {
                #expect(
                    HeldAt(day: day(n), answers: some) == HeldAt(day: day(n), answers: all), "\(day(n)) in \(day(a))…\(day(b))")
                compared += 1
            }
        }
        #expect(compared == 600)
        // A day in July asks the July snapshot (nearest before), the latest, and nothing else.
        let july = try reader.answers(for: address, days: "2024-07-10T08:00:00Z"..."2024-07-10T09:00:00Z")
        #expect(july.map(\.source.asOf) == ["2024-07-01", "2024-12-01"])
    }
}
