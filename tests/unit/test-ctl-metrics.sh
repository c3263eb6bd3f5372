#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `defragctl metrics` and `--http` against a stand-in control socket (python3
# answering "metrics" / "metrics openmetrics" with an exposition rendered by
# test-metrics): the request sent, the bytes printed, the HTTP answers
# (200 with Content-Type by Accept, HEAD, 400, 404, 405, 503), all bounded.
set -u
ctl=${1:?usage: test-ctl-metrics.sh DEFRAGCTL TEST_METRICS_EXE}
exe=${2:?}
tmp=$(mktemp -d)
srv_pid=
cleanup() { [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

"$exe" --print live-6.18-fragmented >"$tmp/expo.prom" || { echo "cannot render"; exit 1; }
"$exe" --print live-6.18-fragmented --openmetrics >"$tmp/expo.om" || exit 1
mkdir "$tmp/run"
python3 - "$tmp/run/control" "$tmp/expo.prom" "$tmp/expo.om" "$tmp/requests" <<'PY' &
import socket, sys, os
path, prom, om, log = sys.argv[1:5]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(8)
while True:
    c, _ = s.accept()
    req = b''
    while not req.endswith(b'\n'):
        d = c.recv(256)
        if not d:
            break
        req += d
    line = req.decode().strip()
    with open(log, 'a') as f:
        f.write(line + '\n')
    if line == 'metrics':
        c.sendall(open(prom, 'rb').read())
    elif line == 'metrics openmetrics':
        c.sendall(open(om, 'rb').read())
    else:
        c.sendall(b'error: unknown request "%s"\n' % line.encode())
    c.close()
PY
srv_pid=$!
for _ in $(seq 50); do [ -S "$tmp/run/control" ] && break; sleep 0.1; done

# plain
if "$ctl" metrics --runtime-dir "$tmp/run" >"$tmp/out" && cmp -s "$tmp/out" "$tmp/expo.prom"; then
        ok "defragctl metrics prints the daemon's exposition ($(wc -l <"$tmp/out") lines)"
else
        bad "defragctl metrics output differs" "$(diff "$tmp/out" "$tmp/expo.prom" | head)"
fi
"$ctl" metrics --openmetrics --runtime-dir "$tmp/run" >"$tmp/out"
if cmp -s "$tmp/out" "$tmp/expo.om" && [ "$(tail -n 1 "$tmp/out")" = "# EOF" ]; then ok "--openmetrics asks for it"; else bad "--openmetrics"; fi
if [ "$(head -n 2 "$tmp/requests" | paste -sd,)" = "metrics,metrics openmetrics" ]; then ok "requests sent: metrics, metrics openmetrics"; else bad "requests: $(cat "$tmp/requests")"; fi

# http: split head and body at the empty line
http() { # REQUEST-BYTES -> $tmp/resp.head, $tmp/resp.body
        printf "$1" | timeout 20 "$ctl" metrics --http --runtime-dir "${2:-$tmp/run}" >"$tmp/resp"
        python3 - "$tmp/resp" "$tmp/resp.head" "$tmp/resp.body" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
h, _, b = d.partition(b'\r\n\r\n')
open(sys.argv[2], 'wb').write(h.replace(b'\r\n', b'\n') + b'\n')
open(sys.argv[3], 'wb').write(b)
PY
}
status() { head -n 1 "$tmp/resp.head" | tr -d '\r'; }
hdr() { sed -n "s/^$1: //Ip" "$tmp/resp.head" | tr -d '\r'; }

http 'GET /metrics HTTP/1.1\r\nHost: localhost:9637\r\nAccept: text/plain\r\n\r\n'
if [ "$(status)" = "HTTP/1.0 200 OK" ] && cmp -s "$tmp/resp.body" "$tmp/expo.prom" &&
   [ "$(hdr Content-Length)" = "$(stat -c %s "$tmp/expo.prom")" ] &&
   [ "$(hdr Content-Type)" = "text/plain; version=0.0.4; charset=utf-8" ]; then
        ok "GET /metrics: 200, text 0.0.4, Content-Length $(hdr Content-Length), the exposition"
else
        bad "GET /metrics" "$(cat "$tmp/resp.head")"
fi
if command -v promtool >/dev/null; then
        if out=$(promtool check metrics <"$tmp/resp.body" 2>&1); then ok "promtool check metrics on the HTTP body"; else bad "promtool: $out"; fi
fi
# Prometheus 2.x's own Accept header
http 'GET /metrics HTTP/1.1\r\nAccept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n\r\n'
if [ "$(status)" = "HTTP/1.0 200 OK" ] && cmp -s "$tmp/resp.body" "$tmp/expo.om" &&
   [ "$(hdr Content-Type)" = "application/openmetrics-text; version=1.0.0; charset=utf-8" ]; then
        ok "Prometheus' Accept header gets OpenMetrics"
else
        bad "OpenMetrics by Accept" "$(cat "$tmp/resp.head")"
fi
http 'HEAD /metrics HTTP/1.0\r\n\r\n'
if [ "$(status)" = "HTTP/1.0 200 OK" ] && [ ! -s "$tmp/resp.body" ]; then ok "HEAD: headers only"; else bad "HEAD" "$(cat "$tmp/resp")"; fi
http 'POST /metrics HTTP/1.1\r\n\r\n'
[ "$(status)" = "HTTP/1.0 405 Method Not Allowed" ] && ok "POST: 405" || bad "POST: $(status)"
http 'GET /secret HTTP/1.1\r\n\r\n'
[ "$(status)" = "HTTP/1.0 404 Not Found" ] && ok "other paths: 404" || bad "other path: $(status)"
http 'hello\r\n\r\n'
[ "$(status)" = "HTTP/1.0 400 Bad Request" ] && ok "garbage: 400" || bad "garbage: $(status)"
http "GET /metrics HTTP/1.1\r\nX: $(head -c 9000 /dev/zero | tr '\0' a)\r\n\r\n"
[ "$(status)" = "HTTP/1.0 400 Bad Request" ] && ok "a head over 8 KiB: 400" || bad "long head: $(status)"
http 'GET /metrics HTTP/1.1\r\n\r\n' "$tmp/nodaemon"
if [ "$(status)" = "HTTP/1.0 503 Service Unavailable" ] && grep -q "defragd is not running" "$tmp/resp.body"; then
        ok "no daemon: 503 ($(cat "$tmp/resp.body"))"
else
        bad "no daemon: $(status)"
fi
# a client that sends nothing and keeps the connection open is dropped (alarm)
start=$(date +%s)
mkfifo "$tmp/silent"
sleep 40 >"$tmp/silent" 2>/dev/null &
hold=$!
timeout 30 "$ctl" metrics --http --runtime-dir "$tmp/run" <"$tmp/silent" >/dev/null
rc=$?
kill "$hold" 2>/dev/null
# 142: killed by its own SIGALRM (128 + 14); 124 would be timeout's
if [ $rc -eq 142 ] && [ $(($(date +%s) - start)) -lt 25 ]; then ok "a silent client is dropped (SIGALRM after $(($(date +%s) - start))s)"; else bad "silent client held it (rc $rc)"; fi
exit $fail
