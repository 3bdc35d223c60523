/// A Sigma `condition`: selections by name, `and`, `or`, `not`, parentheses, and `1 of` /
/// `all of` a name pattern (`selection_*`) or `them`. Aggregations (`| count() by …`) and
/// `near` are refused with the reason.
indirect enum SigmaCondition: Sendable {
    /// A selection by its index in the names the condition was parsed with.
    case selection(Int)
    case and([SigmaCondition])
    case or([SigmaCondition])
    case not(SigmaCondition)
    /// At least one of the selections (`1 of`), or all of them (`all of`).
    case oneOf([Int])
    case allOf([Int])

    static func parse(_ text: String, names: [String]) throws -> SigmaCondition {
        if text.contains("|") { throw SigmaConditionError(reason: "aggregations ('|') are not evaluated") }
        var parser = Parser(tokens: tokens(text), names: names)
        let condition = try parser.or()
        guard parser.at >= parser.tokens.count else {
            throw SigmaConditionError(reason: "unexpected '\(parser.tokens[parser.at])'")
        }
        return condition
    }

    static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        for c in text {
            if c == "(" || c == ")" {
                if !current.isEmpty { tokens.append(current) }
                tokens.append(String(c))
                current = ""
            } else if c.isWhitespace {
                if !current.isEmpty { tokens.append(current) }
                current = ""
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    struct Parser {
        let tokens: [String]
        let names: [String]
        var at = 0

        init(tokens: [String], names: [String]) {
            self.tokens = tokens
            self.names = names
        }

        var next: String? { at < tokens.count ? tokens[at] : nil }

        mutating func or() throws -> SigmaCondition {
            var parts = [try and()]
            while next?.lowercased() == "or" {
                at += 1
                parts.append(try and())
            }
            return parts.count == 1 ? parts[0] : .or(parts)
        }

        mutating func and() throws -> SigmaCondition {
            var parts = [try not()]
            while next?.lowercased() == "and" {
                at += 1
                parts.append(try not())
            }
            return parts.count == 1 ? parts[0] : .and(parts)
        }

        mutating func not() throws -> SigmaCondition {
            if next?.lowercased() == "not" {
                at += 1
                return .not(try not())
            }
            return try primary()
        }

        mutating func primary() throws -> SigmaCondition {
            guard let token = next else { throw SigmaConditionError(reason: "it ends where a selection was expected") }
            at += 1
            if token == "(" {
                let inner = try or()
                guard next == ")" else { throw SigmaConditionError(reason: "a '(' is not closed") }
                at += 1
                return inner
            }
            let lower = token.lowercased()
            if lower == "near" { throw SigmaConditionError(reason: "'near' is not evaluated") }
            if lower == "1" || lower == "all" || lower == "any" {
                guard next?.lowercased() == "of", at + 1 < tokens.count else {
                    throw SigmaConditionError(reason: "'\(token)' without 'of' and a selection")
                }
                let target = tokens[at + 1]
                at += 2
                let pattern = Glob(sigma: target)
                let matched = names.indices.filter {
                    target.lowercased() == "them" ? !names[$0].hasPrefix("_") : pattern.matches(names[$0])
                }
                guard !matched.isEmpty else { throw SigmaConditionError(reason: "no selection is named like '\(target)'") }
                return lower == "all" ? .allOf(matched) : .oneOf(matched)
            }
            guard let index = names.firstIndex(of: token) else {
                throw SigmaConditionError(reason: "no selection is named '\(token)'")
            }
            return .selection(index)
        }
    }
}

struct SigmaConditionError: Error {
    var reason: String
}
