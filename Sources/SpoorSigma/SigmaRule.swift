import Crypto
import Foundation
import SpoorCore
import Yams

/// A Sigma detection rule as Spoor evaluates it: what it says of itself (title, id, author,
/// level, references), the log source it is written for, its named selections compiled to
/// matchers, and its condition.
public struct SigmaRule: Sendable {
    public var title: String
    public var id: String?
    public var author: String?
    /// `informational`, `low`, `medium`, `high`, `critical`.
    public var level: String?
    public var status: String?
    public var description: String?
    public var references: [String]
    /// The file it was read from, relative to the folder given, and the file's SHA-256.
    public var file: String
    public var sha256: String = ""
    public var source: SigmaLogSource
    /// The compiled selections and condition, shared, not copied with the rule.
    public let program: SigmaProgram

    /// A selection: one or more alternatives (a list of maps is an OR of maps), each an AND of
    /// field tests; or keywords searched in a record's text.
    enum Selection: Sendable {
        case fields([[FieldTest]])
        case keywords([ValueMatcher])
    }

    struct FieldTest: Sendable {
        /// The Spoor event key the Sigma field maps to.
        var key: String
        var matchers: [ValueMatcher]
        /// `|all`: every value must match, not one of them.
        var all: Bool
        /// Whether a matcher reads the value as written (a regular expression, a network, a
        /// number, a cased pattern), not only lower-cased.
        let needsOriginal: Bool

        init(key: String, matchers: [ValueMatcher], all: Bool) {
            self.key = key
            self.matchers = matchers
            self.all = all
            needsOriginal = matchers.contains {
                switch $0 {
                case .pattern(_, let cased): return cased
                case .regex, .cidr, .number: return true
                case .exists, .null, .invalid: return false
                }
            }
        }
    }
}

/// A rule's selections (in name order) and its condition, which refers to them by index.
public final class SigmaProgram: Sendable {
    let selections: [SigmaRule.Selection]
    let condition: SigmaCondition

    init(selections: [SigmaRule.Selection], condition: SigmaCondition) {
        self.selections = selections
        self.condition = condition
    }
}

/// Which of Spoor's formats a rule's `logsource` is read from.
public enum SigmaLogSource: String, Sendable, CaseIterable, Codable {
    case webserver
    case sshd
    case m365
    case azureSignIn = "azure_signinlogs"
    case googleWorkspace = "google_workspace"

    /// The Spoor formats holding this log source's records.
    public var formats: [String] {
        switch self {
        case .webserver: return ["web_access"]
        case .sshd: return ["openssh"]
        case .m365: return ["m365_unified_audit_log"]
        case .azureSignIn: return ["entra_signin"]
        case .googleWorkspace: return ["google_workspace_audit"]
        }
    }

    /// The log source of a rule's `logsource` block, nil when Spoor reads none like it.
    static func of(product: String?, service: String?, category: String?) -> SigmaLogSource? {
        switch (product?.lowercased(), service?.lowercased(), category?.lowercased()) {
        case (_, _, "webserver"): return .webserver
        case ("linux", "sshd", _): return .sshd
        case ("m365", _, _): return .m365
        case ("azure", "signinlogs", _): return .azureSignIn
        case ("gcp", let service?, _) where service.hasPrefix("google_workspace"): return .googleWorkspace
        default: return nil
        }
    }
}

/// A rule Spoor read but cannot evaluate, or a file that is not a rule, and why.
public struct SigmaUnsupported: Error, Hashable, Sendable, Codable {
    public var file: String
    public var title: String?
    public var reason: String

    public init(file: String, title: String?, reason: String) {
        self.file = file
        self.title = title
        self.reason = reason
    }
}

/// The rules of a folder: those Spoor evaluates, and those it cannot, each with its reason.
public struct SigmaRuleSet: Sendable {
    public var rules: [SigmaRule]
    public var unsupported: [SigmaUnsupported]
    public var folder: String
    /// The SHA-256 of the set: of one line `path<TAB>file SHA-256` per file read (the rules and
    /// `fields.yml`), in path order. Two folders with the same files give the same hash.
    public var sha256 = ""

