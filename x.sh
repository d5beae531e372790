#!/usr/bin/env bash
# bccc's task runner. Every command is idempotent and must run as root (loading BPF needs it).
#
#   ./x.sh deps    install the Debian packages bccc needs (skipped when all are present) and mount
#                  tracefs and bpffs when they are missing
#   ./x.sh demo    deps, install bccc into target/install, compile testdata/opensnoop.c into a
#                  static tool and run it for 5 seconds while opening a few files
#   ./x.sh test    deps, then the whole test suite (unit, snapshot, verifier and live tests, doctests)
#   ./x.sh bench   deps, then bench/bench.py (prints measured figures and ratios; never fails on times)
#   ./x.sh score   deps, then rewrite testdata/dialect/SCORE.md from the conformance suite's results
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

# Build dependencies of the vendored libbpf/libelf/zlib (autotools, flex, bison, gawk, a C
# compiler), the BPF toolchain bccc drives (clang-19, llvm-19, libclang), and what the
# benchmark uses: its hand-written libbpf reference links against libbpf-dev, libelf-dev, zlib
# and zstd, and time(1) measures peak RSS. qemu, busybox-static and cpio boot the other kernels
# of the VM test matrix (tests/vm); lz4, zstd and xz unpack those kernels' vmlinux to read their BTF.
PACKAGES=(
    build-essential pkg-config autoconf automake autopoint flex bison gawk
    clang-19 llvm-19 libclang-19-dev libclang1-19
    bpftool libbpf-dev libelf-dev zlib1g-dev libzstd-dev
    python3 time
    qemu-system-x86 busybox-static cpio lz4 zstd xz-utils
)

say() { printf 'x.sh: %s\n' "$*" >&2; }
die() { printf 'x.sh: error: %s\n' "$*" >&2; exit 1; }

usage() {
    sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

need_root() {
    [ "$(id -u)" -eq 0 ] || die "run as root (e.g. sudo ./x.sh $1): installing packages, mounting tracefs and loading BPF programs need it"
}

need_cargo() {
    if ! command -v cargo >/dev/null 2>&1 && [ -f "$HOME/.cargo/env" ]; then
        # shellcheck disable=SC1091
        . "$HOME/.cargo/env"
    fi
    command -v cargo >/dev/null 2>&1 || die "cargo not found: install a Rust toolchain (1.95 or newer) first"
}

# Prints the packages from PACKAGES that dpkg does not list as installed.
missing_packages() {
    local p status
    for p in "${PACKAGES[@]}"; do
        status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)"
        [ "${status:0:2}" = "ii" ] || printf '%s\n' "$p"
    done
}

mount_if_missing() {
    local fstype="$1" dir="$2" probe="$3"
    [ -e "$probe" ] && return 0
    mkdir -p "$dir"
    mountpoint -q "$dir" || mount -t "$fstype" "$fstype" "$dir" \
        || die "cannot mount $fstype at $dir (needed by BPF tools)"
    [ -e "$probe" ] || die "$fstype is mounted at $dir but $probe is missing"
    say "mounted $fstype at $dir"
}

cmd_deps() {
    need_root deps
    local missing
    missing="$(missing_packages)"
    if [ -n "$missing" ]; then
        # shellcheck disable=SC2086 # one package name per word
        say "installing:" $missing
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        # shellcheck disable=SC2086
        apt-get install -y -q $missing
    else
        say "all ${#PACKAGES[@]} packages are installed"
    fi
    mount_if_missing tracefs /sys/kernel/tracing /sys/kernel/tracing/events
    # bpffs: tools never pin by default, but libbpf and `bpftool` expect it, as BCC does.
    if ! mountpoint -q /sys/fs/bpf; then
        mkdir -p /sys/fs/bpf
        mount -t bpf bpf /sys/fs/bpf || die "cannot mount bpffs at /sys/fs/bpf"
        say "mounted bpffs at /sys/fs/bpf"
    fi
    [ -r /sys/kernel/btf/vmlinux ] \
        || say "warning: /sys/kernel/btf/vmlinux is missing: bccc needs a kernel with BTF (or --btf FILE)"
    need_cargo
}

# Runs the tool in the background, opens a few files it should report, then prints what it printed.
cmd_demo() {
    cmd_deps
    local install="$ROOT/target/install" out="$ROOT/target/demo"
    say "installing bccc into $install (cargo install --path compiler)"
    cargo install --locked --path compiler --root "$install"
    mkdir -p "$out"
    say "bccc build testdata/opensnoop.c -o target/demo/opensnoop"
    "$install/bin/bccc" build testdata/opensnoop.c -o "$out/opensnoop"
    ls -l "$out/opensnoop"

    local log="$out/opensnoop.out" err="$out/opensnoop.err" marker="$out/hello-from-x.sh"
    say "running target/demo/opensnoop -d 5 while opening $marker a few times"
    "$out/opensnoop" -d 5 >"$log" 2>"$err" &
    local pid=$! i
    # Wait (at most 5 s) until the tool says it is attached, so the opens below are traced.
    for i in $(seq 50); do
        grep -q 'Tracing' "$err" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    for i in 1 2 3; do
        echo "demo $i" >"$marker"
        cat "$marker" /etc/hostname >/dev/null
        sleep 0.3
    done
    local rc=0
    wait "$pid" || rc=$?
    cat "$err" >&2
    local lines
    lines="$(wc -l <"$log")"
    if [ "$lines" -le 60 ]; then
        cat "$log"
    else
        head -n 40 "$log"
        echo "... ($((lines - 40)) more lines; the demo's own opens:)"
        grep -F "$marker" "$log" || true
    fi
    [ "$rc" -eq 0 ] || die "opensnoop exited with status $rc"
    grep -qF "$marker" "$log" || die "opensnoop did not report the opens of $marker"
    say "demo done: the tool is $out/opensnoop (static: copy it to any kernel with BTF)"
}

cmd_test() {
    cmd_deps
    say "cargo test --workspace --all-targets"
    cargo test --workspace --all-targets
    say "cargo test --workspace --doc"
    cargo test --workspace --doc
}

cmd_score() {
    cmd_deps
    say "BCCC_UPDATE_SCORE=1 cargo test -p bccc --test conformance"
    BCCC_UPDATE_SCORE=1 cargo test -p bccc --test conformance
}

cmd_bench() {
    cmd_deps
    python3 "$ROOT/bench/bench.py" "$@"
}

main() {
    local cmd="${1:-}"
    [ $# -gt 0 ] && shift
    case "$cmd" in
        deps) cmd_deps ;;
        demo) cmd_demo ;;
        test) cmd_test ;;
        bench) cmd_bench "$@" ;;
        score) cmd_score ;;
        -h | --help | help) usage ;;
        *)
            usage >&2
            exit 2
            ;;
    esac
}

main "$@"
