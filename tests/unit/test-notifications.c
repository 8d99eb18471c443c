/*
 * The agent side of the notifications, in-process:
 *  - the varbinds of every notification type against the MIB as Net-SNMP's own parser reads
 *    mibs/IPSEC-AGENTX-MIB.txt: OBJECTS in order, types, enumerations, sizes and ranges;
 *  - SETs of ipsecNotifyConfig driven through the group's handler phase by phase, as
 *    Net-SNMP's agent drives them (each scalar its own registration, one agent data list
 *    for the whole request): wrongType, wrongLength, wrongValue, inconsistentValue,
 *    notWritable, noCreation, UNDO, and a COMMIT that reaches the daemon's callback;
 *  - persistence through Net-SNMP's persistent file: what a COMMIT writes, and what
 *    reading it back does;
 *  - the read-only counters and ipsecNotifyStatTable.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "groups.h"
#include "oids.h"
#include "settings.h"

static const oid config_oid[] = {IPX_OID_NOTIFY_CONFIG};
static const oid stat_entry[] = {IPX_OID_NOTIFY_STAT_ENTRY};
static const oid objects_oid[] = {IPX_OID_NOTIFY_OBJECTS};
static const oid notifications_oid[] = {IPX_OID_NOTIFICATIONS};
static const oid snmptrap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};

static struct ipx_notify_config live, seen;
static int config_calls;
static struct ipx_notify_stats stats;
static char persist_dir[64];

static void on_config(void *arg, const struct ipx_notify_config *cfg)
{
	CU_ASSERT_PTR_EQUAL(arg, &seen);
	seen = *cfg;
	config_calls++;
}

static const struct ipx_notify_stats *get_stats(void *arg)
{
	return &stats;
}

static struct ipx_mib_ctx ctx = {
    .notify_cfg = &live,
    .on_notify_config = on_config,
    .notify_arg = &seen,
    .notify_stats = get_stats,
};

/* ---- the MIB, as Net-SNMP parses it ------------------------------------------------------ */

static int mib_setup(void)
{
	char dirs[512];

	snprintf(dirs, sizeof(dirs),
	         "%s:/usr/share/snmp/mibs:/usr/share/snmp/mibs/ietf:/usr/share/snmp/mibs/iana",
	         IPX_MIB_DIR);
	setenv("MIBDIRS", dirs, 1);
	setenv("MIBS", "IPSEC-AGENTX-MIB", 1);
	netsnmp_init_mib();
	return 0;
}

static struct tree *mib_node(const char *name, oid *out, size_t *outlen)
{
	char full[128];
	oid buf[MAX_OID_LEN];
	size_t len = MAX_OID_LEN;

	snprintf(full, sizeof(full), "IPSEC-AGENTX-MIB::%s", name);
	if (!out) {
		out = buf;
		outlen = &len;
	}
	*outlen = MAX_OID_LEN;
	if (!snmp_parse_oid(full, out, outlen))
		return NULL;
	return get_tree(out, *outlen, get_tree_head());
}

/* A notification with every field set to something recognisable. */
static struct ipx_notification full_notification(enum ipx_notify_type type)
{
	struct ipx_notification n;

	memset(&n, 0, sizeof(n));
	n.type = type;
	n.source = 2;
	strcpy(n.conn, "site-b");
	strcpy(n.child, "net");
	n.ike_index = 11;
	n.child_index = 12;
	n.conn_index = 13;
	n.sa_index = 14;
	n.local.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", n.local.bytes);
	n.remote.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::2", n.remote.bytes);
	n.ike_spi_i = 0x0102030405060708ULL;
	n.ike_spi_r = 0x1112131415161718ULL;
	n.old_ike_spi_i = 0x2122232425262728ULL;
	n.old_ike_spi_r = 0x3132333435363738ULL;
	n.spi_in = 0xc1000001;
	n.spi_out = 0xc1000002;
	n.old_spi_in = 0xc0000001;
	n.old_spi_out = 0xc0000002;
	n.reason = IPX_DOWN_TIMEOUT;
	n.drop_kind = IPX_DROP_SA_REPLAY;
	strcpy(n.counter, "XfrmInNoStates");
	n.value = 101;
	n.threshold = 100;
	n.window = 60;
	n.seconds = 42;
	strcpy(n.subject, "C=CH, O=strongSwan, CN=moon");
	n.days_left = -3;
	return n;
}

static int asn_of(int mibtype)
{
	switch (mibtype) {
	case TYPE_UNSIGNED32:
	case TYPE_GAUGE: return ASN_GAUGE;
	case TYPE_INTEGER:
	case TYPE_INTEGER32: return ASN_INTEGER;
	case TYPE_OCTETSTR: return ASN_OCTET_STR;
	default: return -1;
	}
}

