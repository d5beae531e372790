#!/usr/bin/env bash
# Fetches Debian cloud kernel images for the VM test matrix into a cache outside the repository.
#
#   tests/vm/fetch-kernel.sh ALIAS...      (ALIAS: 5.10 6.1 6.12 latest)
#
# Writes $BCCC_VM_CACHE/kernels/<alias>/{vmlinuz,config,btf,package} and prints that directory per
# alias: the boot image, the kernel's build configuration (from the image package, or for sid's
# linux-binary-* packages from the matching linux-base-* package), and the kernel's raw BTF (the
# .BTF section of the vmlinux inside vmlinuz), from which the VM test reads what each kernel
# supports. A cached kernel is reused without touching the network. Downloads go through `apt-get download` with a private
# apt configuration (sources, lists, cache and dpkg status under $BCCC_VM_CACHE/apt) so the host's
# apt state is never read or written. Candidates are tried newest first; when the pool no longer
# has a .deb the index still lists (Debian security drops old ABIs), the next version of the
# series is tried. Failing every candidate is an error, never a silent skip.
# The private apt setup is tools/apt-private.sh (mirrors: BCCC_VM_DEBIAN_MIRROR /
# BCCC_VM_SECURITY_MIRROR override the host's).
set -euo pipefail

cache=${BCCC_VM_CACHE:-/var/cache/bccc-vm}
apt_dir=$cache/apt

die() { echo "fetch-kernel: $*" >&2; exit 1; }

[ $# -gt 0 ] || die "usage: $0 ALIAS... (5.10 6.1 6.12 latest)"

# The package-name pattern and the suites an alias draws from.
alias_pattern() {
	case $1 in
	5.10) echo '^linux-image-5\.10\.[0-9]+-[0-9]+-cloud-amd64-unsigned$' ;;
	6.1) echo '^linux-image-6\.1\.[0-9]+-[0-9]+-cloud-amd64-unsigned$' ;;
	6.12) echo '^linux-image-6\.12\.[0-9]+\+deb[0-9]+-cloud-amd64-unsigned$' ;;
	latest) echo '^(linux-binary-[0-9.]+\+deb[0-9]+-cloud-amd64|linux-image-[0-9.]+(-[0-9]+|\+deb[0-9]+)-cloud-amd64-unsigned)$' ;;
	*) die "unknown kernel alias '$1' (known: 5.10 6.1 6.12 latest)" ;;
	esac
}

# shellcheck source=../../tools/apt-private.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../tools/apt-private.sh"

# Prints "version package" candidates for an alias, newest first.
candidates() {
	local pat pkg
	pat=$(alias_pattern "$1")
	for pkg in $(apt_private apt-cache pkgnames linux- | grep -E "$pat" || true); do
		apt_private apt-cache madison "$pkg" | awk -F' [|] ' -v p="$pkg" '{gsub(/ /,"",$2); print $2, p}'
	done | sort -u | sort -k1,1 -V -r
}

# Unpacks a downloaded deb into the alias directory.
install_deb() { # $1 deb, $2 package, $3 version, $4 alias dir
	local tmp vmlinuz config
	tmp=$(mktemp -d "$scratch/unpack.XXXXXX")
	dpkg-deb -x "$1" "$tmp"
	vmlinuz=$(find "$tmp/boot" "$tmp/usr/lib/modules" -maxdepth 2 -name 'vmlinuz*' -type f 2>/dev/null | head -n1 || true)
	config=$(find "$tmp/boot" -maxdepth 1 -name 'config-*' -type f 2>/dev/null | head -n1 || true)
	if [ -z "$vmlinuz" ]; then
		rm -rf "$tmp"
		return 1
	fi
	local stage=$4.tmp.$$
	rm -rf "$stage"
	mkdir -p "$stage"
	cp "$vmlinuz" "$stage/vmlinuz"
	[ -n "$config" ] && cp "$config" "$stage/config"
	echo "$2 $3" >"$stage/package"
	rm -rf "$tmp" "$4"
	mv "$stage" "$4"
}

# Downloads one exact package version into a fresh directory under the cache, printing the .deb.
download() { # $1 package, $2 version, $3 work dir
	local deb
	(cd "$3" && apt_private apt-get -q download "$1=$2" >&2) || return 1
	# apt names the file with '+' escaped as %2b: take the only .deb there is.
	deb=$(find "$3" -maxdepth 1 -name '*.deb' | head -n1)
	[ -n "$deb" ] && echo "$deb"
}

