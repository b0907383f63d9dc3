#!/usr/bin/env bash
# GetRepository throughput with 32 keep-alive connections (wrk -t2 -c32), side by side with a
# bare axum handler that answers a fixed GetRepository body, in the same run.
#
# A round is SLICES pairs of short runs, ours and bare alternating (which goes first alternates
# too), and its ratio is our requests over bare's in equal time. On a shared 2-core machine the
# throughput of either side drifts by ±15 % within a minute; back-to-back 10 s runs put that
# drift into the ratio, interleaved slices spread it over both sides.
# Settings: ROUNDS (3), SLICES (5), SLICE (2s), LOG_LEVEL (info: the API log line is on).
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
ROUNDS=${ROUNDS:-3} SLICES=${SLICES:-5} SLICE=${SLICE:-2s}
OURS_URL="$SERVER_URL/" BARE_URL="http://127.0.0.1:$BARE_PORT/"
requests() { # URL DURATION → requests completed
  wrk -t2 -c32 -d"$2" -s "$ROOT/bench/getrepo.lua" "$1" | awk '/requests in/ {print $1}'
}
# Warm both up (connections, allocator, caches) before the measured rounds.
requests "$OURS_URL" 2s > /dev/null
requests "$BARE_URL" 2s > /dev/null
for round in $(seq 1 "$ROUNDS"); do
  ours=0 bare=0 slices=""
  for i in $(seq 1 "$SLICES"); do
    if [ $((i % 2)) = 1 ]; then
      o=$(requests "$OURS_URL" "$SLICE"); b=$(requests "$BARE_URL" "$SLICE")
    else
      b=$(requests "$BARE_URL" "$SLICE"); o=$(requests "$OURS_URL" "$SLICE")
    fi
    ours=$((ours + o)) bare=$((bare + b))
    slices="$slices $(python3 -c "print(f'{$o/$b:.2f}')")"
  done
  secs=$(python3 -c "import re; s='$SLICE'; print(float(re.sub('[a-z]+','',s)) * $SLICES)")
  python3 -c "print(f'round $round: codecommit-local {$ours/$secs:.0f} req/s, bare axum {$bare/$secs:.0f} req/s, ratio {$ours/$bare:.2f} (slices:$slices)')"
done
