/* ipsecIkeSourceTable: one row per IKE daemon (VICI socket) the agent reads. */
#include "groups.h"
#include "oids.h"

enum source_column {
	COL_PATH = 2,
	COL_STATE,
	COL_DAEMON,
	COL_DAEMON_VERSION,
	COL_TIME_IN_STATE,
	COL_LAST_ERROR,
	COL_LAST_ERROR_TEXT,
	COL_CONNECTS,
	COL_LOSSES,
	COL_EVENTS,
	COL_LISTINGS,
	COL_MALFORMED,
	COL_SOURCE_LAST = COL_MALFORMED,
};

/* ipsecIkeSourceLastErrorText is a DisplayString (SIZE (0..63)). */
#define ERROR_TEXT_MAX 63

static const oid source_entry_oid[] = {IPX_OID_IKE_SOURCE_ENTRY};

/* Sources are numbered 1..count without gaps: the index is the position. */
static const void *source_row_get(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	uint32_t id;

	if (ipx_index_u32(idx, len, &id))
		return NULL;
	return ipx_ike_source_status(m->ike_sources, id);
}

static const void *source_row_next(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	int past_end;
	uint32_t after = ipx_index_u32_after(idx, len, &past_end);

	return past_end ? NULL : ipx_ike_source_status(m->ike_sources, after + 1);
}

static size_t source_row_index(void *ctx, const void *row, oid *out)
{
	out[0] = ((const struct ipx_ike_source_status *)row)->index;
	return 1;
}

static void error_text(struct ipx_val *v, int err)
{
	const char *s = err ? strerror_r(err, (char *)v->buf, sizeof(v->buf)) : "";

	ipx_val_bytes(v, s, strnlen(s, ERROR_TEXT_MAX));
}

static int source_get(void *ctx, const void *r, unsigned int col, struct ipx_val *v)
{
	const struct ipx_mib_ctx *m = ctx;
	const struct ipx_ike_source_status *s = r;

	switch (col) {
	case COL_PATH: IPX_VAL_TEXT(v, s->path); break;
	case COL_STATE: return ipx_mib_enum(v, s->state, IPX_IKE_SOURCE_UP);
	case COL_DAEMON: IPX_VAL_TEXT(v, s->daemon); break;
	case COL_DAEMON_VERSION: IPX_VAL_TEXT(v, s->version); break;
	case COL_TIME_IN_STATE: return ipx_mib_secs_since(v, s->last_change, ipx_mib_mono_now(m));
	case COL_LAST_ERROR: ipx_val_int(v, s->last_error > 0 ? s->last_error : 0); break;
	case COL_LAST_ERROR_TEXT: error_text(v, s->last_error > 0 ? s->last_error : 0); break;
	case COL_CONNECTS: ipx_val_counter(v, s->connects); break;
	case COL_LOSSES: ipx_val_counter(v, s->losses); break;
	case COL_EVENTS: ipx_val_counter(v, s->events); break;
	case COL_LISTINGS: ipx_val_counter(v, s->listings); break;
	case COL_MALFORMED: ipx_val_counter(v, s->malformed); break;
	default: return -1;
	}
	return 0;
}

const struct ipx_group *ipsecIkeSourceTable_group(struct ipx_mib_ctx *ctx)
{
	static struct ipx_group g = {
	    .name = "ipsecIkeSourceTable",
	    .base = source_entry_oid,
	    .base_len = OID_LENGTH(source_entry_oid),
	    .min_col = COL_PATH,
	    .max_col = COL_SOURCE_LAST,
	    .row_get = source_row_get,
	    .row_next = source_row_next,
	    .row_index = source_row_index,
	    .get = source_get,
	};

	g.ctx = ctx;
	return &g;
}
