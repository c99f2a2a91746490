#!/bin/sh
# Installs netsrvd with DESTDIR into a scratch directory and checks what a
# sysadmin gets: the layout (binary, man pages, example config and quotes,
# systemd unit, init script and its defaults file, logrotate file), that a
# second install keeps an edited netsrv.conf and default/netsrvd, that the installed binary accepts the installed
# config (-t), and, as root, the installed LSB init script driving the
# installed daemon on free loopback ports: start, status, start again,
# configtest, reload of a broken then a good config, restart, stop, with
# start-stop-daemon and with its kill fallback (NETSRVD_SSD=).
#
#   TOP_BUILDDIR=DIR TOP_SRCDIR=DIR MAKE=make sh tests/install_test.sh
#
# make check sets these. One line per check ("ok: ..." / "FAIL: ..."),
# then "install: N passed, N failed"; exit 1 on any failure. As another
# user than root the init script part is skipped: exit 77 (automake's
# SKIP) unless something failed before. Every process started is stopped
# by pid on any exit; the scratch directory is removed.

: "${TOP_BUILDDIR:?TOP_BUILDDIR must name the build directory}"
: "${TOP_SRCDIR:?TOP_SRCDIR must name the source directory}"
MAKE=${MAKE:-make}

# The make calls below are top-level ones, whatever make runs this test
# (make check): no jobserver, -k or variables inherited from it.
unset MAKEFLAGS MFLAGS MAKELEVEL
# The init script honours these; the test sets them itself.
unset NETSRVD_BIN NETSRVD_CONF NETSRVD_PIDFILE NETSRVD_SSD NETSRVD_STOP_TIMEOUT \
    NETSRVD_OPTS NETSRVD_DEFAULTS
LC_ALL=C
export LC_ALL

passed=0
failed=0
pids=
bin_real=
pidfile=

ok() {
	passed=$((passed + 1))
	echo "ok: $*"
}

# fail MESSAGE [FILE]: FILE's lines are shown, indented.
fail() {
	failed=$((failed + 1))
	echo "FAIL: $*"
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		sed 's/^/    /' "$2"
	fi
}

# check MESSAGE COMMAND...: ok if COMMAND succeeds.
check() {
	msg=$1
	shift
	if "$@"; then
		ok "$msg"
	else
		fail "$msg"
	fi
}

# is_exe FILE: a regular file, executable.
is_exe() {
	[ -f "$1" ] && [ -x "$1" ]
}

summary() {
	echo "install: $passed passed, $failed failed"
}

# ours PID: PID is alive and runs the installed netsrvd.
ours() {
	[ -n "$bin_real" ] && [ -n "$1" ] || return 1
	exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
	[ "$exe" = "$bin_real" ]
}

# gone PID: waits up to 5 s for PID to stop running netsrvd.
gone() {
	n=0
	while ours "$1"; do
		[ "$n" -ge 50 ] && return 1
		sleep 0.1
		n=$((n + 1))
	done
	return 0
}

# all_ours: the pids of every process running the installed netsrvd (the
# binary lives in this test's scratch directory: they are all its own).
all_ours() {
	for d in /proc/[0-9]*; do
		ours "${d#/proc/}" && printf '%s\n' "${d#/proc/}"
	done
	return 0
}

# none_left: waits up to 5 s for every installed netsrvd process to end.
none_left() {
	n=0
	while [ -n "$(all_ours)" ]; do
		[ "$n" -ge 50 ] && return 1
		sleep 0.1
		n=$((n + 1))
	done
	return 0
}

# Stops every daemon this test started, by pid: TERM to the masters, then
# KILL to whatever still runs the installed binary.
stop_all() {
	p=
	[ -n "$pidfile" ] && [ -f "$pidfile" ] && read -r p <"$pidfile"
	for p in $pids $p; do
		case $p in '' | *[!0-9]*) continue ;; esac
		ours "$p" || continue
		kill -s TERM "$p" 2>/dev/null
		gone "$p" && continue
		kill -s KILL "$p" 2>/dev/null
		gone "$p"
	done
	for p in $(all_ours); do
		kill -s KILL "$p" 2>/dev/null
	done
}

