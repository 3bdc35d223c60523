#!/usr/bin/env bash
# `spoor lookup --json` with everything loaded — a MaxMind-format ASN database of K networks, a
# registry import (iptoasn) of about 28,500 ranges and a few hundred indicators, all generated here
# and never committed — on N distinct IPv4 addresses, against Python's `maxminddb` reader (C
# extension) answering the same addresses from the same database in the same run. Spoor does
# more per address (registry answers, indicators, warninglists, JSON written out); the target is
# 3× Python's rate all the same.
#
# usage: Benchmarks/lookup.sh [ADDRESSES] [NETWORKS]      (defaults 100,000 and 100,000)
set -euo pipefail
cd "$(dirname "$0")/.."
addresses=${1:-100000}
networks=${2:-100000}
Scripts/setup >/dev/null
spoor=$(Scripts/build -c release | tail -n 1)
work=$(mktemp -d /tmp/spoor-lookup-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME="$work/xdg" SPOOR_INTEL_DB="$work/intel.sqlite"

python3 - "$work" "$addresses" "$networks" <<'PY'
import random, sys, ipaddress
work, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(2026)
nets = set()
while len(nets) < k:
    nets.add(random.randrange(1 << 24) << 8)
with open(f"{work}/asn.csv", "w") as f:
    f.write("network,autonomous_system_number,autonomous_system_organization\n")
    for i, base in enumerate(sorted(nets)):
        f.write(f"{ipaddress.ip_address(base)}/24,{4200000000 + i % 5000},Synthetic AS {i % 5000}\n")
# iptoasn: a range every other /15 of the unicast space.
with open(f"{work}/ip2asn.tsv", "w") as f:
    r = 0
    for a in range(1, 224):
        for b in range(0, 256, 2):
            start = (a << 24) | (b << 16)
            f.write(f"{ipaddress.ip_address(start)}\t{ipaddress.ip_address(start + (2 << 16) - 1)}\t{64496 + r % 16}\tZZ\tSYNTHETIC-{r % 1000}\n")
            r += 1
with open(f"{work}/indicators.csv", "w") as f:
    f.write("Indicator,Type,Organisation\n")
    for base in random.sample(sorted(nets), 300):
        f.write(f"{ipaddress.ip_address(base)}/26,cidr,Synthetic Lab\n")
seen = set()
bases = sorted(nets)
with open(f"{work}/addresses.txt", "w") as f:
    while len(seen) < n:
        v = (random.choice(bases) | random.randrange(256)) if len(seen) % 2 == 0 else random.randrange(1 << 24, 224 << 24)
        if v in seen: continue
        seen.add(v)
        f.write(f"{ipaddress.ip_address(v)}\n")
PY

python3 -m venv "$work/venv" >/dev/null
"$work/venv/bin/pip" install -q maxminddb >/dev/null 2>&1 || echo "(pip could not install maxminddb; its row is skipped)" >&2
"$spoor" mmdb build "$work/asn.csv" --out "$work/asn.mmdb" --type Synthetic-ASN --build-date 2024-01-01 >/dev/null
"$spoor" registry import "$work/ip2asn.tsv" --as-of 2024-01-01 >/dev/null
"$spoor" intel import "$work/indicators.csv" >/dev/null 2>&1 || true

best=""
for _ in 1 2 3; do
  /usr/bin/time -f "%e" -o "$work/time" "$spoor" lookup --mmdb "$work/asn.mmdb" --json <"$work/addresses.txt" >"$work/answers.jsonl"
  s=$(cat "$work/time")
  best=$(python3 -c 'import sys; a=sys.argv[1]; b=float(sys.argv[2]); print(b if a=="" else min(float(a), b))' "$best" "$s")
done
with_registry=$(grep -c '"origin_asn"' "$work/answers.jsonl" || true)
with_indicator=$(grep -c '"matched_by":"address"' "$work/answers.jsonl" || true)

py_s=""
if "$work/venv/bin/python" -c 'import maxminddb' 2>/dev/null; then
  py_s=$("$work/venv/bin/python" - "$work" <<'PY'
import sys, time, maxminddb
work = sys.argv[1]
addresses = open(f"{work}/addresses.txt").read().split()
reader = maxminddb.open_database(f"{work}/asn.mmdb", maxminddb.MODE_AUTO)
best = None
for _ in range(3):
    start = time.perf_counter()
    for a in addresses: reader.get(a)
    elapsed = time.perf_counter() - start
    best = elapsed if best is None else min(best, elapsed)
print(f"{best:.3f}")
PY
)
fi

python3 - "$addresses" "$best" "${py_s:-}" "$with_registry" "$with_indicator" <<'PY'
import sys
n, spoor, py, registry, indicators = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
print(f"{n:,} addresses; {registry} answered from registry data, {indicators} covered by an indicator (best of 3)")
print(f"{'reader':<58} {'seconds':>8} {'lookups/s':>12}")
print(f"{'spoor lookup --json (database, registry, indicators)':<58} {spoor:>8.2f} {n / spoor:>12,.0f}")
if py:
    p = float(py)
    print(f"{'python maxminddb reader.get (database only)':<58} {p:>8.2f} {n / p:>12,.0f}")
    print(f"spoor / python: {p / spoor:.2f}× (target 3×)")
PY
