/*
 * IKE daemons over VICI (ike_source.h): per socket, a vici_client driven from the
 * daemon's select() loop, a reconnect timer with backoff, and the translation of listings
 * and events into the IKE store.
 *
 * After connecting: "version", the event registrations, then list-conns, list-certs,
 * get-counters (twice: charon's global counters, then all=yes for those of every
 * connection; charon answers CMD_UNKNOWN without its counters plugin, and is then not
 * asked again until it reconnects) and list-sas; the source is UP once list-sas
 * completes. Every event updates the store at once from what it carries and asks for a
 * list-sas soon after (events do not carry everything: counters, a CHILD_SA's sibling),
 * coalesced so a storm of events costs one listing. A listing also runs every refresh
 * interval.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipsec_agentx/cert.h"
#include "ipsec_agentx/ike.h"
#include "ipsec_agentx/ike_source.h"
#include "ipsec_agentx/log.h"
#include "ipsec_agentx/notify.h"
#include "ipsec_agentx/vici_client.h"

/* How soon after an event the follow-up list-sas runs: events come in bursts (a rekey is
 * a child-rekey and two updowns). */
#define RELIST_DELAY 0.2
/* Down causes remembered: more IKE SAs going down at once than this lose their cause. */
#define REASONS 256

/* "log": charon's log lines of level <= 1, the only place that says whether an IKEv1 SA
 * used main or aggressive mode ("... is initiating a Main Mode IKE_SA"). */
static const char *const events[] = {"ike-updown",   "ike-rekey",   "ike-update",
                                     "child-updown", "child-rekey", "log"};

/* A down held back until its cause is known: charon sends the log line that says why
 * (a peer's DELETE, ...) after the updown event, through a queue of its own. */
struct held_down {
	int used, is_ike;
	struct ipx_ike_sa sa;
	struct ipx_child_sa child;
	double due;
};
#define HELD_MAX  64
#define HOLD_SECS 0.15 /* less than RELIST_DELAY: the rows must still be there */

struct source {
	struct ipx_ike_sources *all;
	struct ipx_vici_client *cli;
	struct ipx_ike_source_status st;
	double retry_at;      /* when DOWN: next connect attempt */
	double backoff;       /* current retry delay */
	double relist_at;     /* a list-sas is due at this time after events (0: none) */
	double refresh_at;    /* the next periodic listing of everything (0: none) */
	int config_listing;   /* list-conns / list-certs queued or in flight */
	double busy_since;    /* oldest request without an answer (0: none pending) */
	int listing;          /* a list-sas is queued or in flight */
	int counting;         /* get-counters requests queued or in flight */
	int counting_err;     /* one of them failed: the listing keeps what was known */
	int no_counters;      /* charon lacks get-counters (no counters plugin): not asked again */
	int told_no_counters; /* logged; cleared once charon answers get-counters */
	/* the last known cause of a down, per IKE SA (from charon's log), a small ring */
	struct {
		uint32_t uid;
		uint8_t reason;
		double at;
	} reasons[REASONS];
	size_t next_reason;
	struct held_down held[HELD_MAX];
	uint64_t parse_errors;
	double now; /* time of the call being handled */
};

struct ipx_ike_sources {
	struct ipx_ike_sources_config cfg;
	struct ipx_ike_store *store;
	size_t n;
	struct source src[IPX_IKE_MAX_SOURCES];
};

static uint32_t index_of(const struct source *s)
{
	return s->st.index;
}

static void set_state(struct source *s, enum ipx_ike_source_state state)
{
	if (s->st.state != state)
		s->st.last_change = ipx_ike_now();
	s->st.state = (uint8_t)state;
}

static void malformed(struct source *s, const char *what)
{
	s->parse_errors++;
	ipx_log_warnx("vici %s: malformed %s ignored (%llu so far)", s->st.path, what,
	              (unsigned long long)s->parse_errors);
}

/* ---- message contents into the store -------------------------------------------------- */

/* An IKE SA section with its child-sas: upserts both. Returns the IKE SA's uniqueid or 0. */
static uint32_t take_ike(struct source *s, const struct ipx_vici_node *ike)
{
	struct ipx_ike_store *st = s->all->store;
	const struct ipx_vici_node *kids, *k;
	struct ipx_ike_sa sa;
	int64_t now = ipx_ike_now();

	if (ipx_ike_parse_sa(ike, now, &sa) < 0) {
		malformed(s, "IKE SA");
		return 0;
	}
	if (ipx_ike_upsert_sa(st, index_of(s), &sa) < 0)
		return 0;
	kids = ipx_vici_child(ike, "child-sas");
	for (k = kids ? kids->child : NULL; k; k = k->next) {
		struct ipx_child_sa c;
		if (ipx_ike_parse_child(k, sa.unique_id, now, &c) < 0) {
			malformed(s, "CHILD_SA");
			continue;
		}
		ipx_ike_upsert_child(st, index_of(s), &c);
	}
	return sa.unique_id;
}

