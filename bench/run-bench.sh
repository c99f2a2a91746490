#!/bin/sh
# run-bench.sh: the `make bench` driver. Loads netsrvd, the reference
# pre-fork servers (refecho) and, when installed, xinetd's internal services
# in interleaved rounds on loopback, then prints a markdown table of medians.
#
# usage: run-bench.sh [NETSRVD [NETSRVD_BENCH [REFECHO]]]
# env:   NETSRVD NETSRVD_BENCH REFECHO XINETD (default /usr/sbin/xinetd)
#        BENCH_SECONDS (3) BENCH_ROUNDS (3) BENCH_WORKERS (4)
#        BENCH_CLIENTS (2 x workers; connrate and connect-only)
#        BENCH_MODES ("connrate connrate-proxy pingpong bulk udp udp-burst connect-only scale")
#        BENCH_SCALE ("64:64 256:128": WORKERS:CLIENTS points of the scale row)
#        BENCH_UDP_WINDOW (8: datagrams in flight per socket in udp-burst)
#        BENCH_RAW (a file the raw result lines are appended to)
#        BENCH_ACCESS_LOG (0; 1: netsrvd writes its access log to a file)
# Exit status: 0 when every target that should run did, 1 otherwise
# (netsrvd missing, not starting, dying, or failing a measurement), 2 usage.

# Word splitting of $(...) and of lists in variables is deliberate here;
# the functions run from traps.
# shellcheck disable=SC2046,SC2086,SC2317

set -u

NETSRVD=${1:-${NETSRVD:-}}
BENCH=${2:-${NETSRVD_BENCH:-}}
REFECHO=${3:-${REFECHO:-}}
XINETD=${XINETD:-/usr/sbin/xinetd}
SECS=${BENCH_SECONDS:-3}
ROUNDS=${BENCH_ROUNDS:-3}
WORKERS=${BENCH_WORKERS:-4}
CLIENTS=${BENCH_CLIENTS:-$((WORKERS * 2))}
MODES=${BENCH_MODES:-connrate connrate-proxy pingpong bulk udp udp-burst connect-only scale}
SCALE=${BENCH_SCALE-64:64 256:128}
WINDOW=${BENCH_UDP_WINDOW:-8}
RAW=${BENCH_RAW:-}
ACCESS_LOG=${BENCH_ACCESS_LOG:-0}

here=$(dirname "$0")
[ -n "$BENCH" ] || BENCH=$here/netsrvd-bench
[ -n "$REFECHO" ] || REFECHO=$here/refecho

BENCH_NAME=run-bench
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

for p in "$BENCH" "$REFECHO"; do
	[ -x "$p" ] || die "$p is not an executable (build it with 'make bench')"
done
case $SECS$ROUNDS$WORKERS$CLIENTS$WINDOW in
*[!0-9.]*) die "BENCH_SECONDS, BENCH_ROUNDS, BENCH_WORKERS, BENCH_CLIENTS, BENCH_UDP_WINDOW: numbers" ;;
esac
for pt in $SCALE; do
	case $pt in
	*[!0-9:]* | *:*:* | :* | *:) die "BENCH_SCALE: WORKERS:CLIENTS pairs, e.g. \"64:64 256:128\"" ;;
	*:*) ;;
	*) die "BENCH_SCALE: WORKERS:CLIENTS pairs, e.g. \"64:64 256:128\"" ;;
	esac
done

bench_start

# Probe every kind of service a target offers; remember which answer.
# ok_TARGET_KIND=1 for kind in tcp (echo), udp (echo), day (read until EOF).
# Up to 5 s each, in slices, so a server that died is noticed at once.
probe_target() {	# probe_target TARGET TCP UDP DAY PID [UDP_PID DAY_PID]
	t=$1
	for k in tcp udp day; do
		case $k in
		tcp) p=$2 op=connrate pid=$5 ;;
		udp) p=$3 op=udp pid=${6:-$5} ;;
		day) p=$4 op=connect-only pid=${7:-$5} ;;
		esac
		eval "port_${t}_$k=$p"
		eval "ok_${t}_$k=0"
		i=0
		while [ $i -lt 25 ] && kill -0 "$pid" 2>/dev/null; do
			if line=$("$BENCH" --mode probe --op $op --port "$p" --seconds 0.2); then
				eval "ok_${t}_$k=1"
				break
			fi
			i=$((i + 1))
		done
		if ok "$t" $k; then
			say "$t: $op on port $p answers"
		elif kill -0 "$pid" 2>/dev/null; then
			say "$t: $op on port $p does not answer within 5 s: $line"
		else
			return 0
		fi
	done
}

