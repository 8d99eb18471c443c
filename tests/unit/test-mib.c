/*
 * In-process tests of the MIB groups: the real table engine and column getters against a
 * store filled with known rows, the way snmpd would drive them (GET and GETNEXT).
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include <CUnit/Basic.h>

#include "groups.h"
#include "ipsec_agentx/xfrm_parse.h"
#include "oids.h"

static const oid sa_entry[] = {IPX_OID_SA_ENTRY};
static const oid tmpl_entry[] = {IPX_OID_TMPL_ENTRY};
static const oid status_group[] = {IPX_OID_AGENT_STATUS};
static const oid stats_group[] = {IPX_OID_XFRM_STATS};
static const oid source_entry[] = {IPX_OID_IKE_SOURCE_ENTRY};
static const oid ike_sa_entry[] = {IPX_OID_IKE_SA_ENTRY};
static const oid child_entry[] = {IPX_OID_CHILD_SA_ENTRY};
static const oid conn_entry[] = {IPX_OID_CONN_ENTRY};
static const oid cert_entry[] = {IPX_OID_CERT_ENTRY};
static const oid counter_entry[] = {IPX_OID_IKE_COUNTER_ENTRY};

static uint64_t fixed_now(void)
{
	return 1800000000; /* 2027-01-15 08:00:00 UTC */
}

static struct ipx_store *store;
static struct ipx_mib_ctx ctx = {.now = fixed_now};

static struct ipx_sa make_sa(uint32_t spi, int with_mark)
{
	struct ipx_sa sa;

	memset(&sa, 0, sizeof(sa));
	sa.key.daddr.family = sa.saddr.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.2", sa.key.daddr.bytes);
	inet_pton(AF_INET, "192.0.2.1", sa.saddr.bytes);
	sa.key.spi = spi;
	sa.key.proto = 50;
	sa.mode = IPX_MODE_TUNNEL;
	sa.aead.name = ipx_alg_intern("rfc4106(gcm(aes))", strlen("rfc4106(gcm(aes))"));
	sa.aead.key_bits = 160;
	sa.aead.icv_bits = 128;
	sa.cur_bytes = 5000000000ULL;
	sa.add_time = fixed_now() - 100;
	sa.lft.soft_add_secs = 3000;
	sa.lft.hard_add_secs = 3600;
	if (with_mark) {
		sa.has_mark = 1;
		sa.key.mark_value = 42;
		sa.key.mark_mask = 0xffffffff;
	}
	return sa;
}

static int setup(void)
{
	struct ipx_policy p;

	store = ipx_store_new();
	ctx.store = store;
	for (uint32_t i = 1; i <= 3; i++) {
		struct ipx_sa sa = make_sa(0xc0000000 + i, i == 2);
		ipx_store_sa_upsert(store, &sa, fixed_now());
	}
	/* Policies with 2, 0 and 1 templates. */
	for (uint32_t i = 0; i < 3; i++) {
		memset(&p, 0, sizeof(p));
		p.key.index = 8 * (i + 1);
		p.n_tmpl = i == 0 ? 2 : i == 1 ? 0 : 1;
		p.tmpl[0].proto = 108;
		p.tmpl[1].proto = 50;
		ipx_store_policy_upsert(store, &p, fixed_now());
	}
	return 0;
}

static int teardown(void)
{
	ipx_store_free(store);
	return 0;
}

static int getnext(const struct ipx_group *g, const oid *name, size_t len, oid *out, size_t *outlen,
                   struct ipx_val *v)
{
	return ipx_table_resolve(g, MODE_GETNEXT, name, len, out, outlen, v);
}

/* Walks a whole group and returns how many instances it has; checks strict order. */
static int walk(const struct ipx_group *g, const oid *from, size_t fromlen)
{
	oid cur[MAX_OID_LEN], out[MAX_OID_LEN];
	size_t curlen = fromlen, outlen;
	struct ipx_val v;
	int n = 0;

	memcpy(cur, from, fromlen * sizeof(oid));
	while (getnext(g, cur, curlen, out, &outlen, &v) == 0) {
		CU_ASSERT_TRUE_FATAL(snmp_oid_compare(out, outlen, cur, curlen) > 0);
		memcpy(cur, out, outlen * sizeof(oid));
		curlen = outlen;
		n++;
	}
	return n;
}

static void test_sa_walk_counts(void)
{
	const struct ipx_group *g = ipsecSaTable_group(&ctx);
	/* 56 columns; 3 rows; mark and mask exist on one row only; no SA has an if_id
	 * nor was ever used (LastUsed). The IKE owner columns exist (0) without IKE data. */
	CU_ASSERT_EQUAL(walk(g, sa_entry, OID_LENGTH(sa_entry)), 56 * 3 - 2 * 2 - 3 - 3);
}

static void test_sa_first_and_values(void)
{
	const struct ipx_group *g = ipsecSaTable_group(&ctx);
	oid out[MAX_OID_LEN], name[MAX_OID_LEN];
	size_t outlen, base = OID_LENGTH(sa_entry);
	struct ipx_val v;

	CU_ASSERT_EQUAL(getnext(g, sa_entry, base, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(outlen, base + 2);
	CU_ASSERT_EQUAL(out[base], 2);     /* ipsecSaSrcAddressType */
	CU_ASSERT_EQUAL(out[base + 1], 1); /* first row */
	CU_ASSERT_EQUAL(v.l, 1);           /* ipv4 */

	memcpy(name, sa_entry, base * sizeof(oid));
	name[base + 1] = 1;
	name[base] = 7; /* ipsecSaSpi */
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_GAUGE);
	CU_ASSERT_EQUAL((unsigned long)v.l, 0xc0000001UL);
	name[base] = 45; /* ipsecSaOctets: a Counter64 past 2^32 */
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_COUNTER64);
	CU_ASSERT_EQUAL(((uint64_t)v.c64.high << 32) | v.c64.low, 5000000000ULL);
	name[base] = 19; /* ipsecSaAeadAlg */
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(v.len, strlen("rfc4106(gcm(aes))"));
	CU_ASSERT_EQUAL(memcmp(v.ptr, "rfc4106(gcm(aes))", v.len), 0);
	name[base] = 14; /* ipsecSaEncAlg: none (a NULL name) reads as zero-length */
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_OCTET_STR);
	CU_ASSERT_EQUAL(v.len, 0);
	name[base] = 49; /* ipsecSaSoftExpiresIn: 3000 s after an add 100 s ago */
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(v.l, 2900);
	name[base] = 47; /* ipsecSaAddTime */
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(v.len, 11);
	CU_ASSERT_EQUAL((v.buf[0] << 8) | v.buf[1], 2027);
	CU_ASSERT_EQUAL(v.buf[4], 7); /* 07:58:20 */
	CU_ASSERT_EQUAL(v.buf[5], 58);
}

