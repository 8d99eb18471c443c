/*
 * ipsecPolicyTable and ipsecPolicyTmplTable: the SPD, the Linux "crypto map".
 * Templates get their own table because a policy may stack several (IPComp over ESP).
 */
#include <linux/xfrm.h>
#include <string.h>

#include "groups.h"
#include "oids.h"

long ipx_mib_mode(uint8_t mode);

enum policy_column {
	COL_KERNEL_INDEX = 2,
	COL_DIRECTION,
	COL_TYPE,
	COL_ACTION,
	COL_PRIORITY,
	COL_SEL_SRC_TYPE,
	COL_SEL_SRC,
	COL_SEL_SRC_PLEN,
	COL_SEL_DST_TYPE,
	COL_SEL_DST,
	COL_SEL_DST_PLEN,
	COL_SEL_PROTO,
	COL_SEL_SPORT,
	COL_SEL_DPORT,
	COL_SEL_IFINDEX,
	COL_MARK,
	COL_MARK_MASK,
	COL_IF_ID,
	COL_TMPL_COUNT,
	COL_ADD_TIME,
	COL_USE_TIME,
	COL_POLICY_LAST = COL_USE_TIME,
};

enum tmpl_column {
	COL_T_SRC_TYPE = 2,
	COL_T_SRC,
	COL_T_DST_TYPE,
	COL_T_DST,
	COL_T_PROTOCOL,
	COL_T_MODE,
	COL_T_REQID,
	COL_T_LEVEL,
	COL_T_SPI,
	COL_TMPL_LAST = COL_T_SPI,
};

static const oid policy_entry_oid[] = {IPX_OID_POLICY_ENTRY};
static const oid tmpl_entry_oid[] = {IPX_OID_TMPL_ENTRY};

static const void *policy_row_get(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	uint32_t id;

	return ipx_index_u32(idx, len, &id) ? NULL : ipx_store_policy_by_id(m->store, id);
}

static const void *policy_row_next(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	int past_end;
	uint32_t after = ipx_index_u32_after(idx, len, &past_end);

	return past_end ? NULL : ipx_store_policy_next(m->store, after);
}

static size_t policy_row_index(void *ctx, const void *row, oid *out)
{
	out[0] = ((const struct ipx_policy_row *)row)->id;
	return 1;
}

static int policy_get(void *ctx, const void *r, unsigned int col, struct ipx_val *v)
{
	const struct ipx_policy *p = &((const struct ipx_policy_row *)r)->pol;

	if (ipx_val_selector(v, &p->sel, COL_SEL_SRC_TYPE, col) == 0)
		return 0;
	switch (col) {
	case COL_SEL_IFINDEX: ipx_val_int(v, p->sel.ifindex); break;
	case COL_KERNEL_INDEX: ipx_val_gauge(v, p->key.index); break;
	case COL_DIRECTION: ipx_val_int(v, (long)p->dir + 1); break;
	case COL_TYPE: ipx_val_int(v, p->key.ptype == XFRM_POLICY_TYPE_SUB ? 2 : 1); break;
	case COL_ACTION: ipx_val_int(v, p->action == XFRM_POLICY_BLOCK ? 2 : 1); break;
	case COL_PRIORITY: ipx_val_gauge(v, p->priority); break;
	case COL_MARK:
		if (!p->has_mark)
			return -1;
		ipx_val_gauge(v, p->mark_value);
		break;
	case COL_MARK_MASK:
		if (!p->has_mark)
			return -1;
		ipx_val_gauge(v, p->mark_mask);
		break;
	case COL_IF_ID:
		if (!p->has_if_id)
			return -1;
		ipx_val_gauge(v, p->if_id);
		break;
	case COL_TMPL_COUNT: ipx_val_gauge(v, p->n_tmpl); break;
	case COL_ADD_TIME: ipx_val_date(v, p->add_time); break;
	case COL_USE_TIME:
		if (!p->use_time)
			return -1;
		ipx_val_date(v, p->use_time);
		break;
	default: return -1;
	}
	return 0;
}

/* A template "row" is a policy and a position; the handlers use one at a time. */
struct tmpl_ref {
	const struct ipx_policy_row *policy;
	unsigned int n; /* 1-based */
};

static struct tmpl_ref tmpl_cursor;

static const void *tmpl_ref(const struct ipx_policy_row *p, unsigned int n)
{
	tmpl_cursor.policy = p;
	tmpl_cursor.n = n;
	return &tmpl_cursor;
}

