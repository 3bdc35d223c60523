import Foundation
import SpoorIntake
import SpoorLogs
import SpoorTestSupport
import Testing

@Suite struct IntakeTests {
    @Test func hashesFilesWithSHA256() throws {
        let path = try Fixtures.temporaryFile(named: "abc.txt", contents: "abc")
        let (sha256, size) = try FileHasher.sha256(path: path)
        // FIPS 180-2 test vector for "abc".
        #expect(sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(size == 3)
    }

    @Test func walksFoldersInNameOrderAndReportsMissingPaths() throws {
        let folder = try Fixtures.temporaryDirectory()
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        for name in ["b.log", "a.log", "sub/c.log"] {
            try Data("x\n".utf8).write(to: folder.appendingPathComponent(name))
        }
        let results = Intake.collect([folder.path, folder.appendingPathComponent("missing.log").path])
        let found = results.compactMap { try? $0.get().path }.map { URL(fileURLWithPath: $0).lastPathComponent }
        #expect(found == ["a.log", "b.log", "c.log"])
        let failures = results.filter { if case .failure = $0 { return true } else { return false } }
        #expect(failures.count == 1)
    }

    @Test func recognisesFormatsFromContent() throws {
        func detect(_ bytes: [UInt8], name: String = "evidence.bin") throws -> String {
            let folder = try Fixtures.temporaryDirectory()
            let path = folder.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            switch try Intake.detect(path: path) {
            case .log(let parser): return parser.formatID
            case .capture(let kind), .archive(let kind): return kind
            case .unknown: return "unknown"
            }
        }
        #expect(try detect(Fixtures.bytes("openssh/auth-bsd-newyear.log")) == "openssh")
        #expect(try detect(Fixtures.bytes("web/access-combined.log")) == "web_access")
        #expect(try detect([0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0]) == "pcap")
        #expect(try detect([0x0A, 0x0D, 0x0D, 0x0A, 0, 0, 0, 0]) == "pcapng")
        #expect(try detect([0x50, 0x4B, 0x03, 0x04, 0, 0]) == "zip")
        #expect(try detect(Array("just some notes\n".utf8)) == "unknown")
    }

    @Test func hashesWhatItReadsForTheChangeCheck() throws {
        let path = try Fixtures.temporaryFile(named: "abc.txt", contents: "abc")
        let source = try FileByteSource(path: path, hashing: true)
        while try !source.read(upTo: 1).isEmpty {}
        #expect(source.finalHash() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func readsReadOnlyEvidence() throws {
        let path = try Fixtures.temporaryFile(named: "ro.log", contents: "x\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        #expect(try FileHasher.sha256(path: path).size == 2)
    }
}
