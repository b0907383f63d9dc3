#!/usr/bin/env bash
# Push cost, interleaved: each round pushes the transport bench's repository (20k files, 2k
# commits, >100 MB packed) through the server (which fsck-checks pushed objects) and to bare
# repositories over file:// without and with `receive.fsckObjects`, in turn, so load from
# other processes hits all three alike. Prints each round and the median ratios.
source "$(dirname "$0")/common.sh"
build
REPO="$WORK/transport.git"
if [ ! -d "$REPO" ]; then
  "$BENCH" gen-repo "$REPO" --files 20000 --commits 2000 --file-bytes 6000 --per-commit 2 --big-folder 0 --hot-versions 0
  git -C "$REPO" repack -adq
fi
start_server push
trap stop_server EXIT
ROUNDS=${ROUNDS:-7}
now() { date +%s.%N; }
timed() { local t0; t0=$(now); "$@" >/dev/null 2>&1; echo "$(now) - $t0" | bc; }
out="$WORK/push-rounds.txt"; : > "$out"
for i in $(seq 1 "$ROUNDS"); do
  api DeleteRepository '{"repositoryName":"push"}' > /dev/null
  api CreateRepository '{"repositoryName":"push"}' > /dev/null
  rm -rf "$WORK/plain.git" "$WORK/fsck.git"
  git init -q --bare "$WORK/plain.git"; git init -q --bare "$WORK/fsck.git"
  ours=$(timed git -C "$REPO" push -q "$SERVER_URL/v1/repos/push" main)
  plain=$(timed git -C "$REPO" push -q "file://$WORK/plain.git" main)
  fsck=$(timed git -C "$REPO" push -q --receive-pack="git -c receive.fsckObjects=true receive-pack" "file://$WORK/fsck.git" main)
  echo "$ours $plain $fsck" | tee -a "$out"
done
python3 - "$out" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
ours = [r[0] / r[1] for r in rows]
ref = [r[2] / r[1] for r in rows]
print(f"push through codecommit-local / file://: median {statistics.median(ours):.3f} "
      f"(rounds {min(ours):.3f}–{max(ours):.3f})")
print(f"file:// with receive.fsckObjects / file://: median {statistics.median(ref):.3f} "
      f"(rounds {min(ref):.3f}–{max(ref):.3f})")
PY
