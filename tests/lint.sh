#!/bin/sh
# Lints what netsrvd installs besides the binary: the man pages (mandoc,
# man/groff), the init script, its defaults file and the shell scripts
# (shellcheck, checkbashisms), the systemd units (systemd-analyze verify)
# and the logrotate file (logrotate -d); and that the #include graph of
# src/ has no circle (build-aux/include-cycles). The man pages' rendered
# text (mandoc and groff) must hold its quotes in pairs: a macro that
# swallows the words after it gives ‘TCP or ‘UDP’’ or ["NAME=value, ..."],
# which no formatter warns about. Any diagnostic is a failure.
#
#   tests/lint.sh [SRCDIR [BUILDDIR]]
#
# SRCDIR defaults to the tree holding this script, BUILDDIR to the current
# directory; scratch files go to BUILDDIR/lint.PID and are removed. The .in
# files are substituted here, as the build does, with sbindir=/usr/sbin,
# sysconfdir=/etc, runstatedir=/run. A missing tool is skipped with a
# notice, unless $CI is set: then it is a failure. The last line is
# "lint: N passed, N failed, N skipped"; the exit status is 1 on any failure.
# The tools: apt-get install mandoc man-db groff-base shellcheck devscripts
# systemd logrotate python3

srcdir=${1:-$(dirname "$0")/..}
builddir=${2:-.}

if [ ! -f "$srcdir/man/netsrvd.8.in" ]; then
	echo "usage: $0 [SRCDIR [BUILDDIR]]: no man/netsrvd.8.in in $srcdir" >&2
	exit 64
fi
if ! mkdir -p "$builddir"; then
	echo "lint: cannot create $builddir" >&2
	exit 1
fi
srcdir=$(cd "$srcdir" && pwd) || exit 1
builddir=$(cd "$builddir" && pwd) || exit 1
scratch=$builddir/lint.$$
rm -rf "$scratch"
mkdir -p "$scratch/sbin" "$scratch/units" "$scratch/man/man5" \
    "$scratch/man/man8" || exit 1
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM

# Output of groff and man in a known form, whatever the caller's locale.
LC_ALL=C
export LC_ALL

passed=0
failed=0
skipped=0

version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' \
    "$srcdir/configure.ac" 2>/dev/null)
version=${version:-0}

# subst IN OUT [SBINDIR]: the build's substitution of the @...@ names.
subst() {
	sed -e "s|@sbindir@|${3:-/usr/sbin}|g" \
	    -e 's|@sysconfdir@|/etc|g' \
	    -e 's|@runstatedir@|/run|g' \
	    -e "s|@PACKAGE_VERSION@|$version|g" "$1" >"$2"
}

have() {
	command -v "$1" >/dev/null 2>&1
}

pass() {
	passed=$((passed + 1))
	echo "lint: ok   $1"
}

# fail LABEL [FILE]: prints FILE's lines, each prefixed with the label.
fail() {
	failed=$((failed + 1))
	echo "lint: FAIL $1"
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		sed "s|^|lint: $1: |" "$2"
	fi
}

# missing TOOL PACKAGE LABEL: a skip, or a failure under CI.
missing() {
	if [ -n "${CI:-}" ]; then
		failed=$((failed + 1))
		echo "lint: FAIL $3: $1 is not installed (CI is set; apt-get install $2)"
	else
		skipped=$((skipped + 1))
		echo "lint: SKIP $3: $1 is not installed (apt-get install $2)"
	fi
}

# check LABEL TOOL PACKAGE COMMAND...: passes if COMMAND exits 0 and prints
# nothing on standard output or standard error.
check() {
	label=$1
	tool=$2
	pkg=$3
	shift 3
	if ! have "$tool"; then
		missing "$tool" "$pkg" "$label"
		return
	fi
	out=$scratch/out
	"$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && [ ! -s "$out" ]; then
		echo "exit status $rc" >"$out"
	fi
	if [ "$rc" -eq 0 ] && [ ! -s "$out" ]; then
		pass "$label"
	else
		fail "$label" "$out"
	fi
}

# Renders a page with groff through man(1); only the warnings are output.
man_render() {
	{ MANWIDTH=80 man --warnings -l "$1" >/dev/null; } 2>&1
}

# The rendered page on stdin, overstrike removed, its typographic quotes
# mapped to one byte each (\001 ‘ \002 ’ \003 “ \004 ”) for awk in the C
# locale.
map_quotes() {
	bs=$(printf '\b')
	sed -e "s/.$bs//g" \
	    -e "s/$(printf '\342\200\230')/$(printf '\001')/g" \
	    -e "s/$(printf '\342\200\231')/$(printf '\002')/g" \
	    -e "s/$(printf '\342\200\234')/$(printf '\003')/g" \
	    -e "s/$(printf '\342\200\235')/$(printf '\004')/g"
}

