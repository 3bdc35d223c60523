#!/usr/bin/env bash
# Capture throughput: builds a capture of N packets (default 1,000,000) by replicating the
# Ethernet captures of ../shared/testdata/pcap (Benchmarks/make_capture.py), then prints, in
# one run, packets/s and MB/s for
#   - spoor (release build): `spoor flows FILE --format csv` — every packet dissected, flows
#     tracked with Zeek's states, DNS/TLS/HTTP names extracted, every flow written; the same
#     with --summary-only (no output); and `spoor ingest` into a case (what an examiner runs);
#   - a bare libpcap read loop in C (pcap_next_ex, nothing else): the ceiling;
#   - tshark -T fields extracting addresses and ports (on a 100,000-packet build, as it is slow);
#   - tcpdump -w /dev/null (libpcap read and write, no decoding);
# with the ratios, and spoor's peak memory on N and 4×N packets (it should not grow).
#
# usage: Benchmarks/captures.sh [PACKETS]
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-1000000}
corpus=${SPOOR_CORPUS:-../shared/testdata/pcap}
[ -d "$corpus" ] || { echo "no capture corpus at $corpus (set SPOOR_CORPUS)" >&2; exit 2; }
Scripts/setup >/dev/null
need=()
command -v tshark >/dev/null || need+=(tshark)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v cc >/dev/null || need+=(gcc)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
spoor=$(Scripts/build -c release | tail -n 1)
work=$(mktemp -d /tmp/spoor-capture-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 Benchmarks/make_capture.py "$corpus" "$work/big.pcap" "$packets" >/dev/null
python3 Benchmarks/make_capture.py "$corpus" "$work/small.pcap" 100000 >/dev/null
python3 Benchmarks/make_capture.py "$corpus" "$work/huge.pcap" $((packets * 4)) >/dev/null

cat > "$work/loop.c" <<'C'
#include <pcap/pcap.h>
#include <stdio.h>
int main(int argc, char **argv) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) { fprintf(stderr, "%s\n", err); return 1; }
    struct pcap_pkthdr *h; const u_char *d; long n = 0, bytes = 0;
    while (pcap_next_ex(p, &h, &d) == 1) { n++; bytes += h->caplen; }
    printf("%ld %ld\n", n, bytes);
    return 0;
}
C
cc -O2 -o "$work/loop" "$work/loop.c" -lpcap

runs=${RUNS:-3}
# shellcheck source=Benchmarks/common.sh
. Benchmarks/common.sh

report() {  # report NAME PACKETS BYTES SECONDS KIB
  python3 -c '
import sys
name, n, b, s, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
s = max(s, 1e-9)
print(f"{name:<46} {n:>10,} {s:>8.2f} {n/s:>12,.0f} {b/s/1e6:>8.1f} {k/1024:>8.1f}")' "$@"
}

size() { stat -c %s "$1"; }
printf "%-46s %10s %8s %12s %8s %8s\n" "run (best of $runs)" "packets" "seconds" "packets/s" "MB/s" "RSS MiB"
read -r s_spoor k_spoor < <(best_of "$work/flows.csv" ":" -- "$spoor" flows "$work/big.pcap" --format csv)
report "spoor flows (flows + names, csv out)" "$packets" "$(size "$work/big.pcap")" "$s_spoor" "$k_spoor"
read -r s_sum k_sum < <(best_of "$work/summary.out" ":" -- "$spoor" flows "$work/big.pcap" --summary-only)
report "spoor flows --summary-only (no flow output)" "$packets" "$(size "$work/big.pcap")" "$s_sum" "$k_sum"
read -r s_ingest k_ingest < <(best_of /dev/null "rm -rf '$work/case'; '$spoor' case init '$work/case' >/dev/null" -- "$spoor" ingest "$work/case" "$work/big.pcap")
report "spoor ingest into a case (SQLite, hashed twice)" "$packets" "$(size "$work/big.pcap")" "$s_ingest" "$k_ingest"
read -r s_huge k_huge < <(times=1 best_of "$work/flows-huge.csv" ":" -- "$spoor" flows "$work/huge.pcap" --format csv)
report "spoor flows, 4x the packets" $((packets * 4)) "$(size "$work/huge.pcap")" "$s_huge" "$k_huge"
read -r s_loop k_loop < <(best_of "$work/loop.out" ":" -- "$work/loop" "$work/big.pcap")
report "C libpcap pcap_next_ex loop (no decoding)" "$packets" "$(size "$work/big.pcap")" "$s_loop" "$k_loop"
read -r s_tcpdump k_tcpdump < <(best_of "$work/tcpdump.out" ":" -- tcpdump -nr "$work/big.pcap" -w /dev/null)
report "tcpdump -r -w /dev/null" "$packets" "$(size "$work/big.pcap")" "$s_tcpdump" "$k_tcpdump"
read -r s_tshark k_tshark < <(times=1 best_of "$work/tshark.out" ":" -- tshark -n -r "$work/small.pcap" -T fields \
  -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport)
report "tshark -T fields (addresses, ports)" 100000 "$(size "$work/small.pcap")" "$s_tshark" "$k_tshark"
read -r s_spoor_small k_small < <(best_of "$work/flows-small.csv" ":" -- "$spoor" flows "$work/small.pcap" --format csv)
report "spoor flows on tshark's 100,000 packets" 100000 "$(size "$work/small.pcap")" "$s_spoor_small" "$k_small"

python3 - "$packets" "$s_spoor" "$s_loop" "$s_tshark" "$s_tcpdump" "$k_spoor" "$k_huge" "$s_spoor_small" "$s_sum" <<'PY'
import sys
n, spoor, loop, tshark, tcpdump, k1, k4, spoor_small, summary = (float(x) for x in sys.argv[1:])
spoor_pps = n / spoor
print()
print(f"spoor end to end: {spoor_pps/1e6:.2f} M packets/s with every flow written, "
      f"{n/summary/1e6:.2f} M packets/s analysis only (target 2.00)")
print(f"spoor vs tshark -T fields: {spoor_pps / (100000 / tshark):.0f}x (target 30x); "
      f"same 100,000 packets: {tshark / spoor_small:.0f}x")
print(f"spoor vs bare libpcap loop: {loop / spoor:.2f} of its speed; vs tcpdump -w: {tcpdump / spoor:.2f}")
print(f"peak memory {k1/1024:.1f} MiB on {n:,.0f} packets, {k4/1024:.1f} MiB on {4*n:,.0f} "
      f"(ratio {k4/k1:.2f}; 1.00 = does not grow with file size)")
PY
lines=$(($(wc -l < "$work/flows.csv") - 1))
echo "flows written for $packets packets: $lines"
