#!/usr/bin/env bash
# The capture pipeline step by step, against `spoor flows --summary-only` on the same file
# (parsing, flows and names with no store) in the same run: `spoor ingest`, `spoor analyze` and
# `spoor report` (no PDF) each timed on their own, each step's speed as a ratio of the parser's
# (the target is 0.5 or more for each), analyze's observations per second, the case store's size
# as a share of the capture's (the target is 15 % or less), and the report's CSV/JSON rate.
#
# usage: Benchmarks/pipeline.sh [PACKETS]      (default 1,000,000; the corpus replicated by make_capture.py)
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-1000000}
corpus=${SPOOR_CORPUS:-../shared/testdata/pcap}
[ -d "$corpus" ] || { echo "no capture corpus at $corpus (set SPOOR_CORPUS)" >&2; exit 2; }
Scripts/setup >/dev/null
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
spoor=$(Scripts/build -c release | tail -n 1)
work=$(mktemp -d /tmp/spoor-pipeline-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
runs=${RUNS:-3}
# shellcheck source=Benchmarks/common.sh
. Benchmarks/common.sh

python3 Benchmarks/make_capture.py "$corpus" "$work/big.pcap" "$packets" >/dev/null
capture=$(stat -c %s "$work/big.pcap")
read -r s_flows k_flows < <(best_of "$work/flows.out" ":" -- "$spoor" flows "$work/big.pcap" --summary-only)
read -r s_ingest k_ingest < <(best_of "$work/ingest.out" "rm -rf '$work/case'; '$spoor' case init '$work/case' >/dev/null" \
  -- "$spoor" ingest "$work/case" "$work/big.pcap")
store=$(stat -c %s "$work/case/case.sqlite")
# ingest says "N observations from M records" on standard error
observations=$(cat "$work/ingest.out" "$work/err" | grep -oE '[0-9]+ observations from' | head -n 1 | grep -oE '^[0-9]+')
read -r s_analyze k_analyze < <(best_of "$work/analyze.out" ":" -- "$spoor" analyze "$work/case" --intel-db "$work/none.sqlite")
read -r s_report k_report < <(best_of "$work/report.out" "rm -rf '$work/annex'" -- "$spoor" report "$work/case" --out "$work/annex" --pdf none)
written=$(du -cb "$work"/annex/*.csv "$work"/annex/*.json | tail -n 1 | cut -f 1)

python3 - "$packets" "$capture" "$s_flows" "$k_flows" "$s_ingest" "$k_ingest" "$s_analyze" "$k_analyze" "$s_report" "$k_report" \
  "$store" "$observations" "$written" "$runs" <<'PY'
import sys
(packets, capture, s_flows, k_flows, s_ingest, k_ingest, s_analyze, k_analyze, s_report, k_report, store, observations,
 written, runs) = sys.argv[1:]
packets, capture, store, observations, written = int(packets), int(capture), int(store), int(observations), int(written)
s_flows, s_ingest, s_analyze, s_report = (max(float(x), 1e-9) for x in (s_flows, s_ingest, s_analyze, s_report))
print(f"capture: {packets:,} packets, {capture / 1e6:.0f} MB; best of {runs} runs each")
print(f"{'step':<34} {'seconds':>8} {'packets/s':>12} {'× flows':>8} {'RSS MiB':>8}")
for name, s, k in [("spoor flows --summary-only", s_flows, k_flows), ("spoor ingest", s_ingest, k_ingest),
                   ("spoor analyze", s_analyze, k_analyze), ("spoor report --pdf none", s_report, k_report)]:
    print(f"{name:<34} {s:>8.2f} {packets / s:>12,.0f} {s_flows / s:>8.3f} {int(k) / 1024:>8.1f}")
whole = s_ingest + s_analyze + s_report
print(f"{'ingest + analyze + report':<34} {whole:>8.2f} {packets / whole:>12,.0f} {s_flows / whole:>8.3f}")
print(f"analyze: {observations:,} observations, {observations / s_analyze:,.0f} observations/s (target 1,000,000)")
print(f"report: {written / 1e6:.1f} MB of CSV and JSON, {written / 1e6 / s_report:.1f} MB/s (target 100)")
print(f"case store: {store / 1e6:.1f} MB, {100 * store / capture:.1f} % of the capture (target 15 %)")
PY
