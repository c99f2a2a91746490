#!/bin/sh
# Runs one libFuzzer target for a while on a fresh copy of its seed corpus
# and prints one line of results; used by `make fuzz` (fuzz/local.mk).
#
#   fuzz/run-fuzzer.sh BINARY SEEDDIR WORKDIR SECONDS [--copy=FILE]... [LIBFUZZER-FLAG]...
#
# WORKDIR is emptied, then holds corpus/ (the seeds, plus what the run
# finds), artifacts/ (crash-*, leak-*, timeout-*, oom-* reproducers), the
# run's log, and each --copy=FILE (files the inputs may name, relative to
# the fuzzer's working directory, which is WORKDIR). A relative path in
# -dict=PATH is taken from the current directory. The seed directory is
# only read. Exit status 0 when the run ended cleanly, 1 on any finding.

set -u

if [ $# -lt 4 ]; then
	echo "usage: $0 BINARY SEEDDIR WORKDIR SECONDS [--copy=FILE]... [FLAG]..." >&2
	exit 64
fi

abs() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$PWD/$1" ;;
	esac
}

bin=$(abs "$1")
seeds=$(abs "$2")
work=$(abs "$3")
seconds=$4
shift 4
name=${bin##*/}

case $seconds in
'' | *[!0-9]*)
	echo "$name: FUZZ_SECONDS must be a number of seconds, not \"$seconds\"" >&2
	exit 64
	;;
esac
if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
	echo "$name: no $bin or no seed directory $seeds" >&2
	exit 64
fi

rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts" || exit 1
cp "$seeds"/* "$work/corpus/" || exit 1
# A distribution's sources may be read-only; the copy is ours to grow.
chmod u+w "$work/corpus"/* || exit 1

# The remaining arguments, absolute where they name files, as "$@".
n=$#
while [ "$n" -gt 0 ]; do
	a=$1
	shift
	n=$((n - 1))
	case $a in
	--copy=*) cp "$(abs "${a#--copy=}")" "$work/" || exit 1 ;;
	-dict=*) set -- "$@" "-dict=$(abs "${a#-dict=}")" ;;
	*) set -- "$@" "$a" ;;
	esac
done

# Reports need names: LeakSanitizer matches lsan.supp's suppressions
# against symbolized frames only, so without a symbolizer a known
# library leak would be reported as ours (and a run's result would
# depend on whether llvm-symbolizer happens to be installed).
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] || [ ! -x "$ASAN_SYMBOLIZER_PATH" ]; then
	echo "$name: no llvm-symbolizer at '${ASAN_SYMBOLIZER_PATH:-}' (set ASAN_SYMBOLIZER_PATH; Debian 12: apt-get install llvm-14)" >&2
	exit 64
fi
export ASAN_SYMBOLIZER_PATH

# UBSan reports abort (the binaries are built -fno-sanitize-recover=all);
# ASan and LSan are libFuzzer's defaults already.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export UBSAN_OPTIONS

log=$work/$name.log
(
	cd "$work" &&
	    exec "$bin" -max_total_time="$seconds" -print_final_stats=1 \
	    -timeout=25 -artifact_prefix=artifacts/ "$@" corpus
) </dev/null >"$log" 2>&1
rc=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
new=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n 1)
rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n 1)
cov=$(sed -n 's/^#[0-9]*.* \(cov: [0-9]* ft: [0-9]*\).*/\1/p' "$log" | tail -n 1)
units=$(find "$work/corpus" -type f | wc -l | tr -d ' ')

note=
if grep -q 'disabled leak detection after every mutation' "$log"; then
	note=" (per-input leak checks turned off by libFuzzer; leaks still checked at exit)"
fi
echo "$name: ${rate:-?} execs/s, ${execs:-?} execs in ${seconds}s, ${cov:-cov: ? ft: ?}, corpus ${units} (+${new:-?} new), peak rss ${rss:-?} MB$note"

found=$(find "$work/artifacts" -type f | head -n 20)
if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
	echo "$name: FAILED (exit status $rc); the report:" >&2
	# the sanitizer's or libFuzzer's report, without the progress lines
	grep -v -E '^#[0-9]+[[:space:]]' "$log" | tail -n 60 >&2
	if [ -n "$found" ]; then
		echo "$name: reproduce with: $bin ARTIFACT (run in $work)" >&2
		printf '%s\n' "$found" >&2
	fi
	exit 1
fi
exit 0
