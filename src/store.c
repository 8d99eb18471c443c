/*
 * The in-memory store; see include/ipsec_agentx/store.h for the contract.
 *
 * Each kind of row (SA, policy) lives in two structures at once:
 *  - a chained hash table on the kernel's identity, for events and dumps;
 *  - an array ordered by row id, for SNMP walks. Ids are handed out in increasing order,
 *    so an insert is an append; a delete leaves a hole that the next compaction removes.
 *    GETNEXT is a binary search, whatever happens to the table between two requests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipsec_agentx/log.h"
#include "ipsec_agentx/store.h"

/* ---- ordered index ------------------------------------------------------------------ */

struct order_slot {
	uint32_t id;
	void *row; /* NULL once deleted, until compaction */
};

struct order {
	struct order_slot *slot;
	size_t len, cap, dead;
};

static size_t order_lower_bound(const struct order *o, uint32_t id)
{
	size_t lo = 0, hi = o->len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->slot[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int order_insert(struct order *o, uint32_t id, void *row)
{
	size_t at;

	if (o->len == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		struct order_slot *n = realloc(o->slot, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		o->slot = n;
		o->cap = cap;
	}
	/* Ids grow, so this is an append except after a 32-bit wrap-around. */
	at = (o->len == 0 || o->slot[o->len - 1].id < id) ? o->len : order_lower_bound(o, id);
	memmove(&o->slot[at + 1], &o->slot[at], (o->len - at) * sizeof(*o->slot));
	o->slot[at].id = id;
	o->slot[at].row = row;
	o->len++;
	return 0;
}

static void order_compact(struct order *o)
{
	size_t w = 0;

	for (size_t r = 0; r < o->len; r++)
		if (o->slot[r].row)
			o->slot[w++] = o->slot[r];
	o->len = w;
	o->dead = 0;
}

static void order_remove(struct order *o, uint32_t id)
{
	size_t at = order_lower_bound(o, id);

	if (at >= o->len || o->slot[at].id != id || !o->slot[at].row)
		return;
	o->slot[at].row = NULL;
	o->dead++;
	/* Compacting once holes outnumber rows keeps deletes amortised O(1) and bounds
	 * the holes a GETNEXT may have to step over. */
	if (o->dead > 64 && o->dead * 2 > o->len)
		order_compact(o);
}

static void *order_find(const struct order *o, uint32_t id)
{
	size_t at = order_lower_bound(o, id);

	return (at < o->len && o->slot[at].id == id) ? o->slot[at].row : NULL;
}

static void *order_next(const struct order *o, uint32_t id)
{
	size_t at = id == UINT32_MAX ? o->len : order_lower_bound(o, id + 1);

	for (; at < o->len; at++)
		if (o->slot[at].row)
			return o->slot[at].row;
	return NULL;
}

/* ---- hash table on kernel identity ------------------------------------------------- */

/*
 * Every row keeps the 64-bit hash of its key: a chain walk compares hashes first and
 * looks at a row's key only when they match, and growing the table re-hashes nothing.
 */
struct hash_ops {
	size_t next_off;                                   /* offset of the chain pointer */
	size_t hash_off;                                   /* offset of the kept hash */
	int (*same_key)(const void *row, const void *key); /* the row has this key */
};

struct hash {
	void **bucket;
	size_t nbuckets, count;
	const struct hash_ops *ops;
};

static void **chain_of(const struct hash *h, void *row)
{
	return (void **)((char *)row + h->ops->next_off);
}

static uint64_t hash_of(const struct hash *h, const void *row)
{
	uint64_t v;

	memcpy(&v, (const char *)row + h->ops->hash_off, sizeof(v));
	return v;
}

static int hash_grow(struct hash *h)
{
	size_t nb = h->nbuckets ? h->nbuckets * 2 : 1024;
	void **nbucket = calloc(nb, sizeof(*nbucket));

	if (!nbucket)
		return -ENOMEM;
	for (size_t i = 0; i < h->nbuckets; i++) {
		void *row = h->bucket[i];
		while (row) {
			void *next = *chain_of(h, row);
			size_t b = hash_of(h, row) & (nb - 1);
			*chain_of(h, row) = nbucket[b];
			nbucket[b] = row;
			row = next;
		}
	}
	free(h->bucket);
	h->bucket = nbucket;
	h->nbuckets = nb;
	return 0;
}

static void *hash_find(const struct hash *h, uint64_t hv, const void *key)
{
	if (!h->nbuckets)
		return NULL;
	for (void *row = h->bucket[hv & (h->nbuckets - 1)]; row; row = *chain_of(h, row))
		if (hash_of(h, row) == hv && h->ops->same_key(row, key))
			return row;
	return NULL;
}

/* The row's kept hash must be set. */
static int hash_add(struct hash *h, void *row)
{
	size_t b;

	if (h->count >= h->nbuckets) {
		int rc = hash_grow(h);
		if (rc < 0)
			return rc;
	}
	b = hash_of(h, row) & (h->nbuckets - 1);
	*chain_of(h, row) = h->bucket[b];
	h->bucket[b] = row;
	h->count++;
	return 0;
}

static void hash_del(struct hash *h, void *row)
{
	void **pp;

	if (!h->nbuckets)
		return;
	pp = &h->bucket[hash_of(h, row) & (h->nbuckets - 1)];
	for (; *pp; pp = chain_of(h, *pp)) {
		if (*pp == row) {
			*pp = *chain_of(h, row);
			h->count--;
			return;
		}
	}
}

/* Multiply-xorshift steps (the constants of splitmix64): every input bit reaches the low
 * bits that pick the bucket. */
static uint64_t mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 31);
}

static uint64_t mix_final(uint64_t h)
{
	h = (h ^ (h >> 30)) * 0x94d049bb133111ebULL;
	return h ^ (h >> 27);
}

/* An address as two words. Only the significant bytes count, so stray bytes after an
 * IPv4 address can never make two keys of the same SA differ. */
static void addr_words(const struct ipx_addr *a, uint64_t w[2])
{
	w[0] = w[1] = 0;
	if (a->family == AF_INET6) {
		memcpy(&w[0], a->bytes, 8);
		memcpy(&w[1], a->bytes + 8, 8);
	} else if (a->family == AF_INET) {
		uint32_t v4;
		memcpy(&v4, a->bytes, 4);
		w[0] = v4;
	}
}

static int addr_equal(const struct ipx_addr *a, const struct ipx_addr *b)
{
	uint64_t wa[2], wb[2];

	if (a->family != b->family)
		return 0;
	addr_words(a, wa);
	addr_words(b, wb);
	return wa[0] == wb[0] && wa[1] == wb[1];
}

static uint64_t sa_key_hash(const struct ipx_sa_key *k)
{
	uint64_t w[2], h;

	addr_words(&k->daddr, w);
	h = mix((uint64_t)k->daddr.family << 40 | (uint64_t)k->proto << 32 | k->spi, w[0]);
	h = mix(h, w[1]);
	h = mix(h, (uint64_t)k->mark_value << 32 | k->mark_mask);
	return mix_final(h ^ k->if_id);
}

static int sa_key_equal(const struct ipx_sa_key *a, const struct ipx_sa_key *b)
{
	return a->spi == b->spi && a->proto == b->proto && a->mark_value == b->mark_value &&
	       a->mark_mask == b->mark_mask && a->if_id == b->if_id &&
	       addr_equal(&a->daddr, &b->daddr);
}

static uint64_t policy_key_hash(const struct ipx_policy_key *k)
{
	return mix_final(mix((uint64_t)k->ptype << 32 | k->index, 0));
}

static int policy_key_equal(const struct ipx_policy_key *a, const struct ipx_policy_key *b)
{
	return a->index == b->index && a->ptype == b->ptype;
}

static int sa_row_has_key(const void *row, const void *key)
{
	return sa_key_equal(&((const struct ipx_sa_row *)row)->sa.key, key);
}

static int policy_row_has_key(const void *row, const void *key)
{
	return policy_key_equal(&((const struct ipx_policy_row *)row)->pol.key, key);
}

static const struct hash_ops sa_hash_ops = {
    .next_off = offsetof(struct ipx_sa_row, hash_next),
    .hash_off = offsetof(struct ipx_sa_row, key_hash),
    .same_key = sa_row_has_key,
};

static const struct hash_ops policy_hash_ops = {
    .next_off = offsetof(struct ipx_policy_row, hash_next),
    .hash_off = offsetof(struct ipx_policy_row, key_hash),
    .same_key = policy_row_has_key,
};

/* ---- the store ---------------------------------------------------------------------- */

struct table {
	struct hash hash;
	struct order order;
	uint32_t next_id;
	uint64_t gen;
	size_t seen; /* rows marked with gen since sync_begin */
};

struct observer {
	ipx_store_observer_fn fn;
	void *ctx;
};

struct ipx_store {
	struct table sa, policy;
	struct observer observer[IPX_STORE_MAX_OBSERVERS];
	size_t n_observers;
	struct ipx_addr *local;
	size_t n_local;
	struct ipx_store_info info;
};

struct ipx_store *ipx_store_new(void)
{
	struct ipx_store *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->sa.hash.ops = &sa_hash_ops;
	st->policy.hash.ops = &policy_hash_ops;
	st->sa.next_id = st->policy.next_id = 1;
	return st;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->order.len; i++)
		free(t->order.slot[i].row);
	free(t->order.slot);
	free(t->hash.bucket);
}

