/* ipsecAgentStatus: how the agent itself is doing (scalars). */
#include "groups.h"
#include "oids.h"

enum status_column {
	COL_VERSION = 1,
	COL_LAST_RESYNC,
	COL_RESYNCS,
	COL_MALFORMED,
	COL_EVENTS_HEALTHY,
	COL_OVERRUNS,
	COL_EVENTS,
	COL_START_TIME,
	COL_STATUS_LAST = COL_START_TIME,
};

static const oid status_oid[] = {IPX_OID_AGENT_STATUS};

static int status_get(void *ctx, const void *row, unsigned int col, struct ipx_val *v)
{
	const struct ipx_mib_ctx *m = ctx;
	static const struct ipx_collector_status none;
	const struct ipx_collector_status *s = m->status ? m->status : &none;

	switch (col) {
	case COL_VERSION: ipx_val_string(v, IPX_VERSION); break;
	case COL_LAST_RESYNC: ipx_val_date(v, s->last_resync); break;
	case COL_RESYNCS: ipx_val_counter(v, s->resyncs); break;
	case COL_MALFORMED: ipx_val_counter(v, s->malformed); break;
	case COL_EVENTS_HEALTHY: ipx_val_truth(v, s->events_ok); break;
	case COL_OVERRUNS: ipx_val_counter(v, s->overruns); break;
	case COL_EVENTS: ipx_val_counter(v, s->events); break;
	case COL_START_TIME: ipx_val_date(v, m->start_time); break;
	default: return -1;
	}
	return 0;
}

const struct ipx_group *ipsecAgentStatus_group(struct ipx_mib_ctx *ctx)
{
	static struct ipx_group g = {
	    .name = "ipsecAgentStatus",
	    .base = status_oid,
	    .base_len = OID_LENGTH(status_oid),
	    .min_col = COL_VERSION,
	    .max_col = COL_STATUS_LAST,
	    .row_get = ipx_scalar_row_get,
	    .row_next = ipx_scalar_row_next,
	    .row_index = ipx_scalar_row_index,
	    .get = status_get,
	};

	g.ctx = ctx;
	return &g;
}
