/*
 * Unit tests of the notifier (notify.h): a real XFRM store and a real IKE store, IKE
 * events and ticks with chosen clocks, the notifications collected in an array.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <CUnit/Basic.h>

#include "ike-rows.h"

#include "ipsec_agentx/notify.h"

#define MAX_GOT 512

/* ---- the harness -------------------------------------------------------------------------- */

struct env {
	struct ipx_store *xfrm;
	struct ipx_ike_store *ike;
	struct ipx_notifier *n;
	struct ipx_notification got[MAX_GOT];
	size_t n_got;
};

static struct env E;

static void collect(void *arg, const struct ipx_notification *x)
{
	struct env *e = arg;

	if (e->n_got < MAX_GOT)
		e->got[e->n_got] = *x;
	e->n_got++;
}

static int addr_is(const struct ipx_addr *a, const char *s)
{
	struct ipx_addr b;

	set_addr(&b, s);
	return a->family == AF_INET && !memcmp(a->bytes, b.bytes, 4);
}

static void env_open(const struct ipx_notify_config *cfg)
{
	struct ipx_addr local;

	memset(&E, 0, sizeof(E));
	E.xfrm = ipx_store_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(E.xfrm);
	set_addr(&local, LOCAL4);
	CU_ASSERT_EQUAL(ipx_store_set_local_addrs(E.xfrm, &local, 1), 0);
	E.ike = ipx_ike_store_new(E.xfrm);
	CU_ASSERT_PTR_NOT_NULL_FATAL(E.ike);
	E.n = ipx_notifier_new(cfg, E.xfrm, E.ike, collect, &E);
	CU_ASSERT_PTR_NOT_NULL_FATAL(E.n);
}

static void env_close(void)
{
	ipx_notifier_free(E.n);
	ipx_ike_store_free(E.ike);
	ipx_store_free(E.xfrm);
}

/* The defaults without the rate limit, so that a test sees every notification. */
static struct ipx_notify_config cfg_unlimited(void)
{
	struct ipx_notify_config c;

	ipx_notify_config_defaults(&c);
	c.rate_limit = 0;
	return c;
}

static size_t count_type(enum ipx_notify_type t)
{
	size_t i, k = 0;

	for (i = 0; i < E.n_got && i < MAX_GOT; i++)
		k += E.got[i].type == t;
	return k;
}

static const struct ipx_notification *last(void)
{
	return E.n_got ? &E.got[(E.n_got < MAX_GOT ? E.n_got : MAX_GOT) - 1] : NULL;
}

static const struct ipx_notify_stats *stats(void)
{
	return ipx_notifier_stats(E.n);
}

static void add_conn(uint32_t source, const char *name, const char *child)
{
	struct ipx_ike_conn c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.child, sizeof(c.child), "%s", child);
	CU_ASSERT_EQUAL(ipx_ike_upsert_conn(E.ike, source, &c), 0);
}

static uint32_t conn_id(uint32_t source, const char *name, const char *child)
{
	const struct ipx_conn_row *r = ipx_conn_find(E.ike, source, name, child);

	return r ? r->h.id : 0;
}

static uint32_t ike_id(uint32_t source, uint32_t uid)
{
	const struct ipx_ike_sa_row *r = ipx_ike_sa_find(E.ike, source, uid);

	return r ? r->h.id : 0;
}

static uint32_t child_id(uint32_t source, uint32_t uid)
{
	const struct ipx_child_row *r = ipx_child_find(E.ike, source, uid);

	return r ? r->h.id : 0;
}

static struct ipx_sa mk_kernel(uint32_t spi, const char *src, const char *dst, uint32_t reqid)
{
	struct ipx_sa sa;

	memset(&sa, 0, sizeof(sa));
	set_addr(&sa.key.daddr, dst);
	set_addr(&sa.saddr, src);
	sa.key.spi = spi;
	sa.key.proto = IPPROTO_ESP;
	sa.reqid = reqid;
	sa.mode = IPX_MODE_TUNNEL;
	sa.add_time = (uint64_t)time(NULL) - 100;
	return sa;
}

static uint32_t sa_id(const struct ipx_sa *sa)
{
	const struct ipx_sa_row *r = ipx_store_sa_find(E.xfrm, &sa->key);

	return r ? r->id : 0;
}

static void ev(enum ipx_ike_event_type type, uint32_t source, const struct ipx_ike_sa *ike,
               const struct ipx_child_sa *child, uint8_t reason, double now)
{
	struct ipx_ike_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.source = source;
	e.ike = ike;
	e.child = child;
	e.reason = reason;
	ipx_notifier_ike_event(E.n, &e, now);
}

static void ev_rekey(enum ipx_ike_event_type type, uint32_t source, const struct ipx_ike_sa *ike,
                     const struct ipx_ike_sa *old_ike, const struct ipx_child_sa *child,
                     const struct ipx_child_sa *old_child, double now)
{
	struct ipx_ike_event e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.source = source;
	e.ike = ike;
	e.old_ike = old_ike;
	e.child = child;
	e.old_child = old_child;
	ipx_notifier_ike_event(E.n, &e, now);
}

/* ---- configuration -------------------------------------------------------------------------- */

static void test_config(void)
{
	struct ipx_notify_config c, d;
	const char *why = NULL;

	ipx_notify_config_defaults(&c);
	CU_ASSERT_EQUAL(c.enabled, IPX_NOTIFY_ENABLED_ALL);
	CU_ASSERT_EQUAL(IPX_NOTIFY_ENABLED_ALL, 0x1ffeu);
	CU_ASSERT_EQUAL(c.rekey_rate_max, 5);
	CU_ASSERT_EQUAL(c.rekey_rate_window, 600);
	CU_ASSERT_EQUAL(c.rekey_overdue_margin, 60);
	CU_ASSERT_EQUAL(c.drop_high, 100);
	CU_ASSERT_EQUAL(c.drop_window, 60);
	CU_ASSERT_EQUAL(c.drop_low, 10);
	CU_ASSERT_EQUAL(c.conn_down_after, 300);
	CU_ASSERT_EQUAL(c.cert_expiry_days, 30);
	CU_ASSERT_EQUAL(c.rate_limit, 10);
	CU_ASSERT_EQUAL(c.rate_window, 60);
	CU_ASSERT_EQUAL(ipx_notify_config_check(&c, &why), 0);
	CU_ASSERT_PTR_NULL(why);

	d = c;
	d.drop_low = 100;
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "drop_low"));
	d.drop_low = 150;
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, NULL), -EINVAL);
	/* without a high mark, the low one means nothing */
	d.drop_high = 0;
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, NULL), 0);

	d = c;
	d.rekey_rate_window = 0;
	why = NULL;
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "rekey_rate_window"));
	d.rekey_rate_max = 0;
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, NULL), 0);

	d = c;
	d.drop_window = 0;
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "drop_window"));
	d.drop_high = 0;
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, NULL), 0);

	d = c;
	d.rate_window = 0;
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "rate_window"));
	d.rate_limit = 0;
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, NULL), 0);

	d = c;
	d.enabled = 1u; /* bit 0 is no type */
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, &why), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "enabled"));
	d.enabled = 1u << (IPX_NOTIFY_MAX + 1);
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, NULL), -EINVAL);
	d.enabled = 0;
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, NULL), 0);
	d.enabled = 1u << IPX_NOTIFY_MAX;
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, NULL), 0);

	d = c;
	d.rate_limit = IPX_NOTIFY_COUNT_MAX + 1;
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, NULL), -EINVAL);
	d.rate_limit = IPX_NOTIFY_COUNT_MAX;
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, NULL), 0);
	d.rekey_rate_max = IPX_NOTIFY_COUNT_MAX + 1;
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, NULL), -EINVAL);

	/* all checks off is a valid configuration */
	memset(&d, 0, sizeof(d));
	CU_ASSERT_EQUAL(ipx_notify_config_check(&d, NULL), 0);
}

/* ---- IKE events ----------------------------------------------------------------------------- */

