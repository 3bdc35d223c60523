import Foundation

/// One door to test inputs: the repository's own synthetic fixtures, the external conformance
/// corpus in `../shared/testdata` (present in CI, optional elsewhere), temporary folders, and
/// the built `spoor` binary.
public enum Fixtures {
    /// The package root, found from this file's location.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Tests/Fixtures/<relative>`.
    public static func url(_ relative: String) -> URL {
        packageRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relative)
    }

    public static func path(_ relative: String) -> String { url(relative).path }

    public static func bytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: url(relative)))
    }

    /// The external corpus, or nil when `../shared/testdata` is absent (then conformance tests skip).
    public static var sharedTestdata: URL? {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/testdata")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// A new empty folder under this test process's own temporary folder, which is removed
    /// when the process exits.
    public static func temporaryDirectory(_ label: String = "spoor-test") throws -> URL {
        let url = URL(fileURLWithPath: temporaryRoot).appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `text` to a new file in a new temporary folder and returns its path.
    public static func temporaryFile(named name: String, contents: String) throws -> String {
        let url = try temporaryDirectory().appendingPathComponent(name)
        try Data(contents.utf8).write(to: url)
        return url.path
    }

    /// The built `spoor` executable (`SPOOR_BINARY` overrides).
    public static var spoorBinary: URL {
        if let path = ProcessInfo.processInfo.environment["SPOOR_BINARY"] { return URL(fileURLWithPath: path) }
        for configuration in ["debug", "release"] {
            let url = packageRoot.appendingPathComponent(".build/\(configuration)/spoor")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return packageRoot.appendingPathComponent(".build/debug/spoor")
    }
}

/// One folder per test process for everything the tests write.
let temporaryRoot: String = {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-tests-\(getpid())").path
    atexit { try? FileManager.default.removeItem(atPath: temporaryRoot) }
    return root
}()

extension Fixtures {
    /// A MaxMind-format database of type `Test-Geo` built by `spoor mmdb build` from CSV rows
    /// (`network,autonomous_system_number,country_code,is_anonymous_vpn` and one line per
    /// network) in `folder`; its path.
    public static func testGeoDatabase(rows: [String], in folder: URL) throws -> String {
        let source = folder.appendingPathComponent("geo.csv").path
        let header = "network,autonomous_system_number,country_code,is_anonymous_vpn"
        try ([header] + rows).map { $0 + "\n" }.joined().write(toFile: source, atomically: true, encoding: .utf8)
        let mmdb = folder.appendingPathComponent("geo.mmdb").path
        let built = try runSpoor(["mmdb", "build", source, "--out", mmdb, "--type", "Test-Geo", "--build-date", "2024-01-01"])
        guard built.status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "spoor mmdb build: \(built.stderr)"])
        }
        return mmdb
    }
}

/// The result of running the `spoor` binary.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs the built `spoor` with arguments, an environment overlay and optional standard input.
public func runSpoor(_ arguments: [String], environment: [String: String] = [:], input: String? = nil) throws -> ProcessResult {
    try runSpoor(arguments, environment: environment, inputBytes: input.map { Data($0.utf8) })
}

/// The same with bytes on standard input (a capture, for instance). Small inputs only: the
/// bytes are written before the output is read.
public func runSpoor(_ arguments: [String], environment: [String: String] = [:], inputBytes: Data?, wrapper: [String] = []) throws
    -> ProcessResult
{
    let process = Process()
    if let program = wrapper.first {
        // Run through another program (`unshare -n --`), which then runs spoor.
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = Array(wrapper.dropFirst()) + [Fixtures.spoorBinary.path] + arguments
    } else {
        process.executableURL = Fixtures.spoorBinary
        process.arguments = arguments
    }
    var env = ProcessInfo.processInfo.environment
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    let inPipe = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = inPipe
    try process.run()
    if let inputBytes { inPipe.fileHandleForWriting.write(inputBytes) }
    try inPipe.fileHandleForWriting.close()
    // Read both pipes before waiting, so a large output cannot block the child.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs another program (a validator, a reader of some format) to its end, with its standard
/// output and error together.
public func runTool(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
}

/// A step of a test's set-up that the spoor binary refused, with what it said.
public struct SetUpFailed: Error, CustomStringConvertible {
    public var step: String
    public var output: String
    public var description: String { "\(step) failed: \(output)" }
}

extension Fixtures {
    /// A case made with the binary in `folder/case` from one log's text (`auth.log`), ingested;
    /// its path. Throws when a step fails.
    public static func caseFromLog(_ log: String, in folder: URL, title: String = "test") throws -> String {
        let path = folder.appendingPathComponent("case").path
        let file = folder.appendingPathComponent("auth.log")
        try Data(log.utf8).write(to: file)
        for (step, arguments) in [
            ("case init", ["case", "init", path, "--title", title]), ("ingest", ["ingest", path, file.path]),
        ] {
            let result = try runSpoor(arguments)
            if result.status != 0 { throw SetUpFailed(step: step, output: result.stdout + result.stderr) }
        }
        return path
    }
}