/* The sections of a message's root (events name them after the connection). */
static void take_all_ike(struct source *s, const struct ipx_vici_msg *m)
{
	const struct ipx_vici_node *n;

	for (n = m->root.child; n; n = n->next)
		if (n->kind == IPX_VICI_SECTION)
			take_ike(s, n);
}

static void progress(struct source *s)
{
	if (s->busy_since)
		s->busy_since = s->now;
}

static void on_list_sa(void *arg, const struct ipx_vici_msg *m)
{
	progress(arg);
	take_all_ike(arg, m);
}

static void on_list_conn(void *arg, const struct ipx_vici_msg *m)
{
	struct source *s = arg;
	const struct ipx_vici_node *n;
	struct ipx_ike_conn *conns;

	progress(s);

	for (n = m->root.child; n; n = n->next) {
		int i, k, max;
		const struct ipx_vici_node *ch;
		if (n->kind != IPX_VICI_SECTION)
			continue;
		ch = ipx_vici_child(n, "children");
		max = (ch ? (int)ch->children : 0) + 1;
		conns = calloc((size_t)max, sizeof(*conns));
		if (!conns)
			continue;
		k = ipx_ike_parse_conn(n, conns, max);
		if (k < 0) {
			free(conns);
			malformed(s, "connection");
			continue;
		}
		for (i = 0; i < k; i++)
			ipx_ike_upsert_conn(s->all->store, index_of(s), &conns[i]);
		free(conns);
	}
}

static unsigned int cert_flag(const char *f)
{
	if (!f)
		return IPX_CERT_FLAG_NONE;
	if (!strcmp(f, "CA"))
		return IPX_CERT_FLAG_CA;
	if (!strcmp(f, "AA"))
		return IPX_CERT_FLAG_AA;
	if (!strcmp(f, "OCSP"))
		return IPX_CERT_FLAG_OCSP;
	return IPX_CERT_FLAG_NONE;
}

static void on_list_cert(void *arg, const struct ipx_vici_msg *m)
{
	struct source *s = arg;
	const struct ipx_vici_node *data = ipx_vici_child(&m->root, "data");
	const char *type = ipx_vici_get(&m->root, "type");
	const char *priv = ipx_vici_get(&m->root, "has_privkey");
	struct ipx_cert_info ci;

	progress(s);

	/* Only X.509 certificates have what the table shows; CRLs, OCSP responses, ... skip. */
	if (!type || strcmp(type, "X509") != 0)
		return;
	if (!data || data->kind != IPX_VICI_KV ||
	    ipx_cert_parse_der(data->value, data->value_len, &ci) < 0) {
		malformed(s, "certificate");
		return;
	}
	ipx_ike_upsert_cert(s->all->store, index_of(s), &ci, type,
	                    cert_flag(ipx_vici_get(&m->root, "flag")),
	                    priv && !strcmp(priv, "yes"));
}

/* ---- commands ------------------------------------------------------------------------- */

static void on_list_sas_done(void *arg, int err, const struct ipx_vici_msg *reply)
{
	struct source *s = arg;

	(void)reply;
	s->listing = 0;
	if (err) { /* incomplete: sweep nothing */
		ipx_ike_sync_abort(s->all->store, index_of(s), IPX_IKE_KIND_SA);
		return;
	}
	ipx_ike_sync_end(s->all->store, index_of(s), IPX_IKE_KIND_SA);
	s->st.listings++;
	if (s->st.state == IPX_IKE_SOURCE_CONNECTING) {
		set_state(s, IPX_IKE_SOURCE_UP);
		ipx_log_info("vici %s: up (%s %s), %zu IKE SAs", s->st.path, s->st.daemon,
		             s->st.version, ipx_ike_sa_count(s->all->store));
	}
}

static void release_held(struct source *s, uint32_t uid, double now);

static void list_sas(struct source *s)
{
	/* the listing sweeps what charon forgot: held downs are told while their rows exist */
	release_held(s, 0, 0);
	if (s->listing || ipx_vici_client_state(s->cli) != IPX_VICI_UP)
		return;
	ipx_ike_sync_begin(s->all->store, index_of(s), IPX_IKE_KIND_SA);
	if (ipx_vici_client_command(s->cli, "list-sas", NULL, "list-sa", on_list_sa,
	                            on_list_sas_done, s) < 0) {
		ipx_ike_sync_abort(s->all->store, index_of(s), IPX_IKE_KIND_SA);
		return;
	}
	s->listing = 1;
	s->relist_at = 0;
}

static void on_conns_done(void *arg, int err, const struct ipx_vici_msg *reply)
{
	struct source *s = arg;

	(void)reply;
	s->config_listing--;
	/* On an error the listing is incomplete: keep what was known (nothing is swept). */
	if (err)
		ipx_ike_sync_abort(s->all->store, index_of(s), IPX_IKE_KIND_CONN);
	else
		ipx_ike_sync_end(s->all->store, index_of(s), IPX_IKE_KIND_CONN);
}

