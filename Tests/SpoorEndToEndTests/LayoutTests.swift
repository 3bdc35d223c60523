import Foundation
import SpoorTestSupport
import Testing

/// The layout docs/ARCHITECTURE.md promises, read from the sources themselves.
@Suite struct LayoutTests {
    /// Every Swift file under `Sources/`, by its path from the package root, with its text.
    static func sources() throws -> [(path: String, text: String)] {
        let root = Fixtures.packageRoot.appendingPathComponent("Sources")
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var files: [(String, String)] = []
        while let relative = walker.nextObject() as? String {
            guard relative.hasSuffix(".swift") else { continue }
            files.append(("Sources/" + relative, try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    @Test("Only SpoorStore imports the SQLite library or writes SQL")
    func onlyTheStoreSpeaksSQL() throws {
        let files = try Self.sources()
        #expect(files.count > 50)
        let sql = try Regex(#"(?m)^\s*import GRDB|sql:|"(SELECT|INSERT INTO|UPDATE|DELETE FROM|CREATE TABLE) "#)
        let speaking = files.filter { $0.text.contains(sql) }.map(\.path)
        #expect(!speaking.isEmpty)
        #expect(speaking.allSatisfy { $0.hasPrefix("Sources/SpoorStore/") }, "\(speaking)")
    }
}
