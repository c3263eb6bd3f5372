#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds kmod/ as an administrator's `make` (or dkms) would on the guest: in a
# chroot of the guest root image, against each kernel's headers it carries
# (the guest kernel's 6.12 and bookworm's 6.1), with warnings as errors.
# Prints "ok/not ok kmod-build: ..." lines for run-vm.sh and puts the module
# built for the guest kernel in OUT_DIR, which the payload carries.
#
# Usage: build-kmod.sh IMAGE_DIR KMOD_SRC OUT_DIR
# Needs root (a read-only loop mount in a private mount namespace: nothing
# stays mounted on the host, whatever happens).
set -uo pipefail
img=${1:?usage: build-kmod.sh IMAGE_DIR KMOD_SRC OUT_DIR}
src=${2:?usage}
out=${3:?usage}
kver=$(cat "$img/kernel-version" 2>/dev/null)
mkdir -p "$out"
if [ -z "$kver" ] || [ ! -f "$img/root.img" ]; then
        echo "not ok kmod-build: the guest image $img has a root.img and a kernel-version"
        exit 0
fi

exec unshare --mount --propagation private bash -s "$img" "$src" "$out" "$kver" <<'INNER'
img=$1 src=$2 out=$3 kver=$4
mnt=$(mktemp -d /tmp/defragd-kbuild.XXXXXX)
trap 'umount -R "$mnt" 2>/dev/null; rmdir "$mnt" 2>/dev/null' EXIT
# noload: never replay a journal on an image others may be booting.
if ! err=$(mount -o loop,ro,noload "$img/root.img" "$mnt" 2>&1); then
        echo "not ok kmod-build: mount the guest root read-only ($err)"
        exit 0
fi
# Writable scratch and the pseudo file systems kbuild's shell snippets use.
mount -t tmpfs -o size=256m,mode=1777 tmpfs "$mnt/tmp"
mount --bind /dev "$mnt/dev"
mount -t proc proc "$mnt/proc"
found=0
for h in "$mnt"/usr/src/linux-headers-*; do
        [ -f "$h/Module.symvers" ] || continue # the -common halves
        name=$(basename "$h")
        v=${name#linux-headers-}
        found=$((found + 1))
        b=/tmp/kmod-$v
        mkdir -p "$mnt$b"
        cp "$src"/Kbuild "$src"/Makefile "$src"/*.c "$src"/*.h "$mnt$b/"
        t0=$(date +%s%N)
        if chroot "$mnt" make -C "/usr/src/$name" M="$b" KCFLAGS=-Werror modules >"$mnt$b/build.log" 2>&1; then
                ms=$((($(date +%s%N) - t0) / 1000000))
                vm=$(chroot "$mnt" modinfo -F vermagic "$b/defragd_clear.ko" 2>/dev/null)
                echo "ok kmod-build: builds against $name in a chroot of the guest root, -Werror ($ms ms; vermagic $vm)"
                if [ "$v" = "$kver" ]; then
                        cp "$mnt$b/defragd_clear.ko" "$out/defragd_clear.ko"
                        echo "$ms" >"$out/build-ms"
                fi
        else
                echo "not ok kmod-build: builds against $name in a chroot of the guest root, -Werror"
                tail -n 25 "$mnt$b/build.log" | sed 's/^/#    /'
        fi
done
if [ ! -f "$mnt/usr/src/linux-headers-$kver/Module.symvers" ]; then
        echo "not ok kmod-build: the guest root carries the headers of its kernel $kver (tests/vm/packages.txt)"
fi
[ "$found" -ge 2 ] || echo "not ok kmod-build: the guest root carries two header sets (6.12 and 6.1), found $found"
# Leaving the namespace unmounts everything; the loop device clears itself.
INNER
