/* ipsecXfrmInfo: SAD and SPD sizes from XFRM_MSG_GETSADINFO / GETSPDINFO (scalars). */
#include "groups.h"
#include "oids.h"

static const oid info_oid[] = {IPX_OID_XFRM_INFO};

static int info_get(void *ctx, const void *row, unsigned int col, struct ipx_val *v)
{
	const struct ipx_mib_ctx *m = ctx;
	const struct ipx_store_info *i = ipx_store_info_const(m->store);
	const uint32_t value[] = {
	    i->sad.sa_count, i->sad.hash_size, i->sad.hash_max, i->spd.in,
	    i->spd.out,      i->spd.fwd,       i->spd.in_sock,  i->spd.out_sock,
	    i->spd.fwd_sock, i->spd.hash_size, i->spd.hash_max,
	};

	if (col < 1 || col > sizeof(value) / sizeof(value[0]))
		return -1;
	ipx_val_gauge(v, value[col - 1]);
	return 0;
}

const struct ipx_group *ipsecXfrmInfo_group(struct ipx_mib_ctx *ctx)
{
	static struct ipx_group g = {
	    .name = "ipsecXfrmInfo",
	    .base = info_oid,
	    .base_len = OID_LENGTH(info_oid),
	    .min_col = 1,
	    .max_col = 11,
	    .row_get = ipx_scalar_row_get,
	    .row_next = ipx_scalar_row_next,
	    .row_index = ipx_scalar_row_index,
	    .get = info_get,
	};

	g.ctx = ctx;
	return &g;
}