static void test_sa_get_errors(void)
{
	const struct ipx_group *g = ipsecSaTable_group(&ctx);
	oid out[MAX_OID_LEN], name[MAX_OID_LEN];
	size_t outlen, base = OID_LENGTH(sa_entry);
	struct ipx_val v;

	memcpy(name, sa_entry, base * sizeof(oid));
	name[base] = 7;
	name[base + 1] = 99; /* no such row */
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v),
	                SNMP_NOSUCHINSTANCE);
	name[base + 1] = 1;
	name[base] = 34; /* ipsecSaMark on a row without mark */
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v),
	                SNMP_NOSUCHINSTANCE);
	name[base] = 1; /* the index column is not-accessible */
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v),
	                SNMP_NOSUCHOBJECT);
	name[base] = 7;
	name[base + 1] = 5000000000UL; /* beyond Unsigned32 */
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v),
	                SNMP_NOSUCHINSTANCE);
	CU_ASSERT_EQUAL(getnext(g, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(out[base], 8); /* next column, first row */
	CU_ASSERT_EQUAL(out[base + 1], 1);
}

static void test_sparse_column_skips_rows(void)
{
	const struct ipx_group *g = ipsecSaTable_group(&ctx);
	oid out[MAX_OID_LEN], name[MAX_OID_LEN];
	size_t outlen, base = OID_LENGTH(sa_entry);
	struct ipx_val v;

	memcpy(name, sa_entry, base * sizeof(oid));
	name[base] = 34;
	CU_ASSERT_EQUAL(getnext(g, name, base + 1, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(out[base], 34);
	CU_ASSERT_EQUAL(out[base + 1], 2);
	CU_ASSERT_EQUAL(v.l, 42);
}

static void test_walk_while_rows_change(void)
{
	const struct ipx_group *g = ipsecSaTable_group(&ctx);
	oid cur[MAX_OID_LEN], out[MAX_OID_LEN];
	size_t curlen = OID_LENGTH(sa_entry), outlen, base = curlen;
	struct ipx_val v;
	struct ipx_sa gone = make_sa(0xc0000002, 1), added = make_sa(0xc0000009, 0);
	int rows = 0;

	memcpy(cur, sa_entry, base * sizeof(oid));
	cur[base] = 7;
	curlen = base + 1;
	while (getnext(g, cur, curlen, out, &outlen, &v) == 0 && out[base] == 7) {
		if (rows++ == 0) {
			/* After the first answer, one SA goes and another comes (a rekey). */
			ipx_store_sa_delete(store, &gone.key);
			ipx_store_sa_upsert(store, &added, fixed_now());
		}
		memcpy(cur, out, outlen * sizeof(oid));
		curlen = outlen;
	}
	CU_ASSERT_EQUAL(rows, 3); /* rows 1, 3 and the new 4 */
}

static void test_tmpl_table(void)
{
	const struct ipx_group *g = ipsecPolicyTmplTable_group(&ctx);
	oid out[MAX_OID_LEN];
	size_t outlen, base = OID_LENGTH(tmpl_entry);
	struct ipx_val v;

	/* 9 columns x (2 + 0 + 1) templates. */
	CU_ASSERT_EQUAL(walk(g, tmpl_entry, base), 9 * 3);
	CU_ASSERT_EQUAL(getnext(g, tmpl_entry, base, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(outlen, base + 3);
	CU_ASSERT_EQUAL(out[base + 1], 1);
	CU_ASSERT_EQUAL(out[base + 2], 1);
}

static void test_scalars(void)
{
	const struct ipx_group *g = ipsecAgentStatus_group(&ctx);
	oid out[MAX_OID_LEN], name[MAX_OID_LEN];
	size_t outlen, base = OID_LENGTH(status_group);
	struct ipx_val v;

	CU_ASSERT_EQUAL(walk(g, status_group, base), 8);
	memcpy(name, status_group, base * sizeof(oid));
	name[base] = 1;
	name[base + 1] = 0;
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(v.len, strlen(IPX_VERSION));
	CU_ASSERT_EQUAL(ipx_table_resolve(g, MODE_GET, name, base + 1, out, &outlen, &v),
	                SNMP_NOSUCHINSTANCE);
}

static void test_drop_counters_follow_kernel_names(void)
{
	const struct ipx_group *g = ipsecXfrmStats_group(&ctx);
	char(*names)[48] = calloc(2, sizeof(*names));
	uint64_t *values = calloc(2, sizeof(*values));
	oid out[MAX_OID_LEN];
	size_t outlen, base = OID_LENGTH(stats_group);
	struct ipx_val v;

	strcpy(names[0], "XfrmInNoStates"); /* scalar 4 */
	strcpy(names[1], "XfrmFutureCounter");
	values[0] = 17;
	ipx_store_set_xfrm_stat(store, names, values, 2);
	CU_ASSERT_EQUAL(walk(g, stats_group, base), 1);
	CU_ASSERT_EQUAL(getnext(g, stats_group, base, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(out[base], 4);
	CU_ASSERT_EQUAL(v.c64.low, 17);
	CU_ASSERT_EQUAL(walk(ipsecXfrmStatTable_group(&ctx), stats_group, base), 2 * 2);
}

/* ---- IKE groups --------------------------------------------------------------------------- */

#define MONO_NOW 100000 /* the monotonic clock of the IKE tests */
#define DAY      86400

static int64_t fixed_mono(void)
{
	return MONO_NOW;
}

static struct ipx_store *kst; /* kernel SAs the CHILD_SAs own */
static struct ipx_ike_store *ike;
static struct ipx_mib_ctx ictx = {.now = fixed_now, .mono_now = fixed_mono};

static void set_addr(struct ipx_addr *a, const char *text)
{
	a->family = AF_INET;
	inet_pton(AF_INET, text, a->bytes);
}

static struct ipx_sa kernel_sa(const char *src, const char *dst, uint32_t spi, uint64_t bytes)
{
	struct ipx_sa sa;

	memset(&sa, 0, sizeof(sa));
	set_addr(&sa.saddr, src);
	set_addr(&sa.key.daddr, dst);
	sa.key.spi = spi;
	sa.key.proto = 50;
	sa.mode = IPX_MODE_TUNNEL;
	sa.cur_bytes = bytes;
	sa.cur_packets = bytes / 100;
	sa.add_time = fixed_now() - 200;
	return sa;
}

static struct ipx_ike_sa ike_sa(uint32_t uid, const char *name, uint8_t version, uint8_t exchange,
                                uint8_t state, uint64_t spi_r)
{
	struct ipx_ike_sa sa;

	memset(&sa, 0, sizeof(sa));
	sa.unique_id = uid;
	strcpy(sa.name, name);
	sa.version = version;
	sa.exchange = exchange;
	sa.state = state;
	set_addr(&sa.local, "192.0.2.1");
	set_addr(&sa.remote, "192.0.2.2");
	sa.local_port = sa.remote_port = 500;
	sa.spi_i = 0x0123456789abcdefULL;
	sa.spi_r = spi_r;
	return sa;
}

/* IKE SA #1 "site-b", established, with CHILD_SA #11 "net" owning kernel SAs 1 (in) and
 * 2 (out); #2 "road" (IKEv1 aggressive) and #3 (IKEv2) connecting. */
static int fill_ike_sas(void)
{
	int rc = 0;
	struct ipx_ike_sa sa = ike_sa(1, "site-b", 2, IPX_IKE_EXCHANGE_IKEV2, IPX_IKE_ESTABLISHED,
	                              0xfedcba9876543210ULL);

	sa.initiator = 1;
	sa.local_port = sa.remote_port = 4500;
	strcpy(sa.local_id, "moon.example.org");
	strcpy(sa.remote_id, "C=CH, O=strongSwan, CN=sun");
	strcpy(sa.encr_alg, "AES_CBC");
	sa.encr_keysize = 256;
	strcpy(sa.integ_alg, "HMAC_SHA2_256_128");
	strcpy(sa.prf_alg, "PRF_HMAC_SHA2_256");
	strcpy(sa.dh_group, "CURVE_25519");
	sa.nat_remote = sa.nat_any = 1;
	sa.established_at = MONO_NOW - 300;
	sa.rekey_at = MONO_NOW + 1000;
	sa.child_count = 1;
	rc |= ipx_ike_upsert_sa(ike, 1, &sa);
	sa = ike_sa(2, "road", 1, IPX_IKE_EXCHANGE_AGGRESSIVE, IPX_IKE_CONNECTING, 0);
	rc |= ipx_ike_upsert_sa(ike, 1, &sa);
	sa = ike_sa(3, "v2-conn", 2, IPX_IKE_EXCHANGE_IKEV2, IPX_IKE_CONNECTING, 0x42);
	strcpy(sa.tasks_active, "IKE_CERT_PRE, IKE_AUTH, IKE_CONFIG");
	rc |= ipx_ike_upsert_sa(ike, 1, &sa);
	return rc;
}

static int fill_children(void)
{
	int rc = 0;
	struct ipx_child_sa c;

	memset(&c, 0, sizeof(c));
	c.unique_id = 11;
	c.ike_unique_id = 1;
	strcpy(c.name, "net");
	c.state = IPX_CHILD_INSTALLED;
	c.mode = IPX_CHILD_MODE_TUNNEL;
	c.protocol = IPX_CHILD_PROTO_ESP;
	c.spi_in = 0xc1000001;
	c.spi_out = 0xc2000001;
	c.reqid = 7;
	strcpy(c.encr_alg, "AES_GCM_16");
	c.encr_keysize = 256;
	c.bytes_in = 6000000000ULL;
	c.installed_at = MONO_NOW - 200;
	c.rekey_at = MONO_NOW + 500;
	c.expire_at = MONO_NOW - 1; /* passed: 0 */
	strcpy(c.local_ts, "10.1.0.0/16");
	strcpy(c.remote_ts, "10.2.0.0/16");
	rc |= ipx_ike_upsert_child(ike, 1, &c);
	/* Of an IKE SA the store does not know; not installed; mode and protocol unknown. */
	memset(&c, 0, sizeof(c));
	c.unique_id = 12;
	c.ike_unique_id = 99;
	strcpy(c.name, "orphan");
	c.state = IPX_CHILD_CREATED;
	rc |= ipx_ike_upsert_child(ike, 1, &c);
	return rc;
}

static int fill_conns(void)
{
	int rc = 0;
	struct ipx_ike_conn c;

	memset(&c, 0, sizeof(c));
	strcpy(c.name, "site-b");
	strcpy(c.child, "net");
	c.version = 2;
	strcpy(c.local_addrs, "%any");
	strcpy(c.remote_addrs, "192.0.2.2");
	strcpy(c.local_certs, "C=CH, O=strongSwan, CN=moon");
	c.mode = IPX_CHILD_MODE_TUNNEL;
	c.rekey_time = 14400;
	c.rekey_bytes = 5000000000ULL;
	strcpy(c.start_action, "trap");
	rc |= ipx_ike_upsert_conn(ike, 1, &c);
	memset(&c, 0, sizeof(c)); /* a dynamic map without children */
	strcpy(c.name, "road");
	strcpy(c.remote_addrs, "%any");
	c.dynamic = 1;
	rc |= ipx_ike_upsert_conn(ike, 1, &c);
	return rc;
}

static int fill_certs(void)
{
	int rc = 0;
	struct ipx_cert_info c;

	memset(&c, 0, sizeof(c));
	strcpy(c.subject, "C=CH, O=strongSwan, CN=moon");
	strcpy(c.issuer, "C=CH, O=strongSwan, CN=Root CA");
	strcpy(c.serial, "01:02");
	c.not_before = (int64_t)fixed_now() - 10 * DAY;
	c.not_after = (int64_t)fixed_now() + 30 * DAY + 100;
	strcpy(c.key_type, "ECDSA");
	c.key_bits = 256;
	rc |= ipx_ike_upsert_cert(ike, 1, &c, "X509", IPX_CERT_FLAG_NONE, 1);
	strcpy(c.subject, "C=CH, O=strongSwan, CN=Root CA");
	strcpy(c.serial, "00");
	c.not_after = (int64_t)fixed_now() - 2 * DAY; /* expired two days ago */
	c.is_ca = 1;
	rc |= ipx_ike_upsert_cert(ike, 1, &c, "X509", IPX_CERT_FLAG_CA, 0);
	return rc;
}

static int setup_ike(void)
{
	struct ipx_sa in = kernel_sa("192.0.2.2", "192.0.2.1", 0xc1000001, 1000);
	struct ipx_sa out = kernel_sa("192.0.2.1", "192.0.2.2", 0xc2000001, 2000);
	struct ipx_sa other = kernel_sa("192.0.2.1", "192.0.2.9", 0xdead, 0);

	kst = ipx_store_new();
	ike = kst ? ipx_ike_store_new(kst) : NULL;
	if (!ike)
		return 1;
	ictx.store = kst;
	ictx.ike = ike;
	ipx_store_sa_upsert(kst, &in, fixed_now());    /* ipsecSaIndex 1 */
	ipx_store_sa_upsert(kst, &out, fixed_now());   /* 2 */
	ipx_store_sa_upsert(kst, &other, fixed_now()); /* 3: no IKE SA owns it */
	return fill_ike_sas() || fill_children() || fill_conns() || fill_certs();
}

static int teardown_ike(void)
{
	ipx_ike_store_free(ike);
	ipx_store_free(kst);
	return 0;
}

/* GET of column COL of the row with index ID; returns the engine's result. */
static int get_col(const struct ipx_group *g, const oid *entry, size_t base, unsigned int col,
                   oid id, struct ipx_val *v)
{
	oid name[MAX_OID_LEN], out[MAX_OID_LEN];
	size_t outlen;

	memcpy(name, entry, base * sizeof(oid));
	name[base] = col;
	name[base + 1] = id;
	return ipx_table_resolve(g, MODE_GET, name, base + 2, out, &outlen, v);
}

static uint64_t c64(const struct ipx_val *v)
{
	return ((uint64_t)v->c64.high << 32) | v->c64.low;
}

static int text_is(const struct ipx_val *v, const char *s)
{
	return v->type == ASN_OCTET_STR && v->len == strlen(s) && memcmp(v->ptr, s, v->len) == 0;
}

static uint32_t ike_id(uint32_t uid)
{
	const struct ipx_ike_sa_row *r = ipx_ike_sa_find(ike, 1, uid);

	return r ? r->h.id : 0;
}

static uint32_t child_id(uint32_t uid)
{
	const struct ipx_child_row *r = ipx_child_find(ike, 1, uid);

	return r ? r->h.id : 0;
}

static uint32_t conn_id(const char *name, const char *child)
{
	const struct ipx_conn_row *r = ipx_conn_find(ike, 1, name, child);

	return r ? r->h.id : 0;
}

static void test_ike_sa_walk(void)
{
	const struct ipx_group *g = ikeSaTable_group(&ictx);
	oid out[MAX_OID_LEN], name[MAX_OID_LEN];
	size_t outlen, base = OID_LENGTH(ike_sa_entry);
	struct ipx_val v;

	/* 30 columns x 3 SAs; the two connecting SAs have no ikeSaEstablishedFor. */
	CU_ASSERT_EQUAL(walk(g, ike_sa_entry, base), 30 * 3 - 2);
	/* GETNEXT goes down a column, row by row in index order, then to the next column. */
	memcpy(name, ike_sa_entry, base * sizeof(oid));
	name[base] = 3; /* ikeSaName */
	name[base + 1] = ike_id(1);
	CU_ASSERT_EQUAL(getnext(g, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(out[base], 3);
	CU_ASSERT_EQUAL(out[base + 1], ike_id(2));
	CU_ASSERT_TRUE(text_is(&v, "road"));
	name[base + 1] = ike_id(3);
	CU_ASSERT_EQUAL(getnext(g, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(out[base], 4); /* ikeSaUniqueId of the first row */
	CU_ASSERT_EQUAL(out[base + 1], ike_id(1));
	CU_ASSERT_EQUAL(v.l, 1);
	/* ikeSaEstablishedFor skips the rows that are not established. */
	name[base] = 27;
	CU_ASSERT_EQUAL(getnext(g, name, base + 1, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(out[base + 1], ike_id(1));
	name[base + 1] = ike_id(1);
	CU_ASSERT_EQUAL(getnext(g, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(out[base], 28);
}

static void test_ike_sa_values(void)
{
	const struct ipx_group *g = ikeSaTable_group(&ictx);
	size_t base = OID_LENGTH(ike_sa_entry);
	static const u_char spi_r[8] = {0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};
	struct ipx_val v;
	oid id = ike_id(1);

	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 2, id, &v), 0); /* source */
	CU_ASSERT_EQUAL(v.l, 1);
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 6, id, &v), 0); /* ikev2(1) */
	CU_ASSERT_EQUAL(v.l, 1);
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 7, id, &v), 0); /* established(3) */
	CU_ASSERT_EQUAL(v.l, 3);
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 9, id, &v), 0); /* initiator(1) */
	CU_ASSERT_EQUAL(v.l, 1);
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 11, id, &v), 0);
	CU_ASSERT_EQUAL(v.len, 4);
	CU_ASSERT_EQUAL(((const u_char *)v.ptr)[3], 1);
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 12, id, &v), 0);
	CU_ASSERT_EQUAL(v.l, 4500);
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 17, id, &v), 0);
	CU_ASSERT_TRUE(text_is(&v, "C=CH, O=strongSwan, CN=sun"));
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 19, id, &v), 0);
	CU_ASSERT_EQUAL(v.len, 8);
	CU_ASSERT_EQUAL(memcmp(v.ptr, spi_r, 8), 0);
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 25, id, &v), 0);
	CU_ASSERT_TRUE(text_is(&v, "CURVE_25519"));
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 26, id, &v), 0); /* remote + any */
	CU_ASSERT_EQUAL(v.len, 1);
	CU_ASSERT_EQUAL(((const u_char *)v.ptr)[0], 0x50);
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 27, id, &v), 0); /* established for */
	CU_ASSERT_EQUAL(v.type, ASN_GAUGE);
	CU_ASSERT_EQUAL(v.l, 300);
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 28, id, &v), 0); /* rekey in */
	CU_ASSERT_EQUAL(v.l, 1000);
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 29, id, &v), 0); /* no reauth: -1 */
	CU_ASSERT_EQUAL(v.l, -1);
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 30, id, &v), 0);
	CU_ASSERT_EQUAL(v.l, 1);
	/* Missing instances: no such row; not established yet; the index column. */
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 3, 99, &v), SNMP_NOSUCHINSTANCE);
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 27, ike_id(2), &v), SNMP_NOSUCHINSTANCE);
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 1, id, &v), SNMP_NOSUCHOBJECT);
	CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 32, id, &v), SNMP_NOSUCHOBJECT);
}

