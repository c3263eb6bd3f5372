#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The exposition and the monitoring files through the tools that consume
# them: `promtool check metrics` (Prometheus text) on every captured state,
# the prometheus_client OpenMetrics parser, `promtool check rules` and
# `promtool test rules` on docs/monitoring/defragd.rules.yml, and the
# Grafana dashboard as JSON whose queries name exported families only.
# Skips (77) when promtool is absent (Debian package `prometheus`).
set -u
exe=${1:?usage: test-metrics-tools.sh TEST_METRICS_EXE}
src=${DEFRAGD_SOURCE_ROOT:?}
mon=$src/docs/monitoring
command -v promtool >/dev/null || { echo "SKIP: promtool is not installed (apt-get install prometheus; build-aux/deps.sh lists it)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

for root in live-6.18-idle live-6.18-fragmented live-6.18-contended numa-2node arm64-16k-12orders linux-4.19-nopsi; do
        "$exe" --print "$root" >"$tmp/$root.prom" || { bad "$root: render"; continue; }
        # promtool prints lint problems and exits 1 on any (it reads stdin).
        if out=$(promtool check metrics <"$tmp/$root.prom" 2>&1); then
                echo "ok: promtool check metrics ($root, $(grep -vc '^#' "$tmp/$root.prom") series)${out:+: $out}"
        else
                bad "promtool check metrics ($root): $out"
        fi
        "$exe" --print "$root" --openmetrics >"$tmp/$root.om" || { bad "$root: render openmetrics"; continue; }
        if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import prometheus_client.openmetrics.parser' 2>/dev/null; then
                if out=$(/usr/bin/python3 - "$tmp/$root.om" "$tmp/$root.prom" 2>&1 <<'PY'
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
from prometheus_client.parser import text_string_to_metric_families as prom
a = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in om(open(sys.argv[1]).read()) for s in f.samples}
b = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in prom(open(sys.argv[2]).read()) for s in f.samples}
# the same series and values in both formats
assert a == b, sorted(set(a.items()) ^ set(b.items()))[:5]
print(len(a))
PY
                ); then
                        echo "ok: OpenMetrics parser ($root): $out series, the same as the Prometheus text"
                else
                        bad "OpenMetrics parser ($root): $out"
                fi
        else
                echo "# note: python3-prometheus-client absent, OpenMetrics output checked by test-metrics only"
        fi
done

# The rules: syntax, then behaviour on scripted series.
if out=$(promtool check rules "$mon/defragd.rules.yml" 2>&1); then
        echo "ok: promtool check rules: $(tr '\n' ' ' <<<"$out")"
else
        bad "promtool check rules: $out"
fi
if out=$(cd "$mon" && promtool test rules defragd.rules.test.yml 2>&1); then
        echo "ok: promtool test rules: $(tr '\n' ' ' <<<"$out")"
else
        bad "promtool test rules: $out"
fi

# The dashboard: JSON, and every metric a panel queries is one we export.
if out=$(/usr/bin/python3 - "$mon/defragd-dashboard.json" "$tmp/live-6.18-fragmented.prom" 2>&1 <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
exported = set()
for line in open(sys.argv[2]):
    if line.startswith('# TYPE '):
        name, typ = line.split()[2:4]
        exported.add(name)
        if typ == 'histogram':
            exported.update(name + s for s in ('_bucket', '_sum', '_count'))
panels = [p for p in d['panels'] if p.get('type') != 'row']
assert len(panels) >= 6, len(panels)
missing = []
for p in panels:
    for t in p.get('targets', []):
        for m in re.findall(r'\bdefragd_[a-z_]+', t['expr']):
            if m not in exported:
                missing.append((p['title'], m))
assert not missing, missing
print(len(panels), "panels:", "; ".join(p['title'] for p in panels))
PY
); then
        echo "ok: dashboard JSON: $out"
else
        bad "dashboard: $out"
fi
exit $fail