/* The value of vb is one the MIB allows for object tp. */
static int value_allowed(const struct tree *tp, const netsnmp_variable_list *vb)
{
	long x = vb->type == ASN_OCTET_STR ? (long)vb->val_len : *vb->val.integer;
	const struct range_list *r;

	if (vb->type == ASN_GAUGE)
		x = (long)(unsigned long)*vb->val.integer;
	if (tp->enums) {
		for (const struct enum_list *e = tp->enums; e; e = e->next)
			if (e->value == x)
				return 1;
		return 0;
	}
	if (!tp->ranges)
		return 1;
	for (r = tp->ranges; r; r = r->next)
		if (x >= r->low && x <= r->high)
			return 1;
	return 0;
}

/* Every type: snmpTrapOID.0, then the OBJECTS of the MIB in order, types, values. */
static void test_varbinds_match_mib(void)
{
	for (unsigned int type = 1; type <= IPX_NOTIFY_MAX; type++) {
		struct ipx_notification n = full_notification(type);
		netsnmp_variable_list *vbs = ipx_notification_varbinds(&n), *vb;
		oid want[MAX_OID_LEN];
		size_t wantlen;
		const struct tree *nt;
		int count = 0;

		CU_ASSERT_PTR_NOT_NULL_FATAL(vbs);
		/* the notification's own OID */
		CU_ASSERT_EQUAL(snmp_oid_compare(vbs->name, vbs->name_length, snmptrap_oid,
		                                 OID_LENGTH(snmptrap_oid)),
		                0);
		CU_ASSERT_EQUAL(vbs->type, ASN_OBJECT_ID);
		CU_ASSERT_EQUAL(vbs->val_len / sizeof(oid), OID_LENGTH(notifications_oid) + 1);
		CU_ASSERT_EQUAL(vbs->val.objid[OID_LENGTH(notifications_oid)], type);
		nt = get_tree(vbs->val.objid, vbs->val_len / sizeof(oid), get_tree_head());
		CU_ASSERT_PTR_NOT_NULL_FATAL(nt);
		CU_ASSERT_EQUAL(nt->type, TYPE_NOTIFTYPE);
		/* ipsecIkeSaUp ... ipsecCertExpiring: "ipsec" and the bit name */
		CU_ASSERT_EQUAL(strncmp(nt->label, "ipsec", 5), 0);
		CU_ASSERT_EQUAL(strcasecmp(nt->label + 5, ipx_notify_type_name(type)), 0);
		vb = vbs->next_variable;
		for (const struct varbind_list *o = nt->varbinds; o; o = o->next, count++) {
			const struct tree *ot;
			CU_ASSERT_PTR_NOT_NULL_FATAL(vb);
			ot = mib_node(o->vblabel, want, &wantlen);
			CU_ASSERT_PTR_NOT_NULL_FATAL(ot);
			/* ipsecNotifyObjects.N.0 */
			CU_ASSERT_EQUAL(vb->name_length, wantlen + 1);
			CU_ASSERT_EQUAL(snmp_oid_compare(vb->name, wantlen, want, wantlen), 0);
			CU_ASSERT_EQUAL(vb->name[wantlen], 0);
			CU_ASSERT_EQUAL(snmp_oid_compare(want, OID_LENGTH(objects_oid), objects_oid,
			                                 OID_LENGTH(objects_oid)),
			                0);
			CU_ASSERT_EQUAL(ot->access, MIB_ACCESS_NOTIFY);
			CU_ASSERT_EQUAL(vb->type, asn_of(ot->type));
			if (!value_allowed(ot, vb))
				fprintf(stderr, "\n  %s: %s value not allowed by the MIB\n",
				        nt->label, ot->label);
			CU_ASSERT_TRUE(value_allowed(ot, vb));
			vb = vb->next_variable;
		}
		CU_ASSERT_PTR_NULL(vb); /* nothing beyond the OBJECTS clause */
		CU_ASSERT_TRUE(count >= 4);
		snmp_free_varbind(vbs);
	}
}

/* The descriptor of each type is ipsec + the bit name, as ipsecNotifyStatName says. */
static void test_names_match_mib(void)
{
	const struct ipx_group *g = ipsecNotifyStatTable_group(&ctx);
	oid name[MAX_OID_LEN], out[MAX_OID_LEN];
	size_t base = OID_LENGTH(stat_entry), outlen, len;
	struct ipx_val v;

	memcpy(name, stat_entry, sizeof(stat_entry));
	for (unsigned int type = 1; type <= IPX_NOTIFY_MAX; type++) {
		char label[64];
		oid want[MAX_OID_LEN];
		const struct tree *tp;
		name[base] = 2;
		name[base + 1] = type;
		CU_ASSERT_EQUAL_FATAL(
		    ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v), 0);
		snprintf(label, sizeof(label), "%.*s", (int)v.len, (const char *)v.ptr);
		tp = mib_node(label, want, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tp);
		CU_ASSERT_EQUAL(tp->type, TYPE_NOTIFTYPE);
		CU_ASSERT_EQUAL(want[len - 1], type);
		/* the bit of ipsecNotifyEnables has the same name without "ipsec" */
		CU_ASSERT_EQUAL(strcasecmp(label + 5, ipx_notify_type_name(type)), 0);
	}
}