static void test_ike_updown_fields(void)
{
	struct ipx_notify_config cfg = cfg_unlimited();
	struct ipx_ike_sa ike = mk_ike(1, "lab4");
	struct ipx_child_sa c = mk_child(2, 1, "net4", 0xc1000001, 0xc2000001);
	struct ipx_child_sa gone = mk_child(9, 1, "net4", 0xc1000009, 0xc2000009);
	const struct ipx_notification *x;

	env_open(&cfg);
	add_conn(1, "lab4", "net4");
	add_conn(1, "lab4", "net4b");
	CU_ASSERT_EQUAL(ipx_ike_upsert_sa(E.ike, 1, &ike), 0);
	ev(IPX_IKE_EV_IKE_UP, 1, &ike, NULL, 0, 100);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 1);
	x = last();
	CU_ASSERT_EQUAL(x->type, IPX_NOTIFY_IKE_UP);
	CU_ASSERT_EQUAL(x->source, 1);
	CU_ASSERT_STRING_EQUAL(x->conn, "lab4");
	CU_ASSERT_STRING_EQUAL(x->child, "");
	CU_ASSERT_EQUAL(x->ike_index, ike_id(1, 1));
	CU_ASSERT(x->ike_index != 0);
	/* connection-level: the connection's first row */
	CU_ASSERT_EQUAL(x->conn_index, conn_id(1, "lab4", "net4"));
	CU_ASSERT(x->conn_index != 0);
	CU_ASSERT_EQUAL(x->child_index, 0);
	CU_ASSERT(addr_is(&x->local, LOCAL4));
	CU_ASSERT(addr_is(&x->remote, REMOTE4));
	CU_ASSERT_EQUAL(x->ike_spi_i, 0x1001);
	CU_ASSERT_EQUAL(x->ike_spi_r, 0x2001);
	CU_ASSERT_EQUAL(x->reason, 0);

	CU_ASSERT_EQUAL(ipx_ike_upsert_child(E.ike, 1, &c), 0);
	ev(IPX_IKE_EV_CHILD_UP, 1, &ike, &c, 0, 101);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 2);
	x = last();
	CU_ASSERT_EQUAL(x->type, IPX_NOTIFY_CHILD_UP);
	CU_ASSERT_STRING_EQUAL(x->conn, "lab4");
	CU_ASSERT_STRING_EQUAL(x->child, "net4");
	CU_ASSERT_EQUAL(x->child_index, child_id(1, 2));
	CU_ASSERT(x->child_index != 0);
	CU_ASSERT_EQUAL(x->ike_index, ike_id(1, 1));
	CU_ASSERT_EQUAL(x->conn_index, conn_id(1, "lab4", "net4"));
	CU_ASSERT_EQUAL(x->spi_in, 0xc1000001);
	CU_ASSERT_EQUAL(x->spi_out, 0xc2000001);
	CU_ASSERT_EQUAL(x->ike_spi_i, 0x1001);

	/* downs come while the rows exist (then the caller deletes them) */
	ev(IPX_IKE_EV_CHILD_DOWN, 1, &ike, &c, IPX_DOWN_PEER, 200);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 3);
	x = last();
	CU_ASSERT_EQUAL(x->type, IPX_NOTIFY_CHILD_DOWN);
	CU_ASSERT_EQUAL(x->reason, IPX_DOWN_PEER);
	CU_ASSERT_EQUAL(x->child_index, child_id(1, 2));
	CU_ASSERT(x->child_index != 0);
	CU_ASSERT_EQUAL(ipx_ike_delete_child(E.ike, 1, 2), 0);

	/* the IKE SA from the store when the event has none */
	ev(IPX_IKE_EV_CHILD_DOWN, 1, NULL, &gone, IPX_DOWN_LOCAL, 201);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 4);
	x = last();
	CU_ASSERT_STRING_EQUAL(x->conn, "lab4");
	CU_ASSERT_STRING_EQUAL(x->child, "net4");
	CU_ASSERT_EQUAL(x->child_index, 0); /* not in the store */
	CU_ASSERT_EQUAL(x->ike_index, ike_id(1, 1));
	CU_ASSERT_EQUAL(x->conn_index, conn_id(1, "lab4", "net4"));
	CU_ASSERT_EQUAL(x->spi_in, 0xc1000009);

	ev(IPX_IKE_EV_IKE_DOWN, 1, &ike, NULL, IPX_DOWN_TIMEOUT, 202);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 5);
	x = last();
	CU_ASSERT_EQUAL(x->type, IPX_NOTIFY_IKE_DOWN);
	CU_ASSERT_EQUAL(x->reason, IPX_DOWN_TIMEOUT);
	CU_ASSERT_EQUAL(x->ike_index, ike_id(1, 1));
	CU_ASSERT_EQUAL(ipx_ike_delete_sa(E.ike, 1, 1), 0);

	/* rows already gone: still sent, with the event's names and no indexes */
	ev(IPX_IKE_EV_IKE_DOWN, 1, &ike, NULL, IPX_DOWN_UNKNOWN, 210);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 6);
	x = last();
	CU_ASSERT_STRING_EQUAL(x->conn, "lab4");
	CU_ASSERT_EQUAL(x->ike_index, 0);
	CU_ASSERT(addr_is(&x->remote, REMOTE4));

	/* events without their SA say nothing */
	ev(IPX_IKE_EV_IKE_UP, 1, NULL, NULL, 0, 220);
	ev(IPX_IKE_EV_CHILD_UP, 1, &ike, NULL, 0, 220);
	CU_ASSERT_EQUAL(E.n_got, 6);
	CU_ASSERT_EQUAL(stats()->sent[IPX_NOTIFY_IKE_UP], 1);
	CU_ASSERT_EQUAL(stats()->sent[IPX_NOTIFY_IKE_DOWN], 2);
	CU_ASSERT_EQUAL(stats()->sent[IPX_NOTIFY_CHILD_DOWN], 2);
	env_close();
}

static void test_rekey_duplicates(void)
{
	struct ipx_notify_config cfg = cfg_unlimited();
	struct ipx_ike_sa ike = mk_ike(1, "lab4"), ike2 = mk_ike(10, "lab4");
	struct ipx_child_sa c2 = mk_child(2, 1, "net4", 0xa2, 0xb2);
	struct ipx_child_sa c3 = mk_child(3, 1, "net4", 0xa3, 0xb3);
	struct ipx_child_sa c4 = mk_child(4, 1, "net4", 0xa4, 0xb4);
	struct ipx_child_sa c5 = mk_child(5, 1, "net4", 0xa5, 0xb5);
	const struct ipx_notification *x;

	env_open(&cfg);
	add_conn(1, "lab4", "net4");
	ipx_ike_upsert_sa(E.ike, 1, &ike);
	ipx_ike_upsert_child(E.ike, 1, &c2);
	c2.state = IPX_CHILD_REKEYED;
	ipx_ike_upsert_child(E.ike, 1, &c2);
	ipx_ike_upsert_child(E.ike, 1, &c3);
	ev_rekey(IPX_IKE_EV_CHILD_REKEY, 1, &ike, NULL, &c3, &c2, 100);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 1);
	x = last();
	CU_ASSERT_EQUAL(x->type, IPX_NOTIFY_CHILD_REKEYED);
	CU_ASSERT_STRING_EQUAL(x->conn, "lab4");
	CU_ASSERT_STRING_EQUAL(x->child, "net4");
	CU_ASSERT_EQUAL(x->child_index, child_id(1, 3));
	CU_ASSERT_EQUAL(x->conn_index, conn_id(1, "lab4", "net4"));
	CU_ASSERT_EQUAL(x->spi_in, 0xa3);
	CU_ASSERT_EQUAL(x->spi_out, 0xb3);
	CU_ASSERT_EQUAL(x->old_spi_in, 0xa2);
	CU_ASSERT_EQUAL(x->old_spi_out, 0xb2);

	/* charon then deletes the old CHILD_SA: no outage */
	ev(IPX_IKE_EV_CHILD_DOWN, 1, &ike, &c2, IPX_DOWN_LOCAL, 105);
	CU_ASSERT_EQUAL(E.n_got, 1);
	CU_ASSERT_EQUAL(stats()->duplicates, 1);
	ipx_ike_delete_child(E.ike, 1, 2);
	/* the new one going down is news */
	ev(IPX_IKE_EV_CHILD_DOWN, 1, &ike, &c3, IPX_DOWN_PEER, 110);
	CU_ASSERT_EQUAL(E.n_got, 2);
	CU_ASSERT_EQUAL(last()->type, IPX_NOTIFY_CHILD_DOWN);

	/* an old side's down more than 60 s after its rekey is news too */
	ev_rekey(IPX_IKE_EV_CHILD_REKEY, 1, &ike, NULL, &c5, &c4, 200);
	CU_ASSERT_EQUAL(E.n_got, 3);
	ev(IPX_IKE_EV_CHILD_DOWN, 1, &ike, &c4, IPX_DOWN_PEER, 259.5);
	CU_ASSERT_EQUAL(E.n_got, 3);
	CU_ASSERT_EQUAL(stats()->duplicates, 2);
	ev(IPX_IKE_EV_CHILD_DOWN, 1, &ike, &c4, IPX_DOWN_PEER, 261);
	CU_ASSERT_EQUAL(E.n_got, 4);
	/* the same old uid of another source is another SA */
	ev_rekey(IPX_IKE_EV_CHILD_REKEY, 1, &ike, NULL, &c3, &c2, 300);
	ev(IPX_IKE_EV_CHILD_DOWN, 2, &ike, &c2, IPX_DOWN_PEER, 301);
	CU_ASSERT_EQUAL(E.n_got, 6);

	/* IKE rekey: the old IKE SA's down is part of it */
	ipx_ike_upsert_sa(E.ike, 1, &ike2);
	ev_rekey(IPX_IKE_EV_IKE_REKEY, 1, &ike2, &ike, NULL, NULL, 400);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 7);
	x = last();
	CU_ASSERT_EQUAL(x->type, IPX_NOTIFY_IKE_REKEYED);
	CU_ASSERT_EQUAL(x->ike_index, ike_id(1, 10));
	CU_ASSERT_EQUAL(x->ike_spi_i, 0x100a);
	CU_ASSERT_EQUAL(x->ike_spi_r, 0x200a);
	CU_ASSERT_EQUAL(x->old_ike_spi_i, 0x1001);
	CU_ASSERT_EQUAL(x->old_ike_spi_r, 0x2001);
	CU_ASSERT_STRING_EQUAL(x->conn, "lab4");
	ev(IPX_IKE_EV_IKE_DOWN, 1, &ike, NULL, IPX_DOWN_LOCAL, 402);
	CU_ASSERT_EQUAL(E.n_got, 7);
	CU_ASSERT_EQUAL(stats()->duplicates, 3);
	ev(IPX_IKE_EV_IKE_DOWN, 1, &ike2, NULL, IPX_DOWN_PEER, 403);
	CU_ASSERT_EQUAL(E.n_got, 8);
	CU_ASSERT_EQUAL(last()->type, IPX_NOTIFY_IKE_DOWN);
	CU_ASSERT_EQUAL(last()->reason, IPX_DOWN_PEER);
	env_close();
}

