/* ikeSaTable: one row per IKE SA of the IKE daemons (show crypto isakmp sa). */
#include <limits.h>

#include "groups.h"
#include "oids.h"

enum ike_sa_column {
	COL_SOURCE = 2,
	COL_NAME,
	COL_UNIQUE_ID,
	COL_VERSION,
	COL_EXCHANGE,
	COL_STATE,
	COL_CISCO_STATE,
	COL_ROLE,
	COL_LOCAL_TYPE,
	COL_LOCAL,
	COL_LOCAL_PORT,
	COL_REMOTE_TYPE,
	COL_REMOTE,
	COL_REMOTE_PORT,
	COL_LOCAL_ID,
	COL_REMOTE_ID,
	COL_SPI_I,
	COL_SPI_R,
	COL_ENC_ALG,
	COL_ENC_KEY_BITS,
	COL_INTEG_ALG,
	COL_INTEG_KEY_BITS,
	COL_PRF_ALG,
	COL_DH_GROUP,
	COL_NAT,
	COL_ESTABLISHED_FOR,
	COL_REKEY_IN,
	COL_REAUTH_IN,
	COL_CHILD_COUNT,
	COL_CONN_IKE_REKEYS,
	COL_IKE_SA_LAST = COL_CONN_IKE_REKEYS,
};

/* ikeSaNat bits, in BITS order: bit 0 is the first octet's most significant bit. */
#define NAT_LOCAL  0x80
#define NAT_REMOTE 0x40
#define NAT_FAKE   0x20
#define NAT_ANY    0x10

static const oid ike_sa_entry_oid[] = {IPX_OID_IKE_SA_ENTRY};

/* ---- helpers shared by the IKE groups (groups.h) -------------------------------------- */

int64_t ipx_mib_mono_now(const struct ipx_mib_ctx *ctx)
{
	return ctx->mono_now ? ctx->mono_now() : ipx_ike_now();
}

long ipx_mib_secs_until(int64_t at, int64_t now)
{
	if (!at)
		return -1;
	if (at <= now)
		return 0;
	return at - now > INT32_MAX ? INT32_MAX : (long)(at - now);
}

int ipx_mib_secs_since(struct ipx_val *v, int64_t at, int64_t now)
{
	if (!at)
		return -1;
	if (now <= at)
		ipx_val_gauge(v, 0);
	else
		ipx_val_gauge(v, now - at > UINT32_MAX ? UINT32_MAX : (unsigned long)(now - at));
	return 0;
}

int ipx_mib_enum(struct ipx_val *v, unsigned int x, unsigned int max)
{
	if (x < 1 || x > max)
		return -1;
	ipx_val_int(v, x);
	return 0;
}

/* ---- rows ----------------------------------------------------------------------------- */

static const void *ike_sa_row_get(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	uint32_t id;

	if (!m->ike || ipx_index_u32(idx, len, &id))
		return NULL;
	return ipx_ike_sa_by_id(m->ike, id);
}

static const void *ike_sa_row_next(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	int past_end;
	uint32_t after = ipx_index_u32_after(idx, len, &past_end);

	return (past_end || !m->ike) ? NULL : ipx_ike_sa_next(m->ike, after);
}

static size_t ike_sa_row_index(void *ctx, const void *row, oid *out)
{
	out[0] = ((const struct ipx_ike_sa_row *)row)->h.id;
	return 1;
}

/* ---- columns -------------------------------------------------------------------------- */

/* The eight octets of an IKE SPI, most significant first (as charon prints it). */
static void spi_val(struct ipx_val *v, uint64_t spi)
{
	for (int i = 0; i < 8; i++)
		v->buf[i] = (u_char)(spi >> (56 - 8 * i));
	ipx_val_bytes(v, v->buf, 8);
}

static void nat_val(struct ipx_val *v, const struct ipx_ike_sa *sa)
{
	v->buf[0] = (u_char)((sa->nat_local ? NAT_LOCAL : 0) | (sa->nat_remote ? NAT_REMOTE : 0) |
	                     (sa->nat_fake ? NAT_FAKE : 0) | (sa->nat_any ? NAT_ANY : 0));
	ipx_val_bytes(v, v->buf, 1);
}

static int ike_sa_get_state(const struct ipx_ike_sa *sa, unsigned int col, struct ipx_val *v)
{
	switch (col) {
	case COL_VERSION: ipx_val_gauge(v, sa->version); return 0;
	case COL_EXCHANGE: return ipx_mib_enum(v, sa->exchange, IPX_IKE_EXCHANGE_IKEV1);
	case COL_STATE: return ipx_mib_enum(v, sa->state, IPX_IKE_DESTROYING);
	case COL_CISCO_STATE: return ipx_mib_enum(v, ipx_ike_cisco_state(sa), IPX_CISCO_QM_IDLE);
	case COL_ROLE: ipx_val_int(v, sa->initiator ? 1 : 2); return 0;
	default: return -1;
	}
}

