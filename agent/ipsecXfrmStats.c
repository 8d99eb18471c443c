/*
 * ipsecXfrmStats: the kernel's /proc/net/xfrm_stat drop counters (show crypto engine
 * connections dropped-packet). Known counters are named scalars; ipsecXfrmStatTable
 * lists every counter the running kernel has, including ones newer than this MIB.
 */
#include "groups.h"
#include "oids.h"

/* In MIB order: scalar n is counter_names[n - 1]. */
static const char *const counter_names[] = {
    "XfrmInError",
    "XfrmInBufferError",
    "XfrmInHdrError",
    "XfrmInNoStates",
    "XfrmInStateProtoError",
    "XfrmInStateModeError",
    "XfrmInStateSeqError",
    "XfrmInStateExpired",
    "XfrmInStateMismatch",
    "XfrmInStateInvalid",
    "XfrmInTmplMismatch",
    "XfrmInNoPols",
    "XfrmInPolBlock",
    "XfrmInPolError",
    "XfrmOutError",
    "XfrmOutBundleGenError",
    "XfrmOutBundleCheckError",
    "XfrmOutNoStates",
    "XfrmOutStateProtoError",
    "XfrmOutStateModeError",
    "XfrmOutStateSeqError",
    "XfrmOutStateExpired",
    "XfrmOutPolBlock",
    "XfrmOutPolDead",
    "XfrmOutPolError",
    "XfrmFwdHdrError",
    "XfrmOutStateInvalid",
    "XfrmAcquireError",
    "XfrmOutStateDirError",
    "XfrmInStateDirError",
    "XfrmInIptfsError",
    "XfrmOutNoQueueSpace",
};

#define N_COUNTERS (sizeof(counter_names) / sizeof(counter_names[0]))

static const oid stats_oid[] = {IPX_OID_XFRM_STATS};
static const oid stat_entry_oid[] = {IPX_OID_XFRM_STAT_ENTRY};

/* A counter the running kernel lacks has no instance. */
static int stats_get(void *ctx, const void *row, unsigned int col, struct ipx_val *v)
{
	const struct ipx_mib_ctx *m = ctx;
	uint64_t value;

	if (col < 1 || col > N_COUNTERS ||
	    ipx_store_xfrm_stat_get(m->store, counter_names[col - 1], &value) < 0)
		return -1;
	ipx_val_counter64(v, value);
	return 0;
}

const struct ipx_group *ipsecXfrmStats_group(struct ipx_mib_ctx *ctx)
{
	static struct ipx_group g = {
	    .name = "ipsecXfrmStats",
	    .base = stats_oid,
	    .base_len = OID_LENGTH(stats_oid),
	    .min_col = 1,
	    .max_col = N_COUNTERS,
	    .row_get = ipx_scalar_row_get,
	    .row_next = ipx_scalar_row_next,
	    .row_index = ipx_scalar_row_index,
	    .get = stats_get,
	};

	g.ctx = ctx;
	return &g;
}

/* ipsecXfrmStatTable rows are positions in the file, 1-based; a row is its position. */
static const void *position_row(const struct ipx_mib_ctx *m, uint64_t pos)
{
	return (pos >= 1 && pos <= ipx_store_info_const(m->store)->stat.n)
	           ? (const void *)(uintptr_t)pos
	           : NULL;
}

static const void *stat_row_get(void *ctx, const oid *idx, size_t len)
{
	uint32_t pos;

	return ipx_index_u32(idx, len, &pos) ? NULL : position_row(ctx, pos);
}

static const void *stat_row_next(void *ctx, const oid *idx, size_t len)
{
	int past_end;
	uint32_t after = ipx_index_u32_after(idx, len, &past_end);

	return past_end ? NULL : position_row(ctx, (uint64_t)after + 1);
}

static size_t stat_row_index(void *ctx, const void *row, oid *out)
{
	out[0] = (oid)(uintptr_t)row;
	return 1;
}

static int stat_get(void *ctx, const void *row, unsigned int col, struct ipx_val *v)
{
	const struct ipx_mib_ctx *m = ctx;
	const struct ipx_xfrm_stat *s = &ipx_store_info_const(m->store)->stat;
	size_t i = (uintptr_t)row - 1;

	switch (col) {
	case 2: ipx_val_string(v, s->names[i]); break;
	case 3: ipx_val_counter64(v, s->values[i]); break;
	default: return -1;
	}
	return 0;
}

const struct ipx_group *ipsecXfrmStatTable_group(struct ipx_mib_ctx *ctx)
{
	static struct ipx_group g = {
	    .name = "ipsecXfrmStatTable",
	    .base = stat_entry_oid,
	    .base_len = OID_LENGTH(stat_entry_oid),
	    .min_col = 2,
	    .max_col = 3,
	    .row_get = stat_row_get,
	    .row_next = stat_row_next,
	    .row_index = stat_row_index,
	    .get = stat_get,
	};

	g.ctx = ctx;
	return &g;
}
