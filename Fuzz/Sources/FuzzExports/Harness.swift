import FuzzDriver
import SpoorCore
import SpoorLogs

/// Every export and log parser on arbitrary bytes: the first byte picks the parser (so the
/// fuzzer learns each one's format), the rest is the file. A parser may warn about any record;
/// it must not crash, hang or run out of memory.
final class Sink: ObservationSink {
    var count = 0
    func accept(_ observation: Observation) throws { count += 1 }
    func warn(_ warning: ParseWarning) { count += 1 }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExports(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let parsers = ParserRegistry.all
    let parser = parsers[Int(data[0]) % parsers.count]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let evidence = EvidenceItem(path: "fuzz.input", size: Int64(bytes.count), sha256: "00")
    // Recognition runs on the same bytes, as ingest does before parsing.
    _ = ParserRegistry.recognize(FormatSample(fileName: "fuzz.input", head: Array(bytes.prefix(65_536))))
    let options = ParseOptions(year: 2024, mapping: try? FieldMapping(parsing: "time=time,ip=ip,action=action,account=user"))
    _ = try? parser.init(options: options).parse(MemoryByteSource(bytes), evidence: evidence, into: Sink())
    return 0
}

@_cdecl("FuzzExports_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzzExports)
}
