# tests/local.mk: the test programs and the suite, included from the top
# Makefile.am (one non-recursive Makefile; paths are from the top).
# A new test: add it to check_PROGRAMS and TESTS, and give it
#   tests_NAME_test_SOURCES = tests/NAME_test.c [$(HARNESS)]
#   tests_NAME_test_CFLAGS = $(TEST_CFLAGS)
# it links $(TEST_LIBS) by default (LDADD).

TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -D_FORTIFY_SOURCE=0
TEST_LIBS = src/libnetsrvd.a $(LIBCONFIG_LIBS) $(CMOCKA_LIBS)
# Each test links the library, libconfig and cmocka unless it says
# otherwise (the preloaded objects and the programs tests run link nothing).
LDADD = $(TEST_LIBS)
HARNESS = tests/accesslog.c tests/accesslog.h tests/harness.c tests/harness.h tests/procutil.c tests/procutil.h

check_PROGRAMS = \
	tests/config_test tests/cidr_test tests/quotes_test tests/handler_test \
	tests/docs_test tests/sandbox_test tests/cli_test tests/master_test \
	tests/reload_test tests/service_test tests/fault_test tests/systemd_test \
	tests/pool_test tests/status_test tests/log_test tests/handover_test tests/pool_policy_test \
	tests/ratelimit_test tests/scoreboard_test tests/listener_test tests/workers_test tests/generation_test \
	tests/import_test tests/import_cli_test tests/proxy_test tests/sockopt_test tests/haproxy_test \
	tests/netsrvd-next tests/forbidden-call.so tests/start-gate.so tests/exec_test tests/exec-probe \
	tests/privs_test tests/unit_test tests/initscript_test tests/exec_spawn_test tests/exec_watch_test \
	tests/confine_caps_test

