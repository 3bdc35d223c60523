import Foundation
import SpoorCore

/// Reads CAIDA/RouteViews prefix-to-AS tables (`routeviews-rv2-YYYYMMDD-HHMM.pfx2as`):
/// `prefix<TAB>length<TAB>AS`, where the AS may be several origins joined by `_` (a prefix
/// announced by more than one AS) and an origin may be an AS set joined by `,`.
public enum PrefixToASReader {
    public static func object(_ line: String, number: Int) -> Result<RegistryObject?, RegistryReadError> {
        let trimmed = line.trimming(" \t")
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return .success(nil) }
        let fields = trimmed.split(whereSeparator: { $0 == "\t" || $0 == " " }).map(String.init)
        guard fields.count == 3, let address = IPAddress(fields[0]), let length = Int(fields[1]),
            let network = IPNetwork(containing: address, prefixLength: length), network.address == address
        else {
            return .failure(RegistryReadError(line: number, reason: "not 'prefix<TAB>length<TAB>AS' (the file may be cut short)"))
        }
        let origins = fields[2].split(separator: "_").map { $0.split(separator: ",").compactMap { UInt32($0) } }
        guard !origins.isEmpty, origins.allSatisfy({ !$0.isEmpty }), let first = origins.first?.first else {
            return .failure(RegistryReadError(line: number, reason: "'\(fields[2])' is not an AS number, AS1_AS2 or AS1,AS2"))
        }
        var object = RegistryObject(kind: .prefixOrigin, key: network.description, line: number)
        object.first = network.address
        object.last = network.lastAddress
        object.asn = first
        let all = origins.flatMap { $0 }
        if all.count > 1 {
            object.descr =
                origins.count > 1
                ? "announced by \(origins.count) origins: "
                    + origins.map { $0.map { "AS\($0)" }.joined(separator: ",") }.joined(separator: ", ")
                : "announced by the AS set " + all.map { "AS\($0)" }.joined(separator: ",")
        }
        return .success(object)
    }
}

/// Reads CAIDA AS-to-organisation files: the pipe-separated text (`as-org2info.txt`, sections
/// introduced by `# format:` lines naming the columns) and the JSON-lines form
/// (`as-org2info.jsonl`, `"type": "ASN"` or `"Organization"`). ASes become `aut-num` objects
/// (name, organisation, changed date), organisations become `organisation` objects (name,
/// country), so an AS's holder is answered as for RPSL data.
public struct AS2OrgReader {
    /// The columns of the current text section, from its `# format:` line.
    private var columns: [String]?

    public init() {}

