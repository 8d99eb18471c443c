/* The GET/GETNEXT engine shared by every MIB group; see table.h. */
#include <sys/socket.h>
#include <string.h>
#include <time.h>

#include "ipsec_agentx/log.h"
#include "table.h"

static int under_base(const struct ipx_group *g, const oid *name, size_t len)
{
	return len >= g->base_len && snmp_oid_compare(name, g->base_len, g->base, g->base_len) == 0;
}

static int resolve_get(const struct ipx_group *g, const oid *name, size_t len, oid *out,
                       size_t *outlen, struct ipx_val *v)
{
	const void *row;
	unsigned int col;

	if (!under_base(g, name, len) || len == g->base_len)
		return SNMP_NOSUCHOBJECT;
	col = name[g->base_len];
	if (col < g->min_col || col > g->max_col)
		return SNMP_NOSUCHOBJECT;
	row = g->row_get(g->ctx, name + g->base_len + 1, len - g->base_len - 1);
	if (!row || g->get(g->ctx, row, col, v) != 0)
		return SNMP_NOSUCHINSTANCE;
	memcpy(out, name, len * sizeof(oid));
	*outlen = len;
	return 0;
}

/* The first instance in column col whose row comes after idx (or the first row). */
static int next_in_column(const struct ipx_group *g, unsigned int col, const oid *idx,
                          size_t idxlen, oid *out, size_t *outlen, struct ipx_val *v)
{
	oid rowidx[IPX_MAX_INDEX_LEN];
	size_t rowlen;
	const void *row = g->row_next(g->ctx, idx, idxlen);

	while (row) {
		rowlen = g->row_index(g->ctx, row, rowidx);
		if (g->get(g->ctx, row, col, v) == 0) {
			memcpy(out, g->base, g->base_len * sizeof(oid));
			out[g->base_len] = col;
			memcpy(out + g->base_len + 1, rowidx, rowlen * sizeof(oid));
			*outlen = g->base_len + 1 + rowlen;
			return 0;
		}
		/* Sparse column (e.g. a mark only some SAs have): go on to the next row. */
		row = g->row_next(g->ctx, rowidx, rowlen);
	}
	return SNMP_ENDOFMIBVIEW;
}

static int resolve_getnext(const struct ipx_group *g, const oid *name, size_t len, oid *out,
                           size_t *outlen, struct ipx_val *v)
{
	unsigned int col = g->min_col;
	const oid *idx = NULL;
	size_t idxlen = 0;

	if (under_base(g, name, len)) {
		if (len > g->base_len && name[g->base_len] >= g->min_col) {
			if (name[g->base_len] > g->max_col)
				return SNMP_ENDOFMIBVIEW;
			col = name[g->base_len];
			idx = name + g->base_len + 1;
			idxlen = len - g->base_len - 1;
		}
	} else if (snmp_oid_compare(name, len, g->base, g->base_len) > 0) {
		return SNMP_ENDOFMIBVIEW;
	}
	for (; col <= g->max_col; col++, idx = NULL, idxlen = 0)
		if (next_in_column(g, col, idx, idxlen, out, outlen, v) == 0)
			return 0;
	return SNMP_ENDOFMIBVIEW;
}

int ipx_table_resolve(const struct ipx_group *g, int mode, const oid *name, size_t len, oid *out,
                      size_t *outlen, struct ipx_val *v)
{
	memset(v, 0, sizeof(*v));
	if (mode == MODE_GET)
		return resolve_get(g, name, len, out, outlen, v);
	return resolve_getnext(g, name, len, out, outlen, v);
}

static void answer(netsnmp_variable_list *vb, const oid *name, size_t len, const struct ipx_val *v)
{
	const void *p = v->ptr;
	size_t n = v->len;

	if (v->type == ASN_COUNTER64) {
		p = &v->c64;
		n = sizeof(v->c64);
	} else if (v->type != ASN_OCTET_STR) {
		p = &v->l;
		n = sizeof(v->l);
	}
	snmp_set_var_objid(vb, name, len);
	snmp_set_var_typed_value(vb, v->type, p, n);
}

static int group_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                         netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	const struct ipx_group *g = handler->myvoid;
	oid out[MAX_OID_LEN];

	if (reqinfo->mode != MODE_GET && reqinfo->mode != MODE_GETNEXT) {
		if (g->set)
			return g->set(g->ctx, reqinfo, requests);
		/* A read-only group: every SET phase fails cleanly. */
		for (netsnmp_request_info *r = requests; r; r = r->next)
			netsnmp_set_request_error(reqinfo, r, SNMP_ERR_NOTWRITABLE);
		return SNMP_ERR_NOERROR;
	}
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		netsnmp_variable_list *vb = r->requestvb;
		struct ipx_val v;
		size_t outlen = 0;
		int rc;

		if (r->processed)
			continue;
		rc = ipx_table_resolve(g, reqinfo->mode, vb->name, vb->name_length, out, &outlen,
		                       &v);
		if (rc == 0)
			answer(vb, out, outlen, &v);
		else if (reqinfo->mode == MODE_GET)
			netsnmp_set_request_error(reqinfo, r, rc);
		/* GETNEXT past our end: leave the varbind alone so the agent moves on. */
	}
	return SNMP_ERR_NOERROR;
}

