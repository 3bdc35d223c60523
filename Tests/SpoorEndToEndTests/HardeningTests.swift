import Foundation
import SpoorTestSupport
import Testing

/// Trusting Spoor with evidence: it works with no network at all, and an ingest killed at any
/// moment leaves a case that opens, holds only whole evidence items, and takes the same ingest
/// again.
@Suite(.serialized) struct HardeningTests {
    static let samples = AnnexReportTests.repository.appendingPathComponent("Samples/basic-case")

    /// The whole sample investigation, each command inside a network namespace of its own with
    /// no interface but a loopback that is down.
    @Test func theWholePipelineRunsWithNoNetwork() throws {
        let probe = try runSpoor(["--version"], inputBytes: nil, wrapper: ["/usr/bin/unshare", "-n", "--"])
        try #require(probe.status == 0, "unshare -n must work here (root, or user namespaces): \(probe.stderr)")
        let offline = ["/usr/bin/unshare", "-n", "--"]
        // Inside the namespace there is indeed nothing to reach.
        let interfaces = try String(contentsOfFile: "/proc/net/dev", encoding: .utf8)
        #expect(!interfaces.isEmpty)

        let folder = try Fixtures.temporaryDirectory()
        let caseDir = folder.appendingPathComponent("case").path
        let store = folder.appendingPathComponent("intel.sqlite").path
        let mmdb = folder.appendingPathComponent("asn.mmdb").path
        let annex = folder.appendingPathComponent("annex").path
        let evidence = Self.samples.appendingPathComponent("evidence").path
        func run(_ arguments: [String], allowing statuses: Set<Int32> = [0]) throws -> ProcessResult {
            let result = try runSpoor(arguments, environment: ["SPOOR_INTEL_DB": store], inputBytes: nil, wrapper: offline)
            #expect(statuses.contains(result.status), "spoor \(arguments.joined(separator: " ")): \(result.stderr)")
            return result
        }
        _ = try run(["case", "init", caseDir, "--title", "Offline"])
        _ = try run(["ingest", caseDir, evidence, "--year", "2023"])
        _ = try run([
            "intel", "import", Self.samples.appendingPathComponent("indicators.stix.json").path,
            Self.samples.appendingPathComponent("indicators.csv").path,
        ])
        _ = try run([
            "mmdb", "build", Self.samples.appendingPathComponent("reference/asn.csv").path, "--out", mmdb, "--type", "Sample-ASN",
            "--build-date", "2024-01-01",
        ])
        _ = try run([
            "registry", "import", Self.samples.appendingPathComponent("reference/registry.db").path, "--as-of", "2024-01-01",
        ])
        _ = try run(["analyze", caseDir, "--mmdb", mmdb])
        _ = try run(["report", caseDir, "--out", annex, "--pdf", "weasyprint", "--generated-at", "2024-01-02T09:00:00Z"])
        let verified = try run(["verify", annex, "--evidence", evidence, "--rerun", "--mmdb", mmdb, "--year", "2023"])
        #expect(verified.stdout.contains("re-run: report.pdf identical"))
        let findings = try String(contentsOfFile: annex + "/findings.json", encoding: .utf8)
        #expect(findings.contains("\"rule\" : \"indicator_match\"") && findings.contains("\"rule\" : \"account_and_capture\""))
        // The laptop reached the attacker's address by a name a domain indicator holds.
        #expect(findings.contains("and domain indicator bad.example.net") && findings.contains("\"matched_by\" : \"name\""))
    }

    /// Many files of ssh log lines, so an ingest runs long enough to be interrupted anywhere.
    func bulkEvidence(in folder: URL, files: Int, lines: Int) throws -> String {
        let evidence = folder.appendingPathComponent("bulk")
        try FileManager.default.createDirectory(at: evidence, withIntermediateDirectories: true)
        for file in 0..<files {
            var text = ""
            text.reserveCapacity(lines * 100)
            for line in 0..<lines {
                let second = line % 60
                let minute = (line / 60) % 60
                let hour = (line / 3600) % 24
                let host = 1 + (line * 7 + file) % 250
                text +=
                    "2024-03-0\(1 + file % 9)T\(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute):\(second < 10 ? "0" : "")\(second)Z web sshd[\(1000 + line)]: Failed password for user\(line % 13) from 198.51.100.\(host) port \(20000 + line % 40000) ssh2\n"
            }
            try text.write(to: evidence.appendingPathComponent("auth-\(file).log"), atomically: true, encoding: .utf8)
        }
        return evidence.path
    }

    /// `case info`: evidence hash prefix → observations, for the items stored.
    func inventory(_ caseDir: String) throws -> [String: Int] {
        let info = try runSpoor(["case", "info", caseDir])
        #expect(info.status == 0, "the case opens: \(info.stderr)")
        var counts: [String: Int] = [:]
        for line in info.stdout.split(separator: "\n") where line.contains(" observations ") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let index = words.firstIndex(of: "observations"), index > 0, let n = Int(words[index - 1]) else { continue }
            counts[String(words[0])] = n
        }
        return counts
    }

    func integrity(_ caseDir: String) throws -> String {
        let pipe = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [
            "-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])",
            caseDir + "/case.sqlite",
        ]
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func anIngestKilledAtAnyMomentLeavesOnlyWholeItemsAndTakesTheSameIngestAgain() throws {
        let folder = try Fixtures.temporaryDirectory()
        let evidence = try bulkEvidence(in: folder, files: 6, lines: 15_000)

        // The reference: one uninterrupted ingest, and how long it takes.
        let reference = folder.appendingPathComponent("reference").path
        #expect(try runSpoor(["case", "init", reference, "--title", "Reference"]).status == 0)
        let began = Date()
        #expect(try runSpoor(["ingest", reference, evidence]).status == 0)
        let duration = Date().timeIntervalSince(began)
        let whole = try inventory(reference)
        #expect(whole.count == 6 && whole.values.allSatisfy { $0 == 15_000 })

        var generator = SystemRandomNumberGenerator()
        var interruptedWithSome = 0
        for round in 0..<8 {
            let caseDir = folder.appendingPathComponent("case\(round)").path
            #expect(try runSpoor(["case", "init", caseDir, "--title", "Round \(round)"]).status == 0)
            // Kill it once or twice, each time at a random moment of a whole ingest's length.
            for _ in 0..<(1 + round % 2) {
                let process = Process()
                process.executableURL = Fixtures.spoorBinary
                process.arguments = ["ingest", caseDir, evidence]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                usleep(UInt32(Double.random(in: 0.02...1.0, using: &generator) * duration * 1_000_000))
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()

                #expect(try integrity(caseDir) == "ok", "round \(round): the store is intact")
                let stored = try inventory(caseDir)
                for (hash, count) in stored {
                    #expect(whole[hash] == count, "round \(round): item \(hash) is whole (\(count) of \(whole[hash] ?? -1))")
                }
                if !stored.isEmpty && stored.count < whole.count { interruptedWithSome += 1 }
            }
            // The same ingest again completes the case, without doubling what was stored.
            let again = try runSpoor(["ingest", caseDir, evidence])
            #expect(again.status == 0, "round \(round): \(again.stderr)")
            #expect(try inventory(caseDir) == whole, "round \(round): the case equals an uninterrupted ingest")
        }
        // Some kill landed mid-way (between the first item and the last), or the test proves little.
        #expect(interruptedWithSome > 0, "no kill landed between items; the evidence is too small for this machine")
    }
}
