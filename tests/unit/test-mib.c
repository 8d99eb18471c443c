/*
 * In-process tests of the MIB groups: the real table engine and column getters against a
 * store filled with known rows, the way snmpd would drive them (GET and GETNEXT).
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include <CUnit/Basic.h>

#include "groups.h"
#include "oids.h"

static const oid sa_entry[] = {IPX_OID_SA_ENTRY};
static const oid tmpl_entry[] = {IPX_OID_TMPL_ENTRY};
static const oid status_group[] = {IPX_OID_AGENT_STATUS};
static const oid stats_group[] = {IPX_OID_XFRM_STATS};

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
	strcpy(sa.aead.name, "rfc4106(gcm(aes))");
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
	/* 53 columns; 3 rows; mark and mask exist on one row only; no SA has an if_id
	 * nor was ever used (LastUsed). */
	CU_ASSERT_EQUAL(walk(g, sa_entry, OID_LENGTH(sa_entry)), 53 * 3 - 2 * 2 - 3 - 3);
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
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