int ipx_group_register(const struct ipx_group *g, int scalars)
{
	oid root[MAX_OID_LEN];
	size_t rootlen = g->base_len;
	netsnmp_handler_registration *reg;
	netsnmp_mib_handler *h = netsnmp_create_handler(g->name, group_handler);

	if (!h)
		return -1;
	h->myvoid = (void *)g;
	memcpy(root, g->base, g->base_len * sizeof(oid));
	if (scalars) {
		/* One registration for base.min .. base.max, as an AgentX range. */
		root[rootlen++] = g->min_col;
	}
	reg = netsnmp_handler_registration_create(g->name, h, root, rootlen,
	                                          g->set ? HANDLER_CAN_RWRITE : HANDLER_CAN_RONLY);
	if (!reg)
		return -1;
	if (scalars) {
		reg->range_subid = (u_char)rootlen;
		reg->range_ubound = g->max_col;
	}
	if (netsnmp_register_handler(reg) != MIB_REGISTERED_OK) {
		ipx_log_warnx("could not register %s", g->name);
		return -1;
	}
	return 0;
}

/* ---- scalar groups ------------------------------------------------------------------ */

static const char scalar_row; /* any non-NULL pointer: scalar groups have one row */

const void *ipx_scalar_row_get(void *ctx, const oid *idx, size_t len)
{
	return (len == 1 && idx[0] == 0) ? &scalar_row : NULL;
}

const void *ipx_scalar_row_next(void *ctx, const oid *idx, size_t len)
{
	/* .0 is the only index: it comes after the empty suffix only. */
	return len == 0 ? &scalar_row : NULL;
}

size_t ipx_scalar_row_index(void *ctx, const void *row, oid *out)
{
	out[0] = 0;
	return 1;
}

/* ---- Unsigned32 index --------------------------------------------------------------- */

int ipx_index_u32(const oid *idx, size_t len, uint32_t *id)
{
	if (len != 1 || idx[0] > UINT32_MAX)
		return -1;
	*id = (uint32_t)idx[0];
	return 0;
}

uint32_t ipx_index_u32_after(const oid *idx, size_t len, int *past_end)
{
	*past_end = 0;
	if (len == 0)
		return 0;
	if (idx[0] >= UINT32_MAX) {
		*past_end = 1;
		return UINT32_MAX;
	}
	/* A longer suffix (x.y...) sorts after x itself, so x is excluded too. */
	return (uint32_t)idx[0];
}

/* ---- values ------------------------------------------------------------------------- */

void ipx_val_int(struct ipx_val *v, long x)
{
	v->type = ASN_INTEGER;
	v->l = x;
}

void ipx_val_gauge(struct ipx_val *v, unsigned long x)
{
	v->type = ASN_GAUGE;
	v->l = (long)x;
}

void ipx_val_counter(struct ipx_val *v, unsigned long x)
{
	v->type = ASN_COUNTER;
	v->l = (long)(x & 0xffffffffUL);
}

void ipx_val_counter64(struct ipx_val *v, uint64_t x)
{
	v->type = ASN_COUNTER64;
	v->c64.high = (u_long)(x >> 32);
	v->c64.low = (u_long)(x & 0xffffffffU);
}

void ipx_val_truth(struct ipx_val *v, int b)
{
	ipx_val_int(v, b ? 1 : 2);
}

void ipx_val_bytes(struct ipx_val *v, const void *p, size_t len)
{
	v->type = ASN_OCTET_STR;
	v->ptr = p;
	v->len = len;
}

void ipx_val_string(struct ipx_val *v, const char *s)
{
	ipx_val_bytes(v, s, strlen(s));
}

/* DateAndTime (SNMPv2-TC) in UTC, with the explicit "+0:0" offset. */
void ipx_val_date(struct ipx_val *v, uint64_t epoch_secs)
{
	time_t t = (time_t)epoch_secs;
	struct tm tm;

	gmtime_r(&t, &tm);
	v->buf[0] = (u_char)((tm.tm_year + 1900) >> 8);
	v->buf[1] = (u_char)((tm.tm_year + 1900) & 0xff);
	v->buf[2] = (u_char)(tm.tm_mon + 1);
	v->buf[3] = (u_char)tm.tm_mday;
	v->buf[4] = (u_char)tm.tm_hour;
	v->buf[5] = (u_char)tm.tm_min;
	v->buf[6] = (u_char)(tm.tm_sec > 59 ? 59 : tm.tm_sec);
	v->buf[7] = 0;
	v->buf[8] = '+';
	v->buf[9] = 0;
	v->buf[10] = 0;
	ipx_val_bytes(v, v->buf, 11);
}

void ipx_val_inet_type(struct ipx_val *v, const struct ipx_addr *a)
{
	/* InetAddressType: unknown(0), ipv4(1), ipv6(2). */
	ipx_val_int(v, a->family == AF_INET ? 1 : a->family == AF_INET6 ? 2 : 0);
}

void ipx_val_inet_addr(struct ipx_val *v, const struct ipx_addr *a)
{
	size_t n = a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;

	memcpy(v->buf, a->bytes, n);
	ipx_val_bytes(v, v->buf, n);
}

int ipx_val_selector(struct ipx_val *v, const struct ipx_selector *sel, unsigned int first,
                     unsigned int col)
{
	switch ((int)col - (int)first) {
	case 0: ipx_val_inet_type(v, &sel->saddr); break;
	case 1: ipx_val_inet_addr(v, &sel->saddr); break;
	case 2: ipx_val_gauge(v, sel->prefixlen_s); break;
	case 3: ipx_val_inet_type(v, &sel->daddr); break;
	case 4: ipx_val_inet_addr(v, &sel->daddr); break;
	case 5: ipx_val_gauge(v, sel->prefixlen_d); break;
	case 6: ipx_val_gauge(v, sel->proto); break;
	/* A port under a zero mask is "any", whatever value the kernel kept. */
	case 7: ipx_val_gauge(v, sel->sport_mask ? sel->sport : 0); break;
	case 8: ipx_val_gauge(v, sel->dport_mask ? sel->dport : 0); break;
	default: return -1;
	}
	return 0;
}
