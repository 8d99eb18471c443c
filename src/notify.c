/*
 * Notifications (notify.h): IKE events, XFRM store events and periodic checks in, struct
 * ipx_notification out. Every rule is decided in one function below, and documented there.
 *
 * Memory is bounded: each kind of state lives in a map with a cap (the *_MAX below). A map
 * that is full keeps what it has and counts every state it could not keep in
 * stats.overflows; what that costs is said at each cap. Maps grow by doubling up to their
 * cap, so that events and ticks allocate nothing in the steady state.
 *
 * Clocks: NOW (monotonic seconds) comes with every tick and IKE event; XFRM store events
 * carry no time, so they use the NOW of the latest tick or IKE event (the caller ticks at
 * least once a second). Only two things need the wall clock (time()): the kernel's hard
 * lifetime (add_time is wall-clock) and certificate expiry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include "ipsec_agentx/cert.h"
#include "ipsec_agentx/notify.h"

/* Caps. SA state: per kernel SA with drops, and per SA waiting for its rekey. */
#define SA_STATE_MAX   65536
#define RECENT_MAX     65536 /* de-duplication memory (old sides of rekeys, last sends) */
#define CONN_STATE_MAX 16384 /* (source, connection name): rekey rate and rate limit */
#define CONN_ROWS_MAX  65536 /* ipsecConnTable rows watched for CONN_DOWN */
#define CERT_STATE_MAX 16384 /* certificates already reported */

#define REKEY_DUP_SECS  60.0 /* a down of a rekey's old side this soon is no news */
#define REPEAT_DUP_SECS 1.0  /* the same notification twice this soon is one */
#define PASS_SECS       1.0  /* per-SA and per-connection passes, at most this often */
#define OVERDUE_GRACE   5.0  /* least time a rekey gets after the soft expiry */
#define DROP_SLOTS      8    /* a drop window is kept as this many slots */
#define NEVER           1e300

/* ---- a map of fixed-size entries by 64-bit key ------------------------------------------ */

/*
 * Entries sit densely in one array (each starts with its uint64_t key), found through an
 * open-addressing index of positions. Removing moves the last entry into the hole, so a
 * walk by position that removes must not advance past the position it removed.
 */
struct dmap {
	uint32_t *slot; /* 1 + position in ent; 0 = empty. nslot is a power of two */
	size_t nslot;
	unsigned char *ent;
	size_t n, alloc, esize, max;
};

static void dmap_init(struct dmap *m, size_t esize, size_t max)
{
	memset(m, 0, sizeof(*m));
	m->esize = esize;
	m->max = max;
}

static void dmap_release(struct dmap *m)
{
	free(m->slot);
	free(m->ent);
	dmap_init(m, m->esize, m->max);
}

static void *dmap_at(const struct dmap *m, size_t i)
{
	return m->ent + i * m->esize;
}

static uint64_t dmap_key(const struct dmap *m, size_t i)
{
	return *(const uint64_t *)dmap_at(m, i);
}

static size_t dmap_home(const struct dmap *m, uint64_t key)
{
	key ^= key >> 33; /* murmur3's finalizer: ids and hashes alike spread */
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (size_t)key & (m->nslot - 1);
}

/* The index slot that holds position I. */
static size_t dmap_slot_of(const struct dmap *m, size_t i)
{
	size_t s = dmap_home(m, dmap_key(m, i));

	while (m->slot[s] != i + 1)
		s = (s + 1) & (m->nslot - 1);
	return s;
}

static void *dmap_find(const struct dmap *m, uint64_t key)
{
	size_t s;

	if (!m->n)
		return NULL;
	for (s = dmap_home(m, key); m->slot[s]; s = (s + 1) & (m->nslot - 1))
		if (dmap_key(m, m->slot[s] - 1) == key)
			return dmap_at(m, m->slot[s] - 1);
	return NULL;
}

static void dmap_place(struct dmap *m, size_t i)
{
	size_t s = dmap_home(m, dmap_key(m, i));

	while (m->slot[s])
		s = (s + 1) & (m->nslot - 1);
	m->slot[s] = (uint32_t)(i + 1);
}

static int dmap_reindex(struct dmap *m, size_t nslot)
{
	uint32_t *slot = calloc(nslot, sizeof(*slot));
	size_t i;

	if (!slot)
		return -ENOMEM;
	free(m->slot);
	m->slot = slot;
	m->nslot = nslot;
	for (i = 0; i < m->n; i++)
		dmap_place(m, i);
	return 0;
}

/* A zeroed entry for KEY (which must not be there yet), or NULL when full or out of
 * memory. Pointers into the map are invalid after an add or a removal. */
static void *dmap_add(struct dmap *m, uint64_t key)
{
	void *e;

	if (m->n >= m->max)
		return NULL;
	if (m->n == m->alloc) {
		size_t alloc = m->alloc ? m->alloc * 2 : 16;
		unsigned char *ent;
		if (alloc > m->max)
			alloc = m->max;
		ent = realloc(m->ent, alloc * m->esize);
		if (!ent)
			return NULL;
		m->ent = ent;
		m->alloc = alloc;
	}
	/* at most 3/4 full, so that probes stay short */
	if ((m->n + 1) * 4 > m->nslot * 3 && dmap_reindex(m, m->nslot ? m->nslot * 2 : 32) < 0)
		return NULL;
	e = dmap_at(m, m->n);
	memset(e, 0, m->esize);
	memcpy(e, &key, sizeof(key));
	dmap_place(m, m->n++);
	return e;
}

/* Empties index slot S, pulling back the entries of its probe run (no tombstones). */
static void dmap_unslot(struct dmap *m, size_t s)
{
	size_t mask = m->nslot - 1, j = s;

	for (;;) {
		m->slot[s] = 0;
		for (;;) {
			size_t h;
			j = (j + 1) & mask;
			if (!m->slot[j])
				return;
			h = dmap_home(m, dmap_key(m, m->slot[j] - 1));
			/* the entry at j may fill s unless its home lies cyclically in (s, j] */
			if (s <= j ? (h <= s || h > j) : (h <= s && h > j))
				break;
		}
		m->slot[s] = m->slot[j];
		s = j;
	}
}

static void dmap_del_at(struct dmap *m, size_t i)
{
	size_t last = m->n - 1;

	dmap_unslot(m, dmap_slot_of(m, i));
	if (i != last) {
		m->slot[dmap_slot_of(m, last)] = (uint32_t)(i + 1);
		memcpy(dmap_at(m, i), dmap_at(m, last), m->esize);
	}
	m->n--;
}

/* Position of entry E (a pointer the map handed out). */
static size_t dmap_pos(const struct dmap *m, const void *e)
{
	return (size_t)((const unsigned char *)e - m->ent) / m->esize;
}

static void dmap_del(struct dmap *m, const void *e)
{
	dmap_del_at(m, dmap_pos(m, e));
}

static void dmap_clear(struct dmap *m)
{
	m->n = 0;
	if (m->slot)
		memset(m->slot, 0, m->nslot * sizeof(*m->slot));
}

/* ---- the times of recent events --------------------------------------------------------- */

/* The newest times of one kind of event, oldest first, at most `limit` of them; grown by
 * doubling as events come (most connections never need more than a few). */
struct tlog {
	double *t;
	uint32_t cap, n, head;
};

static void tlog_free(struct tlog *l)
{
	free(l->t);
	memset(l, 0, sizeof(*l));
}

static double tlog_at(const struct tlog *l, uint32_t k)
{
	return l->t[(l->head + k) % l->cap];
}

/* How many are within the window (NOW - WINDOW, NOW]. */
static uint32_t tlog_count(const struct tlog *l, double now, double window)
{
	uint32_t k = 0;

	while (k < l->n && tlog_at(l, l->n - 1 - k) > now - window)
		k++;
	return k;
}

