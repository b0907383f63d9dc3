#!/usr/bin/env bash
# Comments (issue 10): a page of GetCommentsForPullRequest on a pull request with 10,000
# comments against one with 10, and PostCommentForPullRequest with a line location on the
# 100,000-file repository next to the 100-file one; interleaved rounds on one server.
source "$(dirname "$0")/common.sh"
build
[ -d "$WORK/small.git" ] || "$BENCH" gen-repo "$WORK/small.git" --files 100 --commits 100 --hot-versions 50
[ -d "$WORK/large.git" ] || "$BENCH" gen-repo "$WORK/large.git" --files 100000 --commits 10000 --hot-versions 50
start_server comments
trap stop_server EXIT
for size in small large; do
  api CreateRepository "{\"repositoryName\":\"$size\"}" > /dev/null
  git -C "$WORK/$size.git" push -q "$SERVER_URL/v1/repos/$size" main
done
"$BENCH" comments "$SERVER_URL" small large "${COMMENTS:-10000}" "${ROUNDS:-5}" "${CALLS:-40}"