static void on_certs_done(void *arg, int err, const struct ipx_vici_msg *reply)
{
	struct source *s = arg;

	(void)reply;
	s->config_listing--;
	if (err)
		ipx_ike_sync_abort(s->all->store, index_of(s), IPX_IKE_KIND_CERT);
	else
		ipx_ike_sync_end(s->all->store, index_of(s), IPX_IKE_KIND_CERT);
}

static void on_version(void *arg, int err, const struct ipx_vici_msg *reply)
{
	struct source *s = arg;
	const char *d, *v;

	if (err || !reply)
		return;
	d = ipx_vici_get(&reply->root, "daemon");
	v = ipx_vici_get(&reply->root, "version");
	snprintf(s->st.daemon, sizeof(s->st.daemon), "%s", d ? d : "");
	snprintf(s->st.version, sizeof(s->st.version), "%s", v ? v : "");
}

static void on_registered(void *arg, int err, const struct ipx_vici_msg *reply)
{
	struct source *s = arg;

	(void)reply;
	if (err)
		ipx_log_warnx("vici %s: cannot register for an event: %s", s->st.path,
		              strerror(-err));
}

/* A counter value as charon prints it (%"PRIu64"): digits only. */
static int parse_u64(const char *v, uint64_t *out)
{
	unsigned long long x;
	char *end;

	if (!v || *v < '0' || *v > '9')
		return -EBADMSG;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || *end)
		return -EBADMSG;
	*out = x;
	return 0;
}

/* get-counters reply: counters { <conn or ""> { ike-rekey-init = N ... } } success errmsg */
static void take_counters(struct source *s, const struct ipx_vici_msg *reply)
{
	const struct ipx_vici_node *ctr = ipx_vici_child(&reply->root, "counters"), *sc, *kv;
	const char *ok = ipx_vici_get(&reply->root, "success");

	if (!ok || strcmp(ok, "yes") != 0) {
		const char *msg = ipx_vici_get(&reply->root, "errmsg");
		ipx_log_debug("vici", "%s: get-counters failed: %s", s->st.path, msg ? msg : "");
		s->counting_err = 1;
		return;
	}
	if (!ctr || ctr->kind != IPX_VICI_SECTION) {
		malformed(s, "get-counters reply");
		s->counting_err = 1;
		return;
	}
	for (sc = ctr->child; sc; sc = sc->next) {
		if (sc->kind != IPX_VICI_SECTION)
			continue;
		for (kv = sc->child; kv; kv = kv->next) {
			uint64_t v;
			if (kv->kind != IPX_VICI_KV)
				continue;
			if (parse_u64((const char *)kv->value, &v) < 0) {
				malformed(s, "counter");
				continue;
			}
			ipx_ike_upsert_counter(s->all->store, index_of(s), sc->name, kv->name, v);
		}
	}
}

static void on_counters_done(void *arg, int err, const struct ipx_vici_msg *reply)
{
	struct source *s = arg;

	s->counting--;
	if (err == -EOPNOTSUPP) {
		s->no_counters = 1;
		s->counting_err = 1;
		if (!s->told_no_counters)
			ipx_log_info("vici %s: charon does not know get-counters (its counters "
			             "plugin is not loaded): no IKE counters from it",
			             s->st.path);
		s->told_no_counters = 1;
	} else if (err || !reply) {
		s->counting_err = 1;
	} else {
		s->told_no_counters = 0;
		take_counters(s, reply);
	}
	if (s->counting)
		return;
	if (s->counting_err)
		ipx_ike_sync_abort(s->all->store, index_of(s), IPX_IKE_KIND_COUNTERS);
	else
		ipx_ike_sync_end(s->all->store, index_of(s), IPX_IKE_KIND_COUNTERS);
	s->counting_err = 0;
}

/* charon's IKE counters: the global ones (no arguments), then every connection's (all=yes
 * leaves the global ones out), one listing. */
static void list_counters(struct source *s)
{
	struct ipx_vici_builder all;

	if (s->counting || s->no_counters)
		return;
	ipx_ike_sync_begin(s->all->store, index_of(s), IPX_IKE_KIND_COUNTERS);
	s->counting_err = 0;
	if (ipx_vici_client_command(s->cli, "get-counters", NULL, NULL, NULL, on_counters_done,
	                            s) == 0)
		s->counting++;
	else
		s->counting_err = 1; /* without a whole listing nothing is swept */
	ipx_vici_builder_init(&all);
	ipx_vici_add_kv_str(&all, "all", "yes");
	if (ipx_vici_client_command(s->cli, "get-counters", &all, NULL, NULL, on_counters_done,
	                            s) == 0)
		s->counting++;
	else
		s->counting_err = 1;
	ipx_vici_builder_release(&all);
	if (!s->counting)
		ipx_ike_sync_abort(s->all->store, index_of(s), IPX_IKE_KIND_COUNTERS);
}

