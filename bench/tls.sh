#!/usr/bin/env bash
# Issue 12: a fresh connection's TLS handshake + first answer (GET /health), curl (OpenSSL)
# against the HTTPS listener, side by side with the same over plain HTTP; each request is a
# new connection and a new curl (no session reuse). The very first HTTPS connection after
# the server starts is reported on its own.
source "$(dirname "$0")/common.sh"
build
command -v curl >/dev/null || { echo "curl is required"; exit 1; }
RUNS=${RUNS:-50}
start_server tls
trap stop_server EXIT
first=$(curl -s -o /dev/null --cacert "$SERVER_CA" -w '%{time_appconnect} %{time_total}' "$SERVER_HTTPS_URL/health")
: > "$WORK/tls-rounds.txt"
for _ in $(seq 1 "$RUNS"); do
  s=$(curl -s -o /dev/null --cacert "$SERVER_CA" -w '%{time_connect} %{time_appconnect} %{time_total}' "$SERVER_HTTPS_URL/health")
  h=$(curl -s -o /dev/null -w '%{time_connect} %{time_total}' "$SERVER_URL/health")
  echo "$s $h" >> "$WORK/tls-rounds.txt"
done
python3 - "$WORK/tls-rounds.txt" "$first" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
ms = lambda xs: statistics.median(xs) * 1000
handshake = [r[1] - r[0] for r in rows]
https_total = [r[2] for r in rows]
http_total = [r[4] for r in rows]
f_app, f_total = map(float, sys.argv[2].split())
print(f"first HTTPS connection after start: TLS done at {f_app*1000:.2f} ms, answer at {f_total*1000:.2f} ms")
print(f"fresh connections (median of {len(rows)}): TLS handshake {ms(handshake):.2f} ms, "
      f"connect+handshake+answer {ms(https_total):.2f} ms over HTTPS vs {ms(http_total):.2f} ms over HTTP")
PY