void ipx_store_free(struct ipx_store *st)
{
	if (!st)
		return;
	table_free(&st->sa);
	table_free(&st->policy);
	free(st->local);
	free(st->info.stat.names);
	free(st->info.stat.values);
	free(st);
}

void ipx_store_unobserve(struct ipx_store *st, ipx_store_observer_fn fn, void *ctx)
{
	size_t i, j = 0;

	for (i = 0; i < st->n_observers; i++)
		if (st->observer[i].fn != fn || st->observer[i].ctx != ctx)
			st->observer[j++] = st->observer[i];
	st->n_observers = j;
}

int ipx_store_observe(struct ipx_store *st, ipx_store_observer_fn fn, void *ctx)
{
	if (st->n_observers == IPX_STORE_MAX_OBSERVERS)
		return -ENOSPC;
	st->observer[st->n_observers].fn = fn;
	st->observer[st->n_observers].ctx = ctx;
	st->n_observers++;
	return 0;
}

static void notify(const struct ipx_store *st, const struct ipx_store_event *ev)
{
	for (size_t i = 0; i < st->n_observers; i++)
		st->observer[i].fn(st->observer[i].ctx, ev);
}

/* Ids are never reused while a row lives; after a wrap-around, skip live ones. */
static uint32_t table_take_id(struct table *t)
{
	for (;;) {
		uint32_t id = t->next_id++;
		if (t->next_id == 0)
			t->next_id = 1;
		if (!order_find(&t->order, id))
			return id;
	}
}

