internal import CPcap
#if canImport(Glibc)
    import Glibc
#endif

/// Every raw libpcap call Spoor makes, in one place.
enum PcapCalls {
    static func libraryVersion() -> String {
        guard let text = pcap_lib_version() else { return "libpcap (unknown version)" }
        return String(cString: text)
    }

    /// Opens a savefile read-only. Returns the handle or libpcap's error text.
    static func openOffline(_ path: String) -> Result<OpaquePointer, PcapError> {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let precision = UInt32(PCAP_TSTAMP_PRECISION_NANO)
        let handle: OpaquePointer?
        if path == "-" {
            handle = pcap_open_offline_with_tstamp_precision(path, precision, &errorBuffer)
        } else {
            // Opened here so that the stream gets a 1 MiB buffer before libpcap's first read:
            // far fewer read() calls than stdio's default (Zeek made the same change).
            guard let file = fopen(path, "rb") else {
                let message = String(cString: strerror(errno))
                return .failure(PcapError.cannotOpen(path: path, libpcapMessage: "\(path): \(message)"))
            }
            setvbuf(file, nil, _IOFBF, 1 << 20)
            handle = pcap_fopen_offline_with_tstamp_precision(file, precision, &errorBuffer)
            if handle == nil { fclose(file) }
        }
        guard let handle else {
            let message = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(PcapError.cannotOpen(path: path, libpcapMessage: message))
        }
        return .success(handle)
    }

    static func close(_ handle: OpaquePointer) { pcap_close(handle) }

    static func linkType(_ handle: OpaquePointer) -> Int32 { pcap_datalink(handle) }

    static func linkTypeName(_ type: Int32) -> String {
        guard let name = pcap_datalink_val_to_name(type) else { return "DLT \(type)" }
        return String(cString: name)
    }

    static func lastError(_ handle: OpaquePointer) -> String {
        guard let text = pcap_geterr(handle) else { return "unknown libpcap error" }
        return String(cString: text)
    }

    /// Reads the next packet. `.end` at the end of the file, `.error` with libpcap's text.
    static func next(_ handle: OpaquePointer) -> NextPacket {
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        let status = pcap_next_ex(handle, &header, &data)
        switch status {
        case 1:
            guard let header, let data else { return .error("libpcap returned no packet data") }
            let h = header.pointee
            let bytes = Array(UnsafeBufferPointer(start: data, count: Int(h.caplen)))
            return .packet(
                seconds: Int64(h.ts.tv_sec), nanoseconds: Int32(h.ts.tv_usec),
                capturedLength: Int(h.caplen), originalLength: Int(h.len), bytes: bytes)
        case PCAP_ERROR_BREAK:
            return .end
        default:
            return .error(lastError(handle))
        }
    }

    /// Reads packets until the end of the file, the body returning false, or an error, handing
    /// each packet's bytes in libpcap's own buffer (valid during the call only): no copy.
    /// - Returns: libpcap's error text, or nil at the end or when stopped.
    static func forEach(
        _ handle: OpaquePointer, classicFile: Bool,
        _ body: (_ seconds: Int64, _ nanoseconds: Int32, _ originalLength: Int, _ offset: Int64, UnsafeRawBufferPointer) -> Bool
    ) -> String? {
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        // A classic pcap file's records follow each other: 24 bytes of file header, then 16 bytes
        // of record header and the captured bytes each. pcapng blocks carry options of their
        // own, so their offsets are not computed (-1), nor those of a stream.
        var offset: Int64 = classicFile ? 24 : -1
        while true {
            let status = pcap_next_ex(handle, &header, &data)
            guard status == 1 else { return status == PCAP_ERROR_BREAK ? nil : lastError(handle) }
            guard let header, let data else { return "libpcap returned no packet data" }
            let h = header.pointee
            let bytes = UnsafeRawBufferPointer(start: data, count: Int(h.caplen))
            if !body(Int64(h.ts.tv_sec), Int32(truncatingIfNeeded: h.ts.tv_usec), Int(h.len), offset, bytes) { return nil }
            if offset >= 0 { offset += 16 + Int64(h.caplen) }
        }
    }

    enum NextPacket {
        case packet(seconds: Int64, nanoseconds: Int32, capturedLength: Int, originalLength: Int, bytes: [UInt8])
        case end
        case error(String)
    }
}
