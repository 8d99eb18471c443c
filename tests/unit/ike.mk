# The IKE data layer: VICI sections into structs, the Cisco-style states, and the IKE store
# linked to a real XFRM store. Built from the sources it tests rather than libipx.a, so that
# it needs neither the VICI client nor OpenSSL (tests/unit/fixtures/README.md: vici-*).
check_PROGRAMS += tests/unit/test-ike
TESTS += tests/unit/test-ike
tests_unit_test_ike_SOURCES = tests/unit/test-ike.c tests/unit/fixture.c tests/unit/fixture.h \
	tests/unit/ike-rows.c tests/unit/ike-rows.h \
	src/ike_parse.c src/ike_store.c src/store.c src/vici.c src/log.c
tests_unit_test_ike_CPPFLAGS = $(AM_CPPFLAGS) \
	-DIPX_FIXTURES_DIR=\"$(abs_top_srcdir)/tests/unit/fixtures\"
tests_unit_test_ike_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_ike_LDADD = $(CUNIT_LIBS)
