/*
 * ipsecNotifyConfig: the thresholds and enables of the notifications (read-write scalars
 * 1-11, the only writable objects of the MIB), their counters (12-15) and
 * ipsecNotifyStatTable (sent per type).
 *
 * A SET runs in Net-SNMP's phases. Each scalar is a registration of its own (an AgentX
 * range), so one request may call this group once per varbind and phase; what the
 * request wants is gathered in one pending copy of the configuration kept in the
 * request's agent data (which Net-SNMP keeps across the phases of an AgentX SET and frees
 * with the request):
 *  RESERVE1  instance, type and length of each varbind (noCreation, notWritable,
 *            wrongType, wrongLength); its value goes into the pending copy;
 *  RESERVE2  the range of each value (wrongValue), then the pending copy, which holds
 *            every varbind of the request, as a whole (ipx_notify_config_check:
 *            inconsistentValue);
 *  ACTION    nothing can fail any more: the pending copy is final;
 *  COMMIT    the pending copy becomes the live configuration (once per request), the
 *            daemon is told (on_notify_config) and it is persisted at once;
 *  UNDO, FREE  the pending copy is dropped with the request.
 *
 * Persistence: the values set over SNMP (and only those) are stored as one
 * "ipsecNotifyConfig Name=value ..." line in Net-SNMP's persistent file of the
 * application (ipsec-agentx.conf in the persistent directory), written at every COMMIT
 * and whenever Net-SNMP stores its data, and read back by init_snmp(), where they win over
 * the daemon's config file.
 */
#include <errno.h>
#include <stdlib.h>

#include "ipsec_agentx/log.h"
#include "groups.h"
#include "oids.h"
#include "settings.h"

enum config_column {
	COL_ENABLES = 1,
	COL_FIRST_FIELD = 2, /* ipx_notify_fields[col - 2] ... */
	COL_LAST_FIELD = COL_FIRST_FIELD + IPX_NOTIFY_NFIELDS - 1,
	COL_SUPPRESSED,
	COL_DUPLICATES,
	COL_UNDELIVERED,
	COL_OVERFLOWS,
	COL_CONFIG_LAST = COL_OVERFLOWS,
};

enum stat_column {
	COL_STAT_NAME = 2,
	COL_STAT_SENT,
};

#define APP_TYPE     "ipsec-agentx" /* init_agent()/init_snmp() name: the persistent file */
#define TOKEN        "ipsecNotifyConfig"
#define PENDING_NAME "ipx-notify-config"
#define BITS_OCTETS  2 /* ipsecNotifyEnables: bits 0..12 */

static const oid config_oid[] = {IPX_OID_NOTIFY_CONFIG};
static const oid stat_entry_oid[] = {IPX_OID_NOTIFY_STAT_ENTRY};

/* The descriptors of the notifications, for ipsecNotifyStatName (index = type). */
static const char *const notification_names[IPX_NOTIFY_MAX + 1] = {
    NULL,
    "ipsecIkeSaUp",
    "ipsecIkeSaDown",
    "ipsecChildSaUp",
    "ipsecChildSaDown",
    "ipsecIkeSaRekeyed",
    "ipsecChildSaRekeyed",
    "ipsecRekeyRateExceeded",
    "ipsecRekeyOverdue",
    "ipsecDropsHigh",
    "ipsecDropsNormal",
    "ipsecConnDown",
    "ipsecCertExpiring",
};

/* The columns set over SNMP since the daemon started or read its persistent file. */
static uint32_t set_over_snmp;
static struct ipx_mib_ctx *persist_ctx;

/* ---- BITS ------------------------------------------------------------------------------ */

/* Bit N of the C mask is BITS bit N: octet N / 8, most significant bit first. */
size_t ipx_notify_enables_to_bits(uint32_t enabled, u_char *buf)
{
	memset(buf, 0, BITS_OCTETS);
	for (unsigned int b = 0; b < 8 * BITS_OCTETS; b++)
		if (enabled & (1u << b))
			buf[b / 8] |= (u_char)(0x80 >> (b % 8));
	return BITS_OCTETS;
}

uint32_t ipx_notify_bits_to_enables(const u_char *buf, size_t len)
{
	uint32_t enabled = 0;

	for (unsigned int b = 0; b < 8 * len && b < 32; b++)
		if (buf[b / 8] & (0x80 >> (b % 8)))
			enabled |= 1u << b;
	return enabled;
}

/* ---- GET ------------------------------------------------------------------------------- */

static const struct ipx_notify_stats *stats_of(const struct ipx_mib_ctx *m)
{
	static const struct ipx_notify_stats none;
	const struct ipx_notify_stats *s = m->notify_stats ? m->notify_stats(m->notify_arg) : NULL;

	return s ? s : &none;
}

