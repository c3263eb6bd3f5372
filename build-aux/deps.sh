#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs what building, running and testing defragd needs on Debian 12.
# Idempotent and quiet when everything is already there.
set -euo pipefail

packages=(
        # build
        meson ninja-build pkg-config gcc libc6-dev
        libsystemd-dev libbpf-dev libcgroup-dev libinih-dev
        # BPF probes: clang compiles them, bpftool makes vmlinux.h and the skeleton
        clang llvm bpftool libelf-dev zlib1g-dev
        # tests: json checks, sanitizer runtime
        python3 libasan8 libubsan1
        # guest tests (systemd host under qemu)
        mmdebstrap qemu-system-x86 qemu-utils
        # benchmarks
        gnuplot-nox hyperfine
        # -- helpers append below this line --
        # vm (issue 4): man-page lint (groff -ww), guest image (mkfs.ext4 -d)
        groff-base e2fsprogs
        # metrics (issue 12): promtool checks the exposition and the alert
        # rules; the OpenMetrics parser reads the other format back. (On a
        # systemd host the package also starts a Prometheus server on :9090:
        # `systemctl disable --now prometheus` if it should not run there.)
        prometheus python3-prometheus-client
)

if [ "$(id -u)" -ne 0 ]; then
        echo "deps.sh: needs root to run apt-get (try: sudo $0)" >&2
        exit 1
fi

missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
        exit 0
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