static const void *tmpl_row_get(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	const struct ipx_policy_row *p;

	if (len != 2 || idx[0] > UINT32_MAX || idx[1] < 1)
		return NULL;
	p = ipx_store_policy_by_id(m->store, (uint32_t)idx[0]);
	return (p && idx[1] <= p->pol.n_tmpl) ? tmpl_ref(p, (unsigned int)idx[1]) : NULL;
}

static const void *tmpl_row_next(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	const struct ipx_policy_row *p;
	oid after_n = 0;

	if (len == 0) {
		p = ipx_store_policy_next(m->store, 0);
	} else if (idx[0] > UINT32_MAX) {
		return NULL;
	} else {
		/* Same policy, a later template: (id, n) with n > idx[1] (or n >= 1 if
		 * the suffix stops at the policy id). */
		p = ipx_store_policy_by_id(m->store, (uint32_t)idx[0]);
		after_n = len >= 2 ? idx[1] : 0;
		if (p && after_n < p->pol.n_tmpl)
			return tmpl_ref(p, (unsigned int)after_n + 1);
		p = ipx_store_policy_next(m->store, (uint32_t)idx[0]);
	}
	/* Policies without templates (allow/block only) have no rows here. */
	while (p && p->pol.n_tmpl == 0)
		p = ipx_store_policy_next(m->store, p->id);
	return p ? tmpl_ref(p, 1) : NULL;
}

static size_t tmpl_row_index(void *ctx, const void *row, oid *out)
{
	const struct tmpl_ref *t = row;

	out[0] = t->policy->id;
	out[1] = t->n;
	return 2;
}

/* Transport-mode templates carry all-zero endpoints: the MIB shows them as unset. */
static struct ipx_addr endpoint(const struct ipx_addr *a)
{
	static const uint8_t zero[16];
	struct ipx_addr e = *a;

	if (memcmp(a->bytes, zero, sizeof(zero)) == 0)
		e.family = 0;
	return e;
}

static int tmpl_get(void *ctx, const void *row, unsigned int col, struct ipx_val *v)
{
	const struct tmpl_ref *t = row;
	const struct ipx_tmpl *tm = &t->policy->pol.tmpl[t->n - 1];
	struct ipx_addr src = endpoint(&tm->saddr), dst = endpoint(&tm->daddr);

	switch (col) {
	case COL_T_SRC_TYPE: ipx_val_inet_type(v, &src); break;
	case COL_T_SRC: ipx_val_inet_addr(v, &src); break;
	case COL_T_DST_TYPE: ipx_val_inet_type(v, &dst); break;
	case COL_T_DST: ipx_val_inet_addr(v, &dst); break;
	case COL_T_PROTOCOL: ipx_val_int(v, tm->proto); break;
	case COL_T_MODE: ipx_val_int(v, ipx_mib_mode(tm->mode)); break;
	case COL_T_REQID: ipx_val_gauge(v, tm->reqid); break;
	case COL_T_LEVEL: ipx_val_int(v, tm->optional ? 2 : 1); break;
	case COL_T_SPI: ipx_val_gauge(v, tm->spi); break;
	default: return -1;
	}
	return 0;
}

const struct ipx_group *ipsecPolicyTable_group(struct ipx_mib_ctx *ctx)
{
	static struct ipx_group g = {
	    .name = "ipsecPolicyTable",
	    .base = policy_entry_oid,
	    .base_len = OID_LENGTH(policy_entry_oid),
	    .min_col = COL_KERNEL_INDEX,
	    .max_col = COL_POLICY_LAST,
	    .row_get = policy_row_get,
	    .row_next = policy_row_next,
	    .row_index = policy_row_index,
	    .get = policy_get,
	};

	g.ctx = ctx;
	return &g;
}

const struct ipx_group *ipsecPolicyTmplTable_group(struct ipx_mib_ctx *ctx)
{
	static struct ipx_group g = {
	    .name = "ipsecPolicyTmplTable",
	    .base = tmpl_entry_oid,
	    .base_len = OID_LENGTH(tmpl_entry_oid),
	    .min_col = COL_T_SRC_TYPE,
	    .max_col = COL_TMPL_LAST,
	    .row_get = tmpl_row_get,
	    .row_next = tmpl_row_next,
	    .row_index = tmpl_row_index,
	    .get = tmpl_get,
	};

	g.ctx = ctx;
	return &g;
}
