# The XFRM parser against messages recorded from real kernels (tests/unit/fixtures/README.md).
# IPX_FIXTURES in the environment overrides where the fixtures are read from.
check_PROGRAMS += tests/unit/test-xfrm-parse
TESTS += tests/unit/test-xfrm-parse
tests_unit_test_xfrm_parse_SOURCES = tests/unit/test-xfrm-parse.c tests/unit/fixture.c tests/unit/fixture.h
tests_unit_test_xfrm_parse_CPPFLAGS = $(AM_CPPFLAGS) \
	-DIPX_FIXTURES_DIR=\"$(abs_top_srcdir)/tests/unit/fixtures\"
tests_unit_test_xfrm_parse_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(LIBMNL_CFLAGS)
tests_unit_test_xfrm_parse_LDADD = $(IPX_LIBS) $(CUNIT_LIBS)
EXTRA_DIST += tests/unit/fixtures
