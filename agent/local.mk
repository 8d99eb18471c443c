# The SNMP side: the only code that includes Net-SNMP headers (see agent/README.md).
noinst_LIBRARIES += agent/libipxagent.a
agent_libipxagent_a_SOURCES = \
	agent/table.c agent/table.h \
	agent/groups.h agent/oids.h agent/mib.c \
	agent/ipsecAgentStatus.c \
	agent/ipsecSaTable.c \
	agent/ipsecPolicyTable.c \
	agent/ipsecXfrmStats.c \
	agent/ipsecXfrmInfo.c \
	agent/ipsecIkeSourceTable.c \
	agent/ikeSaTable.c \
	agent/ikeChildSaTable.c \
	agent/ipsecConnTable.c \
	agent/ipsecCertTable.c \
	agent/ipsecIkeCounterTable.c \
	agent/ipsecNotifyConfig.c \
	agent/ipsecNotifications.c \
	agent/settings.c agent/settings.h \
	agent/daemon.c agent/daemon.h
agent_libipxagent_a_CFLAGS = $(AM_CFLAGS) $(NETSNMP_CFLAGS)
IPX_AGENT_LIBS = agent/libipxagent.a $(IPX_LIBS) $(NETSNMP_LIBS)

sbin_PROGRAMS += agent/ipsec-agentx
agent_ipsec_agentx_SOURCES = agent/main.c
agent_ipsec_agentx_CFLAGS = $(AM_CFLAGS) $(NETSNMP_CFLAGS)
agent_ipsec_agentx_LDADD = $(IPX_AGENT_LIBS)
