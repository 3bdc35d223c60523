import Foundation
import SpoorCore

/// Text sources for ``MMDBWriter``: MaxMind's JSON source-data layout (an array of
/// `{"network": record}` objects, or one object of them), or CSV with a `network` column whose
/// other columns become the record (dotted names nest: `country.iso_code`; whole numbers become
/// unsigned integers, `true`/`false` booleans, empty cells are left out).
public enum MMDBSource {
    public struct Entry {
        public var network: IPNetwork
        public var value: MMDBValue
        /// Where in the source: `row 3` or `#/2`.
        public var location: String
    }

    public struct ReadError: Error, CustomStringConvertible {
        public var location: String
        public var reason: String
        public var description: String { "\(location): \(reason)" }

        public init(location: String, reason: String) {
            self.location = location
            self.reason = reason
        }
    }

    public static func entries(json data: Data) throws -> [Entry] {
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw ReadError(location: "JSON", reason: "not valid JSON (\(error.localizedDescription))")
        }
        var pairs: [(String, Any, String)] = []
        if let array = root as? [[String: Any]] {
            for (i, object) in array.enumerated() {
                for (key, value) in object.sorted(by: { $0.key < $1.key }) { pairs.append((key, value, "#/\(i)")) }
            }
        } else if let object = root as? [String: Any] {
            for (key, value) in object.sorted(by: { $0.key < $1.key }) { pairs.append((key, value, "#/\(key)")) }
        } else {
            throw ReadError(location: "JSON", reason: "expected an array of {\"network\": record} objects")
        }
        return try pairs.map { key, value, location in
            guard let network = IPNetwork(key) else { throw ReadError(location: location, reason: "'\(key)' is not a network") }
            guard let record = MMDBValue(json: value) else {
                throw ReadError(location: location, reason: "a value JSON cannot hold in MMDB")
            }
            return Entry(network: network, value: record, location: location)
        }
    }

    public static func entries(csv source: any ByteSource) throws -> [Entry] {
        var reader = CSVReader(source)
        guard let header = try reader.next() else { throw ReadError(location: "row 0", reason: "no header") }
        let names = (0..<header.count).map { header.trimmedField($0) ?? "" }
        guard let networkColumn = names.firstIndex(where: { $0.lowercased() == "network" }) else {
            throw ReadError(location: "row 0", reason: "no 'network' column")
        }
        var entries: [Entry] = []
        var row = 0
        while let record = try reader.next() {
            row += 1
            let text = record.trimmedField(networkColumn) ?? ""
            if text.isEmpty { continue }
            guard let network = IPNetwork(text) else {
                throw ReadError(location: "row \(row)", reason: "'\(text)' is not a network")
            }
            var value: [String: MMDBValue] = [:]
            for (column, name) in names.enumerated() where column != networkColumn && !name.isEmpty {
                let cell = record.trimmedField(column) ?? ""
                if cell.isEmpty { continue }
                set(&value, path: name.split(separator: ".").map(String.init), to: scalar(cell))
            }
            entries.append(Entry(network: network, value: .map(value), location: "row \(row)"))
        }
        return entries
    }

    static func scalar(_ cell: String) -> MMDBValue {
        if cell == "true" { return .bool(true) }
        if cell == "false" { return .bool(false) }
        if let number = UInt64(cell), cell.first != "0" || cell == "0" { return .unsigned(number) }
        return .string(cell)
    }

    static func set(_ map: inout [String: MMDBValue], path: [String], to value: MMDBValue) {
        guard let first = path.first else { return }
        if path.count == 1 {
            map[first] = value
            return
        }
        var inner: [String: MMDBValue] = [:]
        if case .map(let existing)? = map[first] { inner = existing }
        set(&inner, path: Array(path.dropFirst()), to: value)
        map[first] = .map(inner)
    }
}
