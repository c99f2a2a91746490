#!/bin/sh
# run-bench-exec.sh: the exec row of `make bench`. Connections per second
# to a service that runs /bin/cat per connection (connect, 64 bytes, read
# them back, close), side by side in interleaved rounds: netsrvd's exec
# handler (access log on), the reference (bench/refexec: N pre-forked
# workers that accept and posix_spawn the program: the limit of the
# design here), tcpserver (ucspi-tcp) and xinetd (a server= service, cps
# and instances unthrottled); and exec-confined: netsrvd's exec service
# again, in a daemon of its own, with the confinement keys of issue 29
# (no_new_privileges, capabilities = [ ], protect_system = "strict",
# private_tmp, syscall_filter, cgroup = { }). Prints a markdown table of
# medians, then exec-confined's means over plain exec's and xinetd's.
#
# usage: run-bench-exec.sh
# env:   NETSRVD NETSRVD_BENCH REFEXEC XINETD (/usr/sbin/xinetd)
#        TCPSERVER (/usr/bin/tcpserver) BENCH_SECONDS (3) BENCH_ROUNDS (3)
#        BENCH_EXEC_WORKERS (4) BENCH_EXEC_CLIENTS (4) BENCH_RAW
# Exit status: 0 when netsrvd and the reference were measured, 1 otherwise,
# 2 usage.

# Word splitting of $(...) and of lists in variables is deliberate here;
# the functions run from traps.
# shellcheck disable=SC2046,SC2086,SC2317

set -u

NETSRVD=${NETSRVD:-}
BENCH=${NETSRVD_BENCH:-}
REFEXEC=${REFEXEC:-}
XINETD=${XINETD:-/usr/sbin/xinetd}
TCPSERVER=${TCPSERVER:-/usr/bin/tcpserver}
SECS=${BENCH_SECONDS:-3}
ROUNDS=${BENCH_ROUNDS:-3}
WORKERS=${BENCH_EXEC_WORKERS:-4}
CLIENTS=${BENCH_EXEC_CLIENTS:-4}
RAW=${BENCH_RAW:-}
PROGRAM=/bin/cat

here=$(dirname "$0")
[ -n "$BENCH" ] || BENCH=$here/netsrvd-bench
[ -n "$REFEXEC" ] || REFEXEC=$here/refexec

BENCH_NAME=run-bench-exec
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

for p in "$BENCH" "$REFEXEC"; do
	[ -x "$p" ] || die "$p is not an executable (build it with 'make bench')"
done
case $SECS$ROUNDS$WORKERS$CLIENTS in
*[!0-9.]*) die "BENCH_SECONDS, BENCH_ROUNDS, BENCH_EXEC_WORKERS, BENCH_EXEC_CLIENTS: numbers" ;;
esac

bench_start

