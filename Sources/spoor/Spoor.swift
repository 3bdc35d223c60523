import ArgumentParser
import Foundation
import SpoorCase
import SpoorCore
import SpoorIntel
import SpoorStore

@main
struct Spoor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spoor",
        abstract:
            "Find out which addresses touched an account or a network, who holds them, and whether they were seen in earlier attacks.",
        discussion: """
            Spoor reads the evidence a victim can hand over ('spoor formats' lists what it reads) \
            and answers, with evidence a court can check, which addresses were involved, when, and \
            what is known about them. It never changes the evidence and never uses the network.

            A typical investigation:
              spoor case init ./case --title "Takeover of A." --examiner "B. Analyst"
              spoor ingest ./case ./evidence/auth.log ./evidence/access.log
              spoor intel import ./indicators.csv --source "Example Lab 2024"
              spoor analyze ./case --mmdb ./GeoLite2-ASN.mmdb
              spoor report ./case --out ./case/report

            Exit status:
              0   everything was read
              1   the command failed
              2   some inputs could not be read or recognised (the others were)
              3   every input was read, but some records in them were unreadable
                  (each is listed with its file and line)
              64  the command line was wrong
              65  a store is damaged, or was written by a newer Spoor (left as it was)
              66  no case in the folder, or a store that cannot be opened
              73  the case to create already exists
              74  the disk is full (nothing of the failed step was kept)
              75  another Spoor process is writing the store; try again when it ends
              77  a store or its folder is read-only
            """,
        version: SpoorVersion.current,
        subcommands: [
            CaseCommand.self, Ingest.self, Events.self, Analyze.self, Report.self, Verify.self, Keygen.self, Lookup.self,
            Intel.self, Casebook.self,
            Flows.self, Registry.self, PDNS.self, MMDB.self, Formats.self,
        ]
    )
}

/// Exit statuses, documented in `spoor --help` and the README; errors are mapped to them in
/// ``status(for:)`` only (the numbers above 64 are BSD sysexits').
enum ExitStatus {
    static let failure = ExitCode(1)
    static let someInputsFailed = ExitCode(2)
    static let someRecordsUnreadable = ExitCode(3)
    /// A store damaged, or written by a newer Spoor (left as it was).
    static let dataError = ExitCode(65)
    /// No case in the folder, or a store that cannot be opened.
    static let noInput = ExitCode(66)
    /// The case to create already exists.
    static let cannotCreate = ExitCode(73)
    /// The disk is full.
    static let diskFull = ExitCode(74)
    /// Another Spoor process is writing the store: try again later.
    static let busy = ExitCode(75)
    /// The store or its folder is read-only.
    static let readOnly = ExitCode(77)

    static func status(for error: any Error) -> ExitCode {
        let fault: StoreFault?
        switch error {
        case let error as CaseError:
            switch error {
            case .notACase: return noInput
            case .alreadyExists: return cannotCreate
            case .writtenByNewerSpoor: return dataError
            case .fault(let found): fault = found
            case .storeUnavailable, .referenceData: fault = nil
            }
        case let error as IntelError:
            switch error {
            case .writtenByNewerSpoor: return dataError
            case .fault(let found): fault = found
            default: fault = nil
            }
        case let error as StoreFault: fault = error
        default: fault = nil
        }
        switch fault?.cause {
        case .busy: return busy
        case .full: return diskFull
        case .readOnly: return readOnly
        case .corrupt: return dataError
        case .cannotOpen: return noInput
        case .other, nil: return failure
        }
    }
}

/// Where the indicator store lives: `--intel-db`, else `SPOOR_INTEL_DB`, else the user's data folder.
struct IntelStoreOption: ParsableArguments {
    @Option(
        name: .customLong("intel-db"),
        help: ArgumentHelp(
            "The indicator store (SQLite file).",
            discussion: "Default: $SPOOR_INTEL_DB, else $XDG_DATA_HOME/spoor/intel.sqlite (~/.local/share/spoor/intel.sqlite).",
            valueName: "path"))
    var path: String?

    /// The path in force and whether the user named it.
    var resolved: (path: String, explicit: Bool) {
        if let path { return (path, true) }
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["SPOOR_INTEL_DB"], !path.isEmpty { return (path, true) }
        let dataHome =
            environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".local/share")
        return ((dataHome as NSString).appendingPathComponent("spoor/intel.sqlite"), false)
    }
}

/// Writing to standard error, for progress and problems; standard output carries results only.
enum Console {
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// Reports a library error on standard error and gives the exit status for it: the one place
/// errors become messages and statuses. With `SPOOR_VERBOSE=1` a store fault also shows the
/// store library's own words (with the SQL it was running).
func fail(_ error: any Error) -> ExitCode {
    Console.error("spoor: error: \(SafeText.terminal(String(describing: error)))")
    if ProcessInfo.processInfo.environment["SPOOR_VERBOSE"] == "1", let fault = storeFault(in: error) {
        Console.error("spoor: detail: \(SafeText.terminal(fault.detail))")
    }
    return ExitStatus.status(for: error)
}

func storeFault(in error: any Error) -> StoreFault? {
    switch error {
    case CaseError.fault(let fault), IntelError.fault(let fault): return fault
    case let fault as StoreFault: return fault
    default: return nil
    }
}

/// JSON as Spoor prints it: sorted keys, no escaped slashes, snake_case keys where asked.
enum JSONOutput {
    static func encoder(pretty: Bool = false, snakeCase: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        if snakeCase { encoder.keyEncodingStrategy = .convertToSnakeCase }
        return encoder
    }

    static func string(_ value: some Encodable, pretty: Bool = false) throws -> String {
        String(decoding: try encoder(pretty: pretty).encode(value), as: UTF8.self)
    }
}
