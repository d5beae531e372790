#!/usr/bin/env bash
# Fetches Debian's kernel header packages for the kernels the header-set generator compares.
#
#   tools/kheaders/fetch.sh ALIAS...      (ALIAS: 5.10 6.1 6.12 latest)
#
# For each alias, tests/vm/fetch-kernel.sh first fetches (or finds cached) the kernel image,
# whose BTF the generator checks against; then the headers of exactly that kernel ABI
# (linux-headers-<abi>-common and linux-headers-<abi>-amd64, same version) are downloaded with
# the private apt configuration of tools/apt-private.sh and unpacked into
# $BCCC_VM_CACHE/kheaders/<alias>/ (default /var/cache/bccc-vm). Prints one line per alias:
# "ALIAS HEADERS_DIR KERNEL_DIR", where HEADERS_DIR holds usr/src/linux-headers-<abi>-{common,amd64}
# and KERNEL_DIR holds btf, config and package. A cached alias is reused without the network.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${BCCC_VM_CACHE:-/var/cache/bccc-vm}
apt_dir=$cache/apt

die() { echo "kheaders-fetch: $*" >&2; exit 1; }
# shellcheck source=../apt-private.sh
. "$here/../apt-private.sh"

[ $# -gt 0 ] || die "usage: $0 ALIAS... (5.10 6.1 6.12 latest)"

# The ABI of a kernel image package: linux-image-5.10.0-43-cloud-amd64-unsigned -> 5.10.0-43,
# linux-binary-7.2.13+deb14-cloud-amd64 -> 7.2.13+deb14.
abi_of() {
	local p=${1#linux-image-}
	p=${p#linux-binary-}
	echo "${p%%-cloud-amd64*}"
}

fetch_alias() { # $1 alias
	local kdir pkg ver abi out work deb
	kdir=$("$here/../../tests/vm/fetch-kernel.sh" "$1" | tail -n1)
	read -r pkg ver <"$kdir/package"
	abi=$(abi_of "$pkg")
	out=$cache/kheaders/$1
	if [ -f "$out/package" ] && [ "$(cat "$out/package")" = "$abi $ver" ]; then
		echo "$1 $out $kdir"
		return
	fi
	update_once
	work=$(mktemp -d "$cache/tmp.XXXXXX")
	for flavour in common amd64; do
		(cd "$work" && apt_private apt-get -q download "linux-headers-$abi-$flavour=$ver" >&2) ||
			die "$1: cannot download linux-headers-$abi-$flavour=$ver"
	done
	rm -rf "$out.tmp"
	mkdir -p "$out.tmp"
	for deb in "$work"/*.deb; do
		dpkg-deb -x "$deb" "$out.tmp"
	done
	echo "$abi $ver" >"$out.tmp/package"
	rm -rf "$work" "$out"
	mv "$out.tmp" "$out"
	echo "$1 $out $kdir"
}

mkdir -p "$cache/kheaders" || die "cannot create $cache (set BCCC_VM_CACHE)"
for a in "$@"; do
	fetch_alias "$a"
done
rm -f "$apt_dir"/cache/*.bin
