#!/usr/bin/env bash
# One tenant's viral widget (issue 15; docs/benchmarks.md, "One tenant's viral widget"): one widget's embed flooded by
# FLOOD clients as fast as they can, while another tenant's widget gets a steady trickle (2 clients at RATE req/s each),
# with Widgetify:Admission:TenantShares off and then on, on a fresh data dir each. Loopback only, bounded by SECONDS.
# Prints a Markdown table: the trickle's success rate and latency, and the flood's served and shed rates.
#   bench/tenant-shares.sh [SECONDS=15] [FLOOD=200] [RATE=25]
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
# shellcheck source=bench/lib/service.sh
source "$ROOT/bench/lib/service.sh"
SECONDS_PER_RUN=${1:-15}
FLOOD=${2:-200}
RATE=${3:-25}
CLI="$ROOT/src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll"
command -v hey >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hey; } >&2

# What this script started, for the trap: on any exit (a failed step under set -e, Ctrl-C) it stops them by pid (the
# service gets TERM, so `up` stops its PostgreSQL, then KILL if it has not gone in 30 s) and removes the work dir.
pid="" flood_pid="" work=""
cleanup() {
  if [ -n "$flood_pid" ]; then
    kill "$flood_pid" 2>/dev/null || true
    wait "$flood_pid" 2>/dev/null || true
  fi
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [ -n "$work" ]; then rm -rf "$work"; fi
  pid="" flood_pid="" work=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

run() {
  local label=$1 shares=$2 key other viral quiet
  work=$(mktemp -d /tmp/widgetify-tenant-shares.XXXXXX)
  chmod 755 "$work"
  start_service "$work/up.log" "$CLI" "$work/data" "Widgetify__Admission__TenantShares=$shares"
  key=$(cat "$work/data/demo-api-key")
  other=$(dotnet "$CLI" keys create --tenant other --data-dir "$work/data" 2>/dev/null | tail -1)
  viral=$(curl -fs -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d '{"name":"viral","kind":"counter","config":{}}' "$base/api/widgets" | sed -n 's/.*"id":"\([0-9a-f-]*\)".*/\1/p')
  quiet=$(curl -fs -H "Authorization: Bearer $other" -H 'Content-Type: application/json' \
    -d '{"name":"quiet","kind":"counter","config":{}}' "$base/api/widgets" | sed -n 's/.*"id":"\([0-9a-f-]*\)".*/\1/p')
  [ -n "$viral" ] && [ -n "$quiet" ] || { echo "could not create the widgets" >&2; cat "$work/up.log" >&2; exit 1; }

  hey -z "${SECONDS_PER_RUN}s" -c "$FLOOD" -o csv "$base/w/$viral" >"$work/flood.csv" &
  flood_pid=$!
  hey -z "${SECONDS_PER_RUN}s" -c 2 -q "$RATE" -o csv "$base/w/$quiet" >"$work/trickle.csv"
  wait "$flood_pid"
  flood_pid=""
  local shed_over_share partitions
  shed_over_share=$(curl -fs "$base/metrics" | awk '/^widgetify_admission_over_share/ {s += $NF} END {print s + 0}')
  python3 - "$label" "$work/trickle.csv" "$work/flood.csv" "$SECONDS_PER_RUN" "$shed_over_share" <<'PY'
import csv, sys
label, trickle_path, flood_path, seconds, over_share = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
def load(path):
    return [(r["status-code"], float(r["response-time"]) * 1000) for r in csv.DictReader(open(path))]
def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else float("nan")
trickle, flood = load(trickle_path), load(flood_path)
ok = [t for s, t in trickle if s == "200"]
flood_ok = sum(1 for s, _ in flood if s == "200")
flood_503 = sum(1 for s, _ in flood if s == "503")
other = len(flood) - flood_ok - flood_503 + sum(1 for s, _ in trickle if s not in ("200", "503"))
offered = len(flood) / seconds
k = len(flood) / max(flood_ok, 1)
print(f"| {label} | {len(trickle)} | {100 * len(ok) / max(len(trickle), 1):.1f}% | {pct(ok, 50):.1f} | {pct(ok, 99):.1f} "
      f"| {pct([t for _, t in trickle], 99):.1f} | {offered:,.0f} | {flood_ok / seconds:,.0f} | {flood_503 / seconds:,.0f} | {k:.1f} "
      f"| {over_share} | {other} |")
PY
  cleanup
}

echo "| Admission:TenantShares | trickle requests | trickle served (200) | trickle served p50 ms | trickle served p99 ms | trickle p99 ms (all answers) | flood offered req/s | flood served req/s | flood shed req/s | overload k (offered / served) | over_share sheds | other statuses |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
run "false (one queue for all, as before)" false
run "true (the default)" true
