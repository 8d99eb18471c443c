/*
 * The MIB's groups, one file each, named after the group. Each exposes its group
 * description (for the agent and for tests) bound to a context.
 */
#ifndef IPX_AGENT_GROUPS_H
#define IPX_AGENT_GROUPS_H

#include "ipsec_agentx/collector.h"
#include "ipsec_agentx/ike_source.h"
#include "ipsec_agentx/ike_store.h"
#include "ipsec_agentx/notify.h"
#include "ipsec_agentx/store.h"
#include "table.h"

#include <string.h>

/* What the handlers read: memory only, never the kernel. */
struct ipx_mib_ctx {
	struct ipx_store *store;
	const struct ipx_collector_status *status; /* may be NULL in tests */
	uint64_t (*now)(void);                     /* wall clock seconds */
	uint64_t start_time;                       /* when the daemon started, wall clock seconds */
	struct ipx_ike_store *ike;                 /* IKE data; may be NULL (no IKE tables rows) */
	const struct ipx_ike_sources *ike_sources; /* VICI sockets; may be NULL */
	int64_t (*mono_now)(void);                 /* monotonic seconds (IKE); NULL: ipx_ike_now */
	/*
	 * Notifications. notify_cfg: the live thresholds and enables, which ipsecNotifyConfig
	 * serves and a SET replaces at COMMIT (and init_snmp() when it reads values persisted
	 * by an earlier SET); NULL: those scalars have no instance and are not writable.
	 * on_notify_config (may be NULL) is then called with notify_arg and the new values,
	 * already checked with ipx_notify_config_check(). notify_stats (may be NULL: zeros)
	 * gives the counters of ipsecNotifyConfig and ipsecNotifyStatTable.
	 */
	struct ipx_notify_config *notify_cfg;
	void (*on_notify_config)(void *arg, const struct ipx_notify_config *cfg);
	void *notify_arg;
	const struct ipx_notify_stats *(*notify_stats)(void *arg);
};

const struct ipx_group *ipsecAgentStatus_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecSaTable_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecPolicyTable_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecPolicyTmplTable_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecXfrmStats_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecXfrmStatTable_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecXfrmInfo_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecIkeSourceTable_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ikeSaTable_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ikeChildSaTable_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecConnTable_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecCertTable_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecIkeCounterTable_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecNotifyConfig_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecNotifyStatTable_group(struct ipx_mib_ctx *ctx);

/* ---- ipsecNotifyConfig (ipsecNotifyConfig.c) ---- */
/*
 * Registers the "ipsecNotifyConfig" token of Net-SNMP's persistent file of ipsec-agentx and
 * the callback that writes it (SNMP_CALLBACK_STORE_DATA); call before init_snmp(), which
 * reads it. ipx_mib_register() does. Values set over SNMP are written at their COMMIT and
 * whenever Net-SNMP stores (snmp_store(), snmp_shutdown()), unless the library's
 * NETSNMP_DS_LIB_DONT_PERSIST_STATE is set.
 */
int ipx_notify_config_persist_init(struct ipx_mib_ctx *ctx);
/* ipsecNotifyEnables: the C mask (bit N = type N) as BITS octets (buf: 2), and back. */
size_t ipx_notify_enables_to_bits(uint32_t enabled, u_char *buf);
uint32_t ipx_notify_bits_to_enables(const u_char *buf, size_t len);
/* SET checks of column col (1..11) of ipsecNotifyConfig: SNMP_ERR_NOERROR, or
 * SNMP_ERR_WRONGTYPE / WRONGLENGTH (type and length), SNMP_ERR_WRONGVALUE (range; value:
 * the enables mask or the number). */
int ipx_notify_config_check_type(unsigned int col, u_char type, size_t len);
int ipx_notify_config_check_value(unsigned int col, uint64_t value);

/* ---- notifications (ipsecNotifications.c) ---- */
/*
 * The varbinds of a notification: snmpTrapOID.0 = ipsecAgentxNotifications.TYPE, then
 * every object of its OBJECTS clause in the MIB, in that order, as instance .0 of the
 * ipsecNotifyObjects scalar, always (unknown values as zero, zero-length or unknown(0)).
 * NULL (and a log line) for a type outside 1..IPX_NOTIFY_MAX or no memory. Free with
 * snmp_free_varbind().
 */
netsnmp_variable_list *ipx_notification_varbinds(const struct ipx_notification *n);
/*
 * Sends it through the agent (send_v2trap: an AgentX Notify to the master, which adds
 * sysUpTime.0 and forwards it to its trap sinks). 0, or -EINVAL / -ENOMEM. Without a
 * session with the master Net-SNMP drops it: counted in ipx_notifications_undelivered().
 */
int ipx_notifications_send(const struct ipx_notification *n);
/* ipx_notify_fn for ipx_notifier_new(): ipx_notifications_send(); arg is unused. */
void ipx_notifications_sink(void *arg, const struct ipx_notification *n);
/* Follows the AgentX session (up/down) for the count below; ipx_mib_register() calls it. */
int ipx_notifications_init(void);
uint64_t ipx_notifications_undelivered(void);

/* Shared by the IKE groups (defined in ikeSaTable.c). */
/* The monotonic clock of the IKE times: ctx->mono_now, or ipx_ike_now(). */
int64_t ipx_mib_mono_now(const struct ipx_mib_ctx *ctx);
/* Seconds from NOW until AT: -1 when AT is 0 (nothing scheduled), 0 once it has passed. */
long ipx_mib_secs_until(int64_t at, int64_t now);
/* Seconds from AT until NOW as Unsigned32; returns -1 (no instance) when AT is 0. */
int ipx_mib_secs_since(struct ipx_val *v, int64_t at, int64_t now);
/* An enumeration whose values are those of the C enum: no instance outside 1..MAX. */
int ipx_mib_enum(struct ipx_val *v, unsigned int x, unsigned int max);
/* A char array of a collection struct, up to its NUL (or its size, were the NUL missing). */
#define IPX_VAL_TEXT(v, field) ipx_val_bytes((v), (field), strnlen((field), sizeof(field)))

/* Registers all of them with the agent. */
int ipx_mib_register(struct ipx_mib_ctx *ctx);

#endif