# sid's linux-binary-ABI packages hold only the image; the config is in linux-base-ABI.
fetch_config() { # $1 alias dir
	local pkg ver base work deb tmp config
	read -r pkg ver <"$1/package"
	case $pkg in
	linux-binary-*) base=linux-base-${pkg#linux-binary-} ;;
	*) die "$1: package $pkg shipped no config" ;;
	esac
	update_once
	work=$(mktemp -d "$scratch/dl.XXXXXX")
	deb=$(download "$base" "$ver" "$work") || die "cannot download $base=$ver for the kernel config"
	tmp=$work/x
	dpkg-deb -x "$deb" "$tmp"
	config=$(find "$tmp/usr/lib/modules" "$tmp/boot" -maxdepth 2 -name 'config*' -type f 2>/dev/null | head -n1 || true)
	[ -n "$config" ] || die "$base=$ver has no kernel config"
	cp "$config" "$1/config.tmp"
	mv "$1/config.tmp" "$1/config"
	rm -rf "$work"
}

# The vmlinux inside a bzImage is compressed (Debian: lz4 for 5.10/6.1, zstd later); try each
# decompressor at each offset of its magic until one yields an ELF, then keep its .BTF section.
extract_btf() { # $1 alias dir
	local tmp spec tool magic off objcopy
	objcopy=$(command -v llvm-objcopy-19 || command -v llvm-objcopy || command -v objcopy) ||
		die "no objcopy (install llvm-19)"
	tmp=$(mktemp -d "$scratch/btf.XXXXXX")
	for spec in 'lz4:\x02\x21\x4c\x18' 'zstd:\x28\xb5\x2f\xfd' 'xz:\xfd\x37\x7a\x58\x5a\x00' 'gzip:\x1f\x8b\x08'; do
		tool=${spec%%:*} magic=${spec#*:}
		command -v "$tool" >/dev/null || die "$tool missing (./x.sh deps installs it)"
		for off in $(LC_ALL=C grep -obUaP "$magic" "$1/vmlinuz" | cut -d: -f1); do
			tail -c +$((off + 1)) "$1/vmlinuz" | "$tool" -dc >"$tmp/vmlinux" 2>/dev/null || true
			[ "$(head -c4 "$tmp/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || continue
			if "$objcopy" --dump-section .BTF="$tmp/btf" "$tmp/vmlinux" "$tmp/stripped" 2>/dev/null &&
				[ -s "$tmp/btf" ]; then
				mv "$tmp/btf" "$1/btf"
				rm -rf "$tmp"
				return
			fi
		done
	done
	rm -rf "$tmp"
	die "$1/vmlinuz: found no vmlinux with a .BTF section inside"
}

# Fills in what a kernel directory lacks (caches made by older versions of this script too).
complete_alias() { # $1 alias dir
	[ -s "$1/config" ] || fetch_config "$1"
	[ -s "$1/btf" ] || extract_btf "$1"
}

fetch_alias() {
	local alias=$1 dir=$cache/kernels/$1 ver pkg deb tried=0 work
	if [ -s "$dir/vmlinuz" ]; then
		echo "fetch-kernel: $alias cached ($(cat "$dir/package"))" >&2
		complete_alias "$dir"
		echo "$dir"
		return
	fi
	alias_pattern "$alias" >/dev/null
	update_once
	work=$(mktemp -d "$scratch/dl.XXXXXX")
	while read -r ver pkg; do
		[ -n "$pkg" ] || continue
		tried=$((tried + 1))
		echo "fetch-kernel: $alias: trying $pkg=$ver" >&2
		if (cd "$work" && apt_private apt-get -q download "$pkg=$ver" >&2); then
			deb=$(find "$work" -maxdepth 1 -name '*.deb' | head -n1)
			if [ -n "$deb" ] && install_deb "$deb" "$pkg" "$ver" "$dir"; then
				rm -rf "$work"
				complete_alias "$dir"
				echo "fetch-kernel: $alias -> $pkg $ver" >&2
				echo "$dir"
				return
			fi
			echo "fetch-kernel: $alias: $pkg=$ver has no vmlinuz, next candidate" >&2
			rm -f "$work"/*.deb
		else
			echo "fetch-kernel: $alias: $pkg=$ver download failed, falling back" >&2
		fi
	done < <(candidates "$alias")
	rm -rf "$work"
	[ "$tried" -gt 0 ] || die "$alias: no package matches $(alias_pattern "$alias") in the private apt lists"
	die "$alias: all $tried candidates failed to download"
}

mkdir -p "$cache/kernels" || die "cannot create $cache (set BCCC_VM_CACHE)"
# Downloads and unpacking happen under one scratch directory, removed however we exit.
scratch=$(mktemp -d "$cache/tmp.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
for a in "$@"; do
	fetch_alias "$a"
done
# apt's binary caches (~175 MB) are rebuilt from the lists on the next update; don't keep them.
rm -f "$apt_dir"/cache/*.bin
