#!/usr/bin/env bash
# Peak RSS of the server while 8 clients send 60 MB API bodies at once (ListRepositories with
# a padding member), and what each client got back. BASE_BIN=path compares another binary
# (e.g. a build of an older commit) in the same run.
source "$(dirname "$0")/common.sh"
build
BODY="$WORK/body-60mb.json"
[ -f "$BODY" ] || python3 -c "
import sys
open(sys.argv[1], 'w').write('{\"repositoryName\":\"big\",\"padding\":\"' + 'x' * (60 * 1024 * 1024) + '\"}')
" "$BODY"
measure() { # measure BINARY LABEL
  local bin=$1 label=$2 dir="$WORK/bodymem-$2"
  rm -rf "$dir" && mkdir -p "$dir"
  CODECOMMIT_LOCAL_LOG=warn "$bin" --port 0 --data-dir "$dir/data" > /dev/null 2> "$dir/log" &
  local pid=$!
  for _ in $(seq 1 200); do grep -q "listening on" "$dir/log" 2>/dev/null && break; sleep 0.05; done
  local url; url=$(grep -o "http://[0-9.:]*" "$dir/log" | head -1)
  local curls=()
  for i in $(seq 1 8); do
    curl -s -o "$dir/out$i" -X POST -H 'Content-Type: application/x-amz-json-1.1' \
      -H 'X-Amz-Target: CodeCommit_20150413.ListRepositories' --data-binary "@$BODY" "$url/" &
    curls+=($!)
  done
  for c in "${curls[@]}"; do wait "$c"; done
  local peak; peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  local answers; answers=$(cat "$dir"/out* | grep -o '"__type":"[A-Za-z]*"\|"repositories"' | sort | uniq -c | tr -s ' \n' ' ')
  echo "$label: peak RSS $((peak / 1024)) MB; answers:$answers"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
[ -n "${BASE_BIN:-}" ] && measure "$BASE_BIN" base
measure "$BIN" codecommit-local
