#!/usr/bin/env bash
# Site owners during a visitor storm (docs/benchmarks.md, "Site owners during a visitor storm"): for SECONDS, FLOOD
# clients fetch one cached embed as fast as they can, while the same tenant's owner reads that widget through the API
# (READERS clients) and creates widgets (WRITERS clients, no Idempotency-Key). Each service given runs on a fresh data
# dir, one after the other, ROUNDS times alternated, so that builds can be compared side by side. Loopback only, each
# run bounded by SECONDS. Prints a Markdown table: what each group got back (answers only: hey's CSV leaves out
# requests that got no answer, such as client timeouts).
#   bench/owner-storm.sh [--rounds N] [--seconds S] [--flood N] [--readers N] [--writers N] LABEL=widgetify.dll ...
# Without a LABEL=dll, the build of this checkout (src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll) runs alone.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
# shellcheck source=bench/lib/service.sh
source "$ROOT/bench/lib/service.sh"
ROUNDS=3 SECONDS_PER_RUN=8 FLOOD=1500 READERS=300 WRITERS=50
services=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --seconds) SECONDS_PER_RUN=$2; shift 2 ;;
    --flood) FLOOD=$2; shift 2 ;;
    --readers) READERS=$2; shift 2 ;;
    --writers) WRITERS=$2; shift 2 ;;
    *=*) services+=("$1"); shift ;;
    *) echo "unknown argument '$1': see the usage at the top of $0" >&2; exit 2 ;;
  esac
done
[ ${#services[@]} -gt 0 ] || services=("this-checkout=$ROOT/src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll")
command -v hey >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hey; } >&2

# What this script started, for the trap: on any exit it stops them by pid (the service gets TERM, so `up` stops its
# PostgreSQL, then KILL if it has not gone in 30 s) and removes the work dir.
pid="" load_pids=() work=""
cleanup() {
  for p in "${load_pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [ -n "$work" ]; then rm -rf "$work"; fi
  pid="" load_pids=() work=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run() {
  local round=$1 label=$2 dll=$3 key widget
  [ -f "$dll" ] || { echo "'$dll' does not exist: build it with 'dotnet build src/Widgetify.Cli -c Release'" >&2; exit 1; }
  work=$(mktemp -d /tmp/widgetify-owner-storm.XXXXXX)
  chmod 755 "$work"
  start_service "$work/up.log" "$dll" "$work/data"
  key=$(cat "$work/data/demo-api-key")
  widget=$(curl -fs -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d '{"name":"viral","kind":"counter","config":{}}' "$base/api/widgets" | sed -n 's/.*"id":"\([0-9a-f-]*\)".*/\1/p')
  [ -n "$widget" ] || { echo "could not create the widget" >&2; cat "$work/up.log" >&2; exit 1; }
  # Warm-up, not counted: the JIT, the embed cache and the connection pool.
  hey -z 3s -c 20 "$base/w/$widget" >/dev/null
  hey -z 3s -c 5 -H "Authorization: Bearer $key" "$base/api/widgets/$widget" >/dev/null

  hey -z "${SECONDS_PER_RUN}s" -c "$FLOOD" -t 5 -o csv "$base/w/$widget" >"$work/flood.csv" &
  load_pids+=($!)
  hey -z "${SECONDS_PER_RUN}s" -c "$READERS" -t 5 -o csv -H "Authorization: Bearer $key" "$base/api/widgets/$widget" >"$work/reads.csv" &
  load_pids+=($!)
  hey -z "${SECONDS_PER_RUN}s" -c "$WRITERS" -t 5 -o csv -m POST -H "Authorization: Bearer $key" -T application/json \
    -d '{"name":"made in the storm","kind":"counter","config":{}}' "$base/api/widgets" >"$work/creates.csv"
  for p in "${load_pids[@]}"; do wait "$p"; done
  load_pids=()
  python3 - "$round" "$label" "$SECONDS_PER_RUN" "$work/flood.csv" "$work/reads.csv" "$work/creates.csv" <<'PY'
import collections, csv, sys
round_, label, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
def load(path):
    return [(r["status-code"], float(r["response-time"]) * 1000) for r in csv.DictReader(open(path))]
def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else float("nan")
cells = []
for path, ok in ((sys.argv[4], "200"), (sys.argv[5], "200"), (sys.argv[6], "201")):
    rows = load(path)
    statuses = collections.Counter(s for s, _ in rows)
    served = [t for s, t in rows if s == ok]
    others = ", ".join(f"{n:,} x {s}" for s, n in sorted(statuses.items()) if s != ok) or "-"
    cells.append(f"{len(served) / seconds:,.0f} | {pct(served, 99):,.0f} | {others}")
print(f"| {round_} | {label} | " + " | ".join(cells) + " |")
PY
  cleanup
}

echo "| round | service | embeds served/s | embed p99 ms | embed other answers | owner reads served/s | read p99 ms | read other answers | creates served/s | create p99 ms | create other answers |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for round in $(seq 1 "$ROUNDS"); do
  for service in "${services[@]}"; do
    run "$round" "${service%%=*}" "${service#*=}"
  done
done
