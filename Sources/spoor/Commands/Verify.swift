import ArgumentParser
import Foundation
import SpoorCase
import SpoorCore
import SpoorIntake
import SpoorIntel
import SpoorLogs
import SpoorReport

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check an annex: file hashes, signature, and, given the evidence, the analysis itself.",
        usage: "spoor verify <annex-dir> [--public-key <file>] [--evidence <path> ...]\nspoor verify <annex-dir> --evidence <path> ... --rerun [--mmdb <file> ...] [--year <year>]\n       [--intel-db <path>] [--templates <dir>]",
        discussion: """
            Every file manifest.json lists must be present with its SHA-256; files it does not list are named. \
            manifest.sig, when present, must be a valid Ed25519 signature of manifest.json (with --public-key, \
            by that key). Each --evidence file or folder is hashed and matched with the manifest's evidence \
            inventory. With --rerun, the evidence is ingested into a fresh case, analysed with the reference data \
            given (--mmdb, --intel-db; their hashes must match the manifest's), an annex is written at the same \
            time stamp, and every file and finding that differs is named. Exit status 0 when everything agrees, \
            1 when something does not.
            """)

    @Argument(help: ArgumentHelp("The annex folder.", valueName: "annex-dir")) var directory: String
    @Option(help: ArgumentHelp("An evidence file or folder; repeat for several.", valueName: "path")) var evidence: [String] = []
    @Option(help: ArgumentHelp("The signer's public key file (.pub); the signature must be by this key.", valueName: "file"))
    var publicKey: String?
    @Flag(help: "Re-run ingest, analysis and report from the --evidence and compare.") var rerun = false
    @Option(help: ArgumentHelp("For --rerun: a MaxMind-format database the analysis used; repeat.", valueName: "file"))
    var mmdb: [String] = []
    @Option(help: ArgumentHelp("For --rerun: the year of syslog dates, as given at ingest.", valueName: "year")) var year: Int?
    @OptionGroup var intel: IntelStoreOption
    @Option(help: ArgumentHelp("For --rerun: the report template folder the annex was written with.", valueName: "dir"))
    var templates: String?

    func validate() throws {
        if rerun && evidence.isEmpty { throw ValidationError("--rerun needs the evidence (--evidence PATH)") }
    }

    func run() throws {
        var problems: [String] = []
        func ok(_ text: String) { print("ok       \(text)") }
        func bad(_ text: String) {
            print("DIFFERS  \(text)")
            problems.append(text)
        }
        let manifestPath = (directory as NSString).appendingPathComponent(Annex.manifestName)
        guard let manifestBytes = FileManager.default.contents(atPath: manifestPath) else {
            Console.error("spoor: error: \(SafeText.terminal(manifestPath)): no manifest; not a Spoor annex")
            throw ExitStatus.failure
        }
        let manifest: Manifest
        do { manifest = try Manifest.decode(manifestBytes) } catch {
            Console.error("spoor: error: \(SafeText.terminal(manifestPath)): unreadable manifest (\(error))")
            throw ExitStatus.failure
        }
        // Files.
        for file in manifest.files {
            let path = (directory as NSString).appendingPathComponent(file.name)
            guard let bytes = FileManager.default.contents(atPath: path) else {
                bad("\(file.name): missing")
                continue
            }
            let digest = Digest.sha256(bytes)
            if digest == file.sha256 { ok("\(file.name) SHA-256 \(digest)") } else { bad("\(file.name): SHA-256 is \(digest), the manifest says \(file.sha256)") }
        }
        let listed = Set(manifest.files.map(\.name) + [Annex.manifestName, Annex.signatureName])
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted() where !listed.contains(name) {
            bad("\(SafeText.terminal(name)): in the folder but not in the manifest")
        }
        // Signature.
        let signaturePath = (directory as NSString).appendingPathComponent(Annex.signatureName)
        if let data = FileManager.default.contents(atPath: signaturePath) {
            if let signature = try? ManifestSignature.decode(data), signature.verifies(manifestBytes) {
                if let publicKey {
                    let expected: Data
                    do { expected = try SigningKeys.loadPublic(publicKey) } catch {
                        Console.error("spoor: error: \(SafeText.terminal(publicKey)): unreadable public key (\(SafeText.terminal(error.localizedDescription)))")
                        throw ExitStatus.failure
                    }
                    if Digest.hexBytes(expected) == signature.publicKey {
                        ok("signature: Ed25519 by the key in \(SafeText.terminal(publicKey)) (fingerprint \(signature.keyFingerprint))")
                    } else {
                        bad("signature: valid, but by another key (fingerprint \(signature.keyFingerprint)) than \(SafeText.terminal(publicKey))")
                    }
                } else {
                    ok("signature: Ed25519, valid, key fingerprint \(signature.keyFingerprint) (give --public-key to require a key)")
                }
            } else {
                bad("\(Annex.signatureName): not a valid signature of manifest.json")
            }
        } else if publicKey != nil {
            bad("no \(Annex.signatureName): the annex is not signed")
        } else {
            print("note     the annex is not signed")
        }
        // Evidence.
        if !evidence.isEmpty {
            let known = Dictionary(manifest.evidence.filter { $0.member == nil }.map { ($0.sha256, $0) }, uniquingKeysWith: { a, _ in a })
            var matched: Set<String> = []
            for path in evidenceFiles(evidence) {
                let digest: String
                do { digest = try FileHasher.sha256(path: path).sha256 } catch {
                    bad("\(SafeText.terminal(path)): cannot be read")
                    continue
                }
                if let item = known[digest] {
                    matched.insert(digest)
                    ok("evidence \(SafeText.terminal(path)) is \(SafeText.terminal(item.path)) (SHA-256 \(digest))")
                } else {
                    bad("evidence \(SafeText.terminal(path)): SHA-256 \(digest) is not in the manifest")
                }
            }
            for item in known.values.sorted(by: { $0.path < $1.path }) where !matched.contains(item.sha256) {
                bad("evidence \(SafeText.terminal(item.path)) (SHA-256 \(item.sha256)): not among the files given")
            }
        }
        if rerun { try compareRerun(manifest, bad: bad, ok: ok) }
        if problems.isEmpty {
            print("The annex agrees with its manifest\(evidence.isEmpty ? "" : " and the evidence")\(rerun ? ", and the analysis re-ran to the same result" : "").")
        } else {
            print("\(problems.count) difference(s).")
            throw ExitCode(1)
        }
    }

    /// The files under the given paths (folders walked, hidden files included), in order.
    func evidenceFiles(_ paths: [String]) -> [String] {
        var files: [String] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                files.append(path)
                continue
            }
            if !isFolder.boolValue {
                files.append(path)
                continue
            }
            let walker = FileManager.default.enumerator(atPath: path)
            while let relative = walker?.nextObject() as? String {
                let full = (path as NSString).appendingPathComponent(relative)
                var sub: ObjCBool = false
                if FileManager.default.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue { files.append(full) }
            }
        }
        return files.sorted()
    }

    /// Ingests the evidence into a fresh case, analyses it with the reference data given, writes
    /// an annex at the manifest's time, and compares.
    func compareRerun(_ manifest: Manifest, bad: (String) -> Void, ok: (String) -> Void) throws {
        if manifest.redacted == true {
            bad("re-run: this is a redacted annex; its pseudonyms are keyed to the case, so only the unredacted annex can be re-run")
            return
        }
        let findingsPath = (directory as NSString).appendingPathComponent("findings.json")
        let original: FindingsDocument
        do {
            original = try FindingsDocument.decode(Data(contentsOf: URL(fileURLWithPath: findingsPath)))
        } catch {
            bad("findings.json: unreadable, cannot re-run (\(SafeText.terminal(SafeText.excerpt(String(describing: error), limit: 300))))")
            return
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-verify-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        do {
            let store = try CaseStore.create(at: work.appendingPathComponent("case").path, metadata: original.case)
            _ = store.ingest(paths: evidence, options: ParseOptions(year: year))
            var indicators: IndicatorStore? = nil
            if manifest.indicatorSet != nil {
                let (path, _) = intel.resolved
                indicators = try IndicatorStore(path: path)
            }
            let summary = try store.analyze(mmdbPaths: mmdb, intel: indicators)
            // Reference data first: a different database or indicator set explains everything else.
            let used = Set(summary.databases.map(\.sha256))
            for database in manifest.databases where !used.contains(database.sha256) {
                bad("reference data: \(database.databaseType) built \(database.buildDate) (SHA-256 \(database.sha256)) was not given with --mmdb")
            }
            if let set = manifest.indicatorSet, let now = summary.intel, now.contentHash != set.contentHash {
                bad("reference data: the indicator store's version is \(now.contentHash), the annex used \(set.contentHash)")
            }
            let again = work.appendingPathComponent("annex").path
            // The same words and printer as the annex, where this machine has them.
            let set = try templates.map { try ReportTemplates(folder: $0) } ?? ReportTemplates.bundled()
            if let used = manifest.templates, used.sha256 != set.sha256 {
                bad("report templates: the annex used the \(SafeText.terminal(used.language)) set \(used.sha256), the re-run \(set.language) \(set.sha256)" + (templates == nil ? " (give the annex's set with --templates)" : ""))
            }
            var pdf = PDFRenderer.Choice.none
            var skip: Set<String> = []
            if let printer = manifest.renderer {
                let here = try? PDFRenderer.resolve(PDFRenderer.Choice(rawValue: printer.name) ?? .none)
                if !printer.reproducible {
                    skip.insert(Annex.pdfName)
                    ok("re-run: report.pdf not compared: \(SafeText.terminal(printer.name)) does not print reproducibly")
                } else if here == nil {
                    skip.insert(Annex.pdfName)
                    ok("re-run: report.pdf not compared: \(SafeText.terminal(printer.name)) is not installed here")
                } else {
                    pdf = PDFRenderer.Choice(rawValue: printer.name) ?? .none
                }
            }
            let written = try Annex.write(
                store: store, to: again, options: .init(generatedAt: manifest.generatedAt, templates: set, pdf: pdf))
            if let printer = manifest.renderer, let now = written.renderer, now.version != printer.version {
                bad("re-run: report.pdf printed by \(now.name) \(now.version); the annex by \(SafeText.terminal(printer.name)) \(SafeText.terminal(printer.version))")
            }
            let rerun = try Manifest.decode(Data(contentsOf: URL(fileURLWithPath: (again as NSString).appendingPathComponent(Annex.manifestName))))
            let now = Dictionary(uniqueKeysWithValues: rerun.files.map { ($0.name, $0.sha256) })
            for file in manifest.files where !skip.contains(file.name) {
                if now[file.name] == file.sha256 { ok("re-run: \(file.name) identical") } else { bad("re-run: \(file.name) differs") }
            }
            let redone = try FindingsDocument.decode(Data(contentsOf: URL(fileURLWithPath: (again as NSString).appendingPathComponent("findings.json"))))
            let before = Dictionary(original.findings.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let after = Dictionary(redone.findings.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            for id in Set(before.keys).union(after.keys).sorted() {
                switch (before[id], after[id]) {
                case (let b?, let a?) where b == a: continue
                case (let b?, let a?):
                    bad("re-run: finding \(id) differs: was \"\(SafeText.terminal(SafeText.excerpt(b.statement, limit: 160)))\", now \"\(SafeText.terminal(SafeText.excerpt(a.statement, limit: 160)))\"")
                case (.some, nil): bad("re-run: finding \(id) is no longer made")
                case (nil, let a?): bad("re-run: a new finding \(id): \(SafeText.terminal(SafeText.excerpt(a.statement, limit: 160)))")
                default: continue
                }
            }
            if original.findings == redone.findings { ok("re-run: the same \(redone.findings.count) finding(s)") }
        } catch {
            bad("re-run failed: \(SafeText.terminal(String(describing: error)))")
        }
    }
}
