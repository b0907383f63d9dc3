#!/usr/bin/env bash
# Issue 12: push and clone of the synthetic ~100 MB repository (the one transport.sh makes) over
# HTTPS vs plain HTTP, against one server, rounds interleaved (the order alternates per round)
# so the machine's drift hits both alike. Median of RUNS rounds.
source "$(dirname "$0")/common.sh"
build
REPO="$WORK/transport.git"
if [ ! -d "$REPO" ]; then
  "$BENCH" gen-repo "$REPO" --files 20000 --commits 2000 --file-bytes 6000 --per-commit 2 --big-folder 0 --hot-versions 0
  git -C "$REPO" repack -adq
fi
echo "packed size: $(du -sh "$REPO/objects/pack" | cut -f1)"
start_server https
trap stop_server EXIT
export GIT_SSL_CAINFO="$SERVER_CA"
RUNS=${RUNS:-5}
recreate() {
  api DeleteRepository '{"repositoryName":"transport"}' > /dev/null
  api CreateRepository '{"repositoryName":"transport"}' > /dev/null
}
# Server CPU time (user + system, clock ticks) from /proc.
cpu() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
secs() { # secs CMD… → "wall-seconds server-cpu-seconds"
  local s e c0 c1
  c0=$(cpu); s=$(date +%s.%N); "$@"; e=$(date +%s.%N); c1=$(cpu)
  python3 -c "print(f'{$e - $s:.3f},{($c1 - $c0) / $(getconf CLK_TCK):.2f}')"
}
push() { recreate; secs git -C "$REPO" push -q "$1/v1/repos/transport" main; }
clone() { rm -rf "$WORK/clone"; secs git clone -q --bare "$1/v1/repos/transport" "$WORK/clone"; }
# Warm-up: caches, the TLS session code, the first pack.
push "$SERVER_HTTPS_URL" > /dev/null; push "$SERVER_URL" > /dev/null
: > "$WORK/https-rounds.txt"
for i in $(seq 1 "$RUNS"); do
  if [ $((i % 2)) -eq 1 ]; then
    ph=$(push "$SERVER_URL"); ps=$(push "$SERVER_HTTPS_URL")
  else
    ps=$(push "$SERVER_HTTPS_URL"); ph=$(push "$SERVER_URL")
  fi
  echo "push $ph $ps" | tee -a "$WORK/https-rounds.txt"
done
for i in $(seq 1 "$RUNS"); do
  if [ $((i % 2)) -eq 1 ]; then
    ch=$(clone "$SERVER_URL"); cs=$(clone "$SERVER_HTTPS_URL")
  else
    cs=$(clone "$SERVER_HTTPS_URL"); ch=$(clone "$SERVER_URL")
  fi
  echo "clone $ch $cs" | tee -a "$WORK/https-rounds.txt"
done
python3 - "$WORK/https-rounds.txt" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
for op in ("push", "clone"):
    http = [float(r[1].split(",")[0]) for r in rows if r[0] == op]
    https = [float(r[2].split(",")[0]) for r in rows if r[0] == op]
    cpu_http = sum(float(r[1].split(",")[1]) for r in rows if r[0] == op)
    cpu_https = sum(float(r[2].split(",")[1]) for r in rows if r[0] == op)
    ratios = sorted(s / h for h, s in zip(http, https))
    print(f"{op}: http {statistics.median(http):.2f}s, https {statistics.median(https):.2f}s, "
          f"ratio of medians {statistics.median(https) / statistics.median(http):.3f}, "
          f"per-round ratios {ratios[0]:.3f}–{ratios[-1]:.3f}; "
          f"server CPU per {op} http {cpu_http / len(http):.2f}s, https {cpu_https / len(https):.2f}s")
PY
