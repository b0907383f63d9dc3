#!/usr/bin/env bash
# GetMergeConflicts and MergeBranchesByThreeWay between two branches that each changed 100
# files of the 100,000-file repository, and `git merge-tree --write-tree` on the same commits.
source "$(dirname "$0")/common.sh"
build
[ -d "$WORK/large.git" ] || "$BENCH" gen-repo "$WORK/large.git" --files 100000 --commits 10000 --hot-versions 50
start_server merge
trap stop_server EXIT
api CreateRepository '{"repositoryName":"large"}' > /dev/null
git -C "$WORK/large.git" push -q "$SERVER_URL/v1/repos/large" main
N=${N:-30}
conflicts=$("$BENCH" latency "$SERVER_URL" large merge-conflicts "$N" | cut -f2)
threeway=$("$BENCH" latency "$SERVER_URL" large merge-three-way "$N" | cut -f2)
# The same two commits, merged by git itself in a mirror clone.
rm -rf "$WORK/merge-mirror.git"
git clone -q --mirror "$SERVER_URL/v1/repos/large" "$WORK/merge-mirror.git"
hyperfine -N -w 3 -r "$N" --export-json "$WORK/merge-tree.json" \
  "git -C $WORK/merge-mirror.git merge-tree --write-tree bench-dst bench-src" > /dev/null
python3 - "$WORK" "$conflicts" "$threeway" <<'PY'
import json, sys
w, conflicts, threeway = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
git = json.load(open(f"{w}/merge-tree.json"))["results"][0]["median"] * 1000
print(f"git merge-tree --write-tree: {git:.2f} ms")
print(f"GetMergeConflicts:        {conflicts:.2f} ms  ratio {conflicts/git:.2f}")
print(f"MergeBranchesByThreeWay:  {threeway:.2f} ms  ratio {threeway/git:.2f}")
PY
