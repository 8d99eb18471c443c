/* ipsecSaTable: one row per kernel SA (show crypto ipsec sa). Columns per the MIB. */
#include <netinet/in.h>
#include <linux/xfrm.h>
#include <linux/udp.h>

#include "groups.h"
#include "oids.h"

enum sa_column {
	COL_SRC_TYPE = 2,
	COL_SRC,
	COL_DST_TYPE,
	COL_DST,
	COL_PROTOCOL,
	COL_SPI,
	COL_REQID,
	COL_MODE,
	COL_DIRECTION,
	COL_ENCAP_TYPE,
	COL_ENCAP_SPORT,
	COL_ENCAP_DPORT,
	COL_ENC_ALG,
	COL_ENC_KEY_BITS,
	COL_AUTH_ALG,
	COL_AUTH_KEY_BITS,
	COL_AUTH_TRUNC_BITS,
	COL_AEAD_ALG,
	COL_AEAD_KEY_BITS,
	COL_AEAD_ICV_BITS,
	COL_COMP_ALG,
	COL_REPLAY_WINDOW,
	COL_ESN,
	COL_SEL_SRC_TYPE,
	COL_SEL_SRC,
	COL_SEL_SRC_PLEN,
	COL_SEL_DST_TYPE,
	COL_SEL_DST,
	COL_SEL_DST_PLEN,
	COL_SEL_PROTO,
	COL_SEL_SPORT,
	COL_SEL_DPORT,
	COL_MARK,
	COL_MARK_MASK,
	COL_IF_ID,
	COL_SOFT_BYTES,
	COL_HARD_BYTES,
	COL_SOFT_PACKETS,
	COL_HARD_PACKETS,
	COL_SOFT_ADD_SECS,
	COL_HARD_ADD_SECS,
	COL_SOFT_USE_SECS,
	COL_HARD_USE_SECS,
	COL_OCTETS,
	COL_PACKETS,
	COL_ADD_TIME,
	COL_LAST_USED,
	COL_SOFT_EXPIRES_IN,
	COL_HARD_EXPIRES_IN,
	COL_REPLAY_DROPS,
	COL_INTEGRITY_FAILURES,
	COL_REPLAY_WINDOW_ERRORS,
	COL_SOFT_EXPIRED,
	COL_IKE_SA_INDEX,
	COL_CHILD_SA_INDEX,
	COL_CONN_INDEX,
	COL_SA_LAST = COL_CONN_INDEX,
};

static const oid sa_entry_oid[] = {IPX_OID_SA_ENTRY};

static const void *sa_row_get(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	uint32_t id;

	return ipx_index_u32(idx, len, &id) ? NULL : ipx_store_sa_by_id(m->store, id);
}

static const void *sa_row_next(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	int past_end;
	uint32_t after = ipx_index_u32_after(idx, len, &past_end);

	return past_end ? NULL : ipx_store_sa_next(m->store, after);
}

static size_t sa_row_index(void *ctx, const void *row, oid *out)
{
	out[0] = ((const struct ipx_sa_row *)row)->id;
	return 1;
}

/* ipsecSaMode and ipsecPolicyTmplMode: the kernel's XFRM_MODE_* plus one. */
long ipx_mib_mode(uint8_t mode);
long ipx_mib_mode(uint8_t mode)
{
	return (long)mode + 1;
}

static long encap_type(const struct ipx_sa *sa)
{
	if (!sa->has_encap)
		return 1;
	switch (sa->encap_type) {
	case UDP_ENCAP_ESPINUDP: return 2;
	case UDP_ENCAP_ESPINUDP_NON_IKE: return 3;
	case 7: /* TCP_ENCAP_ESPINTCP, absent from older headers */ return 4;
	default: return 1;
	}
}

/* Seconds until a limit counted from t0 (add or first use); -1 when there is none. */
static long expires_in(uint64_t limit, uint64_t t0, uint64_t now)
{
	if (!limit || !t0)
		return -1;
	if (t0 + limit <= now)
		return 0;
	return (long)((t0 + limit - now) > 2147483647 ? 2147483647 : t0 + limit - now);
}

