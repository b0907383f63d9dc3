#!/usr/bin/env bash
# Issue 12: a fresh connection's TLS handshake + first answer (GET /health) against the HTTPS
# listener, measured in-process by ccl-bench (rustls client, no session reuse), interleaved
# with connect + answer over plain HTTP; then the same with curl (OpenSSL) for reference.
source "$(dirname "$0")/common.sh"
build
RUNS=${RUNS:-200}
start_server tls
trap stop_server EXIT
HTTPS_ADDR=${SERVER_HTTPS_URL#https://}
"$BENCH" tls "${HTTPS_ADDR/localhost/127.0.0.1}" "${SERVER_URL#http://}" "$SERVER_CA" "$RUNS"
if command -v curl >/dev/null; then
  : > "$WORK/tls-curl.txt"
  for _ in $(seq 1 50); do
    curl -s -o /dev/null --cacert "$SERVER_CA" -w '%{time_connect} %{time_appconnect} %{time_total}\n' "$SERVER_HTTPS_URL/health" >> "$WORK/tls-curl.txt"
  done
  python3 - "$WORK/tls-curl.txt" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
print(f"curl (median of {len(rows)}): handshake {statistics.median(r[1] - r[0] for r in rows) * 1000:.2f} ms, "
      f"connect+handshake+answer {statistics.median(r[2] for r in rows) * 1000:.2f} ms")
PY
fi
