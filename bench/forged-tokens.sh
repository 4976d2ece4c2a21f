#!/usr/bin/env bash
# Forged consistency tokens (docs/benchmarks.md, "Forged consistency tokens"): each service given runs `up --replicas 1`
# on a fresh data dir, one after the other; hey sends REQUESTS embeds of one widget (CONCURRENCY clients) three times:
# without Widgetify-Consistency, with the token its creation returned, with the forged FFFFFFFF/FFFFFFFF, and with a
# forged token near the primary (the write's token plus 32 MiB: past the 16 MiB margin, within 1 GiB/s). For each:
# requests/s, average and p99 latency, the status codes, and how many lookups read past the embed cache (the
# widgetify_embed_cache_lookups_total{result="bypass"} counter before and after). Loopback only; about 1.5 minutes per service.
#   bench/forged-tokens.sh [--requests N] [--concurrency N] LABEL=widgetify.dll ...
# Without a LABEL=dll, the build of this checkout (src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll) runs alone.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
# shellcheck source=bench/lib/service.sh
source "$ROOT/bench/lib/service.sh"
REQUESTS=3000 CONCURRENCY=20
services=()
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) REQUESTS=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    *=*) services+=("$1"); shift ;;
    *) echo "usage: $0 [--requests N] [--concurrency N] LABEL=widgetify.dll ..." >&2; exit 2 ;;
  esac
done
[ ${#services[@]} -gt 0 ] || services=("this=$ROOT/src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll")
command -v hey >/dev/null || { echo "hey is missing: apt-get install -y hey" >&2; exit 1; }
work=$(mktemp -d /tmp/widgetify-forged-tokens.XXXXXX)
chmod 755 "$work"
pid=""
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"' EXIT
UP_EXTRA=(--replicas 1)

bypasses() { curl -s "$base/metrics" | awk '/^widgetify_embed_cache_lookups_total\{.*result="bypass"/ {s += $2} END {print s + 0}'; }

echo "| service | token | req/s | avg ms | p99 ms | status codes | cache bypasses |"
echo "| --- | --- | ---: | ---: | ---: | --- | ---: |"
for entry in "${services[@]}"; do
  label=${entry%%=*} dll=${entry#*=}
  start_service "$work/$label.log" "$dll" "$work/$label"
  # The standby takes reads once a routing check finds it streaming: until then a token is read on the primary at once.
  for _ in $(seq 1 300); do
    curl -s "$base/metrics" | grep -Eq '^widgetify_replicas\{[^}]*state="ready"[^}]*\} [1-9]' && break
    sleep 0.2
  done
  key=$(cat "$work/$label/demo-api-key")
  created=$(curl -s -D "$work/headers" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
    -d '{"name":"Forged tokens","kind":"counter"}' "$base/api/widgets")
  id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$created")
  token=$(tr -d '\r' < "$work/headers" | awk -F': ' 'tolower($1) == "widgetify-consistency" {print $2}')
  # A widget changed in the last Embed:Cache:MaxStaleness (30 s) is read on the primary only; past that its reads go to
  # the standby, where a token makes them wait Database:Replicas:TokenWait for the standby to replay it.
  sleep 31
  curl -s -o /dev/null "$base/w/$id"
  # A signed token (since 0007) is POSITION.SIGNATURE: the near forgery keeps the write's signature on the later
  # position, as a forger who saw one real token would; an unsigned token (a service from before) has no dot.
  near=$(python3 -c 'import sys; pos, dot, sig = sys.argv[1].partition("."); hi, lo = pos.split("/"); v = (int(hi, 16) << 32) + int(lo, 16) + (32 << 20); print(f"{v >> 32:X}/{v & 0xFFFFFFFF:X}" + dot + sig)' "$token")
  for kind in none write forged near; do
    case $kind in
      none) header=() ;;
      write) header=(-H "Widgetify-Consistency: $token") ;;
      forged) header=(-H "Widgetify-Consistency: FFFFFFFF/FFFFFFFF") ;;
      near) header=(-H "Widgetify-Consistency: $near") ;;
    esac
    before=$(bypasses)
    hey -n "$REQUESTS" -c "$CONCURRENCY" ${header[@]+"${header[@]}"} "$base/w/$id" > "$work/hey"
    after=$(bypasses)
    rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$work/hey")
    avg=$(awk '/Average:/ {printf "%.1f", $2 * 1000; exit}' "$work/hey")
    p99=$(awk '/99% in/ {printf "%.1f", $3 * 1000}' "$work/hey")
    codes=$(awk '/Status code distribution/ {f = 1; next} f && /\[/ {printf "%s %s ", $1, $2} f && /^$/ {exit}' "$work/hey")
    echo "| $label | $kind | $rps | $avg | $p99 | ${codes% } | $((after - before)) |"
  done
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
done