ok() { eval "[ \"\${ok_$1_$2:-0}\" = 1 ]"; }

set -- $("$BENCH" --free-port --count 9)
[ $# -eq 9 ] || die "cannot find 9 free ports on 127.0.0.1"
ns_tcp=$1 ns_udp=$2 ns_day=$3 ref_tcp=$4 ref_udp=$5 ref_day=$6
x_tcp=$7 x_udp=$8 x_day=$9
# netsrvd's echo behind a balancer (connrate-proxy): one more port, none of those
ns_pxy=
for p in $("$BENCH" --free-port --count 10); do
	case " $ns_tcp $ns_udp $ns_day $ref_tcp $ref_udp $ref_day $x_tcp $x_udp $x_day " in
	*" $p "*) ;;
	*) ns_pxy=$p && break ;;
	esac
done
[ -n "$ns_pxy" ] || die "cannot find a tenth free port on 127.0.0.1"
TARGETS=

# --- netsrvd ----------------------------------------------------------------
NS_PID=
if [ -z "$NETSRVD" ] || [ ! -x "$NETSRVD" ]; then
	say "netsrvd: '${NETSRVD}' is not an executable; skipping it"
	FAIL=1
else
	# With BENCH_ACCESS_LOG=1 every connection and datagram writes its line to a file.
	ns_log='log = { target = "stderr"; level = "warning"; connections = false; };'
	[ "$ACCESS_LOG" = 1 ] &&
		ns_log="log = { target = \"$tmp/access.log\"; level = \"warning\"; connections = true; };"
	cat >"$tmp/netsrvd.conf" <<EOF
pid_file = "$tmp/netsrvd.pid";
$ns_log
workers = $WORKERS;
timeout = 30;
# the load comes from one address: lift the shipped per-source limits;
# a static pool, to compare like with like
udp_rate = 0;
max_per_source = 0;
max_workers = $WORKERS;
services = (
  { name = "echo"; protocol = "tcp"; address = "127.0.0.1"; port = $ns_tcp; handler = "echo"; },
  { name = "echo-udp"; protocol = "udp"; address = "127.0.0.1"; port = $ns_udp; handler = "echo"; },
  { name = "daytime"; protocol = "tcp"; address = "127.0.0.1"; port = $ns_day; handler = "daytime"; },
  # every connection from 127.0.0.1 begins with a PROXY header, as from a balancer
  { name = "echo-proxy"; protocol = "tcp"; address = "127.0.0.1"; port = $ns_pxy; handler = "echo";
    proxy_from = [ "127.0.0.1/32" ]; }
);
EOF
	"$NETSRVD" -f -c "$tmp/netsrvd.conf" >"$tmp/netsrvd.out" 2>"$tmp/netsrvd.err" &
	NS_PID=$!
	PIDS="$PIDS $NS_PID"
	probe_target netsrvd "$ns_tcp" "$ns_udp" "$ns_day" "$NS_PID"
	if ! kill -0 "$NS_PID" 2>/dev/null; then
		wait "$NS_PID"
		say "netsrvd exited with status $? at startup; its stderr:"
		sed 's/^/  | /' "$tmp/netsrvd.err" >&2
		NS_PID=
		FAIL=1
	else
		TARGETS="$TARGETS netsrvd"
		eval "port_netsrvd_pxy=$ns_pxy ok_netsrvd_pxy=0"
		if "$BENCH" --mode probe --op connrate-proxy --port "$ns_pxy" --seconds 5 >/dev/null; then
			eval "ok_netsrvd_pxy=1"
			say "netsrvd: connrate-proxy on port $ns_pxy answers"
		fi
		if ! ok netsrvd tcp || ! ok netsrvd udp || ! ok netsrvd day || ! ok netsrvd pxy; then
			say "netsrvd runs but does not serve everything; its stderr:"
			sed 's/^/  | /' "$tmp/netsrvd.err" >&2
			FAIL=1
		fi
	fi
fi

