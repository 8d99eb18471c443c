/*
 * ipsecConnTable: one row per configured connection and child (show crypto map, show crypto
 * dynamic-map), with the store's counters that survive rekeys.
 */
#include "groups.h"
#include "oids.h"

enum conn_column {
	COL_SOURCE = 2,
	COL_NAME,
	COL_CHILD,
	COL_LOCAL_ADDRS,
	COL_REMOTE_ADDRS,
	COL_DYNAMIC,
	COL_IKE_VERSION,
	COL_IKE_PROPOSALS,
	COL_ESP_PROPOSALS,
	COL_AH_PROPOSALS,
	COL_LOCAL_AUTH,
	COL_LOCAL_ID,
	COL_REMOTE_AUTH,
	COL_REMOTE_ID,
	COL_LOCAL_CERTS,
	COL_REMOTE_CERTS,
	COL_MODE,
	COL_LOCAL_TS,
	COL_REMOTE_TS,
	COL_IKE_REKEY_TIME,
	COL_REAUTH_TIME,
	COL_CHILD_REKEY_TIME,
	COL_CHILD_LIFE_TIME,
	COL_REKEY_BYTES,
	COL_REKEY_PACKETS,
	COL_DPD_ACTION,
	COL_CLOSE_ACTION,
	COL_START_ACTION,
	COL_ESTABLISHED,
	COL_IKE_SAS_UP,
	COL_CHILD_SAS_UP,
	COL_IN_OCTETS,
	COL_OUT_OCTETS,
	COL_IN_PACKETS,
	COL_OUT_PACKETS,
	COL_CHILD_REKEYS,
	COL_IKE_REKEYS,
	COL_CONN_LAST = COL_IKE_REKEYS,
};

static const oid conn_entry_oid[] = {IPX_OID_CONN_ENTRY};

static const void *conn_row_get(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	uint32_t id;

	if (!m->ike || ipx_index_u32(idx, len, &id))
		return NULL;
	return ipx_conn_by_id(m->ike, id);
}

static const void *conn_row_next(void *ctx, const oid *idx, size_t len)
{
	struct ipx_mib_ctx *m = ctx;
	int past_end;
	uint32_t after = ipx_index_u32_after(idx, len, &past_end);

	return (past_end || !m->ike) ? NULL : ipx_conn_next(m->ike, after);
}

static size_t conn_row_index(void *ctx, const void *row, oid *out)
{
	out[0] = ((const struct ipx_conn_row *)row)->h.id;
	return 1;
}

/* ipsecConnIkeVersion: any(0), ikev1(1), ikev2(2), as the C field. */
static int version_val(struct ipx_val *v, uint8_t version)
{
	if (version > 2)
		return -1;
	ipx_val_int(v, version);
	return 0;
}

static int conn_get_peers(const struct ipx_ike_conn *c, unsigned int col, struct ipx_val *v)
{
	switch (col) {
	case COL_NAME: IPX_VAL_TEXT(v, c->name); break;
	case COL_CHILD: IPX_VAL_TEXT(v, c->child); break;
	case COL_LOCAL_ADDRS: IPX_VAL_TEXT(v, c->local_addrs); break;
	case COL_REMOTE_ADDRS: IPX_VAL_TEXT(v, c->remote_addrs); break;
	case COL_DYNAMIC: ipx_val_truth(v, c->dynamic); break;
	case COL_IKE_VERSION: return version_val(v, c->version);
	case COL_IKE_PROPOSALS: IPX_VAL_TEXT(v, c->proposals); break;
	case COL_ESP_PROPOSALS: IPX_VAL_TEXT(v, c->esp_proposals); break;
	case COL_AH_PROPOSALS: IPX_VAL_TEXT(v, c->ah_proposals); break;
	case COL_LOCAL_AUTH: IPX_VAL_TEXT(v, c->local_auth); break;
	case COL_LOCAL_ID: IPX_VAL_TEXT(v, c->local_id); break;
	case COL_REMOTE_AUTH: IPX_VAL_TEXT(v, c->remote_auth); break;
	case COL_REMOTE_ID: IPX_VAL_TEXT(v, c->remote_id); break;
	case COL_LOCAL_CERTS: IPX_VAL_TEXT(v, c->local_certs); break;
	case COL_REMOTE_CERTS: IPX_VAL_TEXT(v, c->remote_certs); break;
	default: return -1;
	}
	return 0;
}

