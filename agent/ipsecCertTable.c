/* ipsecCertTable: one row per certificate an IKE daemon holds (show crypto pki certificates). */
#include <limits.h>

#include "groups.h"
#include "oids.h"

enum cert_column {
	COL_SOURCE = 2,
	COL_TYPE,
	COL_FLAG,
	COL_SUBJECT,
	COL_ISSUER,
	COL_SERIAL,
	COL_NOT_BEFORE,
	COL_NOT_AFTER,
	COL_DAYS_TO_EXPIRY,
	COL_KEY_TYPE,
	COL_KEY_BITS,
	COL_IS_CA,
	COL_HAS_PRIVKEY,
	COL_SAN,
	COL_USED_BY,
	COL_CERT_LAST = COL_USED_BY,
};

static const oid cert_entry_oid[] = {IPX_OID_CERT_ENTRY};

static const void *cert_row_get(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	uint32_t id;

	if (!m->ike || ipx_index_u32(idx, len, &id))
		return NULL;
	return ipx_cert_by_id(m->ike, id);
}

static const void *cert_row_next(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	int past_end;
	uint32_t after = ipx_index_u32_after(idx, len, &past_end);

	return (past_end || !m->ike) ? NULL : ipx_cert_next(m->ike, after);
}

static size_t cert_row_index(void *ctx, const void *row, oid *out)
{
	out[0] = ((const struct ipx_cert_row *)row)->h.id;
	return 1;
}

/* DateAndTime of an epoch time; dates before 1970 read as the epoch. */
static void date_val(struct ipx_val *v, int64_t t)
{
	ipx_val_date(v, t > 0 ? (uint64_t)t : 0);
}

static void days_val(struct ipx_val *v, const struct ipx_cert_info *c, uint64_t now)
{
	int64_t days = ipx_cert_days_left(c, now > INT64_MAX ? INT64_MAX : (int64_t)now);

	if (days > INT32_MAX)
		days = INT32_MAX;
	if (days < INT32_MIN)
		days = INT32_MIN;
	ipx_val_int(v, (long)days);
}

static int cert_get(void *ctx, const void *r, unsigned int col, struct ipx_val *v)
{
	const struct ipx_mib_ctx *m = ctx;
	const struct ipx_cert_row *row = r;
	const struct ipx_cert_info *c = &row->cert;

	switch (col) {
	case COL_SOURCE: ipx_val_gauge(v, row->h.source); break;
	case COL_TYPE: IPX_VAL_TEXT(v, row->type); break;
	case COL_FLAG: ipx_val_int(v, (long)row->flag + 1); break;
	case COL_SUBJECT: IPX_VAL_TEXT(v, c->subject); break;
	case COL_ISSUER: IPX_VAL_TEXT(v, c->issuer); break;
	case COL_SERIAL: IPX_VAL_TEXT(v, c->serial); break;
	case COL_NOT_BEFORE: date_val(v, c->not_before); break;
	case COL_NOT_AFTER: date_val(v, c->not_after); break;
	case COL_DAYS_TO_EXPIRY: days_val(v, c, m->now()); break;
	case COL_KEY_TYPE: IPX_VAL_TEXT(v, c->key_type); break;
	case COL_KEY_BITS: ipx_val_gauge(v, c->key_bits); break;
	case COL_IS_CA: ipx_val_truth(v, c->is_ca); break;
	case COL_HAS_PRIVKEY: ipx_val_truth(v, row->has_privkey); break;
	case COL_SAN: IPX_VAL_TEXT(v, c->subject_alt_names); break;
	case COL_USED_BY: IPX_VAL_TEXT(v, row->used_by); break;
	default: return -1;
	}
	return 0;
}

const struct ipx_group *ipsecCertTable_group(struct ipx_mib_ctx *ctx)
{
	static struct ipx_group g = {
	    .name = "ipsecCertTable",
	    .base = cert_entry_oid,
	    .base_len = OID_LENGTH(cert_entry_oid),
	    .min_col = COL_SOURCE,
	    .max_col = COL_CERT_LAST,
	    .row_get = cert_row_get,
	    .row_next = cert_row_next,
	    .row_index = cert_row_index,
	    .get = cert_get,
	};

	g.ctx = ctx;
	return &g;
}
