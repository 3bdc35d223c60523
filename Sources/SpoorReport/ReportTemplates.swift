import Crypto
import Foundation
import Mustache

/// The report's words and layout: a folder of Mustache templates, `report.mustache` and the
/// partials it includes (`{{> name}}` is `name.mustache` in the same folder).
///
/// English ships inside Spoor (`Templates/en`). To produce the annex in another language, copy
/// that folder, translate the words in each file and pass the copy to `spoor report --templates`.
/// Every value from the evidence reaches a template already as text and is HTML-escaped by the
/// `{{name}}` form; the one triple-brace value, the timeline, is SVG built by Spoor with its own
/// escaping.
public struct ReportTemplates: Sendable {
    public enum LoadError: Error, CustomStringConvertible {
        case missingFolder(String)
        case missingTemplate(folder: String, name: String)
        case missingPartial(folder: String, name: String, includedBy: String)
        case unreadable(path: String, reason: String)
        case syntax(path: String, reason: String)

        public var description: String {
            switch self {
            case .missingFolder(let folder): "\(folder): no such template folder"
            case .missingTemplate(let folder, let name): "\(folder): the template folder has no \(name).mustache"
            case .missingPartial(let folder, let name, let includedBy):
                "\(folder): \(includedBy).mustache includes \(name), but the folder has no \(name).mustache"
            case .unreadable(let path, let reason): "\(path): cannot read the template: \(reason)"
            case .syntax(let path, let reason): "\(path): the template does not parse: \(reason)"
            }
        }
    }

    /// The templates every set must provide; the report may include further partials.
    public static let requiredNames = ["report"]

    /// The folder the templates were read from.
    public let folder: String
    /// `en` for the bundled set; otherwise the folder's name.
    public let language: String
    /// SHA-256 over the set (each file's name and bytes, in name order): which words made a report.
    public let sha256: String
    let library: MustacheLibrary

    /// The English templates shipped with Spoor.
    public static func bundled() throws(LoadError) -> ReportTemplates {
        guard let root = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw .missingFolder("Templates (Spoor's resource bundle)")
        }
        return try ReportTemplates(folder: root.appendingPathComponent("en").path)
    }

    /// Reads every `*.mustache` file of `folder`; fails naming the file that is missing or does
    /// not parse.
    public init(folder: String) throws(LoadError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw .missingFolder(folder)
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".mustache") }.sorted()
        } catch {
            throw .unreadable(path: folder, reason: "\(error)")
        }
        var library = MustacheLibrary()
        var hasher = SHA256()
        var includes: [(partial: String, by: String)] = []
        for name in names {
            let path = (folder as NSString).appendingPathComponent(name)
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw .unreadable(path: path, reason: "not UTF-8 text, or not readable")
            }
            hasher.update(data: Data((name + "\u{0}").utf8))
            hasher.update(data: Data(text.utf8))
            hasher.update(data: Data([0]))
            // Mustache renders a missing partial as nothing: a section dropped from a translated
            // copy must be named, not silently left out of the annex.
            let own = String(name.dropLast(".mustache".count))
            for match in text.matches(of: /\{\{>\s*([^}\s]+)\s*\}\}/) { includes.append((String(match.1), own)) }
            do {
                library.register(try MustacheTemplate(string: text), named: String(name.dropLast(".mustache".count)))
            } catch {
                throw .syntax(path: path, reason: "\(error)")
            }
        }
        for required in Self.requiredNames where library.getTemplate(named: required) == nil {
            throw .missingTemplate(folder: folder, name: required)
        }
        for include in includes where library.getTemplate(named: include.partial) == nil {
            throw .missingPartial(folder: folder, name: include.partial, includedBy: include.by)
        }
        self.folder = folder
        self.library = library
        self.sha256 = hex(Data(hasher.finalize()))
        self.language = (folder as NSString).lastPathComponent
    }

    /// The page for one view (see ``ReportView``).
    func render(_ view: ReportPage) -> String {
        library.render(Self.context(view), withTemplate: "report") ?? ""
    }

    /// The view as Mustache reads it fastest: each view structure as a dictionary of its
    /// properties (read once here, by reflection, instead of at every key the template looks
    /// up), arrays element by element, a nil property left out (so it is absent, as the
    /// templates expect), and strings, numbers and booleans as they are.
    static func context(_ value: Any) -> Any {
        switch value {
        case is String, is Int, is Int64, is Bool, is Double: return value
        case let list as [Any]: return list.map(context)
        default:
            let mirror = Mirror(reflecting: value)
            if mirror.displayStyle == .optional {
                return mirror.children.first.map { context($0.value) } as Any
            }
            guard mirror.displayStyle == .struct else { return value }
            var fields: [String: Any] = [:]
            for child in mirror.children {
                guard let label = child.label else { continue }
                let inner = Mirror(reflecting: child.value)
                if inner.displayStyle == .optional {
                    guard let wrapped = inner.children.first else { continue }
                    fields[label] = context(wrapped.value)
                } else {
                    fields[label] = context(child.value)
                }
            }
            return fields
        }
    }
}
