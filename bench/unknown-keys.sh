#!/usr/bin/env bash
# What an unknown API key costs, with and without the cache of refused keys (docs/benchmarks.md, "Unknown API keys").
# Starts './widgetify up' on a fresh data dir twice (Widgetify:Api:RejectedKeyCacheDuration 0, then the default 10 s),
# sends one unknown key repeatedly with ApacheBench (apt-get install apache2-utils) and reads the lookups from /metrics.
#   bench/unknown-keys.sh [SECONDS=10] [CONCURRENCY=16]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SECONDS_PER_RUN=${1:-10}
CONCURRENCY=${2:-16}
CLI="$ROOT/src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll"
KEY="wgt_$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"

run() {
  local label=$1 duration=$2 port data pid
  port=$(( 20000 + RANDOM % 20000 ))
  data=$(mktemp -d /tmp/widgetify-unknown-keys.XXXXXX)
  Widgetify__Api__RejectedKeyCacheDuration=$duration dotnet "$CLI" up --port "$port" --data-dir "$data" --demo-widgets 0 >"$data/up.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break; sleep 1; done
  ab -q -k -c "$CONCURRENCY" -t "$SECONDS_PER_RUN" -n 10000000 -H "Authorization: Bearer $KEY" "http://127.0.0.1:$port/api/widgets" >"$data/ab.txt" 2>&1 || true
  local rps non2xx complete lookups hits
  rps=$(awk '/Requests per second/ {print $4}' "$data/ab.txt")
  complete=$(awk '/Complete requests/ {print $3}' "$data/ab.txt")
  non2xx=$(awk '/Non-2xx responses/ {print $3}' "$data/ab.txt")
  lookups=$(curl -fs "http://127.0.0.1:$port/metrics" | awk '/^widgetify_auth_lookups_total/ {s += $NF} END {print s + 0}')
  hits=$(curl -fs "http://127.0.0.1:$port/metrics" | awk '/^widgetify_auth_cache_hits_total/ {s += $NF} END {print s + 0}')
  printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$complete" "${non2xx:-0}" "$rps" "$lookups" "$hits"
  kill -TERM "$pid"
  wait "$pid" || true
  rm -rf "$data"
}

echo "| refused keys remembered | requests | 401s | requests/s | database lookups | answered from memory |"
echo "| --- | --- | --- | --- | --- | --- |"
run "no (RejectedKeyCacheDuration 0, as before)" "00:00:00"
run "yes (10 s, the default)" "00:00:10"