/* The writable objects: ranges as the config file's, DEFVALs the defaults. */
static void test_config_objects_match_mib(void)
{
	static const char *const names[IPX_NOTIFY_NFIELDS] = {
	    "ipsecNotifyRekeyRateMax",       "ipsecNotifyRekeyRateWindow",
	    "ipsecNotifyRekeyOverdueMargin", "ipsecNotifyDropHigh",
	    "ipsecNotifyDropWindow",         "ipsecNotifyDropLow",
	    "ipsecNotifyConnDownAfter",      "ipsecNotifyCertExpiryDays",
	    "ipsecNotifyRateLimit",          "ipsecNotifyRateWindow",
	};
	struct ipx_notify_config def;
	oid want[MAX_OID_LEN];
	size_t len;
	const struct tree *tp;
	const struct enum_list *e;
	char defval[256];
	uint32_t bits = 0;
	const char *why;

	ipx_notify_config_defaults(&def);
	for (unsigned int i = 0; i < IPX_NOTIFY_NFIELDS; i++) {
		tp = mib_node(names[i], want, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tp);
		CU_ASSERT_EQUAL(want[len - 1], i + 2);
		CU_ASSERT_STRING_EQUAL(names[i] + 11, ipx_notify_fields[i].name);
		CU_ASSERT_EQUAL(tp->access, MIB_ACCESS_READWRITE);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tp->ranges);
		CU_ASSERT_EQUAL(tp->ranges->low, 0);
		CU_ASSERT_EQUAL((uint32_t)tp->ranges->high, ipx_notify_fields[i].max);
		CU_ASSERT_PTR_NOT_NULL_FATAL(tp->defaultValue);
		CU_ASSERT_EQUAL(strtoul(tp->defaultValue, NULL, 10),
		                *ipx_notify_field_ptr(&def, i));
	}
	tp = mib_node("ipsecNotifyEnables", want, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tp);
	CU_ASSERT_EQUAL(want[len - 1], 1);
	CU_ASSERT_EQUAL(tp->type, TYPE_BITSTRING);
	for (e = tp->enums; e; e = e->next)
		if (e->value)
			CU_ASSERT_STRING_EQUAL(e->label, ipx_notify_type_name((unsigned)e->value));
	/* DEFVAL { { ikeSaUp, ... } } as Net-SNMP keeps it: names between braces and commas */
	CU_ASSERT_PTR_NOT_NULL_FATAL(tp->defaultValue);
	snprintf(defval, sizeof(defval), "%s", tp->defaultValue);
	for (char *p = defval; *p; p++)
		if (*p == '{' || *p == '}' || *p == ' ')
			memmove(p, p + 1, strlen(p)), p--;
	CU_ASSERT_EQUAL(ipx_notify_parse_enables(defval, &bits, &why), 0);
	CU_ASSERT_EQUAL(bits, def.enabled);
}

/* Values the source did not know, and values beyond the objects' syntax. */
static void test_varbind_edge_values(void)
{
	struct ipx_notification n;
	netsnmp_variable_list *vbs, *vb;
	size_t olen = OID_LENGTH(objects_oid);

	memset(&n, 0, sizeof(n));
	n.type = IPX_NOTIFY_IKE_DOWN;
	n.reason = 77; /* not one the MIB knows: unknown(0) */
	vbs = ipx_notification_varbinds(&n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vbs);
	for (vb = vbs->next_variable; vb; vb = vb->next_variable) {
		switch (vb->name[olen]) {
		case 2: CU_ASSERT_EQUAL(vb->val_len, 0); break;      /* conn name */
		case 8: CU_ASSERT_EQUAL(*vb->val.integer, 0); break; /* unknown(0) */
		case 9: CU_ASSERT_EQUAL(vb->val_len, 0); break;      /* no address */
		case 12:                                             /* SPI: eight zero octets */
			CU_ASSERT_EQUAL(vb->val_len, 8);
			CU_ASSERT_EQUAL(memcmp(vb->val.string, "\0\0\0\0\0\0\0\0", 8), 0);
			break;
		case 20: CU_ASSERT_EQUAL(*vb->val.integer, 0); break;
		default: break;
		}
	}
	snmp_free_varbind(vbs);

	/* names of the full size cut to the object's SIZE; 64-bit numbers saturate */
	n = full_notification(IPX_NOTIFY_CONN_DOWN);
	memset(n.conn, 'c', sizeof(n.conn));
	n.seconds = (int64_t)1 << 40;
	n.threshold = (uint64_t)1 << 40;
	vbs = ipx_notification_varbinds(&n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vbs);
	for (vb = vbs->next_variable; vb; vb = vb->next_variable) {
		if (vb->name[olen] == 2)
			CU_ASSERT_EQUAL(vb->val_len, 63);
		if (vb->name[olen] == 26)
			CU_ASSERT_EQUAL(*vb->val.integer, 2147483647L);
		if (vb->name[olen] == 24)
			CU_ASSERT_EQUAL((unsigned long)*vb->val.integer, 4294967295UL);
	}
	snmp_free_varbind(vbs);
	n = full_notification(IPX_NOTIFY_CERT_EXPIRING);
	n.days_left = -((int64_t)1 << 40);
	vbs = ipx_notification_varbinds(&n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vbs);
	for (vb = vbs->next_variable; vb; vb = vb->next_variable)
		if (vb->name[olen] == 28)
			CU_ASSERT_EQUAL(*vb->val.integer, -2147483647L - 1);
	snmp_free_varbind(vbs);

	/* refused: unknown types, a drop notification without a drop kind */
	n.type = 0;
	CU_ASSERT_PTR_NULL(ipx_notification_varbinds(&n));
	n.type = IPX_NOTIFY_MAX + 1;
	CU_ASSERT_PTR_NULL(ipx_notification_varbinds(&n));
	CU_ASSERT_EQUAL(ipx_notifications_send(&n), -EINVAL);
	n = full_notification(IPX_NOTIFY_DROPS_HIGH);
	n.drop_kind = 0;
	CU_ASSERT_PTR_NULL(ipx_notification_varbinds(&n));
	CU_ASSERT_EQUAL(ipx_notifications_send(&n), -EINVAL);
}