static void tlog_grow(struct tlog *l, uint32_t limit)
{
	uint32_t cap = l->cap ? l->cap * 2 : 4, k;
	double *t;

	if (cap > limit)
		cap = limit;
	t = malloc(cap * sizeof(*t));
	if (!t)
		return; /* the ring stays as it is and drops its oldest (a shorter memory) */
	for (k = 0; k < l->n; k++)
		t[k] = tlog_at(l, k);
	free(l->t);
	l->t = t;
	l->cap = cap;
	l->head = 0;
}

/* Adds NOW, keeping the LIMIT newest. */
static void tlog_push(struct tlog *l, double now, uint32_t limit)
{
	if (l->n == l->cap && l->cap < limit)
		tlog_grow(l, limit);
	if (!l->cap)
		return;
	if (l->n == l->cap) {
		l->head = (l->head + 1) % l->cap;
		l->n--;
	}
	l->t[(l->head + l->n) % l->cap] = now;
	l->n++;
}

/* ---- state kept per kind ---------------------------------------------------------------- */

/* Per (source, connection name): rekeys and sends. */
struct conn_state {
	uint64_t key; /* hash of source and name */
	uint32_t source;
	uint8_t rekey_alarm; /* REKEY_RATE sent, not re-armed yet */
	char name[IPX_IKE_NAME_MAX];
	double last_active;
	struct tlog rekeys; /* the newest rekey_rate_max + 1 */
	struct tlog sends;  /* the newest rate_limit */
};

/* The time of a de-duplication fact; the key says which (recent_key()). */
struct recent {
	uint64_t key;
	double at;
};

#define TAG_OLD_IKE   1  /* key: an IKE SA that was the old side of a rekey */
#define TAG_OLD_CHILD 2  /* key: a CHILD_SA that was the old side of a rekey */
#define TAG_SENT      16 /* + type: that notification was sent for the key's SA */

/* A kernel SA between its soft expiry (or a hard one) and its successor. */
struct overdue {
	uint64_t key;   /* ipsecSaIndex */
	uint64_t tuple; /* what a successor shares with it (sa_tuple()) */
	double soft_at; /* when the soft expiry came (OD_SOFT) */
	double hard_at; /* when its hard lifetime ends (OD_HARD_KNOWN) */
	struct ipx_addr saddr, daddr;
	uint32_t spi, other_spi; /* its SPI, and its CHILD_SA's in the other direction */
	uint32_t source, ike_index, child_index, conn_index;
	uint8_t dir, flags;
};

#define OD_SOFT       0x01
#define OD_HARD_KNOWN 0x02
#define OD_SCAN       0x04 /* a successor may be in the store already: look at the next pass */
#define OD_HARD       0x08 /* the kernel removed it: decide at the next pass, then forget it */
#define OD_SENT       0x10

/* The newest SA id seen with a tuple that an overdue entry waits on. */
struct tuple_ref {
	uint64_t key;
	uint32_t refs, latest;
};

/* A drop counter's history: the value at the start of each of the last DROP_SLOTS slots of
 * drop_window / DROP_SLOTS seconds, in 32 bits (a rise is a difference, which wraps). */
struct wctr {
	uint32_t last;
	uint32_t v[DROP_SLOTS];
};

/* Per kernel SA whose replay or integrity counters are not zero. */
struct sa_drops {
	uint64_t key; /* ipsecSaIndex */
	uint64_t slot;
	uint8_t high[2];
	struct wctr w[2]; /* replay window + replayed, integrity failures */
};

struct stat_track {
	char name[48];
	uint64_t full; /* the whole value, to see a counter go back */
	uint64_t slot;
	uint8_t high;
	struct wctr w;
};

struct conn_down {
	uint64_t key; /* ipsecConnIndex */
	double since; /* when it was first seen, or last seen up */
	uint32_t gen; /* the pass that saw it last */
	uint8_t sent;
};

struct cert_seen {
	uint64_t key; /* hash of issuer and serial */
	uint32_t threshold, gen;
};

struct ipx_notifier {
	struct ipx_notify_config cfg;
	struct ipx_store *xfrm;
	struct ipx_ike_store *ike;
	ipx_notify_fn fn;
	void *arg;
	struct ipx_notify_stats stats;
	double now;
	int ticked;
	double next_pass, next_cert;

	struct dmap recent;
	struct dmap conns;
	struct conn_state conn_overflow; /* shared by connections the full map cannot hold */

	struct dmap overdue, tuples;
	double overdue_next;
	int scans_pending;
	uint32_t reqid_bits[32]; /* reqids (mod 1024) of the pending scans */

	struct stat_track *stat;
	size_t n_stat;
	struct dmap sa_drops;
	uint64_t sa_passes;
	int64_t last_pass_wall;
	/* An SA's drop counters may have moved since the last pass over every SA (they move
	 * only when a resync or an event brings new values), or its state map was full then. */
	int drops_dirty, drops_full;

	struct dmap downs;
	uint32_t down_gen;
	double down_next;

	struct dmap certs;
	uint32_t cert_gen;
	uint32_t cert_max_id; /* the newest certificate row checked (row ids only grow) */
};

/* ---- configuration ---------------------------------------------------------------------- */

void ipx_notify_config_defaults(struct ipx_notify_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->enabled = IPX_NOTIFY_ENABLED_ALL;
	cfg->rekey_rate_max = 5;
	cfg->rekey_rate_window = 600;
	cfg->rekey_overdue_margin = 60;
	cfg->drop_high = 100;
	cfg->drop_window = 60;
	cfg->drop_low = 10;
	cfg->conn_down_after = 300;
	cfg->cert_expiry_days = 30;
	cfg->rate_limit = 10;
	cfg->rate_window = 60;
}

static const char *config_problem(const struct ipx_notify_config *cfg)
{
	if (cfg->enabled & ~IPX_NOTIFY_ENABLED_ALL)
		return "enabled has bits outside the notification types";
	if (cfg->rekey_rate_max && !cfg->rekey_rate_window)
		return "rekey_rate_max needs a rekey_rate_window";
	if (cfg->drop_high && !cfg->drop_window)
		return "drop_high needs a drop_window";
	if (cfg->rate_limit && !cfg->rate_window)
		return "rate_limit needs a rate_window";
	/* a low mark at or above the high one would flap between HIGH and NORMAL */
	if (cfg->drop_high && cfg->drop_low >= cfg->drop_high)
		return "drop_low must be below drop_high";
	if (cfg->rekey_rate_max > IPX_NOTIFY_COUNT_MAX || cfg->rate_limit > IPX_NOTIFY_COUNT_MAX)
		return "rekey_rate_max and rate_limit may be at most 4096";
	return NULL;
}

int ipx_notify_config_check(const struct ipx_notify_config *cfg, const char **why)
{
	const char *problem = config_problem(cfg);

	if (!problem)
		return 0;
	if (why)
		*why = problem;
	return -EINVAL;
}

/* ---- small helpers ---------------------------------------------------------------------- */

static double dmin(double a, double b)
{
	return a < b ? a : b;
}

static void set_str(char *dst, size_t size, const char *src)
{
	size_t len = src ? strnlen(src, size - 1) : 0;

	if (len)
		memcpy(dst, src, len);
	dst[len] = '\0';
}

static uint64_t fnv64(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	while (len--)
		h = (h ^ *b++) * 1099511628211ull;
	return h;
}

#define FNV_START 14695981039346656037ull

static uint64_t name_key(uint32_t source, const char *name)
{
	return fnv64(fnv64(FNV_START, &source, sizeof(source)), name, strlen(name));
}

static int type_enabled(const struct ipx_notifier *n, enum ipx_notify_type type)
{
	return (n->cfg.enabled >> type) & 1u;
}

