import Crypto
import Foundation
import SpoorTestSupport
import Testing

/// Every command's help as its reader sees it: sentences whole, no stray spaces, lines that fit
/// a terminal, every option described; and the man page made from the same definitions.
@Suite struct HelpTextTests {
    /// One command of the tree, with the path that names it (`["intel", "import"]`).
    struct Command {
        var path: [String]
        var info: [String: Any]
        var name: String { (["spoor"] + path).joined(separator: " ") }
    }

    /// The definitions as the argument parser exports them (what the man page is generated from).
    static func definitions() throws -> (json: Data, root: [String: Any]) {
        let dump = try runSpoor(["--experimental-dump-help"])
        try #require(dump.status == 0, "\(dump.stderr)")
        let data = Data(dump.stdout.utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (data, try #require(object["command"] as? [String: Any]))
    }

    static func commands() throws -> [Command] {
        var found: [Command] = []
        func walk(_ info: [String: Any], _ path: [String]) {
            found.append(Command(path: path, info: info))
            for sub in info["subcommands"] as? [[String: Any]] ?? [] {
                guard let name = sub["commandName"] as? String, name != "help" else { continue }
                walk(sub, path + [name])
            }
        }
        walk(try definitions().root, [])
        return found
    }

    /// What is wrong with one text the help shows (an abstract or a discussion), or nothing.
    /// A line of prose starts at the margin and is a whole paragraph (the parser wraps it); an
    /// indented line is an example or a row of a list and may align its columns once.
    static func problems(in text: String, mustEndSentence: Bool = true) -> [String] {
        var found: [String] = []
        let lines = text.components(separatedBy: "\n")
        for (index, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let indented = line.hasPrefix(" ")
            let body = line.trimmingCharacters(in: .whitespaces)
            let gaps = body.ranges(of: /\S {2,}\S/).count
            if indented {
                if gaps > 1 { found.append("more than one aligned gap in \"\(body)\"") }
                continue
            }
            if gaps > 0 { found.append("two spaces inside a sentence: \"\(body)\"") }
            if index > 0, !lines[index - 1].trimmingCharacters(in: .whitespaces).isEmpty {
                found.append("a sentence broken across lines before \"\(body.prefix(40))\"")
            }
            if mustEndSentence, let last = body.last, !".:)?!".contains(last) {
                found.append("ends mid-sentence: \"…\(body.suffix(40))\"")
            }
            if let first = body.first, first.isLowercase, index > 0 {
                found.append("a paragraph starting in lower case (a cut sentence?): \"\(body.prefix(40))\"")
            }
        }
        if text.hasSuffix(" ") {
            found.append("stray space at the edge of \"\(text.prefix(40))\"")
        }
        return found
    }

    @Test func theCheckCatchesTheDamageItLooksFor() {
        // A lost line continuation, a doubled space, an unfinished sentence: each is caught.
        #expect(!Self.problems(in: "Run 'spoor formats' for the formats\nSpoor reads.").isEmpty)
        #expect(!Self.problems(in: "Evidence is opened read-only.  It is never changed.").isEmpty)
        #expect(!Self.problems(in: "Every skipped row is listed with").isEmpty)
        #expect(!Self.problems(in: "it is first             kept in the case.").isEmpty)
        // Prose, an example list and an aligned table are fine.
        #expect(Self.problems(in: "Exit status:\n  0   everything was read\n  64  the command line was wrong").isEmpty)
        #expect(Self.problems(in: "A typical investigation:\n  spoor ingest ./case ./auth.log\n\nThen read it.").isEmpty)
    }

    @Test func everyCommandsTextsAreWholeSentences() throws {
        var failures: [String] = []
        for command in try Self.commands() {
            let abstract = command.info["abstract"] as? String ?? ""
            if abstract.isEmpty { failures.append("\(command.name): no abstract") }
            failures += Self.problems(in: abstract).map { "\(command.name) abstract: \($0)" }
            if let discussion = command.info["discussion"] as? String {
                failures += Self.problems(in: discussion).map { "\(command.name) discussion: \($0)" }
            }
            for argument in command.info["arguments"] as? [[String: Any]] ?? [] {
                guard argument["shouldDisplay"] as? Bool ?? true else { continue }
                let names = (argument["names"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
                let label = "\(command.name) \(names?.first.map { "--\($0)" } ?? (argument["valueName"] as? String ?? "?"))"
                let help = argument["abstract"] as? String ?? ""
                if help.isEmpty { failures.append("\(label): no description") }
                if help.contains("\n") { failures.append("\(label): a line break inside its description") }
                failures += Self.problems(in: help).map { "\(label): \($0)" }
                if let discussion = argument["discussion"] as? String {
                    failures += Self.problems(in: discussion).map { "\(label) discussion: \($0)" }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func everyHelpFitsATerminalAndDescribesEveryOption() throws {
        var failures: [String] = []
        for command in try Self.commands() {
            let narrow = try runSpoor(command.path + ["--help"], environment: ["COLUMNS": "80"])
            #expect(narrow.status == 0, "\(command.name) --help: \(narrow.stderr)")
            for line in narrow.stdout.components(separatedBy: "\n") where line.count > 100 {
                failures.append("\(command.name): a line of \(line.count) columns: \(line.prefix(60))…")
            }
            // Unwrapped, an option's row is its name and its description from column 27, or
            // a longer name alone with the description on the next, deeper-indented line.
            let wide = try runSpoor(command.path + ["--help"], environment: ["COLUMNS": "100000"])
            let lines = wide.stdout.components(separatedBy: "\n")
            // A usage written by hand (to fit the terminal) still names every option, as the
            // parser's own does (or says [<options>] for the optional ones).
            let usage = lines.drop { !$0.hasPrefix("USAGE:") }.prefix { !$0.isEmpty }.joined(separator: " ")
            for argument in command.info["arguments"] as? [[String: Any]] ?? [] {
                guard argument["shouldDisplay"] as? Bool ?? true,
                    let name = (argument["preferredName"] as? [String: Any])?["name"] as? String,
                    (argument["preferredName"] as? [String: Any])?["kind"] as? String == "long",
                    !["help", "version"].contains(name),
                    !(usage.contains("[<options>]") && argument["isOptional"] as? Bool == true)
                else { continue }
                if usage.firstMatch(of: try Regex("--\(name)\\b")) == nil {
                    failures.append("\(command.name): the usage does not name --\(name)")
                }
            }
            var section = ""
            for (index, line) in lines.enumerated() {
                if let header = line.firstMatch(of: /^([A-Z]+):/) {
                    section = String(header.1)
                    continue
                }
                guard ["OPTIONS", "ARGUMENTS", "SUBCOMMANDS"].contains(section),
                    line.hasPrefix("  "), !line.hasPrefix("   ")
                else { continue }
                let body = line.dropFirst(2)
                if body.hasPrefix("See '") { continue }
                let column = line.index(line.startIndex, offsetBy: min(26, line.count))
                let described = line.count > 26 && line[line.index(before: column)] == " " && line[column] != " "
                if !described {
                    let next = index + 1 < lines.count ? lines[index + 1] : ""
                    if !next.hasPrefix("   ") || next.trimmingCharacters(in: .whitespaces).isEmpty {
                        failures.append("\(command.name): \(body) has no description")
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    @Test func theManPageIsGeneratedFromTheCurrentDefinitions() throws {
        let (json, root) = try Self.definitions()
        let digest = SHA256.hash(data: json).map { String(format: "%02x", $0) }.joined()
        let page = try String(
            contentsOf: Fixtures.packageRoot.appendingPathComponent("docs/man/spoor.1"), encoding: .utf8)
        let recorded = page.firstMatch(of: /Generated from command definitions with SHA-256 ([0-9a-f]{64})/)?.1
        #expect(
            recorded.map(String.init) == digest,
            "docs/man/spoor.1 was made from other command definitions: run Scripts/man and commit the page")
        // And the page holds what the definitions say, not only the stamp.
        #expect(page.contains(try #require(root["abstract"] as? String)))
    }
}
