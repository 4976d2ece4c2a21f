#!/usr/bin/env bash
# What an instance costs doing nothing, and what it serves flat out (docs/benchmarks.md, "An idle instance, and
# thread-pool spinning"). Each SERVICE is a widgetify.dll, optionally with environment variables after a colon:
#   bench/idle-and-peak.sh [--pairs N] [--idle-seconds S] LABEL=widgetify.dll[:NAME=VALUE,...] ...
# Idle: every service runs `up` at once on a fresh data dir (idle processes barely compete), and once each has been
# ready for 15 s its process's CPU time (user + system, /proc) is read over S seconds (default 30).
# Peak: N rounds (default 3); in each, the services one after the other, in reverse order every other round (so neither
# always follows the other onto a machine a previous run left warm or busy): `up`, a counter and 20 more widgets, 5 s of
# warm-up, then 10 s closed-loop with 32 connections (hey) at the counter's embed (GET /w/{id}, answered from the cache)
# and 10 s at the list (GET /api/widgets?limit=20, a database read). Printed per run: requests/s, the service's CPU per
# 200 in µs, p50 and p99 in ms; then each service's medians and their ratio to the first service's. hey runs on the same
# cores, as in every bench here. Loopback only; about a minute per service and round.
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
# shellcheck source=bench/lib/service.sh
source "$ROOT/bench/lib/service.sh"
PAIRS=3 IDLE=30
services=()
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) PAIRS=$2; shift 2 ;;
    --idle-seconds) IDLE=$2; shift 2 ;;
    *=*) services+=("$1"); shift ;;
    *) echo "usage: $0 [--pairs N] [--idle-seconds S] LABEL=widgetify.dll[:NAME=VALUE,...] ..." >&2; exit 2 ;;
  esac
done
[ ${#services[@]} -gt 0 ] || services=("this=$ROOT/src/Widgetify.Cli/bin/Release/net10.0/widgetify.dll")
command -v hey >/dev/null || { echo "hey is missing: apt-get install -y hey" >&2; exit 1; }
work=$(mktemp -d /tmp/widgetify-idle-and-peak.XXXXXX)
chmod 755 "$work"
pids=()
pid=""
trap 'for p in "${pids[@]}" $pid; do kill -TERM "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"' EXIT
TICKS=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# split ENTRY: sets label, dll and envs (an array of NAME=VALUE).
split() {
  label=${1%%=*}
  local rest=${1#*=}
  dll=${rest%%:*}
  envs=()
  if [ "$rest" != "$dll" ]; then IFS=, read -r -a envs <<< "${rest#*:}"; fi
}

stop() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

echo "### Idle: service CPU in $IDLE s, 15 s after ready"
echo
echo "| service | CPU-s | share of one core |"
echo "| --- | ---: | ---: |"
bases=() labels=()
for entry in "${services[@]}"; do
  split "$entry"
  start_service "$work/idle-$label.log" "$dll" "$work/idle-$label" ${envs[@]+"${envs[@]}"}
  pids+=("$pid") labels+=("$label")
  pid=""
done
sleep 15
for i in "${!pids[@]}"; do bases[i]=$(cpu_ticks "${pids[i]}"); done
sleep "$IDLE"
for i in "${!pids[@]}"; do
  used=$(( $(cpu_ticks "${pids[i]}") - bases[i] ))
  python3 -c "import sys; t=$used/$TICKS; print(f'| ${labels[i]} | {t:.2f} | {100*t/$IDLE:.1f}% |')"
done
for p in "${pids[@]}"; do stop "$p"; done
pids=()

# One closed-loop run of hey: prints "rps cpu_us_per_200 p50_ms p99_ms" for the service $pid.
load() {
  local out=$work/hey.txt before after
  before=$(cpu_ticks "$pid")
  hey -z 10s -c 32 "$@" > "$out"
  after=$(cpu_ticks "$pid")
  python3 - "$out" "$before" "$after" "$TICKS" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
ok = sum(int(n) for n in re.findall(r'\[200\]\s+(\d+) responses', text))
rps = float(re.search(r'Requests/sec:\s+([\d.]+)', text).group(1))
p50 = float(re.search(r'50%+ in ([\d.]+) secs', text).group(1)) * 1000
p99 = float(re.search(r'99%+ in ([\d.]+) secs', text).group(1)) * 1000
cpu = (int(sys.argv[3]) - int(sys.argv[2])) / int(sys.argv[4])
print(f"{rps:.0f} {cpu * 1e6 / max(ok, 1):.1f} {p50:.1f} {p99:.1f}")
EOF
}

rows=$work/rows
: > "$rows"
echo
echo "### Peak: 10 s closed-loop, 32 connections"
echo
echo "| round | service | embed req/s | embed CPU µs/req | embed p50 / p99 ms | list req/s | list CPU µs/req | list p50 / p99 ms |"
echo "| ---: | --- | ---: | ---: | --- | ---: | ---: | --- |"
for round in $(seq 1 "$PAIRS"); do
  order=("${services[@]}")
  if [ $((round % 2)) -eq 0 ]; then
    order=()
    for ((i = ${#services[@]} - 1; i >= 0; i--)); do order+=("${services[i]}"); done
  fi
  for entry in "${order[@]}"; do
    split "$entry"
    start_service "$work/peak-$label.log" "$dll" "$work/peak-$label-$round" ${envs[@]+"${envs[@]}"}
    key=$(cat "$work/peak-$label-$round/demo-api-key")
    id=$(curl -s -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
      -d '{"name":"Hot","kind":"counter","config":{"label":"visitors"}}' "$base/api/widgets" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    for i in $(seq 1 20); do
      curl -s -o /dev/null -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
        -d "{\"name\":\"W$i\",\"kind\":\"counter\",\"config\":{\"label\":\"visitors\"}}" "$base/api/widgets"
    done
    hey -z 5s -c 8 "$base/w/$id" > /dev/null
    read -r e_rps e_cpu e_p50 e_p99 < <(load "$base/w/$id")
    read -r l_rps l_cpu l_p50 l_p99 < <(load -H "Authorization: Bearer $key" "$base/api/widgets?limit=20")
    echo "| $round | $label | $e_rps | $e_cpu | $e_p50 / $e_p99 | $l_rps | $l_cpu | $l_p50 / $l_p99 |"
    echo "$label $e_rps $e_cpu $e_p99 $l_rps $l_cpu $l_p99" >> "$rows"
    stop "$pid"
    pid=""
  done
done

echo
echo "### Medians over $PAIRS rounds, and each against the first service"
echo
python3 - "$rows" "${services[@]%%=*}" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
labels = sys.argv[2:]
cols = ["embed req/s", "embed CPU µs/req", "embed p99 ms", "list req/s", "list CPU µs/req", "list p99 ms"]
med = {l: [statistics.median(float(r[i + 1]) for r in rows if r[0] == l) for i in range(len(cols))] for l in labels}
print("| service | " + " | ".join(cols) + " |")
print("| --- |" + " ---: |" * len(cols))
for l in labels:
    cells = [f"{v:.1f}" + ("" if l == labels[0] else f" ({v / med[labels[0]][i]:.2f}x)") for i, v in enumerate(med[l])]
    print(f"| {l} | " + " | ".join(cells) + " |")
EOF
