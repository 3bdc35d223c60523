#!/usr/bin/env bash
# Indicator matching: P random IPv4 prefixes (default 100,000) imported into a fresh store, and
# N random IPv4 addresses (default 1,000,000), one per line. Prints, in one run, the matching
# structures alone (lookups/s, from `spoor intel match --timing`: the coverage index screening
# uses, and the full matcher that names every matching indicator), `spoor intel match --count`
# as a whole process, and `grepcidr -f` on the same files, with the ratios; both must count the
# same lines, and print the same lines without --count.
#
# usage: Benchmarks/matching.sh [ADDRESSES] [PREFIXES]
set -euo pipefail
cd "$(dirname "$0")/.."
addresses=${1:-1000000}
prefixes=${2:-100000}
Scripts/setup >/dev/null
command -v grepcidr >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq grepcidr >/dev/null
spoor=$(Scripts/build -c release | tail -n 1)
work=$(mktemp -d /tmp/spoor-match-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
runs=${RUNS:-3}
# shellcheck source=Benchmarks/common.sh
. Benchmarks/common.sh

python3 - "$work" "$addresses" "$prefixes" <<'PY'
import random, sys
work, n, p = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(7)
with open(f"{work}/prefixes.txt", "w") as f:
    for _ in range(p):
        length = random.choice([16, 20, 22, 24, 24, 24, 28, 32])
        v = random.randrange(1 << 32) & ~((1 << (32 - length)) - 1)
        f.write(f"{v >> 24}.{v >> 16 & 255}.{v >> 8 & 255}.{v & 255}/{length}\n")
with open(f"{work}/addresses.txt", "w") as f:
    for _ in range(n):
        v = random.randrange(1 << 32)
        f.write(f"{v >> 24}.{v >> 16 & 255}.{v >> 8 & 255}.{v & 255}\n")
PY
"$spoor" intel import "$work/prefixes.txt" --format list --source benchmark --intel-db "$work/intel.sqlite" >"$work/import.out"

read -r s_spoor k_spoor < <(best_of "$work/spoor.count" ":" -- "$spoor" intel match "$work/addresses.txt" --count --intel-db "$work/intel.sqlite")
read -r s_grep k_grep < <(best_of "$work/grep.out" ":" -- grepcidr -f "$work/prefixes.txt" "$work/addresses.txt")
"$spoor" intel match "$work/addresses.txt" --count --timing --intel-db "$work/intel.sqlite" 2>"$work/timing" >/dev/null || true
"$spoor" intel match "$work/addresses.txt" --intel-db "$work/intel.sqlite" | cut -f1 >"$work/spoor.lines" || true
same_lines=$(cmp -s "$work/spoor.lines" "$work/grep.out" && echo same || echo DIFFERENT)
spoor_count=$(cat "$work/spoor.count")
grep_count=$(wc -l < "$work/grep.out")

python3 - "$addresses" "$prefixes" "$s_spoor" "$s_grep" "$k_spoor" "$k_grep" "$spoor_count" "$grep_count" "$work/timing" "$work/import.out" "$same_lines" <<'PY'
import re, sys
n, p, spoor, grep, kspoor, kgrep, cs, cg, timing, imported, same = sys.argv[1:]
n, p, spoor, grep = int(n), int(p), float(spoor), float(grep)
t = open(timing).read()
m = re.search(r"snapshot \((\d+) ranges\): ([\d.]+) s.*coverage alone: (\d+) IPv4 lookups in ([\d.]+) s.*"
              r"compiling the full matcher \((\d+) indicators\): ([\d.]+) s.*full matcher alone.*: (\d+) lookups in ([\d.]+) s", t)
print(open(imported).read().strip())
print(f"{'run':<52} {'seconds':>8} {'lines/s':>14} {'RSS MiB':>8}")
print(f"{'spoor intel match --count (whole process)':<52} {spoor:>8.3f} {n/spoor:>14,.0f} {int(kspoor)/1024:>8.1f}")
print(f"{'grepcidr -f prefixes addresses':<52} {grep:>8.3f} {n/grep:>14,.0f} {int(kgrep)/1024:>8.1f}")
if m:
    print(f"{'  spoor: loading the coverage snapshot (' + m.group(1) + ' ranges)':<52} {float(m.group(2)):>8.3f}")
    cov = float(m.group(4))
    print(f"{'  spoor: coverage index alone':<52} {cov:>8.4f} {int(m.group(3))/cov:>14,.0f}")
    print(f"{'  spoor: compiling the full matcher':<52} {float(m.group(6)):>8.3f}")
    full = float(m.group(8))
    print(f"{'  spoor: full matcher alone (every match, provenance ids)':<52} {full:>8.4f} {int(m.group(7))/full:>14,.0f}")
print()
print(f"matching lines: spoor {cs.strip()}, grepcidr {cg.strip()}" + (" (same)" if cs.strip() == cg.strip() else " (DIFFERENT)") + f"; printed lines {same} as grepcidr's")
if m:
    print(f"coverage index alone: {int(m.group(3))/float(m.group(4))/1e6:.1f} M lookups/s; full matcher alone: {int(m.group(7))/float(m.group(8))/1e6:.1f} M lookups/s (target 10)")
print(f"whole process: {grep/spoor:.2f}x grepcidr's speed (target 5x)")
PY
