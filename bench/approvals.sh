#!/usr/bin/env bash
# Issue 9: CreatePullRequest on a repository with 25 associated templates vs none, and
# EvaluatePullRequestApprovalRules on a pull request with 30 rules and 200 approvals vs one
# with no rules: median latency through the HTTP API, measured interleaved, ROUNDS rounds of N.
source "$(dirname "$0")/common.sh"
build
PRINCIPALS="$WORK/approvals-principals.toml"
: > "$PRINCIPALS"
for i in $(seq -w 0 199); do
  printf '[[principals]]\naccess_key_id = "AKIABENCH%s"\narn = "arn:aws:iam::000000000000:user/u%s"\n\n' "$i" "$i" >> "$PRINCIPALS"
done
start_server approvals --principals "$PRINCIPALS"
trap stop_server EXIT
"$BENCH" approvals "$SERVER_URL" "${ROUNDS:-5}" "${N:-100}"
