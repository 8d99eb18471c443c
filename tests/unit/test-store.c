/* Unit tests of the store: identity, stable ids, ordered walks, resync, observers. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <CUnit/Basic.h>

#include "ipsec_agentx/store.h"

static struct ipx_sa make_sa(uint32_t spi, const char *dst)
{
	struct ipx_sa sa;

	memset(&sa, 0, sizeof(sa));
	sa.key.daddr.family = AF_INET;
	inet_pton(AF_INET, dst, sa.key.daddr.bytes);
	sa.saddr.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", sa.saddr.bytes);
	sa.key.spi = spi;
	sa.key.proto = 50;
	sa.reqid = 1;
	return sa;
}

struct event_log {
	int n[IPX_EV_RESYNC_DONE + 1];
	uint64_t last_old_bytes;
};

static void record(void *ctx, const struct ipx_store_event *ev)
{
	struct event_log *log = ctx;

	log->n[ev->type]++;
	if (ev->type == IPX_EV_SA_UPDATE)
		log->last_old_bytes = ev->old->bytes;
}

static void test_ids_are_stable_and_ordered(void)
{
	struct ipx_store *st = ipx_store_new();
	struct ipx_sa a = make_sa(0x100, "192.0.2.2"), b = make_sa(0x200, "192.0.2.2");
	const struct ipx_sa_row *ra, *rb;

	CU_ASSERT_EQUAL(ipx_store_sa_upsert(st, &a, 10), 0);
	CU_ASSERT_EQUAL(ipx_store_sa_upsert(st, &b, 10), 0);
	ra = ipx_store_sa_find(st, &a.key);
	rb = ipx_store_sa_find(st, &b.key);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ra);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	CU_ASSERT_EQUAL(ra->id, 1);
	CU_ASSERT_EQUAL(rb->id, 2);
	CU_ASSERT_EQUAL(ra->first_seen, 10);
	/* An update keeps the row and its id. */
	a.cur_bytes = 4242;
	CU_ASSERT_EQUAL(ipx_store_sa_upsert(st, &a, 20), 0);
	CU_ASSERT_PTR_EQUAL(ipx_store_sa_find(st, &a.key), ra);
	CU_ASSERT_EQUAL(ra->sa.cur_bytes, 4242);
	CU_ASSERT_EQUAL(ra->first_seen, 10);
	/* A deleted id is not handed out again. */
	CU_ASSERT_EQUAL(ipx_store_sa_delete(st, &a.key), 0);
	CU_ASSERT_EQUAL(ipx_store_sa_delete(st, &a.key), -ENOENT);
	CU_ASSERT_EQUAL(ipx_store_sa_upsert(st, &a, 30), 0);
	CU_ASSERT_EQUAL(ipx_store_sa_find(st, &a.key)->id, 3);
	CU_ASSERT_PTR_NULL(ipx_store_sa_by_id(st, 1));
	CU_ASSERT_EQUAL(ipx_store_sa_next(st, 0)->id, 2);
	CU_ASSERT_EQUAL(ipx_store_sa_next(st, 2)->id, 3);
	CU_ASSERT_PTR_NULL(ipx_store_sa_next(st, 3));
	CU_ASSERT_PTR_NULL(ipx_store_sa_next(st, UINT32_MAX));
	CU_ASSERT_EQUAL(ipx_store_sa_count(st), 2);
	ipx_store_free(st);
}

static void test_key_ignores_bytes_after_ipv4_address(void)
{
	struct ipx_store *st = ipx_store_new();
	struct ipx_sa a = make_sa(0x100, "192.0.2.2");
	struct ipx_sa_key k = a.key;

	ipx_store_sa_upsert(st, &a, 1);
	memset(k.daddr.bytes + 4, 0xab, 12);
	CU_ASSERT_PTR_NOT_NULL(ipx_store_sa_find(st, &k));
	/* Mark, if_id and protocol are part of the identity. */
	k.mark_value = 7;
	CU_ASSERT_PTR_NULL(ipx_store_sa_find(st, &k));
	k = a.key;
	k.proto = 51;
	CU_ASSERT_PTR_NULL(ipx_store_sa_find(st, &k));
	ipx_store_free(st);
}

