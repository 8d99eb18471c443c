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
tests_unit_test_settings_LDADD = $(IPX_LIBS) $(CUNIT_LIBS)

# The agent side of the notifications: varbinds against the MIB as Net-SNMP parses it, SETs
# of ipsecNotifyConfig phase by phase, persistence.
check_PROGRAMS += tests/unit/test-notifications
TESTS += tests/unit/test-notifications
tests_unit_test_notifications_SOURCES = tests/unit/test-notifications.c
tests_unit_test_notifications_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/agent \
	-DIPX_MIB_DIR=\"$(abs_top_srcdir)/mibs\"
tests_unit_test_notifications_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(NETSNMP_CFLAGS)
tests_unit_test_notifications_LDADD = $(IPX_AGENT_LIBS) $(CUNIT_LIBS)

include $(srcdir)/tests/unit/xfrm-parse.mk

include $(srcdir)/tests/unit/vici.mk

include $(srcdir)/tests/unit/ike.mk

include $(srcdir)/tests/unit/cert.mk

include $(srcdir)/tests/unit/notify.mk

include $(srcdir)/tests/unit/ike-source.mk
