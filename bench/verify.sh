#!/usr/bin/env bash
# Issue 12: GetRepository throughput (wrk -t2 -c32) with signatures verified (--auth verify,
# a principals-file key) vs not (--auth off), two servers side by side, rounds alternating.
# Both get the same requests, signed by botocore (the aws CLI's signer; a signature is good for
# 5 minutes, so it is renewed every few rounds): `off` reads the scope, `verify` checks it.
# Short rounds alternate (the order too) so the shared machine's load hits both alike; the
# servers' CPU time per request is reported as well. Needs the test virtualenv (see .ci/run)
# and wrk.
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
start_on() {
  # shellcheck disable=SC2086
  LOG_LEVEL=${LOG_LEVEL:-info} start_server verify-on ${ON_ARGS:---auth verify --principals $WORK/principals.toml}
  ON_URL=$SERVER_URL; ON_PID=$SERVER_PID
}
start_off() {
  LOG_LEVEL=${LOG_LEVEL:-info} start_server verify-off
  OFF_URL=$SERVER_URL; OFF_PID=$SERVER_PID
}
# ORDER=off-first starts the `off` server first (to check that the start order does not bias).
if [ "${ORDER:-on-first}" = off-first ]; then start_off; start_on; else start_on; start_off; fi
trap 'kill $ON_PID $OFF_PID 2>/dev/null; wait $ON_PID $OFF_PID 2>/dev/null' EXIT
BODY='{"repositoryName":"bench"}'
sign() { "$PY" "$ROOT/bench/sign.py" "$1" "$ON_URL/" "CodeCommit_20150413.$2" "$3" AKIABENCHEXAMPLE bench-secret us-east-1; }
sign send CreateRepository "$BODY" > /dev/null
SERVER_URL=$OFF_URL api CreateRepository "$BODY" > /dev/null
DURATION=${DURATION:-2s}
ROUNDS=${ROUNDS:-20}
# Server CPU time (user + system, in clock ticks) from /proc, for CPU per request.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() { # run PID URL SCRIPT → "req/s requests cpu_ticks"
  local before after out
  before=$(cpu "$1")
  out=$(wrk -t2 -c32 -d"$DURATION" -s "$3" "$2/")
  after=$(cpu "$1")
  echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '/requests in/ {print $1}') $((after - before))"
}
sign lua GetRepository "$BODY" > "$WORK/getrepo-signed.lua"
# The signed script must really be accepted.
if wrk -t1 -c1 -d1s -s "$WORK/getrepo-signed.lua" "$ON_URL/" | grep -q "Non-2xx"; then
  echo "signed requests refused"; exit 1
fi
wrk -t2 -c32 -d2s -s "$WORK/getrepo-signed.lua" "$ON_URL/" > /dev/null
wrk -t2 -c32 -d2s -s "$WORK/getrepo-signed.lua" "$OFF_URL/" > /dev/null
: > "$WORK/verify-rounds.txt"
for round in $(seq 1 "$ROUNDS"); do
  # A fresh signature every few rounds (one is good for 5 minutes).
  [ $((round % 5)) -eq 0 ] && sign lua GetRepository "$BODY" > "$WORK/getrepo-signed.lua"
  if [ $((round % 2)) -eq 1 ]; then
    on=$(run "$ON_PID" "$ON_URL" "$WORK/getrepo-signed.lua"); off=$(run "$OFF_PID" "$OFF_URL" "$WORK/getrepo-signed.lua")
  else
    off=$(run "$OFF_PID" "$OFF_URL" "$WORK/getrepo-signed.lua"); on=$(run "$ON_PID" "$ON_URL" "$WORK/getrepo-signed.lua")
  fi
  echo "$on $off" >> "$WORK/verify-rounds.txt"
done
python3 - "$WORK/verify-rounds.txt" "$(getconf CLK_TCK)" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
tick = 1e6 / float(sys.argv[2])
ratios = sorted(r[0] / r[3] for r in rows)
on_rps, off_rps = statistics.median(r[0] for r in rows), statistics.median(r[3] for r in rows)
cpu_on = sum(r[2] for r in rows) * tick / sum(r[1] for r in rows)
cpu_off = sum(r[5] for r in rows) * tick / sum(r[4] for r in rows)
print(f"{len(rows)} interleaved rounds: verify median {on_rps:.0f} req/s, off median {off_rps:.0f} req/s")
print(f"per-round ratio verify/off: median {statistics.median(ratios):.3f} (quartiles {ratios[len(ratios)//4]:.3f}–{ratios[3*len(ratios)//4]:.3f})")
print(f"server CPU per request: verify {cpu_on:.1f} µs, off {cpu_off:.1f} µs → throughput ratio if CPU-bound {cpu_off / cpu_on:.3f}")
PY
