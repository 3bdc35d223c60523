import Foundation
import SpoorCapture
import SpoorTestSupport
import Testing

@Suite struct CaptureFileTests {
    /// A classic little-endian microsecond pcap with raw-IP link type and two tiny packets.
    func writeCapture() throws -> String {
        var bytes: [UInt8] = []
        func le32(_ v: UInt32) { bytes += withUnsafeBytes(of: v.littleEndian, Array.init) }
        func le16(_ v: UInt16) { bytes += withUnsafeBytes(of: v.littleEndian, Array.init) }
        le32(0xA1B2_C3D4); le16(2); le16(4); le32(0); le32(0); le32(65535); le32(101)  // LINKTYPE_RAW
        for (i, payload) in [[0x45, 0x00, 0x00, 0x14], [0x60, 0x00, 0x00, 0x00, 0x00, 0x00]].enumerated() {
            le32(1_700_000_000 + UInt32(i)); le32(250_000); le32(UInt32(payload.count)); le32(UInt32(payload.count))
            bytes += payload.map(UInt8.init)
        }
        let url = try Fixtures.temporaryDirectory().appendingPathComponent("tiny.pcap")
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test func readsPacketsWithNumbersAndNanosecondTimes() throws {
        let capture = try CaptureFile(path: try writeCapture())
        defer { capture.close() }
        #expect(capture.linkTypeName == "RAW")
        let first = try #require(try capture.nextPacket())
        #expect(first.number == 1)
        #expect(first.seconds == 1_700_000_000)
        #expect(first.nanoseconds == 250_000_000)
        #expect(first.bytes == [0x45, 0x00, 0x00, 0x14])
        #expect(try capture.nextPacket()?.number == 2)
        #expect(try capture.nextPacket() == nil)
        capture.close()
        capture.close()
    }

    @Test func reportsLibpcapsOwnTextForFilesItCannotOpen() throws {
        let notCapture = try Fixtures.temporaryFile(named: "x.pcap", contents: "this is not a capture file at all")
        do {
            _ = try CaptureFile(path: notCapture)
            Issue.record("a text file opened as a capture")
        } catch {
            #expect(error.description.contains(notCapture))
            #expect(error.description.contains("unknown file format"))
        }
        #expect(CaptureFile.libraryVersion.contains("libpcap"))
    }
}

/// The damaged captures in ../shared/testdata/pcap-corrupt, with libpcap 1.10.3's diagnostics.
@Suite(.enabled(if: Fixtures.sharedTestdata != nil, "../shared/testdata is absent"))
struct CorruptCaptureConformanceTests {
    @Test func reportsLibpcapsDiagnosticAndKeepsPacketsReadBeforeIt() throws {
        let folder = (Fixtures.sharedTestdata ?? URL(fileURLWithPath: "/")).appendingPathComponent("pcap-corrupt")
        let table = try String(contentsOf: folder.appendingPathComponent("EXPECTED-ERRORS.tsv"), encoding: .utf8)
        var agree = 0
        var total = 0
        for row in table.split(separator: "\n").dropFirst() {
            let columns = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard columns.count >= 4, let before = Int(columns[2]) else { continue }
            total += 1
            let (file, stage, expected) = (columns[0], columns[1], columns[3])
            let path = folder.appendingPathComponent(file).path
            var outcome = ""
            var packets = 0
            do {
                let capture = try CaptureFile(path: path)
                do {
                    while try capture.nextPacket() != nil {}
                    outcome = "none"
                } catch {
                    outcome = "read: " + error.libpcapMessage
                }
                packets = capture.packetsRead
            } catch {
                outcome = "open: " + error.libpcapMessage
            }
            let matches = switch stage {
            case "open": outcome == "open: " + expected
            case "read": outcome == "read: " + expected && packets == before
            default: outcome == "none" && packets == before
            }
            #expect(matches, "\(file): \(outcome) after \(packets) packets; expected \(stage): \(expected)")
            if matches { agree += 1 }
        }
        print("libpcap error conformance: \(agree) of \(total) damaged captures give the recorded diagnostic")
        #expect(total == 20)
    }
}
