/*
 * ipsecIkeCounterTable: one row per counter of an IKE daemon's own (strongSwan's counters
 * plugin, VICI get-counters): charon's global counters (scope "") and those of each
 * connection (show crypto isakmp stats / show crypto ikev2 stats).
 */
#include "groups.h"
#include "oids.h"

enum counter_column {
	COL_SOURCE = 2,
	COL_SCOPE,
	COL_NAME,
	COL_VALUE,
	COL_COUNTER_LAST = COL_VALUE,
};

static const oid counter_entry_oid[] = {IPX_OID_IKE_COUNTER_ENTRY};

static const void *counter_row_get(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	uint32_t id;

	if (!m->ike || ipx_index_u32(idx, len, &id))
		return NULL;
	return ipx_ike_counter_by_id(m->ike, id);
}

static const void *counter_row_next(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	int past_end;
	uint32_t after = ipx_index_u32_after(idx, len, &past_end);

	return (past_end || !m->ike) ? NULL : ipx_ike_counter_next(m->ike, after);
}

static size_t counter_row_index(void *ctx, const void *row, oid *out)
{
	(void)ctx;
	out[0] = ((const struct ipx_ike_counter_row *)row)->h.id;
	return 1;
}

static int counter_get(void *ctx, const void *r, unsigned int col, struct ipx_val *v)
{
	const struct ipx_ike_counter_row *row = r;

	(void)ctx;
	switch (col) {
	case COL_SOURCE: ipx_val_gauge(v, row->h.source); break;
	case COL_SCOPE: IPX_VAL_TEXT(v, row->scope); break;
	case COL_NAME: IPX_VAL_TEXT(v, row->name); break;
	case COL_VALUE: ipx_val_counter64(v, row->value); break;
	default: return -1;
	}
	return 0;
}

const struct ipx_group *ipsecIkeCounterTable_group(struct ipx_mib_ctx *ctx)
{
	static struct ipx_group g = {
	    .name = "ipsecIkeCounterTable",
	    .base = counter_entry_oid,
	    .base_len = OID_LENGTH(counter_entry_oid),
	    .min_col = COL_SOURCE,
	    .max_col = COL_COUNTER_LAST,
	    .row_get = counter_row_get,
	    .row_next = counter_row_next,
	    .row_index = counter_row_index,
	    .get = counter_get,
	};

	g.ctx = ctx;
	return &g;
}