static int table_add(struct table *t, void *row, uint32_t id)
{
	int rc = order_insert(&t->order, id, row);

	if (rc < 0)
		return rc;
	rc = hash_add(&t->hash, row);
	if (rc < 0)
		order_remove(&t->order, id);
	return rc;
}

static void table_remove(struct table *t, void *row, uint32_t id)
{
	hash_del(&t->hash, row);
	order_remove(&t->order, id);
}

/* Marks a row as returned by the dump under way (counted, so sync_end can tell
 * when there is nothing to sweep). */
static void mark_seen(struct table *t, uint64_t *row_gen)
{
	if (*row_gen != t->gen) {
		*row_gen = t->gen;
		t->seen++;
	}
}

/* Keeps "seen" equal to the live rows marked with the current generation. */
static void unmark_seen(struct table *t, uint64_t row_gen)
{
	if (row_gen == t->gen && t->seen)
		t->seen--;
}

/* ---- local addresses and SA direction ---------------------------------------------- */

int ipx_store_addr_is_local(const struct ipx_store *st, const struct ipx_addr *a)
{
	for (size_t i = 0; i < st->n_local; i++)
		if (addr_equal(&st->local[i], a))
			return 1;
	return 0;
}

static uint8_t derive_dir(const struct ipx_store *st, const struct ipx_sa *sa)
{
	if (sa->kernel_dir == IPX_DIR_IN || sa->kernel_dir == IPX_DIR_OUT)
		return sa->kernel_dir;
	if (ipx_store_addr_is_local(st, &sa->key.daddr))
		return IPX_DIR_IN;
	if (ipx_store_addr_is_local(st, &sa->saddr))
		return IPX_DIR_OUT;
	return IPX_DIR_UNKNOWN;
}

static int same_addr_set(const struct ipx_store *st, const struct ipx_addr *addrs, size_t n)
{
	if (n != st->n_local)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!addr_equal(&st->local[i], &addrs[i]))
			return 0;
	return 1;
}

int ipx_store_set_local_addrs(struct ipx_store *st, const struct ipx_addr *addrs, size_t n)
{
	struct ipx_addr *copy = NULL;

	/* Every resync reports the addresses; re-deriving 100,000 directions for an
	 * unchanged set would cost more than the rest of the store update. */
	if (same_addr_set(st, addrs, n))
		return 0;

	if (n) {
		copy = malloc(n * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, addrs, n * sizeof(*copy));
	}
	free(st->local);
	st->local = copy;
	st->n_local = n;
	for (size_t i = 0; i < st->sa.order.len; i++) {
		struct ipx_sa_row *row = st->sa.order.slot[i].row;
		if (row)
			row->dir = derive_dir(st, &row->sa);
	}
	return 0;
}

