# xfrm-load (tests/tools/xfrm-load.c): makes many kernel SAs fast, for benchmarks and load
# tests. It runs inside user-mode-linux, where ASan cannot: built without the sanitizers.
noinst_PROGRAMS += tests/tools/xfrm-load
tests_tools_xfrm_load_SOURCES = tests/tools/xfrm-load.c
tests_tools_xfrm_load_CFLAGS = -std=c11 $(WARN_CFLAGS) -O2 -g $(LIBMNL_CFLAGS)
tests_tools_xfrm_load_LDFLAGS =
tests_tools_xfrm_load_LDADD = $(LIBMNL_LIBS)
