/*
 * The MIB's groups, one file each, named after the group. Each exposes its group
 * description (for the agent and for tests) bound to a context.
 */
#ifndef IPX_AGENT_GROUPS_H
#define IPX_AGENT_GROUPS_H

#include "ipsec_agentx/collector.h"
#include "ipsec_agentx/store.h"
#include "table.h"

/* What the handlers read: memory only, never the kernel. */
struct ipx_mib_ctx {
	struct ipx_store *store;
	const struct ipx_collector_status *status; /* may be NULL in tests */
	uint64_t (*now)(void);                     /* wall clock seconds */
	uint64_t start_time;                       /* when the daemon started, wall clock seconds */
};

const struct ipx_group *ipsecAgentStatus_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecSaTable_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecPolicyTable_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecPolicyTmplTable_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecXfrmStats_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecXfrmStatTable_group(struct ipx_mib_ctx *ctx);
const struct ipx_group *ipsecXfrmInfo_group(struct ipx_mib_ctx *ctx);

/* Registers all of them with the agent. */
int ipx_mib_register(struct ipx_mib_ctx *ctx);

#endif