static void test_repeat_within_a_second(void)
{
	struct ipx_notify_config cfg = cfg_unlimited();
	struct ipx_ike_sa ike = mk_ike(1, "lab4");

	env_open(&cfg);
	ipx_ike_upsert_sa(E.ike, 1, &ike);
	ev(IPX_IKE_EV_IKE_UP, 1, &ike, NULL, 0, 100.0);
	ev(IPX_IKE_EV_IKE_UP, 1, &ike, NULL, 0, 100.5);
	ev(IPX_IKE_EV_IKE_UP, 1, &ike, NULL, 0, 100.99);
	CU_ASSERT_EQUAL(E.n_got, 1);
	CU_ASSERT_EQUAL(stats()->duplicates, 2);
	/* other type, other source: not the same notification */
	ev(IPX_IKE_EV_IKE_DOWN, 1, &ike, NULL, 0, 100.6);
	ev(IPX_IKE_EV_IKE_UP, 2, &ike, NULL, 0, 100.6);
	CU_ASSERT_EQUAL(E.n_got, 3);
	/* a second after the last one sent */
	ev(IPX_IKE_EV_IKE_UP, 1, &ike, NULL, 0, 101.0);
	CU_ASSERT_EQUAL(E.n_got, 4);
	ev(IPX_IKE_EV_IKE_UP, 1, &ike, NULL, 0, 101.5);
	CU_ASSERT_EQUAL(E.n_got, 4);
	CU_ASSERT_EQUAL(stats()->duplicates, 3);
	/* the memory is purged by the passes and still works after */
	ipx_notifier_tick(E.n, 200);
	ev(IPX_IKE_EV_IKE_UP, 1, &ike, NULL, 0, 200.2);
	ev(IPX_IKE_EV_IKE_UP, 1, &ike, NULL, 0, 200.3);
	CU_ASSERT_EQUAL(E.n_got, 5);
	env_close();
}

static void test_source_down(void)
{
	struct ipx_notify_config cfg = cfg_unlimited();
	struct ipx_ike_sa a = mk_ike(1, "lab4"), b = mk_ike(2, "lab4"), c = mk_ike(3, "lab6"),
	                  d = mk_ike(4, "lab6"), other = mk_ike(1, "lab4");
	struct ipx_ike_event e;
	size_t i;

	env_open(&cfg);
	b.state = IPX_IKE_CONNECTING;
	c.state = IPX_IKE_REKEYED;
	d.state = IPX_IKE_PASSIVE;
	ipx_ike_upsert_sa(E.ike, 1, &a);
	ipx_ike_upsert_sa(E.ike, 1, &b);
	ipx_ike_upsert_sa(E.ike, 1, &c);
	ipx_ike_upsert_sa(E.ike, 1, &d);
	ipx_ike_upsert_sa(E.ike, 2, &other);
	memset(&e, 0, sizeof(e));
	e.type = IPX_IKE_EV_SOURCE_DOWN;
	e.source = 1;
	e.reason = IPX_DOWN_DAEMON;
	/* the caller reports it before the store forgets the source's SAs */
	ipx_notifier_ike_event(E.n, &e, 100);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 2);
	for (i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(E.got[i].type, IPX_NOTIFY_IKE_DOWN);
		CU_ASSERT_EQUAL(E.got[i].reason, IPX_DOWN_DAEMON);
		CU_ASSERT_EQUAL(E.got[i].source, 1);
	}
	CU_ASSERT_EQUAL(E.got[0].ike_index, ike_id(1, 1));
	CU_ASSERT_STRING_EQUAL(E.got[0].conn, "lab4");
	CU_ASSERT_EQUAL(E.got[1].ike_index, ike_id(1, 4));
	CU_ASSERT_STRING_EQUAL(E.got[1].conn, "lab6");
	ipx_ike_source_down(E.ike, 1);
	ipx_notifier_ike_event(E.n, &e, 110);
	CU_ASSERT_EQUAL(E.n_got, 2);
	/* an SA reported down before by its own event is not reported twice within a second */
	e.source = 2;
	ev(IPX_IKE_EV_IKE_DOWN, 2, &other, NULL, IPX_DOWN_PEER, 120);
	ipx_notifier_ike_event(E.n, &e, 120.5);
	CU_ASSERT_EQUAL(E.n_got, 3);
	env_close();
}

static void test_rekey_rate(void)
{
	struct ipx_notify_config cfg = cfg_unlimited();
	struct ipx_ike_sa ike = mk_ike(1, "lab4"), ike6 = mk_ike(2, "lab6");
	struct ipx_child_sa c = mk_child(2, 1, "net4", 0xa, 0xb), c6 = mk_child(9, 2, "net6", 1, 2);
	const struct ipx_notification *x;
	int t;

	env_open(&cfg);
	add_conn(1, "lab4", "net4");
	ipx_ike_upsert_sa(E.ike, 1, &ike);
	/* five rekeys in 40 s: fine */
	for (t = 1000; t <= 1040; t += 10) {
		c.unique_id++;
		ev_rekey(IPX_IKE_EV_CHILD_REKEY, 1, &ike, NULL, &c, NULL, t);
	}
	CU_ASSERT_EQUAL(count_type(IPX_NOTIFY_REKEY_RATE), 0);
	/* the sixth within 600 s (an IKE rekey counts too) */
	ev_rekey(IPX_IKE_EV_IKE_REKEY, 1, &ike, NULL, NULL, NULL, 1050);
	CU_ASSERT_EQUAL_FATAL(count_type(IPX_NOTIFY_REKEY_RATE), 1);
	x = last();
	CU_ASSERT_EQUAL(x->type, IPX_NOTIFY_REKEY_RATE);
	CU_ASSERT_EQUAL(x->source, 1);
	CU_ASSERT_STRING_EQUAL(x->conn, "lab4");
	CU_ASSERT_EQUAL(x->conn_index, conn_id(1, "lab4", "net4"));
	CU_ASSERT_EQUAL(x->value, 6);
	CU_ASSERT_EQUAL(x->threshold, 5);
	CU_ASSERT_EQUAL(x->window, 600);
	/* it keeps flapping every 10 s for 20 minutes: the count never falls back, one alarm */
	for (t = 1060; t <= 2200; t += 10) {
		c.unique_id++;
		ev_rekey(IPX_IKE_EV_CHILD_REKEY, 1, &ike, NULL, &c, NULL, t);
		if (t % 100 == 0)
			ipx_notifier_tick(E.n, t + 0.5);
	}
	CU_ASSERT_EQUAL(count_type(IPX_NOTIFY_REKEY_RATE), 1);
	/* another connection has its own count */
	for (t = 1000; t < 1030; t += 10) {
		c6.unique_id++;
		ev_rekey(IPX_IKE_EV_CHILD_REKEY, 1, &ike6, NULL, &c6, NULL, t + 1500);
	}
	CU_ASSERT_EQUAL(count_type(IPX_NOTIFY_REKEY_RATE), 1);
	/* quiet for a while (the count falls back to 0): armed again */
	ipx_notifier_tick(E.n, 3000);
	for (t = 3000; t < 3060; t += 10) {
		c.unique_id++;
		ev_rekey(IPX_IKE_EV_CHILD_REKEY, 1, &ike, NULL, &c, NULL, t);
	}
	CU_ASSERT_EQUAL(count_type(IPX_NOTIFY_REKEY_RATE), 2);
	CU_ASSERT_EQUAL(last()->type, IPX_NOTIFY_REKEY_RATE);
	CU_ASSERT_EQUAL(last()->value, 6);
	/* re-armed by the rekey itself, no pass needed: at 3605 the window holds 3010..3050
	 * (5, back at the limit), and this sixth one crosses again */
	c.unique_id++;
	ev_rekey(IPX_IKE_EV_CHILD_REKEY, 1, &ike, NULL, &c, NULL, 3605);
	CU_ASSERT_EQUAL(count_type(IPX_NOTIFY_REKEY_RATE), 3);
	CU_ASSERT_EQUAL(last()->value, 6);
	c.unique_id++;
	ev_rekey(IPX_IKE_EV_CHILD_REKEY, 1, &ike, NULL, &c, NULL, 3606);
	CU_ASSERT_EQUAL(count_type(IPX_NOTIFY_REKEY_RATE), 3);
	env_close();
}