tests_config_test_SOURCES = tests/config_test.c
tests_config_test_CFLAGS = $(TEST_CFLAGS)
# a handler with exec's kinds of keys joins the table (config_handler_keys_test)
tests_config_test_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=handler_count,--wrap=handler_at,--wrap=handler_find
tests_cidr_test_SOURCES = tests/cidr_test.c
tests_cidr_test_CFLAGS = $(TEST_CFLAGS)
tests_quotes_test_SOURCES = tests/quotes_test.c
tests_quotes_test_CFLAGS = $(TEST_CFLAGS)
tests_handler_test_SOURCES = tests/handler_test.c
tests_handler_test_CFLAGS = $(TEST_CFLAGS)
tests_listener_test_SOURCES = tests/listener_test.c $(HARNESS)
tests_listener_test_CFLAGS = $(TEST_CFLAGS)
tests_import_cli_test_SOURCES = tests/import_cli_test.c $(HARNESS)
tests_import_cli_test_CFLAGS = $(TEST_CFLAGS)
tests_import_test_SOURCES = tests/import_test.c
tests_import_test_CFLAGS = $(TEST_CFLAGS)
tests_proxy_test_SOURCES = tests/proxy_test.c
tests_proxy_test_CFLAGS = $(TEST_CFLAGS)
tests_pool_policy_test_SOURCES = tests/pool_policy_test.c
tests_pool_policy_test_CFLAGS = $(TEST_CFLAGS)
tests_generation_test_SOURCES = tests/generation_test.c $(HARNESS)
tests_generation_test_CFLAGS = $(TEST_CFLAGS)
tests_workers_test_SOURCES = tests/workers_test.c
tests_workers_test_CFLAGS = $(TEST_CFLAGS)
tests_handover_test_SOURCES = tests/handover_test.c
tests_handover_test_CFLAGS = $(TEST_CFLAGS)
tests_ratelimit_test_SOURCES = tests/ratelimit_test.c
tests_ratelimit_test_CFLAGS = $(TEST_CFLAGS)
check_PROGRAMS += tests/perm_test tests/dropin_test tests/inetd_conf_test tests/logpeer_test
tests_logpeer_test_SOURCES = tests/logpeer_test.c $(HARNESS)
tests_logpeer_test_CFLAGS = $(TEST_CFLAGS)
check_PROGRAMS += tests/rate_test tests/names_test
tests_names_test_SOURCES = tests/names_test.c tests/dnsfake.c tests/dnsfake.h $(HARNESS)
tests_names_test_CFLAGS = $(TEST_CFLAGS)
tests_rate_test_SOURCES = tests/rate_test.c $(HARNESS)
tests_rate_test_CFLAGS = $(TEST_CFLAGS)
check_PROGRAMS += tests/redirect_test tests/proxy_encode_test
tests_redirect_test_SOURCES = tests/redirect_test.c $(HARNESS)
tests_redirect_test_CFLAGS = $(TEST_CFLAGS)
tests_proxy_encode_test_SOURCES = tests/proxy_encode_test.c
tests_proxy_encode_test_CFLAGS = $(TEST_CFLAGS)
check_PROGRAMS += tests/wrappers_test
# TLS against real clients; tlsutil: the certificates and client programs the three share
check_PROGRAMS += tests/tls_test tests/tls_conf_test tests/tls_hostile_test
TLSUTIL = tests/tlsutil.c tests/tlsutil.h
tests_tls_test_SOURCES = tests/tls_test.c $(TLSUTIL) $(HARNESS)
tests_tls_test_CFLAGS = $(TEST_CFLAGS)
tests_tls_conf_test_SOURCES = tests/tls_conf_test.c $(TLSUTIL) $(HARNESS)
tests_tls_conf_test_CFLAGS = $(TEST_CFLAGS)
tests_tls_hostile_test_SOURCES = tests/tls_hostile_test.c $(TLSUTIL) $(HARNESS)
tests_tls_hostile_test_CFLAGS = $(TEST_CFLAGS)
tests_wrappers_test_SOURCES = tests/wrappers_test.c $(HARNESS)
tests_wrappers_test_CFLAGS = $(TEST_CFLAGS)
check_PROGRAMS += tests/door_test
tests_door_test_SOURCES = tests/door_test.c $(HARNESS)
tests_door_test_CFLAGS = $(TEST_CFLAGS)
check_PROGRAMS += tests/tcpwait_test tests/exec_attrs_test
tests_exec_attrs_test_SOURCES = tests/exec_attrs_test.c $(HARNESS)
tests_exec_attrs_test_CFLAGS = $(TEST_CFLAGS)
tests_tcpwait_test_SOURCES = tests/tcpwait_test.c $(HARNESS)
tests_tcpwait_test_CFLAGS = $(TEST_CFLAGS)
tests_inetd_conf_test_SOURCES = tests/inetd_conf_test.c $(HARNESS)
tests_inetd_conf_test_CFLAGS = $(TEST_CFLAGS)
tests_dropin_test_SOURCES = tests/dropin_test.c $(HARNESS)
tests_dropin_test_CFLAGS = $(TEST_CFLAGS)
tests_perm_test_SOURCES = tests/perm_test.c
tests_perm_test_CFLAGS = $(TEST_CFLAGS)
tests_scoreboard_test_SOURCES = tests/scoreboard_test.c
tests_scoreboard_test_CFLAGS = $(TEST_CFLAGS)
# the read-only reopen of a board fails (scoreboard_reopen_fails_closed_test)
tests_scoreboard_test_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=open
tests_privs_test_SOURCES = tests/privs_test.c
tests_privs_test_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_SOURCES = tests/unit_test.c $(HARNESS)
tests_unit_test_CFLAGS = $(TEST_CFLAGS)
tests_sandbox_test_SOURCES = tests/sandbox_test.c
tests_sandbox_test_CFLAGS = $(TEST_CFLAGS)
tests_docs_test_SOURCES = tests/docs_test.c $(HARNESS)
tests_docs_test_CFLAGS = $(TEST_CFLAGS)
tests_initscript_test_SOURCES = tests/initscript_test.c $(HARNESS)
tests_initscript_test_CFLAGS = $(TEST_CFLAGS)
tests_exec_spawn_test_SOURCES = tests/exec_spawn_test.c $(HARNESS)
# capabilities, no_new_privileges, syscall_filter: in children, then a daemon's programs
tests_confine_caps_test_SOURCES = tests/confine_caps_test.c $(HARNESS)
tests_confine_caps_test_CFLAGS = $(TEST_CFLAGS)
tests_exec_spawn_test_CFLAGS = $(TEST_CFLAGS)
tests_exec_watch_test_SOURCES = tests/exec_watch_test.c $(HARNESS)
tests_exec_watch_test_CFLAGS = $(TEST_CFLAGS)
tests_cli_test_SOURCES = tests/cli_test.c $(HARNESS)
tests_cli_test_CFLAGS = $(TEST_CFLAGS)
tests_master_test_SOURCES = tests/master_test.c $(HARNESS)
tests_master_test_CFLAGS = $(TEST_CFLAGS)
tests_reload_test_SOURCES = tests/reload_test.c $(HARNESS)
tests_reload_test_CFLAGS = $(TEST_CFLAGS)
# the same daemon reporting another version, for the in-place upgrade test
tests_netsrvd_next_SOURCES = src/main.c
tests_netsrvd_next_CPPFLAGS = $(AM_CPPFLAGS) -DNETSRVD_VERSION_SUFFIX='"-next"'
tests_netsrvd_next_LDADD = src/libnetsrvd.a $(LIBCONFIG_LIBS)
# preloaded into the daemon to make a worker break its seccomp filter
# (no sanitizer flags: the sanitizer build runs workers unfiltered anyway)
tests_forbidden_call_so_SOURCES = tests/forbidden_call.c
tests_forbidden_call_so_CFLAGS = $(WARN_CFLAGS) -fPIC
tests_forbidden_call_so_LDFLAGS = -shared
tests_forbidden_call_so_LDADD =
tests_start_gate_so_SOURCES = tests/start_gate.c
tests_start_gate_so_CFLAGS = $(WARN_CFLAGS) -fPIC
tests_start_gate_so_LDFLAGS = -shared
tests_start_gate_so_LDADD =
tests_status_test_SOURCES = tests/status_test.c $(HARNESS)
tests_status_test_CFLAGS = $(TEST_CFLAGS)
tests_log_test_SOURCES = tests/log_test.c $(HARNESS)
tests_log_test_CFLAGS = $(TEST_CFLAGS)
tests_pool_test_SOURCES = tests/pool_test.c $(HARNESS)
tests_pool_test_CFLAGS = $(TEST_CFLAGS)
tests_systemd_test_SOURCES = tests/systemd_test.c $(HARNESS)
tests_systemd_test_CFLAGS = $(TEST_CFLAGS)
tests_fault_test_SOURCES = tests/fault_test.c $(HARNESS)
tests_fault_test_CFLAGS = $(TEST_CFLAGS)
tests_exec_test_SOURCES = tests/exec_test.c $(HARNESS)
tests_exec_test_CFLAGS = $(TEST_CFLAGS)
# the program tests/exec_test runs under netsrvd (what it got, and misbehaving)
tests_exec_probe_SOURCES = tests/exec_probe.c
tests_exec_probe_CFLAGS = $(WARN_CFLAGS)
tests_exec_probe_LDFLAGS =
tests_exec_probe_LDADD =
tests_haproxy_test_SOURCES = tests/haproxy_test.c $(HARNESS)
tests_haproxy_test_CFLAGS = $(TEST_CFLAGS)
tests_sockopt_test_SOURCES = tests/sockopt_test.c $(HARNESS)
tests_sockopt_test_CFLAGS = $(TEST_CFLAGS)
tests_service_test_SOURCES = tests/service_test.c $(HARNESS)
tests_service_test_CFLAGS = $(TEST_CFLAGS)