/* ikeSaCiscoState for a few states, on SA #2 rewritten each time (same row). */
static void test_ike_sa_cisco_state(void)
{
	static const struct {
		uint8_t version, exchange, state;
		uint64_t spi_r;
		const char *tasks;
		long want; /* 0: no instance */
	} cases[] = {
	    {2, IPX_IKE_EXCHANGE_IKEV2, IPX_IKE_ESTABLISHED, 1, "", 8},        /* qmIdle */
	    {2, IPX_IKE_EXCHANGE_IKEV2, IPX_IKE_REKEYING, 1, "", 8},           /* qmIdle */
	    {2, IPX_IKE_EXCHANGE_IKEV2, IPX_IKE_CONNECTING, 0, "", 1},         /* mmNoState */
	    {2, IPX_IKE_EXCHANGE_IKEV2, IPX_IKE_CONNECTING, 1, "", 3},         /* mmKeyExch */
	    {2, IPX_IKE_EXCHANGE_IKEV2, IPX_IKE_CONNECTING, 1, "IKE_AUTH", 4}, /* mmKeyAuth */
	    {1, IPX_IKE_EXCHANGE_MAIN, IPX_IKE_CONNECTING, 1, "MAIN_MODE", 2}, /* mmSaSetup */
	    {1, IPX_IKE_EXCHANGE_IKEV1, IPX_IKE_DELETING, 1, "", 1},           /* mmNoState */
	    {1, IPX_IKE_EXCHANGE_AGGRESSIVE, IPX_IKE_CREATED, 0, "", 5},       /* agNoState */
	    {1, IPX_IKE_EXCHANGE_AGGRESSIVE, IPX_IKE_CONNECTING, 1, "", 6},    /* agInitExch */
	    {1, IPX_IKE_EXCHANGE_AGGRESSIVE, IPX_IKE_DESTROYING, 1, "", 5},    /* agNoState */
	    {1, IPX_IKE_EXCHANGE_AGGRESSIVE, IPX_IKE_STATE_UNKNOWN, 1, "", 0},
	};
	const struct ipx_group *g = ikeSaTable_group(&ictx);
	size_t base = OID_LENGTH(ike_sa_entry);
	struct ipx_val v;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ipx_ike_sa sa = ike_sa(2, "road", cases[i].version, cases[i].exchange,
		                              cases[i].state, cases[i].spi_r);
		int rc;

		strcpy(sa.tasks_active, cases[i].tasks);
		CU_ASSERT_EQUAL_FATAL(ipx_ike_upsert_sa(ike, 1, &sa), 0);
		rc = get_col(g, ike_sa_entry, base, 8, ike_id(2), &v);
		if (cases[i].want == 0) {
			CU_ASSERT_EQUAL(rc, SNMP_NOSUCHINSTANCE);
			CU_ASSERT_EQUAL(get_col(g, ike_sa_entry, base, 7, ike_id(2), &v),
			                SNMP_NOSUCHINSTANCE);
		} else {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT_EQUAL(v.l, cases[i].want);
		}
	}
}

