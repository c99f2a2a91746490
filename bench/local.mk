# bench/local.mk: `make bench`, included from the top Makefile.am (paths are
# relative to the top directory). The programs are EXTRA_PROGRAMS: built only
# by `make bench`, never by `make all` or `make check`. Automake refuses
# `EXTRA_PROGRAMS +=` unless it was set with `=` before; nothing else sets it
# today. If the top Makefile.am ever does, make this a `+=`.

EXTRA_PROGRAMS = bench/netsrvd-bench bench/refecho bench/refexec bench/tlsload

# No sanitizers here even with --enable-sanitizers: a load generator and a
# yardstick that run slower than they can would measure nothing.
bench_netsrvd_bench_SOURCES = bench/netsrvd-bench.c bench/bench.h \
	bench/common.c bench/tcp.c bench/udp.c bench/bulk.c bench/helpers.c bench/proc.c \
	tests/procutil.c tests/procutil.h
# the test harness's /proc and port helpers (no cmocka in them)
bench_netsrvd_bench_CPPFLAGS = -I$(top_srcdir)/tests
bench_netsrvd_bench_CFLAGS = $(WARN_CFLAGS) -pthread
bench_netsrvd_bench_LDFLAGS = -pthread
bench_netsrvd_bench_LDADD =
bench_refecho_SOURCES = bench/refecho.c
bench_refecho_CFLAGS = $(WARN_CFLAGS)
bench_refecho_LDFLAGS =
bench_refecho_LDADD =
bench_refexec_SOURCES = bench/refexec.c
bench_refexec_CFLAGS = $(WARN_CFLAGS)
bench_refexec_LDFLAGS =
bench_refexec_LDADD =
# the TLS bench's client. configure's OpenSSL check is the daemon's and can be
# off (--disable-tls, then $(OPENSSL_LIBS) is empty); the client needs the
# library either way, so it is linked by name, as libssl-dev installs it.
bench_tlsload_SOURCES = bench/tlsload.c
bench_tlsload_CFLAGS = $(WARN_CFLAGS) -pthread
bench_tlsload_LDFLAGS = -pthread
bench_tlsload_LDADD = -lssl -lcrypto

EXTRA_DIST += bench/lib.sh bench/run-bench.sh bench/run-bench-exec.sh bench/run-bench-redirect.sh \
	bench/run-bench-tls.sh bench/README.md
# Automake does not clean EXTRA_PROGRAMS by itself.
CLEANFILES += bench/netsrvd-bench$(EXEEXT) bench/refecho$(EXEEXT) bench/refexec$(EXEEXT) \
	bench/tlsload$(EXEEXT)

# BENCH_SECONDS, BENCH_ROUNDS, BENCH_WORKERS, BENCH_CLIENTS, BENCH_MODES,
# BENCH_RAW and XINETD pass through the environment (see bench/README.md).
bench: src/netsrvd$(EXEEXT) bench/netsrvd-bench$(EXEEXT) bench/refecho$(EXEEXT) bench/refexec$(EXEEXT)
	NETSRVD='$(abs_top_builddir)/src/netsrvd$(EXEEXT)' \
	NETSRVD_BENCH='$(abs_top_builddir)/bench/netsrvd-bench$(EXEEXT)' \
	REFECHO='$(abs_top_builddir)/bench/refecho$(EXEEXT)' \
	$(SHELL) $(srcdir)/bench/run-bench.sh
	$(MAKE) bench-exec
	$(MAKE) bench-redirect
	$(MAKE) bench-tls

# the exec handler against the design's limit, tcpserver and xinetd (also alone)
bench-exec: src/netsrvd$(EXEEXT) bench/netsrvd-bench$(EXEEXT) bench/refexec$(EXEEXT)
	NETSRVD='$(abs_top_builddir)/src/netsrvd$(EXEEXT)' \
	NETSRVD_BENCH='$(abs_top_builddir)/bench/netsrvd-bench$(EXEEXT)' \
	REFEXEC='$(abs_top_builddir)/bench/refexec$(EXEEXT)' \
	$(SHELL) $(srcdir)/bench/run-bench-exec.sh

# the redirect handler against socat, xinetd's redirect and the backend itself (also alone)
bench-redirect: src/netsrvd$(EXEEXT) bench/netsrvd-bench$(EXEEXT) bench/refecho$(EXEEXT)
	NETSRVD='$(abs_top_builddir)/src/netsrvd$(EXEEXT)' \
	NETSRVD_BENCH='$(abs_top_builddir)/bench/netsrvd-bench$(EXEEXT)' \
	REFECHO='$(abs_top_builddir)/bench/refecho$(EXEEXT)' \
	$(SHELL) $(srcdir)/bench/run-bench-redirect.sh

# TLS: netsrvd's tls services (echo, exec) against stunnel and HAProxy (also alone)
bench-tls: src/netsrvd$(EXEEXT) bench/netsrvd-bench$(EXEEXT) bench/refecho$(EXEEXT) \
	    bench/refexec$(EXEEXT) bench/tlsload$(EXEEXT)
	NETSRVD='$(abs_top_builddir)/src/netsrvd$(EXEEXT)' \
	NETSRVD_BENCH='$(abs_top_builddir)/bench/netsrvd-bench$(EXEEXT)' \
	REFECHO='$(abs_top_builddir)/bench/refecho$(EXEEXT)' \
	REFEXEC='$(abs_top_builddir)/bench/refexec$(EXEEXT)' \
	TLSLOAD='$(abs_top_builddir)/bench/tlsload$(EXEEXT)' \
	$(SHELL) $(srcdir)/bench/run-bench-tls.sh

.PHONY: bench bench-exec bench-redirect bench-tls
