import FuzzDriver
import Foundation
import SpoorCore
import SpoorIntel

/// The indicator importers (STIX 2.1, MISP event and CSV, Zeek intel, warninglists, CSV, plain
/// lists) on arbitrary bytes, into a throw-away store: the first byte picks the format.
let formats = IndicatorFormat.allCases
nonisolated(unsafe) let store: IndicatorStore = {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-fuzz-\(getpid()).sqlite").path
    return try! IndicatorStore(path: path)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIndicators(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let format = formats[Int(data[0]) % formats.count]
    _ = try? store.importIndicators(MemoryByteSource(bytes), format: format, fileName: "fuzz.input", sha256: "00", defaultSource: "fuzz")
    return 0
}

@_cdecl("FuzzIndicators_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzzIndicators)
}
