#!/usr/bin/env bash
# GetMergeConflicts and MergeBranchesByThreeWay between two branches that each rewrote 100
# existing files (spread over the tree) of the 100,000-file repository, and
# `git merge-tree --write-tree` on the same commits.
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
# The same two commits merged by git itself: in the server's own repository (the same objects,
# loose where API commits wrote them), and in a packed mirror clone.
OWN=$(ls -d "$WORK"/merge-data/repos/*.git | head -1)
rm -rf "$WORK/merge-mirror.git"
git clone -q --mirror "$SERVER_URL/v1/repos/large" "$WORK/merge-mirror.git"
hyperfine -N -w 3 -r "$N" --export-json "$WORK/merge-tree.json" \
  "git -C $OWN merge-tree --write-tree bench-dst bench-src" \
  "git -C $WORK/merge-mirror.git merge-tree --write-tree bench-dst bench-src" > /dev/null
python3 - "$WORK" "$conflicts" "$threeway" <<'PY'
import json, sys
w, conflicts, threeway = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
r = json.load(open(f"{w}/merge-tree.json"))["results"]
own, mirror = r[0]["median"] * 1000, r[1]["median"] * 1000
print(f"git merge-tree --write-tree, server's repository: {own:.2f} ms; packed mirror: {mirror:.2f} ms")
print(f"GetMergeConflicts:        {conflicts:.2f} ms  ratio {conflicts/own:.2f} (vs mirror {conflicts/mirror:.2f})")
print(f"MergeBranchesByThreeWay:  {threeway:.2f} ms  ratio {threeway/own:.2f} (vs mirror {threeway/mirror:.2f})")
PY