static int config_get(void *ctx, const void *row, unsigned int col, struct ipx_val *v)
{
	const struct ipx_mib_ctx *m = ctx;
	struct ipx_notify_config c;

	switch (col) {
	case COL_SUPPRESSED: ipx_val_counter64(v, stats_of(m)->suppressed); return 0;
	case COL_DUPLICATES: ipx_val_counter64(v, stats_of(m)->duplicates); return 0;
	case COL_UNDELIVERED: ipx_val_counter64(v, ipx_notifications_undelivered()); return 0;
	case COL_OVERFLOWS: ipx_val_counter64(v, stats_of(m)->overflows); return 0;
	default: break;
	}
	if (!m->notify_cfg || col < COL_ENABLES || col > COL_LAST_FIELD)
		return -1;
	c = *m->notify_cfg;
	if (col == COL_ENABLES)
		ipx_val_bytes(v, v->buf, ipx_notify_enables_to_bits(c.enabled, v->buf));
	else
		ipx_val_gauge(v, *ipx_notify_field_ptr(&c, col - COL_FIRST_FIELD));
	return 0;
}

/* ---- SET ------------------------------------------------------------------------------- */

struct pending {
	struct ipx_notify_config cfg; /* the live configuration with the request's values */
	uint32_t mask;                /* the columns the request sets */
	int committed;
};

static struct pending *pending_of(struct ipx_mib_ctx *m, netsnmp_agent_request_info *reqinfo,
                                  int create)
{
	struct pending *p = netsnmp_agent_get_list_data(reqinfo, PENDING_NAME);
	netsnmp_data_list *node;

	if (p || !create)
		return p;
	p = calloc(1, sizeof(*p));
	node = p ? netsnmp_create_data_list(PENDING_NAME, p, free) : NULL;
	if (!node) {
		free(p);
		return NULL;
	}
	p->cfg = *m->notify_cfg;
	/* freed with the request, whatever phase it ends in (Net-SNMP calls FREE only after a
	 * failed RESERVE phase, not after COMMIT or UNDO) */
	netsnmp_agent_add_list_data(reqinfo, node);
	return p;
}

/* The column a writable instance names, or 0 with *err set (noCreation, notWritable). */
static unsigned int writable_column(const netsnmp_variable_list *vb, int *err)
{
	size_t base = OID_LENGTH(config_oid);
	unsigned int col;

	*err = SNMP_ERR_NOTWRITABLE;
	if (vb->name_length <= base)
		return 0;
	col = vb->name[base];
	if (col < COL_ENABLES || col > COL_LAST_FIELD)
		return 0; /* a counter, or no object at all */
	if (vb->name_length != base + 2 || vb->name[base + 1] != 0) {
		*err = SNMP_ERR_NOCREATION; /* a scalar has instance .0 only */
		return 0;
	}
	return col;
}

int ipx_notify_config_check_type(unsigned int col, u_char type, size_t len)
{
	if (col == COL_ENABLES) {
		if (type != ASN_OCTET_STR)
			return SNMP_ERR_WRONGTYPE;
		return len > BITS_OCTETS ? SNMP_ERR_WRONGLENGTH : SNMP_ERR_NOERROR;
	}
	if (type != ASN_UNSIGNED) /* Unsigned32 and Gauge32 share the tag */
		return SNMP_ERR_WRONGTYPE;
	return len != sizeof(long) ? SNMP_ERR_WRONGLENGTH : SNMP_ERR_NOERROR;
}

int ipx_notify_config_check_value(unsigned int col, uint64_t value)
{
	if (col == COL_ENABLES)
		return value & ~(uint64_t)IPX_NOTIFY_ENABLED_ALL ? SNMP_ERR_WRONGVALUE
		                                                 : SNMP_ERR_NOERROR;
	return value > ipx_notify_fields[col - COL_FIRST_FIELD].max ? SNMP_ERR_WRONGVALUE
	                                                            : SNMP_ERR_NOERROR;
}

/* A varbind's value: the enables mask of a BITS value, or the number. */
static uint64_t value_of(unsigned int col, const netsnmp_variable_list *vb)
{
	if (col == COL_ENABLES)
		return ipx_notify_bits_to_enables(vb->val.string, vb->val_len);
	return (uint64_t)(unsigned long)*vb->val.integer;
}

static void put(struct pending *p, unsigned int col, uint64_t value)
{
	if (col == COL_ENABLES)
		p->cfg.enabled = (uint32_t)value;
	else
		*ipx_notify_field_ptr(&p->cfg, col - COL_FIRST_FIELD) = (uint32_t)value;
	p->mask |= 1u << col;
}

