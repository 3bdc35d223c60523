import Foundation
import SpoorCase
import SpoorCore
import SpoorIntake
import SpoorIntel
import SpoorStore
import SpoorLogs
import SpoorSigma

/// Checks an annex (`spoor verify`): every file the manifest lists, with its SHA-256; files it
/// does not list; the signature; the evidence given against the manifest's inventory; and, with a
/// re-run, the whole chain — the evidence ingested into a fresh case, analysed with the reference
/// data given, an annex written at the same time stamp, and every file and finding compared.
public enum AnnexVerifier {
    /// One thing checked, as `spoor verify` prints it. Text may hold names from the annex or the
    /// evidence: the caller makes it safe for where it shows it.
    public struct Line: Hashable, Sendable {
        public enum Outcome: String, Sendable {
            case ok
            case differs
            case note
        }

        public var outcome: Outcome
        public var text: String
    }

    /// What the re-run uses besides the evidence.
    public struct Rerun {
        public var mmdb: [String]
        public var year: Int?
        /// The indicator store, opened when the manifest names an indicator set.
        public var intel: () throws -> IndicatorStore
        /// The report templates to write with, and whether the user chose them.
        public var templates: ReportTemplates
        public var templatesGiven: Bool
        /// The folder of Sigma rules the analysis applied, when it applied any.
        public var sigma: String?

        public init(
            mmdb: [String], year: Int?, intel: @escaping () throws -> IndicatorStore, templates: ReportTemplates,
            templatesGiven: Bool, sigma: String? = nil
        ) {
            self.sigma = sigma
            self.mmdb = mmdb
            self.year = year
            self.intel = intel
            self.templates = templates
            self.templatesGiven = templatesGiven
        }
    }

    /// Why an annex could not be checked at all.
    public enum Failure: Error, CustomStringConvertible {
        case noManifest(path: String)
        case unreadableManifest(path: String, reason: String)
        case unreadablePublicKey(path: String, reason: String)

        public var description: String {
            switch self {
            case .noManifest(let path): return "\(path): no manifest; not a Spoor annex"
            case .unreadableManifest(let path, let reason): return "\(path): unreadable manifest (\(reason))"
            case .unreadablePublicKey(let path, let reason): return "\(path): unreadable public key (\(reason))"
            }
        }
    }