/* Without a master session, what is sent is lost and counted. */
static void test_send_without_master(void)
{
	struct ipx_notification n = full_notification(IPX_NOTIFY_CHILD_UP);
	uint64_t before = ipx_notifications_undelivered();
	const struct ipx_group *g = ipsecNotifyConfig_group(&ctx);
	oid name[MAX_OID_LEN], out[MAX_OID_LEN];
	size_t base = OID_LENGTH(config_oid), outlen;
	struct ipx_val v;

	CU_ASSERT_EQUAL(ipx_notifications_send(&n), 0);
	ipx_notifications_sink(NULL, &n);
	CU_ASSERT_EQUAL(ipx_notifications_undelivered(), before + 2);
	memcpy(name, config_oid, sizeof(config_oid));
	name[base] = 14; /* ipsecNotifyUndelivered */
	name[base + 1] = 0;
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_COUNTER64);
	CU_ASSERT_EQUAL(((uint64_t)v.c64.high << 32) | v.c64.low, before + 2);
}

/* ---- SET, phase by phase ----------------------------------------------------------------- */

struct vb {
	unsigned int col;
	u_char type;
	unsigned long num; /* ASN_UNSIGNED, ASN_INTEGER */
	const char *bytes; /* ASN_OCTET_STR */
	size_t len;
	int instance; /* 0 normally; -1: no instance suffix */
};

#define MAX_VBS 12

/*
 * Runs a SET of the varbinds through the group the way Net-SNMP's agent does: one call per
 * varbind and phase (each scalar is a registration of its own), phases in the agent's
 * order: RESERVE1, RESERVE2, ACTION, COMMIT; FREE after an error in a RESERVE phase; UNDO
 * after ACTION when undo is set (another subagent failed). Returns the error status of the
 * first failed varbind and its 1-based index in *index (0 when none).
 */
static int run_set(const struct vb *vbs, size_t n, int undo, int *index)
{
	static const int phases[] = {MODE_SET_RESERVE1, MODE_SET_RESERVE2, MODE_SET_ACTION,
	                             MODE_SET_COMMIT};
	const struct ipx_group *g = ipsecNotifyConfig_group(&ctx);
	netsnmp_agent_request_info reqinfo;
	netsnmp_request_info req[MAX_VBS];
	netsnmp_variable_list var[MAX_VBS];
	int status = SNMP_ERR_NOERROR;
	size_t i, p;

	*index = 0;
	memset(&reqinfo, 0, sizeof(reqinfo));
	memset(req, 0, sizeof(req));
	memset(var, 0, sizeof(var));
	for (i = 0; i < n; i++) {
		oid name[MAX_OID_LEN];
		size_t len = OID_LENGTH(config_oid);
		memcpy(name, config_oid, sizeof(config_oid));
		name[len++] = vbs[i].col;
		if (vbs[i].instance >= 0)
			name[len++] = (oid)vbs[i].instance;
		snmp_set_var_objid(&var[i], name, len);
		if (vbs[i].type == ASN_OCTET_STR)
			snmp_set_var_typed_value(&var[i], vbs[i].type, vbs[i].bytes, vbs[i].len);
		else
			snmp_set_var_typed_value(&var[i], vbs[i].type, &vbs[i].num,
			                         sizeof(vbs[i].num));
		req[i].requestvb = &var[i];
		req[i].agent_req_info = &reqinfo;
	}
	for (p = 0; p < sizeof(phases) / sizeof(phases[0]); p++) {
		reqinfo.mode = phases[p];
		for (i = 0; i < n; i++)
			g->set(g->ctx, &reqinfo, &req[i]);
		for (i = 0; i < n && status == SNMP_ERR_NOERROR; i++) {
			if (req[i].status != SNMP_ERR_NOERROR) {
				status = req[i].status;
				*index = (int)i + 1;
			}
		}
		if (status != SNMP_ERR_NOERROR) {
			reqinfo.mode = MODE_SET_FREE;
			for (i = 0; i < n; i++)
				g->set(g->ctx, &reqinfo, &req[i]);
			break;
		}
		if (phases[p] == MODE_SET_ACTION && undo) {
			reqinfo.mode = MODE_SET_UNDO;
			for (i = 0; i < n; i++)
				g->set(g->ctx, &reqinfo, &req[i]);
			break;
		}
	}
	/* the agent frees the request's data when it is done with it */
	netsnmp_free_agent_data_sets(&reqinfo);
	for (i = 0; i < n; i++)
		snmp_free_var_internals(&var[i]);
	return status;
}

