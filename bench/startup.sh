#!/usr/bin/env bash
# Cold start to the first answered request (fresh data dir each run) and idle RSS.
source "$(dirname "$0")/common.sh"
build
"$BENCH" coldstart "$BIN" ${RUNS:-30}