# --- the reference: the same design with nothing else in it -------------------
for k in tcp udp daytime; do
	case $k in
	tcp) p=$ref_tcp ;; udp) p=$ref_udp ;; daytime) p=$ref_day ;;
	esac
	"$REFECHO" $k "$p" "$WORKERS" 2>>"$tmp/refecho.err" &
	PIDS="$PIDS $!"
	case $k in tcp) REF_PID=$! ;; udp) REF_UDP=$! ;; daytime) REF_DAY=$! ;; esac
done
probe_target reference "$ref_tcp" "$ref_udp" "$ref_day" "$REF_PID" "$REF_UDP" "$REF_DAY"
TARGETS="$TARGETS reference"

# --- xinetd's internal services (fork per TCP connection) ----------------------
if [ -x "$XINETD" ]; then
	{
		cat <<EOF
defaults
{
	instances = UNLIMITED
	per_source = UNLIMITED
	cps = 100000 1
	log_type = FILE $tmp/xinetd-svc.log
	log_on_success =
	log_on_failure =
}
EOF
		for s in "echo echo-stream stream tcp no $x_tcp" \
		    "echo echo-dgram dgram udp yes $x_udp" \
		    "daytime daytime-stream stream tcp no $x_day"; do
			set -- $s
			cat <<EOF
service $1
{
	type = INTERNAL UNLISTED
	id = $2
	socket_type = $3
	protocol = $4
	wait = $5
	bind = 127.0.0.1
	port = $6
}
EOF
		done
	} >"$tmp/xinetd.conf"
	"$XINETD" -dontfork -f "$tmp/xinetd.conf" -pidfile "$tmp/xinetd.pid" \
	    -filelog "$tmp/xinetd.log" 2>>"$tmp/xinetd.err" &
	X_PID=$!
	PIDS="$PIDS $X_PID"
	probe_target xinetd "$x_tcp" "$x_udp" "$x_day" "$X_PID"
	if kill -0 "$X_PID" 2>/dev/null; then
		TARGETS="$TARGETS xinetd"
	else
		say "xinetd did not start:"
		cat "$tmp/xinetd.err" "$tmp/xinetd.log" 2>/dev/null | sed 's/^/  | /' >&2
	fi
else
	say "note: $XINETD not found; skipping xinetd (apt-get install xinetd)"
fi

# --- memory of idle workers, before any load -----------------------------------
MEM_NS_IDLE='' MEM_NS_AFTER='' MEM_REF=''
[ -n "$NS_PID" ] && MEM_NS_IDLE=$("$BENCH" --mode mem --pid "$NS_PID")
MEM_REF=$("$BENCH" --mode mem --pid "$REF_PID")

# --- the rounds -------------------------------------------------------------------
: >"$tmp/results"
r=1
while [ $r -le "$ROUNDS" ]; do
	for m in $MODES; do
		case $m in
		connrate | bulk | pingpong) k=tcp ;;
		connrate-proxy) k=pxy ;;	# netsrvd only: the others speak no PROXY protocol
		udp | udp-burst) k=udp ;;
		connect-only) k=day ;;
		scale) continue ;;	# servers of its own, after the rounds
		*) die "unknown mode $m" ;;
		esac
		case $m in
		# A persistent client beyond the worker count is never served.
		pingpong | udp | udp-burst) c=$WORKERS ;;
		bulk) c=1 ;;
		*) c=$CLIENTS ;;
		esac
		for t in $TARGETS; do
			ok "$t" $k || continue
			eval "p=\$port_${t}_$k"
			say "round $r/$ROUNDS: $m against $t (port $p, $c clients, ${SECS}s)"
			w=
			[ "$m" = udp-burst ] && w="--window $WINDOW"
			case $t:$k in
			netsrvd:*) sp=$NS_PID ;; xinetd:*) sp=$X_PID ;;
			reference:tcp) sp=$REF_PID ;; reference:udp) sp=$REF_UDP ;;
			reference:day) sp=$REF_DAY ;;
			esac
			c0=$(cpu_ticks "$sp")
			line=$("$BENCH" --mode "$m" --port "$p" --clients "$c" \
			    --seconds "$SECS" $w 2>>"$tmp/bench.err")
			st=$?
			c1=$(cpu_ticks "$sp")
			[ -n "$line" ] || line="mode=$m ops=0"
			# server CPU per operation (bulk: per MB), whatever the load
			line="$line $(kv ops "$line" | awk -v d=$((c1 - c0)) -v hz="$HZ" -v m="$m" \
			    '$1 > 0 && d > 0 { printf "server_cpu_us=%.2f", d * 1e6 / hz / (m == "bulk" ? $1 / 1e6 : $1) }')"
			printf '%s %s\n' "$t" "$line" >>"$tmp/results"
			[ -n "$RAW" ] && printf 'round=%s label=%s %s\n' "$r" "$t" "$line" >>"$RAW"
			if [ $st -ne 0 ] && [ "$t" = netsrvd ]; then
				say "netsrvd: $m failed: $line"
				FAIL=1
			fi
		done
	done
	if [ -n "$NS_PID" ] && ! kill -0 "$NS_PID" 2>/dev/null; then
		wait "$NS_PID"
		say "netsrvd died during round $r (status $?); its stderr:"
		sed 's/^/  | /' "$tmp/netsrvd.err" >&2
		TARGETS=$(printf '%s\n' $TARGETS | grep -v '^netsrvd$' | tr '\n' ' ')
		NS_PID=
		FAIL=1
	fi
	r=$((r + 1))