AM_TESTS_ENVIRONMENT = \
	NETSRVD='$(abs_top_builddir)/src/netsrvd'; export NETSRVD; \
	NETSRVD_NEXT='$(abs_top_builddir)/tests/netsrvd-next'; export NETSRVD_NEXT; \
	FORBIDDEN_CALL_SO='$(abs_top_builddir)/tests/forbidden-call.so'; export FORBIDDEN_CALL_SO; \
	START_GATE_SO='$(abs_top_builddir)/tests/start-gate.so'; export START_GATE_SO; \
	TOP_SRCDIR='$(abs_top_srcdir)'; export TOP_SRCDIR; \
	CMOCKA_MESSAGE_OUTPUT=stdout; export CMOCKA_MESSAGE_OUTPUT; \
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=1; export ASAN_OPTIONS; \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1; export UBSAN_OPTIONS; \
	TOP_BUILDDIR='$(abs_top_builddir)'; export TOP_BUILDDIR; \
	MAKE='$(MAKE)'; export MAKE;

# The long tests start first so a parallel `make -j check` finishes sooner.
TESTS = tests/fault_test tests/exec_test tests/haproxy_test tests/pool_test tests/status_test tests/log_test tests/reload_test tests/master_test tests/systemd_test tests/service_test tests/cli_test tests/sockopt_test \
	tests/config_test tests/cidr_test tests/quotes_test tests/handler_test \
	tests/docs_test tests/sandbox_test tests/privs_test tests/unit_test tests/handover_test tests/pool_policy_test \
	tests/ratelimit_test tests/scoreboard_test tests/listener_test tests/workers_test tests/generation_test tests/import_test \
	tests/import_cli_test tests/proxy_test tests/initscript_test tests/install_test.sh tests/lint.sh
