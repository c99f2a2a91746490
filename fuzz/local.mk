# fuzz/local.mk: libFuzzer targets, included from the top Makefile.am.
# Not part of all or check:
#
#   make fuzz                     build the fuzzers, run each FUZZ_SECONDS (60)
#   make fuzz FUZZ_SECONDS=600    longer; `make -j4 fuzz` runs them side by side
#   make fuzz-smoke               the same for 5 seconds each
#   make fuzz-config              one of them (also fuzz-cidr, fuzz-quotes, fuzz-udp, fuzz-proxy,
#                                 fuzz-import)
#   make fuzz-clean               remove the binaries and run directories
#
# Each run works on a fresh copy of fuzz/corpus/<target>/ in
# $(builddir)/fuzz/run/<target>/ (the source tree is never written), prints
# execs/s, execs and coverage, and fails on any crash, sanitizer report,
# leak or timeout, leaving the reproducer in fuzz/run/<target>/artifacts/.
# The fuzzers are built with $(FUZZ_CC), whatever CC configure chose, from
# the sources themselves (not src/libnetsrvd.a, which has the build's flags).
# Debian 12: apt-get install clang libclang-rt-14-dev (libFuzzer's runtime)
# llvm-14 (llvm-symbolizer: lsan.supp matches symbolized frames only).

FUZZ_CC = clang
# the symbolizer of FUZZ_CC's own LLVM, found where that compiler looks
FUZZ_SYMBOLIZER = $(shell $(FUZZ_CC) -print-prog-name=llvm-symbolizer 2>/dev/null)
FUZZ_SECONDS = 60
# extra libFuzzer flags for every run, e.g. FUZZ_OPTS=-max_len=8192
FUZZ_OPTS =
# the proxy parser reads at most 4096 bytes of header; a little more shows what follows
FUZZ_PROXY_MAX_LEN = 4160
FUZZ_FLAGS = -g -O1 -std=gnu11 -fno-omit-frame-pointer -fno-strict-aliasing \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	$(WARN_CFLAGS) $(AM_CPPFLAGS)

FUZZ_PROGS = fuzz/fuzz_config fuzz/fuzz_cidr fuzz/fuzz_quotes fuzz/fuzz_udp fuzz/fuzz_proxy \
	fuzz/fuzz_import

FUZZ_HDRS = $(srcdir)/src/cidr.h $(srcdir)/src/config.h \
	$(srcdir)/src/handler.h $(srcdir)/src/handler_chargen.h \
	$(srcdir)/src/handler_daytime.h $(srcdir)/src/handler_qotd.h \
	$(srcdir)/src/handler_time.h \
	$(srcdir)/src/handler_status.h $(srcdir)/src/io.h $(srcdir)/src/log.h \
	$(srcdir)/src/proxy.h $(srcdir)/src/quotes.h $(srcdir)/src/util.h autoconfig.h \
	$(srcdir)/src/config_error.h $(srcdir)/src/access.h \
	$(srcdir)/src/exec_spawn.h $(srcdir)/src/exec_watch.h $(srcdir)/src/pool.h \
	$(srcdir)/src/sig.h $(srcdir)/src/sandbox.h $(srcdir)/src/control.h syscall-names.h
FUZZ_CIDR_SRC = $(srcdir)/src/cidr.c
FUZZ_PROXY_SRC = $(srcdir)/src/proxy.c
FUZZ_QUOTES_SRC = $(srcdir)/src/quotes.c $(srcdir)/src/util.c
FUZZ_HANDLER_SRC = $(srcdir)/src/handler.c $(srcdir)/src/handler_echo.c \
	$(srcdir)/src/handler_discard.c $(srcdir)/src/handler_chargen.c \
	$(srcdir)/src/handler_daytime.c $(srcdir)/src/handler_time.c \
	$(srcdir)/src/handler_qotd.c $(srcdir)/src/handler_status.c \
	$(srcdir)/src/scoreboard.c $(srcdir)/src/stats.c $(srcdir)/src/shm.c \
	$(srcdir)/src/io.c $(srcdir)/src/log.c $(srcdir)/src/access.c \
	$(srcdir)/src/util.c \
	$(srcdir)/src/handler_exec.c $(srcdir)/src/exec_spawn.c $(srcdir)/src/exec_watch.c \
	$(srcdir)/src/perm.c $(srcdir)/src/sockdiag.c $(srcdir)/src/orphans.c \
	$(srcdir)/src/pool.c $(srcdir)/src/sig.c $(srcdir)/src/sandbox.c