/* The nearer of the add-time and use-time limits, as the kernel applies both. */
static long sa_expires_in(const struct ipx_sa *sa, uint64_t add_limit, uint64_t use_limit,
                          uint64_t now)
{
	long by_add = expires_in(add_limit, sa->add_time, now);
	long by_use = expires_in(use_limit, sa->use_time, now);

	if (by_add < 0)
		return by_use;
	if (by_use < 0)
		return by_add;
	return by_add < by_use ? by_add : by_use;
}

static void sat_u32(struct ipx_val *v, uint64_t x)
{
	ipx_val_gauge(v, x > 0xffffffffULL ? 0xffffffffUL : (unsigned long)x);
}

static int sa_get_algs(const struct ipx_sa *sa, unsigned int col, struct ipx_val *v)
{
	switch (col) {
	case COL_ENC_ALG: ipx_val_string(v, ipx_alg_name(&sa->enc)); break;
	case COL_ENC_KEY_BITS: ipx_val_gauge(v, sa->enc.key_bits); break;
	case COL_AUTH_ALG: ipx_val_string(v, ipx_alg_name(&sa->auth)); break;
	case COL_AUTH_KEY_BITS: ipx_val_gauge(v, sa->auth.key_bits); break;
	case COL_AUTH_TRUNC_BITS: ipx_val_gauge(v, sa->auth.icv_bits); break;
	case COL_AEAD_ALG: ipx_val_string(v, ipx_alg_name(&sa->aead)); break;
	case COL_AEAD_KEY_BITS: ipx_val_gauge(v, sa->aead.key_bits); break;
	case COL_AEAD_ICV_BITS: ipx_val_gauge(v, sa->aead.icv_bits); break;
	case COL_COMP_ALG: ipx_val_string(v, ipx_alg_name(&sa->comp)); break;
	default: return -1;
	}
	return 0;
}

/* The clock is read for the two "expires in" columns only: inside user-mode-linux every read
 * is a system call, and a walk of any other column would pay one per varbind. */
static int sa_get_lifetime(const struct ipx_mib_ctx *m, const struct ipx_sa *sa, unsigned int col,
                           struct ipx_val *v)
{
	const struct ipx_lifetime *l = &sa->lft;

	switch (col) {
	case COL_SOFT_BYTES: ipx_val_counter64(v, l->soft_bytes); break;
	case COL_HARD_BYTES: ipx_val_counter64(v, l->hard_bytes); break;
	case COL_SOFT_PACKETS: ipx_val_counter64(v, l->soft_packets); break;
	case COL_HARD_PACKETS: ipx_val_counter64(v, l->hard_packets); break;
	case COL_SOFT_ADD_SECS: sat_u32(v, l->soft_add_secs); break;
	case COL_HARD_ADD_SECS: sat_u32(v, l->hard_add_secs); break;
	case COL_SOFT_USE_SECS: sat_u32(v, l->soft_use_secs); break;
	case COL_HARD_USE_SECS: sat_u32(v, l->hard_use_secs); break;
	case COL_SOFT_EXPIRES_IN:
		ipx_val_int(v, sa_expires_in(sa, l->soft_add_secs, l->soft_use_secs, m->now()));
		break;
	case COL_HARD_EXPIRES_IN:
		ipx_val_int(v, sa_expires_in(sa, l->hard_add_secs, l->hard_use_secs, m->now()));
		break;
	default: return -1;
	}
	return 0;
}

/* The CHILD_SA (and through it the IKE SA and connection) that owns the SA; 0 for none. */
static int sa_get_owner(const struct ipx_mib_ctx *m, const struct ipx_sa_row *row, unsigned int col,
                        struct ipx_val *v)
{
	const struct ipx_child_row *c;

	if (col < COL_IKE_SA_INDEX || col > COL_CONN_INDEX)
		return -1; /* before the lookup: most columns are not these */
	c = m->ike ? ipx_ike_sa_owner(m->ike, row->id) : NULL;
	switch (col) {
	case COL_IKE_SA_INDEX: ipx_val_gauge(v, c ? c->ike_id : 0); break;
	case COL_CHILD_SA_INDEX: ipx_val_gauge(v, c ? c->h.id : 0); break;
	case COL_CONN_INDEX: ipx_val_gauge(v, c ? c->conn_id : 0); break;
	default: return -1;
	}
	return 0;
}

