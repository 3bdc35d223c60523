import Foundation
import SpoorCore

/// One Sigma value with its modifiers, compiled once: how it tests a field's text.
///
/// Sigma's plain strings compare case-insensitively and whole, with `*` (any run) and `?` (any
/// one character) as wildcards and `\` escaping them; `contains`, `startswith` and `endswith`
/// wrap the value in wildcards; `re` is a regular expression (case-sensitive, searched);
/// `cidr` a network; `base64` the value's Base64 encoding; `cased` turns case-folding off;
/// `exists` tests presence; `lt`/`lte`/`gt`/`gte` compare numbers.
enum ValueMatcher: Sendable {
    /// A pattern of literal runs and wildcards, on lower-cased bytes unless `cased`.
    case pattern(Glob, cased: Bool)
    case regex(RegexBox)
    case cidr(IPNetwork)
    case exists(Bool)
    case number(Comparison, Double)
    /// The field is absent or empty (a YAML `null`).
    case null
    /// Not a value Spoor can test: the reason.
    case invalid(String)

    enum Comparison: Sendable { case lt, lte, gt, gte }

    static let supported: Set<String> = [
        "contains", "startswith", "endswith", "all", "re", "cidr", "base64", "cased", "exists", "lt", "lte", "gt", "gte",
        "i", "m", "s",
    ]

    static func compile(_ text: String, modifiers: [String]) -> ValueMatcher {
        let set = Set(modifiers)
        if set.contains("exists") { return .exists(text.lowercased() == "true") }
        for (name, comparison) in [("lt", Comparison.lt), ("lte", .lte), ("gt", .gt), ("gte", .gte)] where set.contains(name) {
            guard let number = Double(text) else { return .invalid("'\(text)' is not a number for |\(name)") }
            return .number(comparison, number)
        }
        if set.contains("cidr") {
            guard let network = IPNetwork(text) else { return .invalid("'\(text)' is not a network for |cidr") }
            return .cidr(network)
        }
        if set.contains("re") {
            var options: NSRegularExpression.Options = []
            if set.contains("i") { options.insert(.caseInsensitive) }
            if set.contains("m") { options.insert(.anchorsMatchLines) }
            if set.contains("s") { options.insert(.dotMatchesLineSeparators) }
            guard let regex = try? NSRegularExpression(pattern: text, options: options) else {
                return .invalid("'\(text)' is not a regular expression Spoor can read")
            }
            return .regex(RegexBox(regex))
        }
        let cased = set.contains("cased")
        let glob = set.contains("base64") ? Glob(literal: Data(text.utf8).base64EncodedString()) : Glob(sigma: text)
        if set.contains("contains") {
            glob.openStart = true
            glob.openEnd = true
        } else if set.contains("startswith") {
            glob.openEnd = true
        } else if set.contains("endswith") {
            glob.openStart = true
        }
        if !cased { glob.fold() }
        glob.prepare()
        return .pattern(glob, cased: cased)
    }

    /// Whether the value (nil: the field is absent) passes.
    /// `lowered`: the value's bytes lower-cased (``SigmaEvent/fold(_:)``); for keywords, the
    /// record's text, with no `value`.
    func matches(_ value: String?, lowered: [UInt8]?) -> Bool {
        switch self {
        case .null: return lowered?.isEmpty ?? true
        case .exists(let wanted): return (lowered.map { !$0.isEmpty } ?? false) == wanted
        case .invalid: return false
        case .pattern(let box, let cased):
            if cased {
                guard let value else { return false }
                return box.matches(Array(value.utf8)[...])
            }
            guard let lowered else { return false }
            return box.matches(lowered[...])
        case .regex(let box):
            guard let value else { return false }
            return box.regex.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
        case .cidr(let network):
            guard let value, let address = IPAddress(value) else { return false }
            return network.contains(address)
        case .number(let comparison, let bound):
            guard let value, let number = Double(value) else { return false }
            switch comparison {
            case .lt: return number < bound
            case .lte: return number <= bound
            case .gt: return number > bound
            case .gte: return number >= bound
            }
        }
    }
}

