import Crypto
import Foundation
import GRDB
import SpoorStore
import SpoorCase
import SpoorIntel
import SpoorTestSupport
import Testing

/// A store written by a newer Spoor (a migration this build does not know) is refused with a
/// sentence that says so, and its bytes are left exactly as they were.
@Suite struct NewerStoreTests {
    /// Records a migration no released Spoor has, as a newer Spoor would have.
    static func recordUnknownMigration(in file: String) throws {
        let queue = try DatabaseQueue(path: file)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99 from the future')") }
        try queue.close()
    }

    static func digest(_ file: String) throws -> String {
        SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: file))).map { String(format: "%02x", $0) }.joined()
    }

    /// Marks `file` as a newer Spoor's, then expects `open` to refuse it naming the unknown
    /// change (as `changes` reads it from the error) and the file's bytes to stay as they were.
    static func expectRefusedUntouched(_ file: String, open: () throws -> Void, changes: (any Error) -> [String]?) throws {
        try recordUnknownMigration(in: file)
        let before = try digest(file)
        #expect {
            try open()
        } throws: { error in
            changes(error) == ["v99 from the future"] && "\(error)".contains("newer Spoor")
                && "\(error)".contains("Nothing was changed")
        }
        #expect(try digest(file) == before)
    }

    @Test func aCaseFromANewerSpoorIsRefusedAndLeftAsItWas() throws {
        let directory = try Fixtures.temporaryDirectory("newer-case").path
        _ = try CaseStore.create(at: directory, metadata: .init(title: "T", createdAt: "2024-01-01T00:00:00Z"))
        try Self.expectRefusedUntouched(
            (directory as NSString).appendingPathComponent(CaseStore.fileName),
            open: { _ = try CaseStore(directory: directory) },
            changes: { if case .writtenByNewerSpoor(_, let changes) = $0 as? CaseError { changes } else { nil } })
    }

    @Test func anIndicatorStoreFromANewerSpoorIsRefusedAndLeftAsItWas() throws {
        let file = try Fixtures.temporaryDirectory("newer-intel").appendingPathComponent("intel.sqlite").path
        _ = try IndicatorStore(path: file)
        try Self.expectRefusedUntouched(
            file, open: { _ = try IndicatorStore(path: file) },
            changes: { if case .writtenByNewerSpoor(_, let changes) = $0 as? IntelError { changes } else { nil } })
    }

    @Test func storesThisSpoorWroteOpenAgain() throws {
        let directory = try Fixtures.temporaryDirectory("same-case").path
        _ = try CaseStore.create(at: directory, metadata: .init(title: "T", createdAt: "2024-01-01T00:00:00Z"))
        _ = try CaseStore(directory: directory)
        let file = try Fixtures.temporaryDirectory("same-intel").appendingPathComponent("intel.sqlite").path
        _ = try IndicatorStore(path: file)
        _ = try IndicatorStore(path: file)
    }
}