static void test_child_table(void)
{
	const struct ipx_group *g = ikeChildSaTable_group(&ictx);
	size_t base = OID_LENGTH(child_entry);
	struct ipx_val v;
	oid id = child_id(11), orphan = child_id(12);

	/* 28 columns; the orphan lacks mode, protocol and installed-for. */
	CU_ASSERT_EQUAL(walk(g, child_entry, base), 28 * 2 - 3);
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 2, id, &v), 0);
	CU_ASSERT_EQUAL(v.l, ike_id(1));
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 2, orphan, &v), 0);
	CU_ASSERT_EQUAL(v.l, 0);
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 3, id, &v), 0);
	CU_ASSERT_EQUAL(v.l, conn_id("site-b", "net"));
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 6, id, &v), 0); /* installed(4) */
	CU_ASSERT_EQUAL(v.l, 4);
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 8, id, &v), 0); /* esp(50) */
	CU_ASSERT_EQUAL(v.l, 50);
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 10, id, &v), 0);
	CU_ASSERT_EQUAL((unsigned long)v.l, 0xc1000001UL);
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 19, id, &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_COUNTER64);
	CU_ASSERT_EQUAL(c64(&v), 6000000000ULL);
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 23, id, &v), 0);
	CU_ASSERT_EQUAL(v.l, 200);
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 24, id, &v), 0);
	CU_ASSERT_EQUAL(v.l, 500);
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 25, id, &v), 0); /* expiry passed */
	CU_ASSERT_EQUAL(v.l, 0);
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 24, orphan, &v), 0); /* none: -1 */
	CU_ASSERT_EQUAL(v.l, -1);
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 26, id, &v), 0);
	CU_ASSERT_TRUE(text_is(&v, "10.1.0.0/16"));
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 28, id, &v), 0);
	CU_ASSERT_EQUAL(v.l, 1);
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 29, id, &v), 0);
	CU_ASSERT_EQUAL(v.l, 2);
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 7, orphan, &v), SNMP_NOSUCHINSTANCE);
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 23, orphan, &v), SNMP_NOSUCHINSTANCE);
	CU_ASSERT_EQUAL(get_col(g, child_entry, base, 4, 99, &v), SNMP_NOSUCHINSTANCE);
}

