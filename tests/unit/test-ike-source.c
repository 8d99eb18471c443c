/*
 * Unit tests of the IKE sources (src/ike_source.c) against a fake charon.
 *
 * Each fake charon is a unix socket of the test's own; the sources connect to it from
 * ipx_ike_sources_process(), driven with explicit NOW values, so that every timer
 * (reconnect backoff, the listing 0.2 s after an event, the periodic listing, the request
 * timeout) is checked to the value. The fake reads each request the daemon sends and
 * answers it with the packets a real charon 5.9.8 sent for the same request
 * (tests/unit/fixtures/vici-*.bin, see its README.md), or with hand-built messages for
 * what those recordings do not hold (ike-updown, child-updown, ike-rekey, log events,
 * malformed sections and packets). The semantic events (notify.h) are recorded with what
 * the IKE store held at the moment each one was told.
 *
 * The last five tests guard defects these tests found and that were fixed.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "fake-charon.h"
#include "fixture.h"

#include "ipsec_agentx/ike_source.h"
#include "ipsec_agentx/ike_store.h"
#include "ipsec_agentx/log.h"
#include "ipsec_agentx/notify.h"
#include "ipsec_agentx/vici.h"

#define MAX_PKTS   32
#define MAX_EVENTS 64
#define EPS        1e-6

/* The events the daemon registers for, in the order it does. */
static const char *const registrations[] = {"ike-updown",   "ike-rekey",   "ike-update",
                                            "child-updown", "child-rekey", "log"};
#define N_REGISTRATIONS (sizeof(registrations) / sizeof(registrations[0]))

/* ---- packets -------------------------------------------------------------------------- */

struct blob {
	uint8_t *data;
	size_t len;
};

/* Packets, length field included, each in a heap block of its own. */
struct pkts {
	size_t n;
	struct blob p[MAX_PKTS];
};

static void free_pkts(struct pkts *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->p[i].data);
	p->n = 0;
}

/* Splits a recorded stream into its packets with the streaming reader. */
static int split(const uint8_t *data, size_t data_len, struct pkts *out)
{
	struct ipx_vici_reader r;
	size_t off = 0, len;
	uint8_t *pkt;
	ssize_t used;

	memset(out, 0, sizeof(*out));
	ipx_vici_reader_init(&r);
	while (off < data_len) {
		used = ipx_vici_reader_feed(&r, data + off, data_len - off, &pkt, &len);
		if (used <= 0 || out->n == MAX_PKTS) {
			free(pkt);
			ipx_vici_reader_reset(&r);
			return -1;
		}
		off += (size_t)used;
		if (pkt) {
			out->p[out->n].data = pkt;
			out->p[out->n++].len = len;
		}
	}
	used = (ssize_t)r.hdr_got;
	ipx_vici_reader_reset(&r);
	return used ? -1 : 0;
}

/* Appends a packet of TYPE (NAME, message B: NULL for none or empty). */
static void pk_add(struct pkts *p, unsigned int type, const char *name,
                   const struct ipx_vici_builder *b)
{
	uint8_t *pkt = NULL;
	size_t len = 0;

	CU_ASSERT_FATAL(p->n < MAX_PKTS);
	CU_ASSERT_EQUAL_FATAL(ipx_vici_encode(type, name, b, &pkt, &len), 0);
	p->p[p->n].data = pkt;
	p->p[p->n++].len = len;
}

static void pk_copy(struct pkts *p, const struct blob *b)
{
	CU_ASSERT_FATAL(p->n < MAX_PKTS);
	p->p[p->n].data = malloc(b->len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p->p[p->n].data);
	memcpy(p->p[p->n].data, b->data, b->len);
	p->p[p->n++].len = b->len;
}

/* A streamed listing as charon answers it: EVENT_CONFIRM of the stream's registration,
 * the events (listing_event), the empty CMD_RESPONSE and the unregistration's confirm. */
static void listing_begin(struct pkts *p)
{
	memset(p, 0, sizeof(*p));
	pk_add(p, IPX_VICI_EVENT_CONFIRM, NULL, NULL);
}

/* Takes the builder's message as one event of the stream, and releases the builder. */
static void listing_event(struct pkts *p, const char *event, struct ipx_vici_builder *b)
{
	pk_add(p, IPX_VICI_EVENT, event, b);
	ipx_vici_builder_release(b);
}

static void listing_end(struct pkts *p)
{
	pk_add(p, IPX_VICI_CMD_RESPONSE, NULL, NULL);
	pk_add(p, IPX_VICI_EVENT_CONFIRM, NULL, NULL);
}

/* ---- fixtures ------------------------------------------------------------------------- */

static const char *const fixtures[] = {"vici-list-sas.bin",    "vici-list-conns.bin",
                                       "vici-list-certs.bin",  "vici-version.bin",
                                       "vici-child-rekey.bin", "vici-get-counters-global.bin",
                                       "vici-get-counters.bin"};
#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))
enum {
	FX_LIST_SAS,
	FX_LIST_CONNS,
	FX_LIST_CERTS,
	FX_VERSION,
	FX_CHILD_REKEY,
	FX_COUNTERS_GLOBAL, /* get-counters: charon's own */
	FX_COUNTERS         /* get-counters all=yes: per connection */
};

static struct pkts fx[N_FIXTURES];
static struct blob ca_der; /* cert-ca-rsa.der */

/* ---- what the sources told ------------------------------------------------------------ */

/* A semantic event, with what the store held when it was told. */
struct rec {
	enum ipx_ike_event_type type;
	uint32_t source;
	uint8_t reason;
	uint32_t ike, old_ike, child, old_child;            /* unique ids, 0 for none */
	int ike_row, old_ike_row, child_row, old_child_row; /* their rows existed */
	size_t sas, children; /* IKE SA and CHILD_SA rows of the source */
};

static struct {
	struct ipx_ike_store *st;
	size_t n;
	struct rec ev[MAX_EVENTS];
	size_t raw; /* on_event calls */
	uint32_t raw_source;
} rec;

static size_t sa_rows(uint32_t source)
{
	const struct ipx_ike_sa_row *r;
	size_t n = 0;

	for (r = ipx_ike_sa_next(rec.st, 0); r; r = ipx_ike_sa_next(rec.st, r->h.id))
		n += r->h.source == source;
	return n;
}

static size_t child_rows(uint32_t source)
{
	const struct ipx_child_row *r;
	size_t n = 0;

	for (r = ipx_child_next(rec.st, 0); r; r = ipx_child_next(rec.st, r->h.id))
		n += r->h.source == source;
	return n;
}

static size_t conn_rows(uint32_t source)
{
	const struct ipx_conn_row *r;
	size_t n = 0;

	for (r = ipx_conn_next(rec.st, 0); r; r = ipx_conn_next(rec.st, r->h.id))
		n += r->h.source == source;
	return n;
}

static void on_ike_event(void *arg, const struct ipx_ike_event *ev)
{
	struct rec *r;

	CU_ASSERT_PTR_EQUAL(arg, &rec);
	CU_ASSERT(rec.n < MAX_EVENTS);
	if (rec.n == MAX_EVENTS)
		return;
	r = &rec.ev[rec.n++];
	memset(r, 0, sizeof(*r));
	r->type = ev->type;
	r->source = ev->source;
	r->reason = ev->reason;
	if (ev->ike) {
		r->ike = ev->ike->unique_id;
		r->ike_row = ipx_ike_sa_find(rec.st, ev->source, r->ike) != NULL;
	}
	if (ev->old_ike) {
		r->old_ike = ev->old_ike->unique_id;
		r->old_ike_row = ipx_ike_sa_find(rec.st, ev->source, r->old_ike) != NULL;
	}
	if (ev->child) {
		r->child = ev->child->unique_id;
		r->child_row = ipx_child_find(rec.st, ev->source, r->child) != NULL;
	}
	if (ev->old_child) {
		r->old_child = ev->old_child->unique_id;
		r->old_child_row = ipx_child_find(rec.st, ev->source, r->old_child) != NULL;
	}
	r->sas = sa_rows(ev->source);
	r->children = child_rows(ev->source);
}

static void on_raw_event(void *arg, uint32_t source, const struct ipx_vici_msg *ev)
{
	(void)ev;
	CU_ASSERT_PTR_EQUAL(arg, &rec);
	rec.raw++;
	rec.raw_source = source;
}

/* The only event told since FROM (NULL, after a failed assertion, if not exactly one). */
static const struct rec *only_event(size_t from)
{
	CU_ASSERT_EQUAL(rec.n, from + 1);
	return rec.n == from + 1 ? &rec.ev[from] : NULL;
}

/*
 * An IKE SA's down since FROM: its CHILD_SAs' downs first (told while their rows exist),
 * then the IKE SA's own, which is returned (NULL after a failed assertion).
 */
static const struct rec *ike_down_event(size_t from)
{
	size_t i;

	CU_ASSERT_TRUE(rec.n > from);
	if (rec.n <= from)
		return NULL;
	for (i = from; i + 1 < rec.n; i++) {
		CU_ASSERT_EQUAL(rec.ev[i].type, IPX_IKE_EV_CHILD_DOWN);
		CU_ASSERT_TRUE(rec.ev[i].child_row);
		CU_ASSERT_EQUAL(rec.ev[i].reason, rec.ev[rec.n - 1].reason);
	}
	CU_ASSERT_EQUAL(rec.ev[rec.n - 1].type, IPX_IKE_EV_IKE_DOWN);
	return &rec.ev[rec.n - 1];
}

/* ---- the log -------------------------------------------------------------------------- */

static char logbuf[256 * 1024];
static size_t loglen;

static void log_sink(int level, const char *msg)
{
	size_t n = strlen(msg);

	(void)level;
	if (getenv("IPX_TEST_VERBOSE"))
		fprintf(stderr, "  log: %s\n", msg);
	if (loglen + n + 2 > sizeof(logbuf))
		return;
	memcpy(logbuf + loglen, msg, n);
	loglen += n;
	logbuf[loglen++] = '\n';
	logbuf[loglen] = '\0';
}

static size_t log_count(const char *what)
{
	const char *p = logbuf;
	size_t n = 0;

	while ((p = strstr(p, what)) != NULL) {
		n++;
		p += strlen(what);
	}
	return n;
}

/* ---- the fake charon (fake-charon.h) --------------------------------------------------- */

static void fake_send_blob(struct fake *f, const struct blob *b)
{
	fake_send_raw(f, b->data, b->len);
}

/* ---- hand-built messages -------------------------------------------------------------- */

/*
 * An IKE SA section as charon lists it: CONN { uniqueid = UID  version = VERSION ...
 * child-sas { CHILD-CUID { name = CHILD  uniqueid = CUID ... } } }. UID or CUID NULL: that
 * uniqueid is left out (a malformed section); CHILD NULL: no CHILD_SA.
 */
static void add_ike(struct ipx_vici_builder *b, const char *conn, const char *uid,
                    const char *version, const char *child, const char *cuid)
{
	char name[80], spi[16];
	unsigned long n = cuid ? strtoul(cuid, NULL, 10) : 0;

	ipx_vici_begin_section(b, conn);
	if (uid)
		ipx_vici_add_kv_str(b, "uniqueid", uid);
	ipx_vici_add_kv_str(b, "version", version);
	ipx_vici_add_kv_str(b, "state", "ESTABLISHED");
	ipx_vici_add_kv_str(b, "local-host", "192.0.2.1");
	ipx_vici_add_kv_str(b, "local-port", "500");
	ipx_vici_add_kv_str(b, "remote-host", "192.0.2.9");
	ipx_vici_add_kv_str(b, "remote-port", "500");
	ipx_vici_add_kv_str(b, "initiator-spi", "1122334455667788");
	ipx_vici_add_kv_str(b, "responder-spi", "99aabbccddeeff00");
	if (child) {
		ipx_vici_begin_section(b, "child-sas");
		snprintf(name, sizeof(name), "%s-%s", child, cuid ? cuid : "0");
		ipx_vici_begin_section(b, name);
		ipx_vici_add_kv_str(b, "name", child);
		if (cuid)
			ipx_vici_add_kv_str(b, "uniqueid", cuid);
		ipx_vici_add_kv_str(b, "reqid", "7");
		ipx_vici_add_kv_str(b, "state", "INSTALLED");
		ipx_vici_add_kv_str(b, "mode", "TUNNEL");
		ipx_vici_add_kv_str(b, "protocol", "ESP");
		snprintf(spi, sizeof(spi), "c1%06lx", n);
		ipx_vici_add_kv_str(b, "spi-in", spi);
		snprintf(spi, sizeof(spi), "c2%06lx", n);
		ipx_vici_add_kv_str(b, "spi-out", spi);
		ipx_vici_end_section(b);
		ipx_vici_end_section(b);
	}
	ipx_vici_end_section(b);
	CU_ASSERT_EQUAL(b->err, 0);
}

