#!/usr/bin/env bash
# Runs the guest driver with a batch of tools on every kernel of the matrix, two VMs at a time.
#
#   tests/vm/matrix.sh TOOL_DIR CHECK...
#
# TOOL_DIR holds the static tools (built by `bccc build`) named after the checks. Kernels come
# from $BCCC_VM_KERNELS (default "5.10 6.1 6.12 latest"), fetched/cached by fetch-kernel.sh.
# Prints each kernel's driver output under a `== kernel ALIAS` heading, then
# `N passed, N failed` counting kernels. Exits 1 when any kernel failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 2 ] || { echo "usage: $0 TOOL_DIR CHECK..." >&2; exit 2; }
tools=$1
shift
kernels=${BCCC_VM_KERNELS:-5.10 6.1 6.12 latest}
# shellcheck disable=SC2086
"$here/fetch-kernel.sh" $kernels >/dev/null
cache=${BCCC_VM_CACHE:-/var/cache/bccc-vm}
files=
for c in "$@"; do files="$files $tools/$c"; done
export BCCC_VM_FILES="${files# }"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
run_one() {
	local start=$SECONDS rc=0
	"$here/run.sh" "$cache/kernels/$1" "$here/driver.sh" "${@:2}" >"$logs/$1.out" 2>&1 || rc=$?
	echo "$rc $((SECONDS - start))" >"$logs/$1.rc"
}
set -- "$@"
running=0
for k in $kernels; do
	run_one "$k" "$@" &
	running=$((running + 1))
	if [ "$running" -ge 2 ]; then wait -n || true; running=$((running - 1)); fi
done
wait
ok=0 bad=0
for k in $kernels; do
	read -r rc secs <"$logs/$k.rc"
	echo "== kernel $k ($(cat "$cache/kernels/$k/package")): exit $rc in ${secs}s"
	cat "$logs/$k.out"
	if [ "$rc" -eq 0 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
done
echo "$ok passed, $bad failed"
[ "$bad" -eq 0 ]