/* Connections, certificates and charon's counters: no event announces a change
 * (swanctl --load-all), so they are listed at connect and every refresh interval. */
static void list_config(struct source *s)
{
	if (!s->config_listing) {
		ipx_ike_sync_begin(s->all->store, index_of(s), IPX_IKE_KIND_CONN);
		if (ipx_vici_client_command(s->cli, "list-conns", NULL, "list-conn", on_list_conn,
		                            on_conns_done, s) < 0)
			ipx_ike_sync_abort(s->all->store, index_of(s), IPX_IKE_KIND_CONN);
		else
			s->config_listing++;
		ipx_ike_sync_begin(s->all->store, index_of(s), IPX_IKE_KIND_CERT);
		if (ipx_vici_client_command(s->cli, "list-certs", NULL, "list-cert", on_list_cert,
		                            on_certs_done, s) < 0)
			ipx_ike_sync_abort(s->all->store, index_of(s), IPX_IKE_KIND_CERT);
		else
			s->config_listing++;
	}
	list_counters(s);
}

/* Everything a fresh connection asks for, in order. */
static void start_session(struct source *s)
{
	size_t i;

	ipx_vici_client_command(s->cli, "version", NULL, NULL, NULL, on_version, s);
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		ipx_vici_client_register(s->cli, events[i], on_registered, s);
	list_config(s);
	list_sas(s);
	if (s->all->cfg.refresh_interval > 0)
		s->refresh_at = s->now + s->all->cfg.refresh_interval;
}

/* ---- events --------------------------------------------------------------------------- */

static int is_up(const struct ipx_vici_msg *m)
{
	const char *up = ipx_vici_get(&m->root, "up");

	return up && !strcmp(up, "yes");
}

/* ike-rekey / child-rekey: <conn> { ... } with "old" and "new" sections somewhere below. */
static void emit(struct source *s, struct ipx_ike_event *ev)
{
	if (!s->all->cfg.on_ike_event)
		return;
	ev->source = index_of(s);
	s->all->cfg.on_ike_event(s->all->cfg.event_arg, ev);
}

/* Parses the IKE SA at NODE named after its connection (rekey events call it "old"/"new"). */
static int parse_named(const struct ipx_vici_node *node, const char *conn, struct ipx_ike_sa *sa)
{
	if (ipx_ike_parse_sa(node, ipx_ike_now(), sa) < 0)
		return -EBADMSG;
	snprintf(sa->name, sizeof(sa->name), "%s", conn);
	return 0;
}

static void on_ike_rekey(struct source *s, const struct ipx_vici_node *conn)
{
	const struct ipx_vici_node *old = ipx_vici_child(conn, "old");
	const struct ipx_vici_node *new = ipx_vici_child(conn, "new");
	struct ipx_ike_sa o, n;
	int have_old = old && parse_named(old, conn->name, &o) == 0;
	int have_new = new &&parse_named(new, conn->name, &n) == 0;
	struct ipx_ike_event ev = {.type = IPX_IKE_EV_IKE_REKEY};

	if (!have_old && !have_new) {
		malformed(s, "ike-rekey event");
		return;
	}
	/* The old SA stays (REKEYED) until charon deletes it: its CHILD_SAs move to the new
	 * one in the next listing, keeping their rows. */
	if (have_old)
		ipx_ike_upsert_sa(s->all->store, index_of(s), &o);
	if (have_new)
		ipx_ike_upsert_sa(s->all->store, index_of(s), &n);
	ipx_ike_note_rekey(s->all->store, index_of(s), conn->name, NULL);
	ev.old_ike = have_old ? &o : NULL;
	ev.ike = have_new ? &n : NULL;
	emit(s, &ev);
}

static void on_child_rekey(struct source *s, const struct ipx_vici_node *ike)
{
	const struct ipx_vici_node *kids = ipx_vici_child(ike, "child-sas"), *k;
	struct ipx_ike_sa sa;
	int64_t now = ipx_ike_now();

	if (ipx_ike_parse_sa(ike, now, &sa) < 0) {
		malformed(s, "child-rekey event");
		return;
	}
	for (k = kids ? kids->child : NULL; k; k = k->next) {
		const struct ipx_vici_node *old = ipx_vici_child(k, "old");
		const struct ipx_vici_node *new = ipx_vici_child(k, "new");
		struct ipx_child_sa o, n;
		struct ipx_ike_event ev = {.type = IPX_IKE_EV_CHILD_REKEY, .ike = &sa};
		/* the old one (REKEYED) keeps owning its kernel SAs until they are deleted */
		if (old && ipx_ike_parse_child(old, sa.unique_id, now, &o) == 0) {
			ipx_ike_upsert_child(s->all->store, index_of(s), &o);
			ev.old_child = &o;
		} else if (old) {
			malformed(s, "CHILD_SA (child-rekey old)");
		}
		if (new &&ipx_ike_parse_child(new, sa.unique_id, now, &n) == 0) {
			ipx_ike_upsert_child(s->all->store, index_of(s), &n);
			ev.child = &n;
		} else if (new) {
			malformed(s, "CHILD_SA (child-rekey new)");
		}
		ipx_ike_note_rekey(s->all->store, index_of(s), ike->name, k->name);
		if (ev.child || ev.old_child)
			emit(s, &ev);
	}
}

