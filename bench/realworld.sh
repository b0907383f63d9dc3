#!/usr/bin/env bash
# Issue 13: a repository of real-world size and shape (gnulib's ChangeLog replayed over its
# source tree, ~12,800 commits and ~11,700 files; see BENCHMARKS.md for why and what is real),
# pushed with --mirror, then maintained by the server in the background:
#   * push, clone, and fetch of the last 100 commits through our smart HTTP vs git over
#     file:// from a well-maintained copy (gc'd: one pack with a bitmap, commit-graph);
#   * the first ListFileCommitHistory on a freshly started server vs
#     `git log --format=%H -- PATH` on the same stored repository;
#   * the cost of the maintenance run that followed the push.
# ONLY_PUSH=1 stops after the pushes.
# Needs hyperfine, curl, python3 and apt-get (the gnulib package is fetched from Debian once).
source "$(dirname "$0")/common.sh"
build
command -v hyperfine >/dev/null || { echo "hyperfine is required (apt-get install hyperfine)"; exit 1; }
RW="$WORK/realworld"
mkdir -p "$RW"
SRC="$RW/gnulib-replay.git"
if [ ! -f "$SRC/ready" ]; then
  rm -rf "$SRC" "$RW/pkg"
  mkdir -p "$RW/pkg"
  (cd "$RW/pkg" && apt-get download -q gnulib && dpkg-deb -x gnulib_*.deb x)
  python3 "$ROOT/bench/replay_changelog.py" "$RW/pkg/x/usr/share/doc/gnulib/changelog.gz" \
    "$RW/pkg/x/usr/share/gnulib" "$SRC"
  # fast-import deltas poorly; a real repository's pack is deltified like this.
  git -C "$SRC" -c pack.threads=2 repack -adf -q --window=50 --depth=50
  git -C "$SRC" update-ref refs/heads/old main~100
  touch "$SRC/ready"
fi
COPY="$RW/copy.git"
if [ ! -f "$COPY/ready" ]; then
  rm -rf "$COPY"
  git clone -q --mirror --no-local "file://$SRC" "$COPY"
  git -C "$COPY" gc -q
  git -C "$COPY" commit-graph write --reachable --changed-paths --no-progress
  touch "$COPY/ready"
fi
BASE="$RW/base.git"
[ -d "$BASE" ] || git clone -q --bare --no-local --single-branch --branch old "file://$SRC" "$BASE"
echo "repository: $(git -C "$SRC" rev-list --count main) commits, $(git -C "$SRC" ls-tree -r main | wc -l) files, pack $(du -sh "$SRC/objects/pack" | cut -f1)"

NAME=realworld
DATA="$WORK/$NAME-data"
LOG_LEVEL=info start_server $NAME
trap stop_server EXIT
URL="$SERVER_URL/v1/repos/$NAME"
RUNS=${RUNS:-5}
recreate="curl -s -X POST -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: CodeCommit_20150413.DeleteRepository' -d '{\"repositoryName\":\"$NAME\"}' $SERVER_URL/ >/dev/null; curl -s -X POST -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: CodeCommit_20150413.CreateRepository' -d '{\"repositoryName\":\"$NAME\"}' $SERVER_URL/ > /dev/null"
api CreateRepository "{\"repositoryName\":\"$NAME\"}" > /dev/null

IL="python3 $ROOT/bench/interleave.py"
# Pushes alternate with git's; each of ours starts a maintenance run in the background, which
# can only slow the runs after it. The last push's run is waited for and its cost reported.
$IL push "$RUNS" "rm -rf $RW/target.git && git init -q --bare $RW/target.git" \
  "git -C $SRC push -q --mirror file://$RW/target.git" \
  "$recreate" "git -C $SRC push -q --mirror $URL" | tee "$RW/results.txt"
# The same, against a file:// target that checks what it receives as we do
# (receive.fsckObjects, git's own `index-pack --strict`): the cost of the transport alone.
$IL "push, both sides checking objects" "$RUNS" \
  "rm -rf $RW/target.git && git init -q --bare $RW/target.git && git -C $RW/target.git config receive.fsckObjects true" \
  "git -C $SRC push -q --mirror file://$RW/target.git" \
  "$recreate" "git -C $SRC push -q --mirror $URL" | tee -a "$RW/results.txt"
[ "${ONLY_PUSH:-0}" = 1 ] && exit 0

ID=$(api GetRepository "{\"repositoryName\":\"$NAME\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["repositoryMetadata"]["repositoryId"])')
STORED="$DATA/repos/$ID.git"
for _ in $(seq 1 1200); do
  grep -q "repository maintained.*$ID" "$WORK/$NAME.log" && break
  sleep 0.5
done
MAINT_LINE=$(grep "repository maintained.*$ID" "$WORK/$NAME.log" | tail -1)
echo "maintenance run after the push: $MAINT_LINE" | tee -a "$RW/results.txt"

$IL clone "$RUNS" "rm -rf $RW/clone" "git clone -q --bare --no-local file://$COPY $RW/clone" \
  "rm -rf $RW/clone" "git clone -q --bare $URL $RW/clone" | tee -a "$RW/results.txt"
$IL "fetch of the last 100 commits" "$((RUNS * 3))" \
  "rm -rf $RW/f.git && cp -a $BASE $RW/f.git" "git -C $RW/f.git fetch -q file://$COPY main:refs/heads/main" \
  "rm -rf $RW/f.git && cp -a $BASE $RW/f.git" "git -C $RW/f.git fetch -q $URL main:refs/heads/main" | tee -a "$RW/results.txt"

# The first ListFileCommitHistory after a restart (nothing remembered), per path, alternating
# with `git log --format=%H -- PATH` on the same stored repository (which git reads with the
# same commit-graph and Bloom filters).
PATHS=${PATHS:-"lib/math.in.h lib/stdlib.in.h lib/regcomp.c lib/strverscmp.c ChangeLog"}
stop_server
: > "$RW/history.txt"
for p in $PATHS; do
  for r in $(seq 0 "$RUNS"); do
    KEEP_DATA=1 LOG_LEVEL=warn start_server $NAME
    t=$(curl -s -o "$RW/history.json" -w '%{time_total}' -X POST \
      -H 'Content-Type: application/x-amz-json-1.1' \
      -H 'X-Amz-Target: CodeCommit_20150413.ListFileCommitHistory' \
      -d "{\"repositoryName\":\"$NAME\",\"filePath\":\"$p\"}" "$SERVER_URL/")
    stop_server
    g=$(python3 -c 'import subprocess,sys,time; s=time.perf_counter(); subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); print(time.perf_counter()-s)' \
      git --git-dir="$STORED" log --format=%H -- "$p")
    # The first pair warms the page cache.
    [ "$r" = 0 ] || echo "$p $t $g" >> "$RW/history.txt"
  done
  n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["revisionDag"]))' "$RW/history.json")
  total=$(git --git-dir="$STORED" log --format=%H -- "$p" | wc -l)
  python3 - "$RW" "$p" "$n" "$total" <<'PY' | tee -a "$RW/results.txt"
import statistics, sys
w, path, first_page, total = sys.argv[1:5]
rows = [l.split() for l in open(f"{w}/history.txt") if l.split()[0] == path]
ours = statistics.median(float(r[1]) for r in rows)
git = statistics.median(float(r[2]) for r in rows)
print(f"history {path}: first call {ours*1000:.1f} ms ({first_page} versions on the first page), "
      f"git log {git*1000:.1f} ms ({total} commits), ratio {ours/git:.2f}")
PY
done

echo "--- summary"
cat "$RW/results.txt"
