/*
 * The MIB's groups, one file each, named after the group. Each exposes its group
 * description (for the agent and for tests) bound to a context.
 */
#ifndef IPX_AGENT_GROUPS_H
#define IPX_AGENT_GROUPS_H

#include "ipsec_agentx/collector.h"
#include "ipsec_agentx/ike_source.h"
#include "ipsec_agentx/ike_store.h"
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