#define U32(c, v)                                                                                  \
	{                                                                                          \
		c, ASN_UNSIGNED, v, NULL, 0, 0                                                     \
	}
#define BITS(c, s, l)                                                                              \
	{                                                                                          \
		c, ASN_OCTET_STR, 0, s, l, 0                                                       \
	}

static void reset_live(void)
{
	ipx_notify_config_defaults(&live);
	memset(&seen, 0, sizeof(seen));
	config_calls = 0;
}

static int set_setup(void)
{
	snprintf(persist_dir, sizeof(persist_dir), "/tmp/ipx-notify-test.XXXXXX");
	if (!mkdtemp(persist_dir))
		return -1;
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR, persist_dir);
	reset_live();
	return ipx_notify_config_persist_init(&ctx) < 0 ? -1 : 0;
}

static int set_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", persist_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_set_good(void)
{
	/* bits 1 (ikeSaUp), 2 (ikeSaDown) and 12 (certExpiring): 0x60 0x08 */
	const struct vb vbs[] = {
	    BITS(1, "\x60\x08", 2), U32(5, 500), U32(7, 50), U32(6, 30), U32(9, 7), U32(10, 0),
	};
	struct ipx_notify_config before;
	int idx;

	reset_live();
	before = live;
	CU_ASSERT_EQUAL(run_set(vbs, 6, 0, &idx), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(idx, 0);
	CU_ASSERT_EQUAL(live.enabled, (1u << 1) | (1u << 2) | (1u << 12));
	CU_ASSERT_EQUAL(live.drop_high, 500);
	CU_ASSERT_EQUAL(live.drop_low, 50);
	CU_ASSERT_EQUAL(live.drop_window, 30);
	CU_ASSERT_EQUAL(live.cert_expiry_days, 7);
	CU_ASSERT_EQUAL(live.rate_limit, 0); /* 0 turns the limit off */
	CU_ASSERT_EQUAL(live.rate_window, before.rate_window);
	CU_ASSERT_EQUAL(live.rekey_rate_max, before.rekey_rate_max);
	/* one callback for the whole request, with the new values */
	CU_ASSERT_EQUAL(config_calls, 1);
	CU_ASSERT_EQUAL(memcmp(&seen, &live, sizeof(live)), 0);

	/* a shorter BITS value is padded with zero bits; an empty one turns all off */
	CU_ASSERT_EQUAL(run_set((const struct vb[]){BITS(1, "\x40", 1)}, 1, 0, &idx), 0);
	CU_ASSERT_EQUAL(live.enabled, 1u << 1);
	CU_ASSERT_EQUAL(run_set((const struct vb[]){BITS(1, "", 0)}, 1, 0, &idx), 0);
	CU_ASSERT_EQUAL(live.enabled, 0);
	CU_ASSERT_EQUAL(config_calls, 3);
	/* the largest values of each range */
	for (unsigned int i = 0; i < IPX_NOTIFY_NFIELDS; i++) {
		struct vb one = U32(i + 2, ipx_notify_fields[i].max);
		struct ipx_notify_config c;
		if (i + 2 == 7) /* DropLow must stay below DropHigh */
			continue;
		CU_ASSERT_EQUAL(run_set(&one, 1, 0, &idx), SNMP_ERR_NOERROR);
		c = live;
		CU_ASSERT_EQUAL(*ipx_notify_field_ptr(&c, i), ipx_notify_fields[i].max);
	}
}

static void test_set_errors(void)
{
	struct ipx_notify_config before;
	int idx;

	reset_live();
	before = live;
	/* wrongType: an INTEGER for an Unsigned32, a Gauge for the BITS, a Counter */
	CU_ASSERT_EQUAL(run_set((const struct vb[]){{5, ASN_INTEGER, 5, NULL, 0, 0}}, 1, 0, &idx),
	                SNMP_ERR_WRONGTYPE);
	CU_ASSERT_EQUAL(run_set((const struct vb[]){U32(1, 6)}, 1, 0, &idx), SNMP_ERR_WRONGTYPE);
	CU_ASSERT_EQUAL(run_set((const struct vb[]){{2, ASN_COUNTER, 5, NULL, 0, 0}}, 1, 0, &idx),
	                SNMP_ERR_WRONGTYPE);
	CU_ASSERT_EQUAL(run_set((const struct vb[]){BITS(3, "60", 2)}, 1, 0, &idx),
	                SNMP_ERR_WRONGTYPE);
	/* wrongLength: BITS of three octets */
	CU_ASSERT_EQUAL(run_set((const struct vb[]){BITS(1, "\x60\x00\x00", 3)}, 1, 0, &idx),
	                SNMP_ERR_WRONGLENGTH);
	/* wrongValue: out of range; reserved(0); a bit beyond certExpiring(12) */
	CU_ASSERT_EQUAL(run_set((const struct vb[]){U32(2, 4097)}, 1, 0, &idx),
	                SNMP_ERR_WRONGVALUE);
	CU_ASSERT_EQUAL(run_set((const struct vb[]){U32(9, 3651)}, 1, 0, &idx),
	                SNMP_ERR_WRONGVALUE);
	CU_ASSERT_EQUAL(run_set((const struct vb[]){U32(8, 4294967295UL)}, 1, 0, &idx),
	                SNMP_ERR_WRONGVALUE);
	CU_ASSERT_EQUAL(run_set((const struct vb[]){BITS(1, "\x80\x00", 2)}, 1, 0, &idx),
	                SNMP_ERR_WRONGVALUE);
	CU_ASSERT_EQUAL(run_set((const struct vb[]){BITS(1, "\x00\x04", 2)}, 1, 0, &idx),
	                SNMP_ERR_WRONGVALUE);
	/* notWritable: the counters; noCreation: a wrong instance of a writable scalar */
	CU_ASSERT_EQUAL(run_set((const struct vb[]){{12, ASN_UNSIGNED, 0, NULL, 0, 0}}, 1, 0, &idx),
	                SNMP_ERR_NOTWRITABLE);
	CU_ASSERT_EQUAL(run_set((const struct vb[]){{5, ASN_UNSIGNED, 5, NULL, 0, 1}}, 1, 0, &idx),
	                SNMP_ERR_NOCREATION);
	CU_ASSERT_EQUAL(run_set((const struct vb[]){{5, ASN_UNSIGNED, 5, NULL, 0, -1}}, 1, 0, &idx),
	                SNMP_ERR_NOCREATION);
	/* the error names the varbind: the third here */
	CU_ASSERT_EQUAL(
	    run_set((const struct vb[]){U32(5, 200), U32(6, 10), U32(10, 5000)}, 3, 0, &idx),
	    SNMP_ERR_WRONGVALUE);
	CU_ASSERT_EQUAL(idx, 3);
	/* nothing changed, nobody was told */
	CU_ASSERT_EQUAL(memcmp(&before, &live, sizeof(live)), 0);
	CU_ASSERT_EQUAL(config_calls, 0);
}

/* Consistency is judged on the whole request, whatever the order of the varbinds. */
static void test_set_consistency(void)
{
	struct ipx_notify_config before;
	int idx;

	reset_live(); /* drops 100/10/60 */
	before = live;
	/* low >= high alone is refused ... */
	CU_ASSERT_EQUAL(run_set((const struct vb[]){U32(7, 100)}, 1, 0, &idx),
	                SNMP_ERR_INCONSISTENTVALUE);
	CU_ASSERT_EQUAL(run_set((const struct vb[]){U32(5, 10)}, 1, 0, &idx),
	                SNMP_ERR_INCONSISTENTVALUE);
	/* a threshold without its window */
	CU_ASSERT_EQUAL(run_set((const struct vb[]){U32(11, 0)}, 1, 0, &idx),
	                SNMP_ERR_INCONSISTENTVALUE);
	CU_ASSERT_EQUAL(run_set((const struct vb[]){U32(3, 0)}, 1, 0, &idx),
	                SNMP_ERR_INCONSISTENTVALUE);
	CU_ASSERT_EQUAL(memcmp(&before, &live, sizeof(live)), 0);
	/* ... but fine together with a new high mark, in either order */
	CU_ASSERT_EQUAL(run_set((const struct vb[]){U32(7, 100), U32(5, 1000)}, 2, 0, &idx), 0);
	CU_ASSERT_EQUAL(live.drop_low, 100);
	CU_ASSERT_EQUAL(live.drop_high, 1000);
	CU_ASSERT_EQUAL(run_set((const struct vb[]){U32(5, 20), U32(7, 5)}, 2, 0, &idx), 0);
	CU_ASSERT_EQUAL(live.drop_low, 5);
	CU_ASSERT_EQUAL(live.drop_high, 20);
	/* a window of 0 is fine once the threshold is 0 too */
	CU_ASSERT_EQUAL(run_set((const struct vb[]){U32(11, 0), U32(10, 0)}, 2, 0, &idx), 0);
	CU_ASSERT_EQUAL(live.rate_limit, 0);
	CU_ASSERT_EQUAL(live.rate_window, 0);
	/* an out-of-range value in the same request is reported as such, not as inconsistent */
	CU_ASSERT_EQUAL(run_set((const struct vb[]){U32(7, 50), U32(6, 86401)}, 2, 0, &idx),
	                SNMP_ERR_WRONGVALUE);
	CU_ASSERT_EQUAL(idx, 2);
	CU_ASSERT_EQUAL(config_calls, 3);
}

/* UNDO after ACTION (another part of the request failed): nothing changes. */
static void test_set_undo(void)
{
	struct ipx_notify_config before;
	int idx;

	reset_live();
	before = live;
	CU_ASSERT_EQUAL(run_set((const struct vb[]){U32(8, 60), U32(9, 90)}, 2, 1, &idx), 0);
	CU_ASSERT_EQUAL(memcmp(&before, &live, sizeof(live)), 0);
	CU_ASSERT_EQUAL(config_calls, 0);
}

/* GET of the config scalars; no instance without a configuration to serve. */
static void test_config_get(void)
{
	const struct ipx_group *g = ipsecNotifyConfig_group(&ctx);
	oid name[MAX_OID_LEN], out[MAX_OID_LEN];
	size_t base = OID_LENGTH(config_oid), outlen;
	struct ipx_val v;
	struct ipx_mib_ctx bare = {0};

	reset_live();
	live.enabled = (1u << 1) | (1u << 9) | (1u << 10);
	stats.suppressed = 5;
	stats.duplicates = 6;
	stats.overflows = 7;
	memcpy(name, config_oid, sizeof(config_oid));
	name[base + 1] = 0;
	name[base] = 1;
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_OCTET_STR);
	CU_ASSERT_EQUAL(v.len, 2);
	CU_ASSERT_EQUAL(((const u_char *)v.ptr)[0], 0x40);
	CU_ASSERT_EQUAL(((const u_char *)v.ptr)[1], 0x60);
	name[base] = 6;
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_GAUGE);
	CU_ASSERT_EQUAL(v.l, 60);
	name[base] = 12;
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(v.c64.low, 5);
	name[base] = 13;
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(v.c64.low, 6);
	name[base] = 15;
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(v.c64.low, 7);
	name[base] = 16;
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v),
	                SNMP_NOSUCHOBJECT);
	/* a walk: 11 settings and 4 counters */
	{
		oid cur[MAX_OID_LEN];
		size_t curlen = base;
		int count = 0;
		memcpy(cur, config_oid, sizeof(config_oid));
		while (ipx_table_resolve(g, MODE_GETNEXT, cur, curlen, out, &outlen, &v) == 0) {
			memcpy(cur, out, outlen * sizeof(oid));
			curlen = outlen;
			count++;
		}
		CU_ASSERT_EQUAL(count, 15);
	}
	/* not wired: the settings have no instance, the counters are 0 */
	g = ipsecNotifyConfig_group(&bare);
	name[base] = 5;
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v),
	                SNMP_NOSUCHINSTANCE);
	name[base] = 12;
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(v.c64.low, 0);
	ipsecNotifyConfig_group(&ctx);
	memset(&stats, 0, sizeof(stats));
}