static void test_sa_owner_columns(void)
{
	const struct ipx_group *g = ipsecSaTable_group(&ictx);
	size_t base = OID_LENGTH(sa_entry);
	struct ipx_val v;

	CU_ASSERT_EQUAL(get_col(g, sa_entry, base, 55, 2, &v), 0); /* ipsecSaIkeSaIndex */
	CU_ASSERT_EQUAL(v.l, ike_id(1));
	CU_ASSERT_EQUAL(get_col(g, sa_entry, base, 56, 2, &v), 0); /* ipsecSaChildSaIndex */
	CU_ASSERT_EQUAL(v.l, child_id(11));
	CU_ASSERT_EQUAL(get_col(g, sa_entry, base, 57, 1, &v), 0); /* ipsecSaConnIndex */
	CU_ASSERT_EQUAL(v.l, conn_id("site-b", "net"));
	CU_ASSERT_EQUAL(get_col(g, sa_entry, base, 56, 3, &v), 0); /* nobody's */
	CU_ASSERT_EQUAL(v.l, 0);
	CU_ASSERT_EQUAL(get_col(g, sa_entry, base, 58, 1, &v), SNMP_NOSUCHOBJECT);
}

static void test_conn_table(void)
{
	const struct ipx_group *g = ipsecConnTable_group(&ictx);
	size_t base = OID_LENGTH(conn_entry);
	struct ipx_val v;
	oid id = conn_id("site-b", "net"), road = conn_id("road", "");

	/* 37 columns; the childless connection has no mode. */
	CU_ASSERT_EQUAL(walk(g, conn_entry, base), 37 * 2 - 1);
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 4, id, &v), 0);
	CU_ASSERT_TRUE(text_is(&v, "net"));
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 7, road, &v), 0); /* dynamic: true(1) */
	CU_ASSERT_EQUAL(v.l, 1);
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 8, id, &v), 0); /* ikev2(2) */
	CU_ASSERT_EQUAL(v.l, 2);
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 8, road, &v), 0); /* any(0) */
	CU_ASSERT_EQUAL(v.l, 0);
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 9, id, &v), 0); /* not reported: "" */
	CU_ASSERT_TRUE(text_is(&v, ""));
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 18, id, &v), 0); /* tunnel(2) */
	CU_ASSERT_EQUAL(v.l, 2);
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 18, road, &v), SNMP_NOSUCHINSTANCE);
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 25, id, &v), 0);
	CU_ASSERT_EQUAL(c64(&v), 5000000000ULL);
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 29, id, &v), 0);
	CU_ASSERT_TRUE(text_is(&v, "trap"));
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 30, id, &v), 0); /* established */
	CU_ASSERT_EQUAL(v.l, 1);
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 30, road, &v), 0); /* not: false(2) */
	CU_ASSERT_EQUAL(v.l, 2);
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 31, id, &v), 0);
	CU_ASSERT_EQUAL(v.l, 1);
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 32, id, &v), 0);
	CU_ASSERT_EQUAL(v.l, 1);
	/* The kernel SAs' traffic when they were linked: 1000 in, 2000 out. */
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 33, id, &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_COUNTER64);
	CU_ASSERT_EQUAL(c64(&v), 1000);
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 34, id, &v), 0);
	CU_ASSERT_EQUAL(c64(&v), 2000);
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 36, id, &v), 0);
	CU_ASSERT_EQUAL(c64(&v), 20);
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 33, 99, &v), SNMP_NOSUCHINSTANCE);
}