/// A compiled regular expression, shared read-only between threads.
final class RegexBox: @unchecked Sendable {
    let regex: NSRegularExpression
    init(_ regex: NSRegularExpression) { self.regex = regex }
}

/// A wildcard pattern: literal runs separated by `*`, each run possibly holding `?`. A class,
/// so that testing a value does not copy its arrays; set up by ``ValueMatcher/compile(_:modifiers:)``
/// and never changed once shared.
final class Glob: @unchecked Sendable {
    /// The runs between `*`s, as bytes; `nil` byte positions (0xFF marker) stand for `?`.
    var runs: [[UInt8?]]
    /// Whether the pattern may start or end anywhere (a leading or trailing `*`).
    var openStart: Bool
    var openEnd: Bool
    /// The common shapes — one literal run, whole, at the start, at the end or anywhere — tested
    /// with `memcmp`/`memmem` (``prepare()``); nil for the rest.
    var simple: (bytes: [UInt8], shape: Shape)?
    /// Each run's bytes when it holds no `?` (compared with `memcmp`), set by ``prepare()``.
    var literals: [[UInt8]?] = []
    /// Each run's rarest literal byte, where candidates are looked for (``anchor(_:)``).
    var anchors: [Int?] = []

    enum Shape: Sendable { case whole, prefix, suffix, anywhere }

    /// Sets ``simple`` once the pattern is final.
    func prepare() {
        literals = runs.map { run in run.allSatisfy { $0 != nil } ? run.map { $0! } : nil }
        anchors = runs.map(Self.anchor)
        guard runs.count == 1, runs[0].allSatisfy({ $0 != nil }) else {
            simple = nil
            return
        }
        let bytes = runs[0].map { $0! }
        switch (openStart, openEnd) {
        case (false, false): simple = (bytes, .whole)
        case (false, true): simple = (bytes, .prefix)
        case (true, false): simple = (bytes, .suffix)
        case (true, true): simple = (bytes, .anywhere)
        }
    }

    init(literal: String) {
        runs = [Array(literal.utf8).map { Optional($0) }]
        openStart = false
        openEnd = false
    }

