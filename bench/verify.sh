#!/usr/bin/env bash
# Issue 12: GetRepository throughput (wrk -t2 -c32) with signatures verified (--auth verify,
# a principals-file key) vs not (--auth off), two servers side by side, rounds alternating.
# The verified requests are signed by botocore (the aws CLI's signer) before each round (a
# signature is good for 5 minutes); needs the test virtualenv (see .ci/run) and wrk.
source "$(dirname "$0")/common.sh"
build
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)"; exit 1; }
PY=${CODECOMMIT_LOCAL_TEST_VENV:-$ROOT/target/test-venv}/bin/python
[ -x "$PY" ] || { echo "needs the test virtualenv with botocore (bash .ci/run makes it)"; exit 1; }
cat > "$WORK/principals.toml" <<'TOML'
[[principals]]
access_key_id = "AKIABENCHEXAMPLE"
secret_access_key = "bench-secret"
arn = "arn:aws:iam::000000000000:user/bench"
TOML
LOG_LEVEL=${LOG_LEVEL:-info} start_server verify-on --auth verify --principals "$WORK/principals.toml"
ON_URL=$SERVER_URL; ON_PID=$SERVER_PID
LOG_LEVEL=${LOG_LEVEL:-info} start_server verify-off
OFF_URL=$SERVER_URL; OFF_PID=$SERVER_PID
trap 'kill $ON_PID $OFF_PID 2>/dev/null; wait $ON_PID $OFF_PID 2>/dev/null' EXIT
BODY='{"repositoryName":"bench"}'
sign() { "$PY" "$ROOT/bench/sign.py" "$1" "$ON_URL/" "CodeCommit_20150413.$2" "$3" AKIABENCHEXAMPLE bench-secret us-east-1; }
sign send CreateRepository "$BODY" > /dev/null
SERVER_URL=$OFF_URL api CreateRepository "$BODY" > /dev/null
DURATION=${DURATION:-10s}
sign lua GetRepository "$BODY" > "$WORK/getrepo-signed.lua"
# The signed script must really be accepted.
wrk -t1 -c1 -d1s -s "$WORK/getrepo-signed.lua" "$ON_URL/" | grep -q "Non-2xx" && { echo "signed requests refused"; exit 1; }
wrk -t2 -c32 -d2s -s "$WORK/getrepo-signed.lua" "$ON_URL/" > /dev/null
wrk -t2 -c32 -d2s -s "$ROOT/bench/getrepo.lua" "$OFF_URL/" > /dev/null
for round in 1 2 3 4; do
  sign lua GetRepository "$BODY" > "$WORK/getrepo-signed.lua"
  if [ $((round % 2)) -eq 1 ]; then
    on=$(wrk -t2 -c32 -d"$DURATION" -s "$WORK/getrepo-signed.lua" "$ON_URL/" | awk '/Requests\/sec/ {print $2}')
    off=$(wrk -t2 -c32 -d"$DURATION" -s "$ROOT/bench/getrepo.lua" "$OFF_URL/" | awk '/Requests\/sec/ {print $2}')
  else
    off=$(wrk -t2 -c32 -d"$DURATION" -s "$ROOT/bench/getrepo.lua" "$OFF_URL/" | awk '/Requests\/sec/ {print $2}')
    on=$(wrk -t2 -c32 -d"$DURATION" -s "$WORK/getrepo-signed.lua" "$ON_URL/" | awk '/Requests\/sec/ {print $2}')
  fi
  python3 -c "print(f'round $round: verify {float(\"$on\"):.0f} req/s, off {float(\"$off\"):.0f} req/s, ratio {float(\"$on\")/float(\"$off\"):.3f}')"
done