tmp=$(mktemp -d) || exit 1
tmp=$(cd "$tmp" && pwd -P) || exit 1
trap 'stop_all; rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
scratch=$tmp/scratch
mkdir "$scratch" || exit 1

# --- where the build installs ------------------------------------------------
# Asked of the build's own Makefile through a one-target fragment, so the
# paths are exactly those its install rules use.
cat >"$scratch/dirs.mk" <<'EOF'
netsrvd-install-test-dirs:
	@echo 'prefix=$(prefix)'
	@echo 'sbindir=$(sbindir)'
	@echo 'sysconfdir=$(sysconfdir)'
	@echo 'mandir=$(mandir)'
	@echo 'runstatedir=$(runstatedir)'
EOF
if ! "$MAKE" -s --no-print-directory -C "$TOP_BUILDDIR" -f Makefile \
    -f "$scratch/dirs.mk" netsrvd-install-test-dirs >"$scratch/dirs" \
    2>"$scratch/dirs.err"; then
	fail "cannot read the install directories from $TOP_BUILDDIR/Makefile" \
	    "$scratch/dirs.err"
	summary
	exit 1
fi
dir() {
	sed -n "s/^$1=//p" "$scratch/dirs"
}
prefix=$(dir prefix)
sbindir=$(dir sbindir)
sysconfdir=$(dir sysconfdir)
mandir=$(dir mandir)
runstatedir=$(dir runstatedir)
for d in "$prefix" "$sbindir" "$sysconfdir" "$mandir" "$runstatedir"; do
	case $d in
	/*) ;;
	*)
		fail "install directories are not absolute paths" "$scratch/dirs"
		summary
		exit 1
		;;
	esac
done
echo "# prefix=$prefix sbindir=$sbindir sysconfdir=$sysconfdir mandir=$mandir"

# --- install -------------------------------------------------------------------
if "$MAKE" -C "$TOP_BUILDDIR" install DESTDIR="$tmp" >"$scratch/install.out" 2>&1; then
	ok "make install DESTDIR=..."
else
	fail "make install DESTDIR=... exited with status $?" "$scratch/install.out"
	summary
	exit 1
fi

bin=$tmp$sbindir/netsrvd
conf=$tmp$sysconfdir/netsrv.conf
quotes=$tmp$sysconfdir/netsrvd-quotes
initscript=$tmp$sysconfdir/init.d/netsrvd
defaults=$tmp$sysconfdir/default/netsrvd
logrotate=$tmp$sysconfdir/logrotate.d/netsrvd
man8=$tmp$mandir/man8/netsrvd.8
man5=$tmp$mandir/man5/netsrv.conf.5

check "binary $sbindir/netsrvd is installed and executable" \
    is_exe "$bin"
check "man page $mandir/man8/netsrvd.8 is installed" test -s "$man8"
check "man page $mandir/man5/netsrv.conf.5 is installed" test -s "$man5"
check "example config $sysconfdir/netsrv.conf is the one in etc/" \
    cmp -s "$TOP_SRCDIR/etc/netsrv.conf" "$conf"
check "quotes $sysconfdir/netsrvd-quotes are the ones in etc/" \
    cmp -s "$TOP_SRCDIR/etc/netsrvd-quotes" "$quotes"
check "init script $sysconfdir/init.d/netsrvd is installed and executable" \
    is_exe "$initscript"
check "logrotate file $sysconfdir/logrotate.d/netsrvd is installed" \
    test -s "$logrotate"
check "init script defaults $sysconfdir/default/netsrvd are installed" \
    grep -q "^#NETSRVD_CONF=$sysconfdir/netsrv.conf\$" "$defaults"
check "the init script reads $sysconfdir/default/netsrvd" \
    grep -q "NETSRVD_DEFAULTS:-$sysconfdir/default/netsrvd}" "$initscript"

find "$tmp" -path "$scratch" -prune -o -name netsrvd.service -type f -print \
    >"$scratch/units"
unit=$(head -n 1 "$scratch/units")
if [ -n "$unit" ] && [ "$(wc -l <"$scratch/units")" -eq 1 ]; then
	ok "systemd unit installed as ${unit#"$tmp"}"
	check "netsrvd.socket is installed beside netsrvd.service" \
	    test -s "${unit%/*}/netsrvd.socket"
	check "netsrvd.service runs $sbindir/netsrvd" \
	    grep -q "^ExecStart=$sbindir/netsrvd -f -c $sysconfdir/netsrv.conf" "$unit"
else
	fail "exactly one netsrvd.service under DESTDIR" "$scratch/units"
	unit=
fi

# Every @name@ must have been substituted with this build's paths.
: >"$scratch/placeholders"
for f in "$initscript" "$defaults" "$logrotate" "$man8" "$man5" ${unit:+"$unit"}; do
	[ -f "$f" ] && grep -Hn '@[A-Za-z_][A-Za-z_]*@' "$f" >>"$scratch/placeholders"
done
if [ -s "$scratch/placeholders" ]; then
	fail "placeholders left in installed files" "$scratch/placeholders"
else
	ok "no @placeholder@ left in the installed text files"
fi
init_defaults() {
	grep -q "NETSRVD_BIN:-$sbindir/netsrvd}" "$initscript" &&
	    grep -q "NETSRVD_CONF:-$sysconfdir/netsrv.conf}" "$initscript"
}
check "init script defaults to $sbindir/netsrvd and $sysconfdir/netsrv.conf" \
    init_defaults
check "logrotate file signals the pid file under $runstatedir" \
    grep -q "$runstatedir/netsrvd/netsrvd.pid" "$logrotate"

# man -l renders the installed pages (groff's warnings are lint.sh's job).
if command -v man >/dev/null 2>&1; then
	for page in "$man8" "$man5"; do
		name=${page##*/}
		if MANWIDTH=80 man -l "$page" >"$scratch/man.out" 2>"$scratch/man.err" &&
		    grep -q '^NAME' "$scratch/man.out" &&
		    grep -q 'netsrv' "$scratch/man.out"; then
			ok "man -l renders the installed $name"
		else
			fail "man -l $name" "$scratch/man.err"
		fi
	done
