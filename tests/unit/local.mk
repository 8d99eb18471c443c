include $(srcdir)/tests/unit/xfrm-parse.mk
