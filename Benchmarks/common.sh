# Shared by the benchmark scripts (sourced). Needs $work (a scratch folder) and $runs.
#
# best_of OUTFILE PREPARE-COMMAND -- COMMAND...
# Runs COMMAND ${times:-$runs} times (this shared machine varies by 10-30 % between runs), each
# after PREPARE-COMMAND (":" for none); prints "<fastest seconds> <largest max RSS KiB>".
best_of() {
  local out=$1 prepare=$2; shift 3
  local best="" rss=0
  for _ in $(seq "${times:-$runs}"); do
    eval "$prepare"
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$out" 2>"$work/err" || { cat "$work/err" >&2; return 1; }
    read -r s k < "$work/time"
    best=$(python3 -c 'import sys; a=sys.argv[1]; b=float(sys.argv[2]); print(b if a=="" else min(float(a), b))' "$best" "$s")
    rss=$(( k > rss ? k : rss ))
  done
  echo "$best $rss"
}
