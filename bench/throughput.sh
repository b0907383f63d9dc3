#!/usr/bin/env bash
# GetRepository throughput with 32 keep-alive connections (wrk -t2 -c32), side by side with a
# bare axum handler that answers a fixed GetRepository body, in the same run.
source "$(dirname "$0")/common.sh"
build
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)"; exit 1; }
LOG_LEVEL=${LOG_LEVEL:-info} start_server throughput
BARE_PORT=${BARE_PORT:-$((20000 + RANDOM % 20000))}
"$BENCH" bare "$BARE_PORT" 2>/dev/null &
BARE_PID=$!
trap 'stop_server; kill $BARE_PID 2>/dev/null; wait $BARE_PID 2>/dev/null' EXIT
api CreateRepository '{"repositoryName":"bench"}' > /dev/null
sleep 0.3
DURATION=${DURATION:-10s}
# Warm both up (connections, allocator, caches) before the measured rounds.
wrk -t2 -c32 -d2s -s "$ROOT/bench/getrepo.lua" "$SERVER_URL/" > /dev/null
wrk -t2 -c32 -d2s -s "$ROOT/bench/getrepo.lua" "http://127.0.0.1:$BARE_PORT/" > /dev/null
for round in 1 2 3; do
  ours=$(wrk -t2 -c32 -d"$DURATION" -s "$ROOT/bench/getrepo.lua" "$SERVER_URL/" | awk '/Requests\/sec/ {print $2}')
  bare=$(wrk -t2 -c32 -d"$DURATION" -s "$ROOT/bench/getrepo.lua" "http://127.0.0.1:$BARE_PORT/" | awk '/Requests/ {print $2}')
  python3 -c "print(f'round $round: codecommit-local {float(\"$ours\"):.0f} req/s, bare axum {float(\"$bare\"):.0f} req/s, ratio {float(\"$ours\")/float(\"$bare\"):.2f}')"
done
