import SpoorCore

/// Errors of the indicator store and its importers; each names the store or file.
public enum IntelError: Error, Hashable, CustomStringConvertible {
    case storeUnavailable(path: String, reason: String)
    case cannotRead(path: String, reason: String)
    case unknownFormat(path: String)
    case missingColumn(path: String, column: String)
    /// A file whose format was guessed, most of whose values could not be read: nothing kept.
    case mostlyUnreadable(path: String, format: String, unreadable: Int, readable: Int)
    /// The store holds schema changes this build does not know; it is left as it is.
    case writtenByNewerSpoor(path: String, changes: [String])
    /// The store could not be read or written: busy, full, read-only, damaged.
    case fault(StoreFault)

    public var description: String {
        switch self {
        case .fault(let fault): return "indicator store " + fault.description
        case .storeUnavailable(let path, let reason): return "indicator store \(path): \(reason)"
        case .cannotRead(let path, let reason): return "\(path): \(reason)"
        case .unknownFormat(let path): return "\(path): not a recognised indicator format (use --format)"
        case .missingColumn(let path, let column): return "\(path): no '\(column)' column in the header"
        case .mostlyUnreadable(let path, let format, let unreadable, let readable):
            return "\(path): not imported: read as \(format), \(unreadable) of \(unreadable + readable) values were unreadable, "
                + "so the file is probably not \(format == "list" ? "a plain list" : "an indicator CSV"); nothing was kept (name its format with --format)"
        case .writtenByNewerSpoor(let path, let changes):
            return "indicator store \(path): \(StoreVersion.newerSpoorWrote(changes)); "
                + "use the Spoor that wrote it or a later one, or another --intel-db"
        }
    }
}