static int conn_get_child(const struct ipx_ike_conn *c, unsigned int col, struct ipx_val *v)
{
	switch (col) {
	case COL_MODE: return ipx_mib_enum(v, c->mode, IPX_CHILD_MODE_DROP);
	case COL_LOCAL_TS: IPX_VAL_TEXT(v, c->local_ts); break;
	case COL_REMOTE_TS: IPX_VAL_TEXT(v, c->remote_ts); break;
	case COL_IKE_REKEY_TIME: ipx_val_gauge(v, c->rekey_time); break;
	case COL_REAUTH_TIME: ipx_val_gauge(v, c->reauth_time); break;
	case COL_CHILD_REKEY_TIME: ipx_val_gauge(v, c->child_rekey_time); break;
	case COL_CHILD_LIFE_TIME: ipx_val_gauge(v, c->child_life_time); break;
	case COL_REKEY_BYTES: ipx_val_counter64(v, c->rekey_bytes); break;
	case COL_REKEY_PACKETS: ipx_val_counter64(v, c->rekey_packets); break;
	case COL_DPD_ACTION: IPX_VAL_TEXT(v, c->dpd_action); break;
	case COL_CLOSE_ACTION: IPX_VAL_TEXT(v, c->close_action); break;
	case COL_START_ACTION: IPX_VAL_TEXT(v, c->start_action); break;
	default: return -1;
	}
	return 0;
}

/* The live figures: SAs up now, and the counters that never go back. */
static int conn_get_figures(const struct ipx_conn_row *row, unsigned int col, struct ipx_val *v)
{
	static const struct ipx_conn_counters none;
	const struct ipx_conn_counters *ctr = row->ctr ? row->ctr : &none;
	const struct ipx_conn_counters *ike = row->ike_ctr ? row->ike_ctr : &none;

	switch (col) {
	case COL_ESTABLISHED: ipx_val_truth(v, row->child_sas > 0); break;
	case COL_IKE_SAS_UP: ipx_val_gauge(v, row->ike_sas); break;
	case COL_CHILD_SAS_UP: ipx_val_gauge(v, row->child_sas); break;
	case COL_IN_OCTETS: ipx_val_counter64(v, ctr->octets_in); break;
	case COL_OUT_OCTETS: ipx_val_counter64(v, ctr->octets_out); break;
	case COL_IN_PACKETS: ipx_val_counter64(v, ctr->packets_in); break;
	case COL_OUT_PACKETS: ipx_val_counter64(v, ctr->packets_out); break;
	case COL_CHILD_REKEYS: ipx_val_counter(v, ctr->child_rekeys); break;
	case COL_IKE_REKEYS: ipx_val_counter(v, ike->ike_rekeys); break;
	default: return -1;
	}
	return 0;
}

static int conn_get(void *ctx, const void *r, unsigned int col, struct ipx_val *v)
{
	const struct ipx_conn_row *row = r;

	if (col == COL_SOURCE) {
		ipx_val_gauge(v, row->h.source);
		return 0;
	}
	if (col >= COL_ESTABLISHED)
		return conn_get_figures(row, col, v);
	if (col >= COL_MODE)
		return conn_get_child(&row->conn, col, v);
	return conn_get_peers(&row->conn, col, v);
}

const struct ipx_group *ipsecConnTable_group(struct ipx_mib_ctx *ctx)
{
	static struct ipx_group g = {
	    .name = "ipsecConnTable",
	    .base = conn_entry_oid,
	    .base_len = OID_LENGTH(conn_entry_oid),
	    .min_col = COL_SOURCE,
	    .max_col = COL_CONN_LAST,
	    .row_get = conn_row_get,
	    .row_next = conn_row_next,
	    .row_index = conn_row_index,
	    .get = conn_get,
	};

	g.ctx = ctx;
	return &g;
}