/* ike-updown / child-updown / ike-update: "up = yes" when UP, then the IKE SA. */
static void send_updown(struct fake *f, const char *event, int up, const char *conn,
                        const char *uid, const char *version, const char *child, const char *cuid)
{
	struct ipx_vici_builder b;

	ipx_vici_builder_init(&b);
	if (up)
		ipx_vici_add_kv_str(&b, "up", "yes");
	add_ike(&b, conn, uid, version, child, cuid);
	fake_send(f, IPX_VICI_EVENT, event, &b);
	ipx_vici_builder_release(&b);
}

/* A "log" event of charon's IKE group about IKE SA UID (NULL: a line about none). */
static void send_log(struct fake *f, const char *uid, const char *msg)
{
	struct ipx_vici_builder b;

	ipx_vici_builder_init(&b);
	ipx_vici_add_kv_str(&b, "group", "IKE");
	ipx_vici_add_kv_str(&b, "level", "1");
	ipx_vici_add_kv_str(&b, "thread", "12");
	if (uid) {
		ipx_vici_add_kv_str(&b, "ikesa-name", "lab4");
		ipx_vici_add_kv_str(&b, "ikesa-uniqueid", uid);
	}
	ipx_vici_add_kv_str(&b, "msg", msg);
	fake_send(f, IPX_VICI_EVENT, "log", &b);
	ipx_vici_builder_release(&b);
}

/* ike-rekey: CONN { old { IKE SA OLD } new { IKE SA NEW } }. */
static void send_ike_rekey(struct fake *f, const char *conn, const char *old, const char *new)
{
	struct ipx_vici_builder b;

	ipx_vici_builder_init(&b);
	ipx_vici_begin_section(&b, conn);
	add_ike(&b, "old", old, "2", NULL, NULL);
	add_ike(&b, "new", new, "2", NULL, NULL);
	ipx_vici_end_section(&b);
	fake_send(f, IPX_VICI_EVENT, "ike-rekey", &b);
	ipx_vici_builder_release(&b);
}

/* A list-conn event: connection NAME with N_CHILDREN children "<prefix>NN". */
static void conn_event(struct pkts *p, const char *name, const char *remote, int n_children,
                       const char *prefix)
{
	struct ipx_vici_builder b;
	char child[32];
	int i;

	ipx_vici_builder_init(&b);
	ipx_vici_begin_section(&b, name);
	ipx_vici_begin_list(&b, "local_addrs");
	ipx_vici_add_item_str(&b, "192.0.2.1");
	ipx_vici_end_list(&b);
	ipx_vici_begin_list(&b, "remote_addrs");
	ipx_vici_add_item_str(&b, remote);
	ipx_vici_end_list(&b);
	ipx_vici_add_kv_str(&b, "version", "IKEv2");
	ipx_vici_add_kv_str(&b, "rekey_time", "14400");
	ipx_vici_begin_section(&b, "children");
	for (i = 1; i <= n_children; i++) {
		snprintf(child, sizeof(child), "%s%02d", prefix, i);
		ipx_vici_begin_section(&b, child);
		ipx_vici_add_kv_str(&b, "mode", "TUNNEL");
		ipx_vici_add_kv_str(&b, "rekey_time", "3600");
		ipx_vici_end_section(&b);
	}
	ipx_vici_end_section(&b);
	ipx_vici_end_section(&b);
	CU_ASSERT_EQUAL(b.err, 0);
	listing_event(p, "list-conn", &b);
}

/* A list-cert event: TYPE, FLAG, and DATA (NULL: no data key). */
static void cert_event(struct pkts *p, const char *type, const char *flag, const void *data,
                       size_t len)
{
	struct ipx_vici_builder b;

	ipx_vici_builder_init(&b);
	ipx_vici_add_kv_str(&b, "type", type);
	ipx_vici_add_kv_str(&b, "flag", flag);
	ipx_vici_add_kv_str(&b, "has_privkey", "yes");
	if (data)
		ipx_vici_add_kv(&b, "data", data, len);
	listing_event(p, "list-cert", &b);
}

/* ---- the daemon's side ---------------------------------------------------------------- */

struct ctx {
	struct ipx_ike_store *st;
	struct ipx_ike_sources *s;
	size_t n;
	struct fake f[2];
};

/* N sources on fakes of their own (listening if LISTEN), reconnect backoff 1 .. 8 s. */
static int ctx_init(struct ctx *c, size_t n, double refresh, double request_timeout, int listen)
{
	const char *paths[2];
	char uri[2][80];
	struct ipx_ike_sources_config cfg = {
	    .n_paths = n,
	    .refresh_interval = refresh,
	    .retry_min = 1,
	    .retry_max = 8,
	    .request_timeout = request_timeout,
	    .on_event = on_raw_event,
	    .on_ike_event = on_ike_event,
	    .event_arg = &rec,
	};
	size_t i;

	memset(c, 0, sizeof(*c));
	memset(&rec, 0, sizeof(rec));
	loglen = 0;
	logbuf[0] = '\0';
	c->n = n;
	for (i = 0; i < n; i++) {
		if (fake_dir(&c->f[i]) < 0 || (listen && fake_listen(&c->f[i]) < 0))
			return -1;
		/* the second one in swanctl's URI form */
		snprintf(uri[i], sizeof(uri[i]), "%s%s", i ? "unix://" : "", c->f[i].path);
		paths[i] = uri[i];
	}
	cfg.paths = paths;
	c->st = ipx_ike_store_new(NULL);
	rec.st = c->st;
	if (!c->st || ipx_ike_sources_new(&cfg, c->st, &c->s) != 0)
		return -1;
	return 0;
}

static void ctx_free(struct ctx *c)
{
	size_t i;

	ipx_ike_sources_free(c->s);
	ipx_ike_store_free(c->st);
	for (i = 0; i < c->n; i++)
		fake_stop(&c->f[i]);
}

static const struct ipx_ike_source_status *status(struct ctx *c, uint32_t index)
{
	return ipx_ike_source_status(c->s, index);
}

/* Rows that must exist. */
static const struct ipx_ike_sa_row *sa_of(struct ctx *c, uint32_t source, uint32_t uid)
{
	const struct ipx_ike_sa_row *r = ipx_ike_sa_find(c->st, source, uid);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	return r;
}

static const struct ipx_child_row *child_of(struct ctx *c, uint32_t source, uint32_t uid)
{
	const struct ipx_child_row *r = ipx_child_find(c->st, source, uid);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	return r;
}

static const struct ipx_conn_counters *counters_of(struct ctx *c, const char *conn,
                                                   const char *child)
{
	const struct ipx_conn_counters *r = ipx_ike_counters(c->st, 1, conn, child);

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	return r;
}

/* One pass of the daemon's loop at NOW: poll (up to MS), then process. Returns poll's. */
static int step(struct ctx *c, double now, int ms)
{
	struct pollfd fds[4];
	size_t n = ipx_ike_sources_pollfds(c->s, fds, 4);
	int r = poll(fds, n, ms);

	ipx_ike_sources_process(c->s, fds, n, now);
	return r;
}

/* The loop at NOW until nothing more happens for a moment. */
static void pump(struct ctx *c, double now)
{
	int idle = 0, i;

	for (i = 0; i < 1000 && idle < 2; i++)
		idle = step(c, now, 10) > 0 ? 0 : idle + 1;
}

/* A down whose cause is not known yet is held back HOLD_SECS (0.15 s) for charon's log
 * line: the loop at NOW, then once that has passed. */
static void pump_down(struct ctx *c, double now)
{
	pump(c, now);
	pump(c, now + 0.16);
}

/* The loop at NOW until the daemon sent something to F; then what it sent must be TYPE
 * NAME. */
static int expect(struct ctx *c, struct fake *f, unsigned int type, const char *name, double now)
{
	struct ipx_vici_msg *m;
	int i, ok;

	for (i = 0; i < 400 && !fake_readable(f); i++)
		step(c, now, 5);
	m = fake_read(f);
	ok = m && m->type == type && strcmp(m->name, name) == 0;
	if (!ok)
		fprintf(stderr, "\n  wanted %s %s, got %s %s\n", ipx_vici_type_name(type), name,
		        m ? ipx_vici_type_name(m->type) : "nothing", m ? m->name : "");
	ipx_vici_msg_free(m);
	return ok;
}

/* A streamed command: registration of EVENT, COMMAND, unregistration, each answered with
 * the next packets of P (see listing_begin()). */
static void serve_stream(struct ctx *c, struct fake *f, const char *event, const char *command,
                         const struct pkts *p, double now)
{
	size_t i;

	CU_ASSERT_FATAL(p->n >= 3);
	CU_ASSERT(expect(c, f, IPX_VICI_EVENT_REGISTER, event, now));
	fake_send_blob(f, &p->p[0]);
	CU_ASSERT(expect(c, f, IPX_VICI_CMD_REQUEST, command, now));
	for (i = 1; i + 1 < p->n; i++)
		fake_send_blob(f, &p->p[i]);
	CU_ASSERT(expect(c, f, IPX_VICI_EVENT_UNREGISTER, event, now));
	fake_send_blob(f, &p->p[p->n - 1]);
}

/* The loop at NOW until the daemon sent get-counters to F: without arguments when ALL is
 * 0, with exactly all=yes when 1. */
static int expect_counters(struct ctx *c, struct fake *f, int all, double now)
{
	struct ipx_vici_msg *m;
	const char *a;
	int i, ok;

	for (i = 0; i < 400 && !fake_readable(f); i++)
		step(c, now, 5);
	m = fake_read(f);
	ok = m && m->type == IPX_VICI_CMD_REQUEST && strcmp(m->name, "get-counters") == 0;
	if (ok) {
		a = ipx_vici_get(&m->root, "all");
		ok = all ? m->nodes == 1 && a && !strcmp(a, "yes") : m->nodes == 0;
	}
	if (!ok)
		fprintf(stderr, "\n  wanted get-counters%s, got %s %s (%zu nodes)\n",
		        all ? " all=yes" : "", m ? ipx_vici_type_name(m->type) : "nothing",
		        m ? m->name : "", m ? m->nodes : 0);
	ipx_vici_msg_free(m);
	return ok;
}

/* The two get-counters, answered with GLOBAL and ALL (NULL: the recorded replies). */
static void serve_counters_with(struct ctx *c, struct fake *f, const struct blob *global,
                                const struct blob *all, double now)
{
	CU_ASSERT(expect_counters(c, f, 0, now));
	fake_send_blob(f, global ? global : &fx[FX_COUNTERS_GLOBAL].p[0]);
	CU_ASSERT(expect_counters(c, f, 1, now));
	fake_send_blob(f, all ? all : &fx[FX_COUNTERS].p[0]);
}

static void serve_counters(struct ctx *c, struct fake *f, double now)
{
	serve_counters_with(c, f, NULL, NULL, now);
}

/* The listing of everything (conns, certs, counters, SAs), from the fixtures where NULL. */
static void serve_listing(struct ctx *c, struct fake *f, const struct pkts *conns,
                          const struct pkts *certs, const struct pkts *sas, double now)
{
	serve_stream(c, f, "list-conn", "list-conns", conns ? conns : &fx[FX_LIST_CONNS], now);
	serve_stream(c, f, "list-cert", "list-certs", certs ? certs : &fx[FX_LIST_CERTS], now);
	serve_counters(c, f, now);
	serve_stream(c, f, "list-sa", "list-sas", sas ? sas : &fx[FX_LIST_SAS], now);
}