# Reads map_quotes output paragraph by paragraph (a quote may span lines)
# and prints each pair of quotes that is not one: a nested or lone ‘ or ’
# or “ ”, an odd number of " (\\" is a C escape, not a quote), a quoted
# span that cuts a bracket pair, that is empty or begins or ends with a
# space (" paired across two strings), or holds a list's ", ..."; and a
# flag list that went on into the prose after a comma (-t, -a -word).
# shellcheck disable=SC2016 # an awk program: its $0 is awk's
QUOTES_AWK='
function complain(what, at,   from, ctx) {
	from = at > 50 ? at - 50 : 1
	ctx = substr(p, from, 110)
	gsub(/\001/, "\342\200\230", ctx); gsub(/\002/, "\342\200\231", ctx)
	gsub(/\003/, "\342\200\234", ctx); gsub(/\004/, "\342\200\235", ctx)
	printf "paragraph at line %d: %s: ...%s...\n", start, what, ctx
}
function balanced(s,   i, c, d) {
	d = 0
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "[" || c == "(" || c == "{")
			d++
		else if ((c == "]" || c == ")" || c == "}") && --d < 0)
			return 0
	}
	return d == 0
}
function span(from, to, kind,   s) {
	s = substr(p, from + 1, to - from - 1)
	if (!balanced(s))
		complain(kind " quotes cut a bracket pair", from)
	else if (kind == "\"" && s == "")
		complain("\"\": one string closed where the next opened", from)
	else if (kind == "\"" && (s ~ /^ / || s ~ / $/))
		complain("a \"...\" that begins or ends with a space: quotes paired across strings", from)
	else if (s ~ /, \.\.\./)
		complain(kind " quotes around a whole list (, ...)", from)
}
function check(   i, c, n, o1, o2, oa) {
	n = length(p)
	o1 = o2 = oa = 0
	if (match(p, /-[A-Za-z]+, -[A-Za-z]+ -[A-Za-z]/))
		complain("a flag list that swallowed the words after it", RSTART)
	for (i = 1; i <= n; i++) {
		c = substr(p, i, 1)
		if (c == "\001") {
			if (o1) { complain("a single quote opened inside another", i); return }
			o1 = i
		} else if (c == "\002") {
			if (!o1) { complain("a single quote closed that never opened", i); return }
			span(o1, i, "single"); o1 = 0
		} else if (c == "\003") {
			if (o2) { complain("a double quote opened inside another", i); return }
			o2 = i
		} else if (c == "\004") {
			if (!o2) { complain("a double quote closed that never opened", i); return }
			span(o2, i, "curly double"); o2 = 0
		} else if (c == "\"" && substr(p, i - 1, 1) != "\\") {
			if (oa) { span(oa, i, "\""); oa = 0 } else oa = i
		}
	}
	if (o1) complain("a single quote never closed", o1)
	if (o2) complain("a double quote never closed", o2)
	if (oa) complain("an odd number of \"", oa)
}
/^[ \t]*$/ { if (p != "") check(); p = ""; next }
{ if (p == "") start = NR; sub(/^[ \t]+/, ""); p = p == "" ? $0 : p " " $0 }
END { if (p != "") check() }
'

# quotes_rendered mandoc|groff PAGE: the text as that formatter renders it.
quotes_rendered() {
	case $1 in
	mandoc) mandoc -T utf8 "$2" ;;
	groff) groff -T utf8 -mandoc -P -c "$2" 2>/dev/null ;;
	esac | map_quotes | awk "$QUOTES_AWK"
}

# logrotate -d always talks; its errors are the lines to report.
logrotate_check() {
	logrotate -d -s "$scratch/logrotate.state" "$1" >"$scratch/lr.out" 2>&1
	rc=$?
	grep -i -e 'error' -e 'warning' "$scratch/lr.out" |
	    grep -v 'logrotate in debug mode does nothing'
	[ "$rc" -eq 0 ] || echo "logrotate exited with status $rc"
	return 0
}

# systemd-analyze verify checks that Exec paths are executable and that
# the man pages of Documentation= exist: the unit gets a dummy netsrvd
# in a scratch sbindir, and man(1) finds the substituted pages there.
verify_units() {
	if have man; then
		MANPATH=$scratch/man systemd-analyze verify "$@"
	else
		systemd-analyze verify --man=no "$@"
	fi
}

