# The collection benchmark (bench/README.md): `make bench` runs it in user-mode-linux and
# writes bench/results.md and bench/time-per-sa.png in the source tree.
# Both programs run inside UML, where ASan cannot: built without the sanitizers, at -O2,
# from the collection layer's sources directly (as tests/lab/local.mk does for the daemon).
noinst_PROGRAMS += bench/collect-bench
bench_collect_bench_SOURCES = bench/collect-bench.c $(src_libipx_a_SOURCES)
bench_collect_bench_CFLAGS = -std=c11 $(WARN_CFLAGS) -O2 -g $(LIBMNL_CFLAGS) $(OPENSSL_CFLAGS)
bench_collect_bench_LDFLAGS =
bench_collect_bench_LDADD = $(LIBMNL_LIBS) $(OPENSSL_LIBS)

EXTRA_DIST += bench/README.md bench/bench.sh bench/run-collect.sh bench/report.sh \
	bench/profile-collect.sh bench/results.txt \
	bench/results.md bench/time-per-sa.png

# BENCH_N="1000 10000" (sizes), BENCH_BIG=1 (adds 100000), BENCH_R (repetitions),
# BENCH_AEAD_N (AES-GCM size, 0 = none), BENCH_OUT (where results.md and the plot go).
bench: bench/collect-bench$(EXEEXT) tests/tools/xfrm-load$(EXEEXT)
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	  $(SHELL) $(srcdir)/bench/bench.sh
.PHONY: bench