/* What a fresh connection asks for: version, the registrations, the listings. */
static void serve_session(struct ctx *c, struct fake *f, const struct pkts *conns,
                          const struct pkts *certs, const struct pkts *sas, double now)
{
	size_t i;

	CU_ASSERT(expect(c, f, IPX_VICI_CMD_REQUEST, "version", now));
	fake_send_blob(f, &fx[FX_VERSION].p[0]);
	for (i = 0; i < N_REGISTRATIONS; i++) {
		CU_ASSERT(expect(c, f, IPX_VICI_EVENT_REGISTER, registrations[i], now));
		fake_send(f, IPX_VICI_EVENT_CONFIRM, NULL, NULL);
	}
	serve_listing(c, f, conns, certs, sas, now);
	pump(c, now);
}

/* Source K+1 connects to its fake at NOW and is served the fixtures: UP. */
static void bring_up(struct ctx *c, size_t k, double now)
{
	step(c, now, 0);
	CU_ASSERT_EQUAL_FATAL(fake_accept(&c->f[k]), 0);
	serve_session(c, &c->f[k], NULL, NULL, NULL, now);
	CU_ASSERT_EQUAL_FATAL(status(c, (uint32_t)k + 1)->state, IPX_IKE_SOURCE_UP);
}

/* The follow-up list-sas due at NOW, served from the fixture. */
static void serve_relist(struct ctx *c, struct fake *f, double now)
{
	serve_stream(c, f, "list-sa", "list-sas", &fx[FX_LIST_SAS], now);
	pump(c, now);
	CU_ASSERT(fake_idle(f));
}

/*
 * Every counter of a swanctl --counters --raw [--all] text (FILE, a fixture) must be a row
 * of SOURCE with that scope, name and value: "counters reply {counters {SCOPE {NAME=VALUE
 * ...} ...} success=yes}", the global scope printed as an empty name. Returns the count.
 */
static size_t check_swanctl_counters(const struct ipx_ike_store *st, uint32_t source,
                                     const char *file)
{
	static const char head[] = "counters reply {counters {";
	char scope[IPX_IKE_NAME_MAX], name[IPX_IKE_COUNTER_NAME_MAX];
	const struct ipx_ike_counter_row *r;
	unsigned long long v;
	size_t n = 0, len;
	void *data;
	const char *p;
	int used;

	CU_ASSERT_EQUAL_FATAL(ipx_fixture_load(file, &data, &len), 0);
	p = strstr(data, head);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p += strlen(head);
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '}' || !*p)
			break;
		used = 0;
		if (*p == '{')
			scope[0] = '\0';
		else if (sscanf(p, "%63[^ {] %n", scope, &used) != 1)
			break;
		p += used;
		CU_ASSERT_EQUAL_FATAL(*p, '{');
		p++;
		while (*p && *p != '}') {
			CU_ASSERT_EQUAL_FATAL(sscanf(p, " %47[^=]=%llu%n", name, &v, &used), 2);
			p += used;
			r = ipx_ike_counter_find(st, source, scope, name);
			CU_ASSERT_PTR_NOT_NULL(r);
			if (r) {
				CU_ASSERT_EQUAL(r->value, v);
				CU_ASSERT_STRING_EQUAL(r->scope, scope);
				CU_ASSERT_STRING_EQUAL(r->name, name);
				CU_ASSERT_EQUAL(r->h.source, source);
			}
			n++;
		}
		CU_ASSERT_EQUAL_FATAL(*p, '}');
		p++;
	}
	free(data);
	return n;
}

/* ---- 1: connecting ---------------------------------------------------------------------- */

/* No socket: DOWN with ENOENT, retries after 1, 2, 4, 8, 8 s and not before; then charon
 * appears: the exact requests, CONNECTING until list-sas completes, UP, the store filled. */
static void test_connect(void)
{
	static const double delays[] = {1, 2, 4, 8, 8};
	const struct ipx_ike_source_status *ss;
	const struct ipx_ike_sa_row *lab4, *lab6;
	const struct ipx_child_row *net4;
	const struct ipx_conn_row *conn4;
	struct pollfd fds[4];
	struct ctx c;
	struct fake *f;
	double t = 100;
	size_t i, tries;

	CU_ASSERT_EQUAL_FATAL(ctx_init(&c, 1, 0, 30, 0), 0);
	f = &c.f[0];
	ss = status(&c, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ss);
	CU_ASSERT_EQUAL(ss->index, 1);
	CU_ASSERT_STRING_EQUAL(ss->path, f->path);
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_DOWN);
	CU_ASSERT_EQUAL(ss->last_error, 0);
	CU_ASSERT_EQUAL(ipx_ike_sources_pollfds(c.s, fds, 4), 0);
	/* the first attempt is due at once */
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t, 60), 0, EPS);
	tries = log_count("cannot connect to");
	ipx_ike_sources_process(c.s, NULL, 0, t);
	CU_ASSERT_EQUAL(log_count("cannot connect to"), tries + 1);
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_DOWN);
	CU_ASSERT_EQUAL(ss->last_error, ENOENT);
	CU_ASSERT_EQUAL(ss->connects, 0);
	CU_ASSERT_EQUAL(ipx_ike_sources_pollfds(c.s, fds, 4), 0);
	for (i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		double d = delays[i];
		CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t, 60), d, EPS);
		CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t + d / 2, 60), d / 2, EPS);
		CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t, 0.5), 0.5, EPS);
		tries = log_count("cannot connect to");
		ipx_ike_sources_process(c.s, NULL, 0, t + d - 0.01);
		CU_ASSERT_EQUAL(log_count("cannot connect to"), tries);
		ipx_ike_sources_process(c.s, NULL, 0, t + d);
		CU_ASSERT_EQUAL(log_count("cannot connect to"), tries + 1);
		CU_ASSERT_EQUAL(ss->last_error, ENOENT);
		t += d;
	}
	/* "cannot connect" is logged once, not at every attempt */
	CU_ASSERT_EQUAL(log_count("cannot connect (No such file"), 1);
	CU_ASSERT_EQUAL(rec.n, 0); /* never up: no SOURCE_DOWN */
	CU_ASSERT_EQUAL(ss->losses, 0);

	/* charon starts; the next attempt is 8 s (retry_max) after the last one */
	CU_ASSERT_EQUAL_FATAL(fake_listen(f), 0);
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t, 60), 8, EPS);
	ipx_ike_sources_process(c.s, NULL, 0, t + 7.99);
	CU_ASSERT_FALSE(fake_pending(f));
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_DOWN);
	t += 8;
	ipx_ike_sources_process(c.s, NULL, 0, t);
	CU_ASSERT_TRUE(fake_pending(f));
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_CONNECTING);
	CU_ASSERT_EQUAL(ss->connects, 1);
	CU_ASSERT_EQUAL(ss->last_error, 0);
	CU_ASSERT_EQUAL_FATAL(fake_accept(f), 0);
	CU_ASSERT_EQUAL(ipx_ike_sources_pollfds(c.s, fds, 4), 1);
	CU_ASSERT(fds[0].events & POLLIN);
	CU_ASSERT(fds[0].events & POLLOUT); /* "version" waits to be sent */

	/* the exact sequence of requests, one at a time */
	CU_ASSERT(expect(&c, f, IPX_VICI_CMD_REQUEST, "version", t));
	pump(&c, t);
	CU_ASSERT(fake_idle(f));
	fake_send_blob(f, &fx[FX_VERSION].p[0]);
	for (i = 0; i < N_REGISTRATIONS; i++) {
		CU_ASSERT(expect(&c, f, IPX_VICI_EVENT_REGISTER, registrations[i], t));
		if (i == 0) {
			CU_ASSERT_STRING_EQUAL(ss->daemon, "charon");
			CU_ASSERT_STRING_EQUAL(ss->version, "5.9.8");
		}
		fake_send(f, IPX_VICI_EVENT_CONFIRM, NULL, NULL);
	}
	serve_stream(&c, f, "list-conn", "list-conns", &fx[FX_LIST_CONNS], t);
	serve_stream(&c, f, "list-cert", "list-certs", &fx[FX_LIST_CERTS], t);
	CU_ASSERT(expect_counters(&c, f, 0, t));
	pump(&c, t);
	CU_ASSERT(fake_idle(f)); /* one at a time */
	fake_send_blob(f, &fx[FX_COUNTERS_GLOBAL].p[0]);
	CU_ASSERT(expect_counters(&c, f, 1, t));
	CU_ASSERT_EQUAL(ipx_ike_counter_count(c.st), 21); /* taken as they come */
	fake_send_blob(f, &fx[FX_COUNTERS].p[0]);
	CU_ASSERT(expect(&c, f, IPX_VICI_EVENT_REGISTER, "list-sa", t));
	CU_ASSERT_EQUAL(ipx_conn_count(c.st), 2);
	CU_ASSERT_EQUAL(ipx_cert_count(c.st), 0);
	CU_ASSERT_EQUAL(ipx_ike_counter_count(c.st), 3 * 21);
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_CONNECTING);
	fake_send_blob(f, &fx[FX_LIST_SAS].p[0]);
	CU_ASSERT(expect(&c, f, IPX_VICI_CMD_REQUEST, "list-sas", t));
	fake_send_blob(f, &fx[FX_LIST_SAS].p[1]);
	fake_send_blob(f, &fx[FX_LIST_SAS].p[2]);
	pump(&c, t);
	/* streamed, not complete: still connecting */
	CU_ASSERT_EQUAL(ipx_ike_sa_count(c.st), 2);
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_CONNECTING);
	CU_ASSERT_EQUAL(ss->listings, 0);
	fake_send_blob(f, &fx[FX_LIST_SAS].p[3]);
	CU_ASSERT(expect(&c, f, IPX_VICI_EVENT_UNREGISTER, "list-sa", t));
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_UP);
	CU_ASSERT_EQUAL(ss->listings, 1);
	fake_send_blob(f, &fx[FX_LIST_SAS].p[4]);
	pump(&c, t);
	CU_ASSERT(fake_idle(f));

	/* the store, as swanctl listed it (vici-list-*.swanctl.txt) */
	CU_ASSERT_EQUAL(ipx_ike_sa_count(c.st), 2);
	CU_ASSERT_EQUAL(ipx_child_count(c.st), 2);
	CU_ASSERT_EQUAL(ipx_conn_count(c.st), 2);
	CU_ASSERT_EQUAL(ipx_cert_count(c.st), 0);
	lab4 = ipx_ike_sa_find(c.st, 1, 1);
	lab6 = ipx_ike_sa_find(c.st, 1, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lab4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lab6);
	CU_ASSERT_STRING_EQUAL(lab4->sa.name, "lab4");
	CU_ASSERT_STRING_EQUAL(lab6->sa.name, "lab6");
	CU_ASSERT_EQUAL(lab4->h.source, 1);
	CU_ASSERT_EQUAL(lab4->sa.version, 2);
	CU_ASSERT_EQUAL(lab4->sa.state, IPX_IKE_ESTABLISHED);
	CU_ASSERT_EQUAL(lab4->sa.spi_i, 0x4b3fd71e0e069f44ULL);
	CU_ASSERT_EQUAL(lab4->sa.spi_r, 0x4c1468ac5ff1922aULL);
	CU_ASSERT_EQUAL(lab4->sa.remote_port, 4500);
	CU_ASSERT_STRING_EQUAL(lab4->sa.remote_id, "sun");
	CU_ASSERT_STRING_EQUAL(lab6->sa.dh_group, "CURVE_25519");
	net4 = ipx_child_find(c.st, 1, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(net4);
	CU_ASSERT_STRING_EQUAL(net4->sa.name, "net4");
	CU_ASSERT_EQUAL(net4->sa.spi_in, 0xc6d7028e);
	CU_ASSERT_EQUAL(net4->sa.spi_out, 0xc2ce5bbe);
	CU_ASSERT_STRING_EQUAL(net4->sa.encr_alg, "AES_GCM_16");
	CU_ASSERT_EQUAL(net4->ike_id, lab4->h.id);
	CU_ASSERT_EQUAL(child_of(&c, 1, 1)->ike_id, lab6->h.id);
	conn4 = ipx_conn_find(c.st, 1, "lab4", "net4");
	CU_ASSERT_PTR_NOT_NULL_FATAL(conn4);
	CU_ASSERT_STRING_EQUAL(conn4->conn.remote_addrs, "192.0.2.2");
	CU_ASSERT_EQUAL(conn4->conn.rekey_time, 14400);
	CU_ASSERT_EQUAL(net4->conn_id, conn4->h.id);
	CU_ASSERT_PTR_NOT_NULL(ipx_conn_find(c.st, 1, "lab6", "net6"));
	/* charon's counters, as swanctl --counters --raw [--all] printed them */
	CU_ASSERT_EQUAL(check_swanctl_counters(c.st, 1, "vici-get-counters-global.swanctl.txt"),
	                21);
	CU_ASSERT_EQUAL(check_swanctl_counters(c.st, 1, "vici-get-counters.swanctl.txt"), 42);
	CU_ASSERT_EQUAL(ipx_ike_counter_find(c.st, 1, "", "ike-init-out-req")->value, 2);
	CU_ASSERT_EQUAL(ipx_ike_counter_find(c.st, 1, "a", "ike-init-out-req")->value, 1);
	CU_ASSERT_EQUAL(ipx_ike_counter_find(c.st, 1, "idle", "info-out-resp")->value, 0);
	CU_ASSERT_EQUAL(ss->connects, 1);
	CU_ASSERT_EQUAL(ss->events, 0);
	CU_ASSERT_EQUAL(ss->malformed, 0);
	CU_ASSERT_EQUAL(ss->losses, 0);
	CU_ASSERT_EQUAL(ss->last_error, 0);
	CU_ASSERT_EQUAL(rec.n, 0);
	/* events only (refresh 0), nothing pending: no timer; nothing to send */
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t, 60), 60, EPS);
	CU_ASSERT_EQUAL(ipx_ike_sources_pollfds(c.s, fds, 4), 1);
	CU_ASSERT_EQUAL(fds[0].events, POLLIN);
	pump(&c, t + 1000);
	CU_ASSERT(fake_idle(f));
	ctx_free(&c);
}

