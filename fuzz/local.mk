# fuzz/local.mk: libFuzzer targets, included from the top Makefile.am.
# Not part of all or check:
#
#   make fuzz                     build the fuzzers, run each FUZZ_SECONDS (60)
#   make fuzz FUZZ_SECONDS=600    longer; `make -j4 fuzz` runs them side by side
#   make fuzz-smoke               the same for 5 seconds each
#   make fuzz-config              one of them (also fuzz-config-text, fuzz-cidr, fuzz-quotes,
#                                 fuzz-udp, fuzz-proxy, fuzz-handover, fuzz-import-inetd,
#                                 fuzz-import-xinetd, fuzz-tls; fuzz-import: both)
#   make fuzz-clean               remove the binaries and run directories
#
# Each run works on a fresh copy of fuzz/corpus/<target>/ in
# $(builddir)/fuzz/run/<target>/ (the source tree is never written), prints
# execs/s, execs and coverage, and fails on any crash, sanitizer report,
# leak or timeout, leaving the reproducer in fuzz/run/<target>/artifacts/.
# The fuzzers are built with $(FUZZ_CC), whatever CC configure chose, from
# the daemon's own source list: each .c of src_libnetsrvd_a_SOURCES is
# compiled with FUZZ_FLAGS into fuzz/obj/ (a file in a subdirectory of src/
# too), archived as fuzz/libnetsrvd-fuzz.a, and each fuzzer links that
# archive, which takes from it only the objects its code reaches. A new
# file of src/ needs no entry here; a new fuzzer is a name in FUZZ_PROGS,
# its fuzz/NAME.c, a run rule below and an EXTRA_DIST entry.
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
	fuzz/fuzz_import_inetd fuzz/fuzz_import_xinetd fuzz/fuzz_handover fuzz/fuzz_config_text
if HAVE_TLS
FUZZ_PROGS += fuzz/fuzz_tls
endif
# what a fuzzer's link adds, by name (FUZZ_LINK_<name>)
# --wrap: the harness screens the quotes files a config names (see there).
FUZZ_LINK_fuzz_config = -Wl,--wrap=util_read_file
# the two --import parsers share one oracle (import_oracle.c; --wrap: as fuzz_config)
FUZZ_IMPORT_ORACLE = fuzz/obj/fuzz/import_oracle.o
FUZZ_LINK_fuzz_import_inetd = -Wl,--wrap=util_read_file $(FUZZ_IMPORT_ORACLE)
FUZZ_LINK_fuzz_import_xinetd = -Wl,--wrap=util_read_file $(FUZZ_IMPORT_ORACLE)
# --wrap: the harness keeps its descriptors open whatever an input names (see there).
FUZZ_LINK_fuzz_handover = -Wl,--wrap=close
# its real client runs in a thread beside the server side
FUZZ_LINK_fuzz_tls = -pthread

FUZZ_LIB_OBJS = $(patsubst %.c,fuzz/obj/%.o,$(filter %.c,$(src_libnetsrvd_a_SOURCES)))
FUZZ_MAIN_OBJS = $(patsubst %,fuzz/obj/%.o,$(FUZZ_PROGS))
FUZZ_LIB = fuzz/libnetsrvd-fuzz.a

# On a failed build: say which package is missing if clang cannot link a
# fuzzer at all (libclang_rt.fuzzer is in libclang-rt-14-dev, which clang
# only recommends).
fuzz_cc_hint = \
	echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' | \
	$(FUZZ_CC) -fsanitize=fuzzer -x c -o fuzz/cc-check.tmp - >/dev/null 2>&1 || \
	echo "fuzz: '$(FUZZ_CC)' cannot link -fsanitize=fuzzer programs; on Debian 12: apt-get install clang libclang-rt-14-dev" >&2; \
	rm -f fuzz/cc-check.tmp; exit 1

# Every object knows its headers from the compiler (-MMD; -MP: a header
# that went away is no error); syscall-names.h is made before the first.
fuzz/obj/%.o: $(srcdir)/%.c | syscall-names.h
	@$(MKDIR_P) $(@D)
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_FLAGS) $(LIBCONFIG_CFLAGS) -MMD -MP -c -o $@ $<
-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_MAIN_OBJS:.o=.d) $(FUZZ_IMPORT_ORACLE:.o=.d)

# Made anew each time (ar q: two files of one name in two directories are
# two members, where ar r would keep one), so a file that left the list
# leaves the archive.
$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	$(AM_V_AR)rm -f $@ && $(AR) qc $@ $(FUZZ_LIB_OBJS) && $(RANLIB) $@

$(FUZZ_PROGS): fuzz/%: fuzz/obj/fuzz/%.o $(FUZZ_LIB)
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_FLAGS) $(FUZZ_LINK_$(@F)) -o $@ fuzz/obj/$@.o \
		$(FUZZ_LIB) $(LIBCONFIG_LIBS) $(LIBS) || { $(fuzz_cc_hint); }
fuzz/fuzz_import_inetd fuzz/fuzz_import_xinetd: $(FUZZ_IMPORT_ORACLE)

fuzz_run = ASAN_SYMBOLIZER_PATH='$(FUZZ_SYMBOLIZER)' $(SHELL) $(srcdir)/fuzz/run-fuzzer.sh