/* ---- why SAs go down: charon's log says it, the updown events do not ------------------ */

/* A cause is the cause of a down that follows within this many seconds. */
#define REASON_TTL 10

/*
 * Remembers why IKE SA IKE_UID is going down. A peer's DELETE, a timeout or an expiry beats
 * our own "deleting"/"closing" lines, which follow them (and also come with every rekey);
 * a cause older than REASON_TTL is forgotten.
 */
static void note_reason(struct source *s, uint32_t ike_uid, uint8_t reason)
{
	size_t i;

	for (i = 0; i < REASONS && s->reasons[i].uid != ike_uid; i++)
		;
	if (i == REASONS) {
		i = s->next_reason;
		s->next_reason = (s->next_reason + 1) % REASONS;
		s->reasons[i].reason = IPX_DOWN_UNKNOWN;
	}
	if (s->now - s->reasons[i].at > REASON_TTL || s->reasons[i].reason == IPX_DOWN_UNKNOWN ||
	    (s->reasons[i].reason == IPX_DOWN_LOCAL && reason != IPX_DOWN_LOCAL)) {
		s->reasons[i].uid = ike_uid;
		s->reasons[i].reason = reason;
		s->reasons[i].at = s->now;
	}
}

static uint8_t reason_of(const struct source *s, uint32_t ike_uid)
{
	size_t i;

	for (i = 0; i < REASONS; i++)
		if (s->reasons[i].uid == ike_uid && s->now - s->reasons[i].at <= REASON_TTL)
			return s->reasons[i].reason;
	return IPX_DOWN_UNKNOWN;
}

/* charon 5.9's wording of each cause, in the IKE and CHD log groups. */
static uint8_t reason_in(const char *msg)
{
	if (strstr(msg, "received DELETE for"))
		return IPX_DOWN_PEER;
	if (strstr(msg, "giving up after") || strstr(msg, "DPD") || strstr(msg, "timed out"))
		return IPX_DOWN_TIMEOUT;
	if (strstr(msg, "expired") || strstr(msg, "lifetime"))
		return IPX_DOWN_EXPIRED;
	if (strstr(msg, "deleting IKE_SA") || strstr(msg, "closing CHILD_SA") ||
	    strstr(msg, "terminate"))
		return IPX_DOWN_LOCAL;
	return IPX_DOWN_UNKNOWN;
}

/* ---- ups and downs ---------------------------------------------------------------------- */

/* Downs are told while the rows still exist, so that their indexes can be named. An IKE
 * SA's CHILD_SAs go first: charon's own child-updown downs follow the IKE SA's and are
 * then repeats, which the notifier drops. */
static void tell_ike_down(struct source *s, const struct ipx_ike_sa *sa, uint8_t reason)
{
	const struct ipx_child_row *c;
	struct ipx_ike_event ev = {.ike = sa, .reason = reason};

	for (c = ipx_child_next(s->all->store, 0); c; c = ipx_child_next(s->all->store, c->h.id)) {
		if (c->h.source != index_of(s) || c->sa.ike_unique_id != sa->unique_id)
			continue;
		ev.type = IPX_IKE_EV_CHILD_DOWN;
		ev.child = &c->sa;
		emit(s, &ev);
	}
	ev.type = IPX_IKE_EV_IKE_DOWN;
	ev.child = NULL;
	emit(s, &ev);
	ipx_ike_delete_sa(s->all->store, index_of(s), sa->unique_id);
}

static void tell_child_down(struct source *s, const struct ipx_ike_sa *sa,
                            const struct ipx_child_sa *c, uint8_t reason)
{
	struct ipx_ike_event ev = {
	    .type = IPX_IKE_EV_CHILD_DOWN, .ike = sa, .child = c, .reason = reason};

	emit(s, &ev);
	ipx_ike_delete_child(s->all->store, index_of(s), c->unique_id);
}

static void tell_held(struct source *s, struct held_down *h)
{
	uint8_t reason = reason_of(s, h->sa.unique_id);

	h->used = 0;
	if (h->is_ike)
		tell_ike_down(s, &h->sa, reason);
	else
		tell_child_down(s, &h->sa, &h->child, reason);
}