    /// Sigma's escaping: `\*`, `\?` and `\\` are literal; a backslash before anything else is kept.
    init(sigma text: String) {
        var runs: [[UInt8?]] = [[]]
        var bytes = Array(text.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "\\"), let next = bytes.first,
                next == UInt8(ascii: "*") || next == UInt8(ascii: "?") || next == UInt8(ascii: "\\")
            {
                runs[runs.count - 1].append(next)
                bytes = bytes.dropFirst()
            } else if b == UInt8(ascii: "*") {
                runs.append([])
            } else if b == UInt8(ascii: "?") {
                runs[runs.count - 1].append(nil)
            } else {
                runs[runs.count - 1].append(b)
            }
        }
        openStart = runs.count > 1 && runs.first?.isEmpty == true
        openEnd = runs.count > 1 && runs.last?.isEmpty == true
        // A `*` anywhere opens the pattern there; the ends are kept as flags.
        self.runs = runs
        if openStart { self.runs.removeFirst() }
        if openEnd, !self.runs.isEmpty { self.runs.removeLast() }
    }

    /// Lower-cases the pattern's ASCII letters (values are compared lower-cased).
    func fold() {
        runs = runs.map { $0.map { $0.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 } } }
    }

    func matches(_ text: String) -> Bool { matches(Array(text.utf8)[...]) }

    func matches(_ text: ArraySlice<UInt8>) -> Bool {
        if let (bytes, shape) = simple {
            guard bytes.count <= text.count else { return false }
            if shape == .anywhere { return Self.find(runs[0], literal: bytes, anchor: anchors[0], in: text) != nil }
            if bytes.isEmpty { return shape != .whole || text.isEmpty }
            return text.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return false }
                switch shape {
                case .whole: return buffer.count == bytes.count && memcmp(base, bytes, bytes.count) == 0
                case .prefix: return memcmp(base, bytes, bytes.count) == 0
                case .suffix: return memcmp(base + (buffer.count - bytes.count), bytes, bytes.count) == 0
                case .anywhere: return true
                }
            }
        }
        if runs.isEmpty { return openStart || openEnd || text.isEmpty }
        if runs.count == 1 && !openStart && !openEnd { return text.count == runs[0].count && Self.equal(runs[0], text) }
        var rest = text
        for (index, run) in runs.enumerated() {
            let isFirst = index == 0
            let isLast = index == runs.count - 1
            if isFirst && !openStart {
                guard rest.count >= run.count, Self.equal(run, rest.prefix(run.count)) else { return false }
                rest = rest.dropFirst(run.count)
                if isLast && !openEnd { return rest.isEmpty }
                continue
            }
            if isLast && !openEnd {
                guard rest.count >= run.count else { return false }
                return Self.equal(run, rest.suffix(run.count))
            }
            let prepared = index < literals.count
            guard
                let at = Self.find(
                    run, literal: prepared ? literals[index] : nil, anchor: prepared ? anchors[index] : nil, in: rest)
            else { return false }
            rest = rest[(at + run.count)...]
        }
        return true
    }

    private static func equal(_ run: [UInt8?], _ text: ArraySlice<UInt8>) -> Bool {
        var i = text.startIndex
        for b in run {
            if let b, text[i] != b { return false }
            i += 1
        }
        return true
    }

    /// How common a byte is in log text (lower: rarer): letters by English frequency, then
    /// digits, with the separators of URLs and lines commonest.
    private static func rank(_ byte: UInt8) -> Int {
        switch byte {
        case UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "="),
            UInt8(ascii: "&"), UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: ";"):
            return 100
        case UInt8(ascii: "e"), UInt8(ascii: "t"), UInt8(ascii: "a"), UInt8(ascii: "o"), UInt8(ascii: "i"),
            UInt8(ascii: "n"), UInt8(ascii: "s"), UInt8(ascii: "r"), UInt8(ascii: "h"):
            return 80
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return 70
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return 50
        default: return 10
        }
    }

    /// The first index of `text` where `run` matches: candidates found by the run's first
    /// literal byte, then compared whole.
    /// The position of a run's rarest literal byte (``rank(_:)``), nil when it holds only `?`s.
    static func anchor(_ run: [UInt8?]) -> Int? {
        var best: Int?
        for i in run.indices where run[i] != nil {
            if best == nil || rank(run[i]!) < rank(run[best!]!) { best = i }
        }
        return best
    }

    private static func find(_ run: [UInt8?], literal: [UInt8]?, anchor: Int? = nil, in text: ArraySlice<UInt8>) -> Int? {
        guard run.count <= text.count else { return nil }
        if run.isEmpty { return text.startIndex }
        // Candidates are found by the run's rarest byte, so that a keyword starting with `/` or
        // `.` is not compared at every slash of a URL.
        guard let lead = anchor ?? Self.anchor(run), let byte = run[lead] else {
            return text.startIndex  // only `?`s: any position with room
        }
        return text.withUnsafeBufferPointer { buffer -> Int? in
            guard let base = buffer.baseAddress else { return nil }
            let count = buffer.count
            let last = count - run.count
            var from = lead
            while from <= last + lead {
                guard let found = memchr(base + from, Int32(byte), last + lead - from + 1) else { return nil }
                let hit = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                let start = hit - lead
                let same =
                    literal.map { memcmp(base + start, $0, $0.count) == 0 }
                    ?? equal(run, text[(text.startIndex + start)..<(text.startIndex + start + run.count)])
                if same { return text.startIndex + start }
                from = hit + 1
            }
            return nil
        }
    }
}