static int ike_sa_get_peers(const struct ipx_ike_sa *sa, unsigned int col, struct ipx_val *v)
{
	switch (col) {
	case COL_LOCAL_TYPE: ipx_val_inet_type(v, &sa->local); break;
	case COL_LOCAL: ipx_val_inet_addr(v, &sa->local); break;
	case COL_LOCAL_PORT: ipx_val_gauge(v, sa->local_port); break;
	case COL_REMOTE_TYPE: ipx_val_inet_type(v, &sa->remote); break;
	case COL_REMOTE: ipx_val_inet_addr(v, &sa->remote); break;
	case COL_REMOTE_PORT: ipx_val_gauge(v, sa->remote_port); break;
	case COL_LOCAL_ID: IPX_VAL_TEXT(v, sa->local_id); break;
	case COL_REMOTE_ID: IPX_VAL_TEXT(v, sa->remote_id); break;
	case COL_SPI_I: spi_val(v, sa->spi_i); break;
	case COL_SPI_R: spi_val(v, sa->spi_r); break;
	default: return -1;
	}
	return 0;
}

static int ike_sa_get_algs(const struct ipx_ike_sa *sa, unsigned int col, struct ipx_val *v)
{
	switch (col) {
	case COL_ENC_ALG: IPX_VAL_TEXT(v, sa->encr_alg); break;
	case COL_ENC_KEY_BITS: ipx_val_gauge(v, sa->encr_keysize); break;
	case COL_INTEG_ALG: IPX_VAL_TEXT(v, sa->integ_alg); break;
	case COL_INTEG_KEY_BITS: ipx_val_gauge(v, sa->integ_keysize); break;
	case COL_PRF_ALG: IPX_VAL_TEXT(v, sa->prf_alg); break;
	case COL_DH_GROUP: IPX_VAL_TEXT(v, sa->dh_group); break;
	case COL_NAT: nat_val(v, sa); break;
	default: return -1;
	}
	return 0;
}

static int ike_sa_get_times(const struct ipx_mib_ctx *m, const struct ipx_ike_sa_row *row,
                            unsigned int col, struct ipx_val *v)
{
	const struct ipx_ike_sa *sa = &row->sa;
	const struct ipx_conn_counters *ctr;

	switch (col) {
	case COL_ESTABLISHED_FOR:
		return ipx_mib_secs_since(v, sa->established_at, ipx_mib_mono_now(m));
	case COL_REKEY_IN:
		ipx_val_int(v, ipx_mib_secs_until(sa->rekey_at, ipx_mib_mono_now(m)));
		break;
	case COL_REAUTH_IN:
		ipx_val_int(v, ipx_mib_secs_until(sa->reauth_at, ipx_mib_mono_now(m)));
		break;
	case COL_CHILD_COUNT: ipx_val_gauge(v, sa->child_count); break;
	case COL_CONN_IKE_REKEYS:
		ctr = ipx_ike_counters(m->ike, row->h.source, sa->name, "");
		ipx_val_counter(v, ctr ? ctr->ike_rekeys : 0);
		break;
	default: return -1;
	}
	return 0;
}

static int ike_sa_get(void *ctx, const void *r, unsigned int col, struct ipx_val *v)
{
	const struct ipx_mib_ctx *m = ctx;
	const struct ipx_ike_sa_row *row = r;
	const struct ipx_ike_sa *sa = &row->sa;

	if (col >= COL_VERSION && col <= COL_ROLE)
		return ike_sa_get_state(sa, col, v);
	if (col >= COL_LOCAL_TYPE && col <= COL_SPI_R)
		return ike_sa_get_peers(sa, col, v);
	if (col >= COL_ENC_ALG && col <= COL_NAT)
		return ike_sa_get_algs(sa, col, v);
	if (col >= COL_ESTABLISHED_FOR)
		return ike_sa_get_times(m, row, col, v);
	switch (col) {
	case COL_SOURCE: ipx_val_gauge(v, row->h.source); break;
	case COL_NAME: IPX_VAL_TEXT(v, sa->name); break;
	case COL_UNIQUE_ID: ipx_val_gauge(v, sa->unique_id); break;
	default: return -1;
	}
	return 0;
}

const struct ipx_group *ikeSaTable_group(struct ipx_mib_ctx *ctx)
{
	static struct ipx_group g = {
	    .name = "ikeSaTable",
	    .base = ike_sa_entry_oid,
	    .base_len = OID_LENGTH(ike_sa_entry_oid),
	    .min_col = COL_SOURCE,
	    .max_col = COL_IKE_SA_LAST,
	    .row_get = ike_sa_row_get,
	    .row_next = ike_sa_row_next,
	    .row_index = ike_sa_row_index,
	    .get = ike_sa_get,
	};

	g.ctx = ctx;
	return &g;
}