/* ---- 2: events ------------------------------------------------------------------------ */

/* Ups after the store took them, downs before the rows go, rekeys with old and new, one
 * list-sas 0.2 s after a burst of events. */
static void test_events(void)
{
	const struct rec *e;
	struct ctx c;
	struct fake *f;
	double t = 200;
	size_t n0;

	CU_ASSERT_EQUAL_FATAL(ctx_init(&c, 1, 0, 30, 1), 0);
	f = &c.f[0];
	bring_up(&c, 0, t);

	/* ike-updown up: told once its row (and its CHILD_SA) exist */
	send_updown(f, "ike-updown", 1, "lab4", "7", "2", "net4", "8");
	pump(&c, t);
	e = only_event(0);
	if (e) {
		CU_ASSERT_EQUAL(e->type, IPX_IKE_EV_IKE_UP);
		CU_ASSERT_EQUAL(e->source, 1);
		CU_ASSERT_EQUAL(e->ike, 7);
		CU_ASSERT_TRUE(e->ike_row);
		CU_ASSERT_EQUAL(e->children, 3);
	}
	CU_ASSERT_EQUAL(status(&c, 1)->events, 1);
	CU_ASSERT_EQUAL(rec.raw, 1);
	CU_ASSERT_EQUAL(rec.raw_source, 1);
	CU_ASSERT_EQUAL(child_of(&c, 1, 8)->ike_id, sa_of(&c, 1, 7)->h.id);
	/* a listing follows 0.2 s later, not before */
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t, 60), 0.2, EPS);
	CU_ASSERT(fake_idle(f));
	pump(&c, t + 0.1);
	CU_ASSERT(fake_idle(f));
	/* a second event does not push it back: the burst costs one listing */
	send_updown(f, "child-updown", 1, "lab4", "7", "2", "net4b", "9");
	pump(&c, t + 0.1);
	e = only_event(1);
	if (e) {
		CU_ASSERT_EQUAL(e->type, IPX_IKE_EV_CHILD_UP);
		CU_ASSERT_EQUAL(e->ike, 7);
		CU_ASSERT_EQUAL(e->child, 9);
		CU_ASSERT_TRUE(e->child_row);
	}
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t + 0.1, 60), 0.1, EPS);
	pump(&c, t + 0.19);
	CU_ASSERT(fake_idle(f));
	serve_relist(&c, f, t + 0.2);
	CU_ASSERT_EQUAL(status(&c, 1)->listings, 2);
	/* charon's listing is the truth: the fixture's SAs only */
	CU_ASSERT_PTR_NULL(ipx_ike_sa_find(c.st, 1, 7));
	CU_ASSERT_PTR_NULL(ipx_child_find(c.st, 1, 9));
	CU_ASSERT_EQUAL(ipx_ike_sa_count(c.st), 2);
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t + 0.2, 60), 60, EPS);

	/* child-rekey (recorded): old and new CHILD_SA, both rows, the rekey counted */
	t += 1;
	n0 = rec.n;
	fake_send_blob(f, &fx[FX_CHILD_REKEY].p[1]); /* lab4: net4 2 -> 3 */
	pump(&c, t);
	e = only_event(n0);
	if (e) {
		CU_ASSERT_EQUAL(e->type, IPX_IKE_EV_CHILD_REKEY);
		CU_ASSERT_EQUAL(e->ike, 1);
		CU_ASSERT_EQUAL(e->old_child, 2);
		CU_ASSERT_EQUAL(e->child, 3);
		CU_ASSERT_TRUE(e->old_child_row);
		CU_ASSERT_TRUE(e->child_row);
	}
	CU_ASSERT_EQUAL(child_of(&c, 1, 2)->sa.state, IPX_CHILD_REKEYED);
	CU_ASSERT_EQUAL(child_of(&c, 1, 3)->sa.state, IPX_CHILD_INSTALLED);
	CU_ASSERT_EQUAL(child_of(&c, 1, 3)->sa.spi_in, 0xcf99dcea);
	CU_ASSERT_EQUAL(counters_of(&c, "lab4", "net4")->child_rekeys, 1);
	CU_ASSERT_EQUAL(counters_of(&c, "lab6", "net6")->child_rekeys, 0);
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t, 60), 0.2, EPS);
	pump(&c, t + 0.1999);
	CU_ASSERT(fake_idle(f));
	serve_relist(&c, f, t + 0.2);

	/* ike-rekey: old and new IKE SA, both rows, the IKE rekey counted */
	t += 1;
	n0 = rec.n;
	send_ike_rekey(f, "lab4", "1", "40");
	pump(&c, t);
	e = only_event(n0);
	if (e) {
		CU_ASSERT_EQUAL(e->type, IPX_IKE_EV_IKE_REKEY);
		CU_ASSERT_EQUAL(e->old_ike, 1);
		CU_ASSERT_EQUAL(e->ike, 40);
		CU_ASSERT_TRUE(e->old_ike_row);
		CU_ASSERT_TRUE(e->ike_row);
	}
	CU_ASSERT_STRING_EQUAL(sa_of(&c, 1, 40)->sa.name, "lab4");
	CU_ASSERT_EQUAL(counters_of(&c, "lab4", "")->ike_rekeys, 1);
	serve_relist(&c, f, t + 0.2);

	/* child-updown down: told while the row exists, then it is gone (its IKE SA stays) */
	t += 1;
	n0 = rec.n;
	CU_ASSERT_PTR_NOT_NULL(ipx_child_find(c.st, 1, 2));
	send_updown(f, "child-updown", 0, "lab4", "1", "2", "net4", "2");
	pump_down(&c, t);
	e = only_event(n0);
	if (e) {
		CU_ASSERT_EQUAL(e->type, IPX_IKE_EV_CHILD_DOWN);
		CU_ASSERT_EQUAL(e->child, 2);
		CU_ASSERT_TRUE(e->child_row);
		CU_ASSERT_EQUAL(e->reason, IPX_DOWN_UNKNOWN);
	}
	CU_ASSERT_PTR_NULL(ipx_child_find(c.st, 1, 2));
	CU_ASSERT_PTR_NOT_NULL(ipx_ike_sa_find(c.st, 1, 1));
	serve_relist(&c, f, t + 0.2);

	/* IKEv1 exchange modes from charon's log lines, before or after the SA is known */
	t += 1;
	n0 = rec.n;
	send_updown(f, "ike-updown", 1, "lab4", "20", "1", NULL, NULL);
	send_log(f, "20", "initiating Aggressive Mode IKE_SA lab4[20] to 192.0.2.9");
	send_log(f, "21", "initiating Main Mode IKE_SA lab4[21] to 192.0.2.9");
	send_log(f, "1", "initiating Aggressive Mode IKE_SA lab4[1] to 192.0.2.2");
	send_updown(f, "ike-updown", 1, "lab4", "21", "1", NULL, NULL);
	pump(&c, t);
	CU_ASSERT_EQUAL(rec.n, n0 + 2);
	CU_ASSERT_EQUAL(sa_of(&c, 1, 20)->sa.exchange, IPX_IKE_EXCHANGE_AGGRESSIVE);
	CU_ASSERT_EQUAL(sa_of(&c, 1, 21)->sa.exchange, IPX_IKE_EXCHANGE_MAIN);
	/* an IKEv2 SA has no such mode */
	CU_ASSERT_EQUAL(sa_of(&c, 1, 1)->sa.exchange, IPX_IKE_EXCHANGE_IKEV2);
	serve_relist(&c, f, t + 0.2);
	/* log lines are neither counted as events nor followed by a listing */
	n0 = status(&c, 1)->events;
	send_log(f, "1", "sending DPD request");
	send_log(f, NULL, "a line about no IKE SA");
	pump(&c, t + 0.5);
	CU_ASSERT_EQUAL(status(&c, 1)->events, n0);
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t + 0.5, 60), 60, EPS);
	CU_ASSERT(fake_idle(f));
	ctx_free(&c);
}

