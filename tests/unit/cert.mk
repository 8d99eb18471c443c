# The X.509 summary, with certificates charon and swanctl saw (tests/unit/fixtures/README.md,
# made by tests/tools/make-cert-fixtures.sh). IPX_FIXTURES in the environment overrides the
# fixtures dir.
check_PROGRAMS += tests/unit/test-cert
TESTS += tests/unit/test-cert
tests_unit_test_cert_SOURCES = tests/unit/test-cert.c tests/unit/fixture.c tests/unit/fixture.h
tests_unit_test_cert_CPPFLAGS = $(AM_CPPFLAGS) \
	-DIPX_FIXTURES_DIR=\"$(abs_top_srcdir)/tests/unit/fixtures\"
tests_unit_test_cert_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_cert_LDADD = $(IPX_LIBS) $(CUNIT_LIBS)
EXTRA_DIST += tests/tools/make-cert-fixtures.sh
