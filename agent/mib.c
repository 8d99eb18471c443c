/* Registers every group of IPSEC-AGENTX-MIB with the agent. */
#include "groups.h"

int ipx_mib_register(struct ipx_mib_ctx *ctx)
{
	int rc = 0;

	rc |= ipx_group_register(ipsecAgentStatus_group(ctx), 1);
	rc |= ipx_group_register(ipsecSaTable_group(ctx), 0);
	rc |= ipx_group_register(ipsecPolicyTable_group(ctx), 0);
	rc |= ipx_group_register(ipsecPolicyTmplTable_group(ctx), 0);
	rc |= ipx_group_register(ipsecXfrmStats_group(ctx), 1);
	rc |= ipx_group_register(ipsecXfrmStatTable_group(ctx), 0);
	rc |= ipx_group_register(ipsecXfrmInfo_group(ctx), 1);
	rc |= ipx_group_register(ipsecIkeSourceTable_group(ctx), 0);
	rc |= ipx_group_register(ikeSaTable_group(ctx), 0);
	rc |= ipx_group_register(ikeChildSaTable_group(ctx), 0);
	rc |= ipx_group_register(ipsecConnTable_group(ctx), 0);
	rc |= ipx_group_register(ipsecCertTable_group(ctx), 0);
	rc |= ipx_group_register(ipsecIkeCounterTable_group(ctx), 0);
	rc |= ipx_group_register(ipsecNotifyConfig_group(ctx), 1);
	rc |= ipx_group_register(ipsecNotifyStatTable_group(ctx), 0);
	/* before init_snmp(), which reads the persistent file and opens the AgentX session */
	rc |= ipx_notify_config_persist_init(ctx);
	rc |= ipx_notifications_init();
	return rc ? -1 : 0;
}