static void test_direction(void)
{
	struct ipx_store *st = ipx_store_new();
	struct ipx_sa in = make_sa(1, "192.0.2.1"), out = make_sa(2, "192.0.2.2");
	struct ipx_sa told = make_sa(3, "192.0.2.2");
	struct ipx_addr local = {.family = AF_INET};

	/* out: src 192.0.2.1 is local; in: dst 192.0.2.1 is local. */
	ipx_store_sa_upsert(st, &in, 1);
	ipx_store_sa_upsert(st, &out, 1);
	told.kernel_dir = IPX_DIR_IN;
	ipx_store_sa_upsert(st, &told, 1);
	CU_ASSERT_EQUAL(ipx_store_sa_find(st, &in.key)->dir, IPX_DIR_UNKNOWN);
	inet_pton(AF_INET, "192.0.2.1", local.bytes);
	CU_ASSERT_EQUAL(ipx_store_set_local_addrs(st, &local, 1), 0);
	CU_ASSERT_EQUAL(ipx_store_sa_find(st, &in.key)->dir, IPX_DIR_IN);
	CU_ASSERT_EQUAL(ipx_store_sa_find(st, &out.key)->dir, IPX_DIR_OUT);
	/* The kernel's own word (XFRMA_SA_DIR) wins over the guess. */
	CU_ASSERT_EQUAL(ipx_store_sa_find(st, &told.key)->dir, IPX_DIR_IN);
	/* The same set again changes nothing; another set re-derives every row. */
	CU_ASSERT_EQUAL(ipx_store_set_local_addrs(st, &local, 1), 0);
	CU_ASSERT_EQUAL(ipx_store_sa_find(st, &in.key)->dir, IPX_DIR_IN);
	inet_pton(AF_INET, "192.0.2.2", local.bytes);
	CU_ASSERT_EQUAL(ipx_store_set_local_addrs(st, &local, 1), 0);
	/* (every SA here has source 192.0.2.1) */
	CU_ASSERT_EQUAL(ipx_store_sa_find(st, &in.key)->dir, IPX_DIR_UNKNOWN);
	CU_ASSERT_EQUAL(ipx_store_sa_find(st, &out.key)->dir, IPX_DIR_IN);
	CU_ASSERT_EQUAL(ipx_store_set_local_addrs(st, NULL, 0), 0);
	CU_ASSERT_EQUAL(ipx_store_sa_find(st, &out.key)->dir, IPX_DIR_UNKNOWN);
	ipx_store_free(st);
}

static void test_resync_sweeps_and_notifies(void)
{
	struct ipx_store *st = ipx_store_new();
	struct event_log log = {0};
	struct ipx_sa sa[4];

	CU_ASSERT_EQUAL(ipx_store_observe(st, record, &log), 0);
	for (int i = 0; i < 4; i++) {
		sa[i] = make_sa(0x1000 + (uint32_t)i, "192.0.2.2");
		ipx_store_sa_upsert(st, &sa[i], 1);
	}
	CU_ASSERT_EQUAL(log.n[IPX_EV_SA_ADD], 4);
	/* The kernel now has only SAs 1 and 3, with traffic on 1. */
	ipx_store_sync_begin(st, IPX_SYNC_SA);
	sa[1].cur_bytes = 99;
	ipx_store_sa_upsert(st, &sa[1], 2);
	ipx_store_sa_upsert(st, &sa[3], 2);
	CU_ASSERT_EQUAL(ipx_store_sync_end(st, IPX_SYNC_SA), 2);
	CU_ASSERT_EQUAL(log.n[IPX_EV_SA_DELETE], 2);
	CU_ASSERT_EQUAL(log.n[IPX_EV_SA_UPDATE], 2);
	CU_ASSERT_EQUAL(log.n[IPX_EV_RESYNC_DONE], 1);
	CU_ASSERT_EQUAL(log.last_old_bytes, 0);
	CU_ASSERT_EQUAL(ipx_store_sa_count(st), 2);
	CU_ASSERT_PTR_NULL(ipx_store_sa_find(st, &sa[0].key));
	CU_ASSERT_EQUAL(ipx_store_sa_find(st, &sa[1].key)->sa.cur_bytes, 99);
	ipx_store_free(st);
}

/* The sweep is skipped when the dump returned every row; deletes keep the count right. */
static void test_resync_counts_seen_rows(void)
{
	struct ipx_store *st = ipx_store_new();
	struct ipx_sa sa[5];

	for (int i = 0; i < 5; i++) {
		sa[i] = make_sa(0x2000 + (uint32_t)i, "192.0.2.2");
		ipx_store_sa_upsert(st, &sa[i], 1);
	}
	ipx_store_sync_begin(st, IPX_SYNC_SA);
	for (int i = 0; i < 5; i++)
		ipx_store_sa_upsert(st, &sa[i], 2);
	ipx_store_sa_delete(st, &sa[0].key); /* a seen row goes */
	CU_ASSERT_EQUAL(ipx_store_sync_end(st, IPX_SYNC_SA), 0);
	CU_ASSERT_EQUAL(ipx_store_sa_count(st), 4);
	/* Next dump misses two rows, returns one new one. */
	ipx_store_sync_begin(st, IPX_SYNC_SA);
	ipx_store_sa_upsert(st, &sa[1], 3);
	ipx_store_sa_upsert(st, &sa[2], 3);
	ipx_store_sa_upsert(st, &sa[0], 3);
	ipx_store_sa_delete(st, &sa[2].key);
	CU_ASSERT_EQUAL(ipx_store_sync_end(st, IPX_SYNC_SA), 2);
	CU_ASSERT_EQUAL(ipx_store_sa_count(st), 2);
	CU_ASSERT_PTR_NOT_NULL(ipx_store_sa_find(st, &sa[0].key));
	CU_ASSERT_PTR_NOT_NULL(ipx_store_sa_find(st, &sa[1].key));
	ipx_store_free(st);
}

