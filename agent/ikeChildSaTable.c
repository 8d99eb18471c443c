/* ikeChildSaTable: one row per CHILD_SA of the IKE SAs (the phase 2 tunnels). */
#include <netinet/in.h>

#include "groups.h"
#include "oids.h"

enum child_column {
	COL_IKE_SA = 2,
	COL_CONN,
	COL_NAME,
	COL_UNIQUE_ID,
	COL_STATE,
	COL_MODE,
	COL_PROTOCOL,
	COL_UDP_ENCAP,
	COL_IN_SPI,
	COL_OUT_SPI,
	COL_REQID,
	COL_ENC_ALG,
	COL_ENC_KEY_BITS,
	COL_INTEG_ALG,
	COL_INTEG_KEY_BITS,
	COL_DH_GROUP,
	COL_ESN,
	COL_IN_OCTETS,
	COL_IN_PACKETS,
	COL_OUT_OCTETS,
	COL_OUT_PACKETS,
	COL_INSTALLED_FOR,
	COL_REKEY_IN,
	COL_EXPIRES_IN,
	COL_LOCAL_TS,
	COL_REMOTE_TS,
	COL_IN_SA,
	COL_OUT_SA,
	COL_CHILD_LAST = COL_OUT_SA,
};

static const oid child_entry_oid[] = {IPX_OID_CHILD_SA_ENTRY};

static const void *child_row_get(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	uint32_t id;

	if (!m->ike || ipx_index_u32(idx, len, &id))
		return NULL;
	return ipx_child_by_id(m->ike, id);
}

static const void *child_row_next(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	int past_end;
	uint32_t after = ipx_index_u32_after(idx, len, &past_end);

	return (past_end || !m->ike) ? NULL : ipx_child_next(m->ike, after);
}

static size_t child_row_index(void *ctx, const void *row, oid *out)
{
	out[0] = ((const struct ipx_child_row *)row)->h.id;
	return 1;
}

/* ikeChildSaProtocol is the IP protocol number, like ipsecSaProtocol. */
static int protocol_val(struct ipx_val *v, uint8_t proto)
{
	switch (proto) {
	case IPX_CHILD_PROTO_ESP: ipx_val_int(v, IPPROTO_ESP); return 0;
	case IPX_CHILD_PROTO_AH: ipx_val_int(v, IPPROTO_AH); return 0;
	default: return -1;
	}
}

static int child_get_config(const struct ipx_child_sa *sa, unsigned int col, struct ipx_val *v)
{
	switch (col) {
	case COL_NAME: IPX_VAL_TEXT(v, sa->name); break;
	case COL_UNIQUE_ID: ipx_val_gauge(v, sa->unique_id); break;
	case COL_STATE: return ipx_mib_enum(v, sa->state, IPX_CHILD_DESTROYING);
	case COL_MODE: return ipx_mib_enum(v, sa->mode, IPX_CHILD_MODE_DROP);
	case COL_PROTOCOL: return protocol_val(v, sa->protocol);
	case COL_UDP_ENCAP: ipx_val_truth(v, sa->encap); break;
	case COL_IN_SPI: ipx_val_gauge(v, sa->spi_in); break;
	case COL_OUT_SPI: ipx_val_gauge(v, sa->spi_out); break;
	case COL_REQID: ipx_val_gauge(v, sa->reqid); break;
	case COL_ENC_ALG: IPX_VAL_TEXT(v, sa->encr_alg); break;
	case COL_ENC_KEY_BITS: ipx_val_gauge(v, sa->encr_keysize); break;
	case COL_INTEG_ALG: IPX_VAL_TEXT(v, sa->integ_alg); break;
	case COL_INTEG_KEY_BITS: ipx_val_gauge(v, sa->integ_keysize); break;
	case COL_DH_GROUP: IPX_VAL_TEXT(v, sa->dh_group); break;
	case COL_ESN: ipx_val_truth(v, sa->esn); break;
	case COL_LOCAL_TS: IPX_VAL_TEXT(v, sa->local_ts); break;
	case COL_REMOTE_TS: IPX_VAL_TEXT(v, sa->remote_ts); break;
	default: return -1;
	}
	return 0;
}

static int child_get_usage(const struct ipx_mib_ctx *m, const struct ipx_child_sa *sa,
                           unsigned int col, struct ipx_val *v)
{
	switch (col) {
	case COL_IN_OCTETS: ipx_val_counter64(v, sa->bytes_in); break;
	case COL_IN_PACKETS: ipx_val_counter64(v, sa->packets_in); break;
	case COL_OUT_OCTETS: ipx_val_counter64(v, sa->bytes_out); break;
	case COL_OUT_PACKETS: ipx_val_counter64(v, sa->packets_out); break;
	case COL_INSTALLED_FOR: return ipx_mib_secs_since(v, sa->installed_at, ipx_mib_mono_now(m));
	case COL_REKEY_IN:
		ipx_val_int(v, ipx_mib_secs_until(sa->rekey_at, ipx_mib_mono_now(m)));
		break;
	case COL_EXPIRES_IN:
		ipx_val_int(v, ipx_mib_secs_until(sa->expire_at, ipx_mib_mono_now(m)));
		break;
	default: return -1;
	}
	return 0;
}

static int child_get(void *ctx, const void *r, unsigned int col, struct ipx_val *v)
{
	const struct ipx_mib_ctx *m = ctx;
	const struct ipx_child_row *row = r;

	if (col >= COL_IN_OCTETS && col <= COL_EXPIRES_IN)
		return child_get_usage(m, &row->sa, col, v);
	switch (col) {
	case COL_IKE_SA: ipx_val_gauge(v, row->ike_id); break;
	case COL_CONN: ipx_val_gauge(v, row->conn_id); break;
	case COL_IN_SA: ipx_val_gauge(v, row->sa_in_id); break;
	case COL_OUT_SA: ipx_val_gauge(v, row->sa_out_id); break;
	default: return child_get_config(&row->sa, col, v);
	}
	return 0;
}

const struct ipx_group *ikeChildSaTable_group(struct ipx_mib_ctx *ctx)
{
	static struct ipx_group g = {
	    .name = "ikeChildSaTable",
	    .base = child_entry_oid,
	    .base_len = OID_LENGTH(child_entry_oid),
	    .min_col = COL_IKE_SA,
	    .max_col = COL_CHILD_LAST,
	    .row_get = child_row_get,
	    .row_next = child_row_next,
	    .row_index = child_row_index,
	    .get = child_get,
	};

	g.ctx = ctx;
	return &g;
}
