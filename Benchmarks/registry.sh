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

python3 Benchmarks/registry-dumps.py "$work" "$objects" "$addresses" 2026 2024-01-01:0 2024-02-01:1 \
  --pfx2as routeviews-rv2-20240201-1200.pfx2as

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