static void test_stat_table(void)
{
	const struct ipx_group *g = ipsecNotifyStatTable_group(&ctx);
	oid name[MAX_OID_LEN], out[MAX_OID_LEN], cur[MAX_OID_LEN];
	size_t base = OID_LENGTH(stat_entry), outlen, curlen = base;
	struct ipx_val v;
	int count = 0;

	stats.sent[IPX_NOTIFY_CERT_EXPIRING] = 5000000000ULL;
	memcpy(cur, stat_entry, sizeof(stat_entry));
	while (ipx_table_resolve(g, MODE_GETNEXT, cur, curlen, out, &outlen, &v) == 0) {
		memcpy(cur, out, outlen * sizeof(oid));
		curlen = outlen;
		count++;
	}
	CU_ASSERT_EQUAL(count, 2 * IPX_NOTIFY_MAX);
	memcpy(name, stat_entry, sizeof(stat_entry));
	name[base] = 3;
	name[base + 1] = IPX_NOTIFY_CERT_EXPIRING;
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(((uint64_t)v.c64.high << 32) | v.c64.low, 5000000000ULL);
	name[base + 1] = 0;
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v),
	                SNMP_NOSUCHINSTANCE);
	name[base + 1] = IPX_NOTIFY_MAX + 1;
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v),
	                SNMP_NOSUCHINSTANCE);
	memset(&stats, 0, sizeof(stats));
}

