#!/bin/sh
# shellcheck shell=dash disable=SC2086 # pids and fixed paths are single words
# Guest-side driver (busybox sh): runs each named check against the tool binaries copied into
# /test, drives a workload while the tool traces, and prints `ok NAME` or `FAIL NAME: why` (with
# the tool's output) per check, then `N passed, N failed`. Exits 1 when any check failed.
#
#   driver.sh CHECK...    (CHECK: opensnoop exitsnoop kprobe_nanosleep kprobe_openat2
#                          rawtp_switch syscount)
READY='Tracing... Hit Ctrl-C to end.'
passed=0
failed=0
out=/tmp/out
err=/tmp/err

# start TOOL ARGS...: runs /test/TOOL in the background and waits for its ready line.
start() {
	tool=$1
	shift
	if [ ! -x "/test/$tool" ]; then
		why="/test/$tool missing"
		return 1
	fi
	"/test/$tool" "$@" >$out 2>$err &
	tool_pid=$!
	n=0
	while ! grep -qF "$READY" $err; do
		if ! kill -0 $tool_pid 2>/dev/null; then
			wait $tool_pid
			why="exited with $? before becoming ready"
			return 1
		fi
		n=$((n + 1))
		if [ $n -gt 600 ]; then
			kill -INT $tool_pid
			wait $tool_pid
			why="not ready after 60s"
			return 1
		fi
		sleep 0.1
	done
}

# finish: waits for the tool (it stops by itself through -d) and checks its exit status.
finish() {
	wait $tool_pid
	rc=$?
	[ $rc -eq 0 ] && return 0
	why="exited with $rc"
	return 1
}

report() { # NAME STATUS
	if [ "$2" -eq 0 ]; then
		echo "ok $1"
		passed=$((passed + 1))
	else
		echo "FAIL $1: $why"
		echo "--- $1 stdout"
		cat $out
		echo "--- $1 stderr"
		cat $err
		echo "---"
		failed=$((failed + 1))
	fi
}

check_opensnoop() {
	path=/tmp/bccc-vm-open-$$
	start opensnoop -d 2 || return 1
	for _ in 1 2 3; do cat $path 2>/dev/null; done
	finish || return 1
	head -n1 $out | grep -q 'PID.*COMM.*FNAME' || { why="header lacks PID COMM FNAME"; return 1; }
	hits=$(grep -cF "$path" $out)
	[ "$hits" -eq 3 ] || { why="expected 3 opens of $path, saw $hits"; return 1; }
}

check_exitsnoop() {
	start exitsnoop -d 2 || return 1
	sh -c 'exit 3' &
	child=$!
	wait $child
	finish || return 1
	line=$(awk -v c=$child '$1 == c' $out)
	[ -n "$line" ] || { why="no exit of pid $child"; return 1; }
	# The parent pid is read through task->real_parent->tgid (CO-RE).
	echo "$line" | tr ' ' '\n' | grep -qx "$$" || { why="parent $$ missing: $line"; return 1; }
}

check_kprobe_nanosleep() {
	start kprobe_nanosleep -d 2 || return 1
	for _ in 1 2 3 4 5; do sleep 0.1; done
	finish || return 1
	rows=$(grep -E ' -> .*\|$' $out | awk '$5 > 0' | wc -l)
	[ "$rows" -ge 1 ] || { why="no histogram rows with counts"; return 1; }
}

check_kprobe_openat2() {
	path=/tmp/bccc-vm-openat2-$$
	start kprobe_openat2 -d 2 || return 1
	cat $path 2>/dev/null
	finish || return 1
	grep -qF "$path" $out || { why="no open event for $path"; return 1; }
}

check_rawtp_switch() {
	start rawtp_switch -d 1 || return 1
	sleep 0.2
	finish || return 1
	sum=$(tail -n +2 $out | awk '$NF ~ /^[0-9]+$/ { s += $NF } END { print s + 0 }')
	[ "$sum" -gt 0 ] || { why="no switches counted"; return 1; }
}

check_syscount() {
	rm -f /tmp/go
	# The workload waits for /tmp/go, then stats / 50 times (`[ -e ]` is a busybox builtin).
	sh -c 'while [ ! -e /tmp/go ]; do sleep 0.05; done; i=0
		while [ $i -lt 50 ]; do [ -e / ]; i=$((i + 1)); done; sleep 0.3' &
	target=$!
	start syscount -d 2 --targ-pid $target || { kill $target; return 1; }
	touch /tmp/go
	wait $target
	finish || return 1
	tail -n +2 $out | grep -q . || { why="no rows"; return 1; }
	others=$(tail -n +2 $out | awk -v p=$target 'NF && $1 != p' | wc -l)
	[ "$others" -eq 0 ] || { why="the filter let other pids in"; return 1; }
	count=$(tail -n +2 $out | awk -v p=$target '$1 == p { print $NF; exit }')
	[ "${count:-0}" -ge 50 ] || { why="counted ${count:-0} syscalls for 50 stats"; return 1; }
}

echo "kernel $(uname -r)"
for c in "$@"; do
	why=
	: >$out
	: >$err
	t0=$(cut -d' ' -f1 /proc/uptime)
	if type "check_$c" >/dev/null 2>&1; then
		"check_$c"
		st=$?
	else
		why="no such check"
		st=1
	fi
	t1=$(cut -d' ' -f1 /proc/uptime)
	report "$c" $st
	echo "  ($c took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')s)"
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
