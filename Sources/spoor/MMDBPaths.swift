import Foundation

/// `--mmdb` takes files and folders: a folder stands for the `.mmdb` files directly in it, in
/// name order (a folder of monthly builds of one database; the analysis answers each address
/// from the build nearest before its first record and says what the latest says).
enum MMDBPaths {
    static func expand(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
                files.append(path)
                continue
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".mmdb") }.sorted()
            if names.isEmpty { throw MMDBFolderEmpty(path: path) }
            files += names.map { URL(fileURLWithPath: path).appendingPathComponent($0).path }
        }
        return files
    }
}

struct MMDBFolderEmpty: Error, CustomStringConvertible {
    var path: String
    var description: String { "\(path): the folder holds no .mmdb file" }
}