else
	echo "# man is not installed: man -l not tried (apt-get install man-db)"
fi

# The installed binary accepts the installed, unedited config.
"$bin" -t -c "$conf" >"$scratch/t.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q 'configuration OK' "$scratch/t.out"; then
	ok "installed netsrvd -t accepts the installed netsrv.conf"
else
	echo "exit status $rc" >>"$scratch/t.out"
	fail "installed netsrvd -t on the installed netsrv.conf" "$scratch/t.out"
fi

# A second install keeps the sysadmin's netsrv.conf (and quotes).
echo '# edited by the sysadmin (install_test)' >>"$conf"
echo '% edited by the sysadmin (install_test)' >>"$quotes"
echo '# edited by the sysadmin (install_test)' >>"$defaults"
cp "$conf" "$scratch/conf.edited"
cp "$quotes" "$scratch/quotes.edited"
cp "$defaults" "$scratch/defaults.edited"
if "$MAKE" -C "$TOP_BUILDDIR" install DESTDIR="$tmp" >"$scratch/install2.out" 2>&1; then
	ok "second make install DESTDIR=..."
else
	fail "second make install exited with status $?" "$scratch/install2.out"
fi
check "second install keeps the edited netsrv.conf" \
    cmp -s "$scratch/conf.edited" "$conf"
check "second install keeps the edited netsrvd-quotes" \
    cmp -s "$scratch/quotes.edited" "$quotes"
check "second install keeps the edited default/netsrvd" \
    cmp -s "$scratch/defaults.edited" "$defaults"
check "second install says it keeps netsrv.conf" \
    grep -q 'keeping existing' "$scratch/install2.out"

# --- the init script, as root ---------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	summary
	[ "$failed" -eq 0 ] || exit 1
	echo "SKIP: the init script test needs root"
	exit 77
fi
for tool in nc timeout; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		fail "$tool is needed for the init script test (apt-get install netcat-openbsd coreutils)"
		summary
		exit 1
	fi
done