/* ---- persistence -------------------------------------------------------------------------- */

static int read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static void test_persistence(void)
{
	char path[128], text[4096];
	int idx;

	snprintf(path, sizeof(path), "%s/ipsec-agentx.conf", persist_dir);
	/* persist_init forgot what earlier tests set: only this SET's objects are written */
	ipx_notify_config_persist_init(&ctx);
	reset_live();
	unlink(path);
	CU_ASSERT_EQUAL(run_set((const struct vb[]){U32(7, 3), BITS(1, "\x60\x00", 2)}, 2, 0, &idx),
	                0);
	CU_ASSERT_EQUAL_FATAL(read_file(path, text, sizeof(text)), 0);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(text, "ipsecNotifyConfig Enables=ikeSaUp,ikeSaDown DropLow=3\n"));
	/* a second SET adds to what is persisted */
	CU_ASSERT_EQUAL(run_set((const struct vb[]){U32(8, 900)}, 1, 0, &idx), 0);
	CU_ASSERT_EQUAL_FATAL(read_file(path, text, sizeof(text)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    text, "ipsecNotifyConfig Enables=ikeSaUp,ikeSaDown DropLow=3 ConnDownAfter=900\n"));
	/* one line only: Net-SNMP rewrote the file */
	CU_ASSERT_PTR_NULL(strstr(strstr(text, "ipsecNotifyConfig") + 1, "ipsecNotifyConfig"));

	/* a restart: the config file's values, then the persistent file read by Net-SNMP */
	reset_live();
	live.drop_high = 50; /* from the config file */
	live.rate_limit = 99;
	ipx_notify_config_persist_init(&ctx);
	CU_ASSERT_EQUAL(read_config_with_type(path, "ipsec-agentx"), SNMPERR_SUCCESS);
	CU_ASSERT_EQUAL(live.enabled, (1u << 1) | (1u << 2));
	CU_ASSERT_EQUAL(live.drop_low, 3);
	CU_ASSERT_EQUAL(live.conn_down_after, 900);
	CU_ASSERT_EQUAL(live.drop_high, 50); /* not set over SNMP: the file's */
	CU_ASSERT_EQUAL(live.rate_limit, 99);
	CU_ASSERT_EQUAL(config_calls, 1);
	/* and what was read back is persisted again at the next store */
	snmp_store("ipsec-agentx");
	CU_ASSERT_EQUAL_FATAL(read_file(path, text, sizeof(text)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    text, "ipsecNotifyConfig Enables=ikeSaUp,ikeSaDown DropLow=3 ConnDownAfter=900\n"));

	/* persisted values that no longer fit the config file are ignored, as is a bad line */
	reset_live();
	live.drop_high = 2;
	write_file(path, "ipsecNotifyConfig DropLow=3 CertExpiryDays=9\n");
	CU_ASSERT_EQUAL(read_config_with_type(path, "ipsec-agentx"), SNMPERR_SUCCESS);
	CU_ASSERT_EQUAL(live.drop_low, 10);
	CU_ASSERT_EQUAL(live.cert_expiry_days, 30);
	write_file(path, "ipsecNotifyConfig DropLow=3 Nonsense=9\n");
	CU_ASSERT_EQUAL(read_config_with_type(path, "ipsec-agentx"), SNMPERR_SUCCESS);
	CU_ASSERT_EQUAL(live.drop_low, 10);
	CU_ASSERT_EQUAL(config_calls, 0);

	/* NETSNMP_DS_LIB_DONT_PERSIST_STATE: a SET still applies, nothing is written */
	reset_live();
	unlink(path);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	CU_ASSERT_EQUAL(run_set((const struct vb[]){U32(9, 1)}, 1, 0, &idx), 0);
	CU_ASSERT_EQUAL(live.cert_expiry_days, 1);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 0);
}

