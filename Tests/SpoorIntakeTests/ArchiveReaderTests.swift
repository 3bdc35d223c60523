import Foundation
import SpoorIntake
import SpoorTestSupport
import Testing
import ZIPFoundation

@Suite struct ArchiveReaderTests {
    func read(_ zip: ZipBuilder, limits: ArchiveLimits = ArchiveLimits()) throws -> ([ArchiveMember], [RefusedMember]) {
        let url = try Fixtures.temporaryDirectory().appendingPathComponent("export.zip")
        try zip.write(to: url)
        var members: [ArchiveMember] = []
        var refused: [RefusedMember] = []
        try ArchiveReader.forEachMember(
            ofZipAt: url.path, limits: limits, { members.append($0) }, refused: { refused.append($0) })
        return (members, refused)
    }

    @Test func readsMembersInPlaceWithTheirPathsAndHashes() throws {
        let (members, refused) = try read(ZipBuilder([.init("logs/auth.log", text: "abc"), .init("b.txt", text: "x")]))
        #expect(refused.isEmpty)
        #expect(members.map(\.path) == ["logs/auth.log", "b.txt"])
        #expect(members.first?.sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func refusesTraversalNamesAndReadsTheRest() throws {
        let (members, refused) = try read(
            ZipBuilder([
                .init("../../etc/cron.d/evil", text: "x"), .init("/abs/path", text: "y"), .init("ok/file.txt", text: "z"),
                .init("dir/../../up.txt", text: "w"),
            ]))
        #expect(members.map(\.path) == ["ok/file.txt"])
        #expect(refused.map(\.path) == ["../../etc/cron.d/evil", "/abs/path", "dir/../../up.txt"])
        #expect(refused.first?.reason.contains("traversal") == true)
    }

    @Test func refusesMembersThatHoldMoreThanTheyDeclare() throws {
        let (members, refused) = try read(
            ZipBuilder([
                .init("liar.txt", Array(repeating: 0x41, count: 5000), declaredSize: 10), .init("fine.txt", text: "ok"),
            ]))
        #expect(members.map(\.path) == ["fine.txt"])
        #expect(refused.first?.reason.contains("declares 10") == true)
    }

    @Test func refusesHighlyCompressedMembersAndOversizedOnes() throws {
        let folder = try Fixtures.temporaryDirectory()
        let url = folder.appendingPathComponent("bomb.zip")
        let archive = try Archive(url: url, accessMode: .create)
        let zeros = Data(count: 4 << 20)
        try archive.addEntry(with: "zeros.bin", type: .file, uncompressedSize: Int64(zeros.count), compressionMethod: .deflate) {
            position, size in
            zeros.subdata(in: Int(position)..<Int(position) + size)
        }
        let small = Data("hello\n".utf8)
        try archive.addEntry(with: "small.txt", type: .file, uncompressedSize: Int64(small.count), compressionMethod: .deflate) {
            position, size in
            small.subdata(in: Int(position)..<Int(position) + size)
        }
        var members: [ArchiveMember] = []
        var refused: [RefusedMember] = []
        try ArchiveReader.forEachMember(ofZipAt: url.path, { members.append($0) }, refused: { refused.append($0) })
        #expect(members.map(\.path) == ["small.txt"])
        #expect(refused.first?.reason.contains("compression ratio") == true)

        var limits = ArchiveLimits()
        limits.maxMemberSize = 3
        let (_, tooBig) = try read(ZipBuilder([.init("big.txt", text: "four")]), limits: limits)
        #expect(tooBig.first?.reason.contains("member limit") == true)
    }

    @Test func opensArchivesInsideArchives() throws {
        let inner = ZipBuilder([.init("security/logins.txt", text: "inner")]).data()
        let (members, refused) = try read(ZipBuilder([.init("part1.zip", inner), .init("top.txt", text: "top")]))
        #expect(refused.isEmpty)
        #expect(members.map(\.path) == ["part1.zip!security/logins.txt", "top.txt"])
    }

    @Test func saysWhenTheArchiveItselfCannotBeRead() throws {
        let path = try Fixtures.temporaryFile(named: "broken.zip", contents: "PK\u{3}\u{4} but nothing else")
        #expect(throws: IntakeError.self) {
            try ArchiveReader.forEachMember(ofZipAt: path, { _ in }, refused: { _ in })
        }
    }
}