/* Tells the held downs of IKE SA UID (0: all of them; else only those due by NOW). */
static void release_held(struct source *s, uint32_t uid, double now)
{
	size_t i;

	for (i = 0; i < HELD_MAX; i++) {
		struct held_down *h = &s->held[i];
		if (!h->used)
			continue;
		if (uid ? h->sa.unique_id == uid : (now <= 0 || now >= h->due))
			tell_held(s, h);
	}
}

/* A down whose cause is not known yet waits HOLD_SECS for charon's log line. */
static void hold(struct source *s, int is_ike, const struct ipx_ike_sa *sa,
                 const struct ipx_child_sa *c)
{
	struct held_down tmp = {.used = 1, .is_ike = is_ike, .sa = *sa, .due = s->now + HOLD_SECS};
	size_t i;

	if (c)
		tmp.child = *c;
	if (reason_of(s, sa->unique_id) != IPX_DOWN_UNKNOWN) {
		tell_held(s, &tmp);
		return;
	}
	for (i = 0; i < HELD_MAX && s->held[i].used; i++)
		;
	if (i == HELD_MAX) { /* a storm of downs: no waiting */
		tell_held(s, &tmp);
		return;
	}
	s->held[i] = tmp;
}

/* child-updown: the CHILD_SAs listed under the IKE SA came up or went down. */
static void child_updown(struct source *s, const struct ipx_vici_node *ike, int up)
{
	const struct ipx_vici_node *kids = ipx_vici_child(ike, "child-sas"), *k;
	struct ipx_ike_sa sa;
	int64_t now = ipx_ike_now();

	if (ipx_ike_parse_sa(ike, now, &sa) < 0) {
		malformed(s, "child-updown event");
		return;
	}
	if (up)
		take_ike(s, ike);
	for (k = kids ? kids->child : NULL; k; k = k->next) {
		struct ipx_child_sa c;
		struct ipx_ike_event ev = {.ike = &sa, .child = &c};
		if (ipx_ike_parse_child(k, sa.unique_id, now, &c) < 0) {
			if (!up) /* an up's children were counted by take_ike() */
				malformed(s, "CHILD_SA (child-updown)");
			continue;
		}
		if (!up) {
			hold(s, 0, &sa, &c);
			continue;
		}
		ev.type = IPX_IKE_EV_CHILD_UP;
		emit(s, &ev);
	}
}

static int conn_known(const struct source *s, const char *name)
{
	const struct ipx_conn_row *c;

	for (c = ipx_conn_next(s->all->store, 0); c; c = ipx_conn_next(s->all->store, c->h.id))
		if (c->h.source == s->st.index && !strcmp(c->conn.name, name))
			return 1;
	return 0;
}

static void ike_updown(struct source *s, const struct ipx_vici_node *ike, int up)
{
	struct ipx_ike_sa sa;
	struct ipx_ike_event ev = {.ike = &sa};

	if (ipx_ike_parse_sa(ike, ipx_ike_now(), &sa) < 0) {
		malformed(s, "ike-updown event");
		return;
	}
	if (up) {
		take_ike(s, ike);
		/* a connection loaded since the last listing (swanctl --load-all announces
		 * nothing): list the configuration again now rather than at the next refresh */
		if (!conn_known(s, sa.name))
			list_config(s);
		ev.type = IPX_IKE_EV_IKE_UP;
		emit(s, &ev);
		return;
	}
	hold(s, 1, &sa, NULL);
}

static void dispatch_event(struct source *s, const struct ipx_vici_msg *m)
{
	const struct ipx_vici_node *n;
	int up = is_up(m);

	for (n = m->root.child; n; n = n->next) {
		if (n->kind != IPX_VICI_SECTION)
			continue;
		if (!strcmp(m->name, "ike-rekey"))
			on_ike_rekey(s, n);
		else if (!strcmp(m->name, "child-rekey"))
			on_child_rekey(s, n);
		else if (!strcmp(m->name, "ike-updown"))
			ike_updown(s, n, up);
		else if (!strcmp(m->name, "child-updown"))
			child_updown(s, n, up);
		else
			take_ike(s, n); /* ike-update: the section is the IKE SA as it is now */
	}
}

/* A "log" event: the exchange mode of IKEv1 SAs and the causes of downs. */
static void on_log(struct source *s, const struct ipx_vici_msg *m)
{
	const char *msg = ipx_vici_get(&m->root, "msg");
	const char *uid = ipx_vici_get(&m->root, "ikesa-uniqueid");
	unsigned long id;
	uint8_t reason;

	if (!msg || !uid)
		return;
	id = strtoul(uid, NULL, 10);
	if (id == 0 || id > UINT32_MAX)
		return;
	if (strstr(msg, "Aggressive Mode IKE_SA"))
		ipx_ike_note_exchange(s->all->store, index_of(s), (uint32_t)id,
		                      IPX_IKE_EXCHANGE_AGGRESSIVE);
	else if (strstr(msg, "Main Mode IKE_SA"))
		ipx_ike_note_exchange(s->all->store, index_of(s), (uint32_t)id,
		                      IPX_IKE_EXCHANGE_MAIN);
	else if ((reason = reason_in(msg)) != IPX_DOWN_UNKNOWN) {
		note_reason(s, (uint32_t)id, reason);
		if (reason != IPX_DOWN_LOCAL) /* a peer's DELETE is followed by our own lines */
			release_held(s, (uint32_t)id, 0);
	}
}

