#!/usr/bin/env bash
# Issue 11: PutFile and push latency with 10 triggers + EventBridge (endpoint alive, endpoint
# down) against no triggers, side by side; deliveries per second to a local moto server.
# Needs moto (target/test-venv, as .ci/run installs it, or CODECOMMIT_LOCAL_MOTO_SERVER).
source "$(dirname "$0")/common.sh"
build
MOTO_SERVER=${CODECOMMIT_LOCAL_MOTO_SERVER:-$ROOT/target/test-venv/bin/moto_server}
[ -x "$MOTO_SERVER" ] || { echo "moto_server not found at $MOTO_SERVER (see README, Tests)" >&2; exit 1; }
# moto's own Python has boto3.
PY=$(dirname "$MOTO_SERVER")/python3
CODECOMMIT_LOCAL_MOTO_SERVER=$MOTO_SERVER exec "$PY" "$ROOT/bench/events.py"