bin_real=$(readlink -f "$bin")
pidfile=$scratch/run/netsrvd.pid
logfile=$scratch/netsrvd.log
testconf=$scratch/netsrv.conf

# port_free PORT: no TCP socket of any state uses PORT.
port_free() {
	if command -v ss >/dev/null 2>&1; then
		[ -z "$(ss -Htan "( sport = :$1 )" 2>/dev/null)" ]
	else
		! nc -z -w 1 127.0.0.1 "$1" 2>/dev/null
	fi
}

# Three consecutive free ports in 25000-31999, from a random start: below the
# ephemeral range (clients), above the C tests' range (10000-24999).
base=
tries=0
while [ "$tries" -lt 20 ]; do
	tries=$((tries + 1))
	r=$(od -An -N2 -tu2 /dev/urandom | tr -dc 0-9)
	p=$((25000 + ${r:-0} % 6997))
	if port_free "$p" && port_free "$((p + 1))" && port_free "$((p + 2))"; then
		base=$p
		break
	fi
done
if [ -z "$base" ]; then
	fail "no three free TCP ports found in 20 tries"
	summary
	exit 1
fi
port_echo=$base
port_daytime=$((base + 1))
port_extra=$((base + 2))
echo "# ports: echo $port_echo, daytime $port_daytime, daytime-2 $port_extra"

# write_conf good|extra|broken: the test's config, on loopback ports.
write_conf() {
	handler="echo"
	extra=
	case $1 in
	broken) handler=ecoh ;;
	extra)
		extra=",
	{ name = \"daytime-2\"; protocol = \"tcp\"; address = \"127.0.0.1\"; port = $port_extra; handler = \"daytime\"; }"
		;;
	esac
	cat >"$testconf" <<EOF
# netsrvd install_test
log = {
	target = "$logfile";
	level = "info";
	connections = true;
};
workers = 2;
timeout = 10;
shutdown_timeout = 2;
services = (
	{ name = "echo"; protocol = "tcp"; address = "127.0.0.1"; port = $port_echo; handler = "$handler"; },
	{ name = "daytime"; protocol = "tcp"; address = "127.0.0.1"; port = $port_daytime; handler = "daytime"; }$extra
);
EOF
}

# initd ACTION: runs the installed init script on the test's files (and
# the installed defaults file, all commented out), with start-stop-daemon
# unless $nossd is set; $rc is its exit status, its
# output is in $scratch/init.out.
nossd=
initd() {
	if [ -n "$nossd" ]; then
		set -- env NETSRVD_SSD= "$initscript" "$1"
	else
		set -- env "$initscript" "$1"
	fi
	NETSRVD_BIN=$bin NETSRVD_CONF=$testconf NETSRVD_PIDFILE=$pidfile \
	    NETSRVD_DEFAULTS=$defaults timeout 60 "$@" >"$scratch/init.out" 2>&1
	rc=$?
}

# expect STATUS LABEL: checks the last initd's exit status.
expect() {
	if [ "$rc" -eq "$1" ]; then
		ok "$2: exit $rc"
	else
		fail "$2: exit $rc, expected $1" "$scratch/init.out"
	fi
}

# expect_fail LABEL: the last initd failed.
expect_fail() {
	if [ "$rc" -ne 0 ]; then
		ok "$1: exit $rc"
	else
		fail "$1: exit 0, expected a failure" "$scratch/init.out"
	fi
}

# daemon_pid: the pid in the pid file, in $dpid, if it runs netsrvd.
daemon_pid() {
	dpid=
	[ -f "$pidfile" ] && read -r dpid <"$pidfile"
	case $dpid in '' | *[!0-9]*) dpid= ; return 1 ;; esac
	pids="$pids $dpid"
	ours "$dpid"
}

# echo_ok: a TCP echo round trip.
echo_ok() {
	got=$(printf 'netsrvd install test\n' |
	    timeout 10 nc -N -w 5 127.0.0.1 "$port_echo" 2>/dev/null)
	[ "$got" = "netsrvd install test" ]
}

# daytime_ok PORT: a daytime line comes back.
daytime_ok() {
	got=$(timeout 10 nc -w 5 127.0.0.1 "$1" </dev/null 2>/dev/null)
	case $got in
	*[0-9]*) return 0 ;;
	esac
	return 1
}

