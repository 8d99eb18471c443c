# The VICI codec and client, with packets recorded from a real charon
# (tests/unit/fixtures/README.md). IPX_FIXTURES in the environment overrides the fixtures dir.
check_PROGRAMS += tests/unit/test-vici
TESTS += tests/unit/test-vici
tests_unit_test_vici_SOURCES = tests/unit/test-vici.c tests/unit/fixture.c tests/unit/fixture.h \
	tests/unit/fake-charon.c tests/unit/fake-charon.h
tests_unit_test_vici_CPPFLAGS = $(AM_CPPFLAGS) \
	-DIPX_FIXTURES_DIR=\"$(abs_top_srcdir)/tests/unit/fixtures\"
tests_unit_test_vici_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_vici_LDADD = $(IPX_LIBS) $(CUNIT_LIBS)