    public mutating func object(_ line: String, number: Int) -> Result<RegistryObject?, RegistryReadError> {
        let trimmed = line.trimming(" \t\r")
        if trimmed.isEmpty { return .success(nil) }
        if trimmed.hasPrefix("#") {
            let body = trimmed.dropFirst().trimming(" ")
            if body.lowercased().hasPrefix("format:") {
                columns = body.dropFirst("format:".count).split(separator: "|").map { $0.trimming(" ").lowercased() }
            }
            return .success(nil)
        }
        if trimmed.hasPrefix("{") { return Self.json(trimmed, number: number) }
        let fields = trimmed.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimming(" ") }
        // Without a format line: five fields are an organisation, six an AS (CAIDA's layout).
        let names =
            columns
            ?? (fields.count == 5
                ? ["org_id", "changed", "org_name", "country", "source"]
                : ["aut", "changed", "aut_name", "org_id", "opaque_id", "source"])
        guard fields.count == names.count else {
            return .failure(
                RegistryReadError(
                    line: number,
                    reason: "\(fields.count) fields where the section's format has \(names.count) (the file may be cut short)"))
        }
        var values: [String: String] = [:]
        for (name, value) in zip(names, fields) where !value.isEmpty { values[name] = value }
        if let aut = values["aut"] {
            return Self.autNum(
                aut, name: values["aut_name"] ?? values["name"], org: values["org_id"], changed: values["changed"], line: number)
        }
        guard let org = values["org_id"] else {
            return .failure(RegistryReadError(line: number, reason: "neither an AS (aut) nor an organisation (org_id)"))
        }
        return .success(
            Self.organisation(
                org, name: values["org_name"] ?? values["name"], country: values["country"], changed: values["changed"],
                line: number))
    }

    static func json(_ text: String, number: Int) -> Result<RegistryObject?, RegistryReadError> {
        let value: JSONValue
        do {
            value = try JSONValue.parse(Array(text.utf8))
        } catch {
            return .failure(RegistryReadError(line: number, reason: "not a JSON object: \(error) (the file may be cut short)"))
        }
        switch value["type"]?.string?.lowercased() {
        case "asn":
            guard let asn = value["asn"]?.scalarText else {
                return .failure(RegistryReadError(line: number, reason: "an ASN entry without \"asn\""))
            }
            return autNum(
                asn, name: value["name"]?.string, org: value["organizationId"]?.string, changed: value["changed"]?.scalarText,
                line: number)
        case "organization":
            guard let org = value["organizationId"]?.string else {
                return .failure(RegistryReadError(line: number, reason: "an Organization entry without \"organizationId\""))
            }
            return .success(
                organisation(
                    org, name: value["name"]?.string, country: value["country"]?.string, changed: value["changed"]?.scalarText,
                    line: number))
        default:
            return .failure(RegistryReadError(line: number, reason: "\"type\" is neither \"ASN\" nor \"Organization\""))
        }
    }

    static func autNum(_ aut: String, name: String?, org: String?, changed: String?, line: Int) -> Result<
        RegistryObject?, RegistryReadError
    > {
        guard let asn = RPSLReader.parseASN(aut) else {
            return .failure(RegistryReadError(line: line, reason: "'\(aut)' is not an AS number"))
        }
        var object = RegistryObject(kind: .autNum, key: "AS\(asn)", line: line)
        object.asn = asn
        object.name = name
        object.org = org
        object.lastModified = changed
        return .success(object)
    }

    static func organisation(_ org: String, name: String?, country: String?, changed: String?, line: Int) -> RegistryObject {
        var object = RegistryObject(kind: .organisation, key: org, line: line)
        object.name = name
        object.country = country
        object.lastModified = changed
        return object
    }
}

/// Reads Tor's exit lists (the `exit-addresses` format of check.torproject.org and CollecTor):
/// blocks of `ExitNode FINGERPRINT`, `Published TIME`, `LastStatus TIME` and one or more
/// `ExitAddress ADDRESS TIME` lines; CollecTor's files begin with `@type tordnsel` and
/// `Downloaded TIME`. Each exit address becomes a `tor-exit` object: the node's fingerprint, the
/// relay's `LastStatus` (when the directory last listed it) and when it was seen exiting from
/// the address.
public struct TorExitListReader {
    /// The `Downloaded` time the file states, when it does.
    public private(set) var downloaded: String?
    /// The latest `LastStatus` read.
    public private(set) var latestStatus: String?

    private var node: (fingerprint: String, line: Int)?
    private var published: String?
    private var lastStatus: String?
    private var addresses = 0

    public init() {}

