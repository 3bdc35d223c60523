#!/usr/bin/env python3
"""Builds a large Ethernet pcap for the capture benchmark by replicating the Ethernet captures
of a corpus folder (../shared/testdata/pcap), each copy shifted by ten minutes so that earlier
copies' flows time out as they would in a long capture.

usage: make_capture.py CORPUS-DIR OUT.pcap PACKETS
"""
import os
import struct
import sys


def records(path):
    """(seconds, microseconds, captured bytes, original length) of a classic pcap's packets."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return []
    magic = data[:4]
    formats = {
        b"\xd4\xc3\xb2\xa1": ("<", 1000), b"\xa1\xb2\xc3\xd4": (">", 1000),
        b"\x4d\x3c\xb2\xa1": ("<", 1), b"\xa1\xb2\x3c\x4d": (">", 1),
    }
    if magic not in formats:
        return []
    order, divisor = formats[magic]
    if struct.unpack(order + "I", data[20:24])[0] != 1:  # Ethernet only
        return []
    out, offset = [], 24
    while offset + 16 <= len(data):
        sec, frac, caplen, length = struct.unpack(order + "IIII", data[offset:offset + 16])
        offset += 16
        if offset + caplen > len(data):
            break
        usec = frac if divisor == 1000 else frac // 1000
        out.append((sec, usec, data[offset:offset + caplen], length))
        offset += caplen
    return out


def main():
    corpus, target, wanted = sys.argv[1], sys.argv[2], int(sys.argv[3])
    # The files one after another, each starting ten minutes after the previous one ended.
    packets, clock = [], 0
    for name in sorted(os.listdir(corpus)):
        if name.endswith(".pcap"):
            file_packets = records(os.path.join(corpus, name))
            if not file_packets:
                continue
            start = file_packets[0][0]
            for sec, usec, body, length in file_packets:
                packets.append((clock + min(max(0, sec - start), 3600), usec, body, length))
            clock = packets[-1][0] + 600
    if not packets:
        sys.exit("no Ethernet pcap files in " + corpus)
    base = 0
    span = clock
    written = 0
    with open(target, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        copy = 0
        while written < wanted:
            # Each copy starts after the previous one ended, ten minutes later.
            shift = copy * (span + 600)
            for sec, usec, body, length in packets:
                out.write(struct.pack("<IIII", 1_500_000_000 + sec - base + shift, usec, len(body), length))
                out.write(body)
                written += 1
                if written == wanted:
                    break
            copy += 1
    print(written)


if __name__ == "__main__":
    main()