/* ---- rekey overdue -------------------------------------------------------------------------- */

static void test_overdue_soft_without_successor(void)
{
	struct ipx_notify_config cfg = cfg_unlimited();
	struct ipx_sa old = mk_kernel(0x100, LOCAL4, REMOTE4, 7);
	const struct ipx_notification *x;
	uint32_t id;

	cfg.drop_high = 0;
	env_open(&cfg);
	ipx_notifier_tick(E.n, 1000);
	CU_ASSERT_EQUAL(ipx_store_sa_upsert(E.xfrm, &old, (uint64_t)time(NULL)), 0);
	id = sa_id(&old);
	CU_ASSERT_EQUAL(ipx_store_sa_expire(E.xfrm, &old, 0, (uint64_t)time(NULL)), 0);
	ipx_notifier_tick(E.n, 1001);
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1001, 1000), 59, 1e-9);
	ipx_notifier_tick(E.n, 1050);
	ipx_notifier_tick(E.n, 1059.5);
	CU_ASSERT_EQUAL(E.n_got, 0);
	ipx_notifier_tick(E.n, 1060);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 1);
	x = last();
	CU_ASSERT_EQUAL(x->type, IPX_NOTIFY_REKEY_OVERDUE);
	CU_ASSERT_EQUAL(x->sa_index, id);
	CU_ASSERT_EQUAL(x->spi_out, 0x100);
	CU_ASSERT_EQUAL(x->spi_in, 0);
	CU_ASSERT(addr_is(&x->local, LOCAL4));
	CU_ASSERT(addr_is(&x->remote, REMOTE4));
	CU_ASSERT_EQUAL(x->seconds, 60);
	CU_ASSERT_EQUAL(x->threshold, 60);
	CU_ASSERT_EQUAL(x->reason, IPX_DOWN_UNKNOWN);
	CU_ASSERT_EQUAL(x->source, 0);
	CU_ASSERT_STRING_EQUAL(x->conn, "");
	/* once: not at later ticks, nor when the kernel finally removes it */
	ipx_notifier_tick(E.n, 1100);
	CU_ASSERT_EQUAL(ipx_store_sa_expire(E.xfrm, &old, 1, (uint64_t)time(NULL)), 0);
	ipx_notifier_tick(E.n, 1101);
	ipx_notifier_tick(E.n, 1200);
	CU_ASSERT_EQUAL(E.n_got, 1);
	CU_ASSERT_EQUAL(stats()->sent[IPX_NOTIFY_REKEY_OVERDUE], 1);
	/* nothing left to wait for */
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1200, 1000), 1000, 1e-9);
	env_close();
}

static void test_overdue_successor(void)
{
	struct ipx_notify_config cfg = cfg_unlimited();
	struct ipx_sa old = mk_kernel(0x100, LOCAL4, REMOTE4, 7);
	struct ipx_sa other_reqid = mk_kernel(0x200, LOCAL4, REMOTE4, 8);
	struct ipx_sa other_dir = mk_kernel(0x201, REMOTE4, LOCAL4, 7);
	struct ipx_sa succ = mk_kernel(0x101, LOCAL4, REMOTE4, 7);
	struct ipx_sa old2 = mk_kernel(0x300, LOCAL4, REMOTE4, 9);
	struct ipx_sa succ2 = mk_kernel(0x301, LOCAL4, REMOTE4, 9);
	uint64_t wall = (uint64_t)time(NULL);

	cfg.drop_high = 0;
	env_open(&cfg);
	ipx_notifier_tick(E.n, 1000);
	ipx_store_sa_upsert(E.xfrm, &old, wall);
	ipx_store_sa_expire(E.xfrm, &old, 0, wall);
	ipx_notifier_tick(E.n, 1001);
	/* SAs that are no successor: another reqid, the other direction */
	ipx_notifier_tick(E.n, 1005);
	ipx_store_sa_upsert(E.xfrm, &other_reqid, wall);
	ipx_store_sa_upsert(E.xfrm, &other_dir, wall);
	ipx_notifier_tick(E.n, 1006);
	/* the successor */
	ipx_notifier_tick(E.n, 1010);
	ipx_store_sa_upsert(E.xfrm, &succ, wall);
	ipx_notifier_tick(E.n, 1011);
	ipx_notifier_tick(E.n, 1070);
	ipx_notifier_tick(E.n, 1200);
	/* the old SA left to the kernel's hard expiry: the tunnel lives on in its successor */
	ipx_store_sa_expire(E.xfrm, &old, 1, wall);
	ipx_notifier_tick(E.n, 1201);
	ipx_notifier_tick(E.n, 1300);
	CU_ASSERT_EQUAL(E.n_got, 0);

	/* a successor that was there before the soft expiry (the peer rekeyed first) */
	ipx_store_sa_upsert(E.xfrm, &old2, wall);
	ipx_store_sa_upsert(E.xfrm, &succ2, wall);
	ipx_store_sa_expire(E.xfrm, &old2, 0, wall);
	ipx_notifier_tick(E.n, 1301);
	ipx_notifier_tick(E.n, 1400);
	ipx_store_sa_expire(E.xfrm, &old2, 1, wall);
	ipx_notifier_tick(E.n, 1401);
	CU_ASSERT_EQUAL(E.n_got, 0);

	/* a waiting SA deleted on purpose (charon closed the tunnel) is no overdue rekey */
	ipx_store_sa_expire(E.xfrm, &other_reqid, 0, wall);
	ipx_notifier_tick(E.n, 1402);
	ipx_store_sa_delete(E.xfrm, &other_reqid.key);
	ipx_notifier_tick(E.n, 1500);
	CU_ASSERT_EQUAL(E.n_got, 0);
	env_close();
}

static void test_overdue_hard_lifetime(void)
{
	struct ipx_notify_config cfg = cfg_unlimited();
	struct ipx_sa sa = mk_kernel(0x100, REMOTE4, LOCAL4, 7);
	double t;

	cfg.drop_high = 0;
	env_open(&cfg);
	/* hard lifetime ends 600 s from now: overdue 60 s before, i.e. 540 s after soft */
	sa.add_time = (uint64_t)time(NULL) - 3000;
	sa.lft.soft_add_secs = 3000;
	sa.lft.hard_add_secs = 3600;
	ipx_notifier_tick(E.n, 1000);
	ipx_store_sa_upsert(E.xfrm, &sa, (uint64_t)time(NULL));
	ipx_store_sa_expire(E.xfrm, &sa, 0, (uint64_t)time(NULL));
	ipx_notifier_tick(E.n, 1001);
	t = ipx_notifier_timeout(E.n, 1001, 10000);
	CU_ASSERT(t >= 537 && t <= 541);
	ipx_notifier_tick(E.n, 1100);
	ipx_notifier_tick(E.n, 1530);
	CU_ASSERT_EQUAL(E.n_got, 0);
	ipx_notifier_tick(E.n, 1545);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 1);
	CU_ASSERT_EQUAL(last()->type, IPX_NOTIFY_REKEY_OVERDUE);
	CU_ASSERT_EQUAL(last()->seconds, 545);
	/* inbound: the SA's SPI is the CHILD_SA's inbound one */
	CU_ASSERT_EQUAL(last()->spi_in, 0x100);
	CU_ASSERT(addr_is(&last()->local, LOCAL4));
	CU_ASSERT(addr_is(&last()->remote, REMOTE4));
	env_close();
}