/* The BITS encoding: bit N is octet N/8, most significant bit first. */
static void test_bits(void)
{
	u_char buf[2];

	CU_ASSERT_EQUAL(ipx_notify_enables_to_bits(IPX_NOTIFY_ENABLED_ALL, buf), 2);
	CU_ASSERT_EQUAL(buf[0], 0x7f);
	CU_ASSERT_EQUAL(buf[1], 0xf8);
	CU_ASSERT_EQUAL(ipx_notify_bits_to_enables(buf, 2), IPX_NOTIFY_ENABLED_ALL);
	CU_ASSERT_EQUAL(ipx_notify_bits_to_enables((const u_char *)"\x80", 1), 1u);
	CU_ASSERT_EQUAL(ipx_notify_bits_to_enables((const u_char *)"\x00\x01", 2), 1u << 15);
	CU_ASSERT_EQUAL(ipx_notify_config_check_value(1, 1u << 13), SNMP_ERR_WRONGVALUE);
	CU_ASSERT_EQUAL(ipx_notify_config_check_value(1, 1u << 12), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(ipx_notify_config_check_type(1, ASN_OCTET_STR, 2), SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(ipx_notify_config_check_type(1, ASN_OCTET_STR, 3), SNMP_ERR_WRONGLENGTH);
	CU_ASSERT_EQUAL(ipx_notify_config_check_type(2, ASN_UNSIGNED, sizeof(long)),
	                SNMP_ERR_NOERROR);
	CU_ASSERT_EQUAL(ipx_notify_config_check_type(2, ASN_INTEGER, sizeof(long)),
	                SNMP_ERR_WRONGTYPE);
}

int main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("notifications", mib_setup, NULL);
	CU_add_test(s, "varbinds follow the MIB's OBJECTS", test_varbinds_match_mib);
	CU_add_test(s, "notification names", test_names_match_mib);
	CU_add_test(s, "config objects: ranges and DEFVALs", test_config_objects_match_mib);
	CU_add_test(s, "unknown and oversized values", test_varbind_edge_values);
	CU_add_test(s, "sent without a master", test_send_without_master);
	s = CU_add_suite("ipsecNotifyConfig", set_setup, set_teardown);
	CU_add_test(s, "BITS", test_bits);
	CU_add_test(s, "SET good values", test_set_good);
	CU_add_test(s, "SET errors", test_set_errors);
	CU_add_test(s, "SET consistency over the request", test_set_consistency);
	CU_add_test(s, "SET undo", test_set_undo);
	CU_add_test(s, "GET", test_config_get);
	CU_add_test(s, "ipsecNotifyStatTable", test_stat_table);
	CU_add_test(s, "persistence", test_persistence);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