# the handlers' config-time checks report through config.c (config_error)
FUZZ_UDP_SRC = $(FUZZ_HANDLER_SRC) $(srcdir)/src/config.c $(srcdir)/src/config_error.c \
	$(srcdir)/src/cidr.c $(srcdir)/src/quotes.c
FUZZ_CONFIG_SRC = $(FUZZ_UDP_SRC)
FUZZ_IMPORT_SRC = $(FUZZ_CONFIG_SRC) $(srcdir)/src/import.c $(srcdir)/src/import_addr.c \
	$(srcdir)/src/import_emit.c $(srcdir)/src/import_host.c $(srcdir)/src/import_inetd.c \
	$(srcdir)/src/import_map.c $(srcdir)/src/import_model.c $(srcdir)/src/import_xinetd.c \
	$(srcdir)/src/import_xinetd_attr.c
FUZZ_IMPORT_HDRS = $(srcdir)/src/import.h $(srcdir)/src/import_addr.h $(srcdir)/src/import_emit.h \
	$(srcdir)/src/import_inetd.h $(srcdir)/src/import_map.h $(srcdir)/src/import_model.h \
	$(srcdir)/src/import_xinetd.h $(srcdir)/src/import_xinetd_entry.h

# On a failed build: say which package is missing if clang cannot link a
# fuzzer at all (libclang_rt.fuzzer is in libclang-rt-14-dev, which clang
# only recommends).
fuzz_cc_hint = \
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' | \
	$(FUZZ_CC) -fsanitize=fuzzer -x c -o fuzz/cc-check.tmp - >/dev/null 2>&1 || \
	echo "fuzz: '$(FUZZ_CC)' cannot link -fsanitize=fuzzer programs; on Debian 12: apt-get install clang libclang-rt-14-dev" >&2; \
	rm -f fuzz/cc-check.tmp; exit 1

fuzz/fuzz_cidr: $(srcdir)/fuzz/fuzz_cidr.c $(FUZZ_CIDR_SRC) $(FUZZ_HDRS)
	@$(MKDIR_P) fuzz
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(srcdir)/fuzz/fuzz_cidr.c \
		$(FUZZ_CIDR_SRC) || { $(fuzz_cc_hint); }
fuzz/fuzz_proxy: $(srcdir)/fuzz/fuzz_proxy.c $(FUZZ_PROXY_SRC) $(FUZZ_HDRS)
	@$(MKDIR_P) fuzz
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(srcdir)/fuzz/fuzz_proxy.c \
		$(FUZZ_PROXY_SRC) || { $(fuzz_cc_hint); }
fuzz/fuzz_quotes: $(srcdir)/fuzz/fuzz_quotes.c $(FUZZ_QUOTES_SRC) $(FUZZ_HDRS)
	@$(MKDIR_P) fuzz
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(srcdir)/fuzz/fuzz_quotes.c \
		$(FUZZ_QUOTES_SRC) || { $(fuzz_cc_hint); }
fuzz/fuzz_udp: $(srcdir)/fuzz/fuzz_udp.c $(FUZZ_UDP_SRC) $(FUZZ_HDRS)
	@$(MKDIR_P) fuzz
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_FLAGS) $(LIBCONFIG_CFLAGS) -o $@ $(srcdir)/fuzz/fuzz_udp.c \
		$(FUZZ_UDP_SRC) $(LIBCONFIG_LIBS) || { $(fuzz_cc_hint); }
# --wrap: the harness screens the quotes files a config names (see there).
fuzz/fuzz_config: $(srcdir)/fuzz/fuzz_config.c $(FUZZ_CONFIG_SRC) $(FUZZ_HDRS)
	@$(MKDIR_P) fuzz
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_FLAGS) $(LIBCONFIG_CFLAGS) \
		-Wl,--wrap=util_read_file -o $@ $(srcdir)/fuzz/fuzz_config.c \
		$(FUZZ_CONFIG_SRC) $(LIBCONFIG_LIBS) || { $(fuzz_cc_hint); }