static void notif_init(struct ipx_notification *x, enum ipx_notify_type type)
{
	memset(x, 0, sizeof(*x));
	x->type = type;
}

/* ---- per connection: state, rate limit ---------------------------------------------------- */

/*
 * The state of (SOURCE, NAME). Two names whose 64-bit hashes collide take consecutive keys.
 * When the map is full, further connections share one overflow state (their rekeys and
 * sends are counted together), counted in stats.overflows.
 */
static struct conn_state *conn_state(struct ipx_notifier *n, uint32_t source, const char *name,
                                     double now)
{
	char nm[IPX_IKE_NAME_MAX];
	uint64_t key;
	struct conn_state *cs;

	set_str(nm, sizeof(nm), name);
	for (key = name_key(source, nm);; key++) {
		cs = dmap_find(&n->conns, key);
		if (!cs || (cs->source == source && !strcmp(cs->name, nm)))
			break;
	}
	if (!cs) {
		cs = dmap_add(&n->conns, key);
		if (cs) {
			cs->source = source;
			set_str(cs->name, sizeof(cs->name), nm);
		} else {
			n->stats.overflows++;
			cs = &n->conn_overflow;
		}
	}
	cs->last_active = now;
	return cs;
}

/*
 * Sends X unless its type is disabled (then nothing is counted) or the rate limit says no:
 * at most rate_limit notifications per (source, connection) in any rate_window seconds (a
 * sliding window over the newest sends); notifications without a connection share the
 * bucket of name "" (per source; kernel-only ones have source 0). The rest are counted in
 * stats.suppressed and dropped.
 */
static void emit(struct ipx_notifier *n, const struct ipx_notification *x, double now)
{
	if (!type_enabled(n, x->type))
		return;
	if (n->cfg.rate_limit) {
		struct conn_state *cs = conn_state(n, x->source, x->conn, now);
		if (cs->sends.n >= n->cfg.rate_limit &&
		    tlog_at(&cs->sends, 0) > now - n->cfg.rate_window) {
			n->stats.suppressed++;
			return;
		}
		tlog_push(&cs->sends, now, n->cfg.rate_limit);
	}
	n->stats.sent[x->type]++;
	if (n->fn)
		n->fn(n->arg, x);
}

/* ---- identities from the IKE store ------------------------------------------------------- */

/* ipsecConnIndex of (CONN, CHILD); for a connection-level notification (CHILD "") the
 * row without child if there is one, else its first child's row. */
static uint32_t conn_index_of(const struct ipx_notifier *n, uint32_t source, const char *conn,
                              const char *child)
{
	const struct ipx_conn_row *c;

	if (!n->ike || !conn[0])
		return 0;
	c = ipx_conn_find(n->ike, source, conn, child);
	if (c || child[0])
		return c ? c->h.id : 0;
	for (c = ipx_conn_next(n->ike, 0); c; c = ipx_conn_next(n->ike, c->h.id))
		if (c->h.source == source && !strcmp(c->conn.name, conn))
			return c->h.id;
	return 0;
}

static void fill_ike(const struct ipx_notifier *n, struct ipx_notification *x, uint32_t source,
                     const struct ipx_ike_sa *sa)
{
	const struct ipx_ike_sa_row *row =
	    n->ike ? ipx_ike_sa_find(n->ike, source, sa->unique_id) : NULL;

	x->source = source;
	set_str(x->conn, sizeof(x->conn), sa->name);
	x->ike_index = row ? row->h.id : 0;
	x->conn_index = conn_index_of(n, source, x->conn, "");
	x->local = sa->local;
	x->remote = sa->remote;
	x->ike_spi_i = sa->spi_i;
	x->ike_spi_r = sa->spi_r;
}

/* A CHILD_SA's notification: its IKE SA from the event, else from the store. */
static void fill_child(const struct ipx_notifier *n, struct ipx_notification *x, uint32_t source,
                       const struct ipx_ike_sa *ike, const struct ipx_child_sa *c)
{
	const struct ipx_child_row *crow =
	    n->ike ? ipx_child_find(n->ike, source, c->unique_id) : NULL;
	const struct ipx_ike_sa_row *irow = NULL;

	if (n->ike)
		irow = crow && crow->ike_id ? ipx_ike_sa_by_id(n->ike, crow->ike_id)
		                            : ipx_ike_sa_find(n->ike, source, c->ike_unique_id);
	if (!ike && irow)
		ike = &irow->sa;
	x->source = source;
	if (ike)
		fill_ike(n, x, source, ike);
	if (irow)
		x->ike_index = irow->h.id;
	set_str(x->child, sizeof(x->child), c->name);
	x->child_index = crow ? crow->h.id : 0;
	x->conn_index =
	    crow && crow->conn_id ? crow->conn_id : conn_index_of(n, source, x->conn, x->child);
	x->spi_in = c->spi_in;
	x->spi_out = c->spi_out;
}

/* Connection and child names of a kernel SA's owner, from its indexes. */
static void fill_owner_names(const struct ipx_notifier *n, struct ipx_notification *x)
{
	const struct ipx_conn_row *conn;
	const struct ipx_child_row *child;
	const struct ipx_ike_sa_row *ike;

	if (!n->ike)
		return;
	conn = x->conn_index ? ipx_conn_by_id(n->ike, x->conn_index) : NULL;
	if (conn) {
		set_str(x->conn, sizeof(x->conn), conn->conn.name);
		set_str(x->child, sizeof(x->child), conn->conn.child);
		return;
	}
	/* no configuration matches: the CHILD_SA and its IKE SA, while they exist */
	child = x->child_index ? ipx_child_by_id(n->ike, x->child_index) : NULL;
	ike = x->ike_index ? ipx_ike_sa_by_id(n->ike, x->ike_index) : NULL;
	if (child)
		set_str(x->child, sizeof(x->child), child->sa.name);
	if (ike)
		set_str(x->conn, sizeof(x->conn), ike->sa.name);
}

/* Endpoints and SPI of kernel SA ROW, and its owner (if the IKE store knows one). */
static void fill_kernel_sa(const struct ipx_notifier *n, struct ipx_notification *x,
                           const struct ipx_sa_row *row)
{
	const struct ipx_child_row *c = n->ike ? ipx_ike_sa_owner(n->ike, row->id) : NULL;
	int out = row->dir == IPX_DIR_OUT;

	x->sa_index = row->id;
	x->local = out ? row->sa.saddr : row->sa.key.daddr;
	x->remote = out ? row->sa.key.daddr : row->sa.saddr;
	if (out)
		x->spi_out = row->sa.key.spi;
	else
		x->spi_in = row->sa.key.spi;
	if (!c)
		return;
	x->source = c->h.source;
	x->child_index = c->h.id;
	x->ike_index = c->ike_id;
	x->conn_index = c->conn_id;
	if (out)
		x->spi_in = c->sa.spi_in;
	else
		x->spi_out = c->sa.spi_out;
	fill_owner_names(n, x);
}

/* ---- IKE events: de-duplication ---------------------------------------------------------- */

static uint64_t recent_key(unsigned int tag, uint32_t source, uint32_t uid)
{
	return (uint64_t)tag << 48 | (uint64_t)(source & 0xffff) << 32 | uid;
}

static int recent_within(const struct ipx_notifier *n, uint64_t key, double now, double secs)
{
	const struct recent *r = dmap_find(&n->recent, key);

	return r && now - r->at < secs;
}

/* A full memory forgets nothing early (entries leave at the next pass once stale): what it
 * cannot note may be sent twice. */
static void recent_note(struct ipx_notifier *n, uint64_t key, double now)
{
	struct recent *r = dmap_find(&n->recent, key);

	if (!r)
		r = dmap_add(&n->recent, key);
	if (!r) {
		n->stats.overflows++;
		return;
	}
	r->at = now;
}