    /// Checks the annex in `directory`, giving each line as it is decided.
    /// - Parameters:
    ///   - evidence: evidence files or folders to match with the manifest's inventory.
    ///   - publicKey: a public key file the signature must be made with.
    ///   - rerun: when given, re-runs the analysis from `evidence` and compares.
    public static func verify(
        _ directory: String, evidence: [String], publicKey: String?, rerun: Rerun?, _ report: (Line) -> Void
    ) throws(Failure) {
        func ok(_ text: String) { report(Line(outcome: .ok, text: text)) }
        func bad(_ text: String) { report(Line(outcome: .differs, text: text)) }
        let manifestPath = (directory as NSString).appendingPathComponent(Annex.manifestName)
        guard let manifestBytes = FileManager.default.contents(atPath: manifestPath) else {
            throw .noManifest(path: manifestPath)
        }
        let manifest: Manifest
        do { manifest = try Manifest.decode(manifestBytes) } catch {
            throw .unreadableManifest(path: manifestPath, reason: String(describing: error))
        }
        // Files.
        for file in manifest.files {
            let path = (directory as NSString).appendingPathComponent(file.name)
            guard let bytes = FileManager.default.contents(atPath: path) else {
                bad("\(file.name): missing")
                continue
            }
            let digest = Digest.sha256(bytes)
            if digest == file.sha256 {
                ok("\(file.name) SHA-256 \(digest)")
            } else {
                bad("\(file.name): SHA-256 is \(digest), the manifest says \(file.sha256)")
            }
        }
        let listed = Set(manifest.files.map(\.name) + [Annex.manifestName, Annex.signatureName])
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        where !listed.contains(name) {
            bad("\(name): in the folder but not in the manifest")
        }
        // Signature.
        let signaturePath = (directory as NSString).appendingPathComponent(Annex.signatureName)
        if let data = FileManager.default.contents(atPath: signaturePath) {
            if let signature = try? ManifestSignature.decode(data), signature.verifies(manifestBytes) {
                if let publicKey {
                    let expected: Data
                    do { expected = try SigningKeys.loadPublic(publicKey) } catch {
                        throw .unreadablePublicKey(path: publicKey, reason: error.localizedDescription)
                    }
                    if Digest.hexBytes(expected) == signature.publicKey {
                        ok("signature: Ed25519 by the key in \(publicKey) (fingerprint \(signature.keyFingerprint))")
                    } else {
                        bad("signature: valid, but by another key (fingerprint \(signature.keyFingerprint)) than \(publicKey)")
                    }
                } else {
                    ok(
                        "signature: Ed25519, valid, key fingerprint \(signature.keyFingerprint) (give --public-key to require a key)"
                    )
                }
            } else {
                bad("\(Annex.signatureName): not a valid signature of manifest.json")
            }
        } else if publicKey != nil {
            bad("no \(Annex.signatureName): the annex is not signed")
        } else {
            report(Line(outcome: .note, text: "the annex is not signed"))
        }
        // Evidence: the files under the paths given, as ingest finds them.
        if !evidence.isEmpty {
            let known = Dictionary(
                manifest.evidence.filter { $0.member == nil }.map { ($0.sha256, $0) }, uniquingKeysWith: { a, _ in a })
            var matched: Set<String> = []
            for found in Intake.collect(evidence) {
                let candidate: Intake.Candidate
                switch found {
                case .success(let c): candidate = c
                case .failure(let error):
                    bad("\(error)")
                    continue
                }
                let digest: String
                do { digest = try FileHasher.sha256(path: candidate.path).sha256 } catch {
                    bad("\(candidate.path): cannot be read")
                    continue
                }
                if let item = known[digest] {
                    matched.insert(digest)
                    ok("evidence \(candidate.path) is \(item.path) (SHA-256 \(digest))")
                } else {
                    bad("evidence \(candidate.path): SHA-256 \(digest) is not in the manifest")
                }
            }
            for item in known.values.sorted(by: { $0.path < $1.path }) where !matched.contains(item.sha256) {
                bad("evidence \(item.path) (SHA-256 \(item.sha256)): not among the files given")
            }
        }
        if let rerun {
            compare(
                directory, manifest, evidence: evidence, rerun, ok: ok, bad: bad, note: { report(Line(outcome: .ok, text: $0)) })
        }
    }