/* Why SAs go down: the log lines before an updown down, within 10 s. */
static void test_down_reasons(void)
{
	static const struct {
		const char *uid;
		const char *lines[2];
		uint8_t want;
	} cases[] = {
	    {"30", {"giving up after 5 retransmits"}, IPX_DOWN_TIMEOUT},
	    {"31",
	     {"deleting IKE_SA lab4[31] between 192.0.2.1[moon]...192.0.2.9[sun]",
	      "received DELETE for IKE_SA lab4[31]"},
	     IPX_DOWN_PEER},
	    {"32",
	     {"received DELETE for IKE_SA lab4[32]", "deleting IKE_SA lab4[32]"},
	     IPX_DOWN_PEER},
	    {"33", {NULL}, IPX_DOWN_UNKNOWN},
	    {"34", {"IKE_SA lab4[34] lifetime expired"}, IPX_DOWN_EXPIRED},
	    {"35", {"DPD check timed out, enforcing DPD action"}, IPX_DOWN_TIMEOUT},
	};
	const struct rec *e;
	struct ctx c;
	struct fake *f;
	double t = 300;
	size_t n0, i, k;

	CU_ASSERT_EQUAL_FATAL(ctx_init(&c, 1, 0, 30, 1), 0);
	f = &c.f[0];
	bring_up(&c, 0, t);

	/* a CHILD_SA closed here: LOCAL (the cause is remembered per IKE SA) */
	n0 = rec.n;
	send_log(f, "1", "closing CHILD_SA net4{2} with SPIs c6d7028e_i (0 bytes) c2ce5bbe_o");
	send_updown(f, "child-updown", 0, "lab4", "1", "2", "net4", "2");
	pump_down(&c, t);
	e = only_event(n0);
	if (e) {
		CU_ASSERT_EQUAL(e->type, IPX_IKE_EV_CHILD_DOWN);
		CU_ASSERT_EQUAL(e->reason, IPX_DOWN_LOCAL);
	}
	serve_relist(&c, f, t + 0.2);

	/* the peer's DELETE, then ike-updown down: PEER; told while the rows exist */
	t += 1;
	n0 = rec.n;
	send_log(f, "1", "received DELETE for IKE_SA lab4[1]");
	send_updown(f, "ike-updown", 0, "lab4", "1", "2", NULL, NULL);
	pump_down(&c, t);
	e = ike_down_event(n0);
	if (e) {
		CU_ASSERT_EQUAL(e->type, IPX_IKE_EV_IKE_DOWN);
		CU_ASSERT_EQUAL(e->ike, 1);
		CU_ASSERT_TRUE(e->ike_row);
		CU_ASSERT_EQUAL(e->sas, 2);
		CU_ASSERT_EQUAL(e->children, 2);
		CU_ASSERT_EQUAL(e->reason, IPX_DOWN_PEER);
	}
	/* the IKE SA and its CHILD_SA are gone, the other one stays */
	CU_ASSERT_PTR_NULL(ipx_ike_sa_find(c.st, 1, 1));
	CU_ASSERT_PTR_NULL(ipx_child_find(c.st, 1, 2));
	CU_ASSERT_PTR_NOT_NULL(ipx_ike_sa_find(c.st, 1, 2));
	CU_ASSERT_PTR_NOT_NULL(ipx_child_find(c.st, 1, 1));

	/* "deleting IKE_SA" alone: LOCAL */
	n0 = rec.n;
	send_log(f, "2", "deleting IKE_SA lab6[2] between 2001:db8::1[moon]...2001:db8::2[sun]");
	send_updown(f, "ike-updown", 0, "lab6", "2", "2", NULL, NULL);
	pump_down(&c, t);
	e = ike_down_event(n0);
	if (e) {
		CU_ASSERT_EQUAL(e->ike, 2);
		CU_ASSERT_TRUE(e->ike_row);
		CU_ASSERT_EQUAL(e->reason, IPX_DOWN_LOCAL);
	}
	CU_ASSERT_EQUAL(ipx_ike_sa_count(c.st), 0);
	CU_ASSERT_EQUAL(ipx_child_count(c.st), 0);

	/* the other causes, and which one wins (of SAs the store does not hold: told anyway) */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n0 = rec.n;
		for (k = 0; k < 2 && cases[i].lines[k]; k++)
			send_log(f, cases[i].uid, cases[i].lines[k]);
		send_updown(f, "ike-updown", 0, "lab4", cases[i].uid, "2", NULL, NULL);
		pump_down(&c, t);
		e = ike_down_event(n0);
		if (e) {
			CU_ASSERT_EQUAL(e->type, IPX_IKE_EV_IKE_DOWN);
			CU_ASSERT_FALSE(e->ike_row);
			CU_ASSERT_EQUAL(e->reason, cases[i].want);
			if (e->reason != cases[i].want)
				fprintf(stderr, "\n  uid %s: reason %u, wanted %u\n", cases[i].uid,
				        e->reason, cases[i].want);
		}
	}
	serve_relist(&c, f, t + 0.2);

	/* a cause is good for 10 s */
	t += 1;
	send_log(f, "50", "received DELETE for IKE_SA lab4[50]");
	send_log(f, "51", "received DELETE for IKE_SA lab4[51]");
	pump(&c, t);
	n0 = rec.n;
	send_updown(f, "ike-updown", 0, "lab4", "51", "2", NULL, NULL);
	pump_down(&c, t + 9.5);
	e = ike_down_event(n0);
	if (e)
		CU_ASSERT_EQUAL(e->reason, IPX_DOWN_PEER);
	serve_relist(&c, f, t + 9.7);
	n0 = rec.n;
	send_updown(f, "ike-updown", 0, "lab4", "50", "2", NULL, NULL);
	pump_down(&c, t + 10.5);
	e = ike_down_event(n0);
	if (e)
		CU_ASSERT_EQUAL(e->reason, IPX_DOWN_UNKNOWN);
	serve_relist(&c, f, t + 10.7);
	ctx_free(&c);
}

/* ---- 3: malformed messages ------------------------------------------------------------ */

static void test_malformed(void)
{
	/* an EVENT whose message is one element of an unknown type (9) */
	static const uint8_t bad_event[] = {
	    0, 0, 0, 13, IPX_VICI_EVENT, 10, 'i', 'k', 'e', '-', 'u', 'p', 'd', 'o', 'w', 'n', 9};
	const struct ipx_ike_source_status *ss;
	const struct ipx_cert_row *cert;
	struct ipx_vici_builder b;
	struct pkts sas, certs;
	struct ctx c;
	struct fake *f;
	double t = 400;
	size_t n0;

	CU_ASSERT_EQUAL_FATAL(ctx_init(&c, 1, 0, 30, 1), 0);
	f = &c.f[0];
	bring_up(&c, 0, t);
	ss = status(&c, 1);
	CU_ASSERT_EQUAL(ss->malformed, 0);

	/* an ike-updown without uniqueid: counted, nothing told, a listing follows anyway */
	n0 = rec.n;
	send_updown(f, "ike-updown", 1, "lab4", NULL, "2", NULL, NULL);
	pump(&c, t);
	CU_ASSERT_EQUAL(rec.n, n0);
	CU_ASSERT_EQUAL(ss->malformed, 1);
	CU_ASSERT_EQUAL(log_count("malformed ike-updown event ignored"), 1);

	/* a listing with an IKE SA without uniqueid and a CHILD_SA without one: both counted,
	 * the rest applied (and what it lacks swept) */
	listing_begin(&sas);
	ipx_vici_builder_init(&b);
	add_ike(&b, "bad", NULL, "2", "badnet", "60");
	listing_event(&sas, "list-sa", &b);
	ipx_vici_builder_init(&b);
	add_ike(&b, "lab4", "1", "2", "net4", NULL);
	listing_event(&sas, "list-sa", &b);
	pk_copy(&sas, &fx[FX_LIST_SAS].p[2]); /* lab4 as recorded: uid 1, child 2 */
	ipx_vici_builder_init(&b);
	add_ike(&b, "lab9", "9", "2", "net9", "90");
	listing_event(&sas, "list-sa", &b);
	listing_end(&sas);
	serve_stream(&c, f, "list-sa", "list-sas", &sas, t + 0.2);
	pump(&c, t + 0.2);
	free_pkts(&sas);
	CU_ASSERT_EQUAL(ss->malformed, 3);
	CU_ASSERT_EQUAL(log_count("malformed IKE SA ignored"), 1);
	CU_ASSERT_EQUAL(log_count("malformed CHILD_SA ignored"), 1);
	CU_ASSERT_EQUAL(ss->listings, 2);
	CU_ASSERT_EQUAL(ipx_ike_sa_count(c.st), 2); /* lab4 and lab9; lab6 swept */
	CU_ASSERT_PTR_NOT_NULL(ipx_ike_sa_find(c.st, 1, 1));
	CU_ASSERT_PTR_NOT_NULL(ipx_ike_sa_find(c.st, 1, 9));
	CU_ASSERT_PTR_NULL(ipx_ike_sa_find(c.st, 1, 2));
	CU_ASSERT_PTR_NOT_NULL(ipx_child_find(c.st, 1, 2));
	CU_ASSERT_PTR_NOT_NULL(ipx_child_find(c.st, 1, 90));
	CU_ASSERT_PTR_NULL(ipx_child_find(c.st, 1, 60));
	CU_ASSERT_EQUAL(ipx_child_count(c.st), 2);

	/* an event that does not decode: counted by the client, dropped, the connection stays */
	n0 = rec.n;
	fake_send_raw(f, bad_event, sizeof(bad_event));
	pump(&c, t + 1);
	CU_ASSERT_EQUAL(ss->malformed, 4);
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_UP);
	CU_ASSERT_EQUAL(ss->losses, 0);
	CU_ASSERT_EQUAL(ss->connects, 1);
	CU_ASSERT_EQUAL(rec.n, n0);
	CU_ASSERT(fake_idle(f));
	/* ... and works: an event after it */
	send_updown(f, "ike-updown", 1, "lab4", "3", "2", NULL, NULL);
	pump(&c, t + 1);
	CU_ASSERT_EQUAL(rec.n, n0 + 1);
	CU_ASSERT_PTR_NOT_NULL(ipx_ike_sa_find(c.st, 1, 3));
	serve_relist(&c, f, t + 1.2);

	/* certificates: a good one, bad DER, none, not X.509 (not ours: not counted) */
	send_updown(f, "ike-updown", 1, "lab7", "70", "2", NULL, NULL); /* lists the config */
	pump(&c, t + 2);
	listing_begin(&certs);
	cert_event(&certs, "X509", "CA", ca_der.data, ca_der.len);
	cert_event(&certs, "X509", "NONE", "\x30\x03\x02\x01\x01", 5);
	cert_event(&certs, "X509", "NONE", NULL, 0);
	cert_event(&certs, "X509_CRL", "NONE", "\x30\x00", 2);
	listing_end(&certs);
	serve_stream(&c, f, "list-conn", "list-conns", &fx[FX_LIST_CONNS], t + 2);
	serve_stream(&c, f, "list-cert", "list-certs", &certs, t + 2);
	serve_counters(&c, f, t + 2);
	free_pkts(&certs);
	serve_relist(&c, f, t + 2.2);
	CU_ASSERT_EQUAL(ss->malformed, 6);
	CU_ASSERT_EQUAL(log_count("malformed certificate ignored"), 2);
	CU_ASSERT_EQUAL(ipx_cert_count(c.st), 1);
	cert = ipx_cert_next(c.st, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cert);
	CU_ASSERT_EQUAL(cert->h.source, 1);
	CU_ASSERT_STRING_EQUAL(cert->type, "X509");
	CU_ASSERT_EQUAL(cert->flag, IPX_CERT_FLAG_CA);
	CU_ASSERT_EQUAL(cert->has_privkey, 1);
	CU_ASSERT_STRING_EQUAL(cert->cert.subject,
	                       "C=CH, O=strongSwan Test, CN=strongSwan Test Root CA");
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_UP);
	CU_ASSERT_EQUAL(ss->losses, 0);
	ctx_free(&c);
}

/* ---- 4: periodic listing -------------------------------------------------------------- */

static void test_refresh(void)
{
	const struct ipx_conn_row *lab4;
	struct pkts conns;
	struct ctx c;
	struct fake *f;
	double t = 500;
	uint32_t lab4_id;

	CU_ASSERT_EQUAL_FATAL(ctx_init(&c, 1, 5, 30, 1), 0);
	f = &c.f[0];
	bring_up(&c, 0, t);
	CU_ASSERT_EQUAL(ipx_conn_count(c.st), 2);
	lab4 = ipx_conn_find(c.st, 1, "lab4", "net4");
	CU_ASSERT_PTR_NOT_NULL_FATAL(lab4);
	lab4_id = lab4->h.id;
	CU_ASSERT_PTR_NULL(ipx_conn_find(c.st, 1, "lab9", "net901"));

	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t, 60), 5, EPS);
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t + 4, 60), 1, EPS);
	pump(&c, t + 4.99);
	CU_ASSERT(fake_idle(f));

	/* at +5: everything again; lab9 was loaded since, lab6 unloaded */
	listing_begin(&conns);
	pk_copy(&conns, &fx[FX_LIST_CONNS].p[1]); /* lab4 as recorded */
	conn_event(&conns, "lab9", "%any", 2, "net9");
	listing_end(&conns);
	serve_listing(&c, f, &conns, NULL, NULL, t + 5);
	free_pkts(&conns);
	pump(&c, t + 5);
	CU_ASSERT(fake_idle(f));
	CU_ASSERT_EQUAL(ipx_conn_count(c.st), 3);
	CU_ASSERT_PTR_NULL(ipx_conn_find(c.st, 1, "lab6", "net6"));
	lab4 = ipx_conn_find(c.st, 1, "lab4", "net4");
	CU_ASSERT_PTR_NOT_NULL_FATAL(lab4);
	CU_ASSERT_EQUAL(lab4->h.id, lab4_id); /* same row */
	CU_ASSERT_PTR_NOT_NULL_FATAL(ipx_conn_find(c.st, 1, "lab9", "net901"));
	CU_ASSERT_TRUE(ipx_conn_find(c.st, 1, "lab9", "net902")->conn.dynamic);
	CU_ASSERT_EQUAL(status(&c, 1)->listings, 2);
	/* the next one 5 s later */
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t + 5, 60), 5, EPS);
	pump(&c, t + 9.9);
	CU_ASSERT(fake_idle(f));
	serve_listing(&c, f, NULL, NULL, NULL, t + 10);
	pump(&c, t + 10);
	CU_ASSERT(fake_idle(f));
	CU_ASSERT_EQUAL(ipx_conn_count(c.st), 2);
	CU_ASSERT_PTR_NOT_NULL(ipx_conn_find(c.st, 1, "lab6", "net6"));
	CU_ASSERT_PTR_NULL(ipx_conn_find(c.st, 1, "lab9", "net901"));
	CU_ASSERT_EQUAL(status(&c, 1)->listings, 3);

	/* an IKE SA of a connection not listed yet: the configuration is listed at once */
	send_updown(f, "ike-updown", 1, "lab9", "9", "2", NULL, NULL);
	listing_begin(&conns);
	pk_copy(&conns, &fx[FX_LIST_CONNS].p[1]);
	pk_copy(&conns, &fx[FX_LIST_CONNS].p[2]);
	conn_event(&conns, "lab9", "192.0.2.9", 1, "net9");
	listing_end(&conns);
	serve_stream(&c, f, "list-conn", "list-conns", &conns, t + 11);
	free_pkts(&conns);
	serve_stream(&c, f, "list-cert", "list-certs", &fx[FX_LIST_CERTS], t + 11);
	serve_counters(&c, f, t + 11);
	pump(&c, t + 11);
	CU_ASSERT(fake_idle(f));
	CU_ASSERT_PTR_NOT_NULL(ipx_conn_find(c.st, 1, "lab9", "net901"));
	CU_ASSERT_EQUAL(ipx_conn_count(c.st), 3);
	/* while its listing 0.2 s after the event was waiting behind those */
	serve_stream(&c, f, "list-sa", "list-sas", &fx[FX_LIST_SAS], t + 11.2);
	pump(&c, t + 11.2);
	CU_ASSERT(fake_idle(f));
	/* a known connection's IKE SA does not list the configuration */
	send_updown(f, "ike-updown", 1, "lab4", "11", "2", NULL, NULL);
	pump(&c, t + 12);
	CU_ASSERT(fake_idle(f));
	serve_relist(&c, f, t + 12.2);
	ctx_free(&c);
}

