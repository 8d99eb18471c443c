# The IKE sources (src/ike_source.c) against a fake charon on a unix socket of the test's
# own, which answers with packets recorded from a real charon (tests/unit/fixtures/README.md:
# vici-*) and hand-built messages. IPX_FIXTURES in the environment overrides the fixtures dir.
check_PROGRAMS += tests/unit/test-ike-source
TESTS += tests/unit/test-ike-source
tests_unit_test_ike_source_SOURCES = tests/unit/test-ike-source.c tests/unit/fixture.c \
	tests/unit/fixture.h tests/unit/fake-charon.c tests/unit/fake-charon.h
tests_unit_test_ike_source_CPPFLAGS = $(AM_CPPFLAGS) \
	-DIPX_FIXTURES_DIR=\"$(abs_top_srcdir)/tests/unit/fixtures\"
tests_unit_test_ike_source_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_ike_source_LDADD = $(IPX_LIBS) $(CUNIT_LIBS)