fuzz/fuzz_import: $(srcdir)/fuzz/fuzz_import.c $(FUZZ_IMPORT_SRC) $(FUZZ_HDRS) $(FUZZ_IMPORT_HDRS)
	@$(MKDIR_P) fuzz
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_FLAGS) $(LIBCONFIG_CFLAGS) -o $@ $(srcdir)/fuzz/fuzz_import.c \
		$(FUZZ_IMPORT_SRC) $(LIBCONFIG_LIBS) || { $(fuzz_cc_hint); }

fuzz_run = ASAN_SYMBOLIZER_PATH='$(FUZZ_SYMBOLIZER)' $(SHELL) $(srcdir)/fuzz/run-fuzzer.sh

fuzz-config: fuzz/fuzz_config
	@LSAN_OPTIONS=suppressions=$(abs_top_srcdir)/fuzz/lsan.supp:print_suppressions=0 \
	$(fuzz_run) fuzz/fuzz_config $(srcdir)/fuzz/corpus/config fuzz/run/config \
		'$(FUZZ_SECONDS)' --copy=$(srcdir)/etc/netsrvd-quotes \
		-dict=$(srcdir)/fuzz/netsrv.dict -detect_leaks=0 $(FUZZ_OPTS)
fuzz-cidr: fuzz/fuzz_cidr
	@$(fuzz_run) fuzz/fuzz_cidr $(srcdir)/fuzz/corpus/cidr fuzz/run/cidr \
		'$(FUZZ_SECONDS)' $(FUZZ_OPTS)
fuzz-proxy: fuzz/fuzz_proxy
	@$(fuzz_run) fuzz/fuzz_proxy $(srcdir)/fuzz/corpus/proxy fuzz/run/proxy \
		'$(FUZZ_SECONDS)' -max_len=$(FUZZ_PROXY_MAX_LEN) $(FUZZ_OPTS)
fuzz-quotes: fuzz/fuzz_quotes
	@$(fuzz_run) fuzz/fuzz_quotes $(srcdir)/fuzz/corpus/quotes fuzz/run/quotes \
		'$(FUZZ_SECONDS)' $(FUZZ_OPTS)
# the seeds: tests/data/import as MAIN NUL NAME NUL TEXT (see fuzz_import.c)
fuzz-import: fuzz/fuzz_import
	@LSAN_OPTIONS=suppressions=$(abs_top_srcdir)/fuzz/lsan.supp:print_suppressions=0 \
	$(fuzz_run) fuzz/fuzz_import $(srcdir)/fuzz/corpus/import fuzz/run/import \
		'$(FUZZ_SECONDS)' -dict=$(srcdir)/fuzz/import.dict $(FUZZ_OPTS)
fuzz-udp: fuzz/fuzz_udp
	@$(fuzz_run) fuzz/fuzz_udp $(srcdir)/fuzz/corpus/udp fuzz/run/udp \
		'$(FUZZ_SECONDS)' $(FUZZ_OPTS)

fuzz: fuzz-config fuzz-cidr fuzz-quotes fuzz-udp fuzz-proxy fuzz-import
fuzz-smoke:
	$(MAKE) $(AM_MAKEFLAGS) fuzz FUZZ_SECONDS=5
fuzz-clean:
	rm -rf fuzz/run fuzz/cc-check.tmp $(FUZZ_PROGS)

.PHONY: fuzz fuzz-smoke fuzz-clean fuzz-config fuzz-cidr fuzz-quotes fuzz-udp fuzz-proxy fuzz-import

CLEANFILES += $(FUZZ_PROGS)
EXTRA_DIST += fuzz/local.mk fuzz/run-fuzzer.sh fuzz/netsrv.dict fuzz/import.dict fuzz/lsan.supp \
	fuzz/fuzz_config.c fuzz/fuzz_cidr.c fuzz/fuzz_quotes.c fuzz/fuzz_udp.c fuzz/fuzz_proxy.c \
	fuzz/fuzz_import.c \
	fuzz/corpus
