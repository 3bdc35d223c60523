#!/usr/bin/env bash
# The casebook at scale: a reference store whose casebook holds CASES cases of ADDRESSES recorded
# addresses in all (generated here, documentation ranges and synthetic AS numbers; the rows are
# written straight into the store's tables by Python, as `spoor casebook add` would write them),
# mostly spread over 2001:db8::/32 (one in a thousand in the three IPv4 documentation /24s), and
# the time `spoor analyze` takes on one generated case (EVENTS OpenSSH and EVENTS Google
# events, its addresses on ASes and holders the casebook holds, with its clients) against an
# empty casebook and against that one, in the same run; plus `casebook search` and `casebook
# overlap` on the large one. The cost of analyze should follow the case's addresses, not the
# casebook's size.
#
# usage: Benchmarks/casebook.sh [CASES] [ADDRESSES] [EVENTS]    (defaults 10,000, 1,000,000, 100,000)
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-10000}
addresses=${2:-1000000}
events=${3:-100000}
Scripts/setup >/dev/null
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
spoor=$(Scripts/build -c release | tail -n 1)
work=$(mktemp -d /tmp/spoor-casebook-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 Benchmarks/generate_exports.py "$work/exports" "$events" >/dev/null
"$spoor" case init "$work/case" >/dev/null
"$spoor" ingest "$work/case" "$work/exports/auth.log" "$work/exports/Activities - A list of Google services accessed by.csv" \
  --year 2024 >/dev/null 2>&1 || true
# An ASN database that puts each documentation /24, and 2001:db8::/32, on an AS the casebook
# also holds, with the casebook's holder for it: every address of the case is asked by AS and
# holder, and by the clients the casebook saw on its AS.
cat >"$work/asn.csv" <<'CSV'
network,autonomous_system_number,autonomous_system_organization
192.0.2.0/24,4200000001,Synthetic Holder 1
198.51.100.0/24,4200000002,Synthetic Holder 2
203.0.113.0/24,4200000003,Synthetic Holder 3
2001:db8::/32,4200000004,Synthetic Holder 4
CSV
"$spoor" mmdb build "$work/asn.csv" --out "$work/asn.mmdb" --type Synthetic-ASN --build-date 2024-01-01 >/dev/null
"$spoor" intel stats --intel-db "$work/empty.sqlite" >/dev/null
# Two casebooks of the same size. Dense: spread over the documentation space the case uses, on
# its ASes, so nearly every address of the case meets twenty cases or more (cost follows the
# findings). Sparse: spread over 3fff::/20 (the other IPv6 documentation prefix) on other ASes,
# with ten cases planted that saw an address of the case on its AS (cost of asking).
generate() {
  "$spoor" intel stats --intel-db "$1" >/dev/null
  python3 - "$1" "$cases" "$addresses" "$2" <<'PY'
import random, sqlite3, sys
path, cases, n, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = random.Random(2026)
db = sqlite3.connect(path)
db.execute("BEGIN")
per = max(1, n // cases)
rows = []
clients = []
# The user agents the generated case's Google export uses: in the dense casebook each is seen in
# about one case in a hundred (common, so never an overlap); the rest are one of 200,000 tools.
agents = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "App : GMAIL_APP. App Version : 6.0.260302. Os : IOS_OS. Os Version : 17.2. Device Type : MOBILE.",
]
for c in range(cases):
    db.execute("INSERT INTO casebook_case (id, pseudonym, reference, recorded_at, source, content_hash) VALUES (?, ?, ?, ?, 'local', ?)",
               (c + 1, "C-%08X" % c, "BENCH-%05d" % c, "2024-06-01T00:00:00Z", "%064x" % rng.getrandbits(256)))
    for i in range(per):
        asn = 4200000000 + rng.randrange(5000) + (0 if mode == "dense" else 100000)
        if mode == "sparse" and c < 10 and i == 0:
            asn, address, network = 4200000003, "203.0.113.%d" % (c + 1), "203.0.113.0/24"
        elif mode == "sparse":
            a, b, h = rng.randrange(0x1000), rng.randrange(0x10000), rng.randrange(0x10000)
            address, network = "3fff:%x:%x::%x" % (a, b, h), "3fff:%x:%x::/48" % (a, b)
        elif rng.random() < 0.001:
            third = rng.choice(["192.0.2", "198.51.100", "203.0.113"])
            last = rng.randrange(1, 255)
            address, network = "%s.%d" % (third, last), "%s.0/24" % third
        else:
            a, b = rng.randrange(0x10000), rng.randrange(0x10000)
            address, network = "2001:db8:%x::%x" % (a, b), "2001:db8:%x::/48" % a
        common = mode == "dense" and rng.random() < 0.01
        agent = rng.choice(agents) if common else "SyntheticTool/%d" % rng.randrange(200000)
        rows.append((c + 1, address, network, asn, "Synthetic Holder %d" % (asn % 500),
                     "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", 3, '["login source"]', '["%s"]' % agent, "[]", '["F1"]'))
        clients.append((c + 1, address, asn, "user_agent", agent))
    if len(rows) > 50000:
        db.executemany("INSERT INTO casebook_sighting VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        db.executemany("INSERT INTO casebook_client VALUES (?,?,?,?,?)", clients)
        rows, clients = [], []
db.executemany("INSERT INTO casebook_sighting VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
db.executemany("INSERT INTO casebook_client VALUES (?,?,?,?,?)", clients)
db.commit()
PY
}
generate "$work/dense.sqlite" dense
generate "$work/sparse.sqlite" sparse
recorded=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from casebook_sighting').fetchone()[0])" "$work/dense.sqlite")
subjects=$("$spoor" analyze "$work/case" --mmdb "$work/asn.mmdb" --intel-db "$work/empty.sqlite" 2>&1 | grep -oE '^[0-9]+ distinct' | grep -oE '[0-9]+' || echo "?")
time_of() { /usr/bin/time -f "%e %M" -o "$work/t" "$@" >"$work/out" 2>&1 || true; cat "$work/t"; }
read -r s_empty k_empty < <(time_of "$spoor" analyze "$work/case" --mmdb "$work/asn.mmdb" --intel-db "$work/empty.sqlite")
read -r s_sparse k_sparse < <(time_of "$spoor" analyze "$work/case" --mmdb "$work/asn.mmdb" --intel-db "$work/sparse.sqlite")
m_sparse=$(grep -c "was seen in this case" "$work/out" || true)
read -r s_big k_big < <(time_of "$spoor" analyze "$work/case" --mmdb "$work/asn.mmdb" --intel-db "$work/dense.sqlite")
matches=$(grep -c "was seen in this case" "$work/out" || true)
# Recording: the case's 254 addresses of 203.0.113.0/24 into the large casebook.
record=()
for i in $(seq 1 254); do record+=(--address "203.0.113.$i"); done
read -r s_add _ < <(time_of "$spoor" casebook add "$work/case" "${record[@]}" --intel-db "$work/sparse.sqlite")
added=$(grep -oE '[0-9]+ address\(es\) recorded' "$work/out" | grep -oE '^[0-9]+' || echo "?")
read -r s_search _ < <(time_of "$spoor" casebook search 203.0.113.45 --intel-db "$work/dense.sqlite")
read -r s_overlap _ < <(time_of "$spoor" casebook overlap --json --intel-db "$work/dense.sqlite")
python3 - "$cases" "$recorded" "$events" "$subjects" "$s_empty" "$k_empty" "$s_sparse" "$k_sparse" "$m_sparse" "$s_big" "$k_big" "$matches" "$s_add" "$added" "$s_search" "$s_overlap" <<'PY'
import sys
cases, recorded, events, subjects, se, ke, ss_, ks, ms, sb, kb, matches, sa, added, ss, so = sys.argv[1:]
print(f"casebooks: {int(cases):,} cases, {int(recorded):,} recorded addresses each; case: {int(events):,} sshd and {int(events):,} Google events, {subjects} distinct addresses")
print(f"{'run':<52} {'seconds':>8} {'RSS MiB':>8} {'findings':>9}")
print(f"{'spoor analyze, empty casebook':<52} {float(se):>8.2f} {int(ke)/1024:>8.1f} {'':>9}")
print(f"{'spoor analyze, sparse casebook (10 planted)':<52} {float(ss_):>8.2f} {int(ks)/1024:>8.1f} {int(ms):>9,}")
print(f"{'spoor analyze, dense casebook':<52} {float(sb):>8.2f} {int(kb)/1024:>8.1f} {int(matches):>9,}")
print(f"{'spoor casebook add (' + added + ' addresses) into the sparse one':<52} {float(sa):>8.2f}")
print(f"{'spoor casebook search 203.0.113.45 (dense)':<52} {float(ss):>8.2f}")
print(f"{'spoor casebook overlap --json (dense)':<52} {float(so):>8.2f}")
print(f"analyze, sparse casebook / empty: {float(ss_)/float(se):.2f}x; dense / empty: {float(sb)/float(se):.2f}x")
PY