static void test_cert_table(void)
{
	const struct ipx_group *g = ipsecCertTable_group(&ictx);
	oid out[MAX_OID_LEN];
	size_t outlen, base = OID_LENGTH(cert_entry);
	struct ipx_val v;

	CU_ASSERT_EQUAL(walk(g, cert_entry, base), 15 * 2);
	CU_ASSERT_EQUAL(getnext(g, cert_entry, base, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(out[base], 2);
	CU_ASSERT_EQUAL(get_col(g, cert_entry, base, 4, out[base + 1], &v), 0); /* none(1) */
	CU_ASSERT_EQUAL(v.l, 1);
	CU_ASSERT_EQUAL(get_col(g, cert_entry, base, 5, out[base + 1], &v), 0);
	CU_ASSERT_TRUE(text_is(&v, "C=CH, O=strongSwan, CN=moon"));
	CU_ASSERT_EQUAL(get_col(g, cert_entry, base, 9, out[base + 1], &v), 0); /* not after */
	CU_ASSERT_EQUAL(v.len, 11);
	CU_ASSERT_EQUAL((v.buf[0] << 8) | v.buf[1], 2027);
	CU_ASSERT_EQUAL(v.buf[2], 2); /* 2027-02-14 */
	CU_ASSERT_EQUAL(v.buf[3], 14);
	CU_ASSERT_EQUAL(get_col(g, cert_entry, base, 10, out[base + 1], &v), 0);
	CU_ASSERT_EQUAL(v.l, 30);
	CU_ASSERT_EQUAL(get_col(g, cert_entry, base, 14, out[base + 1], &v), 0); /* privkey */
	CU_ASSERT_EQUAL(v.l, 1);
	CU_ASSERT_EQUAL(get_col(g, cert_entry, base, 16, out[base + 1], &v), 0);
	CU_ASSERT_TRUE(text_is(&v, "site-b"));
	/* The expired CA certificate: negative days, flag ca(2). */
	CU_ASSERT_EQUAL(get_col(g, cert_entry, base, 10, out[base + 1] + 1, &v), 0);
	CU_ASSERT_EQUAL(v.l, -2);
	CU_ASSERT_EQUAL(get_col(g, cert_entry, base, 4, out[base + 1] + 1, &v), 0);
	CU_ASSERT_EQUAL(v.l, 2);
	CU_ASSERT_EQUAL(get_col(g, cert_entry, base, 13, out[base + 1] + 1, &v), 0); /* is CA */
	CU_ASSERT_EQUAL(v.l, 1);
	CU_ASSERT_EQUAL(get_col(g, cert_entry, base, 5, 99, &v), SNMP_NOSUCHINSTANCE);
}

static void test_source_table(void)
{
	static const char *const paths[] = {"/nonexistent/charon.vici", "unix:///tmp/b.vici"};
	struct ipx_ike_sources_config cfg = {.paths = paths, .n_paths = 2};
	struct ipx_ike_sources *src = NULL;
	const struct ipx_group *g = ipsecIkeSourceTable_group(&ictx);
	oid out[MAX_OID_LEN];
	size_t outlen, base = OID_LENGTH(source_entry);
	struct ipx_val v;

	CU_ASSERT_EQUAL(walk(g, source_entry, base), 0); /* no sources configured */
	CU_ASSERT_EQUAL_FATAL(ipx_ike_sources_new(&cfg, ike, &src), 0);
	ictx.ike_sources = src;
	/* 12 columns x 2: TimeInState counts from when the source was set up */
	CU_ASSERT_EQUAL(walk(g, source_entry, base), 12 * 2);
	CU_ASSERT_EQUAL(getnext(g, source_entry, base, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(out[base], 2);
	CU_ASSERT_EQUAL(out[base + 1], 1);
	CU_ASSERT_TRUE(text_is(&v, paths[0]));
	CU_ASSERT_EQUAL(get_col(g, source_entry, base, 3, 2, &v), 0); /* down(1) */
	CU_ASSERT_EQUAL(v.l, 1);
	CU_ASSERT_EQUAL(get_col(g, source_entry, base, 7, 2, &v), 0);
	CU_ASSERT_EQUAL(v.l, 0);
	CU_ASSERT_EQUAL(get_col(g, source_entry, base, 8, 2, &v), 0);
	CU_ASSERT_TRUE(text_is(&v, ""));
	CU_ASSERT_EQUAL(get_col(g, source_entry, base, 9, 2, &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_COUNTER);
	CU_ASSERT_EQUAL(get_col(g, source_entry, base, 2, 3, &v), SNMP_NOSUCHINSTANCE);
	CU_ASSERT_EQUAL(get_col(g, source_entry, base, 2, 0, &v), SNMP_NOSUCHINSTANCE);
	ictx.ike_sources = NULL;
	ipx_ike_sources_free(src);
}

/* Kernel traffic and rekeys after the fixture: the connection's counters only grow. */
static void test_conn_counters_survive_rekey(void)
{
	const struct ipx_group *g = ipsecConnTable_group(&ictx);
	size_t base = OID_LENGTH(conn_entry);
	struct ipx_sa in = kernel_sa("192.0.2.2", "192.0.2.1", 0xc1000001, 1500);
	struct ipx_val v;
	oid id = conn_id("site-b", "net");

	ipx_store_sa_upsert(kst, &in, fixed_now()); /* 500 more octets */
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 33, id, &v), 0);
	CU_ASSERT_EQUAL(c64(&v), 1500);
	ipx_store_sa_delete(kst, &in.key); /* rekeyed away: the count stays */
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 33, id, &v), 0);
	CU_ASSERT_EQUAL(c64(&v), 1500);
	CU_ASSERT_EQUAL(get_col(ikeChildSaTable_group(&ictx), child_entry, OID_LENGTH(child_entry),
	                        28, child_id(11), &v),
	                0);
	CU_ASSERT_EQUAL(v.l, 0); /* no inbound kernel SA any more */
	ipx_ike_note_rekey(ike, 1, "site-b", "net");
	ipx_ike_note_rekey(ike, 1, "site-b", NULL);
	ipx_ike_note_rekey(ike, 1, "site-b", NULL);
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 37, id, &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_COUNTER);
	CU_ASSERT_EQUAL(v.l, 1);
	CU_ASSERT_EQUAL(get_col(g, conn_entry, base, 38, id, &v), 0);
	CU_ASSERT_EQUAL(v.l, 2);
	CU_ASSERT_EQUAL(get_col(ikeSaTable_group(&ictx), ike_sa_entry, OID_LENGTH(ike_sa_entry), 31,
	                        ike_id(1), &v),
	                0);
	CU_ASSERT_EQUAL(v.l, 2);
}