done
[ -s "$tmp/bench.err" ] && sed 's/^/  | /' "$tmp/bench.err" >&2
[ -n "$NS_PID" ] && MEM_NS_AFTER=$("$BENCH" --mode mem --pid "$NS_PID")

# --- scale: pools of tens and hundreds of workers ---------------------------------
# Per point WORKERS:CLIENTS, a netsrvd (TCP and UDP echo) and the reference
# pair started afresh with WORKERS workers each, connrate and udp with
# CLIENTS clients, each mode's rounds together, the order of the two
# targets alternating from round to round. What a worker costs beyond its
# work (wake-ups, lines shared by the pool, its mappings) grows with the
# pool: it shows here, not at 4 workers.
SC_PIDS=
scale_forget() {	# stop the servers of the point and forget their pids
	for p in $SC_PIDS; do
		stop_pid "$p"
		PIDS=$(printf '%s\n' $PIDS | grep -vx "$p" | tr '\n' ' ')
	done
	SC_PIDS=
}

# Until PID has N children, up to 20 s; 1 if it died or never got there.
scale_wait_pool() {	# scale_wait_pool PID N
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		[ "$(children_of "$1" | wc -l)" -ge "$2" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# Starts the servers of one point; sets sc_ns_tcp sc_ns_udp sc_ref_tcp
# sc_ref_udp (ports) and SC_NS SC_REF_TCP SC_REF_UDP (pids).
scale_start() {	# scale_start WORKERS
	set -- "$1" $("$BENCH" --free-port --count 4)
	[ $# -eq 5 ] || { say "scale: cannot find 4 free ports on 127.0.0.1"; return 1; }
	sc_ns_tcp=$2 sc_ns_udp=$3 sc_ref_tcp=$4 sc_ref_udp=$5
	cat >"$tmp/netsrvd-scale.conf" <<EOC
pid_file = "$tmp/netsrvd-scale.pid";
log = { target = "stderr"; level = "warning"; connections = false; };
workers = $1;
max_workers = $1;
timeout = 30;
udp_rate = 0;
max_per_source = 0;
services = (
  { name = "echo"; protocol = "tcp"; address = "127.0.0.1"; port = $sc_ns_tcp; handler = "echo"; },
  { name = "echo-udp"; protocol = "udp"; address = "127.0.0.1"; port = $sc_ns_udp; handler = "echo"; }
);
EOC
	"$NETSRVD" -f -c "$tmp/netsrvd-scale.conf" >/dev/null 2>>"$tmp/netsrvd-scale.err" &
	SC_NS=$!
	"$REFECHO" tcp "$sc_ref_tcp" "$1" 2>>"$tmp/refecho.err" &
	SC_REF_TCP=$!
	"$REFECHO" udp "$sc_ref_udp" "$1" 2>>"$tmp/refecho.err" &
	SC_REF_UDP=$!
	SC_PIDS="$SC_NS $SC_REF_TCP $SC_REF_UDP"
	PIDS="$PIDS $SC_PIDS"
	if ! scale_wait_pool "$SC_NS" $(($1 * 2)) || ! scale_wait_pool "$SC_REF_TCP" "$1" ||
	    ! scale_wait_pool "$SC_REF_UDP" "$1"; then
		say "scale: $1 workers: the pools did not all start within 20 s; netsrvd's stderr:"
		sed 's/^/  | /' "$tmp/netsrvd-scale.err" >&2
		return 1
	fi
	for a in "$sc_ns_tcp connrate" "$sc_ns_udp udp" "$sc_ref_tcp connrate" "$sc_ref_udp udp"; do
		set -- $a
		if ! line=$("$BENCH" --mode probe --op "$2" --port "$1" --seconds 5); then
			say "scale: $2 on port $1 does not answer within 5 s: $line"
			return 1
		fi
	done
}

# One measurement; appends "WORKERS TARGET LINE server_cpu_us=..." to $tmp/scale.
scale_measure() {	# scale_measure WORKERS CLIENTS TARGET MODE ROUND
	case $3:$4 in
	netsrvd:connrate) p=$sc_ns_tcp sp=$SC_NS ;;
	netsrvd:udp) p=$sc_ns_udp sp=$SC_NS ;;
	reference:connrate) p=$sc_ref_tcp sp=$SC_REF_TCP ;;
	reference:udp) p=$sc_ref_udp sp=$SC_REF_UDP ;;
	esac
	say "scale $1:$2, round $5/$ROUNDS: $4 against $3 (port $p, ${SECS}s)"
	c0=$(cpu_ticks "$sp")
	line=$("$BENCH" --mode "$4" --port "$p" --clients "$2" --seconds "$SECS" 2>>"$tmp/bench-scale.err")
	st=$?
	c1=$(cpu_ticks "$sp")
	[ -n "$line" ] || line="mode=$4 ops=0"
	line="$line $(kv ops "$line" | awk -v d=$((c1 - c0)) -v hz="$HZ" \
	    '$1 > 0 && d > 0 { printf "server_cpu_us=%.2f", d * 1e6 / hz / $1 }')"
	printf '%s %s %s\n' "$1" "$3" "$line" >>"$tmp/scale"
	[ -n "$RAW" ] && printf 'round=%s label=%s-scale%s %s\n' "$5" "$3" "$1" "$line" >>"$RAW"
	if [ $st -ne 0 ] && [ "$3" = netsrvd ]; then
		say "netsrvd ($1 workers): $4 failed: $line"
		FAIL=1
	fi
}