static void test_overdue_hard_expiry(void)
{
	struct ipx_notify_config cfg = cfg_unlimited();
	struct ipx_sa lone = mk_kernel(0x100, LOCAL4, REMOTE4, 7);
	struct ipx_sa rekeyed = mk_kernel(0x200, LOCAL4, REMOTE4, 8);
	struct ipx_sa succ = mk_kernel(0x201, LOCAL4, REMOTE4, 8);
	struct ipx_sa soft_then_hard = mk_kernel(0x300, LOCAL4, REMOTE4, 9);
	uint64_t wall = (uint64_t)time(NULL);
	uint32_t id;

	cfg.drop_high = 0;
	env_open(&cfg);
	ipx_notifier_tick(E.n, 1000);
	/* hard expiry of an SA that never soft-expired and has no successor: traffic drops */
	ipx_store_sa_upsert(E.xfrm, &lone, wall);
	id = sa_id(&lone);
	ipx_store_sa_expire(E.xfrm, &lone, 1, wall);
	CU_ASSERT_PTR_NULL(ipx_store_sa_find(E.xfrm, &lone.key));
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1000.5, 10), 0.5, 1e-9);
	ipx_notifier_tick(E.n, 1001);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 1);
	CU_ASSERT_EQUAL(last()->type, IPX_NOTIFY_REKEY_OVERDUE);
	CU_ASSERT_EQUAL(last()->reason, IPX_DOWN_EXPIRED);
	CU_ASSERT_EQUAL(last()->sa_index, id);
	CU_ASSERT_EQUAL(last()->seconds, 0);
	CU_ASSERT_EQUAL(last()->spi_out, 0x100);
	ipx_notifier_tick(E.n, 1100);
	CU_ASSERT_EQUAL(E.n_got, 1);

	/* with a successor in the store: nothing */
	ipx_store_sa_upsert(E.xfrm, &rekeyed, wall);
	ipx_store_sa_upsert(E.xfrm, &succ, wall);
	ipx_store_sa_expire(E.xfrm, &rekeyed, 1, wall);
	ipx_notifier_tick(E.n, 1101);
	ipx_notifier_tick(E.n, 1200);
	CU_ASSERT_EQUAL(E.n_got, 1);

	/* soft, then hard before the deadline: at the hard expiry */
	ipx_store_sa_upsert(E.xfrm, &soft_then_hard, wall);
	ipx_store_sa_expire(E.xfrm, &soft_then_hard, 0, wall);
	ipx_notifier_tick(E.n, 1201);
	ipx_notifier_tick(E.n, 1210);
	CU_ASSERT_EQUAL(E.n_got, 1);
	ipx_store_sa_expire(E.xfrm, &soft_then_hard, 1, wall);
	ipx_notifier_tick(E.n, 1211);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 2);
	CU_ASSERT_EQUAL(last()->reason, IPX_DOWN_EXPIRED);
	CU_ASSERT_EQUAL(last()->seconds, 11);
	CU_ASSERT_EQUAL(last()->spi_out, 0x300);
	ipx_notifier_tick(E.n, 1400);
	CU_ASSERT_EQUAL(E.n_got, 2);
	env_close();
}

static void test_overdue_owner(void)
{
	struct ipx_notify_config cfg = cfg_unlimited();
	struct ipx_ike_sa ike = mk_ike(1, "lab4");
	struct ipx_child_sa c = mk_child(2, 1, "net4", 0xc6d7028e, 0xc2ce5bbe);
	struct ipx_sa in = mk_kernel(0xc6d7028e, REMOTE4, LOCAL4, 1);
	struct ipx_sa out = mk_kernel(0xc2ce5bbe, LOCAL4, REMOTE4, 1);
	const struct ipx_notification *x;
	uint64_t wall = (uint64_t)time(NULL);

	cfg.drop_high = 0;
	env_open(&cfg);
	add_conn(1, "lab4", "net4");
	ipx_ike_upsert_sa(E.ike, 1, &ike);
	ipx_ike_upsert_child(E.ike, 1, &c);
	ipx_store_sa_upsert(E.xfrm, &in, wall);
	ipx_store_sa_upsert(E.xfrm, &out, wall);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ipx_ike_sa_owner(E.ike, sa_id(&out)));
	ipx_notifier_tick(E.n, 1000);
	ipx_store_sa_expire(E.xfrm, &out, 0, wall);
	ipx_notifier_tick(E.n, 1001);
	ipx_notifier_tick(E.n, 1060);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 1);
	x = last();
	CU_ASSERT_EQUAL(x->type, IPX_NOTIFY_REKEY_OVERDUE);
	CU_ASSERT_EQUAL(x->source, 1);
	CU_ASSERT_STRING_EQUAL(x->conn, "lab4");
	CU_ASSERT_STRING_EQUAL(x->child, "net4");
	CU_ASSERT_EQUAL(x->conn_index, conn_id(1, "lab4", "net4"));
	CU_ASSERT_EQUAL(x->child_index, child_id(1, 2));
	CU_ASSERT_EQUAL(x->ike_index, ike_id(1, 1));
	CU_ASSERT_EQUAL(x->sa_index, sa_id(&out));
	CU_ASSERT_EQUAL(x->spi_out, 0xc2ce5bbe);
	CU_ASSERT_EQUAL(x->spi_in, 0xc6d7028e);
	/* the hard expiry of the inbound one after charon forgot the CHILD_SA: the names stay
	 * known from the configuration the SA belonged to */
	ipx_store_sa_expire(E.xfrm, &in, 0, wall);
	ipx_notifier_tick(E.n, 1061);
	ipx_ike_delete_sa(E.ike, 1, 1);
	ipx_store_sa_expire(E.xfrm, &in, 1, wall);
	ipx_notifier_tick(E.n, 1062);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 2);
	x = last();
	CU_ASSERT_STRING_EQUAL(x->conn, "lab4");
	CU_ASSERT_STRING_EQUAL(x->child, "net4");
	CU_ASSERT_EQUAL(x->spi_in, 0xc6d7028e);
	CU_ASSERT_EQUAL(x->spi_out, 0xc2ce5bbe);
	CU_ASSERT_EQUAL(x->reason, IPX_DOWN_EXPIRED);
	env_close();
}

/* ---- drops -------------------------------------------------------------------------------- */

static void set_stats(const char *const *names, const uint64_t *values, size_t n)
{
	char(*nm)[48] = calloc(n, sizeof(*nm));
	uint64_t *v = calloc(n, sizeof(*v));
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(nm);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	for (i = 0; i < n; i++) {
		snprintf(nm[i], sizeof(nm[i]), "%s", names[i]);
		v[i] = values[i];
	}
	ipx_store_set_xfrm_stat(E.xfrm, nm, v, n);
}

