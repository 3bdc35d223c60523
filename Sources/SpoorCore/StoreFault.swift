/// A case or indicator store that could not be read or written, by cause, in words for the
/// user: which file, what happened, what to do. The store library's own text (with the SQL it
/// was running) is kept in ``detail`` for `SPOOR_VERBOSE=1`, not shown by default.
public struct StoreFault: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Cause: String, Sendable, CaseIterable {
        /// Another process holds the store's write lock (longer than the store waits).
        case busy
        /// The disk or the file system's quota is full.
        case full
        /// The file or its folder cannot be written.
        case readOnly = "read_only"
        /// The file is not a readable SQLite database, or is damaged.
        case corrupt
        /// The file cannot be opened (missing folder, no permission to read).
        case cannotOpen = "cannot_open"
        case other
    }

    public var store: String
    public var cause: Cause
    public var detail: String

    public init(store: String, cause: Cause, detail: String) {
        (self.store, self.cause, self.detail) = (store, cause, detail)
    }

    /// The cause SQLite's primary result code stands for.
    public init(store: String, sqliteResultCode code: Int32, detail: String) {
        let cause: Cause
        switch code & 0xFF {
        case 5, 6: cause = .busy  // SQLITE_BUSY, SQLITE_LOCKED
        case 13: cause = .full  // SQLITE_FULL
        case 8, 3, 23: cause = .readOnly  // SQLITE_READONLY, SQLITE_PERM, SQLITE_AUTH
        case 11, 26: cause = .corrupt  // SQLITE_CORRUPT, SQLITE_NOTADB
        case 14: cause = .cannotOpen  // SQLITE_CANTOPEN
        default: cause = .other
        }
        self.init(store: store, cause: cause, detail: detail)
    }

    public var description: String {
        switch cause {
        case .busy:
            return "\(store): another Spoor process is writing it and did not finish within "
                + "\(Self.busyWaitSeconds) seconds; nothing of this step was kept. Run the command again when the other one has ended"
        case .full:
            return "\(store): the disk is full; nothing of this step was kept and the store is as it was before it. "
                + "Free some space and run the command again"
        case .readOnly:
            return "\(store): cannot be written (the file or its folder is read-only); nothing was changed. "
                + "Work on a writable copy, or give write permission"
        case .corrupt:
            return "\(store): damaged or not a Spoor store (SQLite cannot read it); nothing was changed. "
                + "Use a copy made before the damage"
        case .cannotOpen:
            return "\(store): cannot be opened (check that the folder exists and can be read and written)"
        case .other:
            return "\(store): store error: \(detail)"
        }
    }

    /// How long a store waits for another process's write lock before it gives up.
    public static let busyWaitSeconds = 30
}

/// What both stores say when a newer Spoor wrote them.
public enum StoreVersion {
    /// "written by a newer Spoor …; nothing was changed", for the store's own sentence to end.
    public static func newerSpoorWrote(_ changes: [String]) -> String {
        "written by a newer Spoor than this one (\(SpoorVersion.current)): it holds "
            + "\(changes.map { "'\($0)'" }.joined(separator: ", ")), which this version does not know. Nothing was changed"
    }
}