# Any @name@ left over is a placeholder the substitution does not know.
placeholders() {
	grep -n '@[A-Za-z_][A-Za-z_]*@' "$@"
	return 0
}

# --- substitute -------------------------------------------------------------
subst "$srcdir/man/netsrvd.8.in" "$scratch/man/man8/netsrvd.8"
subst "$srcdir/man/netsrv.conf.5.in" "$scratch/man/man5/netsrv.conf.5"
subst "$srcdir/init/netsrvd.init.in" "$scratch/netsrvd.init"
subst "$srcdir/init/netsrvd.logrotate.in" "$scratch/netsrvd.logrotate"
subst "$srcdir/init/netsrvd.default.in" "$scratch/netsrvd.default"
subst "$srcdir/init/netsrvd.service.in" "$scratch/units/netsrvd.service" \
    "$scratch/sbin"
cp "$srcdir/init/netsrvd.socket" "$scratch/units/netsrvd.socket"
printf '#!/bin/sh\nexit 0\n' >"$scratch/sbin/netsrvd"
chmod 755 "$scratch/sbin/netsrvd"
# logrotate ignores a configuration that others may write.
chmod 644 "$scratch/netsrvd.logrotate"

check "placeholders" grep grep placeholders \
    "$scratch/man/man8/netsrvd.8" "$scratch/man/man5/netsrv.conf.5" \
    "$scratch/netsrvd.init" "$scratch/netsrvd.logrotate" \
    "$scratch/netsrvd.default" "$scratch/units/netsrvd.service"

# --- man pages --------------------------------------------------------------
for page in "$scratch/man/man8/netsrvd.8" "$scratch/man/man5/netsrv.conf.5"; do
	name=${page##*/}
	check "mandoc $name" mandoc mandoc mandoc -T lint -W warning "$page"
	check "man $name" man "man-db groff-base" man_render "$page"
	check "quotes $name (mandoc)" mandoc mandoc quotes_rendered mandoc "$page"
	check "quotes $name (groff)" groff groff-base quotes_rendered groff "$page"
done

# --- shell scripts ----------------------------------------------------------
for script in "$scratch/netsrvd.init" "$srcdir/build-aux/install-deps" \
    "$srcdir/build-aux/check-fresh" "$srcdir/build-aux/prove-make-run" \
    "$srcdir/build-aux/check-unprivileged" "$srcdir/build-aux/check-package" \
    "$srcdir/build-aux/check-package-steps" \
    "$srcdir/debian/preinst" "$srcdir/debian/postinst" "$srcdir/debian/postrm" \
    "$srcdir/tests/lint.sh" "$srcdir/tests/install_test.sh" \
    "$srcdir/fuzz/run-fuzzer.sh" "$srcdir/bench/run-bench.sh" "$srcdir/bench/run-bench-exec.sh" \
    "$srcdir/bench/run-bench-redirect.sh" "$srcdir/bench/run-bench-tls.sh"; do
	case $script in
	"$scratch"/*) name=init/${script##*/}.in ;;
	*) name=${script#"$srcdir"/} ;;
	esac
	check "shellcheck $name" shellcheck shellcheck \
	    shellcheck -x -f gcc "$script"
	check "checkbashisms $name" checkbashisms devscripts \
	    checkbashisms "$script"
done
# sourced by the init script: sh with no #! line, which checkbashisms wants
check "shellcheck init/netsrvd.default.in" shellcheck shellcheck \
    shellcheck -s sh -f gcc "$scratch/netsrvd.default"
# sourced by check-fresh and check-package
check "shellcheck build-aux/fresh-base.sh" shellcheck shellcheck \
    shellcheck -s sh -f gcc "$srcdir/build-aux/fresh-base.sh"
# sourced by the bench scripts
check "shellcheck bench/lib.sh" shellcheck shellcheck \
    shellcheck -s sh -f gcc "$srcdir/bench/lib.sh"

# --- systemd units ----------------------------------------------------------
check "systemd-analyze netsrvd.service netsrvd.socket" systemd-analyze \
    systemd verify_units "$scratch/units/netsrvd.service" \
    "$scratch/units/netsrvd.socket"

# --- the include graph ------------------------------------------------------
# quiet when there is no circle; the circle and its #include lines if one
include_cycles() {
	python3 "$srcdir/build-aux/include-cycles" "$srcdir/src" >"$scratch/ic" ||
	    cat "$scratch/ic"
}
check "include-cycles src" python3 python3 include_cycles

# --- logrotate --------------------------------------------------------------
check "logrotate netsrvd.logrotate" logrotate logrotate \
    logrotate_check "$scratch/netsrvd.logrotate"

echo "lint: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