static void recent_purge(struct ipx_notifier *n, double now)
{
	size_t i = 0;

	while (i < n->recent.n) {
		const struct recent *r = dmap_at(&n->recent, i);
		double ttl = (r->key >> 48) < TAG_SENT ? REKEY_DUP_SECS : REPEAT_DUP_SECS;
		if (now - r->at >= ttl)
			dmap_del_at(&n->recent, i);
		else
			i++;
	}
}

/*
 * Whether X (of the SA with UID, an IKE SA or a CHILD_SA after OLD_TAG) is a duplicate:
 *  - a down of the old side of a rekey within REKEY_DUP_SECS: charon deletes the SA it
 *    replaced (child-updown down after child-rekey, ike-updown down after ike-rekey), which
 *    is no outage;
 *  - the same type for the same SA within REPEAT_DUP_SECS of the last one sent.
 * Duplicates are counted in stats.duplicates; anything else is noted as sent.
 */
static int duplicate(struct ipx_notifier *n, const struct ipx_notification *x, unsigned int old_tag,
                     uint32_t uid, double now)
{
	int down = x->type == IPX_NOTIFY_IKE_DOWN || x->type == IPX_NOTIFY_CHILD_DOWN;
	uint64_t sent = recent_key(TAG_SENT + x->type, x->source, uid);

	if ((down && recent_within(n, recent_key(old_tag, x->source, uid), now, REKEY_DUP_SECS)) ||
	    recent_within(n, sent, now, REPEAT_DUP_SECS)) {
		n->stats.duplicates++;
		return 1;
	}
	recent_note(n, sent, now);
	return 0;
}

/* Sends X for SA UID unless disabled or a duplicate (disabled types count nothing). */
static void send_ike(struct ipx_notifier *n, const struct ipx_notification *x, unsigned int old_tag,
                     uint32_t uid, double now)
{
	if (!type_enabled(n, x->type) || duplicate(n, x, old_tag, uid, now))
		return;
	emit(n, x, now);
}

/* ---- IKE events: rekey rate --------------------------------------------------------------- */

/*
 * Every rekey (IKE or CHILD_SA) counts for its connection name, per source. More than
 * rekey_rate_max within the sliding rekey_rate_window sends one REKEY_RATE (value = the
 * count in the window, which is rekey_rate_max + 1 when it crosses); not again for that
 * connection until the count has fallen back to <= rekey_rate_max (checked at its next
 * rekey and at each pass), so a connection that keeps flapping is reported once a spell.
 */
static void count_rekey(struct ipx_notifier *n, uint32_t source, const char *conn, double now)
{
	uint32_t max = n->cfg.rekey_rate_max, count;
	double window = n->cfg.rekey_rate_window;
	struct conn_state *cs;
	struct ipx_notification x;

	if (!max || !conn[0])
		return;
	cs = conn_state(n, source, conn, now);
	if (cs->rekey_alarm && tlog_count(&cs->rekeys, now, window) <= max)
		cs->rekey_alarm = 0;
	tlog_push(&cs->rekeys, now, max + 1);
	count = tlog_count(&cs->rekeys, now, window);
	if (count <= max || cs->rekey_alarm)
		return;
	cs->rekey_alarm = 1; /* cs is not used after this: emit may move the map */
	notif_init(&x, IPX_NOTIFY_REKEY_RATE);
	x.source = source;
	set_str(x.conn, sizeof(x.conn), conn);
	x.conn_index = conn_index_of(n, source, x.conn, "");
	x.value = count;
	x.threshold = max;
	x.window = n->cfg.rekey_rate_window;
	emit(n, &x, now);
}

/* ---- IKE events ------------------------------------------------------------------------- */

static void on_ike_updown(struct ipx_notifier *n, const struct ipx_ike_event *ev,
                          enum ipx_notify_type type, double now)
{
	struct ipx_notification x;

	if (!ev->ike)
		return;
	notif_init(&x, type);
	fill_ike(n, &x, ev->source, ev->ike);
	if (type == IPX_NOTIFY_IKE_DOWN)
		x.reason = ev->reason;
	send_ike(n, &x, TAG_OLD_IKE, ev->ike->unique_id, now);
}

static void on_child_updown(struct ipx_notifier *n, const struct ipx_ike_event *ev,
                            enum ipx_notify_type type, double now)
{
	struct ipx_notification x;

	if (!ev->child)
		return;
	notif_init(&x, type);
	fill_child(n, &x, ev->source, ev->ike, ev->child);
	if (type == IPX_NOTIFY_CHILD_DOWN)
		x.reason = ev->reason;
	send_ike(n, &x, TAG_OLD_CHILD, ev->child->unique_id, now);
}

static void on_ike_rekey(struct ipx_notifier *n, const struct ipx_ike_event *ev, double now)
{
	const struct ipx_ike_sa *sa = ev->ike ? ev->ike : ev->old_ike;
	struct ipx_notification x;

	if (!sa)
		return;
	/* the old IKE SA's ike-updown down that follows is part of the rekey */
	if (ev->old_ike)
		recent_note(n, recent_key(TAG_OLD_IKE, ev->source, ev->old_ike->unique_id), now);
	if (ev->ike) {
		notif_init(&x, IPX_NOTIFY_IKE_REKEYED);
		fill_ike(n, &x, ev->source, ev->ike);
		if (ev->old_ike) {
			x.old_ike_spi_i = ev->old_ike->spi_i;
			x.old_ike_spi_r = ev->old_ike->spi_r;
		}
		send_ike(n, &x, TAG_OLD_IKE, ev->ike->unique_id, now);
	}
	count_rekey(n, ev->source, sa->name, now);
}

static void on_child_rekey(struct ipx_notifier *n, const struct ipx_ike_event *ev, double now)
{
	const struct ipx_child_sa *c = ev->child ? ev->child : ev->old_child;
	struct ipx_notification x;

	if (!c)
		return;
	/* the old CHILD_SA's child-updown down that follows is part of the rekey */
	if (ev->old_child)
		recent_note(n, recent_key(TAG_OLD_CHILD, ev->source, ev->old_child->unique_id),
		            now);
	notif_init(&x, IPX_NOTIFY_CHILD_REKEYED);
	fill_child(n, &x, ev->source, ev->ike, c);
	if (ev->old_child) {
		x.old_spi_in = ev->old_child->spi_in;
		x.old_spi_out = ev->old_child->spi_out;
	}
	if (ev->child)
		send_ike(n, &x, TAG_OLD_CHILD, ev->child->unique_id, now);
	count_rekey(n, ev->source, x.conn, now);
}

/* IKE SAs that carried traffic: CREATED/CONNECTING ones never came up, and a REKEYED one
 * was replaced by an SA that is reported itself. */
static int ike_was_up(uint8_t state)
{
	return state == IPX_IKE_ESTABLISHED || state == IPX_IKE_PASSIVE ||
	       state == IPX_IKE_REKEYING || state == IPX_IKE_DELETING;
}

/*
 * The IKE daemon went away: one IKE_DOWN (reason DAEMON) per IKE SA of that source that was
 * up. The caller reports SOURCE_DOWN before ipx_ike_source_down() removes them: the store
 * is the memory of which SAs were live, so the notifier keeps none of its own.
 */
static void on_source_down(struct ipx_notifier *n, uint32_t source, double now)
{
	const struct ipx_ike_sa_row *r;
	struct ipx_notification x;

	if (!n->ike)
		return;
	for (r = ipx_ike_sa_next(n->ike, 0); r; r = ipx_ike_sa_next(n->ike, r->h.id)) {
		if (r->h.source != source || !ike_was_up(r->sa.state))
			continue;
		notif_init(&x, IPX_NOTIFY_IKE_DOWN);
		fill_ike(n, &x, source, &r->sa);
		x.reason = IPX_DOWN_DAEMON;
		send_ike(n, &x, TAG_OLD_IKE, r->sa.unique_id, now);
	}
}