static void test_drops_xfrm_stat(void)
{
	struct ipx_notify_config cfg = cfg_unlimited();
	static const char *const names[] = {"XfrmInError", "XfrmInNoStates",
	                                    "XfrmOutBundleGenError"};
	const uint64_t values[] = {1000000, 0, 7};
	uint64_t *v;
	const struct ipx_notification *x;
	int t;

	env_open(&cfg);
	set_stats(names, values, 3);
	v = ipx_store_info(E.xfrm)->stat.values;
	/* counters that were high at the first read do not count */
	ipx_notifier_tick(E.n, 1000);
	CU_ASSERT_EQUAL(E.n_got, 0);
	/* a five-minute storm of 50 a second, then quiet */
	for (t = 1001; t <= 1600; t++) {
		if (t <= 1300)
			v[1] += 50;
		ipx_notifier_tick(E.n, t);
		if (t == 1002)
			CU_ASSERT_EQUAL(E.n_got, 0); /* a rise of 100 is not above 100 */
		if (t == 1003)
			CU_ASSERT_EQUAL(E.n_got, 1);
	}
	CU_ASSERT_EQUAL_FATAL(E.n_got, 2);
	x = &E.got[0];
	CU_ASSERT_EQUAL(x->type, IPX_NOTIFY_DROPS_HIGH);
	CU_ASSERT_EQUAL(x->drop_kind, IPX_DROP_XFRM_STAT);
	CU_ASSERT_STRING_EQUAL(x->counter, "XfrmInNoStates");
	CU_ASSERT_EQUAL(x->value, 150);
	CU_ASSERT_EQUAL(x->threshold, 100);
	CU_ASSERT_EQUAL(x->window, 60);
	CU_ASSERT_EQUAL(x->source, 0);
	CU_ASSERT_EQUAL(x->sa_index, 0);
	x = &E.got[1];
	CU_ASSERT_EQUAL(x->type, IPX_NOTIFY_DROPS_NORMAL);
	CU_ASSERT_STRING_EQUAL(x->counter, "XfrmInNoStates");
	CU_ASSERT(x->value <= 10);
	CU_ASSERT_EQUAL(x->threshold, 10);
	/* a slow leak under the high mark says nothing */
	for (t = 1601; t <= 1800; t++) {
		v[2] += 1;
		ipx_notifier_tick(E.n, t);
	}
	CU_ASSERT_EQUAL(E.n_got, 2);
	/* a counter that goes back (another namespace) starts over rather than alarm */
	v[0] = 5;
	ipx_notifier_tick(E.n, 1801);
	v[0] = 50;
	ipx_notifier_tick(E.n, 1802);
	CU_ASSERT_EQUAL(E.n_got, 2);
	/* a new counter set (another kernel): matched by name, new ones start from their value */
	{
		static const char *const names2[] = {"XfrmInNoStates", "XfrmInStateProtoError"};
		const uint64_t values2[] = {v[1] + 500, 99999};
		set_stats(names2, values2, 2);
	}
	ipx_notifier_tick(E.n, 1803);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 3);
	CU_ASSERT_STRING_EQUAL(last()->counter, "XfrmInNoStates");
	CU_ASSERT_EQUAL(last()->value, 500);
	CU_ASSERT_EQUAL(stats()->sent[IPX_NOTIFY_DROPS_HIGH], 2);
	CU_ASSERT_EQUAL(stats()->sent[IPX_NOTIFY_DROPS_NORMAL], 1);
	env_close();
}

static void test_drops_per_sa(void)
{
	struct ipx_notify_config cfg = cfg_unlimited();
	struct ipx_ike_sa ike = mk_ike(1, "lab4");
	struct ipx_child_sa c = mk_child(2, 1, "net4", 0xb0b, 0xc0c);
	struct ipx_sa old = mk_kernel(0xa0a, REMOTE4, LOCAL4, 3);
	struct ipx_sa b = mk_kernel(0xb0b, REMOTE4, LOCAL4, 1);
	const struct ipx_notification *x;
	uint64_t wall = (uint64_t)time(NULL);
	int t;

	env_open(&cfg);
	add_conn(1, "lab4", "net4");
	ipx_ike_upsert_sa(E.ike, 1, &ike);
	ipx_ike_upsert_child(E.ike, 1, &c);
	/* an old SA with many drops counted before the agent watched */
	old.add_time = wall - 10000;
	old.stat_replay_window = 4000;
	old.stat_replay = 1000;
	old.stat_integrity_failed = 700;
	ipx_store_sa_upsert(E.xfrm, &old, wall);
	ipx_notifier_tick(E.n, 1000);
	CU_ASSERT_EQUAL(E.n_got, 0);
	/* a new SA, linked to the CHILD_SA, then replayed packets */
	b.add_time = (uint64_t)time(NULL);
	ipx_store_sa_upsert(E.xfrm, &b, wall);
	ipx_notifier_tick(E.n, 1001);
	b.stat_replay_window = 100;
	b.stat_replay = 50;
	ipx_store_sa_upsert(E.xfrm, &b, wall);
	ipx_notifier_tick(E.n, 1002);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 1);
	x = last();
	CU_ASSERT_EQUAL(x->type, IPX_NOTIFY_DROPS_HIGH);
	CU_ASSERT_EQUAL(x->drop_kind, IPX_DROP_SA_REPLAY);
	CU_ASSERT_EQUAL(x->sa_index, sa_id(&b));
	CU_ASSERT_EQUAL(x->value, 150);
	CU_ASSERT_EQUAL(x->spi_in, 0xb0b);
	CU_ASSERT_EQUAL(x->spi_out, 0xc0c);
	CU_ASSERT_EQUAL(x->source, 1);
	CU_ASSERT_STRING_EQUAL(x->conn, "lab4");
	CU_ASSERT_STRING_EQUAL(x->child, "net4");
	CU_ASSERT_EQUAL(x->child_index, child_id(1, 2));
	CU_ASSERT_EQUAL(x->conn_index, conn_id(1, "lab4", "net4"));
	CU_ASSERT(addr_is(&x->local, LOCAL4));
	/* integrity failures are their own counter */
	b.stat_integrity_failed = 101;
	ipx_store_sa_upsert(E.xfrm, &b, wall);
	ipx_notifier_tick(E.n, 1003);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 2);
	CU_ASSERT_EQUAL(last()->drop_kind, IPX_DROP_SA_INTEGRITY);
	CU_ASSERT_EQUAL(last()->value, 101);
	/* the old SA's drops start now */
	old.stat_replay += 300;
	ipx_store_sa_upsert(E.xfrm, &old, wall);
	for (t = 1004; t <= 1150; t++) {
		if (t < 1050) { /* b keeps dropping slowly, above the low mark */
			b.stat_replay += 1;
			ipx_store_sa_upsert(E.xfrm, &b, wall);
		}
		ipx_notifier_tick(E.n, t);
	}
	CU_ASSERT_EQUAL_FATAL(E.n_got, 6);
	CU_ASSERT_EQUAL(E.got[2].type, IPX_NOTIFY_DROPS_HIGH);
	CU_ASSERT_EQUAL(E.got[2].sa_index, sa_id(&old));
	CU_ASSERT_EQUAL(E.got[2].value, 300);
	CU_ASSERT_EQUAL(E.got[2].source, 0);
	CU_ASSERT_STRING_EQUAL(E.got[2].conn, "");
	CU_ASSERT_EQUAL(count_type(IPX_NOTIFY_DROPS_NORMAL), 3);
	/* a deleted SA's state goes: the next SA with that id would start over */
	ipx_store_sa_delete(E.xfrm, &b.key);
	ipx_notifier_tick(E.n, 1200);
	CU_ASSERT_EQUAL(E.n_got, 6);
	env_close();
}

/* ---- connections and certificates ----------------------------------------------------------- */

static void test_conn_down(void)
{
	struct ipx_notify_config cfg = cfg_unlimited();
	struct ipx_ike_sa ike4 = mk_ike(1, "lab4"), ike6 = mk_ike(2, "lab6");
	struct ipx_child_sa c4 = mk_child(3, 1, "net4", 1, 2), c6 = mk_child(4, 2, "net6", 3, 4);
	const struct ipx_notification *x;
	int t;

	cfg.drop_high = 0;
	env_open(&cfg);
	add_conn(1, "lab4", "net4");
	add_conn(1, "lab6", "net6");
	ipx_ike_upsert_sa(E.ike, 1, &ike6);
	ipx_ike_upsert_child(E.ike, 1, &c6);
	for (t = 1000; t < 1300; t += 10)
		ipx_notifier_tick(E.n, t);
	CU_ASSERT_EQUAL(E.n_got, 0);
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1290, 1000), 10, 1e-9);
	ipx_notifier_tick(E.n, 1300);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 1);
	x = last();
	CU_ASSERT_EQUAL(x->type, IPX_NOTIFY_CONN_DOWN);
	CU_ASSERT_EQUAL(x->source, 1);
	CU_ASSERT_STRING_EQUAL(x->conn, "lab4");
	CU_ASSERT_STRING_EQUAL(x->child, "net4");
	CU_ASSERT_EQUAL(x->conn_index, conn_id(1, "lab4", "net4"));
	CU_ASSERT_EQUAL(x->seconds, 300);
	CU_ASSERT_EQUAL(x->threshold, 300);
	/* once */
	for (t = 1310; t <= 1400; t += 10)
		ipx_notifier_tick(E.n, t);
	CU_ASSERT_EQUAL(E.n_got, 1);
	/* up, then down again: re-armed, counted from when it was last seen up */
	ipx_ike_upsert_sa(E.ike, 1, &ike4);
	ipx_ike_upsert_child(E.ike, 1, &c4);
	ipx_notifier_tick(E.n, 1410);
	ipx_ike_delete_sa(E.ike, 1, 1);
	ipx_notifier_tick(E.n, 1420);
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1420, 1000), 290, 1e-9);
	ipx_notifier_tick(E.n, 1705);
	CU_ASSERT_EQUAL(E.n_got, 1);
	ipx_notifier_tick(E.n, 1711);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 2);
	CU_ASSERT_STRING_EQUAL(last()->conn, "lab4");
	CU_ASSERT_EQUAL(last()->seconds, 301);
	/* lab6 stayed up all along */
	CU_ASSERT_EQUAL(stats()->sent[IPX_NOTIFY_CONN_DOWN], 2);
	/* a connection that leaves the table is forgotten; loaded again, it starts over */
	ipx_ike_sync_begin(E.ike, 1, IPX_IKE_KIND_CONN);
	ipx_ike_sync_end(E.ike, 1, IPX_IKE_KIND_CONN);
	ipx_notifier_tick(E.n, 1800);
	add_conn(1, "lab4", "net4");
	ipx_notifier_tick(E.n, 1900);
	ipx_notifier_tick(E.n, 2199);
	CU_ASSERT_EQUAL(E.n_got, 2);
	ipx_notifier_tick(E.n, 2200);
	CU_ASSERT_EQUAL(E.n_got, 3);
	env_close();
}