static int sa_get(void *ctx, const void *r, unsigned int col, struct ipx_val *v)
{
	const struct ipx_mib_ctx *m = ctx;
	const struct ipx_sa_row *row = r;
	const struct ipx_sa *sa = &row->sa;

	if (ipx_val_selector(v, &sa->sel, COL_SEL_SRC_TYPE, col) == 0 ||
	    sa_get_algs(sa, col, v) == 0 || sa_get_lifetime(m, sa, col, v) == 0 ||
	    sa_get_owner(m, row, col, v) == 0)
		return 0;
	switch (col) {
	case COL_SRC_TYPE: ipx_val_inet_type(v, &sa->saddr); break;
	case COL_SRC: ipx_val_inet_addr(v, &sa->saddr); break;
	case COL_DST_TYPE: ipx_val_inet_type(v, &sa->key.daddr); break;
	case COL_DST: ipx_val_inet_addr(v, &sa->key.daddr); break;
	case COL_PROTOCOL: ipx_val_int(v, sa->key.proto); break;
	case COL_SPI: ipx_val_gauge(v, sa->key.spi); break;
	case COL_REQID: ipx_val_gauge(v, sa->reqid); break;
	case COL_MODE: ipx_val_int(v, ipx_mib_mode(sa->mode)); break;
	case COL_DIRECTION: ipx_val_int(v, row->dir == IPX_DIR_UNKNOWN ? 3 : row->dir); break;
	case COL_ENCAP_TYPE: ipx_val_int(v, encap_type(sa)); break;
	case COL_ENCAP_SPORT: ipx_val_gauge(v, sa->has_encap ? sa->encap_sport : 0); break;
	case COL_ENCAP_DPORT: ipx_val_gauge(v, sa->has_encap ? sa->encap_dport : 0); break;
	case COL_REPLAY_WINDOW: ipx_val_gauge(v, sa->replay_window); break;
	case COL_ESN: ipx_val_truth(v, sa->esn); break;
	case COL_MARK:
		if (!sa->has_mark)
			return -1;
		ipx_val_gauge(v, sa->key.mark_value);
		break;
	case COL_MARK_MASK:
		if (!sa->has_mark)
			return -1;
		ipx_val_gauge(v, sa->key.mark_mask);
		break;
	case COL_IF_ID:
		if (!sa->has_if_id)
			return -1;
		ipx_val_gauge(v, sa->key.if_id);
		break;
	case COL_OCTETS: ipx_val_counter64(v, sa->cur_bytes); break;
	case COL_PACKETS: ipx_val_counter64(v, sa->cur_packets); break;
	case COL_ADD_TIME: ipx_val_date(v, sa->add_time); break;
	case COL_LAST_USED:
		if (!sa->last_used)
			return -1;
		ipx_val_date(v, sa->last_used);
		break;
	case COL_REPLAY_DROPS: ipx_val_counter(v, sa->stat_replay); break;
	case COL_INTEGRITY_FAILURES: ipx_val_counter(v, sa->stat_integrity_failed); break;
	case COL_REPLAY_WINDOW_ERRORS: ipx_val_counter(v, sa->stat_replay_window); break;
	case COL_SOFT_EXPIRED: ipx_val_truth(v, row->soft_expired); break;
	default: return -1;
	}
	return 0;
}

const struct ipx_group *ipsecSaTable_group(struct ipx_mib_ctx *ctx)
{
	static struct ipx_group g = {
	    .name = "ipsecSaTable",
	    .base = sa_entry_oid,
	    .base_len = OID_LENGTH(sa_entry_oid),
	    .min_col = COL_SRC_TYPE,
	    .max_col = COL_SA_LAST,
	    .row_get = sa_row_get,
	    .row_next = sa_row_next,
	    .row_index = sa_row_index,
	    .get = sa_get,
	};

	g.ctx = ctx;
	return &g;
}