void ipx_notifier_ike_event(struct ipx_notifier *n, const struct ipx_ike_event *ev, double now)
{
	n->now = now;
	switch (ev->type) {
	case IPX_IKE_EV_IKE_UP: on_ike_updown(n, ev, IPX_NOTIFY_IKE_UP, now); break;
	case IPX_IKE_EV_IKE_DOWN: on_ike_updown(n, ev, IPX_NOTIFY_IKE_DOWN, now); break;
	case IPX_IKE_EV_CHILD_UP: on_child_updown(n, ev, IPX_NOTIFY_CHILD_UP, now); break;
	case IPX_IKE_EV_CHILD_DOWN: on_child_updown(n, ev, IPX_NOTIFY_CHILD_DOWN, now); break;
	case IPX_IKE_EV_IKE_REKEY: on_ike_rekey(n, ev, now); break;
	case IPX_IKE_EV_CHILD_REKEY: on_child_rekey(n, ev, now); break;
	case IPX_IKE_EV_SOURCE_DOWN: on_source_down(n, ev->source, now); break;
	}
}

/* ---- rekey overdue ------------------------------------------------------------------------ */

static size_t addr_len(const struct ipx_addr *a)
{
	return a->family == AF_INET ? 4 : a->family == AF_INET6 ? 16 : 0;
}

/* What a kernel SA and its successor share: reqid, addresses, protocol and direction (a
 * 64-bit hash; a collision could only hide one overdue SA). */
static uint64_t sa_tuple(const struct ipx_sa_row *r)
{
	uint64_t h = fnv64(FNV_START, &r->sa.reqid, sizeof(r->sa.reqid));

	h = fnv64(h, &r->sa.saddr.family, 1);
	h = fnv64(h, r->sa.saddr.bytes, addr_len(&r->sa.saddr));
	h = fnv64(h, &r->sa.key.daddr.family, 1);
	h = fnv64(h, r->sa.key.daddr.bytes, addr_len(&r->sa.key.daddr));
	h = fnv64(h, &r->sa.key.proto, 1);
	return fnv64(h, &r->dir, 1);
}

static int reqid_marked(const struct ipx_notifier *n, uint32_t reqid)
{
	return (n->reqid_bits[(reqid & 1023) / 32] >> (reqid & 31)) & 1u;
}

static int tuple_ref(struct ipx_notifier *n, uint64_t tuple)
{
	struct tuple_ref *t = dmap_find(&n->tuples, tuple);

	if (!t)
		t = dmap_add(&n->tuples, tuple);
	if (!t)
		return -ENOSPC;
	t->refs++;
	return 0;
}

static void overdue_remove_at(struct ipx_notifier *n, size_t i)
{
	const struct overdue *e = dmap_at(&n->overdue, i);
	struct tuple_ref *t = dmap_find(&n->tuples, e->tuple);

	if (t && --t->refs == 0)
		dmap_del(&n->tuples, t);
	dmap_del_at(&n->overdue, i);
}

/* A new kernel SA is the successor of every waiting SA with its tuple (and a newer id:
 * ids only grow, a wrap after 2^32 SAs aside). */
static void successor_seen(struct ipx_notifier *n, const struct ipx_sa_row *row)
{
	struct tuple_ref *t;

	if (!n->tuples.n)
		return;
	t = dmap_find(&n->tuples, sa_tuple(row));
	if (t && row->id > t->latest)
		t->latest = row->id;
}

/* Wall-clock end of the hard lifetime, as notifier time; 0 with *KNOWN clear if the SA has
 * none (or its add time is unknown). */
static double hard_end(const struct ipx_notifier *n, const struct ipx_sa *sa, uint8_t *flags)
{
	int64_t left;

	/* past about 300 years, a lifetime is as good as none */
	if (!sa->lft.hard_add_secs || !sa->add_time || sa->lft.hard_add_secs > (1ull << 33) ||
	    sa->add_time > (1ull << 40))
		return 0;
	left = (int64_t)sa->add_time + (int64_t)sa->lft.hard_add_secs - (int64_t)time(NULL);
	*flags |= OD_HARD_KNOWN;
	return n->now + (double)left;
}

static void overdue_owner(const struct ipx_notifier *n, struct overdue *e)
{
	const struct ipx_child_row *c = n->ike ? ipx_ike_sa_owner(n->ike, (uint32_t)e->key) : NULL;

	if (!c)
		return;
	e->source = c->h.source;
	e->child_index = c->h.id;
	e->ike_index = c->ike_id;
	e->conn_index = c->conn_id;
	e->other_spi = e->dir == IPX_DIR_OUT ? c->sa.spi_in : c->sa.spi_out;
}

/*
 * The kernel's soft expiry of ROW (its rekey is due) or hard expiry (it is gone). The SA's
 * identity is copied: rows live only during the callback. Whether a successor is in the
 * store already is seen at the next pass (OD_SCAN), later ones as they are added. When the
 * map is full, the SA is not watched (stats.overflows): its rekey is not checked.
 */
static void overdue_start(struct ipx_notifier *n, const struct ipx_sa_row *row, int hard)
{
	struct overdue *e = dmap_find(&n->overdue, row->id);

	if (!e) {
		uint64_t tuple = sa_tuple(row);
		if (tuple_ref(n, tuple) < 0) {
			n->stats.overflows++;
			return;
		}
		e = dmap_add(&n->overdue, row->id);
		if (!e) {
			struct tuple_ref *t = dmap_find(&n->tuples, tuple);
			if (--t->refs == 0)
				dmap_del(&n->tuples, t);
			n->stats.overflows++;
			return;
		}
		e->tuple = tuple;
		e->saddr = row->sa.saddr;
		e->daddr = row->sa.key.daddr;
		e->spi = row->sa.key.spi;
		e->dir = row->dir;
		e->flags = OD_SCAN;
		e->soft_at = n->now;
		e->hard_at = hard_end(n, &row->sa, &e->flags);
		if (!hard)
			e->flags |= OD_SOFT;
		n->scans_pending = 1;
		n->reqid_bits[(row->sa.reqid & 1023) / 32] |= 1u << (row->sa.reqid & 31);
	}
	if (hard)
		e->flags |= OD_HARD;
	overdue_owner(n, e);
	n->overdue_next = dmin(n->overdue_next, n->next_pass);
}

/*
 * When an SA without a successor is overdue: rekey_overdue_margin seconds before its hard
 * lifetime ends when that is known, else that many seconds after the soft expiry; but never
 * sooner than OVERDUE_GRACE after the soft expiry, so that short lifetimes still give charon
 * a round trip to rekey. Margin 0: only the hard expiry tells.
 */
static double overdue_deadline(const struct ipx_notifier *n, const struct overdue *e)
{
	double margin = n->cfg.rekey_overdue_margin, at;

	if (!margin || !(e->flags & OD_SOFT))
		return NEVER;
	at = e->flags & OD_HARD_KNOWN ? e->hard_at - margin : e->soft_at + margin;
	return at > e->soft_at + OVERDUE_GRACE ? at : e->soft_at + OVERDUE_GRACE;
}

static void overdue_send(struct ipx_notifier *n, struct overdue *e, int hard, double now)
{
	struct ipx_notification x;
	int out = e->dir == IPX_DIR_OUT;

	if (!hard)
		overdue_owner(n, e); /* still alive: its owner may be known by now */
	notif_init(&x, IPX_NOTIFY_REKEY_OVERDUE);
	x.source = e->source;
	x.sa_index = (uint32_t)e->key;
	x.ike_index = e->ike_index;
	x.child_index = e->child_index;
	x.conn_index = e->conn_index;
	fill_owner_names(n, &x);
	x.local = out ? e->saddr : e->daddr;
	x.remote = out ? e->daddr : e->saddr;
	x.spi_in = out ? e->other_spi : e->spi;
	x.spi_out = out ? e->spi : e->other_spi;
	x.seconds = e->flags & OD_SOFT ? (int64_t)(now - e->soft_at) : 0;
	x.threshold = n->cfg.rekey_overdue_margin;
	x.reason = hard ? IPX_DOWN_EXPIRED : IPX_DOWN_UNKNOWN;
	emit(n, &x, now);
}

