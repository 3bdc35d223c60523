#!/usr/bin/env bash
# Dated registry snapshots at scale: two monthly snapshots of a generated RIPE-style inetnum split
# dump of N objects each (10 % of the netblocks change organisation between them) and a pfx2as
# table of N/4 prefixes, all generated here and never committed. Measures, in the same run:
#   - `spoor registry import` of each snapshot, in objects per second, against `grep -c` counting
#     the objects of the same file (the floor: reading the file once);
#   - the then-and-now answer (`spoor lookup --at`, which reads every snapshot for the day and the
#     latest) per address over A addresses, and the store's size per million objects.
#
# usage: Benchmarks/registry.sh [OBJECTS] [ADDRESSES]      (defaults 1,000,000 and 20,000)
set -euo pipefail
cd "$(dirname "$0")/.."
objects=${1:-1000000}
addresses=${2:-20000}
runs=1
Scripts/setup >/dev/null
spoor=$(Scripts/build -c release | tail -n 1)
work=$(mktemp -d /tmp/spoor-registry-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME="$work/xdg" SPOOR_INTEL_DB="$work/intel.sqlite"
source Benchmarks/common.sh

python3 - "$work" "$objects" "$addresses" <<'PY'
import random, sys, ipaddress
work, n, a = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(2026)
# Netblocks of 64 to 1,024 addresses laid end to end through 1.0.0.0 upwards, each with an org.
blocks, start = [], 1 << 24
for i in range(n):
    size = 1 << random.randrange(6, 11)
    blocks.append((start, start + size - 1, i))
    start += size
for month, moved in (("2024-01-01", set()), ("2024-02-01", set(random.sample(range(n), n // 10)))):
    with open(f"{work}/ripe.db.inetnum.{month}", "w") as f:
        f.write("# generated for the benchmark: not registry data\n\n")
        for first, last, i in blocks:
            org = f"ORG-M{i % 50000}-TEST" if i not in moved else f"ORG-N{i % 7000}-TEST"
            f.write(
                f"inetnum:        {ipaddress.ip_address(first)} - {ipaddress.ip_address(last)}\n"
                f"netname:        SYNTH-{i}\n"
                f"descr:          Synthetic customer {i}\n"
                f"country:        ZZ\n"
                f"org:            {org}\n"
                f"admin-c:        DUMY-RIPE\n"
                f"tech-c:         DUMY-RIPE\n"
                f"status:         ASSIGNED PA\n"
                f"mnt-by:         SYNTH-MNT-{i % 900}\n"
                f"created:        2020-01-01T00:00:00Z\n"
                f"last-modified:  {month}T00:00:00Z\n"
                f"source:         RIPE # Filtered\n\n")
with open(f"{work}/routeviews-rv2-20240201-1200.pfx2as", "w") as f:
    for first, last, i in blocks[::4]:
        f.write(f"{ipaddress.ip_address(first & ~255)}\t24\t{64496 + i % 16}\n")
with open(f"{work}/addresses.txt", "w") as f:
    for _ in range(a):
        first, last, _ = random.choice(blocks)
        f.write(f"{ipaddress.ip_address(random.randrange(first, last + 1))}\n")
PY

echo "registry snapshots: $objects inetnum objects each, $(wc -l < "$work/routeviews-rv2-20240201-1200.pfx2as") pfx2as prefixes, $addresses addresses"
printf '%-58s %10s %10s %12s\n' "run" "seconds" "RSS MiB" "objects/s"
for month in 2024-01-01 2024-02-01; do
  file="$work/ripe.db.inetnum.$month"
  read -r g _ < <(times=3 best_of "$work/grep.out" ":" -- grep -c '^inetnum:' "$file")
  read -r s k < <(times=1 best_of "$work/import.out" ":" -- "$spoor" registry import "$file" --as-of "$month")
  printf '%-58s %10s %10s %12s\n' "grep -c '^inetnum:' ($month, $(du -m "$file" | cut -f1) MB)" "$g" "" \
    "$(python3 -c "print(f'{$objects/$g:,.0f}')")"
  printf '%-58s %10s %10s %12s\n' "spoor registry import ($month)" "$s" "$((k / 1024))" \
    "$(python3 -c "print(f'{$objects/$s:,.0f}')")"
  echo "  import / grep: $(python3 -c "print(f'{$s/$g:.1f}')")×"
done
read -r s k < <(times=1 best_of "$work/import.out" ":" -- "$spoor" registry import "$work/routeviews-rv2-20240201-1200.pfx2as")
printf '%-58s %10s %10s\n' "spoor registry import (pfx2as)" "$s" "$((k / 1024))"
echo "store: $(du -m "$SPOOR_INTEL_DB" | cut -f1) MB for $((2 * objects)) inetnum objects and the prefixes"

# Then and now: every address asked for 2024-01-15 (the January snapshot answers "then", the
# February one "now"). The command's own clock, from its summary line, and one address alone
# for the start-up cost.
"$spoor" lookup 1.0.0.1 --at 2024-01-15 --summary-only > "$work/one.out"
read -r s k < <(times=1 best_of "$work/many.out" ":" -- sh -c "\"$spoor\" lookup --at 2024-01-15 --summary-only < \"$work/addresses.txt\"")
inside=$(grep -o '[0-9.]* s looking up' "$work/many.out" | cut -d' ' -f1)
printf '%-58s %10s %10s\n' "spoor lookup --at 2024-01-15, $addresses addresses" "$s" "$((k / 1024))"
echo "  looking up: $inside s, $(python3 -c "print(f'{$inside/$addresses*1e3:.3f}')") ms per address (then and now, $((2)) snapshots + pfx2as)"
"$spoor" lookup "$(sed -n 7p "$work/addresses.txt")" --at 2024-01-15 --intel-db "$SPOOR_INTEL_DB" | grep -m1 'then/now' | cut -c1-200
