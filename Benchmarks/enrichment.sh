#!/usr/bin/env bash
# Enrichment throughput: builds a synthetic ASN database of K networks with `spoor mmdb build`
# (default 100,000 random /24s; generated here, never committed), then looks up N distinct
# random IPv4 addresses (default 1,000,000) with `spoor lookup --summary-only`, and the same
# addresses with Python's `maxminddb` reader (C extension) in the same run; `mmdblookup`, one
# process per address, on the first 1,000. Prints lookups/s and the ratios.
#
# usage: Benchmarks/enrichment.sh [ADDRESSES] [NETWORKS]
set -euo pipefail
cd "$(dirname "$0")/.."
addresses=${1:-1000000}
networks=${2:-100000}
Scripts/setup >/dev/null
spoor=$(Scripts/build -c release | tail -n 1)
work=$(mktemp -d /tmp/spoor-enrich-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
# No indicator or registry store: only the MaxMind-format database is consulted.
export XDG_DATA_HOME="$work/xdg" SPOOR_INTEL_DB=""

python3 - "$work" "$addresses" "$networks" <<'PY'
import random, sys
work, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(2024)
nets = set()
while len(nets) < k:
    nets.add(random.randrange(1 << 24) << 8)
with open(f"{work}/asn.csv", "w") as f:
    f.write("network,autonomous_system_number,autonomous_system_organization\n")
    for i, base in enumerate(sorted(nets)):
        a = f"{base >> 24}.{base >> 16 & 255}.{base >> 8 & 255}.0/24"
        f.write(f"{a},{4200000000 + i % 5000},Synthetic AS {i % 5000}\n")
seen = set()
bases = sorted(nets)
with open(f"{work}/addresses.txt", "w") as f:
    while len(seen) < n:
        # Half inside the database's networks, half anywhere.
        v = (random.choice(bases) | random.randrange(256)) if len(seen) % 2 == 0 else random.randrange(1 << 32)
        if v in seen: continue
        seen.add(v)
        f.write(f"{v >> 24}.{v >> 16 & 255}.{v >> 8 & 255}.{v & 255}\n")
PY

python3 -m venv "$work/venv" >/dev/null
"$work/venv/bin/pip" install -q maxminddb >/dev/null 2>&1 || echo "(pip could not install maxminddb; its row is skipped)" >&2

/usr/bin/time -f "%e" -o "$work/build.time" "$spoor" mmdb build "$work/asn.csv" --out "$work/asn.mmdb" --type Synthetic-ASN \
  --build-date 2024-01-01 >"$work/build.out"
build_s=$(cat "$work/build.time")

# "N addresses, A answered, T s looking up (E s of it in the MaxMind-format databases)": the
# fastest of three runs, for the whole loop (parse, classify, enrich) and for the enrichment.
for _ in 1 2 3; do
  "$spoor" lookup --mmdb "$work/asn.mmdb" --summary-only <"$work/addresses.txt" >>"$work/lookup.out"
done
read -r answered best enrich_best < <(python3 - "$work/lookup.out" <<'PY'
import re, sys
rows = [re.match(r"(\d+) addresses, (\d+) answered, ([\d.]+) s looking up; the enrichment alone, again with fresh databases: ([\d.]+) s", l) for l in open(sys.argv[1])]
rows = [r for r in rows if r]
print(rows[0].group(2), min(float(r.group(3)) for r in rows), min(float(r.group(4)) for r in rows))
PY
)

py_s=""
if [ -x "$work/venv/bin/python" ] && "$work/venv/bin/python" -c 'import maxminddb' 2>/dev/null; then
  py_s=$("$work/venv/bin/python" - "$work" <<'PY'
import sys, time, maxminddb
work = sys.argv[1]
addresses = open(f"{work}/addresses.txt").read().split()
reader = maxminddb.open_database(f"{work}/asn.mmdb", maxminddb.MODE_AUTO)
best = None
for _ in range(3):
    start = time.perf_counter()
    found = 0
    for a in addresses:
        if reader.get(a) is not None: found += 1
    elapsed = time.perf_counter() - start
    best = elapsed if best is None else min(best, elapsed)
print(f"{best:.3f}")
PY
)
fi

head -n 1000 "$work/addresses.txt" > "$work/first1000.txt"
start=$(date +%s.%N)
while read -r a; do mmdblookup --file "$work/asn.mmdb" --ip "$a" autonomous_system_number >/dev/null 2>&1 || true; done <"$work/first1000.txt"
end=$(date +%s.%N)

python3 - "$addresses" "$networks" "$build_s" "$best" "$answered" "${py_s:-}" "$start" "$end" "$enrich_best" <<'PY'
import sys
n, k, build, spoor, answered, py, start, end, enrich = sys.argv[1:]
n, k, build, spoor, enrich = int(n), int(k), float(build), float(spoor), float(enrich)
mmdblookup = (float(end) - float(start)) / 1000
print(f"synthetic ASN database: {k:,} networks written by spoor mmdb build in {build:.2f} s (process included)")
print(f"{'reader':<48} {'seconds':>8} {'lookups/s':>14}")
print(f"{'spoor lookup: parse, classify, enrich':<48} {spoor:>8.3f} {n/spoor:>14,.0f}   ({int(answered):,} of {n:,} answered)")
print(f"{'spoor enrichment alone (libmaxminddb + decode)':<48} {enrich:>8.3f} {n/enrich:>14,.0f}")
if py:
    py = float(py)
    print(f"{'python maxminddb (C extension) get()':<48} {py:>8.3f} {n/py:>14,.0f}")
print(f"{'mmdblookup, one process per address (1,000)':<48} {mmdblookup*1000:>8.3f} {1/mmdblookup:>14,.0f}")
print()
print(f"spoor: {n/enrich/1e6:.2f} M ASN lookups/s in the enricher, {n/spoor/1e6:.2f} M/s for the whole lookup loop (target 1.00); "
      + (f"python maxminddb's loop takes {py/enrich:.2f}x the enricher's time and {py/spoor:.2f}x spoor's whole loop; " if py else "")
      + f"{mmdblookup/(spoor/n):,.0f}x mmdblookup per address")
PY
