# CUnit unit tests: pure code against known inputs (run under ASan+UBSan in CI).
check_PROGRAMS += tests/unit/test-store tests/unit/test-mib tests/unit/test-settings
TESTS += tests/unit/test-store tests/unit/test-mib tests/unit/test-settings
tests_unit_test_store_SOURCES = tests/unit/test-store.c
tests_unit_test_store_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_store_LDADD = $(IPX_LIBS) $(CUNIT_LIBS)
tests_unit_test_mib_SOURCES = tests/unit/test-mib.c
tests_unit_test_mib_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/agent
tests_unit_test_mib_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(NETSNMP_CFLAGS)
tests_unit_test_mib_LDADD = $(IPX_AGENT_LIBS) $(CUNIT_LIBS)
tests_unit_test_settings_SOURCES = tests/unit/test-settings.c agent/settings.c
tests_unit_test_settings_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/agent
tests_unit_test_settings_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_settings_LDADD = $(CUNIT_LIBS)

include $(srcdir)/tests/unit/xfrm-parse.mk

include $(srcdir)/tests/unit/vici.mk

include $(srcdir)/tests/unit/ike.mk

include $(srcdir)/tests/unit/cert.mk