/* ---- SAs ---------------------------------------------------------------------------- */

const struct ipx_sa_row *ipx_store_sa_find(const struct ipx_store *st, const struct ipx_sa_key *key)
{
	return hash_find(&st->sa.hash, sa_key_hash(key), key);
}

const struct ipx_sa_row *ipx_store_sa_by_id(const struct ipx_store *st, uint32_t id)
{
	return order_find(&st->sa.order, id);
}

const struct ipx_sa_row *ipx_store_sa_next(const struct ipx_store *st, uint32_t id)
{
	return order_next(&st->sa.order, id);
}

size_t ipx_store_sa_count(const struct ipx_store *st)
{
	return st->sa.hash.count;
}

static void sa_counters(const struct ipx_sa *sa, struct ipx_sa_counters *out)
{
	out->bytes = sa->cur_bytes;
	out->packets = sa->cur_packets;
	out->replay_window = sa->stat_replay_window;
	out->replay = sa->stat_replay;
	out->integrity_failed = sa->stat_integrity_failed;
}

int ipx_store_sa_upsert(struct ipx_store *st, const struct ipx_sa *sa, uint64_t now)
{
	uint64_t hv = sa_key_hash(&sa->key);
	struct ipx_sa_row *row = hash_find(&st->sa.hash, hv, &sa->key);
	struct ipx_store_event ev = {0};
	int rc;

	if (row) {
		struct ipx_sa_counters old;
		/* The direction depends on the addresses and the kernel's word only; the
		 * local address set has its own re-derivation. */
		int same_dir =
		    row->sa.kernel_dir == sa->kernel_dir && addr_equal(&row->sa.saddr, &sa->saddr);
		if (st->n_observers)
			sa_counters(&row->sa, &old);
		row->sa = *sa;
		if (!same_dir)
			row->dir = derive_dir(st, sa);
		mark_seen(&st->sa, &row->seen_gen);
		if (!st->n_observers)
			return 0;
		ev.type = IPX_EV_SA_UPDATE;
		ev.sa = row;
		ev.old = &old;
		notify(st, &ev);
		return 0;
	}
	row = calloc(1, sizeof(*row));
	if (!row)
		return -ENOMEM;
	row->sa = *sa;
	row->key_hash = hv;
	row->dir = derive_dir(st, sa);
	row->first_seen = now;
	mark_seen(&st->sa, &row->seen_gen);
	row->id = table_take_id(&st->sa);
	rc = table_add(&st->sa, row, row->id);
	if (rc < 0) {
		free(row);
		return rc;
	}
	ev.type = IPX_EV_SA_ADD;
	ev.sa = row;
	notify(st, &ev);
	return 0;
}

static void sa_row_delete(struct ipx_store *st, struct ipx_sa_row *row)
{
	struct ipx_store_event ev = {.type = IPX_EV_SA_DELETE, .sa = row};

	notify(st, &ev);
	unmark_seen(&st->sa, row->seen_gen);
	table_remove(&st->sa, row, row->id);
	free(row);
}

int ipx_store_sa_delete(struct ipx_store *st, const struct ipx_sa_key *key)
{
	struct ipx_sa_row *row = (struct ipx_sa_row *)ipx_store_sa_find(st, key);

	if (!row)
		return -ENOENT;
	sa_row_delete(st, row);
	return 0;
}

/* A hard expiry removes the SA from the kernel without a DELSA message. */
int ipx_store_sa_expire(struct ipx_store *st, const struct ipx_sa *sa, int hard, uint64_t now)
{
	struct ipx_store_event ev = {.type = hard ? IPX_EV_SA_EXPIRE_HARD : IPX_EV_SA_EXPIRE_SOFT};
	struct ipx_sa_row *row;
	int rc = ipx_store_sa_upsert(st, sa, now);

	if (rc < 0)
		return rc;
	row = (struct ipx_sa_row *)ipx_store_sa_find(st, &sa->key);
	row->soft_expired = 1;
	ev.sa = row;
	notify(st, &ev);
	if (hard)
		sa_row_delete(st, row);
	return 0;
}

/* ---- policies ----------------------------------------------------------------------- */

const struct ipx_policy_row *ipx_store_policy_find(const struct ipx_store *st,
                                                   const struct ipx_policy_key *key)
{
	return hash_find(&st->policy.hash, policy_key_hash(key), key);
}

const struct ipx_policy_row *ipx_store_policy_by_id(const struct ipx_store *st, uint32_t id)
{
	return order_find(&st->policy.order, id);
}

const struct ipx_policy_row *ipx_store_policy_next(const struct ipx_store *st, uint32_t id)
{
	return order_next(&st->policy.order, id);
}