: >"$tmp/scale"
case " $MODES " in
*" scale "*) do_scale=1 ;;
*) do_scale=0 ;;
esac
[ -n "$NETSRVD" ] && [ -x "$NETSRVD" ] || do_scale=0
if [ $do_scale = 1 ]; then
	for pt in $SCALE; do
		w=${pt%:*} c=${pt#*:}
		if ! scale_start "$w"; then
			FAIL=1
			scale_forget
			continue
		fi
		# A mode's rounds run together: a UDP run that came right after a
		# connrate burst paid for the burst's aftermath (64:64, 2 x 8
		# rounds: netsrvd/reference 0.955 so, 0.997 with UDP rounds alone).
		dead=0
		for m in connrate udp; do
			r=1
			while [ $dead = 0 ] && [ $r -le "$ROUNDS" ]; do
				# the order alternates, so neither target always runs first
				if [ $((r % 2)) = 1 ]; then order="netsrvd reference"; else order="reference netsrvd"; fi
				for t in $order; do
					scale_measure "$w" "$c" $t $m $r
				done
				if ! kill -0 "$SC_NS" 2>/dev/null; then
					say "netsrvd ($w workers) died in round $r of $m; its stderr:"
					sed 's/^/  | /' "$tmp/netsrvd-scale.err" >&2
					FAIL=1
					dead=1
				fi
				r=$((r + 1))
			done
		done
		scale_forget
	done
	[ -s "$tmp/bench-scale.err" ] && sed 's/^/  | /' "$tmp/bench-scale.err" >&2
fi

# --- SIGHUP to a new generation serving ------------------------------------------
HUPS=
if [ -n "$NS_PID" ] && ok netsrvd tcp; then
	r=1
	while [ $r -le "$ROUNDS" ]; do
		if line=$("$BENCH" --mode hup --pid "$NS_PID" --port "$ns_tcp" --seconds 10); then
			HUPS="$HUPS $line
"
		else
			say "netsrvd: SIGHUP: no new generation serving within 10 s: $line"
			FAIL=1
			break
		fi
		r=$((r + 1))
	done
	if ! kill -0 "$NS_PID" 2>/dev/null; then
		say "netsrvd died after SIGHUP; its stderr:"
		sed 's/^/  | /' "$tmp/netsrvd.err" >&2
		FAIL=1
	fi
fi

# --- startup with 8 services x 4 workers --------------------------------------------
STARTS=
if [ -n "$NETSRVD" ] && [ -x "$NETSRVD" ]; then
	set -- $("$BENCH" --free-port --count 8)
	[ $# -eq 8 ] || die "cannot find 8 free ports on 127.0.0.1"
	p=$1	# the echo service: the one the probe uses
	{
		printf 'pid_file = "%s/netsrvd-8.pid";\n' "$tmp"
		printf 'log = { target = "stderr"; level = "warning"; connections = false; };\n'
		printf 'workers = 4;\ntimeout = 30;\nudp_rate = 0;\nmax_per_source = 0;\nmax_workers = 4;\n'
		printf 'services = (\n'
		sep=' '
		for s in "echo tcp echo $1" "echo-udp udp echo $2" \
		    "discard tcp discard $3" "discard-udp udp discard $4" \
		    "chargen tcp chargen $5" "daytime tcp daytime $6" \
		    "daytime-udp udp daytime $7" "time tcp time $8"; do
			set -- $s
			printf '%s { name = "%s"; protocol = "%s"; address = "127.0.0.1"; port = %s; handler = "%s"; }\n' \
			    "$sep" "$1" "$2" "$4" "$3"
			sep=,
		done
		printf ');\n'
	} >"$tmp/netsrvd-8.conf"
	r=1
	while [ $r -le "$ROUNDS" ]; do
		if line=$("$BENCH" --mode startup --port "$p" --seconds 10 -- \
		    "$NETSRVD" -f -c "$tmp/netsrvd-8.conf" 2>>"$tmp/netsrvd-8.err"); then
			STARTS="$STARTS $line
"
		else
			say "netsrvd (8 services x 4 workers) failed to serve: $line"
			sed 's/^/  | /' "$tmp/netsrvd-8.err" >&2
			FAIL=1
			break
		fi
		r=$((r + 1))
	done
fi

# --- the report ----------------------------------------------------------------------
uname_line="$(uname -sr), $(nproc 2>/dev/null || echo '?') CPUs"
al=off
[ "$ACCESS_LOG" = 1 ] && al=on
printf '\n## netsrvd bench: %s round(s) x %s s, %s workers per service, access log %s, %s\n\n' \
    "$ROUNDS" "$SECS" "$WORKERS" "$al" "$uname_line"
awk -v clients="$CLIENTS" -v workers="$WORKERS" -v window="$WINDOW" '
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
function fmt(v, f) { return v == "" ? "-" : sprintf(f, v) }
function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b) }
function row(mode, label, key, f, summed,    n, r, x, i, t) {
	if (!(mode in ran))
		return
	for (i = 1; i <= 3; i++) {
		t = tg[i]
		if (summed)
			v[t] = ((t, mode) in seen) ? sum[t, mode, key] + 0 : ""
		else
			v[t] = median(t SUBSEP mode SUBSEP key)
	}
	n = v["netsrvd"]; r = v["reference"]; x = v["xinetd"]
	printf "| %s | %s | %s | %s | %s | %s | %s |\n", mode, label,
	    fmt(n, f), fmt(r, f), fmt(x, f),
	    summed ? "" : ratio(n, r), summed ? "" : ratio(n, x)
}
BEGIN { tg[1] = "netsrvd"; tg[2] = "reference"; tg[3] = "xinetd" }
{
	t = $1; mode = ""
	for (i = 2; i <= NF; i++)
		if ($i ~ /^mode=/)
			mode = substr($i, 6)
	seen[t, mode] = 1
	ran[mode] = 1
	for (i = 2; i <= NF; i++) {
		eq = index($i, "=")
		key = substr($i, 1, eq - 1); value = substr($i, eq + 1)
		if (key ~ /^(rate|p50_us|p99_us|p999_us|server_cpu_us)$/)
			val[t, mode, key, ++cnt[t, mode, key]] = value
		if (key ~ /^(lost|fail_)/) {
			sum[t, mode, key] += value
			if (key != "fail_timeout" || mode !~ /^udp/)
				if (key != "lost")
					sum[t, mode, "failures"] += value
		}
	}
	if (mode ~ /^udp/)
		sum[t, mode, "lost"] += 0
}
END {
	print "| mode | metric | netsrvd | reference | xinetd | netsrvd/ref | netsrvd/xinetd |"
	print "|---|---|---:|---:|---:|---:|---:|"
	row("connrate", "conn/s (" clients " clients)", "rate", "%.0f")
	row("connrate", "p50 us", "p50_us", "%.1f")
	row("connrate", "p99 us", "p99_us", "%.1f")
	row("connrate", "server CPU us per op", "server_cpu_us", "%.2f")
	row("connrate", "failures (sum)", "failures", "%d", 1)
	row("connrate-proxy", "conn/s (" clients " clients, v2 header first)", "rate", "%.0f")
	row("connrate-proxy", "p50 us", "p50_us", "%.1f")
	row("connrate-proxy", "p99 us", "p99_us", "%.1f")
	row("connrate-proxy", "server CPU us per op", "server_cpu_us", "%.2f")
	row("connrate-proxy", "failures (sum)", "failures", "%d", 1)
	if (("connrate-proxy" in ran) && ("connrate" in ran))
		printf "| connrate-proxy | netsrvd through the PROXY path / plain connrate, same rounds (target >= 0.95) | %s | | | | |\n",
		    ratio(median("netsrvd" SUBSEP "connrate-proxy" SUBSEP "rate"),
		    median("netsrvd" SUBSEP "connrate" SUBSEP "rate"))
	row("pingpong", "rt/s (" workers " conns)", "rate", "%.0f")
	row("pingpong", "p50 us", "p50_us", "%.1f")
	row("pingpong", "p99 us", "p99_us", "%.1f")
	row("pingpong", "p999 us", "p999_us", "%.1f")
	row("pingpong", "server CPU us per op", "server_cpu_us", "%.2f")
	row("pingpong", "failures (sum)", "failures", "%d", 1)
	row("bulk", "MB/s (1 conn, verified)", "rate", "%.1f")
	row("bulk", "server CPU us per MB", "server_cpu_us", "%.2f")
	row("bulk", "failures (sum)", "failures", "%d", 1)
	row("udp", "replies/s (" workers " sockets)", "rate", "%.0f")
	row("udp", "p50 us", "p50_us", "%.1f")
	row("udp", "p99 us", "p99_us", "%.1f")
	row("udp", "server CPU us per op", "server_cpu_us", "%.2f")
	row("udp", "lost (sum)", "lost", "%d", 1)
	row("udp", "other failures (sum)", "failures", "%d", 1)
	row("udp-burst", "replies/s (" workers " sockets x " window " in flight)", "rate", "%.0f")
	row("udp-burst", "p50 us", "p50_us", "%.1f")
	row("udp-burst", "p99 us", "p99_us", "%.1f")
	row("udp-burst", "server CPU us per op", "server_cpu_us", "%.2f")
	row("udp-burst", "lost (sum)", "lost", "%d", 1)
	row("udp-burst", "other failures (sum)", "failures", "%d", 1)
	row("connect-only", "conn/s (" clients " clients)", "rate", "%.0f")
	row("connect-only", "p50 us", "p50_us", "%.1f")
	row("connect-only", "p99 us", "p99_us", "%.1f")
	row("connect-only", "server CPU us per op", "server_cpu_us", "%.2f")
	row("connect-only", "failures (sum)", "failures", "%d", 1)
}' "$tmp/results"

