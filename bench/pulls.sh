#!/usr/bin/env bash
# Pull requests: CreatePullRequest / GetPullRequest / MergePullRequestByThreeWay on the
# 100,000-file repository (the merge next to MergeBranchesByThreeWay of the same kind of pair);
# a ListPullRequests and a DescribePullRequestEvents page with 10,000 pull requests in the
# repository vs 10; a push to a branch that is the source of 200 open pull requests vs one that
# is the source of none.
source "$(dirname "$0")/common.sh"
build
[ -d "$WORK/large.git" ] || "$BENCH" gen-repo "$WORK/large.git" --files 100000 --commits 10000 --hot-versions 50
[ -d "$WORK/small.git" ] || "$BENCH" gen-repo "$WORK/small.git" --files 100 --commits 100 --hot-versions 50
export CODECOMMIT_LOCAL_MAX_OPEN_PULL_REQUESTS=20000
start_server pulls
trap stop_server EXIT
N=${N:-100}
for repo in large pr-small pr-large pushbench; do
  api CreateRepository "{\"repositoryName\":\"$repo\"}" > /dev/null
done
git -C "$WORK/large.git" push -q "$SERVER_URL/v1/repos/large" main
for repo in pr-small pr-large pushbench; do
  git -C "$WORK/small.git" push -q "$SERVER_URL/v1/repos/$repo" main
done
echo "# on the 100,000-file repository (median, p90 ms)"
"$BENCH" pulls "$SERVER_URL" create large "$N"
"$BENCH" pulls "$SERVER_URL" get large "$N"
"$BENCH" pulls "$SERVER_URL" merge large "${MERGE_N:-30}"
echo "# pages with 10 vs 10,000 pull requests in the repository"
"$BENCH" pulls "$SERVER_URL" seed pr-small 10
"$BENCH" pulls "$SERVER_URL" seed pr-large ${SEED:-10000}
"$BENCH" pulls "$SERVER_URL" pages pr-small pr-large "$N"
echo "# pushes: source of ${PRS:-200} open pull requests vs none"
"$BENCH" pulls "$SERVER_URL" push pushbench "$WORK/pulls-push" ${PRS:-200} ${PUSH_N:-30}