size_t ipx_store_policy_count(const struct ipx_store *st)
{
	return st->policy.hash.count;
}

int ipx_store_policy_upsert(struct ipx_store *st, const struct ipx_policy *pol, uint64_t now)
{
	uint64_t hv = policy_key_hash(&pol->key);
	struct ipx_policy_row *row = hash_find(&st->policy.hash, hv, &pol->key);
	struct ipx_store_event ev = {0};
	int rc;

	if (row) {
		row->pol = *pol;
		mark_seen(&st->policy, &row->seen_gen);
		ev.type = IPX_EV_POLICY_UPDATE;
		ev.policy = row;
		notify(st, &ev);
		return 0;
	}
	row = calloc(1, sizeof(*row));
	if (!row)
		return -ENOMEM;
	row->pol = *pol;
	row->key_hash = hv;
	row->first_seen = now;
	mark_seen(&st->policy, &row->seen_gen);
	row->id = table_take_id(&st->policy);
	rc = table_add(&st->policy, row, row->id);
	if (rc < 0) {
		free(row);
		return rc;
	}
	ev.type = IPX_EV_POLICY_ADD;
	ev.policy = row;
	notify(st, &ev);
	return 0;
}

static void policy_row_delete(struct ipx_store *st, struct ipx_policy_row *row)
{
	struct ipx_store_event ev = {.type = IPX_EV_POLICY_DELETE, .policy = row};

	notify(st, &ev);
	unmark_seen(&st->policy, row->seen_gen);
	table_remove(&st->policy, row, row->id);
	free(row);
}

int ipx_store_policy_delete(struct ipx_store *st, const struct ipx_policy_key *key)
{
	struct ipx_policy_row *row = (struct ipx_policy_row *)ipx_store_policy_find(st, key);

	if (!row)
		return -ENOENT;
	policy_row_delete(st, row);
	return 0;
}

void ipx_store_acquire(struct ipx_store *st, const struct ipx_policy *pol)
{
	struct ipx_store_event ev = {.type = IPX_EV_ACQUIRE, .acquire = pol};

	notify(st, &ev);
}

/* ---- resync ------------------------------------------------------------------------- */

void ipx_store_sync_begin(struct ipx_store *st, enum ipx_sync_kind kind)
{
	struct table *t = kind == IPX_SYNC_SA ? &st->sa : &st->policy;

	t->gen++;
	t->seen = 0;
}

size_t ipx_store_sync_end(struct ipx_store *st, enum ipx_sync_kind kind)
{
	struct table *t = kind == IPX_SYNC_SA ? &st->sa : &st->policy;
	struct ipx_store_event ev = {.type = IPX_EV_RESYNC_DONE};
	size_t removed = 0;

	/* Deleting compacts the array under us: walk by id, not by position. When the
	 * dump returned every row we have, there is nothing to sweep. */
	for (uint32_t id = 0; t->seen < t->hash.count;) {
		void *row = order_next(&t->order, id);
		if (!row)
			break;
		if (kind == IPX_SYNC_SA) {
			struct ipx_sa_row *r = row;
			id = r->id;
			if (r->seen_gen != t->gen) {
				sa_row_delete(st, r);
				removed++;
			}
		} else {
			struct ipx_policy_row *r = row;
			id = r->id;
			if (r->seen_gen != t->gen) {
				policy_row_delete(st, r);
				removed++;
			}
		}
	}
	if (removed)
		ipx_log_debug("store", "resync removed %zu %s rows the kernel no longer has",
		              removed, kind == IPX_SYNC_SA ? "SA" : "policy");
	notify(st, &ev);
	return removed;
}

/* ---- kernel-wide figures ------------------------------------------------------------ */

struct ipx_store_info *ipx_store_info(struct ipx_store *st)
{
	return &st->info;
}

const struct ipx_store_info *ipx_store_info_const(const struct ipx_store *st)
{
	return &st->info;
}

void ipx_store_set_xfrm_stat(struct ipx_store *st, char (*names)[48], uint64_t *values, size_t n)
{
	free(st->info.stat.names);
	free(st->info.stat.values);
	st->info.stat.names = names;
	st->info.stat.values = values;
	st->info.stat.n = n;
}

int ipx_store_xfrm_stat_get(const struct ipx_store *st, const char *name, uint64_t *value)
{
	for (size_t i = 0; i < st->info.stat.n; i++) {
		if (strcmp(st->info.stat.names[i], name) == 0) {
			*value = st->info.stat.values[i];
			return 0;
		}
	}
	return -ENOENT;
}
