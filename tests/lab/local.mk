# The user-mode-linux lab. ASan cannot run inside UML (its shadow memory does not fit
# UML's address space), so the lab gets its own build of the daemon under UBSan alone.
check_PROGRAMS += tests/lab/ipsec-agentx-ubsan
tests_lab_ipsec_agentx_ubsan_SOURCES = agent/main.c $(agent_libipxagent_a_SOURCES) $(src_libipx_a_SOURCES)
tests_lab_ipsec_agentx_ubsan_CFLAGS = -std=c11 $(WARN_CFLAGS) -g \
	-fsanitize=undefined -fno-sanitize-recover=all \
	$(NETSNMP_CFLAGS) $(LIBMNL_CFLAGS) $(OPENSSL_CFLAGS)
tests_lab_ipsec_agentx_ubsan_LDFLAGS = -fsanitize=undefined
tests_lab_ipsec_agentx_ubsan_LDADD = $(NETSNMP_LIBS) $(LIBMNL_LIBS) $(OPENSSL_LIBS)

TESTS += tests/lab/run-sa-tunnel.sh
EXTRA_DIST += tests/lab

include $(srcdir)/tests/lab/vici.mk

# strongSwan's IKE SAs, connections and certificates in the MIB (tests/lab/ike.sh).
TESTS += tests/lab/run-ike.sh

# Notifications through snmpd to snmptrapd for real tunnel events (tests/lab/notify.sh).
TESTS += tests/lab/run-notify.sh

# Walks of ipsecSaTable under churn: every row once and in order (issue 5; boots UML itself).
TESTS += bench/serve-check.sh
