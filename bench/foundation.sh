#!/usr/bin/env bash
# Foundation benchmark: latency of each endpoint on an unloaded service (one client, keep-alive), and how
# fast a request is answered once PostgreSQL is down. Loopback only; bounded by request counts.
#   bench/foundation.sh [requests-per-endpoint, default 2000]
# Prints a Markdown table; docs/benchmarks.md records its output.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
N="${1:-2000}"
command -v hey >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hey; } >&2

work=$(mktemp -d /tmp/widgetify-bench-XXXXXX)
chmod 755 "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$ROOT/widgetify" up --data-dir "$work/data" --port "$port" > "$work/up.log" 2>&1 &
up_pid=$!
cleanup() { kill -TERM "$up_pid" 2>/dev/null || true; wait "$up_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 600); do
  curl -fs "$base/health/ready" >/dev/null 2>&1 && break
  kill -0 "$up_pid" 2>/dev/null || { cat "$work/up.log" >&2; exit 1; }
  sleep 0.2
done
key=$(cat "$work/data/demo-api-key")
id=$(curl -fs -H "Authorization: Bearer $key" "$base/api/widgets?limit=1" | sed -n 's/.*"id":"\([0-9a-f-]*\)".*/\1/p')

# One line of the table from hey's per-request CSV: status codes seen, p50, p99, p99.9 in ms.
measure() {
  local label="$1"; shift
  hey -n "$N" -c 1 -o csv "$@" > "$work/run.csv"
  python3 - "$label" "$work/run.csv" <<'PY'
import csv, sys
label, path = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(path)))
times = sorted(float(r["response-time"]) * 1000 for r in rows)
codes = {}
for r in rows:
    codes[r["status-code"]] = codes.get(r["status-code"], 0) + 1
def pct(p):
    return times[min(len(times) - 1, int(p / 100 * len(times)))]
status = ", ".join(f"{c} x{n}" for c, n in sorted(codes.items()))
print(f"| {label} | {status} | {pct(50):.2f} | {pct(99):.2f} | {pct(99.9):.2f} |")
PY
}

echo "| request (1 client, $N requests) | status | p50 ms | p99 ms | p99.9 ms |"
echo "| --- | --- | --- | --- | --- |"
measure "GET /w/{id} (HTML embed)" "$base/w/$id"
measure "GET /w/{id} (JSON embed)" -A application/json "$base/w/$id"
measure "GET /api/widgets/{id}" -H "Authorization: Bearer $key" "$base/api/widgets/$id"
measure "GET /api/widgets?limit=20" -H "Authorization: Bearer $key" "$base/api/widgets?limit=20"
measure "POST /api/widgets" -m POST -T application/json -d '{"name":"bench","kind":"counter","config":{}}' -H "Authorization: Bearer $key" "$base/api/widgets"
measure "GET /health/ready" "$base/health/ready"

# PostgreSQL stops under the running service: requests must be answered 503 + Retry-After, fast.
pgdata="$work/data/pg"
if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$(pg_config --bindir)/pg_ctl" -D "$pgdata" stop -m fast -w >/dev/null
else "$(pg_config --bindir)/pg_ctl" -D "$pgdata" stop -m fast -w >/dev/null; fi
measure "GET /w/{id}, PostgreSQL down" "$base/w/$id"
measure "GET /api/widgets/{id}, PostgreSQL down" -H "Authorization: Bearer $key" "$base/api/widgets/$id"
measure "GET /health/live, PostgreSQL down" "$base/health/live"