static struct ipx_cert_info mk_cert(const char *subject, const char *serial, int64_t days)
{
	struct ipx_cert_info c;

	memset(&c, 0, sizeof(c));
	snprintf(c.subject, sizeof(c.subject), "%s", subject);
	snprintf(c.issuer, sizeof(c.issuer), "C=CH, O=strongSwan, CN=strongSwan Root CA");
	snprintf(c.serial, sizeof(c.serial), "%s", serial);
	c.not_before = (int64_t)time(NULL) - 86400;
	/* the middle of the day, so that the test's own clock cannot tip it */
	c.not_after = (int64_t)time(NULL) + days * 86400 + 43200;
	return c;
}

static void test_cert_expiring(void)
{
	struct ipx_notify_config cfg = cfg_unlimited();
	struct ipx_cert_info soon = mk_cert("C=CH, O=strongSwan, CN=moon", "01", 10);
	struct ipx_cert_info later = mk_cert("C=CH, O=strongSwan, CN=sun", "02", 100);
	struct ipx_cert_info expired = mk_cert("C=CH, O=strongSwan, CN=old", "03", -3);
	const struct ipx_notification *x;
	double t0 = 1000;

	cfg.drop_high = 0;
	env_open(&cfg);
	ipx_ike_upsert_cert(E.ike, 1, &soon, "X509", IPX_CERT_FLAG_NONE, 1);
	ipx_ike_upsert_cert(E.ike, 1, &later, "X509", IPX_CERT_FLAG_NONE, 0);
	ipx_ike_upsert_cert(E.ike, 1, &expired, "X509", IPX_CERT_FLAG_NONE, 0);
	/* the same certificate from another charon counts once */
	ipx_ike_upsert_cert(E.ike, 2, &soon, "X509", IPX_CERT_FLAG_NONE, 1);
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, t0, 10), 0, 1e-9);
	ipx_notifier_tick(E.n, t0);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 2);
	x = &E.got[0];
	CU_ASSERT_EQUAL(x->type, IPX_NOTIFY_CERT_EXPIRING);
	CU_ASSERT_STRING_EQUAL(x->subject, "C=CH, O=strongSwan, CN=moon");
	CU_ASSERT_EQUAL(x->source, 1);
	CU_ASSERT_EQUAL(x->days_left, 10);
	CU_ASSERT_EQUAL(x->value, 10);
	CU_ASSERT_EQUAL(x->threshold, 30);
	x = &E.got[1];
	CU_ASSERT_STRING_EQUAL(x->subject, "C=CH, O=strongSwan, CN=old");
	CU_ASSERT_EQUAL(x->days_left, -3);
	CU_ASSERT_EQUAL(x->value, 0);
	/* the next check is a day later, and says nothing new */
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, t0 + 1, 1e9), IPX_NOTIFY_CERT_PERIOD - 1,
	                       1e-6);
	ipx_notifier_tick(E.n, t0 + IPX_NOTIFY_CERT_PERIOD - 1);
	ipx_notifier_tick(E.n, t0 + IPX_NOTIFY_CERT_PERIOD);
	CU_ASSERT_EQUAL(E.n_got, 2);
	/* a new threshold may report them again: 5 days catches only the expired one */
	cfg.cert_expiry_days = 5;
	ipx_notifier_set_config(E.n, &cfg);
	ipx_notifier_tick(E.n, t0 + IPX_NOTIFY_CERT_PERIOD + 1);
	CU_ASSERT_EQUAL_FATAL(E.n_got, 3);
	CU_ASSERT_STRING_EQUAL(last()->subject, "C=CH, O=strongSwan, CN=old");
	CU_ASSERT_EQUAL(last()->threshold, 5);
	/* 200 days: all three, the two others again */
	cfg.cert_expiry_days = 200;
	ipx_notifier_set_config(E.n, &cfg);
	ipx_notifier_tick(E.n, t0 + IPX_NOTIFY_CERT_PERIOD + 2);
	CU_ASSERT_EQUAL(E.n_got, 6);
	ipx_notifier_tick(E.n, t0 + 3 * IPX_NOTIFY_CERT_PERIOD);
	CU_ASSERT_EQUAL(E.n_got, 6);
	/* a renewed certificate (new serial) is another certificate */
	soon = mk_cert("C=CH, O=strongSwan, CN=moon", "04", 150);
	ipx_ike_upsert_cert(E.ike, 1, &soon, "X509", IPX_CERT_FLAG_NONE, 1);
	ipx_notifier_tick(E.n, t0 + 4 * IPX_NOTIFY_CERT_PERIOD);
	CU_ASSERT_EQUAL(E.n_got, 7);
	CU_ASSERT_EQUAL(last()->days_left, 150);
	env_close();
}

/* ---- rate limit, enables, timeouts ------------------------------------------------------- */

static void test_rate_limit(void)
{
	struct ipx_notify_config cfg;
	struct ipx_ike_sa ike4 = mk_ike(1, "lab4"), ike6 = mk_ike(2, "lab6");
	struct ipx_child_sa c = mk_child(100, 1, "net4", 1, 2);
	int i;

	ipx_notify_config_defaults(&cfg); /* 10 per 60 s */
	cfg.drop_high = 0;
	env_open(&cfg);
	for (i = 0; i < 15; i++) {
		c.unique_id = 100 + (uint32_t)i;
		ev(IPX_IKE_EV_CHILD_UP, 1, &ike4, &c, 0, 1000 + i * 0.1);
	}
	CU_ASSERT_EQUAL(E.n_got, 10);
	CU_ASSERT_EQUAL(stats()->suppressed, 5);
	CU_ASSERT_EQUAL(stats()->sent[IPX_NOTIFY_CHILD_UP], 10);
	/* another connection, and the same name under another source, have their own buckets */
	ev(IPX_IKE_EV_IKE_UP, 1, &ike6, NULL, 0, 1002);
	ev(IPX_IKE_EV_IKE_UP, 2, &ike4, NULL, 0, 1002);
	CU_ASSERT_EQUAL(E.n_got, 12);
	/* the window slides: one slot free 60 s after the first send */
	c.unique_id = 200;
	ev(IPX_IKE_EV_CHILD_UP, 1, &ike4, &c, 0, 1059.95);
	CU_ASSERT_EQUAL(E.n_got, 12);
	c.unique_id = 201;
	ev(IPX_IKE_EV_CHILD_UP, 1, &ike4, &c, 0, 1060.0);
	CU_ASSERT_EQUAL(E.n_got, 13);
	c.unique_id = 202;
	ev(IPX_IKE_EV_CHILD_UP, 1, &ike4, &c, 0, 1060.05);
	CU_ASSERT_EQUAL(E.n_got, 13);
	CU_ASSERT_EQUAL(stats()->suppressed, 7);
	/* later, the window has slid past every earlier send */
	ipx_notifier_tick(E.n, 1500);
	for (i = 0; i < 12; i++) {
		c.unique_id = 300 + (uint32_t)i;
		ev(IPX_IKE_EV_CHILD_UP, 1, &ike4, &c, 0, 1500 + i);
	}
	CU_ASSERT_EQUAL(E.n_got, 23);
	CU_ASSERT_EQUAL(stats()->suppressed, 9);
	/* new thresholds restart the windows */
	cfg.rate_limit = 1;
	ipx_notifier_set_config(E.n, &cfg);
	c.unique_id = 400;
	ev(IPX_IKE_EV_CHILD_UP, 1, &ike4, &c, 0, 1520);
	c.unique_id = 401;
	ev(IPX_IKE_EV_CHILD_UP, 1, &ike4, &c, 0, 1521);
	CU_ASSERT_EQUAL(E.n_got, 24);
	CU_ASSERT_EQUAL(stats()->suppressed, 10);
	env_close();
}