TESTS += tests/perm_test tests/exec_spawn_test tests/exec_watch_test tests/dropin_test tests/inetd_conf_test \
	tests/logpeer_test
TESTS += tests/rate_test tests/names_test tests/wrappers_test
TESTS += tests/door_test
TESTS += tests/tcpwait_test tests/exec_attrs_test
TESTS += tests/redirect_test tests/proxy_encode_test
TESTS += tests/tls_test tests/tls_conf_test tests/tls_hostile_test
TESTS += tests/confine_caps_test

EXTRA_DIST += tests/lint.sh tests/install_test.sh $(import_data)
# real inetd and xinetd files for tests/import_cli_test (their origins: the README)
import_data = tests/data/import/README \
	tests/data/import/debian-xinetd/xinetd.conf \
	tests/data/import/debian-xinetd/xinetd.d/chargen tests/data/import/debian-xinetd/xinetd.d/chargen-udp \
	tests/data/import/debian-xinetd/xinetd.d/daytime tests/data/import/debian-xinetd/xinetd.d/daytime-udp \
	tests/data/import/debian-xinetd/xinetd.d/discard tests/data/import/debian-xinetd/xinetd.d/discard-udp \
	tests/data/import/debian-xinetd/xinetd.d/echo tests/data/import/debian-xinetd/xinetd.d/echo-udp \
	tests/data/import/debian-xinetd/xinetd.d/servers tests/data/import/debian-xinetd/xinetd.d/services \
	tests/data/import/debian-xinetd/xinetd.d/time tests/data/import/debian-xinetd/xinetd.d/time-udp \
	tests/data/import/openbsd-inetd/inetd.conf \
	tests/data/import/packages/amanda.inetd tests/data/import/packages/amanda.xinetd \
	tests/data/import/packages/git-daemon.inetd tests/data/import/packages/nrpe.xinetd \
	tests/data/import/packages/rsync.inetd tests/data/import/packages/tftpd-hpa.inetd \
	tests/data/import/packages/tftpd-hpa-tcpd.inetd

check_PROGRAMS += tests/cgroup_test
tests_cgroup_test_SOURCES = tests/cgroup_test.c $(HARNESS)
tests_cgroup_test_CFLAGS = $(TEST_CFLAGS)
TESTS += tests/cgroup_test
# the filesystem view of confined workers and programs (confine.c), through the daemon and exec-probe
check_PROGRAMS += tests/confine_fs_test
tests_confine_fs_test_SOURCES = tests/confine_fs_test.c $(HARNESS)
tests_confine_fs_test_CFLAGS = $(TEST_CFLAGS)
TESTS += tests/confine_fs_test
