# The collection layer: no Net-SNMP headers or flags here, by design (see src/README.md).
noinst_LIBRARIES += src/libipx.a
src_libipx_a_SOURCES = \
	src/log.c \
	src/store.c \
	src/xfrm_parse.c \
	src/collector.c \
	src/cert.c
src_libipx_a_CFLAGS = $(AM_CFLAGS) $(LIBMNL_CFLAGS) $(OPENSSL_CFLAGS)
IPX_LIBS = src/libipx.a $(LIBMNL_LIBS) $(OPENSSL_LIBS)
include $(srcdir)/src/vici.mk
