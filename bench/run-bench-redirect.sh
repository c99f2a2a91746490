#!/bin/sh
# run-bench-redirect.sh: the redirect row of `make bench`. A TCP relay in
# front of an echo backend (bench/refecho), side by side in interleaved
# rounds: netsrvd's redirect handler, socat (TCP-LISTEN,fork to TCP),
# xinetd's redirect, and a direct connection to the backend. Measures
# connections per second (connect, 64 bytes, read them back, close) and
# bulk MB/s (one connection, both ways at once, every byte verified).
# Prints a markdown table of means over the rounds.
#
# usage: run-bench-redirect.sh
# env:   NETSRVD NETSRVD_BENCH REFECHO XINETD (/usr/sbin/xinetd)
#        SOCAT (/usr/bin/socat) BENCH_SECONDS (3) BENCH_ROUNDS (3)
#        BENCH_REDIRECT_WORKERS (8) BENCH_REDIRECT_CLIENTS (8) BENCH_RAW
# Exit status: 0 when netsrvd and the direct connection were measured, 1
# otherwise, 2 usage.

# Word splitting of $(...) and of lists in variables is deliberate here;
# the functions run from traps.
# shellcheck disable=SC2046,SC2086,SC2317

set -u

NETSRVD=${NETSRVD:-}
BENCH=${NETSRVD_BENCH:-}
REFECHO=${REFECHO:-}
XINETD=${XINETD:-/usr/sbin/xinetd}
SOCAT=${SOCAT:-/usr/bin/socat}
SECS=${BENCH_SECONDS:-3}
ROUNDS=${BENCH_ROUNDS:-3}
WORKERS=${BENCH_REDIRECT_WORKERS:-8}
CLIENTS=${BENCH_REDIRECT_CLIENTS:-8}
RAW=${BENCH_RAW:-}

here=$(dirname "$0")
[ -n "$BENCH" ] || BENCH=$here/netsrvd-bench
[ -n "$REFECHO" ] || REFECHO=$here/refecho

BENCH_NAME=run-bench-redirect
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

for p in "$BENCH" "$REFECHO"; do
	[ -x "$p" ] || die "$p is not an executable (build it with 'make bench')"
done
case $SECS$ROUNDS$WORKERS$CLIENTS in
*[!0-9.]*) die "BENCH_SECONDS, BENCH_ROUNDS, BENCH_REDIRECT_WORKERS, BENCH_REDIRECT_CLIENTS: numbers" ;;
esac

bench_start