# Medians of a key over several result lines, in milliseconds.
med_ms() {	# med_ms KEY LINES
	printf '%s' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" |
	    sort -n | awk '$1 >= 0 { a[++n] = $1 } END {
		if (n == 0) { print "-"; exit }
		m = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		printf "%.1f", m / 1000 }'
}
memv() { v=$(kv "$1" "$2"); [ -n "$v" ] && printf '%s' "$v" || printf -- '-'; }
memcell() {	# memcell MEMLINE: "avg (min-max)" or "-"
	if [ -n "$1" ]; then
		printf '%s (%s-%s)' "$(kv private_dirty_kib_avg "$1")" \
		    "$(kv private_dirty_kib_min "$1")" "$(kv private_dirty_kib_max "$1")"
	else
		printf -- '-'
	fi
}

printf '\n| measure | netsrvd | reference |\n|---|---:|---:|\n'
printf '| private dirty KiB per idle worker, before load (avg, min-max) | %s | %s |\n' \
    "$(memcell "$MEM_NS_IDLE")" "$(memcell "$MEM_REF")"
printf '| private dirty KiB per idle worker, after load (avg, min-max) | %s | |\n' \
    "$(memcell "$MEM_NS_AFTER")"
printf '| private dirty KiB of the master | %s | %s |\n' \
    "$(memv master_private_dirty_kib "$MEM_NS_IDLE")" "$(memv master_private_dirty_kib "$MEM_REF")"