/* ---- 5: request timeout --------------------------------------------------------------- */

static void test_request_timeout(void)
{
	const struct ipx_ike_source_status *ss;
	const struct rec *e;
	struct ctx c;
	struct fake *f;
	double t = 600;

	CU_ASSERT_EQUAL_FATAL(ctx_init(&c, 1, 0, 3, 1), 0);
	f = &c.f[0];
	ss = status(&c, 1);
	step(&c, t, 0);
	CU_ASSERT_EQUAL_FATAL(fake_accept(f), 0);
	/* "version" read, never answered */
	CU_ASSERT(expect(&c, f, IPX_VICI_CMD_REQUEST, "version", t));
	pump(&c, t);
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t, 60), 3, EPS);
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t + 1, 60), 2, EPS);
	pump(&c, t + 2.99);
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_CONNECTING);
	CU_ASSERT_EQUAL(rec.n, 0);
	ipx_ike_sources_process(c.s, NULL, 0, t + 3);
	e = only_event(0);
	if (e) {
		CU_ASSERT_EQUAL(e->type, IPX_IKE_EV_SOURCE_DOWN);
		CU_ASSERT_EQUAL(e->source, 1);
		CU_ASSERT_EQUAL(e->reason, IPX_DOWN_DAEMON);
	}
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_DOWN);
	CU_ASSERT_EQUAL(ss->last_error, ETIMEDOUT);
	CU_ASSERT_EQUAL(ss->losses, 1);
	CU_ASSERT_EQUAL(log_count("no answer for 3 s"), 1);
	CU_ASSERT(fake_eof(f));
	/* and back 1 s later */
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t + 3, 60), 1, EPS);
	ipx_ike_sources_process(c.s, NULL, 0, t + 3.99);
	CU_ASSERT_FALSE(fake_pending(f));
	t += 4;
	bring_up(&c, 0, t);
	CU_ASSERT_EQUAL(ss->connects, 2);
	CU_ASSERT_EQUAL(ss->last_error, 0);
	CU_ASSERT_EQUAL(ipx_ike_sa_count(c.st), 2);

	/* a listing that keeps streaming is progress, however long it takes in all */
	send_updown(f, "ike-update", 0, "lab4", "1", "2", NULL, NULL);
	pump(&c, t);
	CU_ASSERT(expect(&c, f, IPX_VICI_EVENT_REGISTER, "list-sa", t + 0.2));
	fake_send_blob(f, &fx[FX_LIST_SAS].p[0]);
	CU_ASSERT(expect(&c, f, IPX_VICI_CMD_REQUEST, "list-sas", t + 0.2));
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t + 0.2, 60), 3, EPS);
	pump(&c, t + 2);
	fake_send_blob(f, &fx[FX_LIST_SAS].p[1]);
	pump(&c, t + 2);
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t + 2, 60), 3, EPS);
	pump(&c, t + 4.5);
	fake_send_blob(f, &fx[FX_LIST_SAS].p[2]);
	pump(&c, t + 4.5);
	pump(&c, t + 7);
	fake_send_blob(f, &fx[FX_LIST_SAS].p[3]);
	CU_ASSERT(expect(&c, f, IPX_VICI_EVENT_UNREGISTER, "list-sa", t + 7));
	fake_send_blob(f, &fx[FX_LIST_SAS].p[4]);
	pump(&c, t + 7);
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_UP);
	CU_ASSERT_EQUAL(ss->losses, 1);
	CU_ASSERT_EQUAL(ss->listings, 2);
	/* idle: no request timer */
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t + 7, 60), 60, EPS);
	pump(&c, t + 100);
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_UP);
	ctx_free(&c);
}

/* ---- 6: charon goes away -------------------------------------------------------------- */

static void test_charon_closes(void)
{
	const struct ipx_ike_source_status *ss;
	const struct ipx_ike_sa_row *sa;
	uint32_t conn4, conn6, cert_id, max_sa = 0;
	struct pkts certs;
	const struct rec *e;
	struct ctx c;
	struct fake *f;
	double t = 700;

	CU_ASSERT_EQUAL_FATAL(ctx_init(&c, 1, 0, 30, 1), 0);
	f = &c.f[0];
	ss = status(&c, 1);
	listing_begin(&certs);
	cert_event(&certs, "X509", "CA", ca_der.data, ca_der.len);
	listing_end(&certs);
	step(&c, t, 0);
	CU_ASSERT_EQUAL_FATAL(fake_accept(f), 0);
	serve_session(&c, f, NULL, &certs, NULL, t);
	CU_ASSERT_EQUAL_FATAL(ss->state, IPX_IKE_SOURCE_UP);
	CU_ASSERT_EQUAL(ipx_ike_sa_count(c.st), 2);
	CU_ASSERT_EQUAL(ipx_cert_count(c.st), 1);
	conn4 = ipx_conn_find(c.st, 1, "lab4", "net4")->h.id;
	conn6 = ipx_conn_find(c.st, 1, "lab6", "net6")->h.id;
	cert_id = ipx_cert_next(c.st, 0)->h.id;
	for (sa = ipx_ike_sa_next(c.st, 0); sa; sa = ipx_ike_sa_next(c.st, sa->h.id))
		max_sa = sa->h.id;

	fake_hangup(f);
	pump(&c, t + 1);
	e = only_event(0);
	if (e) {
		CU_ASSERT_EQUAL(e->type, IPX_IKE_EV_SOURCE_DOWN);
		CU_ASSERT_EQUAL(e->source, 1);
		CU_ASSERT_EQUAL(e->reason, IPX_DOWN_DAEMON);
		CU_ASSERT_EQUAL(e->sas, 2); /* told before the rows go */
		CU_ASSERT_EQUAL(e->children, 2);
	}
	CU_ASSERT_EQUAL(ipx_ike_sa_count(c.st), 0);
	CU_ASSERT_EQUAL(ipx_child_count(c.st), 0);
	/* the configuration stays as last listed */
	CU_ASSERT_EQUAL(ipx_conn_count(c.st), 2);
	CU_ASSERT_EQUAL(ipx_cert_count(c.st), 1);
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_DOWN);
	CU_ASSERT_EQUAL(ss->last_error, ECONNRESET);
	CU_ASSERT_EQUAL(ss->losses, 1);
	CU_ASSERT_EQUAL(log_count("charon closed the connection"), 1);
	CU_ASSERT_EQUAL(log_count("connection lost (Connection reset"), 1);
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t + 1, 60), 1, EPS);
	ipx_ike_sources_process(c.s, NULL, 0, t + 1.99);
	CU_ASSERT_FALSE(fake_pending(f));

	/* charon back: everything again, the configuration's rows kept their indexes */
	t += 2;
	step(&c, t, 0);
	CU_ASSERT_EQUAL_FATAL(fake_accept(f), 0);
	serve_session(&c, f, NULL, &certs, NULL, t);
	free_pkts(&certs);
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_UP);
	CU_ASSERT_EQUAL(ss->connects, 2);
	CU_ASSERT_EQUAL(ss->losses, 1);
	CU_ASSERT_EQUAL(ss->listings, 2);
	CU_ASSERT_EQUAL(ss->last_error, 0);
	CU_ASSERT_EQUAL(ipx_ike_sa_count(c.st), 2);
	CU_ASSERT_EQUAL(ipx_child_count(c.st), 2);
	CU_ASSERT_EQUAL(ipx_conn_find(c.st, 1, "lab4", "net4")->h.id, conn4);
	CU_ASSERT_EQUAL(ipx_conn_find(c.st, 1, "lab6", "net6")->h.id, conn6);
	CU_ASSERT_EQUAL(ipx_cert_next(c.st, 0)->h.id, cert_id);
	/* IKE SA indexes are never reused */
	CU_ASSERT(sa_of(&c, 1, 1)->h.id > max_sa);
	CU_ASSERT(sa_of(&c, 1, 2)->h.id > max_sa);
	CU_ASSERT_EQUAL(rec.n, 1);
	ctx_free(&c);
}

/* ---- 6b: charon's counters ------------------------------------------------------------ */

/* A packet of TYPE with B's message (released), in a heap blob. */
static struct blob make_blob(unsigned int type, struct ipx_vici_builder *b)
{
	struct blob o = {NULL, 0};

	CU_ASSERT_EQUAL(ipx_vici_encode(type, NULL, b, &o.data, &o.len), 0);
	ipx_vici_builder_release(b);
	return o;
}

/* Without the counters plugin (CMD_UNKNOWN): no rows, said once, not asked again until
 * charon reconnects; with it: the recorded rows; a later reply replaces them (same ids,
 * what it lacks swept, malformed values counted); a failed reply keeps them; so does the
 * source going down. */
