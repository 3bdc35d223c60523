import Foundation

/// `report.pdf`: the annex's `report.html` printed by an installed renderer, WeasyPrint when
/// there is one (its output is reproducible given `SOURCE_DATE_EPOCH`), else headless Chromium.
/// Page numbers come from the page's own CSS (`@page` margin boxes), which both honour.
///
/// The page is self-contained, so neither renderer has anything to fetch; Chromium is also
/// told to use no proxy and no profile of the user's.
public enum PDFRenderer {
    public enum Choice: String, Sendable, CaseIterable {
        /// WeasyPrint, else Chromium, else no PDF (the annex says so).
        case auto
        case weasyprint
        case chromium
        case none
    }

    /// The program that printed the PDF, for the manifest.
    public struct Renderer: Codable, Sendable, Hashable {
        public var name: String
        public var version: String
        /// Whether the same page printed again gives the same bytes.
        public var reproducible: Bool
    }

    public enum RenderError: Error, CustomStringConvertible {
        case notInstalled(String)
        case failed(program: String, status: Int32, output: String)
        case timedOut(program: String, seconds: Int)

        public var description: String {
            switch self {
            case .notInstalled(let name): "\(name) is not installed (or not on PATH); install it or choose --pdf none"
            case .failed(let program, let status, let output):
                "\(PDFRenderer.name(program)) exited with status \(status) while printing report.pdf"
                    + (output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
                        ? "" : ": \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
            case .timedOut(let program, let seconds):
                "\(PDFRenderer.name(program)) did not finish printing report.pdf within \(seconds) s"
            }
        }
    }

    /// The program's name without its folder, for messages.
    static func name(_ program: String) -> String { (program as NSString).lastPathComponent }

    static let timeLimit = 300

    /// The renderer `choice` selects on this machine, or nil for none.
    public static func resolve(_ choice: Choice) throws(RenderError) -> (name: String, path: String)? {
        switch choice {
        case .none: return nil
        case .weasyprint:
            guard let path = find("weasyprint") else { throw .notInstalled("weasyprint") }
            return ("weasyprint", path)
        case .chromium:
            guard let path = chromium() else { throw .notInstalled("chromium") }
            return ("chromium", path)
        case .auto:
            if let path = find("weasyprint") { return ("weasyprint", path) }
            if let path = chromium() { return ("chromium", path) }
            return nil
        }
    }

    /// Prints `htmlPath` to `pdfPath`. `epoch` (seconds) is given to the renderer as
    /// `SOURCE_DATE_EPOCH`, so the PDF's dates are the annex's stamp rather than now.
    public static func render(
        htmlPath: String, pdfPath: String, renderer: (name: String, path: String), epoch: Int64
    ) throws -> Renderer {
        var environment = ProcessInfo.processInfo.environment
        environment["SOURCE_DATE_EPOCH"] = String(epoch)
        let html = URL(fileURLWithPath: htmlPath).standardizedFileURL
        if renderer.name == "weasyprint" {
            // --base-url keeps relative references (there are none) inside the annex folder.
            _ = try run(
                renderer.path, ["--quiet", "--base-url", html.deletingLastPathComponent().path, html.path, pdfPath], environment)
            let version = (try? run(renderer.path, ["--version"], environment)) ?? ""
            return Renderer(name: "weasyprint", version: versionNumber(version), reproducible: true)
        }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-chromium-\(getpid())")
        defer { try? FileManager.default.removeItem(at: profile) }
        _ = try run(
            renderer.path,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--no-proxy-server", "--no-pdf-header-footer",
                "--user-data-dir=\(profile.path)", "--print-to-pdf=\(pdfPath)", html.absoluteString,
            ], environment)
        guard FileManager.default.fileExists(atPath: pdfPath) else {
            throw RenderError.failed(program: renderer.path, status: 0, output: "no PDF was written")
        }
        let version = (try? run(renderer.path, ["--version"], environment)) ?? ""
        return Renderer(name: "chromium", version: versionNumber(version), reproducible: false)
    }

    /// The first word made of digits and dots with at least one dot (`57.2`, `156.0.8078.79`):
    /// `--version` output can be preceded by warnings.
    static func versionNumber(_ text: String) -> String {
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            if word.contains("."), word.first?.isNumber == true, word.allSatisfy({ $0.isNumber || $0 == "." }) {
                return String(word)
            }
        }
        return "unknown"
    }

    static func chromium() -> String? {
        find("chromium") ?? find("chromium-browser") ?? find("google-chrome")
    }

    static func find(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs a program to completion with a time limit; its output (both streams, kept in a
    /// temporary file so helper processes that inherit it cannot hold a pipe open) is returned.
    /// Spawned and reaped with posix_spawn and waitpid: Foundation's Process missed the exit of
    /// its child when Spoor itself ran inside `unshare -n`.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], _ environment: [String: String]) throws -> String {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent(
            "spoor-render-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log")
        defer { try? FileManager.default.removeItem(at: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, nil, argv, envp)
        guard spawned == 0 else {
            throw RenderError.failed(program: program, status: Int32(spawned), output: String(cString: strerror(spawned)))
        }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(TimeInterval(timeLimit))
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            if done < 0 && errno != EINTR {
                throw RenderError.failed(
                    program: program, status: -1, output: "lost track of the process: \(String(cString: strerror(errno)))")
            }
            if Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw RenderError.timedOut(program: program, seconds: timeLimit)
            }
            usleep(20_000)
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        // Exited normally with 0: (status & 0x7f) == 0 and the exit code in the next byte.
        let exited = status & 0x7F == 0
        let code = (status >> 8) & 0xFF
        guard exited && code == 0 else {
            throw RenderError.failed(
                program: program, status: exited ? code : 128 + (status & 0x7F), output: String(text.suffix(400)))
        }
        return text
    }
}