/*
 * Decides every waiting SA (after the pass that resolves OD_SCAN):
 *  - a successor appeared: the rekey happened, forget it;
 *  - hard-expired without one: REKEY_OVERDUE with reason EXPIRED (traffic drops now), unless
 *    sent already, and forget it;
 *  - past its deadline: REKEY_OVERDUE once; kept (so a hard expiry does not send it again)
 *    until the SA is deleted or a successor comes.
 */
static void overdue_eval(struct ipx_notifier *n, double now)
{
	double next = NEVER;
	size_t i = 0;

	while (i < n->overdue.n) {
		struct overdue *e = dmap_at(&n->overdue, i);
		const struct tuple_ref *t;
		double at;
		if (e->flags & OD_SCAN) {
			next = dmin(next, n->next_pass);
			i++;
			continue;
		}
		t = dmap_find(&n->tuples, e->tuple);
		if (t && t->latest > e->key) {
			overdue_remove_at(n, i);
			continue;
		}
		if (e->flags & OD_HARD) {
			if (!(e->flags & OD_SENT))
				overdue_send(n, e, 1, now);
			overdue_remove_at(n, i);
			continue;
		}
		at = overdue_deadline(n, e);
		if (!(e->flags & OD_SENT) && now >= at) {
			e->flags |= OD_SENT;
			overdue_send(n, e, 0, now);
		} else if (!(e->flags & OD_SENT)) {
			next = dmin(next, at);
		}
		i++;
	}
	n->overdue_next = next;
}

/* ---- drop counters ------------------------------------------------------------------------ */

static uint64_t drop_slot(const struct ipx_notifier *n, double now)
{
	double width = (double)n->cfg.drop_window / DROP_SLOTS;

	return now > 0 ? (uint64_t)(now / width) : 0;
}

static void wctr_reset(struct wctr *w, uint32_t value)
{
	size_t k;

	w->last = value;
	for (k = 0; k < DROP_SLOTS; k++)
		w->v[k] = value;
}

/*
 * Takes VALUE at SLOT (the previous sample was at FROM) and returns the rise within the
 * window: VALUE minus the value at the start of the oldest slot still in it. A slot's start
 * value is the last one seen before it, so the rise covers between 7/8 of the window and
 * all of it, never more.
 */
static uint32_t wctr_sample(struct wctr *w, uint64_t from, uint64_t slot, uint32_t value)
{
	uint64_t gap = slot > from ? slot - from : 0, k;

	if (gap > DROP_SLOTS)
		gap = DROP_SLOTS;
	for (k = 0; k < gap; k++)
		w->v[(slot - k) % DROP_SLOTS] = w->last;
	w->last = value;
	return value - w->v[(slot + 1) % DROP_SLOTS];
}

/*
 * The high/low marks: a rise above drop_high within the window sends DROPS_HIGH once; then
 * nothing until the rise is back at or under drop_low, which sends DROPS_NORMAL once. A
 * long storm is two notifications. Returns the type to send, or 0.
 */
static enum ipx_notify_type drop_alarm(const struct ipx_notifier *n, uint8_t *high, uint32_t rise)
{
	if (!*high && rise > n->cfg.drop_high) {
		*high = 1;
		return IPX_NOTIFY_DROPS_HIGH;
	}
	if (*high && rise <= n->cfg.drop_low) {
		*high = 0;
		return IPX_NOTIFY_DROPS_NORMAL;
	}
	return 0;
}

static void drop_fill(const struct ipx_notifier *n, struct ipx_notification *x,
                      enum ipx_notify_type type, enum ipx_drop_kind kind, uint32_t rise)
{
	notif_init(x, type);
	x->drop_kind = kind;
	x->value = rise;
	x->threshold = type == IPX_NOTIFY_DROPS_HIGH ? n->cfg.drop_high : n->cfg.drop_low;
	x->window = n->cfg.drop_window;
}

static int same_stat_names(const struct ipx_notifier *n, const struct ipx_xfrm_stat *st)
{
	size_t i;

	if (st->n != n->n_stat)
		return 0;
	for (i = 0; i < st->n; i++)
		if (strcmp(n->stat[i].name, st->names[i]))
			return 0;
	return 1;
}

/* The kernel's counter set changed (first read, another kernel): trackers by name; a new
 * counter starts from its current value, as every counter does at the first read. */
static void restat(struct ipx_notifier *n, const struct ipx_xfrm_stat *st, uint64_t slot)
{
	struct stat_track *t = st->n ? calloc(st->n, sizeof(*t)) : NULL;
	size_t i, j;

	if (st->n && !t)
		return;
	for (i = 0; i < st->n; i++) {
		set_str(t[i].name, sizeof(t[i].name), st->names[i]);
		for (j = 0; j < n->n_stat && strcmp(n->stat[j].name, t[i].name); j++)
			;
		if (j < n->n_stat) {
			t[i] = n->stat[j];
			continue;
		}
		t[i].full = st->values[i];
		t[i].slot = slot;
		wctr_reset(&t[i].w, (uint32_t)st->values[i]);
	}
	free(n->stat);
	n->stat = t;
	n->n_stat = st->n;
}

/* /proc/net/xfrm_stat: each counter against the marks (every tick: there are about 28). */
static void stat_pass(struct ipx_notifier *n, double now)
{
	const struct ipx_xfrm_stat *st = &ipx_store_info_const(n->xfrm)->stat;
	uint64_t slot = drop_slot(n, now);
	size_t i;

	if (!same_stat_names(n, st))
		restat(n, st, slot);
	if (!same_stat_names(n, st))
		return; /* out of memory: next tick */
	for (i = 0; i < n->n_stat; i++) {
		struct stat_track *t = &n->stat[i];
		uint64_t v = st->values[i];
		struct ipx_notification x;
		uint32_t rise;
		enum ipx_notify_type type;
		if (v < t->full) /* went back (a new network namespace?): start over */
			wctr_reset(&t->w, (uint32_t)v);
		t->full = v;
		rise = wctr_sample(&t->w, t->slot, slot, (uint32_t)v);
		t->slot = slot;
		type = drop_alarm(n, &t->high, rise);
		if (!type)
			continue;
		drop_fill(n, &x, type, IPX_DROP_XFRM_STAT, rise);
		set_str(x.counter, sizeof(x.counter), t->name);
		emit(n, &x, now);
	}
}

/*
 * One SA's counters. State exists only for SAs with nonzero counters, made at the first
 * pass that sees them so: from 0 for an SA added since the previous pass (the kernel
 * counted all of it recently), else from the current values (counted before we watched).
 * When the map is full, further SAs are not watched (stats.overflows, once per pass).
 */
