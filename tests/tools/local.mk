# The fixture recorder (tests/unit/fixtures/README.md): built with the tree, run by hand.
# Inside user-mode-linux it must be a build without AddressSanitizer (see that README).
noinst_PROGRAMS += tests/tools/xfrm-record
tests_tools_xfrm_record_SOURCES = tests/tools/xfrm-record.c
tests_tools_xfrm_record_CFLAGS = $(AM_CFLAGS) $(LIBMNL_CFLAGS)
tests_tools_xfrm_record_LDADD = $(LIBMNL_LIBS)
EXTRA_DIST += tests/tools/record-host-policies.sh tests/tools/record-uml-sas.sh \
	tests/tools/direct-walk-bench.sh
include $(srcdir)/tests/tools/xfrm-load.mk

include $(srcdir)/tests/tools/vici.mk