fuzz-config: fuzz/fuzz_config
	@LSAN_OPTIONS=suppressions=$(abs_top_srcdir)/fuzz/lsan.supp:print_suppressions=0 \
	$(fuzz_run) fuzz/fuzz_config $(srcdir)/fuzz/corpus/config fuzz/run/config \
		'$(FUZZ_SECONDS)' --copy=$(srcdir)/etc/netsrvd-quotes \
		-dict=$(srcdir)/fuzz/netsrv.dict -detect_leaks=0 $(FUZZ_OPTS)
fuzz-config-text: fuzz/fuzz_config_text
	@$(fuzz_run) fuzz/fuzz_config_text $(srcdir)/fuzz/corpus/config fuzz/run/config-text \
		'$(FUZZ_SECONDS)' -dict=$(srcdir)/fuzz/netsrv.dict $(FUZZ_OPTS)
fuzz-cidr: fuzz/fuzz_cidr
	@$(fuzz_run) fuzz/fuzz_cidr $(srcdir)/fuzz/corpus/cidr fuzz/run/cidr \
		'$(FUZZ_SECONDS)' $(FUZZ_OPTS)
fuzz-proxy: fuzz/fuzz_proxy
	@$(fuzz_run) fuzz/fuzz_proxy $(srcdir)/fuzz/corpus/proxy fuzz/run/proxy \
		'$(FUZZ_SECONDS)' -max_len=$(FUZZ_PROXY_MAX_LEN) $(FUZZ_OPTS)
fuzz-quotes: fuzz/fuzz_quotes
	@$(fuzz_run) fuzz/fuzz_quotes $(srcdir)/fuzz/corpus/quotes fuzz/run/quotes \
		'$(FUZZ_SECONDS)' $(FUZZ_OPTS)
# the seeds: tests/data/import (see fuzz_import_inetd.c and fuzz_import_xinetd.c)
fuzz-import-inetd fuzz-import-xinetd: fuzz-import-%: fuzz/fuzz_import_%
	@LSAN_OPTIONS=suppressions=$(abs_top_srcdir)/fuzz/lsan.supp:print_suppressions=0 \
	$(fuzz_run) fuzz/fuzz_import_$* $(srcdir)/fuzz/corpus/import-$* fuzz/run/import-$* \
		'$(FUZZ_SECONDS)' -dict=$(srcdir)/fuzz/import.dict $(FUZZ_OPTS)
fuzz-import: fuzz-import-inetd fuzz-import-xinetd
# the seeds: environments real upgrades wrote, their descriptors at the harness's numbers
fuzz-handover: fuzz/fuzz_handover
	@$(fuzz_run) fuzz/fuzz_handover $(srcdir)/fuzz/corpus/handover fuzz/run/handover \
		'$(FUZZ_SECONDS)' -dict=$(srcdir)/fuzz/handover.dict $(FUZZ_OPTS)
# the seeds: ClientHellos of OpenSSL (TLS 1.3 and 1.2) and GnuTLS, recorded; odd first bytes run a real client
fuzz-tls: fuzz/fuzz_tls
	@$(fuzz_run) fuzz/fuzz_tls $(srcdir)/fuzz/corpus/tls fuzz/run/tls \
		'$(FUZZ_SECONDS)' -max_len=4096 $(FUZZ_OPTS)
fuzz-udp: fuzz/fuzz_udp
	@$(fuzz_run) fuzz/fuzz_udp $(srcdir)/fuzz/corpus/udp fuzz/run/udp \
		'$(FUZZ_SECONDS)' $(FUZZ_OPTS)

FUZZ_RUNS = fuzz-config fuzz-config-text fuzz-cidr fuzz-quotes fuzz-udp fuzz-proxy fuzz-import-inetd \
	fuzz-import-xinetd fuzz-handover
if HAVE_TLS
FUZZ_RUNS += fuzz-tls
endif
fuzz: $(FUZZ_RUNS)
fuzz-smoke:
	$(MAKE) $(AM_MAKEFLAGS) fuzz FUZZ_SECONDS=5
fuzz-clean:
	rm -rf fuzz/run fuzz/obj fuzz/cc-check.tmp $(FUZZ_LIB) $(FUZZ_PROGS)

.PHONY: fuzz fuzz-smoke fuzz-clean fuzz-clean-obj fuzz-config fuzz-cidr fuzz-quotes fuzz-udp fuzz-proxy fuzz-import \
	fuzz-import-inetd fuzz-import-xinetd fuzz-handover fuzz-config-text fuzz-tls

CLEANFILES += $(FUZZ_PROGS) $(FUZZ_LIB)
clean-local: fuzz-clean-obj
fuzz-clean-obj:
	rm -rf fuzz/obj
EXTRA_DIST += fuzz/local.mk fuzz/run-fuzzer.sh fuzz/netsrv.dict fuzz/import.dict fuzz/lsan.supp \
	fuzz/handover.dict \
	fuzz/fuzz_config.c fuzz/fuzz_cidr.c fuzz/fuzz_quotes.c fuzz/fuzz_udp.c fuzz/fuzz_proxy.c \
	fuzz/fuzz_import_inetd.c fuzz/fuzz_import_xinetd.c fuzz/import_oracle.c fuzz/import_oracle.h \
	fuzz/fuzz_handover.c fuzz/fuzz_config_text.c fuzz/fuzz_tls.c \
	fuzz/corpus