/* Without an IKE store the IKE tables are empty and no kernel SA has an owner. */
/* ipsecIkeCounterTable: a listing of charon's counters (global and lab4's), in its own
 * IKE store, then one that sweeps a row: ids stay, the walk skips the hole. */
static void test_counter_table(void)
{
	struct ipx_ike_store *st = ipx_ike_store_new(NULL);
	struct ipx_mib_ctx cctx = {.now = fixed_now, .mono_now = fixed_mono, .ike = st};
	const struct ipx_group *g = ipsecIkeCounterTable_group(&cctx);
	oid out[MAX_OID_LEN], name[MAX_OID_LEN];
	size_t outlen, base = OID_LENGTH(counter_entry);
	struct ipx_val v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(walk(g, counter_entry, base), 0);
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_COUNTERS);
	/* rows 1, 2 and 3 */
	CU_ASSERT_EQUAL(ipx_ike_upsert_counter(st, 1, "", "ike-rekey-init", 3), 0);
	CU_ASSERT_EQUAL(ipx_ike_upsert_counter(st, 1, "", "invalid-spi", 0), 0);
	CU_ASSERT_EQUAL(ipx_ike_upsert_counter(st, 1, "lab4", "child-rekey", 1ULL << 40), 0);
	ipx_ike_sync_end(st, 1, IPX_IKE_KIND_COUNTERS);
	CU_ASSERT_EQUAL(walk(g, counter_entry, base), 4 * 3);

	/* the first instance: the source of row 1 */
	CU_ASSERT_EQUAL(getnext(g, counter_entry, base, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(outlen, base + 2);
	CU_ASSERT_EQUAL(out[base], 2);
	CU_ASSERT_EQUAL(out[base + 1], 1);
	CU_ASSERT_EQUAL(v.type, ASN_UNSIGNED);
	CU_ASSERT_EQUAL(v.l, 1);
	CU_ASSERT_EQUAL(get_col(g, counter_entry, base, 3, 1, &v), 0); /* scope: all of charon */
	CU_ASSERT_TRUE(text_is(&v, ""));
	CU_ASSERT_EQUAL(get_col(g, counter_entry, base, 4, 1, &v), 0);
	CU_ASSERT_TRUE(text_is(&v, "ike-rekey-init"));
	CU_ASSERT_EQUAL(get_col(g, counter_entry, base, 5, 1, &v), 0);
	CU_ASSERT_EQUAL(v.type, ASN_COUNTER64);
	CU_ASSERT_EQUAL(c64(&v), 3);
	CU_ASSERT_EQUAL(get_col(g, counter_entry, base, 3, 3, &v), 0);
	CU_ASSERT_TRUE(text_is(&v, "lab4"));
	CU_ASSERT_EQUAL(get_col(g, counter_entry, base, 5, 3, &v), 0);
	CU_ASSERT_EQUAL(c64(&v), 1ULL << 40);
	/* no such row, column or index form */
	CU_ASSERT_EQUAL(get_col(g, counter_entry, base, 5, 4, &v), SNMP_NOSUCHINSTANCE);
	CU_ASSERT_EQUAL(get_col(g, counter_entry, base, 5, 0, &v), SNMP_NOSUCHINSTANCE);
	CU_ASSERT_NOT_EQUAL(get_col(g, counter_entry, base, 6, 1, &v), 0);

	/* the next listing lacks invalid-spi: row 2 goes, 1 and 3 keep their ids */
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_COUNTERS);
	ipx_ike_upsert_counter(st, 1, "", "ike-rekey-init", 4);
	ipx_ike_upsert_counter(st, 1, "lab4", "child-rekey", 2);
	ipx_ike_sync_end(st, 1, IPX_IKE_KIND_COUNTERS);
	CU_ASSERT_EQUAL(walk(g, counter_entry, base), 4 * 2);
	CU_ASSERT_EQUAL(get_col(g, counter_entry, base, 5, 2, &v), SNMP_NOSUCHINSTANCE);
	CU_ASSERT_EQUAL(get_col(g, counter_entry, base, 5, 1, &v), 0);
	CU_ASSERT_EQUAL(c64(&v), 4);
	/* GETNEXT from row 1's value goes to row 3 of the same column */
	memcpy(name, counter_entry, base * sizeof(oid));
	name[base] = 5;
	name[base + 1] = 1;
	CU_ASSERT_EQUAL(getnext(g, name, base + 2, out, &outlen, &v), 0);
	CU_ASSERT_EQUAL(out[base], 5);
	CU_ASSERT_EQUAL(out[base + 1], 3);
	CU_ASSERT_EQUAL(c64(&v), 2);
	/* past the last value: end of the table */
	name[base + 1] = 3;
	CU_ASSERT_NOT_EQUAL(getnext(g, name, base + 2, out, &outlen, &v), 0);
	ipx_ike_store_free(st);
}

