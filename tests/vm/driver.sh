#!/bin/sh
# shellcheck shell=dash disable=SC2086 # pids and fixed paths are single words
# Runs fixtures, here (tests/live.rs, with dash) and in the VM guest (tests/vm.rs, busybox sh), and
# reports what each printed; the host judges the output against the fixture's expectations.
#
#   driver.sh [NAME=VALUE]... FIXTURE_DIR...
#
# Each FIXTURE_DIR (named after the fixture) holds: `tool` (the built tool), `args` (its
# arguments, shell words that may use the setup's variables), `setup` and `workload` (shell
# scripts), `stop` (INT, TERM or empty: wait for the tool to stop by itself) and `mode` (`run`, or
# `refuse` when the kernel lacks what the fixture needs: then the tool runs for a second with no
# workload and must refuse). The NAME=VALUE arguments (or the environment) set TARGET (the
# workload binary), DISK (a block device; DISK_MAJOR and DISK_MINOR are read from sysfs) and
# REFUSE (names of fixtures to run in `refuse` mode on this kernel, whatever their `mode` says).
#
# Output per fixture, every line of the tool's output prefixed with `|`:
#   @@bccc begin NAME / mode M / exit N / var K=V... / stdout / stderr / log / end NAME
# Exit status: 0 (the host judges).
READY='Tracing... Hit Ctrl-C to end.'
# Seconds a tool may take to become ready or to stop before it is killed (exit 124).
LIMIT=${BCCC_DRIVER_LIMIT:-60}

# wait_ready: polls the tool's stderr for its ready line; 1 when the tool died first or timed out.
wait_ready() {
	n=0
	while ! grep -qF "$READY" $TMP/.err; do
		kill -0 $tool_pid 2>/dev/null || return 1
		n=$((n + 1))
		[ $n -le $((LIMIT * 10)) ] || return 1
		sleep 0.1
	done
}

# finish: waits for the tool with a watchdog; sets rc (124 when the watchdog fired).
finish() {
	# The watchdog's output goes nowhere: an orphaned sleep holding our stdout would keep the
	# reader of this script's output waiting.
	(
		sleep $LIMIT
		kill -KILL $tool_pid
	) >/dev/null 2>&1 &
	dog=$!
	wait $tool_pid
	rc=$?
	if kill -0 $dog 2>/dev/null; then
		kill $dog 2>/dev/null
		wait $dog 2>/dev/null
	else
		rc=124
	fi
}

frame() { # NAME
	echo "@@bccc begin $1"
	echo "@@bccc mode $mode"
	echo "@@bccc exit $rc"
	for v in TMP TARGET DISK DISK_MAJOR DISK_MINOR; do
		eval "val=\${$v:-}"
		[ -n "$val" ] && echo "@@bccc var $v=$val"
	done
	awk -F= 'NF >= 2 && $1 ~ /^[A-Za-z_][A-Za-z0-9_]*$/ { print "@@bccc var " $0 }' $VARS
	for part in stdout stderr log; do
		echo "@@bccc $part"
		awk '{ print "|" $0 }' $TMP/.$part
	done
	echo "@@bccc end $1"
}

run_fixture() { # DIR
	dir=$1
	mode=$(cat $dir/mode)
	case " ${REFUSE:-} " in
	*" $(basename $dir) "*) mode=refuse ;;
	esac
	: >$TMP/.stdout
	: >$TMP/.err
	: >$TMP/.log
	if [ "$mode" = refuse ]; then
		$dir/tool -d 1 >$TMP/.stdout 2>$TMP/.err &
		tool_pid=$!
		finish
		return
	fi
	sh $dir/setup >>$TMP/.log 2>&1
	# The arguments may name what the setup recorded (`--targ-pid ${target}`).
	set -a
	. $VARS
	set +a
	eval "set -- $(cat $dir/args)"
	$dir/tool "$@" >$TMP/.stdout 2>$TMP/.err &
	tool_pid=$!
	if wait_ready; then
		sh $dir/workload >>$TMP/.log 2>&1
		stop=$(cat $dir/stop)
		[ -z "$stop" ] || kill -$stop $tool_pid
	else
		echo "driver: the tool did not print its ready line" >>$TMP/.log
		kill -INT $tool_pid 2>/dev/null
	fi
	finish
}

while [ $# -gt 0 ] && [ "${1#*=}" != "$1" ]; do
	export "$1"
	shift
done
if [ -n "${DISK:-}" ] && [ -z "${DISK_MAJOR:-}" ] && [ -e /sys/block/${DISK##*/}/dev ]; then
	dev=$(cat /sys/block/${DISK##*/}/dev)
	export DISK_MAJOR=${dev%:*} DISK_MINOR=${dev#*:}
fi

for dir in "$@"; do
	name=$(basename $dir)
	TMP=$(mktemp -d /tmp/bccc-$name.XXXXXX)
	VARS=$TMP/.vars
	: >$VARS
	export TMP VARS
	rc=
	run_fixture $dir
	cp $TMP/.err $TMP/.stderr
	frame $name
	# Everything the run left is in the frame; the directory goes (the host runs hundreds).
	rm -rf $TMP
done
exit 0