static void sa_drops_sample(struct ipx_notifier *n, const struct ipx_sa_row *row, uint64_t slot,
                            int *full, double now)
{
	uint32_t v[2] = {row->sa.stat_replay_window + row->sa.stat_replay,
	                 row->sa.stat_integrity_failed};
	struct sa_drops *e = dmap_find(&n->sa_drops, row->id);
	size_t k;

	if (!e) {
		int young;
		if (!v[0] && !v[1])
			return;
		e = dmap_add(&n->sa_drops, row->id);
		if (!e) {
			*full = 1;
			return;
		}
		young = n->sa_passes && row->sa.add_time &&
		        (int64_t)row->sa.add_time + 1 >= n->last_pass_wall;
		wctr_reset(&e->w[0], young ? 0 : v[0]);
		wctr_reset(&e->w[1], young ? 0 : v[1]);
		e->slot = slot;
	}
	for (k = 0; k < 2; k++) {
		uint32_t rise = wctr_sample(&e->w[k], e->slot, slot, v[k]);
		enum ipx_notify_type type = drop_alarm(n, &e->high[k], rise);
		struct ipx_notification x;
		if (!type)
			continue;
		drop_fill(n, &x, type, k ? IPX_DROP_SA_INTEGRITY : IPX_DROP_SA_REPLAY, rise);
		fill_kernel_sa(n, &x, row);
		emit(n, &x, now);
	}
	e->slot = slot;
}

/* The pass over the SAs whose drops are watched only: their counters have not moved, but
 * their windows slide (which is how drops come back to normal). */
static void watched_drops_pass(struct ipx_notifier *n, uint64_t slot, double now)
{
	int full = 0;
	size_t i;

	for (i = 0; i < n->sa_drops.n; i++) {
		const struct sa_drops *e = dmap_at(&n->sa_drops, i);
		const struct ipx_sa_row *row = ipx_store_sa_by_id(n->xfrm, (uint32_t)e->key);
		if (row)
			sa_drops_sample(n, row, slot, &full, now);
	}
}

/*
 * The pass over every kernel SA (at most once per PASS_SECS, a tight loop): per-SA drops,
 * and the successors of SAs that started waiting since the last pass (only SAs whose reqid
 * is marked are hashed). When no counter can have moved and no scan waits, only the
 * watched SAs are looked at: at 100,000 SAs the whole pass every second was most of what
 * an idle daemon cost.
 */
static void sa_pass(struct ipx_notifier *n, double now)
{
	int drops = n->cfg.drop_high && n->cfg.drop_window, full = 0;
	uint64_t slot = drops ? drop_slot(n, now) : 0;
	const struct ipx_sa_row *row;
	size_t i;

	if (!n->xfrm || (!drops && !n->scans_pending))
		return;
	if (!n->scans_pending && !n->drops_dirty && !n->drops_full) {
		watched_drops_pass(n, slot, now);
		goto done;
	}
	for (row = ipx_store_sa_next(n->xfrm, 0); row; row = ipx_store_sa_next(n->xfrm, row->id)) {
		if (n->scans_pending && reqid_marked(n, row->sa.reqid))
			successor_seen(n, row);
		if (drops)
			sa_drops_sample(n, row, slot, &full, now);
	}
	if (full)
		n->stats.overflows++;
	n->drops_full = full;
	n->drops_dirty = 0;
	for (i = 0; i < n->overdue.n; i++)
		((struct overdue *)dmap_at(&n->overdue, i))->flags &= (uint8_t)~OD_SCAN;
	n->scans_pending = 0;
	memset(n->reqid_bits, 0, sizeof(n->reqid_bits));
done:
	if (drops) {
		n->sa_passes++;
		n->last_pass_wall = (int64_t)time(NULL);
	}
}

/* ---- XFRM store events -------------------------------------------------------------------- */

/* A deleted SA's state goes; one that waits after a hard expiry stays for its decision
 * (a DELETE follows every hard expiry). A deliberate delete is no overdue rekey. */
static void sa_forget(struct ipx_notifier *n, const struct ipx_sa_row *row)
{
	struct sa_drops *d = dmap_find(&n->sa_drops, row->id);
	struct overdue *e;

	if (d)
		dmap_del(&n->sa_drops, d);
	e = dmap_find(&n->overdue, row->id);
	if (e && !(e->flags & OD_HARD))
		overdue_remove_at(n, dmap_pos(&n->overdue, e));
}

static int has_drops(const struct ipx_sa *sa)
{
	return sa->stat_replay_window || sa->stat_replay || sa->stat_integrity_failed;
}

static int drops_moved(const struct ipx_sa *sa, const struct ipx_sa_counters *old)
{
	return sa->stat_replay_window != old->replay_window || sa->stat_replay != old->replay ||
	       sa->stat_integrity_failed != old->integrity_failed;
}

static void on_xfrm(void *arg, const struct ipx_store_event *ev)
{
	struct ipx_notifier *n = arg;

	switch (ev->type) {
	case IPX_EV_SA_ADD:
		successor_seen(n, ev->sa);
		if (has_drops(&ev->sa->sa))
			n->drops_dirty = 1;
		break;
	case IPX_EV_SA_UPDATE:
		if (ev->old && drops_moved(&ev->sa->sa, ev->old))
			n->drops_dirty = 1;
		break;
	case IPX_EV_SA_EXPIRE_SOFT: overdue_start(n, ev->sa, 0); break;
	case IPX_EV_SA_EXPIRE_HARD: overdue_start(n, ev->sa, 1); break;
	case IPX_EV_SA_DELETE: sa_forget(n, ev->sa); break;
	default: break;
	}
}

/* ---- connections down --------------------------------------------------------------------- */

/* Up: a CHILD_SA of that child config is up; a connection without children (child "") can
 * only have IKE SAs. */
static int conn_is_up(const struct ipx_conn_row *c)
{
	return c->conn.child[0] ? c->child_sas > 0 : c->ike_sas > 0;
}

/*
 * Every ipsecConnTable row that has had nothing up for conn_down_after seconds since the
 * notifier first saw it or last saw it up (at a pass, so to a second) sends CONN_DOWN once;
 * it is re-armed when the row is seen up again. State of rows that left the table goes.
 * When the map is full, further rows are not watched (stats.overflows, once per pass).
 */
static void conn_pass(struct ipx_notifier *n, double now)
{
	const struct ipx_conn_row *c;
	double after = n->cfg.conn_down_after;
	int full = 0;
	size_t i = 0;

	n->down_next = NEVER;
	if (!n->ike || !after)
		return;
	n->down_gen++;
	for (c = ipx_conn_next(n->ike, 0); c; c = ipx_conn_next(n->ike, c->h.id)) {
		struct conn_down *d = dmap_find(&n->downs, c->h.id);
		struct ipx_notification x;
		if (!d) {
			d = dmap_add(&n->downs, c->h.id);
			if (!d) {
				full = 1;
				continue;
			}
			d->since = now;
		}
		d->gen = n->down_gen;
		if (conn_is_up(c)) {
			d->since = now;
			d->sent = 0;
			continue;
		}
		if (d->sent)
			continue;
		if (now - d->since < after) {
			n->down_next = dmin(n->down_next, d->since + after);
			continue;
		}
		d->sent = 1;
		notif_init(&x, IPX_NOTIFY_CONN_DOWN);
		x.source = c->h.source;
		set_str(x.conn, sizeof(x.conn), c->conn.name);
		set_str(x.child, sizeof(x.child), c->conn.child);
		x.conn_index = c->h.id;
		x.seconds = (int64_t)(now - d->since);
		x.threshold = n->cfg.conn_down_after;
		emit(n, &x, now);
	}
	if (full)
		n->stats.overflows++;
	while (i < n->downs.n)
		if (((struct conn_down *)dmap_at(&n->downs, i))->gen != n->down_gen)
			dmap_del_at(&n->downs, i);
		else
			i++;
}

/* ---- certificates ------------------------------------------------------------------------- */

static uint64_t cert_key(const struct ipx_cert_info *c)
{
	return fnv64(fnv64(FNV_START, c->issuer, strlen(c->issuer) + 1), c->serial,
	             strlen(c->serial));
}

/*
 * Every certificate (issuer + serial: one listed by two sources counts once) with
 * cert_expiry_days or fewer days left on the wall clock sends CERT_EXPIRING once per
 * threshold: again only if cert_expiry_days changes. Memory of certificates no longer
 * listed goes. A full memory forgets nothing: the rest may be reported at every check.
 */
