#!/bin/sh
# shellcheck shell=dash disable=SC2086 # pids and fixed paths are single words
# Guest-side driver (busybox sh): runs each named check against the tool binaries copied into
# /test, drives a workload while the tool traces, and prints `ok NAME` or `FAIL NAME: why` (with
# the tool's output) per check, then `N passed, N failed`. Exits 1 when any check failed.
#
#   driver.sh CHECK...    (CHECK: a name below, e.g. opensnoop; NAME:unsupported when the host
#                          found the kernel lacks what NAME needs: then the tool must refuse with a
#                          plain error, not crash and not hang)
#
# Workloads exec /test/uprobe_target (a static binary the host copies in next to the tools):
# busybox runs its own applets without exec, so they would not show up as execs.
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

# finish: waits for the tool (it stops by itself through -d) and checks its exit status, and
# that it had no warning (BTF programs warn when the kernel's prototype does not fit theirs).
finish() {
	wait $tool_pid
	rc=$?
	[ $rc -eq 0 ] || { why="exited with $rc"; return 1; }
	! grep -q '^warning:' $err || { why="warned: $(grep '^warning:' $err | head -n1)"; return 1; }
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

# spawn PATH ARGS...: runs a program in the background, its pid in $child.
spawn() {
	"$@" >/dev/null 2>&1 &
	child=$!
}

# column NAME: the index of a column in the header line of $out (1-based), or empty.
column() {
	head -n1 $out | awk -v n="$1" '{ for (i = 1; i <= NF; i++) if ($i == n) { print i; exit } }'
}

check_fentry_openat2() {
	path=/tmp/bccc-vm-fentry-$$
	start fentry_openat2 -d 2 || return 1
	cat $path 2>/dev/null
	finish || return 1
	line=$(grep -F "$path" $out | head -n1)
	[ -n "$line" ] || { why="no open event for $path"; return 1; }
	# Read at fexit through BTF: how->flags (O_RDONLY with O_LARGEFILE on x86-64) and the
	# return value (-ENOENT: the file does not exist); the latency needs the fentry's timestamp.
	got=$(echo "$line" | awk -v f="$(column FLAGS)" -v r="$(column RET)" -v l="$(column LAT_NS)" \
		'{ print $f, $r, ($l > 0) }')
	[ "$got" = "32768 -2 1" ] || { why="flags ret lat>0 '$got', expected '32768 -2 1': $line"; return 1; }
}

check_lsm_bprm() {
	grep -qw bpf /sys/kernel/security/lsm || {
		why="bpf is not an active LSM: $(cat /sys/kernel/security/lsm)"
		return 1
	}
	start lsm_bprm -d 2 || return 1
	for _ in 1 2 3 4 5; do /test/uprobe_target 0 >/dev/null; done
	finish || return 1
	count=$(tail -n +2 $out | awk '$1 == 0 { print $NF; exit }')
	[ "${count:-0}" -ge 5 ] || { why="uid 0 counted ${count:-0} execs, expected at least 5"; return 1; }
}

# exec_traced TOOL PATH: runs TOOL while the uprobe target, copied to PATH, is executed once
# (its pid in $child).
exec_traced() {
	cp /test/uprobe_target "$2"
	start "$1" -d 2 || return 1
	spawn "$2" 0
	wait $child
	finish
}

check_tpbtf_exec() {
	exec_traced tpbtf_exec /tmp/bccc-vm-tpbtf-$$ || return 1
	line=$(grep -F "/tmp/bccc-vm-tpbtf-$$" $out | head -n1)
	[ -n "$line" ] || { why="no exec event for /tmp/bccc-vm-tpbtf-$$"; return 1; }
	pid=$(echo "$line" | awk -v c="$(column PID)" '{ print $c }')
	[ "$pid" = "$child" ] || { why="pid $pid, expected $child: $line"; return 1; }
}

check_uprobe_count() {
	start uprobe_count -d 2 || return 1
	spawn /test/uprobe_target 7
	wait $child
	finish || return 1
	# Two count tables, each under a `name:` line: 7 calls, arguments 1 + ... + 7 = 28.
	for want in calls:7 arg_sum:28; do
		got=$(awk -v t="${want%:*}:" -v p=$child '
			$0 == t { on = 1; next } on && NF == 0 { on = 0 } on && $1 == p { print $NF; exit }' $out)
		[ "$got" = "${want#*:}" ] || { why="${want%:*} for pid $child is '$got', expected ${want#*:}"; return 1; }
	done
}

check_printk_exec() {
	start printk_exec -d 2 || return 1
	spawn /test/uprobe_target 0
	wait $child
	finish || return 1
	grep -qF "bccc exec by pid $child" $out || { why="no 'bccc exec by pid $child' line"; return 1; }
}

check_runqlat() {
	start runqlat -d 2 || return 1
	for _ in 1 2 3 4 5 6 7 8 9 10; do sleep 0.05; done
	finish || return 1
	grep -q ' : count     distribution' $out || { why="no histogram header"; return 1; }
	rows=$(grep -E ' -> .*\|$' $out | awk '$5 > 0' | wc -l)
	[ "$rows" -ge 1 ] || { why="no histogram rows with counts"; return 1; }
}

check_tp_data_loc() {
	exec_traced tp_data_loc /tmp/bccc-vm-dataloc-$$ || return 1
	line=$(awk -v p=$child '$1 == p' $out | head -n1)
	[ -n "$line" ] || { why="no exec event for pid $child"; return 1; }
	# The file name comes from the __data_loc field filename.
	name=$(echo "$line" | awk -v c="$(column FILENAME)" '{ print $c }')
	[ "$name" = "/tmp/bccc-vm-dataloc-$$" ] || { why="filename '$name': $line"; return 1; }
}

# block_rq_issue's record differs between kernels (ioprio inserted in 6.x, rwbs widened later):
# one direct 4 KiB read at a known offset of the VM's NVMe disk must come out field for field.
check_block_rq() {
	disk=$(ls /sys/block | grep '^nvme' | head -n1)
	[ -n "$disk" ] || { why="no NVMe disk in the guest"; return 1; }
	dev=$(cat /sys/block/$disk/dev)
	start block_rq -d 2 || return 1
	spawn dd if=/dev/$disk of=/dev/null bs=4096 skip=100 count=1 iflag=direct
	wait $child
	finish || return 1
	c_sector=$(column SECTOR)
	line=$(awk -v c=$c_sector -v ma="$(column MAJOR)" -v mi="$(column MINOR)" -v d="$dev" \
		'$c == 800 && $ma ":" $mi == d' $out | head -n1)
	[ -n "$line" ] || { why="no request at sector 800 of $disk ($dev)"; return 1; }
	got=$(echo "$line" | awk -v n="$(column NR_SECTOR)" -v b="$(column BYTES)" \
		-v r="$(column RWBS)" '{ print $n, $b, substr($r, 1, 1), NF }')
	[ "$got" = "8 4096 R 8" ] ||
		{ why="nr_sector bytes rwbs fields '$got', expected '8 4096 R 8' (8 fields: empty cmd): $line"; return 1; }
	# The record's comm is the issuing task's: dd, or the kworker that ran the queue (5.10),
	# whose /proc comm adds the workqueue's name ("kworker/0:1H-kblockd").
	pid=$(echo "$line" | awk -v c="$(column PID)" '{ print $c }')
	comm=$(echo "$line" | awk -v c="$(column COMM)" '{ print $c }')
	[ "$comm" = dd ] && return 0
	task=$(cat /proc/$pid/comm 2>/dev/null)
	[ -n "$comm" ] && [ "${task#"$comm"}" != "$task" ] ||
		{ why="comm '$comm' is neither dd nor pid $pid's ('$task'): $line"; return 1; }
}

# NAME:unsupported: the kernel lacks what the tool needs; it must say so and exit non-zero.
check_unsupported() {
	tool=$1
	[ -x "/test/$tool" ] || { why="/test/$tool missing"; return 1; }
	timeout 60 "/test/$tool" -d 1 >$out 2>$err
	rc=$?
	[ $rc -ne 0 ] || { why="ran although the kernel lacks what it needs"; return 1; }
	[ $rc -ne 124 ] || { why="hung"; return 1; }
	! grep -q panicked $err || { why="panicked"; return 1; }
	[ -s $err ] || { why="exited with $rc without a message"; return 1; }
	echo "  $tool refused: $(head -n1 $err)"
}

# fexit_long_ret:warns|quiet: a variant of fentry_openat2 declaring do_sys_openat2's result
# long; the host read from this kernel's BTF whether the function returns something narrower,
# and so whether the tool must warn before tracing.
check_widened() {
	start fexit_long_ret -d 2 || return 1
	cat /tmp/bccc-vm-widened-$$ 2>/dev/null
	wait $tool_pid
	rc=$?
	[ $rc -eq 0 ] || { why="exited with $rc"; return 1; }
	grep -qF /tmp/bccc-vm-widened-$$ $out || { why="no open event"; return 1; }
	n=$(grep -c '^warning: fexit do_sys_openat2 (.*): `long ret` is 8 bytes' $err)
	want=0
	[ "$1" = warns ] && want=1
	[ "$n" -eq $want ] || { why="expected $want warning(s) about long ret, saw $n"; return 1; }
	[ $want -eq 0 ] || echo "  $(grep '^warning:' $err)"
}

echo "kernel $(uname -r)"
for c in "$@"; do
	why=
	: >$out
	: >$err
	t0=$(cut -d' ' -f1 /proc/uptime)
	if [ "${c%:unsupported}" != "$c" ]; then
		check_unsupported "${c%:unsupported}"
		st=$?
	elif [ "${c%%:*}" = fexit_long_ret ]; then
		check_widened "${c#*:}"
		st=$?
	elif type "check_$c" >/dev/null 2>&1; then
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