static void test_expire(void)
{
	struct ipx_store *st = ipx_store_new();
	struct event_log log = {0};
	struct ipx_sa sa = make_sa(0x77, "192.0.2.2");

	ipx_store_observe(st, record, &log);
	ipx_store_sa_upsert(st, &sa, 1);
	CU_ASSERT_EQUAL(ipx_store_sa_expire(st, &sa, 0, 2), 0);
	CU_ASSERT_EQUAL(log.n[IPX_EV_SA_EXPIRE_SOFT], 1);
	CU_ASSERT_TRUE(ipx_store_sa_find(st, &sa.key)->soft_expired);
	/* A hard expiry deletes the SA: the kernel sends no DELSA for it. */
	CU_ASSERT_EQUAL(ipx_store_sa_expire(st, &sa, 1, 3), 0);
	CU_ASSERT_EQUAL(log.n[IPX_EV_SA_EXPIRE_HARD], 1);
	CU_ASSERT_EQUAL(log.n[IPX_EV_SA_DELETE], 1);
	CU_ASSERT_PTR_NULL(ipx_store_sa_find(st, &sa.key));
	ipx_store_free(st);
}

/* A walk by "next id" sees every live row once, in order, whatever was deleted. */
static void test_walk_under_churn(void)
{
	enum { N = 20000 };
	struct ipx_store *st = ipx_store_new();
	static char alive[N + 1];
	size_t seen = 0, expected = 0;
	uint32_t last = 0;

	srand(42);
	for (uint32_t i = 1; i <= N; i++) {
		struct ipx_sa sa = make_sa(i, "198.51.100.7");
		CU_ASSERT_EQUAL_FATAL(ipx_store_sa_upsert(st, &sa, 1), 0);
		alive[i] = 1;
	}
	for (int i = 0; i < N * 3 / 4; i++) {
		uint32_t spi = (uint32_t)(rand() % N) + 1;
		struct ipx_sa sa = make_sa(spi, "198.51.100.7");
		if (ipx_store_sa_delete(st, &sa.key) == 0)
			alive[spi] = 0;
	}
	for (uint32_t i = 1; i <= N; i++)
		expected += alive[i];
	for (const struct ipx_sa_row *r = ipx_store_sa_next(st, 0); r;
	     r = ipx_store_sa_next(st, r->id)) {
		CU_ASSERT_TRUE(r->id > last);
		CU_ASSERT_TRUE(alive[r->sa.key.spi]);
		last = r->id;
		seen++;
	}
	CU_ASSERT_EQUAL(seen, expected);
	CU_ASSERT_EQUAL(ipx_store_sa_count(st), expected);
	ipx_store_free(st);
}

static void test_policies(void)
{
	struct ipx_store *st = ipx_store_new();
	struct ipx_policy p;
	struct ipx_policy_key other = {.index = 9, .ptype = 0};

	memset(&p, 0, sizeof(p));
	p.key.index = 8;
	p.dir = IPX_POLICY_OUT;
	CU_ASSERT_EQUAL(ipx_store_policy_upsert(st, &p, 1), 0);
	CU_ASSERT_EQUAL(ipx_store_policy_find(st, &p.key)->id, 1);
	CU_ASSERT_PTR_NULL(ipx_store_policy_find(st, &other));
	ipx_store_sync_begin(st, IPX_SYNC_POLICY);
	CU_ASSERT_EQUAL(ipx_store_sync_end(st, IPX_SYNC_POLICY), 1);
	CU_ASSERT_EQUAL(ipx_store_policy_count(st), 0);
	ipx_store_free(st);
}

static void test_xfrm_stat(void)
{
	struct ipx_store *st = ipx_store_new();
	char(*names)[48] = calloc(2, sizeof(*names));
	uint64_t *values = calloc(2, sizeof(*values)), v = 0;

	strcpy(names[0], "XfrmInError");
	strcpy(names[1], "XfrmInNoStates");
	values[1] = 5;
	ipx_store_set_xfrm_stat(st, names, values, 2);
	CU_ASSERT_EQUAL(ipx_store_xfrm_stat_get(st, "XfrmInNoStates", &v), 0);
	CU_ASSERT_EQUAL(v, 5);
	CU_ASSERT_EQUAL(ipx_store_xfrm_stat_get(st, "XfrmNothing", &v), -ENOENT);
	ipx_store_free(st);
}

int main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("store", NULL, NULL);
	CU_add_test(s, "ids are stable and ordered", test_ids_are_stable_and_ordered);
	CU_add_test(s, "IPv4 key ignores trailing bytes",
	            test_key_ignores_bytes_after_ipv4_address);
	CU_add_test(s, "direction", test_direction);
	CU_add_test(s, "resync sweeps and notifies", test_resync_sweeps_and_notifies);
	CU_add_test(s, "resync counts seen rows", test_resync_counts_seen_rows);
	CU_add_test(s, "expire", test_expire);
	CU_add_test(s, "walk under churn", test_walk_under_churn);
	CU_add_test(s, "policies", test_policies);
	CU_add_test(s, "xfrm_stat", test_xfrm_stat);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