    /// Reads one line; an exit address read is returned as an object.
    public mutating func object(_ line: String, number: Int) -> Result<RegistryObject?, RegistryReadError> {
        let trimmed = line.trimming(" \t\r")
        if trimmed.isEmpty || trimmed.hasPrefix("@") || trimmed.hasPrefix("#") { return .success(nil) }
        let parts = trimmed.split(separator: " ", maxSplits: 1).map(String.init)
        let keyword = parts[0]
        let rest = parts.count > 1 ? parts[1].trimming(" ") : ""
        switch keyword {
        case "Downloaded":
            guard Self.time(rest) != nil else {
                return .failure(.init(line: number, reason: "Downloaded '\(rest)' is not a time"))
            }
            downloaded = rest
            return .success(nil)
        case "ExitNode":
            let previous = finishNode()
            let fingerprint = rest.split(separator: " ").first.map(String.init) ?? ""
            guard fingerprint.count == 40, fingerprint.allSatisfy(\.isHexDigit) else {
                node = nil
                return .failure(.init(line: number, reason: "ExitNode '\(rest)' is not a 40-digit fingerprint"))
            }
            node = (fingerprint, number)
            return previous.map { .failure($0) } ?? .success(nil)
        case "Published", "LastStatus":
            guard Self.time(rest) != nil else {
                return .failure(.init(line: number, reason: "\(keyword) '\(rest)' is not a time YYYY-MM-DD HH:MM:SS"))
            }
            if keyword == "Published" {
                published = rest
            } else {
                lastStatus = rest
                if latestStatus.map({ rest > $0 }) ?? true { latestStatus = rest }
            }
            return .success(nil)
        case "ExitAddress":
            let fields = rest.split(separator: " ", maxSplits: 1).map(String.init)
            guard let node else { return .failure(.init(line: number, reason: "ExitAddress outside an ExitNode block")) }
            guard let address = fields.first.flatMap({ IPAddress($0) }) else {
                return .failure(.init(line: number, reason: "ExitAddress '\(rest)' does not begin with an address"))
            }
            guard fields.count == 2, Self.time(fields[1]) != nil else {
                return .failure(.init(line: number, reason: "ExitAddress \(address) has no time (the list may be cut short)"))
            }
            addresses += 1
            var object = RegistryObject(kind: .torExit, key: node.fingerprint, line: number)
            object.first = address.normalized
            object.last = address.normalized
            object.created = published
            object.status = lastStatus
            object.lastModified = fields[1]
            return .success(object)
        default:
            return .failure(.init(line: number, reason: "'\(keyword)' is not a line of an exit list"))
        }
    }

    /// Called at the end of the file: an exit node block without an exit address is an error
    /// (the list was cut short there).
    public mutating func finish() -> RegistryReadError? { finishNode() }

    private mutating func finishNode() -> RegistryReadError? {
        defer {
            node = nil
            published = nil
            lastStatus = nil
            addresses = 0
        }
        guard let node, addresses == 0 else { return nil }
        return RegistryReadError(
            line: node.line, reason: "exit node \(node.fingerprint) has no ExitAddress line (the list may be cut short)")
    }

    /// `YYYY-MM-DD HH:MM:SS` (UTC, as Tor writes it).
    static func time(_ text: String) -> Timestamp? {
        guard text.count == 19, text.dropFirst(10).first == " " else { return nil }
        return Timestamp.parseISO8601(text.replacingOccurrences(of: " ", with: "T") + "Z")
    }
}

/// The date a reference file's name states: `YYYYMMDD` or `YYYY-MM-DD` between non-digits, as
/// RouteViews (`routeviews-rv2-20240101-1200.pfx2as`) and CAIDA (`20240101.as-org2info.txt`)
/// name their files. Nil when the name states none or more than one.
public enum DateInFileName {
    public static func date(in name: String) -> String? {
        let characters = Array(name)
        func isDigit(_ i: Int) -> Bool { i >= 0 && i < characters.count && characters[i].isASCII && characters[i].isNumber }
        var found = Set<String>()
        var i = 0
        while i < characters.count {
            guard isDigit(i) else {
                i += 1
                continue
            }
            var j = i
            while isDigit(j) { j += 1 }
            let run = String(characters[i..<j])
            if run.count == 8, let iso = iso(run) {
                found.insert(iso)
            } else if run.count == 4, j + 5 < characters.count, characters[j] == "-", isDigit(j + 1), isDigit(j + 2),
                characters[j + 3] == "-", isDigit(j + 4), isDigit(j + 5), !isDigit(j + 6),
                let iso = iso(String(characters[i..<(j + 6)]))
            {
                found.insert(iso)
                j += 6
            }
            i = j
        }
        return found.count == 1 ? found.first : nil
    }

    static func iso(_ text: String) -> String? {
        var digits = text
        if text.count == 10, text.filter({ $0 == "-" }).count == 2 {
            digits = text.replacingOccurrences(of: "-", with: "")
        }
        guard digits.count == 8, digits.allSatisfy(\.isNumber), let year = Int(digits.prefix(4)), (1990...2100).contains(year)
        else { return nil }
        let iso = "\(digits.prefix(4))-\(digits.dropFirst(4).prefix(2))-\(digits.suffix(2))"
        return CivilTime.days(isoDate: iso) == nil ? nil : iso
    }
}
