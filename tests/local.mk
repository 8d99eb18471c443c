# make check runs every tier: unit tests, the MIB check, host-kernel integration and the
# user-mode-linux lab. Nothing is skipped: a missing component fails the run.
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	export top_srcdir top_builddir;

include $(srcdir)/tests/unit/local.mk
include $(srcdir)/tests/tools/local.mk
include $(srcdir)/tests/mib/local.mk
include $(srcdir)/tests/integration/local.mk
include $(srcdir)/tests/lab/local.mk
