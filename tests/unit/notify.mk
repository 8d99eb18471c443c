# Notifications: the notifier driven by a real XFRM store and a real IKE store, with chosen
# clocks. Built from the sources it tests, like test-ike (cert.c for the days left).
check_PROGRAMS += tests/unit/test-notify
TESTS += tests/unit/test-notify
tests_unit_test_notify_SOURCES = tests/unit/test-notify.c tests/unit/ike-rows.c tests/unit/ike-rows.h \
	src/notify.c src/ike_store.c \
	src/ike_parse.c src/store.c src/vici.c src/cert.c src/log.c
tests_unit_test_notify_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_notify_LDADD = $(OPENSSL_LIBS) $(CUNIT_LIBS)
