#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Metrics (issue 12): Debian's node_exporter serves defragd's textfile, the
# socket unit answers a scrape, and `systemctl stop defragd` leaves no series
# that looks fresh. Parts that need the daemon's wiring (writing the textfile
# each evaluation, answering "metrics" on the control socket, removing the
# file on stop) fail when absent; the textfile is then written by the same
# renderer from a helper so the node_exporter checks still say something.
. /usr/lib/defragd-vm/lib.sh
tdir=/var/lib/prometheus/node-exporter
tfile=$tdir/defragd.prom
render=$gdir/metrics-render
ne=http://127.0.0.1:9100/metrics
ep=http://127.0.0.1:9637/metrics
tmp=$(mktemp -d)
# Prometheus 2.x's Accept header
prom_accept='application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'

if wait_until 60 curl -sf -o /dev/null "$ne"; then
        ok "prometheus-node-exporter answers on :9100"
else
        not_ok "prometheus-node-exporter answers on :9100" "$(systemctl status --no-pager -n 20 prometheus-node-exporter.service)"
        finish
fi
note "textfile directory $tdir: $(stat -c '%U:%G %a' "$tdir" 2>&1); node_exporter: $(tr '\0' ' ' </proc/"$(systemctl show -P MainPID prometheus-node-exporter.service)"/cmdline)"

# -- the textfile, written by defragd ([Metrics] TextfileDirectory= in a drop-in)
clear_conf
set_conf 50-vm "$base_conf"
set_conf 70-metrics "[Metrics]
TextfileDirectory=$tdir"
rm -f "$tfile"
restart_defragd
if systemctl is-active -q defragd.service; then
        ok "defragd runs with [Metrics] TextfileDirectory=$tdir"
else
        not_ok "defragd runs with [Metrics] TextfileDirectory=" "$(journalctl -u defragd.service -n 20 --no-pager)"
fi
wired_textfile=0
if wait_until 8 test -s "$tfile"; then
        wired_textfile=1
        ok "defragd wrote $tfile ($(stat -c '%a %U' "$tfile"), $(grep -c '^defragd_' "$tfile") series)"
else
        not_ok "defragd writes $tfile each evaluation" "$(journalctl -u defragd.service -n 20 --no-pager)"
        "$render" >"$tdir/.defragd.prom.helper" && chmod 0644 "$tdir/.defragd.prom.helper" &&
                mv -f "$tdir/.defragd.prom.helper" "$tfile"
fi
# node_exporter re-reads the directory on every scrape.
curl -sf "$ne" >"$tmp/ne" || not_ok "scrape node_exporter"
if grep -q '^node_textfile_scrape_error 0' "$tmp/ne"; then
        ok "node_exporter parsed the textfile (node_textfile_scrape_error 0)"
else
        not_ok "node_exporter parsed the textfile" "$(grep -E '^node_textfile' "$tmp/ne")" "$(journalctl -u prometheus-node-exporter -n 10 --no-pager)"
fi
# Every family of the file is served, with as many series (node_exporter
# adds no defragd series of its own and drops none).
families() { grep -E '^defragd_' "$1" | sed 's/[{ ].*//' | sort | uniq -c; }
families "$tfile" >"$tmp/f.file"
families "$tmp/ne" >"$tmp/f.ne"
if [ -s "$tmp/f.file" ] && cmp -s "$tmp/f.file" "$tmp/f.ne"; then
        ok "node_exporter serves the textfile: $(wc -l <"$tmp/f.file") families, $(grep -c '^defragd_' "$tmp/ne") series, e.g. $(grep -m1 '^defragd_free_blocks{' "$tmp/ne")"
else
        not_ok "node_exporter serves every defragd series of the textfile" "$(diff "$tmp/f.file" "$tmp/f.ne")"
fi
if grep -q "^node_textfile_mtime_seconds{file=\"$tfile\"}\|^node_textfile_mtime_seconds{file=\"defragd.prom\"}" "$tmp/ne"; then
        ok "node_textfile_mtime_seconds covers defragd.prom (a second staleness signal)"
else
        not_ok "node_textfile_mtime_seconds covers defragd.prom" "$(grep '^node_textfile' "$tmp/ne")"
fi