    /// Reads every `.yml`/`.yaml` file under `folder` (sorted by path), with the field table
    /// (``SigmaFields``) and, when the folder holds one, its `fields.yml` overrides.
    public static func load(folder: String) throws -> SigmaRuleSet {
        let root = URL(fileURLWithPath: folder)
        var files: [String] = []
        if let walk = FileManager.default.enumerator(atPath: folder) {
            for case let path as String in walk where path.hasSuffix(".yml") || path.hasSuffix(".yaml") {
                files.append(path)
            }
        }
        files.sort()
        var fields = SigmaFields.standard
        var listing = ""
        func digest(_ data: Data) -> String { Hex.string(SHA256.hash(data: data)) }
        if let override = files.first(where: { $0 == "fields.yml" || $0 == "fields.yaml" }) {
            let data = try Data(contentsOf: root.appendingPathComponent(override))
            listing += "\(override)\t\(digest(data))\n"
            let text = String(decoding: data, as: UTF8.self)
            try fields.override(with: text, file: override)
            files.removeAll { $0 == override }
        }
        var set = SigmaRuleSet(rules: [], unsupported: [], folder: folder)
        for file in files.sorted() {
            let data: Data
            do {
                data = try Data(contentsOf: root.appendingPathComponent(file))
            } catch {
                set.unsupported.append(
                    SigmaUnsupported(file: file, title: nil, reason: "not readable: \(error.localizedDescription)"))
                continue
            }
            let hash = digest(data)
            listing += "\(file)\t\(hash)\n"
            guard let text = String(data: data, encoding: .utf8) else {
                set.unsupported.append(SigmaUnsupported(file: file, title: nil, reason: "not UTF-8 text"))
                continue
            }
            switch SigmaRule.parse(text, file: file, fields: fields) {
            case .success(let rules):
                set.rules += rules.map {
                    var rule = $0
                    rule.sha256 = hash
                    return rule
                }
            case .failure(let why): set.unsupported.append(why)
            }
        }
        set.sha256 = digest(Data(listing.utf8))
        return set
    }
}

extension SigmaRule {
    /// The rule (or rules, for a file of several documents) a YAML text holds, or why it cannot
    /// be evaluated.
    public static func parse(_ text: String, file: String, fields: SigmaFields = .standard) -> Result<
        [SigmaRule], SigmaUnsupported
    > {
        var documents: [Any] = []
        do {
            // Document by document, so that a syntax error anywhere is reported.
            let parser = try Parser(yaml: text)
            while let node = try parser.nextRoot() { documents.append(Constructor.default.any(from: node)) }
        } catch {
            return .failure(SigmaUnsupported(file: file, title: nil, reason: "not valid YAML: \(error)"))
        }
        var rules: [SigmaRule] = []
        for document in documents {
            let map = document as? [String: Any]
            let title = map?["title"] as? String
            func unsupported(_ reason: String) -> Result<[SigmaRule], SigmaUnsupported> {
                .failure(SigmaUnsupported(file: file, title: title, reason: reason))
            }
            guard let map else { return unsupported("a YAML document that is not a map") }
            if map["action"] != nil { return unsupported("a rule collection's action document (global/reset/repeat)") }
            if map["correlation"] != nil { return unsupported("a correlation rule: Spoor evaluates single-record rules only") }
            guard let title else { return unsupported("no title") }
            guard let detection = map["detection"] as? [String: Any] else { return unsupported("no detection map") }
            let logsource = map["logsource"] as? [String: Any] ?? [:]
            func text(_ key: String) -> String? { (logsource[key] as? String) ?? (logsource[key].map { "\($0)" }) }
            guard
                let source = SigmaLogSource.of(product: text("product"), service: text("service"), category: text("category"))
            else {
                let named = ["product", "service", "category"].compactMap { k in text(k).map { "\(k) \($0)" } }
                return unsupported(
                    "no Spoor format reads its log source (\(named.isEmpty ? "none given" : named.joined(separator: ", ")))")
            }
            if detection["timeframe"] != nil { return unsupported("a timeframe (correlation over time) is not evaluated") }
            var selections: [String: Selection] = [:]
            for (name, value) in detection where name != "condition" {
                switch Self.selection(value, source: source, fields: fields) {
                case .success(let selection): selections[name] = selection
                case .failure(let reason): return unsupported("selection '\(name)': \(reason.text)")
                }
            }
            let names = selections.keys.sorted()
            let conditions: [String]
            if let one = detection["condition"] as? String {
                conditions = [one]
            } else if let many = detection["condition"] as? [String] {
                conditions = many
            } else {
                return unsupported("no condition")
            }
            var parsed: [SigmaCondition] = []
            for condition in conditions {
                do {
                    parsed.append(try SigmaCondition.parse(condition, names: names))
                } catch let error as SigmaConditionError {
                    return unsupported("condition '\(condition)': \(error.reason)")
                } catch {
                    return unsupported("condition '\(condition)': \(error)")
                }
            }
            let references = (map["references"] as? [Any])?.compactMap { $0 as? String } ?? []
            let author = (map["author"] as? String) ?? (map["author"] as? [String])?.joined(separator: ", ")
            rules.append(
                SigmaRule(
                    title: title, id: map["id"] as? String, author: author, level: (map["level"] as? String)?.lowercased(),
                    status: map["status"] as? String, description: map["description"] as? String, references: references,
                    file: file, source: source,
                    program: SigmaProgram(
                        selections: names.map { selections[$0]! }, condition: parsed.count == 1 ? parsed[0] : .or(parsed))))
        }
        guard !rules.isEmpty else { return .failure(SigmaUnsupported(file: file, title: nil, reason: "no YAML document")) }
        return .success(rules)
    }