static void test_disabled_types(void)
{
	struct ipx_notify_config cfg;
	struct ipx_ike_sa ike = mk_ike(1, "lab4");
	struct ipx_child_sa c = mk_child(2, 1, "net4", 1, 2);
	static const char *const names[] = {"XfrmInNoStates"};
	const uint64_t zero[] = {0};

	ipx_notify_config_defaults(&cfg);
	cfg.rate_limit = 1;
	cfg.enabled &= ~(1u << IPX_NOTIFY_IKE_UP);
	cfg.enabled &= ~(1u << IPX_NOTIFY_DROPS_HIGH);
	env_open(&cfg);
	set_stats(names, zero, 1);
	ipx_notifier_tick(E.n, 1000);
	ev(IPX_IKE_EV_IKE_UP, 1, &ike, NULL, 0, 1001);
	ev(IPX_IKE_EV_IKE_UP, 1, &ike, NULL, 0, 1001.1);
	ev(IPX_IKE_EV_IKE_UP, 1, &ike, NULL, 0, 1003);
	/* nothing sent, suppressed or called a duplicate; the rate limit is untouched */
	CU_ASSERT_EQUAL(E.n_got, 0);
	CU_ASSERT_EQUAL(stats()->sent[IPX_NOTIFY_IKE_UP], 0);
	CU_ASSERT_EQUAL(stats()->suppressed, 0);
	CU_ASSERT_EQUAL(stats()->duplicates, 0);
	ev(IPX_IKE_EV_CHILD_UP, 1, &ike, &c, 0, 1004);
	CU_ASSERT_EQUAL(E.n_got, 1);
	CU_ASSERT_EQUAL(last()->type, IPX_NOTIFY_CHILD_UP);
	/* a storm: DROPS_HIGH is off, DROPS_NORMAL after it still comes */
	ipx_store_info(E.xfrm)->stat.values[0] = 1000;
	ipx_notifier_tick(E.n, 1005);
	CU_ASSERT_EQUAL(E.n_got, 1);
	ipx_notifier_tick(E.n, 1100);
	CU_ASSERT_EQUAL(E.n_got, 2);
	CU_ASSERT_EQUAL(last()->type, IPX_NOTIFY_DROPS_NORMAL);
	CU_ASSERT_EQUAL(stats()->suppressed, 0);
	/* nothing enabled: nothing at all */
	cfg.enabled = 0;
	ipx_notifier_set_config(E.n, &cfg);
	c.unique_id = 3;
	ev(IPX_IKE_EV_CHILD_UP, 1, &ike, &c, 0, 1200);
	ev(IPX_IKE_EV_IKE_DOWN, 1, &ike, NULL, 0, 1200);
	CU_ASSERT_EQUAL(E.n_got, 2);
	CU_ASSERT_EQUAL(stats()->suppressed, 0);
	env_close();
}

static void test_timeouts(void)
{
	struct ipx_notify_config cfg = cfg_unlimited();
	struct ipx_notifier *bare;
	struct ipx_ike_sa ike = mk_ike(1, "lab4");
	struct ipx_sa sa = mk_kernel(0x100, LOCAL4, REMOTE4, 7);

	env_open(&cfg);
	/* before the first tick: at once */
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1000, 5), 0, 1e-9);
	ipx_notifier_tick(E.n, 1000);
	/* drop counters are sampled every second */
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1000, 5), 1, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1000.25, 5), 0.75, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1000, 0.5), 0.5, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1002, 5), 0, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1000, 0), 0, 1e-9);
	env_close();

	/* without drop checks: the next certificate check or the cap */
	cfg.drop_high = 0;
	env_open(&cfg);
	ipx_notifier_tick(E.n, 1000);
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1000, 30), 30, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1000, 1e9), IPX_NOTIFY_CERT_PERIOD, 1e-6);
	/* a soft expiry needs the next pass, then its deadline */
	ipx_store_sa_upsert(E.xfrm, &sa, (uint64_t)time(NULL));
	ipx_store_sa_expire(E.xfrm, &sa, 0, (uint64_t)time(NULL));
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1000.5, 30), 0.5, 1e-9);
	ipx_notifier_tick(E.n, 1001);
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1001, 100), 59, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1001, 30), 30, 1e-9);
	/* a margin of 0: only the hard expiry tells, no timer */
	cfg.rekey_overdue_margin = 0;
	ipx_notifier_set_config(E.n, &cfg);
	ipx_notifier_tick(E.n, 1002);
	ipx_notifier_tick(E.n, 1003);
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(E.n, 1003, 100), 100, 1e-9);
	ipx_notifier_tick(E.n, 1500);
	CU_ASSERT_EQUAL(E.n_got, 0);
	env_close();

	/* no stores at all: IKE events still work, ticks do nothing */
	bare = ipx_notifier_new(NULL, NULL, NULL, NULL, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bare);
	ipx_notifier_tick(bare, 10);
	{
		struct ipx_ike_event e = {.type = IPX_IKE_EV_IKE_UP, .source = 1, .ike = &ike};
		ipx_notifier_ike_event(bare, &e, 11);
		e.type = IPX_IKE_EV_SOURCE_DOWN;
		ipx_notifier_ike_event(bare, &e, 12);
	}
	CU_ASSERT_EQUAL(ipx_notifier_stats(bare)->sent[IPX_NOTIFY_IKE_UP], 1);
	CU_ASSERT_DOUBLE_EQUAL(ipx_notifier_timeout(bare, 12, 7), 7, 1e-9);
	ipx_notifier_free(bare);
	ipx_notifier_free(NULL);
}

/* ---- bounds ------------------------------------------------------------------------------ */

static void test_sa_state_cap(void)
{
	struct ipx_notify_config cfg = cfg_unlimited();
	uint64_t wall = (uint64_t)time(NULL);
	uint32_t i;

	env_open(&cfg);
	ipx_notifier_tick(E.n, 1000);
	/* more SAs with drops than the notifier keeps state for (65,536) */
	for (i = 0; i < 66000; i++) {
		struct ipx_sa sa = mk_kernel(0x10000 + i, REMOTE4, LOCAL4, 1);
		sa.stat_replay = 1;
		CU_ASSERT_EQUAL_FATAL(ipx_store_sa_upsert(E.xfrm, &sa, wall), 0);
	}
	ipx_notifier_tick(E.n, 1001);
	ipx_notifier_tick(E.n, 1002);
	CU_ASSERT(stats()->overflows >= 2);
	CU_ASSERT_EQUAL(E.n_got, 0);
	/* deletes free their state, and the rest is watched again */
	for (i = 0; i < 1000; i++) {
		struct ipx_sa sa = mk_kernel(0x10000 + i, REMOTE4, LOCAL4, 1);
		CU_ASSERT_EQUAL(ipx_store_sa_delete(E.xfrm, &sa.key), 0);
	}
	{
		uint64_t before = stats()->overflows;
		ipx_notifier_tick(E.n, 1003);
		CU_ASSERT_EQUAL(stats()->overflows, before);
	}
	env_close();
}

int main(void)
{
	unsigned int failed;
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("notify", NULL, NULL);
	if (!s)
		return 1;
	CU_add_test(s, "config: defaults and checks", test_config);
	CU_add_test(s, "IKE/CHILD up and down: identities from the store", test_ike_updown_fields);
	CU_add_test(s, "dedup: downs of a rekey's old side", test_rekey_duplicates);
	CU_add_test(s, "dedup: the same notification within a second", test_repeat_within_a_second);
	CU_add_test(s, "source down: one IKE_DOWN per IKE SA that was up", test_source_down);
	CU_add_test(s, "rekey rate: threshold, window, hysteresis", test_rekey_rate);
	CU_add_test(s, "overdue: soft expiry without successor",
	            test_overdue_soft_without_successor);
	CU_add_test(s, "overdue: successors after and before the soft expiry",
	            test_overdue_successor);
	CU_add_test(s, "overdue: margin before the hard lifetime", test_overdue_hard_lifetime);
	CU_add_test(s, "overdue: hard expiry without successor", test_overdue_hard_expiry);
	CU_add_test(s, "overdue: owner from the IKE store", test_overdue_owner);
	CU_add_test(s, "drops: xfrm_stat storm is two notifications", test_drops_xfrm_stat);
	CU_add_test(s, "drops: per-SA replay and integrity", test_drops_per_sa);
	CU_add_test(s, "conn down: once, re-armed", test_conn_down);
	CU_add_test(s, "certs: once per certificate and threshold", test_cert_expiring);
	CU_add_test(s, "rate limit: per connection, suppressed count", test_rate_limit);
	CU_add_test(s, "disabled types", test_disabled_types);
	CU_add_test(s, "timeouts", test_timeouts);
	CU_add_test(s, "bounds: SA state cap", test_sa_state_cap);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