# -- the socket: systemd listens, defragctl answers one request per connection
check "systemctl enable --now defragd-metrics.socket" systemctl enable --now defragd-metrics.socket
v=$(systemd-analyze verify defragd-metrics.socket defragd-metrics@.service 2>&1)
if [ -z "$v" ]; then ok "systemd-analyze verify defragd-metrics.socket defragd-metrics@.service is clean"; else not_ok "systemd-analyze verify of the metrics units" "$v"; fi
code=$(curl -s -D "$tmp/h" -o "$tmp/b" -w '%{http_code}' "$ep")
wired_control=0
if [ "$code" = 200 ]; then
        wired_control=1
        if grep -q '^defragd_last_evaluation_timestamp_seconds ' "$tmp/b" && grep -qi '^content-type: text/plain; version=0.0.4' "$tmp/h"; then
                ok "curl $ep: 200, text 0.0.4, $(grep -c '^defragd_' "$tmp/b") series"
        else
                not_ok "curl $ep: the exposition" "$(cat "$tmp/h")" "$(head -n 20 "$tmp/b")"
        fi
        code=$(curl -s -H "Accept: $prom_accept" -D "$tmp/h" -o "$tmp/b" -w '%{http_code}' "$ep")
        if [ "$code" = 200 ] && [ "$(tail -n 1 "$tmp/b")" = "# EOF" ] && grep -qi '^content-type: application/openmetrics-text' "$tmp/h"; then
                ok "with Prometheus' Accept header: OpenMetrics, ends with # EOF"
        else
                not_ok "OpenMetrics by Accept" "$(cat "$tmp/h")" "$(tail -n 3 "$tmp/b")"
        fi
elif [ "$code" = 503 ] && grep -q 'unknown request' "$tmp/b"; then
        ok "curl $ep: the socket unit ran defragctl, which reached defragd's control socket (503: \"$(head -c 120 "$tmp/b")\")"
        not_ok "curl $ep returns the exposition" "defragd answered \"unknown request\": the control socket lost its \"metrics\" request"
else
        not_ok "curl $ep answers" "code $code" "$(cat "$tmp/h" "$tmp/b" 2>/dev/null)" "$(journalctl -u 'defragd-metrics@*' -n 20 --no-pager)"
fi
for _ in 1 2 3; do curl -s -o /dev/null "$ep"; done
failed_units=$(systemctl list-units --all --no-legend 'defragd-metrics@*' | grep -c failed)
if [ "$failed_units" -eq 0 ]; then ok "no failed defragd-metrics@ instances left behind"; else not_ok "no failed defragd-metrics@ instances" "$(systemctl list-units --all --no-legend 'defragd-metrics@*')"; fi
sec=$(systemd-analyze security --no-pager defragd-metrics@x.service 2>&1 | sed -n 's/.*Overall exposure level for defragd-metrics@x.service: \([0-9.]*\).*/\1/p')
note "systemd-analyze security defragd-metrics@.service: ${sec:-?}"

# -- stop: nothing that looks fresh is left
check "systemctl stop defragd" systemctl stop defragd.service
if [ $wired_textfile -eq 1 ]; then
        if [ ! -e "$tfile" ]; then ok "clean stop removed $tfile"; else not_ok "clean stop removed $tfile" "$(ls -l "$tfile")"; fi
        if ! curl -sf "$ne" | grep -q '^defragd_'; then ok "node_exporter serves no defragd series after the stop"; else not_ok "no defragd series after the stop"; fi
else
        not_ok "clean stop removes $tfile" "defragd never wrote it (see above)"
        # What a reader sees when a daemon stopped without removing it: the
        # last evaluation's timestamp ages, which the DefragdStale alert reads.
        ts=$(sed -n 's/^defragd_last_evaluation_timestamp_seconds //p' "$tfile")
        sleep 2
        age=$(awk -v t="$ts" -v now="$(date +%s.%N)" 'BEGIN { printf "%.0f", now - t }')
        if [ -n "$ts" ] && [ "$age" -ge 2 ]; then ok "a left-over textfile shows its age: last evaluation ${age}s ago"; else not_ok "left-over textfile carries its evaluation time" "ts=$ts"; fi
        rm -f "$tfile"
fi
code=$(curl -s -o "$tmp/b" -w '%{http_code}' "$ep")
if [ "$code" = 503 ] && grep -q 'not running' "$tmp/b"; then
        ok "with defragd stopped the scrape fails (503: $(head -c 80 "$tmp/b")...), so Prometheus' up is 0"
else
        not_ok "scrape with defragd stopped fails with 503" "code $code" "$(cat "$tmp/b")"
fi

systemctl disable --now defragd-metrics.socket >/dev/null 2>&1
rm -rf "$tmp"
clear_conf
finish
