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
                "\(program) exited with status \(status) while printing report.pdf" + (output.isEmpty ? "" : ": \(output)")
            case .timedOut(let program, let seconds): "\(program) did not finish printing report.pdf within \(seconds) s"
            }
        }
    }

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
            _ = try run(renderer.path, ["--quiet", "--base-url", html.deletingLastPathComponent().path, html.path, pdfPath], environment)
            let version = (try? run(renderer.path, ["--version"], environment)) ?? ""
            return Renderer(name: "weasyprint", version: lastWord(version), reproducible: true)
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
        let words = version.split(separator: " ")
        return Renderer(name: "chromium", version: words.count > 1 ? String(words[1]) : lastWord(version), reproducible: false)
    }

    private static func lastWord(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" }).last.map(String.init) ?? ""
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
    @discardableResult
    static func run(_ program: String, _ arguments: [String], _ environment: [String: String]) throws -> String {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-render-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let sink = try FileHandle(forWritingTo: log)
        defer { try? sink.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = sink
        process.standardError = sink
        process.standardInput = FileHandle.nullDevice
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        try process.run()
        if finished.wait(timeout: .now() + .seconds(timeLimit)) == .timedOut {
            process.terminate()
            throw RenderError.timedOut(program: program, seconds: timeLimit)
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            throw RenderError.failed(program: program, status: process.terminationStatus, output: String(text.suffix(400)))
        }
        return text
    }
}
