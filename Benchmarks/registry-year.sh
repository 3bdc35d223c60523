#!/usr/bin/env bash
# A year of dated registry snapshots: MONTHS monthly imports of a generated RIPE-style inetnum
# split dump of OBJECTS objects each (the first half of the year one dump, the second half the
# same netblocks with 10 % moved to other organisations), all generated here and never
# committed. Measures, in the same run: each import (objects per second, against `grep -c`
# reading the same file), the store's size, and the then-and-now answer (`spoor lookup --at` for
# a day in the first snapshot's month) per address over A addresses, with its memory.
#
# usage: Benchmarks/registry-year.sh [OBJECTS] [MONTHS] [ADDRESSES]   (defaults 4,000,000, 12, 2,000)
set -euo pipefail
cd "$(dirname "$0")/.."
objects=${1:-4000000}
months=${2:-12}
addresses=${3:-2000}
runs=1
Scripts/setup >/dev/null
spoor=$(Scripts/build -c release | tail -n 1)
work=$(mktemp -d /tmp/spoor-registry-year.XXXXXX)
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME="$work/xdg" SPOOR_INTEL_DB="$work/intel.sqlite"
source Benchmarks/common.sh

python3 Benchmarks/registry-dumps.py "$work" "$objects" "$addresses" 2027 first:0 second:1

size=$(du -m "$work/ripe.db.inetnum.first" | cut -f1)
read -r g _ < <(times=3 best_of "$work/grep.out" ":" -- grep -c '^inetnum:' "$work/ripe.db.inetnum.first")
echo "a year of registry snapshots: $months imports of $objects inetnum objects ($size MB each), $addresses addresses"
echo "grep -c '^inetnum:' one snapshot: $g s ($(python3 -c "print(f'{$objects/$g:,.0f}')") objects/s)"
printf '%-44s %10s %10s %12s %12s\n' "import" "seconds" "RSS MiB" "objects/s" "/ grep"
total=0
for m in $(seq 1 "$months"); do
  day=$(printf '2024-%02d-01' "$m")
  file="$work/ripe.db.inetnum.first"
  [ "$m" -gt $((months / 2)) ] && file="$work/ripe.db.inetnum.second"
  read -r s k < <(times=1 best_of "$work/import.out" ":" -- "$spoor" registry import "$file" --as-of "$day")
  total=$(python3 -c "print($total + $s)")
  printf '%-44s %10s %10s %12s %12s\n' "spoor registry import --as-of $day" "$s" "$((k / 1024))" \
    "$(python3 -c "print(f'{$objects/$s:,.0f}')")" "$(python3 -c "print(f'{$s/$g:.1f}')")×"
done
store=$(du -m "$SPOOR_INTEL_DB" | cut -f1)
echo "all imports: $total s; store: $store MB for $((months * objects)) objects ($(python3 -c "print(f'{$store/($months*$objects/1e6):.0f}')") MB per million)"

# Then (2024-01-15: the January snapshot) and now (the last month's), for every address.
"$spoor" lookup 1.0.0.1 --at 2024-01-15 --summary-only > "$work/one.out"
read -r s k < <(times=1 best_of "$work/many.out" ":" -- sh -c "\"$spoor\" lookup --at 2024-01-15 --summary-only < \"$work/addresses.txt\"")
inside=$(grep -o '[0-9.]* s looking up' "$work/many.out" | cut -d' ' -f1)
echo "spoor lookup --at 2024-01-15, $addresses addresses: $s s, RSS $((k / 1024)) MiB"
echo "  looking up: $inside s, $(python3 -c "print(f'{$inside/$addresses*1e3:.3f}')") ms per address (then and now over $months snapshots)"
"$spoor" lookup "$(sed -n 7p "$work/addresses.txt")" --at 2024-01-15 | grep -m1 'then/now' | cut -c1-240 || true