set -- $("$BENCH" --free-port --count 5)
[ $# -eq 5 ] || die "cannot find 5 free ports on 127.0.0.1"
p_netsrvd=$1 p_reference=$2 p_tcpserver=$3 p_xinetd=$4 p_exec_confined=$5
TARGETS=

# --- netsrvd: exec, a static pool, the access log on; and exec-confined ----------------
# start_netsrvd NAME PORT TARGET LABEL KEYS: a daemon of its own serving
# the exec service with KEYS, counted as TARGET once it serves; its pid
# in started.
start_netsrvd() {
	cat >"$tmp/$1.conf" <<EOF
pid_file = "$tmp/$1.pid";
log = { target = "$tmp/$1-access.log"; level = "warning"; connections = true; };
workers = $WORKERS;
max_workers = $WORKERS;
max_per_source = 0;
services = (
  { name = "cat"; protocol = "tcp"; address = "127.0.0.1"; port = $2;
    handler = "exec"; command = [ "$PROGRAM" ];$5
  }
);
EOF
	"$NETSRVD" -f -c "$tmp/$1.conf" 2>"$tmp/$1.err" &
	started=$!
	PIDS="$PIDS $started"
	if wait_serving "$2" "$started"; then
		TARGETS="$TARGETS $3"
	else
		say "$4 does not serve; its stderr:"
		sed 's/^/  | /' "$tmp/$1.err" >&2
		FAIL=1
	fi
}

# exec-confined: the same service, with the sandbox systemd gives a unit
CONFINE_KEYS='
    no_new_privileges = true;
    capabilities = [ ];
    protect_system = "strict";
    private_tmp = true;
    syscall_filter = "system-service";
    cgroup = { };'
if [ -n "$NETSRVD" ] && [ -x "$NETSRVD" ]; then
	start_netsrvd netsrvd "$p_netsrvd" netsrvd netsrvd ""
	pid_netsrvd=$started
	start_netsrvd confined "$p_exec_confined" exec_confined "netsrvd (exec-confined)" "$CONFINE_KEYS"
	# shellcheck disable=SC2034 # read through eval, as pid_$t
	pid_exec_confined=$started
else
	say "netsrvd: '$NETSRVD' is not an executable"
	FAIL=1
fi

# --- the reference ------------------------------------------------------------------
"$REFEXEC" "$p_reference" "$WORKERS" "$PROGRAM" 2>"$tmp/refexec.err" &
pid_reference=$!
PIDS="$PIDS $pid_reference"
if wait_serving "$p_reference" "$pid_reference"; then
	TARGETS="$TARGETS reference"
else
	say "the reference does not serve"
	FAIL=1
fi

# --- tcpserver: fork and exec per connection, no lookups -----------------------------
if [ -x "$TCPSERVER" ]; then
	"$TCPSERVER" -R -H -l 0 -c 1000 -b 128 127.0.0.1 "$p_tcpserver" "$PROGRAM" 2>"$tmp/tcpserver.err" &
	pid_tcpserver=$!
	PIDS="$PIDS $pid_tcpserver"
	wait_serving "$p_tcpserver" "$pid_tcpserver" && TARGETS="$TARGETS tcpserver"
else
	say "note: $TCPSERVER not found; skipping tcpserver (apt-get install ucspi-tcp)"
fi

# --- xinetd: the same program as a server= service ---------------------------------
if [ -x "$XINETD" ]; then
	cat >"$tmp/xinetd.conf" <<EOF
defaults
{
	instances = UNLIMITED
	per_source = UNLIMITED
	cps = 100000 1
	log_type = FILE $tmp/xinetd-svc.log
	log_on_success =
	log_on_failure =
}
service cat
{
	type = UNLISTED
	socket_type = stream
	protocol = tcp
	wait = no
	user = root
	bind = 127.0.0.1
	port = $p_xinetd
	server = $PROGRAM
}
EOF
	"$XINETD" -dontfork -f "$tmp/xinetd.conf" -pidfile "$tmp/xinetd.pid" \
	    -filelog "$tmp/xinetd.log" 2>"$tmp/xinetd.err" &
	pid_xinetd=$!
	PIDS="$PIDS $pid_xinetd"
	wait_serving "$p_xinetd" "$pid_xinetd" && TARGETS="$TARGETS xinetd"
else
	say "note: $XINETD not found; skipping xinetd (apt-get install xinetd)"
fi

# --- an idle exec worker's memory -----------------------------------------------------
MEM=
case " $TARGETS " in *" netsrvd "*) MEM=$("$BENCH" --mode mem --pid "$pid_netsrvd") ;; esac

# --- the rounds ---------------------------------------------------------------------------
: >"$tmp/results"
r=1
while [ $r -le "$ROUNDS" ]; do
	for t in $TARGETS; do
		p='' sp=''
		eval "p=\$p_$t sp=\$pid_$t"
		say "round $r/$ROUNDS: exec connrate against $t (port $p, $CLIENTS clients, ${SECS}s)"
		c0=$(cpu_ticks "$sp")
		line=$("$BENCH" --mode connrate --port "$p" --clients "$CLIENTS" --size 64 \
		    --seconds "$SECS" 2>>"$tmp/bench.err")
		st=$?
		c1=$(cpu_ticks "$sp")
		[ -n "$line" ] || line="mode=connrate ops=0"
		line="$line $(kv ops "$line" | awk -v d=$((c1 - c0)) -v hz="$HZ" \
		    '$1 > 0 && d > 0 { printf "server_cpu_us=%.2f", d * 1e6 / hz / $1 }')"
		printf '%s %s\n' "$t" "$line" >>"$tmp/results"
		[ -n "$RAW" ] && printf 'round=%s label=exec-%s %s\n' "$r" "$(printf %s "$t" | sed 's/^exec_//')" "$line" >>"$RAW"
		if [ $st -ne 0 ] && [ "$t" = netsrvd ]; then
			say "netsrvd: exec connrate failed: $line"
			FAIL=1
		fi
	done
	r=$((r + 1))
