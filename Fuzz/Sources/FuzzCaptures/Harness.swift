import FuzzDriver
import SpoorCapture

/// The packet decoder on arbitrary frames: the first byte picks the link type, the rest is
/// one captured frame (Ethernet with VLANs, Linux cooked v1/v2, raw IP, BSD loopback, …),
/// decoded down to the names carried in DNS, TLS and HTTP.
let linkTypes: [Int32] = [1, 113, 276, 101, 12, 14, 0, 108, 228, 229]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCaptures(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    _ = PacketDecoder.decode(bytes, linkType: linkTypes[Int(data[0]) % linkTypes.count])
    return 0
}

@_cdecl("FuzzCaptures_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv, fuzzCaptures)
}
