#!/usr/bin/env bash
# Issue 13: a repository of real-world size and shape (gnulib's ChangeLog replayed over its
# source tree, ~12,800 commits and ~11,700 files; see BENCHMARKS.md for why and what is real),
# pushed with --mirror, then maintained by the server in the background:
#   * push, clone, and fetch of the last 100 commits through our smart HTTP vs git over
#     file:// from a well-maintained copy (gc'd: one pack with a bitmap, commit-graph);
#   * the first ListFileCommitHistory on a freshly started server vs
#     `git log --format=%H -- PATH` on the same stored repository;
#   * the cost of the maintenance run that followed the push.
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

# git's push first: the maintenance our pushes start runs in the background, so it can only
# slow our later runs, never git's.
hyperfine -w 1 -r "$RUNS" --export-json "$RW/push.json" \
  -n "push --mirror file:// (git)" \
  --prepare "rm -rf $RW/target.git && git init -q --bare $RW/target.git" \
  "git -C $SRC push -q --mirror file://$RW/target.git" \
  -n "push --mirror http (codecommit-local)" --prepare "$recreate" \
  "git -C $SRC push -q --mirror $URL"

ID=$(api GetRepository "{\"repositoryName\":\"$NAME\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["repositoryMetadata"]["repositoryId"])')
STORED="$DATA/repos/$ID.git"
echo "waiting for the maintenance run of $ID"
for _ in $(seq 1 1200); do
  grep -q "repository maintained.*$ID" "$WORK/$NAME.log" && break
  sleep 0.5
done
MAINT_LINE=$(grep "repository maintained.*$ID" "$WORK/$NAME.log" | tail -1)
echo "$MAINT_LINE"
ls "$STORED/objects/pack"

hyperfine -w 1 -r "$RUNS" --export-json "$RW/clone.json" --prepare "rm -rf $RW/clone" \
  -n "clone --no-local file:// (git, maintained copy)" "git clone -q --bare --no-local file://$COPY $RW/clone" \
  -n "clone http (codecommit-local)" "git clone -q --bare $URL $RW/clone"

hyperfine -w 1 -r "$RUNS" --export-json "$RW/fetch.json" --prepare "rm -rf $RW/f.git && cp -a $BASE $RW/f.git" \
  -n "fetch 100 commits file:// (git, maintained copy)" "git -C $RW/f.git fetch -q file://$COPY main:refs/heads/main" \
  -n "fetch 100 commits http (codecommit-local)" "git -C $RW/f.git fetch -q $URL main:refs/heads/main"

# The first ListFileCommitHistory after a restart (nothing remembered), per path, vs git log.
PATHS=${PATHS:-"lib/stdlib.in.h m4/gnulib-common.m4 lib/regcomp.c modules/stdbit"}
stop_server
: > "$RW/history.txt"
for p in $PATHS; do
  for r in $(seq 1 "$RUNS"); do
    KEEP_DATA=1 LOG_LEVEL=warn start_server $NAME
    t=$(curl -s -o "$RW/history.json" -w '%{time_total}' -X POST \
      -H 'Content-Type: application/x-amz-json-1.1' \
      -H 'X-Amz-Target: CodeCommit_20150413.ListFileCommitHistory' \
      -d "{\"repositoryName\":\"$NAME\",\"filePath\":\"$p\"}" "$SERVER_URL/")
    stop_server
    echo "$p ours $t" >> "$RW/history.txt"
  done
  n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["revisionDag"]))' "$RW/history.json")
  hyperfine -N -w 2 -r $((RUNS * 4)) --export-json "$RW/log.json" \
    "git --git-dir=$STORED log --format=%H -- $p" > /dev/null
  python3 - "$RW" "$p" "$n" "$(git --git-dir="$STORED" log --format=%H -- "$p" | wc -l)" <<'PY'
import json, statistics, sys
w, path, first_page, total = sys.argv[1:5]
ours = statistics.median(float(l.split()[2]) for l in open(f"{w}/history.txt") if l.split()[0] == path)
git = json.load(open(f"{w}/log.json"))["results"][0]["median"]
print(f"history {path}: first call {ours*1000:.1f} ms ({first_page} versions on the first page), "
      f"git log {git*1000:.1f} ms ({total} commits), ratio {ours/git:.2f}")
PY
done

python3 - "$RW" "$MAINT_LINE" <<'PY'
import json, re, sys
w, line = sys.argv[1], sys.argv[2]
for name in ("push", "clone", "fetch"):
    r = json.load(open(f"{w}/{name}.json"))["results"]
    git, ours = r[0]["median"], r[1]["median"]
    print(f"{name}: codecommit-local {ours:.3f}s, git file:// {git:.3f}s, ratio {ours/git:.3f}")
m = re.search(r"ms=(\d+)", line)
print(f"maintenance run after the push: {int(m.group(1))/1000:.1f} s" if m else "maintenance: no report")
PY