static void cert_check(struct ipx_notifier *n, double now)
{
	const struct ipx_cert_row *r;
	int64_t wall = (int64_t)time(NULL), limit = n->cfg.cert_expiry_days;
	size_t i = 0;

	if (!n->ike || !limit || !type_enabled(n, IPX_NOTIFY_CERT_EXPIRING))
		return;
	n->cert_gen++;
	for (r = ipx_cert_next(n->ike, 0); r; r = ipx_cert_next(n->ike, r->h.id)) {
		uint64_t key = cert_key(&r->cert);
		if (r->h.id > n->cert_max_id)
			n->cert_max_id = r->h.id;
		struct cert_seen *s = dmap_find(&n->certs, key);
		int64_t days = ipx_cert_days_left(&r->cert, wall);
		struct ipx_notification x;
		if (s)
			s->gen = n->cert_gen;
		if (days > limit || (s && s->threshold == (uint32_t)limit))
			continue;
		if (!s)
			s = dmap_add(&n->certs, key);
		if (s) {
			s->gen = n->cert_gen;
			s->threshold = (uint32_t)limit;
		} else {
			n->stats.overflows++;
		}
		notif_init(&x, IPX_NOTIFY_CERT_EXPIRING);
		x.source = r->h.source;
		set_str(x.subject, sizeof(x.subject), r->cert.subject);
		x.days_left = days;
		x.value = days > 0 ? (uint64_t)days : 0;
		x.threshold = (uint64_t)limit;
		emit(n, &x, now);
	}
	while (i < n->certs.n)
		if (((struct cert_seen *)dmap_at(&n->certs, i))->gen != n->cert_gen)
			dmap_del_at(&n->certs, i);
		else
			i++;
}

/* ---- upkeep --------------------------------------------------------------------------- */

/* Connection states that are idle past every window go (their rings with them); a rekey
 * alarm is re-armed here too once the count is back under the limit. */
static void conns_sweep(struct ipx_notifier *n, double now)
{
	double idle = n->cfg.rekey_rate_window > n->cfg.rate_window ? n->cfg.rekey_rate_window
	                                                            : n->cfg.rate_window;
	size_t i = 0;

	while (i < n->conns.n) {
		struct conn_state *cs = dmap_at(&n->conns, i);
		if (cs->rekey_alarm &&
		    tlog_count(&cs->rekeys, now, n->cfg.rekey_rate_window) <= n->cfg.rekey_rate_max)
			cs->rekey_alarm = 0;
		if (cs->rekey_alarm || now - cs->last_active <= idle) {
			i++;
			continue;
		}
		tlog_free(&cs->rekeys);
		tlog_free(&cs->sends);
		dmap_del_at(&n->conns, i);
	}
}

void ipx_notifier_tick(struct ipx_notifier *n, double now)
{
	n->now = now;
	n->ticked = 1;
	if (n->xfrm && n->cfg.drop_high && n->cfg.drop_window)
		stat_pass(n, now);
	if (now >= n->next_pass) {
		n->next_pass = now + PASS_SECS;
		sa_pass(n, now);
		conn_pass(n, now);
		recent_purge(n, now);
		conns_sweep(n, now);
		/* a certificate listed since the last check (charon started after us, a new
		 * one loaded) is checked now, not at the next daily check */
		if (n->ike && ipx_cert_next(n->ike, n->cert_max_id))
			n->next_cert = now;
	}
	overdue_eval(n, now);
	if (now >= n->next_cert) {
		n->next_cert = now + IPX_NOTIFY_CERT_PERIOD;
		cert_check(n, now);
	}
}

double ipx_notifier_timeout(const struct ipx_notifier *n, double now, double cap)
{
	double at = now + cap;

	if (cap <= 0 || !n->ticked)
		return 0; /* the first tick: certificates, baselines */
	at = dmin(at, n->next_cert);
	if (n->xfrm && n->cfg.drop_high && n->cfg.drop_window)
		at = dmin(at, n->next_pass);
	if (n->overdue.n)
		at = dmin(at, n->overdue_next);
	/* a connection's deadline is looked at by a pass */
	if (n->down_next < NEVER)
		at = dmin(at, n->down_next > n->next_pass ? n->down_next : n->next_pass);
	return at > now ? at - now : 0;
}

const struct ipx_notify_stats *ipx_notifier_stats(const struct ipx_notifier *n)
{
	return &n->stats;
}

/* ---- life cycle ------------------------------------------------------------------------- */

static void conn_states_release(struct ipx_notifier *n)
{
	size_t i;

	for (i = 0; i < n->conns.n; i++) {
		struct conn_state *cs = dmap_at(&n->conns, i);
		tlog_free(&cs->rekeys);
		tlog_free(&cs->sends);
	}
	tlog_free(&n->conn_overflow.rekeys);
	tlog_free(&n->conn_overflow.sends);
	n->conn_overflow.rekey_alarm = 0;
	dmap_clear(&n->conns);
}

static double monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct ipx_notifier *ipx_notifier_new(const struct ipx_notify_config *cfg, struct ipx_store *xfrm,
                                      struct ipx_ike_store *ike, ipx_notify_fn fn, void *arg)
{
	struct ipx_notifier *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	if (cfg)
		n->cfg = *cfg;
	else
		ipx_notify_config_defaults(&n->cfg);
	n->xfrm = xfrm;
	n->ike = ike;
	n->fn = fn;
	n->arg = arg;
	n->now = monotonic_now();
	n->overdue_next = n->down_next = NEVER;
	dmap_init(&n->recent, sizeof(struct recent), RECENT_MAX);
	dmap_init(&n->conns, sizeof(struct conn_state), CONN_STATE_MAX);
	dmap_init(&n->overdue, sizeof(struct overdue), SA_STATE_MAX);
	dmap_init(&n->tuples, sizeof(struct tuple_ref), SA_STATE_MAX);
	dmap_init(&n->sa_drops, sizeof(struct sa_drops), SA_STATE_MAX);
	n->drops_dirty = 1;
	dmap_init(&n->downs, sizeof(struct conn_down), CONN_ROWS_MAX);
	dmap_init(&n->certs, sizeof(struct cert_seen), CERT_STATE_MAX);
	if (xfrm && ipx_store_observe(xfrm, on_xfrm, n) < 0) {
		free(n);
		return NULL;
	}
	return n;
}

void ipx_notifier_free(struct ipx_notifier *n)
{
	if (!n)
		return;
	if (n->xfrm)
		ipx_store_unobserve(n->xfrm, on_xfrm, n);
	conn_states_release(n);
	dmap_release(&n->recent);
	dmap_release(&n->conns);
	dmap_release(&n->overdue);
	dmap_release(&n->tuples);
	dmap_release(&n->sa_drops);
	dmap_release(&n->downs);
	dmap_release(&n->certs);
	free(n->stat);
	free(n);
}

/*
 * New thresholds: the windows restart. Rekey and send counts and their alarms are dropped;
 * drop counters start over from their current values (their slots depend on drop_window),
 * so a storm under way is reported again against the new marks; certificates are checked
 * at the next tick (a changed threshold may report them again). Waiting SAs and
 * connections keep their clocks (deadlines are computed from the margin when needed).
 */
void ipx_notifier_set_config(struct ipx_notifier *n, const struct ipx_notify_config *cfg)
{
	n->cfg = *cfg;
	conn_states_release(n);
	dmap_clear(&n->sa_drops);
	n->sa_passes = 0;
	n->drops_dirty = 1; /* the next pass sees every SA afresh */
	free(n->stat);
	n->stat = NULL;
	n->n_stat = 0;
	n->next_cert = n->now;
	n->next_pass = n->now;
}
