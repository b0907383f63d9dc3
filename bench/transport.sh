#!/usr/bin/env bash
# Clone and push of a synthetic repository (20k files, 2k commits, >100 MB packed) through the
# server's smart HTTP vs plain git over file:// (git clone --no-local, push to a bare repo).
source "$(dirname "$0")/common.sh"
build
REPO="$WORK/transport.git"
if [ ! -d "$REPO" ]; then
  "$BENCH" gen-repo "$REPO" --files 20000 --commits 2000 --file-bytes 6000 --per-commit 2 --big-folder 0 --hot-versions 0
  git -C "$REPO" repack -adq
fi
echo "packed size: $(du -sh "$REPO/objects/pack" | cut -f1)"
start_server transport
trap stop_server EXIT
api CreateRepository '{"repositoryName":"transport"}' > /dev/null
URL="$SERVER_URL/v1/repos/transport"

hyperfine -w 1 -r ${RUNS:-5} --export-json "$WORK/push.json" \
  -n "push http (codecommit-local)" \
  --prepare "curl -s -X POST -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: CodeCommit_20150413.DeleteRepository' -d '{\"repositoryName\":\"transport\"}' $SERVER_URL/ >/dev/null; curl -s -X POST -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: CodeCommit_20150413.CreateRepository' -d '{\"repositoryName\":\"transport\"}' $SERVER_URL/ > /dev/null" \
  "git -C $REPO push -q $URL main" \
  -n "push file:// (git)" \
  --prepare "rm -rf $WORK/target.git && git init -q --bare $WORK/target.git" \
  "git -C $REPO push -q file://$WORK/target.git main"

# Both remotes now hold the same pushed pack.
hyperfine -w 1 -r ${RUNS:-5} --export-json "$WORK/clone.json" \
  --prepare "rm -rf $WORK/clone" \
  -n "clone http (codecommit-local)" "git clone -q --bare $URL $WORK/clone" \
  -n "clone --no-local file:// (git)" "git clone -q --bare --no-local file://$WORK/target.git $WORK/clone"

python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
for name in ("push", "clone"):
    r = json.load(open(f"{w}/{name}.json"))["results"]
    ours, git = r[0]["median"], r[1]["median"]
    print(f"{name}: codecommit-local {ours:.2f}s, git file:// {git:.2f}s, ratio {ours/git:.3f}")
PY
