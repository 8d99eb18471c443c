# The collection benchmark (bench/README.md): `make bench` runs it in user-mode-linux and
# writes bench/results.md and bench/time-per-sa.png in the source tree.
# Both programs run inside UML, where ASan cannot: built without the sanitizers, at -O2,
# from the collection layer's sources directly (as tests/lab/local.mk does for the daemon).
noinst_PROGRAMS += bench/collect-bench
bench_collect_bench_SOURCES = bench/collect-bench.c $(src_libipx_a_SOURCES)
bench_collect_bench_CFLAGS = -std=c11 $(WARN_CFLAGS) -O2 -g $(LIBMNL_CFLAGS) $(OPENSSL_CFLAGS)
bench_collect_bench_LDFLAGS =
bench_collect_bench_LDADD = $(LIBMNL_LIBS) $(OPENSSL_LIBS)

# The serving benchmark's programs, built only for `make bench` (EXTRA_PROGRAMS): the
# daemon as installed would be, but -O2 and never with the sanitizers (the sources of
# tests/lab/local.mk's ipsec-agentx-ubsan), and snmp-getlat, which times single GETs
# inside one process.
EXTRA_PROGRAMS = bench/ipsec-agentx-bench tests/tools/snmp-getlat
bench_ipsec_agentx_bench_SOURCES = agent/main.c $(agent_libipxagent_a_SOURCES) $(src_libipx_a_SOURCES)
bench_ipsec_agentx_bench_CFLAGS = -std=c11 $(WARN_CFLAGS) -O2 -g \
	$(NETSNMP_CFLAGS) $(LIBMNL_CFLAGS) $(OPENSSL_CFLAGS)
bench_ipsec_agentx_bench_LDFLAGS =
bench_ipsec_agentx_bench_LDADD = $(NETSNMP_LIBS) $(LIBMNL_LIBS) $(OPENSSL_LIBS)
tests_tools_snmp_getlat_SOURCES = tests/tools/snmp-getlat.c
tests_tools_snmp_getlat_CFLAGS = -std=c11 $(WARN_CFLAGS) -O2 -g $(NETSNMP_CFLAGS)
tests_tools_snmp_getlat_LDFLAGS =
tests_tools_snmp_getlat_LDADD = $(NETSNMP_LIBS) -lm
CLEANFILES += bench/ipsec-agentx-bench$(EXEEXT) tests/tools/snmp-getlat$(EXEEXT)

EXTRA_DIST += bench/README.md bench/bench.sh bench/run-collect.sh bench/report.sh \
	bench/run-serve.sh bench/serve-check.sh bench/report-serve.sh \
	bench/profile-collect.sh bench/run-churn.sh bench/report-churn.sh \
	bench/run-direct.sh bench/report-direct.sh bench/lib.sh bench/results.txt \
	bench/results.md bench/time-per-sa.png bench/serve-per-row.png

# BENCH_N="1000 10000" (sizes), BENCH_BIG=1 (adds 100000), BENCH_R (repetitions),
# BENCH_AEAD_N (AES-GCM size, 0 = none), BENCH_OUT (where results.md and the plots go);
# BENCH_PARTS, BENCH_SERVE_* for the serving part, BENCH_CHURN_* for the churn part,
# BENCH_DIRECT_* for the direct part: see
# bench/README.md.
bench: bench/collect-bench$(EXEEXT) tests/tools/xfrm-load$(EXEEXT) \
	bench/ipsec-agentx-bench$(EXEEXT) tests/tools/snmp-getlat$(EXEEXT)
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	  $(SHELL) $(srcdir)/bench/bench.sh
.PHONY: bench