static void on_event(void *arg, const struct ipx_vici_msg *m)
{
	struct source *s = arg;

	if (!strcmp(m->name, "log")) {
		on_log(s, m);
		return;
	}
	s->st.events++;
	ipx_log_debug("vici", "%s: event %s", s->st.path, m->name);
	dispatch_event(s, m);
	if (!s->relist_at || s->relist_at > s->now + RELIST_DELAY)
		s->relist_at = s->now + RELIST_DELAY;
	if (s->all->cfg.on_event)
		s->all->cfg.on_event(s->all->cfg.event_arg, index_of(s), m);
}

/* ---- connection life cycle ------------------------------------------------------------- */

static void on_packet(void *arg, const uint8_t *pkt, size_t len)
{
	struct source *s = arg;

	/* progress: answers, and the events of the streamed command in flight */
	if (s->busy_since && len > 4 && pkt[4] != IPX_VICI_EVENT)
		s->busy_since = s->now;
}

static void schedule_retry(struct source *s)
{
	s->retry_at = s->now + s->backoff;
	s->backoff *= 2;
	if (s->backoff > s->all->cfg.retry_max)
		s->backoff = s->all->cfg.retry_max;
}

static void lost(struct source *s, int err)
{
	int was_up = s->st.state != IPX_IKE_SOURCE_DOWN;

	s->st.last_error = err < 0 ? -err : err;
	s->listing = 0;
	s->config_listing = 0;
	s->counting = 0;
	s->counting_err = 0;
	s->no_counters = 0; /* a new charon may have the plugin */
	s->relist_at = 0;
	s->refresh_at = 0;
	s->busy_since = 0;
	release_held(s, 0, 0);
	memset(s->reasons, 0, sizeof(s->reasons));
	s->next_reason = 0;
	{
		struct ipx_ike_event ev = {.type = IPX_IKE_EV_SOURCE_DOWN,
		                           .reason = IPX_DOWN_DAEMON};
		emit(s, &ev); /* before the SAs leave the store, so they can be named */
	}
	ipx_ike_source_down(s->all->store, index_of(s));
	set_state(s, IPX_IKE_SOURCE_DOWN);
	if (was_up) {
		s->st.losses++;
		ipx_log_warnx(
		    "vici %s: connection lost (%s); serving the kernel's tables, retrying",
		    s->st.path, strerror(s->st.last_error ? s->st.last_error : EPIPE));
	}
	schedule_retry(s);
}

static void on_down(void *arg, int err)
{
	struct source *s = arg;
	if (err == -EBADMSG || err == -EMSGSIZE || err == -EPROTO)
		malformed(s, "message (connection dropped)");
	lost(arg, err);
}

static void on_up(void *arg)
{
	struct source *s = arg;

	s->st.connects++;
	s->st.last_error = 0;
	s->backoff = s->all->cfg.retry_min;
	set_state(s, IPX_IKE_SOURCE_CONNECTING);
	start_session(s);
}

static void try_connect(struct source *s)
{
	int rc = ipx_vici_client_connect(s->cli);

	if (rc < 0) {
		if (s->st.last_error != -rc)
			ipx_log_info("vici %s: cannot connect (%s); retrying", s->st.path,
			             strerror(-rc));
		s->st.last_error = -rc;
		schedule_retry(s);
	}
}

int ipx_ike_sources_new(const struct ipx_ike_sources_config *cfg, struct ipx_ike_store *st,
                        struct ipx_ike_sources **out)
{
	static const struct ipx_vici_client_ops ops = {
	    .on_event = on_event, .on_up = on_up, .on_down = on_down, .on_packet = on_packet};
	struct ipx_ike_sources *all;
	size_t i;
	int rc;

	if (cfg->n_paths > IPX_IKE_MAX_SOURCES)
		return -E2BIG;
	all = calloc(1, sizeof(*all));
	if (!all)
		return -ENOMEM;
	all->cfg = *cfg;
	all->cfg.paths = NULL;
	if (all->cfg.retry_min <= 0)
		all->cfg.retry_min = 1;
	if (all->cfg.retry_max < all->cfg.retry_min)
		all->cfg.retry_max = all->cfg.retry_min;
	all->store = st;
	for (i = 0; i < cfg->n_paths; i++) {
		struct source *s = &all->src[i];
		s->all = all;
		s->st.index = (uint32_t)(i + 1);
		s->st.state = IPX_IKE_SOURCE_DOWN;
		s->st.last_change = ipx_ike_now();
		s->backoff = all->cfg.retry_min;
		snprintf(s->st.path, sizeof(s->st.path), "%s", cfg->paths[i]);
		rc = ipx_vici_client_new(cfg->paths[i], &ops, s, &s->cli);
		if (rc < 0) {
			all->n = i;
			ipx_ike_sources_free(all);
			return rc;
		}
	}
	all->n = cfg->n_paths;
	*out = all;
	return 0;
}

