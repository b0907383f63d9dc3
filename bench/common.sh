# Shared helpers for the benchmark scripts: build, start and stop a server on a free port.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN="$ROOT/target/release/codecommit-local"
BENCH="$ROOT/target/release/ccl-bench"
WORK=${BENCH_WORK:-$ROOT/bench/work}
mkdir -p "$WORK"

build() {
  (cd "$ROOT" && cargo build --release -q -p codecommit-local -p ccl-bench)
}

# start_server NAME [ARGS…] → sets SERVER_URL, SERVER_HTTPS_URL (https://localhost:PORT),
# SERVER_CA and SERVER_PID; data in $WORK/NAME-data (wiped first unless KEEP_DATA=1: a restart
# over the same repositories)
start_server() {
  local name=$1; shift
  [ "${KEEP_DATA:-0}" = 1 ] || rm -rf "$WORK/$name-data"
  CODECOMMIT_LOCAL_LOG=${LOG_LEVEL:-warn} "$BIN" --port 0 --https-port 0 --data-dir "$WORK/$name-data" "$@" 2> "$WORK/$name.log" &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    if grep -q "listening on http://" "$WORK/$name.log" 2>/dev/null; then break; fi
    sleep 0.05
  done
  SERVER_URL=$(grep -o "http://[0-9.:]*" "$WORK/$name.log" | head -1)
  [ -n "$SERVER_URL" ] || { echo "server did not start" >&2; exit 1; }
  SERVER_HTTPS_URL=$(grep -o "https://[0-9.:]*" "$WORK/$name.log" | head -1 | sed 's#https://127.0.0.1#https://localhost#')
  SERVER_CA="$WORK/$name-data/tls/ca.pem"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

api() { # api OPERATION JSON
  curl -s -X POST -H 'Content-Type: application/x-amz-json-1.1' \
    -H "X-Amz-Target: CodeCommit_20150413.$1" -d "$2" "$SERVER_URL/"
}

export GIT_TERMINAL_PROMPT=0 GIT_CONFIG_NOSYSTEM=1
