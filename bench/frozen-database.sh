#!/usr/bin/env bash
# A database that stops answering (docs/benchmarks.md, "A database that stops answering"): each service given runs `up`
# on a fresh data dir, one after the other. For each of ROUNDS rounds and each kind (read: GET /api/widgets/{id}; write:
# POST /api/widgets), the pool is warmed with 400 reads (8 clients) so that it holds idle connections, every process of
# the service's PostgreSQL is stopped with SIGSTOP (postmaster first), CLIENTS requests are sent at once, each taking an
# idle connection and sending its statement to a frozen backend, and PostgreSQL is continued once they are all answered
# (curl gives up after 60 s). Printed: each request's status and seconds, against the deadline (Admission:ReadTimeout 2 s
# for reads, WriteTimeout 5 s for writes). Loopback only; about 2 minutes per service. Signals only the PostgreSQL that the
# script's own `up` started.
#   bench/frozen-database.sh [--rounds N] [--clients N] LABEL=widgetify.dll ...
# Without a LABEL=dll, the build of this checkout (src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll) runs alone.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
# shellcheck source=bench/lib/service.sh
source "$ROOT/bench/lib/service.sh"
ROUNDS=2 CLIENTS=6
services=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    *=*) services+=("$1"); shift ;;
    *) echo "usage: $0 [--rounds N] [--clients N] LABEL=widgetify.dll ..." >&2; exit 2 ;;
  esac
done
[ ${#services[@]} -gt 0 ] || services=("this=$ROOT/src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll")
command -v hey >/dev/null || { echo "hey is missing: apt-get install -y hey" >&2; exit 1; }
work=$(mktemp -d /tmp/widgetify-frozen-database.XXXXXX)
chmod 755 "$work"
pid="" frozen=""
# Whatever happens, a PostgreSQL stopped here is continued before the service (and with it PostgreSQL) is stopped.
trap '[ -n "$frozen" ] && kill -CONT $frozen 2>/dev/null; [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"' EXIT

echo "| service | round | requests | deadline s | statuses | seconds to the answer (sorted) |"
echo "| --- | ---: | --- | ---: | --- | --- |"
for entry in "${services[@]}"; do
  label=${entry%%=*} dll=${entry#*=}
  start_service "$work/$label.log" "$dll" "$work/$label"
  key=$(cat "$work/$label/demo-api-key")
  id=$(curl -s -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d '{"name":"Frozen","kind":"counter"}' \
    "$base/api/widgets" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  postmaster=$(head -1 "$work/$label/pg/postmaster.pid")
  for round in $(seq 1 "$ROUNDS"); do
    for kind in read write; do
      hey -n 400 -c 8 -H "Authorization: Bearer $key" "$base/api/widgets/$id" > /dev/null
      frozen="$postmaster $(ps -o pid= --ppid "$postmaster" | tr '\n' ' ')"
      kill -STOP $frozen
      for i in $(seq 1 "$CLIENTS"); do
        if [ "$kind" = read ]; then
          curl -s -o /dev/null -m 60 -w "%{http_code} %{time_total}\n" -H "Authorization: Bearer $key" "$base/api/widgets/$id" &
        else
          curl -s -o /dev/null -m 60 -w "%{http_code} %{time_total}\n" -H "Authorization: Bearer $key" \
            -H 'Content-Type: application/json' -d "{\"name\":\"Frozen $i\",\"kind\":\"counter\"}" "$base/api/widgets" &
        fi
      done > "$work/answers"
      wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
      kill -CONT $frozen
      frozen=""
      statuses=$(awk '{print $1}' "$work/answers" | sort | uniq -c | awk '{printf "[%s] %s ", $2, $1}')
      seconds=$(awk '{printf "%.2f\n", $2}' "$work/answers" | sort -n | paste -sd ' ')
      deadline=$([ "$kind" = read ] && echo 2 || echo 5)
      echo "| $label | $round | $CLIENTS ${kind}s | $deadline | ${statuses% } | $seconds |"
      # DatabaseDown and the lease: give the service time to see PostgreSQL back before the next round.
      sleep 20
    done
  done
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
done