# serving LABEL: echo and daytime answer.
serving() {
	if echo_ok && daytime_ok "$port_daytime"; then
		ok "$1: echo and daytime answer"
	else
		fail "$1: echo and daytime do not answer" "$logfile"
	fi
}

# running LABEL [PID]: the pid file names a running netsrvd (PID if given).
running() {
	if ! daemon_pid; then
		fail "$1: the pid file names no running netsrvd (\"$dpid\")" "$scratch/init.out"
	elif [ -n "${2:-}" ] && [ "$dpid" != "$2" ]; then
		fail "$1: pid $dpid, expected $2"
	elif ours "$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$dpid/status")"; then
		fail "$1: pid $dpid is a worker, not the master"
	else
		ok "$1: pid file names running netsrvd pid $dpid"
	fi
}

# stopped LABEL PID: PID is gone (bounded wait) and so is the pid file.
stopped() {
	if ! gone "$2"; then
		fail "$1: pid $2 still runs"
	elif [ -e "$pidfile" ]; then
		fail "$1: pid file $pidfile left behind"
	else
		ok "$1: pid $2 gone, pid file removed"
	fi
	if none_left; then
		ok "$1: no worker left"
	else
		fail "$1: netsrvd processes left: $(all_ours | tr '\n' ' ')"
	fi
}

write_conf good
initd configtest
expect 0 "configtest on a good config"

initd start
expect 0 "start"
running "start"
pid1=$dpid
serving "start"

initd status
expect 0 "status while running"

initd start
expect 0 "start while running"
running "start while running" "$pid1"

write_conf broken
initd configtest
expect_fail "configtest on a broken config (handler \"ecoh\")"
if grep -q "$testconf:[0-9][0-9]*:" "$scratch/init.out"; then
	ok "configtest names the file and line of the error"
else
	fail "configtest does not name FILE:LINE" "$scratch/init.out"
fi
initd reload
expect_fail "reload refuses a broken config"
running "after the refused reload" "$pid1"
serving "after the refused reload"
initd restart
expect_fail "restart refuses a broken config"
running "after the refused restart" "$pid1"

write_conf extra
initd configtest
expect 0 "configtest on the good config again"
initd reload
expect 0 "reload of a good config with one more service"
running "after reload" "$pid1"
n=0
while ! daytime_ok "$port_extra" && [ "$n" -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done
if [ "$n" -lt 50 ]; then
	ok "after reload: the added service answers"
else
	fail "after reload: the added service on port $port_extra does not answer" "$logfile"
fi
serving "after reload"

initd restart
expect 0 "restart"
if gone "$pid1"; then
	ok "restart: old pid $pid1 gone"
else
	fail "restart: old pid $pid1 still runs"
fi
if daemon_pid && [ "$dpid" != "$pid1" ]; then
	ok "restart: new pid $dpid"
else
	fail "restart: no new running pid (\"$dpid\", was $pid1)" "$scratch/init.out"
fi
pid2=$dpid
serving "after restart"

initd stop
expect 0 "stop"
stopped "stop" "$pid2"
initd status
expect 3 "status when stopped"
initd stop
expect 0 "stop when stopped"

# The same without start-stop-daemon: the script's kill fallback.
nossd=1
write_conf good
initd start
expect 0 "start (NETSRVD_SSD=)"
running "start (NETSRVD_SSD=)"
pid3=$dpid
serving "start (NETSRVD_SSD=)"
initd status
expect 0 "status while running (NETSRVD_SSD=)"
initd stop
expect 0 "stop (NETSRVD_SSD=)"
stopped "stop (NETSRVD_SSD=)" "$pid3"
initd status
expect 3 "status when stopped (NETSRVD_SSD=)"
write_conf broken
initd start
expect_fail "start refuses a broken config (NETSRVD_SSD=)"
if [ -e "$pidfile" ] || [ -n "$(all_ours)" ]; then
	fail "refused start: a pid file or a netsrvd process exists"
else
	ok "refused start: no pid file, no netsrvd process"
fi

summary
[ "$failed" -eq 0 ]