static void test_no_ike_store(void)
{
	struct ipx_val v;

	ictx.ike = NULL;
	CU_ASSERT_EQUAL(walk(ikeSaTable_group(&ictx), ike_sa_entry, OID_LENGTH(ike_sa_entry)), 0);
	CU_ASSERT_EQUAL(walk(ikeChildSaTable_group(&ictx), child_entry, OID_LENGTH(child_entry)),
	                0);
	CU_ASSERT_EQUAL(walk(ipsecConnTable_group(&ictx), conn_entry, OID_LENGTH(conn_entry)), 0);
	CU_ASSERT_EQUAL(walk(ipsecCertTable_group(&ictx), cert_entry, OID_LENGTH(cert_entry)), 0);
	CU_ASSERT_EQUAL(
	    walk(ipsecIkeCounterTable_group(&ictx), counter_entry, OID_LENGTH(counter_entry)), 0);
	CU_ASSERT_EQUAL(
	    get_col(ikeSaTable_group(&ictx), ike_sa_entry, OID_LENGTH(ike_sa_entry), 3, 1, &v),
	    SNMP_NOSUCHINSTANCE);
	CU_ASSERT_EQUAL(
	    get_col(ipsecSaTable_group(&ictx), sa_entry, OID_LENGTH(sa_entry), 55, 2, &v), 0);
	CU_ASSERT_EQUAL(v.l, 0);
	ictx.ike = ike;
}

int main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("mib", setup, teardown);
	CU_add_test(s, "SA walk counts", test_sa_walk_counts);
	CU_add_test(s, "SA first instance and values", test_sa_first_and_values);
	CU_add_test(s, "SA GET errors", test_sa_get_errors);
	CU_add_test(s, "sparse column", test_sparse_column_skips_rows);
	CU_add_test(s, "template table", test_tmpl_table);
	CU_add_test(s, "scalars", test_scalars);
	CU_add_test(s, "drop counters follow kernel names", test_drop_counters_follow_kernel_names);
	CU_add_test(s, "walk while rows change", test_walk_while_rows_change);
	s = CU_add_suite("ike", setup_ike, teardown_ike);
	CU_add_test(s, "IKE SA walk and GETNEXT order", test_ike_sa_walk);
	CU_add_test(s, "IKE SA values and missing instances", test_ike_sa_values);
	CU_add_test(s, "CHILD_SA table", test_child_table);
	CU_add_test(s, "kernel SA owners", test_sa_owner_columns);
	CU_add_test(s, "connection table", test_conn_table);
	CU_add_test(s, "certificate table", test_cert_table);
	CU_add_test(s, "IKE counter table", test_counter_table);
	CU_add_test(s, "IKE source table", test_source_table);
	CU_add_test(s, "IKE SA Cisco state", test_ike_sa_cisco_state);
	CU_add_test(s, "connection counters survive a rekey", test_conn_counters_survive_rekey);
	CU_add_test(s, "no IKE store", test_no_ike_store);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