set -- $("$BENCH" --free-port --count 4)
[ $# -eq 4 ] || die "cannot find 4 free ports on 127.0.0.1"
p_direct=$1 p_netsrvd=$2 p_socat=$3 p_xinetd=$4
TARGETS=

# --- the backend, the direct target: the reference echo server, room for every relay's clients ---
"$REFECHO" tcp "$p_direct" $((CLIENTS * 2)) 2>"$tmp/refecho.err" &
pid_direct=$!
PIDS="$PIDS $pid_direct"
if wait_serving "$p_direct" "$pid_direct"; then
	TARGETS="$TARGETS direct"
else
	say "the backend (refecho) does not serve"
	FAIL=1
fi

# --- netsrvd: redirect, a static pool, no access log ------------------------------------
if [ -n "$NETSRVD" ] && [ -x "$NETSRVD" ]; then
	cat >"$tmp/netsrvd.conf" <<EOF
pid_file = "$tmp/netsrvd.pid";
log = { level = "warning"; connections = false; };
workers = $WORKERS;
max_workers = $WORKERS;
max_per_source = 0;
services = (
  { name = "fwd"; protocol = "tcp"; address = "127.0.0.1"; port = $p_netsrvd;
    handler = "redirect"; to = "127.0.0.1:$p_direct"; }
);
EOF
	"$NETSRVD" -f -c "$tmp/netsrvd.conf" 2>"$tmp/netsrvd.err" &
	pid_netsrvd=$!
	PIDS="$PIDS $pid_netsrvd"
	if wait_serving "$p_netsrvd" "$pid_netsrvd"; then
		TARGETS="$TARGETS netsrvd"
	else
		say "netsrvd does not serve; its stderr:"
		sed 's/^/  | /' "$tmp/netsrvd.err" >&2
		FAIL=1
	fi
else
	say "netsrvd: '$NETSRVD' is not an executable"
	FAIL=1
fi

# --- socat: a process per connection --------------------------------------------------------
if [ -x "$SOCAT" ]; then
	"$SOCAT" TCP-LISTEN:"$p_socat",bind=127.0.0.1,fork,reuseaddr,backlog=128 \
	    TCP:127.0.0.1:"$p_direct" 2>"$tmp/socat.err" &
	pid_socat=$!
	PIDS="$PIDS $pid_socat"
	wait_serving "$p_socat" "$pid_socat" && TARGETS="$TARGETS socat"
else
	say "note: $SOCAT not found; skipping socat (apt-get install socat)"
fi

# --- xinetd: redirect = host port, unthrottled ----------------------------------------------
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
service fwd
{
	type = UNLISTED
	socket_type = stream
	protocol = tcp
	wait = no
	user = root
	bind = 127.0.0.1
	port = $p_xinetd
	redirect = 127.0.0.1 $p_direct
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

# --- the rounds: each mode against each target in turn ----------------------------------------
: >"$tmp/results"
r=1
while [ $r -le "$ROUNDS" ]; do
	for m in connrate bulk; do
		c=$CLIENTS
		[ $m = bulk ] && c=1
		for t in $TARGETS; do
			p=''
			eval "p=\$p_$t"
			say "round $r/$ROUNDS: $m against $t (port $p, $c clients, ${SECS}s)"
			line=$("$BENCH" --mode $m --port "$p" --clients "$c" --size 64 \
			    --seconds "$SECS" 2>>"$tmp/bench.err")
			st=$?
			[ -n "$line" ] || line="mode=$m ops=0"
			printf '%s %s\n' "$t" "$line" >>"$tmp/results"
			[ -n "$RAW" ] && printf 'round=%s label=redirect-%s %s\n' "$r" "$t" "$line" >>"$RAW"
			if [ $st -ne 0 ] && [ "$t" = netsrvd ]; then
				say "netsrvd: redirect $m failed: $line"
				FAIL=1
			fi
		done
	done
	r=$((r + 1))
done
[ -s "$tmp/bench.err" ] && sed 's/^/  | /' "$tmp/bench.err" >&2

printf '\n## netsrvd bench, redirect: %s round(s) x %s s, %s netsrvd workers, %s clients (bulk: 1), backend refecho, %s, %s CPUs\n\n' \
    "$ROUNDS" "$SECS" "$WORKERS" "$CLIENTS" "$(uname -sr)" "$(nproc 2>/dev/null || echo '?')"
awk '
function mean(k) { return cnt[k] == 0 ? "" : sum[k] / cnt[k] }
function fmt(v, f) { return v == "" ? "-" : sprintf(f, v) }
function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b) }
{
	t = $1; m = ""
	if (!(t in seen)) { order[++nt] = t; seen[t] = 1 }
	for (i = 2; i <= NF; i++) {
		eq = index($i, "="); key = substr($i, 1, eq - 1); value = substr($i, eq + 1)
		if (key == "mode")
			m = value
		if (key == "rate") { sum[t SUBSEP m] += value; cnt[t SUBSEP m]++ }
		if (key ~ /^fail_/)
			fails[t] += value
	}
}
END {
	nc = mean("netsrvd" SUBSEP "connrate"); nb = mean("netsrvd" SUBSEP "bulk")
	db = mean("direct" SUBSEP "bulk")
	print "| target | conn/s | bulk MB/s | bulk / direct | failures (sum) | netsrvd conn/s / its | netsrvd MB/s / its |"
	print "|---|---:|---:|---:|---:|---:|---:|"
	for (i = 1; i <= nt; i++) {
		t = order[i]; c = mean(t SUBSEP "connrate"); b = mean(t SUBSEP "bulk")
		printf "| %s | %s | %s | %s | %d | %s | %s |\n", t, fmt(c, "%.0f"), fmt(b, "%.1f"),
		    ratio(b, db), fails[t] + 0, ratio(nc, c), ratio(nb, b)
	}
}' "$tmp/results"
[ $FAIL -eq 0 ] || say "FAILED: see the messages above"
exit $FAIL