static int reserve1(struct ipx_mib_ctx *m, netsnmp_agent_request_info *reqinfo,
                    netsnmp_request_info *requests)
{
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		netsnmp_variable_list *vb = r->requestvb;
		struct pending *p;
		int err;
		unsigned int col = writable_column(vb, &err);

		if (col && !m->notify_cfg)
			col = 0; /* not wired to a daemon: nothing to write to */
		if (col)
			err = ipx_notify_config_check_type(col, vb->type, vb->val_len);
		if (col && err == SNMP_ERR_NOERROR) {
			p = pending_of(m, reqinfo, 1);
			if (!p)
				err = SNMP_ERR_RESOURCEUNAVAILABLE;
			else
				put(p, col, value_of(col, vb));
		}
		if (err != SNMP_ERR_NOERROR)
			netsnmp_set_request_error(reqinfo, r, err);
	}
	return SNMP_ERR_NOERROR;
}

/* Every value of the pending copy in range (one out of range is another varbind's error). */
static int pending_in_range(const struct pending *p)
{
	struct ipx_notify_config c = p->cfg;

	if (ipx_notify_config_check_value(COL_ENABLES, c.enabled))
		return 0;
	for (unsigned int i = 0; i < IPX_NOTIFY_NFIELDS; i++)
		if (ipx_notify_config_check_value(COL_FIRST_FIELD + i,
		                                  *ipx_notify_field_ptr(&c, i)))
			return 0;
	return 1;
}

static int reserve2(struct ipx_mib_ctx *m, netsnmp_agent_request_info *reqinfo,
                    netsnmp_request_info *requests)
{
	struct pending *p = pending_of(m, reqinfo, 0);
	const char *why = NULL;

	for (netsnmp_request_info *r = requests; r; r = r->next) {
		int err;
		unsigned int col = writable_column(r->requestvb, &err);

		if (!col || !p)
			continue; /* refused in RESERVE1 already */
		err = ipx_notify_config_check_value(col, value_of(col, r->requestvb));
		if (err == SNMP_ERR_NOERROR && pending_in_range(p) &&
		    ipx_notify_config_check(&p->cfg, &why) < 0) {
			ipx_log_info("SET of ipsecNotifyConfig refused: %s",
			             why ? why : "inconsistent");
			err = SNMP_ERR_INCONSISTENTVALUE;
		}
		if (err != SNMP_ERR_NOERROR) {
			netsnmp_set_request_error(reqinfo, r, err);
			break; /* one error per request is all the manager sees */
		}
	}
	return SNMP_ERR_NOERROR;
}

static void persist_now(void)
{
	/* With NETSNMP_DS_LIB_DONT_PERSIST_STATE set this writes nothing. */
	snmp_store(APP_TYPE);
}

static int commit(struct ipx_mib_ctx *m, netsnmp_agent_request_info *reqinfo)
{
	struct pending *p = pending_of(m, reqinfo, 0);
	char text[512];

	if (!p || p->committed || !m->notify_cfg)
		return SNMP_ERR_NOERROR;
	p->committed = 1;
	*m->notify_cfg = p->cfg;
	set_over_snmp |= p->mask;
	ipx_notify_format_pairs(&p->cfg, p->mask, text, sizeof(text));
	ipx_log_info("notification settings set over SNMP: %s", text);
	if (m->on_notify_config)
		m->on_notify_config(m->notify_arg, m->notify_cfg);
	persist_now();
	return SNMP_ERR_NOERROR;
}

static int config_set(void *ctx, netsnmp_agent_request_info *reqinfo,
                      netsnmp_request_info *requests)
{
	struct ipx_mib_ctx *m = ctx;

	switch (reqinfo->mode) {
	case MODE_SET_RESERVE1: return reserve1(m, reqinfo, requests);
	case MODE_SET_RESERVE2: return reserve2(m, reqinfo, requests);
	case MODE_SET_COMMIT: return commit(m, reqinfo);
	case MODE_SET_ACTION: /* the pending copy is complete and checked */
	case MODE_SET_UNDO:   /* the live configuration was never touched */
	case MODE_SET_FREE:   /* the pending copy goes with the request's agent data */
	default: return SNMP_ERR_NOERROR;
	}
}

const struct ipx_group *ipsecNotifyConfig_group(struct ipx_mib_ctx *ctx)
{
	static struct ipx_group g = {
	    .name = "ipsecNotifyConfig",
	    .base = config_oid,
	    .base_len = OID_LENGTH(config_oid),
	    .min_col = COL_ENABLES,
	    .max_col = COL_CONFIG_LAST,
	    .row_get = ipx_scalar_row_get,
	    .row_next = ipx_scalar_row_next,
	    .row_index = ipx_scalar_row_index,
	    .get = config_get,
	    .set = config_set,
	};

	g.ctx = ctx;
	return &g;
}