done
[ -s "$tmp/bench.err" ] && sed 's/^/  | /' "$tmp/bench.err" >&2
MEM_AFTER=
case " $TARGETS " in *" netsrvd "*) MEM_AFTER=$("$BENCH" --mode mem --pid "$pid_netsrvd") ;; esac
logged=0
[ -f "$tmp/netsrvd-access.log" ] && logged=$(grep -c 'service=cat .* exit=0' "$tmp/netsrvd-access.log")

printf '\n## netsrvd bench, exec: %s round(s) x %s s, %s workers, %s clients, %s per connection, netsrvd access log on, %s, %s CPUs\n\n' \
    "$ROUNDS" "$SECS" "$WORKERS" "$CLIENTS" "$PROGRAM" "$(uname -sr)" "$(nproc 2>/dev/null || echo '?')"
awk '
function median(k,    n, i, j, a, t) {
	n = cnt[k]
	if (n == 0)
		return ""
	for (i = 1; i <= n; i++)
		a[i] = val[k, i] + 0
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function mean(k,    n, i, t) {
	n = cnt[k]
	if (n == 0)
		return ""
	for (i = 1; i <= n; i++)
		t += val[k, i]
	return t / n
}
function fmt(v, f) { return v == "" ? "-" : sprintf(f, v) }
{
	t = $1
	if (!(t in seen)) { order[++nt] = t; seen[t] = 1 }
	for (i = 2; i <= NF; i++) {
		eq = index($i, "="); key = substr($i, 1, eq - 1); value = substr($i, eq + 1)
		if (key ~ /^(rate|p50_us|p99_us|server_cpu_us)$/)
			val[t SUBSEP key, ++cnt[t SUBSEP key]] = value
		if (key ~ /^fail_/)
			fails[t] += value
	}
}
END {
	ns = median("netsrvd" SUBSEP "rate")
	print "| server | conn/s | p50 us | p99 us | server CPU us per conn | failures (sum) | netsrvd / it |"
	print "|---|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= nt; i++) {
		t = order[i]; r = median(t SUBSEP "rate")
		printf "| %s | %s | %s | %s | %s | %d | %s |\n", t == "exec_confined" ? "exec-confined" : t, fmt(r, "%.0f"),
		    fmt(median(t SUBSEP "p50_us"), "%.1f"), fmt(median(t SUBSEP "p99_us"), "%.1f"),
		    fmt(median(t SUBSEP "server_cpu_us"), "%.1f"), fails[t] + 0,
		    (ns == "" || r == "" || r + 0 == 0) ? "-" : sprintf("%.2f", ns / r)
	}
	# the targets of issue 29, on the means over the rounds
	c = mean("exec_confined" SUBSEP "rate")
	if (c != "") {
		printf "\n| ratio (means over the rounds) | value | target |\n|---|---:|---:|\n"
		e = mean("netsrvd" SUBSEP "rate"); x = mean("xinetd" SUBSEP "rate")
		printf "| exec-confined / exec | %s | >= 0.80 |\n", (e + 0 > 0) ? sprintf("%.2f", c / e) : "-"
		printf "| exec-confined / xinetd | %s | >= 1.25 |\n", (x + 0 > 0) ? sprintf("%.2f", c / x) : "-"
	}
}' "$tmp/results"
if [ -n "$MEM" ]; then
	printf '\n| measure | netsrvd |\n|---|---:|\n'
	for m in before after; do
		[ $m = before ] && l=$MEM || l=$MEM_AFTER
		[ -n "$l" ] || continue
		printf '| private dirty KiB per idle exec worker, %s load (avg, min-max) | %s (%s-%s) |\n' \
		    "$m" "$(kv private_dirty_kib_avg "$l")" "$(kv private_dirty_kib_min "$l")" \
		    "$(kv private_dirty_kib_max "$l")"
	done
	printf '| access log lines written (exit=0) | %s |\n' "$logged"
fi
[ $FAIL -eq 0 ] || say "FAILED: see the messages above"
exit $FAIL
