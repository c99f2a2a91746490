# shellcheck shell=sh
# bench/lib.sh: what the run-bench*.sh scripts share, sourced by each
# after it sets BENCH_NAME (its own name, for messages and its temporary
# directory) and BENCH (the netsrvd-bench program): messages, the
# temporary directory and the traps that stop every server a script
# started (by pid, from PIDS), key=value parsing, CPU time of a server
# and its descendants, and the wait for a port to serve.

# Word splitting of $(...) and of lists in variables is deliberate here;
# the functions run from traps.
# shellcheck disable=SC2046,SC2086,SC2317,SC2034

say() { printf '%s\n' "$BENCH_NAME: $*" >&2; }
die() { say "$*"; exit 2; }

# FAIL, PIDS (the servers to stop at exit) and tmp, a directory of our own, removed at exit.
bench_start() {
	FAIL=0
	PIDS=
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/netsrvd-${BENCH_NAME#run-}.XXXXXX") || die "mktemp failed"
	chmod 700 "$tmp"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

children_of() {	# children_of PID: the pids whose parent is PID
	for f in /proc/[0-9]*/stat; do
		read -r s 2>/dev/null <"$f" || continue
		s=${s##*) }		# after comm: "STATE PPID ..."
		s=${s#* }
		if [ "${s%% *}" = "$1" ]; then
			f=${f#/proc/}
			printf '%s\n' "${f%/stat}"
		fi
	done
}

# Stop one of our background servers by pid: TERM, 5 s grace, then KILL
# (it and its children); the servers here all reap their children on TERM.
stop_pid() {
	kill -TERM "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
		# A zombie still answers kill -0: reaping it is what ends the wait.
		if [ "$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null)" = Z ]; then
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null && [ $i -ge 50 ]; then
		say "pid $1 ignored SIGTERM for 5 s; killing it and its children"
		kids=$(children_of "$1")
		kill -KILL "$1" 2>/dev/null
		for k in $kids; do
			kill -KILL "$k" 2>/dev/null
		done
	fi
	wait "$1" 2>/dev/null
	return 0
}

cleanup() {
	for p in $PIDS; do
		stop_pid "$p"
	done
	PIDS=
	rm -rf "$tmp"
}

kv() {	# kv KEY LINE: the value of KEY in a key=value line
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# CPU time of a server and all its descendants (up to 8 levels), live and
# reaped, in clock ticks: fields after the ")" of /proc/PID/stat, utime
# the 12th, stime, cutime, cstime after it. cat, not awk, opens the
# files: mawk gives up at the first one that vanished since the glob.
cpu_ticks() {	# cpu_ticks PID
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v top="$1" '
	{
		rest = substr($0, index($0, ") ") + 2); split(rest, f, " ")
		pid = $1
		ppid[pid] = f[2]; own[pid] = f[12] + f[13]; reaped[pid] = f[14] + f[15]
	}
	END {
		for (p in ppid) {
			q = p
			for (d = 0; d < 8 && q != "" && q != top; d++)
				q = ppid[q]
			if (q == top)
				t += own[p] + reaped[p]
		}
		printf "%d\n", t
	}'
}
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)

# PORT answers a connection within 5 s, while PID lives.
wait_serving() {	# wait_serving PORT PID
	i=0
	while [ $i -lt 25 ] && kill -0 "$2" 2>/dev/null; do
		"$BENCH" --mode probe --op connrate --port "$1" --seconds 0.2 >/dev/null 2>&1 && return 0
		i=$((i + 1))
	done
	return 1
}