    /// Ingests the evidence into a fresh case, analyses it with the reference data given, writes
    /// an annex at the manifest's time, and compares.
    static func compare(
        _ directory: String, _ manifest: Manifest, evidence: [String], _ rerun: Rerun, ok: (String) -> Void,
        bad: (String) -> Void,
        note: (String) -> Void
    ) {
        if manifest.redacted == true {
            bad(
                "re-run: this is a redacted annex; its pseudonyms are keyed to the case, so only the unredacted annex can be re-run"
            )
            return
        }
        let findingsPath = (directory as NSString).appendingPathComponent("findings.json")
        let original: FindingsDocument
        do {
            original = try FindingsDocument.decode(Data(contentsOf: URL(fileURLWithPath: findingsPath)))
        } catch {
            bad("findings.json: unreadable, cannot re-run (\(SafeText.excerpt(String(describing: error), limit: 300)))")
            return
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-verify-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        do {
            let store = try CaseStore.create(at: work.appendingPathComponent("case").path, metadata: original.case)
            _ = store.ingest(paths: evidence, options: ParseOptions(year: rerun.year))
            let indicators = manifest.indicatorSet != nil ? try rerun.intel() : nil
            // The casebook leaves out the original case's own sightings, as it did then.
            // The Sigma rules, when the analysis applied some: the same set (by hash) or it is said.
            var rules: SigmaRuleSet?
            if let then = original.analysis?.sigma {
                if let folder = rerun.sigma {
                    let set = try SigmaRuleSet.load(folder: folder)
                    if let hash = then.sha256, hash != set.sha256 {
                        bad("reference data: the Sigma rules of \(folder) are set \(set.sha256); the annex used \(hash)")
                    }
                    rules = set
                } else {
                    bad(
                        "reference data: the annex's analysis applied the Sigma rules of \(then.folder) (\(then.evaluated.count) evaluated); give them with --sigma"
                    )
                }
            }
            let summary = try store.analyze(
                mmdbPaths: rerun.mmdb, intel: indicators, casebookPseudonym: original.analysis?.casebook?.ownPseudonym,
                sigma: rules)
            // Reference data first: a different database or indicator set explains everything else.
            let used = Set(summary.databases.map(\.sha256))
            for database in manifest.databases where !used.contains(database.sha256) {
                bad(
                    "reference data: \(database.databaseType) built \(database.buildDate) (SHA-256 \(database.sha256)) was not given with --mmdb"
                )
            }
            if let set = manifest.indicatorSet, let now = summary.intel, now.contentHash != set.contentHash {
                bad("reference data: the indicator store's version is \(now.contentHash), the annex used \(set.contentHash)")
            }
            if let then = original.analysis?.casebook, let now = summary.casebook, now.contentHash != then.contentHash {
                bad(
                    "reference data: the casebook holds \(now.cases) case(s) and \(now.sightings) address(es) (version \(now.contentHash.prefix(16))…); "
                        + "the annex's analysis saw \(then.cases) and \(then.sightings) (\(then.contentHash.prefix(16))…), "
                        + "so findings.json differs even where the findings do not")
            }
            let again = work.appendingPathComponent("annex").path
            // The same words and printer as the annex, where this machine has them.
            let set = rerun.templates
            if let used = manifest.templates, used.sha256 != set.sha256 {
                bad(
                    "report templates: the annex used the \(used.language) set \(used.sha256), the re-run \(set.language) \(set.sha256)"
                        + (rerun.templatesGiven ? "" : " (give the annex's set with --templates)"))
            }
            var pdf = PDFRenderer.Choice.none
            var skip: Set<String> = []
            if let printer = manifest.renderer {
                let here = try? PDFRenderer.resolve(PDFRenderer.Choice(rawValue: printer.name) ?? .none)
                if !printer.reproducible {
                    skip.insert(Annex.pdfName)
                    note("re-run: report.pdf not compared: \(printer.name) does not print reproducibly")
                } else if here == nil {
                    skip.insert(Annex.pdfName)
                    note("re-run: report.pdf not compared: \(printer.name) is not installed here")
                } else {
                    pdf = PDFRenderer.Choice(rawValue: printer.name) ?? .none
                }
            }
            let written = try Annex.write(
                store: store, to: again, options: .init(generatedAt: manifest.generatedAt, templates: set, pdf: pdf))
            if let printer = manifest.renderer, let now = written.renderer, now.version != printer.version {
                bad("re-run: report.pdf printed by \(now.name) \(now.version); the annex by \(printer.name) \(printer.version)")
            }
            let rerunManifest = try Manifest.decode(
                Data(contentsOf: URL(fileURLWithPath: (again as NSString).appendingPathComponent(Annex.manifestName))))
            let now = Dictionary(uniqueKeysWithValues: rerunManifest.files.map { ($0.name, $0.sha256) })
            for file in manifest.files where !skip.contains(file.name) {
                if now[file.name] == file.sha256 {
                    ok("re-run: \(file.name) identical")
                } else {
                    bad("re-run: \(file.name) differs")
                }
            }
            let redone = try FindingsDocument.decode(
                Data(contentsOf: URL(fileURLWithPath: (again as NSString).appendingPathComponent("findings.json"))))
            let before = Dictionary(original.findings.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let after = Dictionary(redone.findings.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            for id in Set(before.keys).union(after.keys).sorted() {
                switch (before[id], after[id]) {
                case (let b?, let a?) where b == a: continue
                case (let b?, let a?):
                    bad(
                        "re-run: finding \(id) differs: was \"\(SafeText.excerpt(b.statement, limit: 160))\", now \"\(SafeText.excerpt(a.statement, limit: 160))\""
                    )
                case (.some, nil): bad("re-run: finding \(id) is no longer made")
                case (nil, let a?): bad("re-run: a new finding \(id): \(SafeText.excerpt(a.statement, limit: 160))")
                default: continue
                }
            }
            if original.findings == redone.findings { ok("re-run: the same \(redone.findings.count) finding(s)") }
        } catch {
            bad("re-run failed: \(String(describing: error))")
        }
    }
}
