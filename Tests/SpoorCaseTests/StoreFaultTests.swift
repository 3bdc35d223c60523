import Foundation
import GRDB
@testable import SpoorIntake
@testable import SpoorStore
@testable import SpoorCase
import SpoorCore
import SpoorTestSupport
import Testing

/// Store errors reach the user by cause, in words, without the SQL the store was running.
@Suite struct StoreFaultTests {
    @Test func sqliteResultCodesNameTheirCause() {
        let causes: [(Int32, StoreFault.Cause)] = [
            (5, .busy), (6, .busy), (517, .busy), (13, .full), (8, .readOnly), (1032, .readOnly), (11, .corrupt),
            (26, .corrupt), (14, .cannotOpen), (1, .other), (10, .other),
        ]
        for (code, cause) in causes {
            #expect(StoreFault(store: "x", sqliteResultCode: code, detail: "").cause == cause, "code \(code)")
        }
        for cause in StoreFault.Cause.allCases where cause != .other {
            let text = StoreFault(store: "case/case.sqlite", cause: cause, detail: "SQLite error: INSERT INTO x").description
            #expect(text.hasPrefix("case/case.sqlite: ") && !text.contains("INSERT"), "\(cause): \(text)")
        }
    }

    /// SQLite's page limit as a full disk: `leaving` pages beyond those the case has.
    static func fillDisk(_ store: CaseStore, leaving spare: Int = 0) throws {
        try store.database.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(pages + spare)")
        }
    }

    /// The page limit lifted: the disk has room again.
    static func freeDisk(_ store: CaseStore) throws {
        try store.database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
    }

    @Test func aFullDiskFailsTheItemInWordsAndLeavesTheCaseUsable() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = try CaseStore.create(
            at: folder.appendingPathComponent("case").path, metadata: .init(title: "Full", createdAt: "2024-01-01T00:00:00Z"))
        let log = folder.appendingPathComponent("access.log")
        let line =
            "192.0.2.44 - - [17/May/2024:10:05:03 +0000] \"GET /index.html HTTP/1.1\" 200 1043 \"-\" \"Mozilla/5.0 Firefox/125.0\"\n"
        try Data(String(repeating: line, count: 5_000).utf8).write(to: log)
        // SQLite's own size limit stands in for a full disk: no page beyond those the case has.
        try Self.fillDisk(store)
        let full = store.ingest(paths: [log.path])
        guard case .failed(let reason) = try #require(full.first).status else {
            Issue.record("the item did not fail: \(full)")
            return
        }
        #expect(reason.contains("the disk is full") && reason.contains("case.sqlite"), "\(reason)")
        #expect(!reason.contains("SQLite") && !reason.contains("INSERT"), "\(reason)")

        try Self.freeDisk(store)
        let again = store.ingest(paths: [log.path])
        #expect(again.first?.status == .ingested, "\(again)")
        #expect(again.first?.observations == 5_000)
    }

    /// A classic pcap of `flows` one-packet UDP flows from 192.0.2.10 (a port each) to 198.51.100.53.
    static func udpCapture(flows: Int) -> Data {
        var bytes: [UInt8] = []
        func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func put16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        put32(0xA1B2_C3D4)
        put16(2)
        put16(4)
        put32(0)
        put32(0)
        put32(65_535)
        put32(1)  // Ethernet
        for n in 0..<flows {
            let port = UInt16(10_000 + n)
            var frame: [UInt8] = [0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00]
            frame += [0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 10, 198, 51, 100, 53]
            frame += [UInt8(port >> 8), UInt8(port & 0xFF), 0, 53, 0, 12, 0, 0, 1, 2, 3, 4]
            put32(UInt32(1_704_067_200 + n))
            put32(0)
            put32(UInt32(frame.count))
            put32(UInt32(frame.count))
            bytes += frame
        }
        return Data(bytes)
    }

    @Test func aFullDiskDuringACaptureStopsItsReaderAndFailsTheItemInWords() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = try CaseStore.create(
            at: folder.appendingPathComponent("case").path, metadata: .init(title: "Full", createdAt: "2024-01-01T00:00:00Z"))
        let capture = folder.appendingPathComponent("many-flows.pcap")
        try Self.udpCapture(flows: 20_000).write(to: capture)
        // Room for the item's row, not for its flows: the writer fails while the packets are
        // still being read on the other thread.
        try Self.fillDisk(store, leaving: 8)
        let full = store.ingest(paths: [capture.path])
        guard case .failed(let reason) = try #require(full.first).status else {
            Issue.record("the item did not fail: \(full)")
            return
        }
        #expect(reason.contains("the disk is full"), "\(reason)")
        try Self.freeDisk(store)
        let again = store.ingest(paths: [capture.path])
        #expect(again.first?.status == .ingested, "\(again)")
        #expect(again.first?.observations == 40_000, "two ends of each of the 20,000 flows")
    }

    @Test func aDamagedStoreIsNamedAsDamaged() throws {
        let folder = try Fixtures.temporaryDirectory()
        let path = folder.appendingPathComponent("case")
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        let file = path.appendingPathComponent(CaseStore.fileName)
        try Data(repeating: 0x41, count: 8_192).write(to: file)
        #expect {
            _ = try CaseStore(directory: path.path)
        } throws: { error in
            guard case CaseError.fault(let fault) = error else { return false }
            return fault.cause == .corrupt && fault.store == file.path
        }
        #expect(try Data(contentsOf: file) == Data(repeating: 0x41, count: 8_192), "the file is left as it was")
    }
}
