/*
 * OID prefixes of IPSEC-AGENTX-MIB, kept in step with mibs/IPSEC-AGENTX-MIB.txt
 * (tests/mib/check-oids.sh compares them). The root is Net-SNMP's experimental arc
 * netSnmpPlaypen.4500 until the project has an IANA enterprise number: change
 * IPX_OID_ROOT here and the MODULE-IDENTITY in the MIB, nothing else.
 */
#ifndef IPX_AGENT_OIDS_H
#define IPX_AGENT_OIDS_H

#define IPX_OID_ROOT     1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4500
#define IPX_OID_ROOT_LEN 10

#define IPX_OID_NOTIFICATIONS     IPX_OID_ROOT, 0
#define IPX_OID_OBJECTS           IPX_OID_ROOT, 1
#define IPX_OID_AGENT_STATUS      IPX_OID_OBJECTS, 1
#define IPX_OID_SA_ENTRY          IPX_OID_OBJECTS, 2, 1
#define IPX_OID_POLICY_ENTRY      IPX_OID_OBJECTS, 3, 1
#define IPX_OID_TMPL_ENTRY        IPX_OID_OBJECTS, 4, 1
#define IPX_OID_XFRM_STATS        IPX_OID_OBJECTS, 5
#define IPX_OID_XFRM_STAT_ENTRY   IPX_OID_OBJECTS, 5, 40, 1
#define IPX_OID_XFRM_INFO         IPX_OID_OBJECTS, 6
#define IPX_OID_IKE_SOURCE_ENTRY  IPX_OID_OBJECTS, 7, 1
#define IPX_OID_IKE_SA_ENTRY      IPX_OID_OBJECTS, 8, 1
#define IPX_OID_CHILD_SA_ENTRY    IPX_OID_OBJECTS, 9, 1
#define IPX_OID_CONN_ENTRY        IPX_OID_OBJECTS, 10, 1
#define IPX_OID_CERT_ENTRY        IPX_OID_OBJECTS, 11, 1
#define IPX_OID_NOTIFY_OBJECTS    IPX_OID_OBJECTS, 12
#define IPX_OID_NOTIFY_CONFIG     IPX_OID_OBJECTS, 13
#define IPX_OID_NOTIFY_STAT_ENTRY IPX_OID_OBJECTS, 13, 20, 1
#define IPX_OID_IKE_COUNTER_ENTRY IPX_OID_OBJECTS, 14, 1

#endif