printf '| start to first echo served, 8 services x 4 workers (ms, median) | %s | |\n' \
    "$(med_ms ready_us "$STARTS")"
printf '| SIGTERM to exit, same config (ms, median) | %s | |\n' "$(med_ms stop_us "$STARTS")"
printf '| SIGHUP to first new worker (ms, median) | %s | |\n' "$(med_ms first_new_us "$HUPS")"
printf '| SIGHUP to old generation gone and echo served (ms, median) | %s | |\n' \
    "$(med_ms served_us "$HUPS")"

# The scale row: medians per point, netsrvd beside the reference.
if [ -s "$tmp/scale" ]; then
	printf '\n### scale: the same worker count for netsrvd and the reference, %s round(s) x %s s\n\n' \
	    "$ROUNDS" "$SECS"
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
	function fmt(v, f) { return v == "" ? "-" : sprintf(f, v) }
	function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b) }
	function row(w, mode, label, key, f, summed,    n, r) {
		if (summed) {
			n = ((w, "netsrvd", mode) in seen) ? sum[w, "netsrvd", mode, key] + 0 : ""
			r = ((w, "reference", mode) in seen) ? sum[w, "reference", mode, key] + 0 : ""
		} else {
			n = median(w SUBSEP "netsrvd" SUBSEP mode SUBSEP key)
			r = median(w SUBSEP "reference" SUBSEP mode SUBSEP key)
		}
		printf "| %s | %s | %s | %s | %s | %s |\n", w, mode, label, fmt(n, f), fmt(r, f),
		    summed ? "" : ratio(n, r)
	}
	{
		w = $1; t = $2; mode = ""
		for (i = 3; i <= NF; i++)
			if ($i ~ /^mode=/)
				mode = substr($i, 6)
		if (!((w, "netsrvd", mode) in seen) && !((w, "reference", mode) in seen))
			order[++npts] = w SUBSEP mode
		seen[w, t, mode] = 1
		for (i = 3; i <= NF; i++) {
			eq = index($i, "=")
			key = substr($i, 1, eq - 1); value = substr($i, eq + 1)
			if (key == "clients")
				clients[w, mode] = value
			if (key ~ /^(rate|p99_us|server_cpu_us)$/)
				val[w, t, mode, key, ++cnt[w, t, mode, key]] = value
			if (key ~ /^(lost|fail_)/) {
				sum[w, t, mode, key] += value
				if (key != "lost" && (key != "fail_timeout" || mode != "udp"))
					sum[w, t, mode, "failures"] += value
			}
		}
	}
	END {
		print "| workers | mode | metric | netsrvd | reference | netsrvd/ref |"
		print "|---:|---|---|---:|---:|---:|"
		for (i = 1; i <= npts; i++) {
			split(order[i], wm, SUBSEP); w = wm[1]; mode = wm[2]
			if (mode == "udp") {
				row(w, mode, "replies/s (" clients[w, mode] " sockets)", "rate", "%.0f")
				row(w, mode, "p99 us", "p99_us", "%.1f")
				row(w, mode, "server CPU us per op", "server_cpu_us", "%.2f")
				row(w, mode, "lost (sum)", "lost", "%d", 1)
				row(w, mode, "other failures (sum)", "failures", "%d", 1)
			} else {
				row(w, mode, "conn/s (" clients[w, mode] " clients)", "rate", "%.0f")
				row(w, mode, "p99 us", "p99_us", "%.1f")
				row(w, mode, "server CPU us per op", "server_cpu_us", "%.2f")
				row(w, mode, "failures (sum)", "failures", "%d", 1)
			}
		}
	}' "$tmp/scale"
fi

case " $TARGETS " in
*" xinetd "*) ;;
*) printf '\nxinetd: not measured (%s absent or not starting).\n' "$XINETD" ;;
esac
case " $TARGETS " in
*" netsrvd "*) ;;
*) printf '\nnetsrvd: not measured, see the messages above.\n' ;;
esac
[ $FAIL -eq 0 ] || say "FAILED: see the messages above"
exit $FAIL