    private static func selection(_ value: Any, source: SigmaLogSource, fields: SigmaFields) -> Result<Selection, SigmaReason> {
        if let map = value as? [String: Any] {
            return tests(map, source: source, fields: fields).map { .fields([$0]) }
        }
        if let list = value as? [Any] {
            if list.allSatisfy({ $0 is [String: Any] }) {
                var alternatives: [[FieldTest]] = []
                for item in list {
                    switch tests(item as! [String: Any], source: source, fields: fields) {
                    case .success(let tests): alternatives.append(tests)
                    case .failure(let reason): return .failure(reason)
                    }
                }
                return .success(.fields(alternatives))
            }
            var keywords: [ValueMatcher] = []
            for item in list {
                guard let text = scalar(item) else { return .failure(SigmaReason("a keyword list holding a map or a list")) }
                keywords.append(ValueMatcher.compile(text, modifiers: ["contains"]))
            }
            return .success(.keywords(keywords))
        }
        if let text = scalar(value) { return .success(.keywords([ValueMatcher.compile(text, modifiers: ["contains"])])) }
        return .failure(SigmaReason("neither a map, a list nor a keyword"))
    }

    private static func tests(_ map: [String: Any], source: SigmaLogSource, fields: SigmaFields) -> Result<
        [FieldTest], SigmaReason
    > {
        var tests: [FieldTest] = []
        for (key, value) in map.sorted(by: { $0.key < $1.key }) {
            var parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            let field = parts.removeFirst()
            let modifiers = parts.map { $0.lowercased() }
            if let unknown = modifiers.first(where: { !ValueMatcher.supported.contains($0) }) {
                return .failure(SigmaReason("the modifier '\(unknown)' is not evaluated"))
            }
            let all = modifiers.contains("all")
            if field.isEmpty {
                // `'|all': [...]`: keywords that must all appear.
                return .failure(SigmaReason("keywords inside a field map ('|all') are not evaluated"))
            }
            guard let spoorKey = fields.key(for: field, in: source) else {
                return .failure(
                    SigmaReason("the field '\(field)' has no Spoor counterpart for \(source.rawValue) (see fields.yml)"))
            }
            let values: [Any?] = (value as? [Any]).map { $0.map { $0 } } ?? [value is NSNull ? nil : value]
            var matchers: [ValueMatcher] = []
            for item in values {
                if item == nil || item is NSNull {
                    matchers.append(.null)
                    continue
                }
                guard let text = scalar(item!) else {
                    return .failure(SigmaReason("the field '\(field)' is given a map or a list of lists"))
                }
                let matcher = ValueMatcher.compile(text, modifiers: modifiers)
                if case .invalid(let why) = matcher { return .failure(SigmaReason("the field '\(field)': \(why)")) }
                matchers.append(matcher)
            }
            tests.append(FieldTest(key: spoorKey, matchers: matchers, all: all))
        }
        return .success(tests)
    }

    private static func scalar(_ value: Any) -> String? {
        switch value {
        case let s as String: return s
        case let b as Bool: return b ? "true" : "false"
        case let i as Int: return String(i)
        case let d as Double: return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        default: return nil
        }
    }

    /// The rule's severity for a finding: `critical` and `high` are high, `informational` info.
    public var severity: Finding.Severity {
        switch level {
        case "critical", "high": return .high
        case "medium": return .medium
        case "low": return .low
        default: return .info
        }
    }
}

/// Why a part of a rule cannot be evaluated.
struct SigmaReason: Error {
    var text: String
    init(_ text: String) { self.text = text }
}