static void test_counters(void)
{
	const struct ipx_ike_source_status *ss;
	const struct ipx_ike_counter_row *r;
	struct ipx_vici_builder b;
	struct blob all, failed;
	uint32_t id_rekey, id_global;
	struct ctx c;
	struct fake *f;
	double t = 750;
	size_t i;

	CU_ASSERT_EQUAL_FATAL(ctx_init(&c, 1, 5, 30, 1), 0);
	f = &c.f[0];
	ss = status(&c, 1);
	step(&c, t, 0);
	CU_ASSERT_EQUAL_FATAL(fake_accept(f), 0);
	CU_ASSERT(expect(&c, f, IPX_VICI_CMD_REQUEST, "version", t));
	fake_send_blob(f, &fx[FX_VERSION].p[0]);
	for (i = 0; i < N_REGISTRATIONS; i++) {
		CU_ASSERT(expect(&c, f, IPX_VICI_EVENT_REGISTER, registrations[i], t));
		fake_send(f, IPX_VICI_EVENT_CONFIRM, NULL, NULL);
	}
	serve_stream(&c, f, "list-conn", "list-conns", &fx[FX_LIST_CONNS], t);
	serve_stream(&c, f, "list-cert", "list-certs", &fx[FX_LIST_CERTS], t);
	CU_ASSERT(expect_counters(&c, f, 0, t));
	fake_send(f, IPX_VICI_CMD_UNKNOWN, NULL, NULL);
	CU_ASSERT(expect_counters(&c, f, 1, t)); /* queued already */
	fake_send(f, IPX_VICI_CMD_UNKNOWN, NULL, NULL);
	serve_stream(&c, f, "list-sa", "list-sas", &fx[FX_LIST_SAS], t);
	pump(&c, t);
	CU_ASSERT(fake_idle(f));
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_UP);
	CU_ASSERT_EQUAL(ss->malformed, 0);
	CU_ASSERT_EQUAL(ipx_ike_counter_count(c.st), 0);
	CU_ASSERT_EQUAL(ipx_conn_count(c.st), 2);
	CU_ASSERT_EQUAL(log_count("does not know get-counters"), 1);

	/* the refresh at +5: everything but get-counters */
	pump(&c, t + 4.9);
	CU_ASSERT(fake_idle(f));
	serve_stream(&c, f, "list-conn", "list-conns", &fx[FX_LIST_CONNS], t + 5);
	serve_stream(&c, f, "list-cert", "list-certs", &fx[FX_LIST_CERTS], t + 5);
	serve_stream(&c, f, "list-sa", "list-sas", &fx[FX_LIST_SAS], t + 5);
	pump(&c, t + 5);
	CU_ASSERT(fake_idle(f));
	CU_ASSERT_EQUAL(ipx_ike_counter_count(c.st), 0);
	CU_ASSERT_EQUAL(log_count("does not know get-counters"), 1);

	/* charon restarts, with the plugin: asked again, the recorded rows */
	fake_hangup(f);
	pump(&c, t + 6);
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_DOWN);
	t += 7;
	step(&c, t, 0);
	CU_ASSERT_EQUAL_FATAL(fake_accept(f), 0);
	serve_session(&c, f, NULL, NULL, NULL, t);
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_UP);
	CU_ASSERT_EQUAL(ipx_ike_counter_count(c.st), 63);
	CU_ASSERT_EQUAL(log_count("does not know get-counters"), 1);
	r = ipx_ike_counter_find(c.st, 1, "a", "ike-rekey-init");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	id_rekey = r->h.id;
	r = ipx_ike_counter_find(c.st, 1, "", "ike-init-out-req");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	id_global = r->h.id;
	CU_ASSERT_EQUAL(r->value, 2);
	/* rows walk in id order, ids from 1, the global ones first (asked first) */
	r = ipx_ike_counter_next(c.st, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->h.id, 1);
	CU_ASSERT_STRING_EQUAL(r->scope, "");
	CU_ASSERT_STRING_EQUAL(r->name, "ike-rekey-init");
	CU_ASSERT_PTR_EQUAL(ipx_ike_counter_by_id(c.st, id_rekey),
	                    ipx_ike_counter_find(c.st, 1, "a", "ike-rekey-init"));

	/* the refresh at +5: per connection only a's ike-rekey-init (and a bad value) */
	ipx_vici_builder_init(&b);
	ipx_vici_begin_section(&b, "counters");
	ipx_vici_begin_section(&b, "a");
	ipx_vici_add_kv_str(&b, "ike-rekey-init", "18446744073709551615");
	ipx_vici_add_kv_str(&b, "child-rekey", "-1");
	ipx_vici_add_kv_str(&b, "invalid", "");
	ipx_vici_end_section(&b);
	ipx_vici_end_section(&b);
	ipx_vici_add_kv_str(&b, "success", "yes");
	all = make_blob(IPX_VICI_CMD_RESPONSE, &b);
	serve_stream(&c, f, "list-conn", "list-conns", &fx[FX_LIST_CONNS], t + 5);
	serve_stream(&c, f, "list-cert", "list-certs", &fx[FX_LIST_CERTS], t + 5);
	serve_counters_with(&c, f, NULL, &all, t + 5);
	serve_stream(&c, f, "list-sa", "list-sas", &fx[FX_LIST_SAS], t + 5);
	pump(&c, t + 5);
	CU_ASSERT(fake_idle(f));
	free(all.data);
	CU_ASSERT_EQUAL(ipx_ike_counter_count(c.st), 22);
	CU_ASSERT_EQUAL(ss->malformed, 2);
	CU_ASSERT_EQUAL(log_count("malformed counter ignored"), 2);
	r = ipx_ike_counter_find(c.st, 1, "a", "ike-rekey-init");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->h.id, id_rekey); /* the same row */
	CU_ASSERT_EQUAL(r->value, UINT64_MAX);
	CU_ASSERT_PTR_NULL(ipx_ike_counter_find(c.st, 1, "a", "child-rekey"));
	CU_ASSERT_PTR_NULL(ipx_ike_counter_find(c.st, 1, "idle", "ike-init-out-req"));
	CU_ASSERT_EQUAL(ipx_ike_counter_find(c.st, 1, "", "ike-init-out-req")->h.id, id_global);

	/* +10: charon says no: nothing is swept */
	ipx_vici_builder_init(&b);
	ipx_vici_begin_section(&b, "counters");
	ipx_vici_end_section(&b);
	ipx_vici_add_kv_str(&b, "success", "no");
	ipx_vici_add_kv_str(&b, "errmsg", "no counters found for this connection");
	failed = make_blob(IPX_VICI_CMD_RESPONSE, &b);
	serve_stream(&c, f, "list-conn", "list-conns", &fx[FX_LIST_CONNS], t + 10);
	serve_stream(&c, f, "list-cert", "list-certs", &fx[FX_LIST_CERTS], t + 10);
	serve_counters_with(&c, f, NULL, &failed, t + 10);
	serve_stream(&c, f, "list-sa", "list-sas", &fx[FX_LIST_SAS], t + 10);
	pump(&c, t + 10);
	CU_ASSERT(fake_idle(f));
	free(failed.data);
	CU_ASSERT_EQUAL(ipx_ike_counter_count(c.st), 22);
	CU_ASSERT_EQUAL(log_count("get-counters failed: no counters found"), 1);

	/* charon goes away: its cumulative counters stay, as last listed */
	fake_hangup(f);
	pump(&c, t + 11);
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_DOWN);
	CU_ASSERT_EQUAL(ipx_ike_sa_count(c.st), 0);
	CU_ASSERT_EQUAL(ipx_ike_counter_count(c.st), 22);
	CU_ASSERT_EQUAL(ipx_ike_counter_find(c.st, 1, "a", "ike-rekey-init")->h.id, id_rekey);
	ctx_free(&c);
}

/* ---- 7: two charons ------------------------------------------------------------------- */

static void test_two_sources(void)
{
	const struct ipx_ike_sa_row *sa;
	const struct ipx_child_row *ch;
	const struct ipx_conn_row *conn;
	struct pollfd fds[4];
	const struct rec *e;
	char uri[80];
	struct ctx c;
	double t = 800;
	size_t n0;

	CU_ASSERT_EQUAL_FATAL(ctx_init(&c, 2, 0, 30, 1), 0);
	CU_ASSERT_EQUAL(ipx_ike_sources_count(c.s), 2);
	CU_ASSERT_PTR_NULL(status(&c, 0));
	CU_ASSERT_PTR_NULL(status(&c, 3));
	snprintf(uri, sizeof(uri), "unix://%s", c.f[1].path);
	CU_ASSERT_STRING_EQUAL(status(&c, 2)->path, uri);
	CU_ASSERT_EQUAL(status(&c, 2)->index, 2);

	/* both connect in one pass; the second waits while the first is served */
	step(&c, t, 0);
	CU_ASSERT_EQUAL_FATAL(fake_accept(&c.f[0]), 0);
	CU_ASSERT_EQUAL_FATAL(fake_accept(&c.f[1]), 0);
	CU_ASSERT_EQUAL(ipx_ike_sources_pollfds(c.s, fds, 4), 2);
	CU_ASSERT_EQUAL(ipx_ike_sources_pollfds(c.s, fds, 1), 1);
	serve_session(&c, &c.f[0], NULL, NULL, NULL, t);
	CU_ASSERT_EQUAL(status(&c, 1)->state, IPX_IKE_SOURCE_UP);
	CU_ASSERT_EQUAL(status(&c, 2)->state, IPX_IKE_SOURCE_CONNECTING);
	serve_session(&c, &c.f[1], NULL, NULL, NULL, t);
	CU_ASSERT_EQUAL(status(&c, 2)->state, IPX_IKE_SOURCE_UP);
	CU_ASSERT_STRING_EQUAL(status(&c, 2)->daemon, "charon");

	/* the same uniqueids from both: rows of their own, tagged with their source */
	CU_ASSERT_EQUAL(ipx_ike_sa_count(c.st), 4);
	CU_ASSERT_EQUAL(sa_rows(1), 2);
	CU_ASSERT_EQUAL(sa_rows(2), 2);
	CU_ASSERT_EQUAL(child_rows(1), 2);
	CU_ASSERT_EQUAL(child_rows(2), 2);
	CU_ASSERT_EQUAL(conn_rows(1), 2);
	CU_ASSERT_EQUAL(conn_rows(2), 2);
	CU_ASSERT_NOT_EQUAL(sa_of(&c, 1, 1)->h.id, sa_of(&c, 2, 1)->h.id);
	for (ch = ipx_child_next(c.st, 0); ch; ch = ipx_child_next(c.st, ch->h.id)) {
		sa = ipx_ike_sa_by_id(c.st, ch->ike_id);
		CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
		CU_ASSERT_EQUAL(sa->h.source, ch->h.source);
		conn = ipx_conn_by_id(c.st, ch->conn_id);
		CU_ASSERT_PTR_NOT_NULL_FATAL(conn);
		CU_ASSERT_EQUAL(conn->h.source, ch->h.source);
	}

	/* an event of the second: told with its index, its rows only */
	n0 = rec.n;
	send_updown(&c.f[1], "ike-updown", 1, "lab4", "7", "2", NULL, NULL);
	pump(&c, t);
	e = only_event(n0);
	if (e) {
		CU_ASSERT_EQUAL(e->source, 2);
		CU_ASSERT_TRUE(e->ike_row);
	}
	CU_ASSERT_EQUAL(rec.raw_source, 2);
	CU_ASSERT_PTR_NOT_NULL(ipx_ike_sa_find(c.st, 2, 7));
	CU_ASSERT_PTR_NULL(ipx_ike_sa_find(c.st, 1, 7));
	CU_ASSERT_EQUAL(status(&c, 1)->events, 0);
	CU_ASSERT_EQUAL(status(&c, 2)->events, 1);
	CU_ASSERT(fake_idle(&c.f[0]));
	serve_relist(&c, &c.f[1], t + 0.2);
	CU_ASSERT(fake_idle(&c.f[0]));

	/* the second goes away: the first's rows stay */
	n0 = rec.n;
	fake_hangup(&c.f[1]);
	pump(&c, t + 1);
	e = only_event(n0);
	if (e) {
		CU_ASSERT_EQUAL(e->type, IPX_IKE_EV_SOURCE_DOWN);
		CU_ASSERT_EQUAL(e->source, 2);
		CU_ASSERT_EQUAL(e->sas, 2);
	}
	CU_ASSERT_EQUAL(status(&c, 1)->state, IPX_IKE_SOURCE_UP);
	CU_ASSERT_EQUAL(status(&c, 2)->state, IPX_IKE_SOURCE_DOWN);
	CU_ASSERT_EQUAL(status(&c, 1)->losses, 0);
	CU_ASSERT_EQUAL(status(&c, 2)->losses, 1);
	CU_ASSERT_EQUAL(sa_rows(1), 2);
	CU_ASSERT_EQUAL(child_rows(1), 2);
	CU_ASSERT_EQUAL(sa_rows(2), 0);
	CU_ASSERT_EQUAL(child_rows(2), 0);
	CU_ASSERT_EQUAL(conn_rows(2), 2);
	CU_ASSERT_EQUAL(ipx_ike_sources_pollfds(c.s, fds, 4), 1);
	/* only the second's reconnect is timed */
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(c.s, t + 1, 60), 1, EPS);
	CU_ASSERT(fake_idle(&c.f[0]));
	ctx_free(&c);
}

/* ---- refusals --------------------------------------------------------------------------- */

