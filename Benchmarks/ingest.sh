#!/usr/bin/env bash
# Ingest throughput: generates a Google Takeout access log and an OpenSSH log of N events each
# (default 1,000,000), ingests each into a fresh case with a release build of spoor, and prints
# events per second and peak memory, with the same files read by peers in the same run:
# `grep -oE` extracting addresses and Python's csv module reading every row.
#
# usage: Benchmarks/ingest.sh [EVENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
spoor=$(Scripts/build -c release | tail -n 1)
work=$(mktemp -d /tmp/spoor-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 Benchmarks/generate_exports.py "$work/in" "$events" >/dev/null
csv="$work/in/Activities - A list of Google services accessed by.csv"
log="$work/in/auth.log"

runs=${RUNS:-3}
# shellcheck source=Benchmarks/common.sh
. Benchmarks/common.sh

printf "%-44s %10s %14s %12s\n" "run ($events events per file, best of $runs)" "seconds" "events/s" "max RSS MiB"
report() {
  local name=$1 s=$2 kib=$3
  python3 -c 'import sys; n,s,k=int(sys.argv[1]),float(sys.argv[2]),int(sys.argv[3]); print(f"{sys.argv[4]:<44} {s:>10.2f} {n/max(s,1e-9):>14,.0f} {k/1024:>12.1f}")' "$events" "$s" "$kib" "$name"
}

for input in "$csv" "$log"; do
  name=$(basename "$input")
  case="$work/case-$name"
  read -r s kib < <(best_of /dev/null "rm -rf '$case'; '$spoor' case init '$case' >/dev/null" -- "$spoor" ingest "$case" "$input")
  report "spoor ingest ${name:0:24}" "$s" "$kib"
  spoor_s=$s
  # grep is given a real output file: GNU grep stops at the first match when writing to /dev/null.
  read -r s kib < <(best_of "$work/grep.out" ":" -- grep -oE '([0-9]{1,3}\.){3}[0-9]{1,3}|2001:db8:[0-9a-f:]+' "$input")
  report "  peer: grep -oE addresses" "$s" "$kib"
  echo "  ratio spoor/grep: $(python3 -c "import sys; print(f'{float(sys.argv[1])/max(float(sys.argv[2]),1e-9):.1f}x')" "$spoor_s" "$s")"
  if [ "$input" = "$csv" ]; then
    read -r s kib < <(best_of /dev/null ":" -- python3 -c 'import csv,sys; n=0
for row in csv.reader(open(sys.argv[1], newline="")): n+=1
print(n)' "$input")
    report "  peer: python3 csv.reader" "$s" "$kib"
    echo "  ratio spoor/python-csv: $(python3 -c "import sys; print(f'{float(sys.argv[1])/max(float(sys.argv[2]),1e-9):.1f}x')" "$spoor_s" "$s")"
  fi
done
echo "target (issue 3): at least 100,000 events/s"