void ipx_ike_sources_free(struct ipx_ike_sources *all)
{
	size_t i;

	if (!all)
		return;
	for (i = 0; i < all->n; i++)
		ipx_vici_client_free(all->src[i].cli);
	free(all);
}

/* ---- the loop ------------------------------------------------------------------------- */

size_t ipx_ike_sources_pollfds(const struct ipx_ike_sources *all, struct pollfd *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < all->n && n < max; i++) {
		int fd = ipx_vici_client_fd(all->src[i].cli);
		if (fd < 0)
			continue;
		out[n].fd = fd;
		out[n].events = (short)ipx_vici_client_poll_events(all->src[i].cli);
		out[n].revents = 0;
		n++;
	}
	return n;
}

static void lower(double *timeout, double at, double now)
{
	double left = at - now;

	if (left < 0)
		left = 0;
	if (left < *timeout)
		*timeout = left;
}

double ipx_ike_sources_timeout(const struct ipx_ike_sources *all, double now, double cap)
{
	double t = cap;
	size_t i;

	for (i = 0; i < all->n; i++) {
		const struct source *s = &all->src[i];
		if (ipx_vici_client_state(s->cli) == IPX_VICI_DOWN) {
			lower(&t, s->retry_at, now);
			continue;
		}
		if (s->relist_at && !s->listing)
			lower(&t, s->relist_at, now);
		if (s->refresh_at)
			lower(&t, s->refresh_at, now);
		if (s->busy_since && all->cfg.request_timeout > 0)
			lower(&t, s->busy_since + all->cfg.request_timeout, now);
		for (size_t k = 0; k < HELD_MAX; k++)
			if (s->held[k].used)
				lower(&t, s->held[k].due, now);
	}
	return t;
}

static void timers(struct source *s, double now)
{
	const struct ipx_ike_sources_config *cfg = &s->all->cfg;
	enum ipx_vici_state vs = ipx_vici_client_state(s->cli);

	if (vs == IPX_VICI_DOWN) {
		if (now >= s->retry_at)
			try_connect(s);
		return;
	}
	if (s->busy_since && cfg->request_timeout > 0 &&
	    now - s->busy_since >= cfg->request_timeout) {
		ipx_log_warnx("vici %s: no answer for %.0f s; reconnecting", s->st.path,
		              now - s->busy_since);
		ipx_vici_client_close(s->cli);
		lost(s, -ETIMEDOUT);
		return;
	}
	release_held(s, 0, now);
	if (vs != IPX_VICI_UP)
		return;
	if (s->refresh_at && now >= s->refresh_at) {
		list_config(s);
		s->relist_at = now; /* list-sas too, unless one is in flight (then right after) */
		s->refresh_at = now + cfg->refresh_interval;
	}
	if (s->relist_at && !s->listing && now >= s->relist_at)
		list_sas(s);
}

static void handle_fd(struct ipx_ike_sources *all, const struct pollfd *p, double now)
{
	size_t i;

	for (i = 0; i < all->n; i++) {
		struct source *s = &all->src[i];
		if (ipx_vici_client_fd(s->cli) != p->fd)
			continue;
		s->now = now;
		if (p->revents & (POLLOUT | POLLERR | POLLHUP))
			ipx_vici_client_on_writable(s->cli);
		/* on_writable may have closed it (a failed connect) */
		if (ipx_vici_client_fd(s->cli) == p->fd &&
		    (p->revents & (POLLIN | POLLERR | POLLHUP)))
			ipx_vici_client_on_readable(s->cli);
		return;
	}
}

void ipx_ike_sources_process(struct ipx_ike_sources *all, const struct pollfd *fds, size_t n,
                             double now)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fds[i].revents)
			handle_fd(all, &fds[i], now);
	for (i = 0; i < all->n; i++) {
		struct source *s = &all->src[i];
		s->now = now;
		s->st.malformed = s->parse_errors + ipx_vici_client_stats(s->cli)->malformed;
		if (ipx_vici_client_state(s->cli) == IPX_VICI_DOWN ||
		    !ipx_vici_client_pending(s->cli))
			s->busy_since = 0;
		else if (!s->busy_since)
			s->busy_since = now;
		timers(s, now);
	}
}

size_t ipx_ike_sources_count(const struct ipx_ike_sources *all)
{
	return all ? all->n : 0;
}

const struct ipx_ike_source_status *ipx_ike_source_status(const struct ipx_ike_sources *all,
                                                          uint32_t index)
{
	if (!all || index == 0 || index > all->n)
		return NULL;
	return &all->src[index - 1].st;
}
