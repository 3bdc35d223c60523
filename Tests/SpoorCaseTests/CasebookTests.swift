import Foundation
import SpoorAnalysis
import SpoorCase
import SpoorCore
import SpoorIntake
import SpoorIntel
import SpoorLogs
import SpoorStore
import SpoorTestSupport
import Testing

/// The casebook across two cases: what is recorded of the first, what the second's analysis
/// says of it, and what is never copied.
@Suite struct CasebookTests {
    /// A case of one sshd log in a new folder, analysed against `intel`.
    static func analysedCase(_ name: String, reference: String, log: String, intel: IndicatorStore) throws -> CaseStore {
        let folder = try Fixtures.temporaryDirectory()
        let file = folder.appendingPathComponent("auth.log")
        try Data(log.utf8).write(to: file)
        let store = try CaseStore.create(
            at: folder.appendingPathComponent(name).path,
            metadata: .init(title: name, examiner: "B. Analyst", reference: reference, createdAt: "2024-01-01T00:00:00Z"))
        let outcomes = store.ingest(paths: [file.path], options: ParseOptions(year: 2024))
        #expect(outcomes.allSatisfy { $0.status == .ingested }, "\(outcomes.map(\.status))")
        _ = try store.analyze(mmdbPaths: [], intel: intel)
        return store
    }

    static let first = """
        Jan  5 08:00:01 web01 sshd[100]: Accepted password for ana.victim from 192.0.2.10 port 50000 ssh2
        Jan 20 02:11:15 web01 sshd[200]: Failed password for ana.victim from 203.0.113.45 port 41872 ssh2
        Jan 20 02:11:19 web01 sshd[200]: Accepted password for ana.victim from 203.0.113.45 port 41872 ssh2
        """
    static let second = """
        Mar 14 03:40:11 mail02 sshd[300]: Accepted password for other.person from 203.0.113.45 port 40001 ssh2
        Mar 14 03:41:30 mail02 sshd[301]: Accepted password for other.person from 203.0.113.77 port 40002 ssh2
        Mar 14 03:42:00 mail02 sshd[302]: Accepted password for other.person from 198.51.100.200 port 40003 ssh2
        """

    @Test func theNextCaseRecognisesTheFirstAndNothingOfTheVictimIsCopied() throws {
        let intelPath = try Fixtures.temporaryDirectory().appendingPathComponent("intel.sqlite").path
        let intel = try IndicatorStore(path: intelPath)
        let indicator = try Indicator.parse("203.0.113.45", type: .ipv4).get().0
        try intel.add(indicator, provenance: Provenance(source: "Example Lab"))

        let caseA = try Self.analysedCase("a", reference: "CASE-A", log: Self.first, intel: intel)
        let (entry, sightings, baseline) = try caseA.casebookEntry()
        let ownPseudonym = try caseA.casebookPseudonym()
        #expect(entry.reference == "CASE-A" && entry.pseudonym == ownPseudonym)
        #expect(entry.pseudonym.hasPrefix("C-") && entry.pseudonym.count == 10)
        #expect(sightings.map(\.address) == ["203.0.113.45"])
        let sighting = try #require(sightings.first)
        #expect(sighting.network == "203.0.113.0/24" && sighting.findings.contains("F1"))
        #expect(sighting.roles == ["failed login", "login source"])
        #expect(sighting.firstSeen == "2024-01-20T02:11:15 (no zone)" && sighting.records == 2)
        #expect(baseline.isEmpty, "the holder's address is named by no medium or high finding: \(baseline)")
        #expect(try intel.recordCase(entry, sightings: sightings) == false)
        // Recorded again: updated, not duplicated.
        #expect(try intel.recordCase(entry, sightings: sightings))
        #expect(try intel.casebookCases().count == 1)

        // The victim's account name is nowhere in the reference store.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: intelPath))
        #expect(bytes.range(of: Data("ana.victim".utf8)) == nil)

        // The first case does not match itself when analysed again.
        let again = try caseA.analyze(mmdbPaths: [], intel: intel)
        #expect(!again.findings.contains { $0.rule == .casebookMatch })
        #expect(again.casebook?.ownPseudonym == entry.pseudonym && again.casebook?.cases == 1)

        let caseB = try Self.analysedCase("b", reference: "CASE-B", log: Self.second, intel: intel)
        let summary = try #require(try caseB.lastAnalysis())
        let matches = summary.findings.filter { $0.rule == .casebookMatch }
        #expect(matches.map { $0.addresses.map(\.description) } == [["203.0.113.45"], ["203.0.113.77"]])
        #expect(matches.map(\.severity) == [.high, .medium])
        #expect(matches.allSatisfy { $0.statement.contains("CASE-A (\(entry.pseudonym))") })
        #expect(matches.allSatisfy { !$0.locators.isEmpty }, "each cites the records of this case")
        #expect(!summary.findings.contains { $0.rule == .casebookMatch && $0.addresses.map(\.description) == ["198.51.100.200"] })
        let subject = try #require(try caseB.subjects().first { $0.ip == "203.0.113.77" })
        #expect(subject.casebookHits?.map(\.overlap) == [.network])

        // Withdrawn, the first case is no longer recognised.
        #expect(try intel.removeCasebookCase(named: "CASE-A") == 1)
        let after = try caseB.analyze(mmdbPaths: [], intel: intel)
        #expect(!after.findings.contains { $0.rule == .casebookMatch })
    }

    @Test func aCaseNotYetAnalysedOrAFindingItDoesNotHaveIsRefusedInWords() throws {
        let folder = try Fixtures.temporaryDirectory()
        let store = try CaseStore.create(
            at: folder.appendingPathComponent("c").path, metadata: .init(title: "c", createdAt: "2024-01-01T00:00:00Z"))
        #expect(throws: CasebookError.notAnalysed(path: store.directory)) { try store.casebookEntry() }
        _ = try store.analyze(mmdbPaths: [], intel: nil)
        #expect(throws: CasebookError.noSuchFinding(["F9"])) { try store.casebookEntry(only: ["F9"]) }
        #expect(CasebookError.notAnalysed(path: "/x").description.contains("spoor analyze"))
        #expect(try store.casebookPseudonym() == (try CaseStore(directory: store.directory).casebookPseudonym()))
    }
}
