#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds (or reuses) the Debian 12 guest: an ext4 root image with systemd as
# PID 1 plus the cloud kernel extracted for direct -kernel boot.
#
# Usage: mkimage.sh CACHE_DIR
# Prints the image directory (CACHE_DIR/image-<key>) on stdout. The key hashes
# packages.txt and this script, so a second run reuses the image. Exit 77 with
# the reason on stderr when the image cannot be built here (not root, no
# mmdebstrap, no mirror reachable); any other failure is a defect (exit 1).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${1:?usage: mkimage.sh CACHE_DIR}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
skip() { echo "mkimage: SKIP: $*" >&2; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "building the guest root needs root (mmdebstrap --mode=root, mkfs.ext4 -d keeping owners)"
command -v mmdebstrap >/dev/null || skip "mmdebstrap is not installed (apt-get install mmdebstrap)"
command -v mkfs.ext4 >/dev/null || skip "mkfs.ext4 is not installed (e2fsprogs)"

key=$(cat "$here/packages.txt" "$here/mkimage.sh" | sha256sum | cut -c1-16)
img="$cache/image-$key"
mkdir -p "$cache"

# One builder at a time; others wait and then reuse the result.
exec 9>"$cache/.lock"
flock 9
if [ -f "$img/ok" ]; then
        touch "$img/used"
        echo "$img"
        exit 0
fi

packages=$(grep -v '^[[:space:]]*#' "$here/packages.txt" | grep -v '^[[:space:]]*$' | paste -sd, -)
sources=/etc/apt/sources.list.d/debian.sources
[ -f "$sources" ] || sources=/etc/apt/sources.list
[ -f "$sources" ] || skip "no apt sources on this host ($sources) to build the guest from"

tmp="$cache/.build-$key"
rm -rf "$tmp"
mkdir -p "$tmp"
log="$cache/mkimage-$key.log"
echo "mkimage: building $img (log: $log)" >&2
start=$(date +%s)

# The guest's own pieces that do not change with the project: a target that
# pulls in multi-user.target and then the runner, and a runner bootstrap that
# unpacks the per-run payload (the project install plus the scenarios) from
# the second, virtio disk and hands over to it. Everything else comes from the
# payload, so editing a scenario never rebuilds the image.
cat >"$tmp/defragd-vm.target" <<'EOF'
[Unit]
Description=defragd guest test run
Requires=multi-user.target
After=multi-user.target
Wants=defragd-vm-runner.service
AllowIsolate=yes
EOF
cat >"$tmp/defragd-vm-runner.service" <<'EOF'
[Unit]
Description=defragd guest scenario runner
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/defragd-vm-boot
StandardOutput=journal+console
StandardError=journal+console
EOF
cat >"$tmp/defragd-vm-boot" <<'EOF'
#!/bin/bash
# Unpack the payload disk once per run (the root is a snapshot, so a reboot
# inside the run keeps it) and run the scenarios it carries.
out=/dev/ttyS1
stty -F "$out" raw -echo 2>/dev/null || true
if [ ! -e /var/lib/defragd-vm/unpacked ]; then
        modprobe virtio_blk 2>/dev/null || true
        for _ in $(seq 1 100); do [ -b /dev/vda ] && break; sleep 0.2; done
        if [ ! -b /dev/vda ]; then
                echo "Bail out! no payload disk /dev/vda in the guest" >"$out"
                systemctl poweroff
                exit 1
        fi
        if ! tar -x --keep-directory-symlink --no-same-owner -C / -f /dev/vda; then
                echo "Bail out! cannot unpack the payload from /dev/vda" >"$out"
                systemctl poweroff
                exit 1
        fi
        mkdir -p /var/lib/defragd-vm
        touch /var/lib/defragd-vm/unpacked
fi
/usr/lib/defragd-vm/guest-run.sh "$out"
rc=$?
if [ $rc -ne 0 ]; then
        # Never leave the host waiting for its time limit.
        echo "Bail out! guest-run.sh failed (exit $rc)" >"$out"
        systemctl --no-block poweroff
fi
EOF

setup_hook='mkdir -p "$1/etc/kernel" && echo "do_symlinks = no" >"$1/etc/kernel-img.conf"'
customize_hook='
        set -e
        echo defragd-vm >"$1/etc/hostname"
        printf "127.0.0.1 localhost\n127.0.1.1 defragd-vm\n" >"$1/etc/hosts"
        install -m 0644 '"$tmp"'/defragd-vm.target "$1/etc/systemd/system/defragd-vm.target"
        install -m 0644 '"$tmp"'/defragd-vm-runner.service "$1/etc/systemd/system/defragd-vm-runner.service"
        install -D -m 0755 '"$tmp"'/defragd-vm-boot "$1/usr/local/sbin/defragd-vm-boot"
        ln -sf /etc/systemd/system/defragd-vm.target "$1/etc/systemd/system/default.target"
        for u in serial-getty@ttyS0.service getty@tty1.service systemd-timesyncd.service \
                 e2scrub_reap.service apt-daily.timer apt-daily-upgrade.timer; do
                ln -sf /dev/null "$1/etc/systemd/system/$u"
        done
        mkdir -p "$1/var/log/journal"
        rm -f "$1/etc/machine-id"; touch "$1/etc/machine-id"
        : >"$1/etc/fstab"
        cp "$1"/boot/vmlinuz-* '"$tmp"'/vmlinuz
        basename "$1"/boot/vmlinuz-* | sed "s/^vmlinuz-//" >'"$tmp"'/kernel-version
        rm -f "$1"/boot/initrd.img-*
        rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*
'

# gcc-12 is there for kernel modules only (kmod/, built in a chroot of this
# root): its LTO compiler and sanitizer runtimes (~65 MiB) are left out.
if ! mmdebstrap --mode=root --variant=essential --format=directory \
        --include="$packages" \
        --setup-hook="$setup_hook" \
        --customize-hook="$customize_hook" \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/lib/gcc/x86_64-linux-gnu/*/lto1' \
        --dpkgopt='path-exclude=/usr/lib/gcc/x86_64-linux-gnu/*/lib*san*' \
        --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/lib*san.so*' \
        bookworm "$tmp/root" "$sources" >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        rm -rf "$tmp"
        if grep -qiE 'could not resolve|failed to fetch|temporary failure|unable to connect|connection failed' "$log"; then
                skip "mmdebstrap could not reach the Debian mirror (see $log)"
        fi
        echo "mkimage: mmdebstrap failed (see $log)" >&2
        exit 1
fi

# Room for the payload, the journal and the scenarios' files on top of the
# packages; sparse, so only what is written costs disk.
used_mib=$(du -sm "$tmp/root" | cut -f1)
size_mib=$((used_mib + 768))
mkfs.ext4 -q -F -L defragd-vm -d "$tmp/root" "$tmp/root.img" "${size_mib}M" >>"$log" 2>&1
rm -rf "$tmp/root"
kver=$(cat "$tmp/kernel-version")
end=$(date +%s)
echo "$((end - start))" >"$tmp/build-seconds"
touch "$tmp/ok"
rm -rf "$img"
mv "$tmp" "$img"
# Images of other keys are dead weight once nothing built or used them for a day
# (branches that share one cache directory each keep theirs meanwhile).
touch "$img/used"
for old in "$cache"/image-*; do
        [ "$old" = "$img" ] && continue
        [ -n "$(find "$old/used" "$old/ok" -mmin -1440 2>/dev/null)" ] || rm -rf "$old"
done
echo "mkimage: built in $((end - start)) s, ${used_mib} MiB of packages, kernel ${kver:-unknown}" >&2
echo "$img"