static void test_refusals(void)
{
	static const char *paths[IPX_IKE_MAX_SOURCES + 1];
	char longpath[200];
	struct ipx_ike_sources_config cfg = {.paths = paths, .retry_min = 0, .retry_max = 0};
	struct ipx_ike_store *st = ipx_ike_store_new(NULL);
	struct ipx_ike_sources *s = NULL;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	for (i = 0; i <= IPX_IKE_MAX_SOURCES; i++)
		paths[i] = "/nonexistent/charon.vici";
	cfg.n_paths = IPX_IKE_MAX_SOURCES + 1;
	CU_ASSERT_EQUAL(ipx_ike_sources_new(&cfg, st, &s), -E2BIG);
	paths[1] = longpath;
	cfg.n_paths = 2;
	CU_ASSERT_EQUAL(ipx_ike_sources_new(&cfg, st, &s), -ENAMETOOLONG);
	/* no sources at all; retry_min 0 means 1 s */
	paths[1] = "/nonexistent/charon.vici";
	CU_ASSERT_EQUAL_FATAL(ipx_ike_sources_new(&cfg, st, &s), 0);
	ipx_ike_sources_process(s, NULL, 0, 10);
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(s, 10, 60), 1, EPS);
	CU_ASSERT_EQUAL(ipx_ike_sources_count(s), 2);
	ipx_ike_sources_free(s);
	cfg.n_paths = 0;
	CU_ASSERT_EQUAL_FATAL(ipx_ike_sources_new(&cfg, st, &s), 0);
	CU_ASSERT_EQUAL(ipx_ike_sources_count(s), 0);
	CU_ASSERT_DOUBLE_EQUAL(ipx_ike_sources_timeout(s, 10, 7), 7, EPS);
	ipx_ike_sources_free(s);
	ipx_ike_sources_free(NULL);
	CU_ASSERT_EQUAL(ipx_ike_sources_count(NULL), 0);
	CU_ASSERT_PTR_NULL(ipx_ike_source_status(NULL, 1));
	ipx_ike_store_free(st);
}

/* ---- fixed defects ----------------------------------------------------------------------------
 */

/*
 * A command charon never answers must drop the connection after request_timeout, even
 * while charon keeps sending events (log lines of other threads, updowns): only answers
 * and the streamed results of the command in flight restart the request clock (once,
 * every packet did, and the timeout never fired).
 */
static void test_timeout_not_reset_by_events(void)
{
	const struct ipx_ike_source_status *ss;
	struct ctx c;
	struct fake *f;
	double t = 900, d;

	CU_ASSERT_EQUAL_FATAL(ctx_init(&c, 1, 0, 3, 1), 0);
	f = &c.f[0];
	ss = status(&c, 1);
	step(&c, t, 0);
	CU_ASSERT_EQUAL_FATAL(fake_accept(f), 0);
	CU_ASSERT(expect(&c, f, IPX_VICI_CMD_REQUEST, "version", t));
	pump(&c, t);
	/* "version" never answered; a log line every 2 s */
	for (d = 2; d <= 10 && ss->state != IPX_IKE_SOURCE_DOWN; d += 2) {
		send_log(f, "1", "sending DPD request");
		pump(&c, t + d);
	}
	/* 10 s without an answer, request_timeout 3 */
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_DOWN);
	CU_ASSERT_EQUAL(ss->last_error, ETIMEDOUT);
	CU_ASSERT_EQUAL(rec.n, 1);
	ctx_free(&c);
}

/*
 * A connection with more than 16 children: every child gets a row (once, on_list_conn()
 * parsed into a fixed array of 16 and dropped the rest silently).
 */
static void test_conn_many_children(void)
{
	struct pkts conns;
	struct ctx c;
	double t = 1000;

	CU_ASSERT_EQUAL_FATAL(ctx_init(&c, 1, 0, 30, 1), 0);
	listing_begin(&conns);
	conn_event(&conns, "many", "192.0.2.9", 20, "net");
	listing_end(&conns);
	step(&c, t, 0);
	CU_ASSERT_EQUAL_FATAL(fake_accept(&c.f[0]), 0);
	serve_session(&c, &c.f[0], &conns, NULL, NULL, t);
	free_pkts(&conns);
	CU_ASSERT_EQUAL(status(&c, 1)->state, IPX_IKE_SOURCE_UP);
	CU_ASSERT_PTR_NOT_NULL(ipx_conn_find(c.st, 1, "many", "net16"));
	CU_ASSERT_PTR_NOT_NULL(ipx_conn_find(c.st, 1, "many", "net17"));
	CU_ASSERT_PTR_NOT_NULL(ipx_conn_find(c.st, 1, "many", "net20"));
	CU_ASSERT_EQUAL(ipx_conn_count(c.st), 20);
	ctx_free(&c);
}

/*
 * A message that breaks the framing (a length field above 512 KiB), or a CMD_RESPONSE
 * whose message does not decode, drops the connection and is counted in the status's
 * malformed counter, as the MIB (ipsecIkeSourceMalformed) and the README say.
 */
static void test_framing_counted(void)
{
	static const uint8_t oversized[] = {0x00, 0x08, 0x00, 0x01, IPX_VICI_EVENT};
	static const uint8_t bad_reply[] = {0, 0, 0, 2, IPX_VICI_CMD_RESPONSE, 9};
	const struct ipx_ike_source_status *ss;
	struct ctx c;
	struct fake *f;
	double t = 1100;

	CU_ASSERT_EQUAL_FATAL(ctx_init(&c, 1, 0, 30, 1), 0);
	f = &c.f[0];
	ss = status(&c, 1);
	bring_up(&c, 0, t);
	fake_send_raw(f, oversized, sizeof(oversized));
	pump(&c, t);
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_DOWN);
	CU_ASSERT_EQUAL(ss->losses, 1);
	CU_ASSERT_EQUAL(ss->last_error, EMSGSIZE);
	CU_ASSERT_EQUAL(ss->malformed, 1);
	/* again, with a reply that does not decode */
	t += 1;
	step(&c, t, 0);
	CU_ASSERT_EQUAL_FATAL(fake_accept(f), 0);
	CU_ASSERT(expect(&c, f, IPX_VICI_CMD_REQUEST, "version", t));
	fake_send_raw(f, bad_reply, sizeof(bad_reply));
	pump(&c, t);
	CU_ASSERT_EQUAL(ss->state, IPX_IKE_SOURCE_DOWN);
	CU_ASSERT_EQUAL(ss->losses, 2);
	CU_ASSERT_EQUAL(ss->last_error, EBADMSG);
	CU_ASSERT_EQUAL(ss->malformed, 2);
	ctx_free(&c);
}

/*
 * Down causes die with the charon they came from: uniqueids start again from 1 when charon
 * restarts, so a cause logged by the old charon must not name the down of an IKE SA of the
 * new one (here: charon's shutdown "deleting IKE_SA" lines, a restart 1 s later, then the
 * new lab4[1] goes down without a log line: UNKNOWN).
 */
static void test_reasons_forgotten_on_restart(void)
{
	const struct rec *e;
	struct ctx c;
	struct fake *f;
	double t = 1200;
	size_t n0;

	CU_ASSERT_EQUAL_FATAL(ctx_init(&c, 1, 0, 30, 1), 0);
	f = &c.f[0];
	bring_up(&c, 0, t);
	send_log(f, "1", "deleting IKE_SA lab4[1] between 192.0.2.1[moon]...192.0.2.2[sun]");
	pump(&c, t);
	fake_hangup(f);
	pump(&c, t + 0.1);
	CU_ASSERT_EQUAL(status(&c, 1)->state, IPX_IKE_SOURCE_DOWN);
	bring_up(&c, 0, t + 1.5);
	n0 = rec.n;
	send_updown(f, "ike-updown", 0, "lab4", "1", "2", NULL, NULL);
	pump_down(&c, t + 3);
	e = ike_down_event(n0);
	if (e) {
		CU_ASSERT_TRUE(e->ike_row);
		CU_ASSERT_EQUAL(e->reason, IPX_DOWN_UNKNOWN);
	}
	ctx_free(&c);
}

/*
 * A CHILD_SA section without uniqueid in a child-updown down or a child-rekey event is
 * counted as malformed, like the same section in a listing or a child-updown up.
 */
static void test_event_children_counted(void)
{
	const struct ipx_ike_source_status *ss;
	struct ipx_vici_builder b;
	struct ctx c;
	struct fake *f;
	double t = 1300;
	size_t n0;

	CU_ASSERT_EQUAL_FATAL(ctx_init(&c, 1, 0, 30, 1), 0);
	f = &c.f[0];
	ss = status(&c, 1);
	bring_up(&c, 0, t);
	n0 = rec.n;
	send_updown(f, "child-updown", 0, "lab4", "1", "2", "net4", NULL);
	pump_down(&c, t);
	CU_ASSERT_EQUAL(rec.n, n0);
	CU_ASSERT_EQUAL(ss->malformed, 1);
	/* child-rekey: lab4 { ... child-sas { net4 { old { ... } new { ... } } } }, no uniqueids */
	ipx_vici_builder_init(&b);
	ipx_vici_begin_section(&b, "lab4");
	ipx_vici_add_kv_str(&b, "uniqueid", "1");
	ipx_vici_add_kv_str(&b, "version", "2");
	ipx_vici_begin_section(&b, "child-sas");
	ipx_vici_begin_section(&b, "net4");
	ipx_vici_begin_section(&b, "old");
	ipx_vici_add_kv_str(&b, "state", "REKEYED");
	ipx_vici_end_section(&b);
	ipx_vici_begin_section(&b, "new");
	ipx_vici_add_kv_str(&b, "state", "INSTALLED");
	ipx_vici_end_section(&b);
	ipx_vici_end_section(&b);
	ipx_vici_end_section(&b);
	ipx_vici_end_section(&b);
	fake_send(f, IPX_VICI_EVENT, "child-rekey", &b);
	ipx_vici_builder_release(&b);
	pump(&c, t);
	CU_ASSERT_EQUAL(rec.n, n0);
	CU_ASSERT(ss->malformed >= 2);
	serve_relist(&c, f, t + 0.2);
	ctx_free(&c);
}

/* ---- main ----------------------------------------------------------------------------- */

static int suite_init(void)
{
	void *data;
	size_t i, len;

	for (i = 0; i < N_FIXTURES; i++) {
		if (ipx_fixture_load(fixtures[i], &data, &len) < 0)
			return -1;
		if (split(data, len, &fx[i]) < 0) {
			free(data);
			return -1;
		}
		free(data);
	}
	if (ipx_fixture_load("cert-ca-rsa.der", &data, &ca_der.len) < 0)
		return -1;
	ca_der.data = data;
	/* what the tests send, as recorded (tests/unit/fixtures/README.md) */
	if (fx[FX_LIST_SAS].n != 5 || fx[FX_LIST_CONNS].n != 5 || fx[FX_LIST_CERTS].n != 3 ||
	    fx[FX_VERSION].n != 1 || fx[FX_CHILD_REKEY].n != 3 || fx[FX_COUNTERS_GLOBAL].n != 1 ||
	    fx[FX_COUNTERS].n != 1)
		return -1;
	ipx_log_set_sink(log_sink);
	ipx_log_set_debug("vici");
	return 0;
}

static int suite_clean(void)
{
	size_t i;

	for (i = 0; i < N_FIXTURES; i++)
		free_pkts(&fx[i]);
	free(ca_der.data);
	ipx_log_set_sink(NULL);
	return 0;
}

int main(void)
{
	unsigned int failed;
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ike-source", suite_init, suite_clean);
	if (!s)
		return 1;
	CU_add_test(s, "no socket: backoff; then connect, requests, listings, UP", test_connect);
	CU_add_test(s, "events: ups, downs, rekeys, exchange modes, follow-up listing",
	            test_events);
	CU_add_test(s, "down reasons from log lines, 10 s", test_down_reasons);
	CU_add_test(s, "malformed sections, events, certificates", test_malformed);
	CU_add_test(s, "periodic listing: conns loaded and unloaded", test_refresh);
	CU_add_test(s, "request timeout, reconnect, slow streams", test_request_timeout);
	CU_add_test(s, "charon closes: SOURCE_DOWN, config kept, reconnect", test_charon_closes);
	CU_add_test(s, "charon's counters: CMD_UNKNOWN, replies, sweeps, kept when down",
	            test_counters);
	CU_add_test(s, "two charons", test_two_sources);
	CU_add_test(s, "refusals", test_refusals);
	CU_add_test(s, "request timeout not reset by unrelated events",
	            test_timeout_not_reset_by_events);
	CU_add_test(s, "connections with more than 16 children", test_conn_many_children);
	CU_add_test(s, "framing errors counted as malformed", test_framing_counted);
	CU_add_test(s, "down causes forgotten when charon restarts",
	            test_reasons_forgotten_on_restart);
	CU_add_test(s, "malformed CHILD_SAs of events counted", test_event_children_counted);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
