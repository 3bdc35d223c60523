#!/usr/bin/env bash
# Memory as input grows: peak RSS of the release build on
#   - captures of about CAPTURE_GB gigabytes and a tenth of that (Benchmarks/make_capture.py,
#     replicating ../shared/testdata/pcap): `spoor ingest`, then `spoor report`;
#   - exports of EVENTS events and a tenth (Benchmarks/generate_exports.py, OpenSSH auth.log):
#     `spoor ingest`, `spoor analyze`, `spoor report` (events.csv streamed);
# with the ratio of large to small (flat memory: near 1 while the input grows 10×), and beside
# them `tcpdump -r … -w /dev/null` and `grep -c` on the same files (peers that stream by design).
#
# usage: Benchmarks/scale.sh [CAPTURE_GB] [EVENTS]      (defaults 3 and 4000000)
set -euo pipefail
cd "$(dirname "$0")/.."
gigabytes=${1:-3}
events=${2:-4000000}
corpus=${SPOOR_CORPUS:-../shared/testdata/pcap}
[ -d "$corpus" ] || { echo "no capture corpus at $corpus (set SPOOR_CORPUS)" >&2; exit 2; }
Scripts/setup >/dev/null
command -v tcpdump >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump >/dev/null
spoor=$(Scripts/build -c release | tail -n 1)
work=$(mktemp -d /tmp/spoor-scale-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

measure() {  # label command... → prints "label seconds peak-MiB"
  local label=$1; shift
  # stdout to a file, not /dev/null: GNU grep stops at the first match when its output is /dev/null
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || {
    # ingest exits 3 when some records are unreadable: still a complete run
    [ "$(tail -n 1 "$work/err" | grep -c 'Command exited with non-zero status 3')" -eq 1 ] || { cat "$work/err" >&2; return 1; }
  }
  read -r s k < <(tail -n 1 "$work/time")
  printf '%-44s %9.2f s %9.1f MiB\n' "$label" "$s" "$(echo "$k / 1024" | bc -l)"
  echo "$k" > "$work/last"
}
peak() { cat "$work/last"; }
ratio() { python3 -c 'import sys; print("%.2f" % (int(sys.argv[1]) / int(sys.argv[2])))' "$1" "$2"; }

# Mean captured packet ≈ 300 bytes with its header: packets for the size asked.
big_packets=$(python3 -c "print(int($gigabytes * 1e9 / 303))")
small_packets=$((big_packets / 10))
echo "== captures"
python3 Benchmarks/make_capture.py "$corpus" "$work/small.pcap" "$small_packets" >/dev/null
python3 Benchmarks/make_capture.py "$corpus" "$work/big.pcap" "$big_packets" >/dev/null
ls -l "$work/small.pcap" "$work/big.pcap" | awk '{printf "%s: %.2f GB\n", $NF, $5/1e9}'
for size in small big; do
  "$spoor" case init "$work/case-$size" --title "scale $size" >/dev/null
  measure "spoor ingest ($size capture)" "$spoor" ingest "$work/case-$size" "$work/$size.pcap"; eval "ingest_$size=\$(peak)"
  measure "spoor analyze ($size capture)" "$spoor" analyze "$work/case-$size"; eval "canalyze_$size=\$(peak)"
  measure "spoor report ($size capture)" "$spoor" report "$work/case-$size" --out "$work/annex-$size" --pdf none; eval "report_$size=\$(peak)"
  measure "tcpdump -r -w /dev/null ($size capture)" tcpdump -r "$work/$size.pcap" -w /dev/null; eval "tcpdump_$size=\$(peak)"
done
echo "capture 10x: spoor ingest peak ratio $(ratio "$ingest_big" "$ingest_small"), analyze $(ratio "$canalyze_big" "$canalyze_small"), report $(ratio "$report_big" "$report_small"), tcpdump $(ratio "$tcpdump_big" "$tcpdump_small")"
rm -f "$work"/*.pcap; rm -rf "$work"/case-* "$work"/annex-*

echo "== exports"
for size in small big; do
  n=$events; [ "$size" = small ] && n=$((events / 10))
  python3 Benchmarks/generate_exports.py "$work/export-$size" "$n" >/dev/null
  rm -f "$work/export-$size/Activities"*.csv
  ls -l "$work/export-$size/auth.log" | awk -v n="$n" '{printf "auth.log, %d events: %.0f MB\n", n, $5/1e6}'
  "$spoor" case init "$work/case-$size" --title "scale $size" >/dev/null
  measure "spoor ingest ($size export)" "$spoor" ingest "$work/case-$size" "$work/export-$size/auth.log"; eval "eingest_$size=\$(peak)"
  measure "spoor analyze ($size export)" "$spoor" analyze "$work/case-$size"; eval "analyze_$size=\$(peak)"
  measure "spoor report ($size export)" "$spoor" report "$work/case-$size" --out "$work/annex-$size" --pdf none; eval "ereport_$size=\$(peak)"
  measure "grep -c sshd ($size export)" grep -c sshd "$work/export-$size/auth.log"; eval "grep_$size=\$(peak)"
done
echo "export 10x: spoor ingest peak ratio $(ratio "$eingest_big" "$eingest_small"), analyze $(ratio "$analyze_big" "$analyze_small"), report $(ratio "$ereport_big" "$ereport_small"), grep $(ratio "$grep_big" "$grep_small")"
