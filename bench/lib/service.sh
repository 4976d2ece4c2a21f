# Sourced by the bench scripts (bench/tenant-shares.sh, bench/owner-storm.sh).
# start_service LOG DLL DATA_DIR [NAME=VALUE ...]: starts `widgetify up` of DLL on a free loopback port, on DATA_DIR with no
# demo widgets and the given environment, its output in LOG; sets `pid` and `base` (the caller's cleanup stops pid) and
# returns once /health/ready answers. Exits the script with the log if the service exits first or is not ready in 120 s.
# UP_EXTRA (an array, optional) adds arguments to `up`, e.g. UP_EXTRA=(--replicas 1).
start_service() {
  local log=$1 dll=$2 data=$3 port ready=""
  shift 3
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  env "$@" dotnet "$dll" up --port "$port" --data-dir "$data" --demo-widgets 0 ${UP_EXTRA[@]+"${UP_EXTRA[@]}"} >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    curl -fs "$base/health/ready" >/dev/null 2>&1 && { ready=1; break; }
    kill -0 "$pid" 2>/dev/null || { echo "the service exited before it was ready:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.2
  done
  [ -n "$ready" ] || { echo "the service was not ready after 120 s:" >&2; cat "$log" >&2; exit 1; }
}