/* ---- ipsecNotifyStatTable ---------------------------------------------------------------- */

/* Rows are the notification types 1..IPX_NOTIFY_MAX; a row is its entry in the names. */
static const void *stat_row_get(void *ctx, const oid *idx, size_t len)
{
	uint32_t type;

	if (ipx_index_u32(idx, len, &type) || type < 1 || type > IPX_NOTIFY_MAX)
		return NULL;
	return &notification_names[type];
}

static const void *stat_row_next(void *ctx, const oid *idx, size_t len)
{
	int past_end;
	uint32_t after = ipx_index_u32_after(idx, len, &past_end);

	if (past_end || after >= IPX_NOTIFY_MAX)
		return NULL;
	return &notification_names[after + 1];
}

static size_t stat_row_index(void *ctx, const void *row)
{
	return (size_t)((const char *const *)row - notification_names);
}

static size_t stat_row_index_oid(void *ctx, const void *row, oid *out)
{
	out[0] = stat_row_index(ctx, row);
	return 1;
}

static int stat_get(void *ctx, const void *row, unsigned int col, struct ipx_val *v)
{
	const struct ipx_mib_ctx *m = ctx;
	size_t type = stat_row_index(ctx, row);

	switch (col) {
	case COL_STAT_NAME: ipx_val_string(v, notification_names[type]); break;
	case COL_STAT_SENT: ipx_val_counter64(v, stats_of(m)->sent[type]); break;
	default: return -1;
	}
	return 0;
}

const struct ipx_group *ipsecNotifyStatTable_group(struct ipx_mib_ctx *ctx)
{
	static struct ipx_group g = {
	    .name = "ipsecNotifyStatTable",
	    .base = stat_entry_oid,
	    .base_len = OID_LENGTH(stat_entry_oid),
	    .min_col = COL_STAT_NAME,
	    .max_col = COL_STAT_SENT,
	    .row_get = stat_row_get,
	    .row_next = stat_row_next,
	    .row_index = stat_row_index_oid,
	    .get = stat_get,
	};

	g.ctx = ctx;
	return &g;
}

/* ---- persistence ------------------------------------------------------------------------- */

/* "ipsecNotifyConfig Name=value ..." from the persistent file (at init_snmp()). */
static void persist_parse(const char *token, char *line)
{
	struct ipx_mib_ctx *m = persist_ctx;
	struct ipx_notify_config c;
	uint32_t mask = 0;
	const char *why = NULL;
	char msg[300];

	if (!m || !m->notify_cfg)
		return;
	c = *m->notify_cfg;
	if (ipx_notify_parse_pairs(line, &c, &mask, &why) < 0) {
		snprintf(msg, sizeof(msg), "%s: %s; line ignored", token, why);
		config_perror(msg);
		return;
	}
	if (ipx_notify_config_check(&c, &why) < 0) {
		snprintf(msg, sizeof(msg),
		         "%s: the values set over SNMP and the config file are inconsistent (%s); "
		         "the values set over SNMP are ignored",
		         token, why ? why : "rejected");
		config_perror(msg);
		return;
	}
	*m->notify_cfg = c;
	set_over_snmp |= mask;
	ipx_log_info("notification settings set over SNMP earlier: %s", line);
	if (m->on_notify_config)
		m->on_notify_config(m->notify_arg, m->notify_cfg);
}

/* SNMP_CALLBACK_STORE_DATA: Net-SNMP rewrites the persistent file (snmp_store()). */
static int persist_store(int major, int minor, void *serverarg, void *clientarg)
{
	struct ipx_mib_ctx *m = persist_ctx;
	char line[600];
	size_t n;

	if (!m || !m->notify_cfg || !set_over_snmp)
		return SNMPERR_SUCCESS;
	n = (size_t)snprintf(line, sizeof(line), TOKEN " ");
	n += ipx_notify_format_pairs(m->notify_cfg, set_over_snmp, line + n, sizeof(line) - n);
	if (n + 2 > sizeof(line)) {
		ipx_log_warnx("%s line too long, not stored", TOKEN);
		return SNMPERR_SUCCESS;
	}
	memcpy(line + n, "\n", 2);
	read_config_store(APP_TYPE, line);
	return SNMPERR_SUCCESS;
}

int ipx_notify_config_persist_init(struct ipx_mib_ctx *ctx)
{
	static int registered;

	persist_ctx = ctx;
	set_over_snmp = 0;
	if (registered)
		return 0;
	if (!register_config_handler(APP_TYPE, TOKEN, persist_parse, NULL,
	                             "Name=value ... (written by ipsec-agentx)"))
		return -1;
	if (snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_STORE_DATA, persist_store,
	                           NULL) != SNMPERR_SUCCESS)
		return -1;
	registered = 1;
	return 0;
}
