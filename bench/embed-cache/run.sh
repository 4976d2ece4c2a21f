#!/usr/bin/env bash
# The rendered-widget cache benchmark (docs/benchmarks.md, "Rendered-widget cache (issue 15)"): the service started twice
# on one embedded PostgreSQL, cache on then off, each driven on loopback with one hot embed (hey) and with uniformly
# random embeds over 1,000 widgets (EmbedLoad.cs), SECONDS each at CONNECTIONS connections.
# Usage: bench/embed-cache/run.sh [SECONDS=10] [CONNECTIONS=50]
set -euo pipefail
seconds=${1:-10}
connections=${2:-50}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
data=$(mktemp -d /tmp/widgetify-embed-cache.XXXXXX)
port=18391
ids="$data/ids.txt"
pid=""
# SIGTERM to the service itself (the script's child): a background job of a non-interactive shell ignores SIGINT.
stop() { if [ -n "$pid" ]; then for child in "$pid" $(pgrep -P "$pid"); do kill -TERM "$child" 2>/dev/null || true; done; wait "$pid" 2>/dev/null || true; pid=""; fi; }
trap 'stop; rm -rf "$data"' EXIT

start() { # $1: Embed:Cache:Enabled
  Widgetify__Embed__Cache__Enabled=$1 Widgetify__Admission__MaxLimit=1000 \
    "$root/widgetify" up --data-dir "$data/db" --port $port --demo-widgets 1000 >"$data/up-$1.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "the service did not become ready; see $data/up-$1.log" >&2; cat "$data/up-$1.log" >&2; exit 1
}

dotnet build -c Release -nologo "$here/EmbedLoad.cs" >/dev/null
for enabled in true false; do
  start $enabled
  if [ ! -s "$ids" ]; then
    key=$(cat "$data/db/demo-api-key")
    cursor=""
    while :; do
      page=$(curl -fs -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/widgets?limit=100${cursor:+&cursor=$cursor}")
      echo "$page" | python3 -c 'import json,sys; [print(w["id"]) for w in json.load(sys.stdin)["items"]]' >>"$ids"
      cursor=$(echo "$page" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("nextCursor") or "")')
      [ -z "$cursor" ] && break
    done
  fi
  hot=$(head -1 "$ids")
  # Warm both paths for 2 s (JIT, pools), then measure.
  hey -z 2s -c "$connections" "http://127.0.0.1:$port/w/$hot" >/dev/null
  echo "== cache $enabled: hot embed (hey -z ${seconds}s -c $connections /w/$hot)"
  hey -z "${seconds}s" -c "$connections" "http://127.0.0.1:$port/w/$hot" | grep -E "Requests/sec|Average|  50%|  99%|\[[0-9]+\]"
  echo "== cache $enabled: random embeds over $(wc -l <"$ids") widgets (EmbedLoad.cs ${seconds} s, $connections connections)"
  dotnet run -c Release "$here/EmbedLoad.cs" -- "http://127.0.0.1:$port" "$ids" "$seconds" "$connections"
  stop
done
