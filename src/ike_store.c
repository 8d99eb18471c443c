/*
 * The IKE store (ike_store.h). Five row sets of the same shape as the XFRM store's: a
 * chained hash on the row's identity bytes and an id-ordered array for GET/GETNEXT, ids
 * handed out in increasing order (so the array is appended to) and never reused. Beside
 * them: CHILD_SAs by SPI (to find a kernel SA's owner when the kernel announces it), links
 * from kernel SA ids to their owners, and the monotonic per-connection counters.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "ipsec_agentx/ike_store.h"

/* ---- row sets ------------------------------------------------------------------------- */

struct rowset {
	struct ipx_rowhdr **ord; /* by id; NULL = a deleted row's hole */
	size_t n_ord, cap_ord, holes, live;
	struct ipx_rowhdr **buckets;
	size_t n_buckets; /* power of two */
	uint32_t next_id;
};

static uint32_t hash_bytes(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static int rowset_init(struct rowset *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->n_buckets = 256;
	rs->buckets = calloc(rs->n_buckets, sizeof(*rs->buckets));
	rs->next_id = 1;
	return rs->buckets ? 0 : -ENOMEM;
}

static void rowset_release(struct rowset *rs)
{
	size_t i;

	for (i = 0; i < rs->n_ord; i++)
		free(rs->ord[i]);
	free(rs->ord);
	free(rs->buckets);
	memset(rs, 0, sizeof(*rs));
}

static struct ipx_rowhdr *rowset_find(const struct rowset *rs, const uint8_t *key, size_t len)
{
	uint32_t h = hash_bytes(key, len);
	struct ipx_rowhdr *r;

	for (r = rs->buckets[h & (rs->n_buckets - 1)]; r; r = r->hash_next)
		if (r->hash == h && r->keylen == len && !memcmp(r->key, key, len))
			return r;
	return NULL;
}

static int rowset_grow_hash(struct rowset *rs)
{
	size_t n = rs->n_buckets * 2, i;
	struct ipx_rowhdr **b = calloc(n, sizeof(*b)), *r, *next;

	if (!b)
		return -ENOMEM;
	for (i = 0; i < rs->n_buckets; i++)
		for (r = rs->buckets[i]; r; r = next) {
			next = r->hash_next;
			r->hash_next = b[r->hash & (n - 1)];
			b[r->hash & (n - 1)] = r;
		}
	free(rs->buckets);
	rs->buckets = b;
	rs->n_buckets = n;
	return 0;
}

static void rowset_compact(struct rowset *rs)
{
	size_t i, j = 0;

	for (i = 0; i < rs->n_ord; i++)
		if (rs->ord[i])
			rs->ord[j++] = rs->ord[i];
	rs->n_ord = j;
	rs->holes = 0;
}

/* Adds a zeroed row of SIZE bytes with KEY; returns it, or NULL (out of memory). */
static struct ipx_rowhdr *rowset_add(struct rowset *rs, size_t size, const uint8_t *key, size_t len,
                                     uint32_t source)
{
	struct ipx_rowhdr *r;
	size_t b;

	if (rs->live >= rs->n_buckets && rowset_grow_hash(rs) < 0)
		return NULL;
	if (rs->holes > 64 && rs->holes > rs->live)
		rowset_compact(rs);
	if (rs->n_ord == rs->cap_ord) {
		size_t cap = rs->cap_ord ? rs->cap_ord * 2 : 64;
		struct ipx_rowhdr **o = realloc(rs->ord, cap * sizeof(*o));
		if (!o)
			return NULL;
		rs->ord = o;
		rs->cap_ord = cap;
	}
	r = calloc(1, size);
	if (!r)
		return NULL;
	r->id = rs->next_id++;
	r->source = source;
	r->hash = hash_bytes(key, len);
	r->keylen = (uint16_t)len;
	memcpy(r->key, key, len);
	b = r->hash & (rs->n_buckets - 1);
	r->hash_next = rs->buckets[b];
	rs->buckets[b] = r;
	rs->ord[rs->n_ord++] = r;
	rs->live++;
	return r;
}

/* Index in ord of the first slot whose row id is >= ID (holes are skipped by callers). */
static size_t rowset_lower(const struct rowset *rs, uint32_t id)
{
	size_t lo = 0, hi = rs->n_ord;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2, k = mid;
		/* A hole has no id: probe the next live slot to its right. */
		while (k < hi && !rs->ord[k])
			k++;
		if (k == hi)
			hi = mid;
		else if (rs->ord[k]->id < id)
			lo = k + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct ipx_rowhdr *rowset_by_id(const struct rowset *rs, uint32_t id)
{
	size_t i = rowset_lower(rs, id);

	while (i < rs->n_ord && !rs->ord[i])
		i++;
	return i < rs->n_ord && rs->ord[i]->id == id ? rs->ord[i] : NULL;
}

static struct ipx_rowhdr *rowset_next(const struct rowset *rs, uint32_t id)
{
	size_t i = id == UINT32_MAX ? rs->n_ord : rowset_lower(rs, id + 1);

	while (i < rs->n_ord && !rs->ord[i])
		i++;
	return i < rs->n_ord ? rs->ord[i] : NULL;
}

static void rowset_remove(struct rowset *rs, struct ipx_rowhdr *r)
{
	struct ipx_rowhdr **pp = &rs->buckets[r->hash & (rs->n_buckets - 1)];
	size_t i = rowset_lower(rs, r->id);

	while (*pp && *pp != r)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = r->hash_next;
	while (i < rs->n_ord && rs->ord[i] != r)
		i++;
	if (i < rs->n_ord) {
		rs->ord[i] = NULL;
		rs->holes++;
	}
	rs->live--;
	free(r);
	/* no compaction here: callers walk ord by index while removing (see rowset_add) */
}

/* ---- keys ----------------------------------------------------------------------------- */

struct key {
	uint8_t b[IPX_ROW_KEY_MAX];
	size_t len;
};

static void key_add(struct key *k, const void *p, size_t n)
{
	if (n > sizeof(k->b) - k->len)
		n = sizeof(k->b) - k->len;
	memcpy(k->b + k->len, p, n);
	k->len += n;
}

static void key_add_str(struct key *k, const char *s)
{
	key_add(k, s, strlen(s) + 1);
}

static struct key key_uid(uint32_t source, uint32_t uid)
{
	struct key k = {.len = 0};

	key_add(&k, &source, sizeof(source));
	key_add(&k, &uid, sizeof(uid));
	return k;
}

static uint64_t hash64(const char *s)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a, 64 bits */

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ull;
	return h;
}

/* Issuer and serial identify a certificate; both can be long, so they are hashed. */
static struct key key_cert(uint32_t source, const char *issuer, const char *serial)
{
	struct key k = {.len = 0};
	uint64_t hi = hash64(issuer), hs = hash64(serial);

	key_add(&k, &source, sizeof(source));
	key_add(&k, &hi, sizeof(hi));
	key_add(&k, &hs, sizeof(hs));
	return k;
}

static struct key key_names(uint32_t source, const char *a, const char *b)
{
	struct key k = {.len = 0};

	key_add(&k, &source, sizeof(source));
	key_add_str(&k, a);
	key_add_str(&k, b ? b : "");
	return k;
}

/* ---- the store ------------------------------------------------------------------------ */

struct counters_entry {
	struct ipx_rowhdr h; /* the counters are rows too: found by (source, conn, child) */
	struct ipx_conn_counters c;
	uint32_t ike_sas; /* recount()'s tally of the connection's IKE SAs (child "") */
};

/* A kernel SA linked to its CHILD_SA. */
struct link {
	struct ipx_rowhdr h; /* key: the kernel SA id */
	uint32_t child_id;
	uint8_t inbound;
	struct ipx_conn_counters *ctr;
};

#define SPI_BUCKETS 4096

struct ipx_ike_store {
	struct ipx_store *xfrm;
	struct rowset sas, children, conns, certs, counters, links;
	struct rowset ike_ctrs; /* charon's own counters (get-counters), by (source, scope, name) */
	struct rowset hints;    /* exchange modes from charon's log, by (source, IKE uniqueid) */
	/* children by spi_in and by spi_out: a kernel SA's owner in O(1) */
	struct ipx_child_row *spi_in[SPI_BUCKETS], *spi_out[SPI_BUCKETS];
	uint64_t gen; /* bumped by every sync_begin; upserts stamp rows with it */
	/* the generation each open listing began at, per source and kind (0: none open);
	 * listings of several sources may interleave */
	uint64_t sync_gen[IPX_IKE_MAX_SOURCES + 1][IPX_IKE_KINDS];
	int syncing;            /* listings open: derived figures are recomputed at their end */
	size_t orphan_children; /* CHILD_SAs whose IKE SA was not known yet (ike_id 0) */
};

static size_t spi_bucket(uint32_t spi)
{
	return (spi * 2654435761u) >> 20 & (SPI_BUCKETS - 1);
}

static void spi_unlink(struct ipx_child_row **head, struct ipx_child_row *c, int out)
{
	struct ipx_child_row **pp = head;

	while (*pp && *pp != c)
		pp = out ? &(*pp)->spi_next_out : &(*pp)->spi_next_in;
	if (*pp)
		*pp = out ? c->spi_next_out : c->spi_next_in;
}

static void spi_unindex(struct ipx_ike_store *st, struct ipx_child_row *c)
{
	spi_unlink(&st->spi_in[spi_bucket(c->sa.spi_in)], c, 0);
	spi_unlink(&st->spi_out[spi_bucket(c->sa.spi_out)], c, 1);
	c->spi_next_in = c->spi_next_out = NULL;
}

static void spi_index(struct ipx_ike_store *st, struct ipx_child_row *c)
{
	size_t in = spi_bucket(c->sa.spi_in), out = spi_bucket(c->sa.spi_out);

	c->spi_next_in = st->spi_in[in];
	st->spi_in[in] = c;
	c->spi_next_out = st->spi_out[out];
	st->spi_out[out] = c;
}

/* ---- counters ------------------------------------------------------------------------- */

static struct ipx_conn_counters *counters_get(struct ipx_ike_store *st, uint32_t source,
                                              const char *conn, const char *child)
{
	struct key k = key_names(source, conn, child);
	struct counters_entry *e = (struct counters_entry *)rowset_find(&st->counters, k.b, k.len);

	if (!e)
		e = (struct counters_entry *)rowset_add(&st->counters, sizeof(*e), k.b, k.len,
		                                        source);
	return e ? &e->c : NULL;
}

const struct ipx_conn_counters *ipx_ike_counters(const struct ipx_ike_store *st, uint32_t source,
                                                 const char *conn, const char *child)
{
	struct key k = key_names(source, conn, child);
	const struct counters_entry *e =
	    (const struct counters_entry *)rowset_find(&st->counters, k.b, k.len);

	return e ? &e->c : NULL;
}

static void count_sa(struct ipx_conn_counters *ctr, int inbound, uint64_t bytes, uint64_t packets)
{
	if (inbound) {
		ctr->octets_in += bytes;
		ctr->packets_in += packets;
	} else {
		ctr->octets_out += bytes;
		ctr->packets_out += packets;
	}
}

void ipx_ike_note_rekey(struct ipx_ike_store *st, uint32_t source, const char *conn,
                        const char *child)
{
	struct ipx_conn_counters *ctr = counters_get(st, source, conn, child ? child : "");

	if (!ctr)
		return;
	if (child)
		ctr->child_rekeys++;
	else
		ctr->ike_rekeys++;
}

/* ---- links between kernel SAs and CHILD_SAs -------------------------------------------- */

static struct link *link_find(const struct ipx_ike_store *st, uint32_t sa_id)
{
	return (struct link *)rowset_find(&st->links, (const uint8_t *)&sa_id, sizeof(sa_id));
}

static const struct ipx_ike_sa_row *ike_of(const struct ipx_ike_store *st,
                                           const struct ipx_child_row *c)
{
	return (const struct ipx_ike_sa_row *)rowset_by_id(&st->sas, c->ike_id);
}

/*
 * Links kernel SA ROW to child C. The first link counts its bytes so far for the
 * connection; the link (and what it counted) lasts as long as the kernel SA, so linking it
 * again (a re-listing, a VICI reconnect) counts nothing twice.
 */
static void link_sa(struct ipx_ike_store *st, const struct ipx_sa_row *row, struct ipx_child_row *c,
                    int inbound)
{
	const struct ipx_ike_sa_row *ike = ike_of(st, c);
	struct link *l = link_find(st, row->id);

	if (inbound)
		c->sa_in_id = row->id;
	else
		c->sa_out_id = row->id;
	if (l) {
		l->child_id = c->h.id;
		l->inbound = (uint8_t)inbound;
		return;
	}
	if (!ike)
		return;
	l = (struct link *)rowset_add(&st->links, sizeof(*l), (const uint8_t *)&row->id,
	                              sizeof(row->id), c->h.source);
	if (!l)
		return;
	l->child_id = c->h.id;
	l->inbound = (uint8_t)inbound;
	l->ctr = counters_get(st, c->h.source, ike->sa.name, c->sa.name);
	if (l->ctr)
		count_sa(l->ctr, inbound, row->sa.cur_bytes, row->sa.cur_packets);
}

static uint8_t child_proto(const struct ipx_child_row *c)
{
	return c->sa.protocol == IPX_CHILD_PROTO_AH ? IPPROTO_AH : IPPROTO_ESP;
}

/* The kernel SA of one direction of C, looked up by the identity the kernel uses. */
static const struct ipx_sa_row *kernel_sa_of(const struct ipx_ike_store *st,
                                             const struct ipx_child_row *c, int inbound)
{
	const struct ipx_ike_sa_row *ike = ike_of(st, c);
	struct ipx_sa_key k = {0};

	if (!ike || !st->xfrm)
		return NULL;
	k.daddr = inbound ? ike->sa.local : ike->sa.remote;
	k.spi = inbound ? c->sa.spi_in : c->sa.spi_out;
	k.proto = child_proto(c);
	k.mark_value = inbound ? c->sa.mark_in : c->sa.mark_out;
	k.mark_mask = inbound ? c->sa.mark_mask_in : c->sa.mark_mask_out;
	k.if_id = inbound ? c->sa.if_id_in : c->sa.if_id_out;
	if (!k.spi || !k.daddr.family)
		return NULL;
	return ipx_store_sa_find(st->xfrm, &k);
}

static void link_child(struct ipx_ike_store *st, struct ipx_child_row *c)
{
	const struct ipx_sa_row *in = kernel_sa_of(st, c, 1), *out = kernel_sa_of(st, c, 0);

	c->sa_in_id = c->sa_out_id = 0;
	if (in)
		link_sa(st, in, c, 1);
	if (out)
		link_sa(st, out, c, 0);
}

/* A kernel SA appeared: the CHILD_SA that has its SPI, if any, owns it. */
static void kernel_sa_added(struct ipx_ike_store *st, const struct ipx_sa_row *row)
{
	uint32_t spi = row->sa.key.spi;
	struct ipx_child_row *c;

	for (c = st->spi_in[spi_bucket(spi)]; c; c = c->spi_next_in)
		if (c->sa.spi_in == spi && kernel_sa_of(st, c, 1) == row) {
			link_sa(st, row, c, 1);
			return;
		}
	for (c = st->spi_out[spi_bucket(spi)]; c; c = c->spi_next_out)
		if (c->sa.spi_out == spi && kernel_sa_of(st, c, 0) == row) {
			link_sa(st, row, c, 0);
			return;
		}
}

static void kernel_sa_updated(struct ipx_ike_store *st, const struct ipx_sa_row *row,
                              const struct ipx_sa_counters *old)
{
	struct link *l = link_find(st, row->id);

	/* Counters only grow in the kernel; a smaller value would be a new SA, not traffic. */
	if (!l || !l->ctr || !old || row->sa.cur_bytes < old->bytes ||
	    row->sa.cur_packets < old->packets)
		return;
	count_sa(l->ctr, l->inbound, row->sa.cur_bytes - old->bytes,
	         row->sa.cur_packets - old->packets);
}

static void kernel_sa_deleted(struct ipx_ike_store *st, const struct ipx_sa_row *row)
{
	struct link *l = link_find(st, row->id);
	struct ipx_child_row *c;

	if (!l)
		return;
	c = l->child_id ? (struct ipx_child_row *)rowset_by_id(&st->children, l->child_id) : NULL;
	if (c && c->sa_in_id == row->id)
		c->sa_in_id = 0;
	if (c && c->sa_out_id == row->id)
		c->sa_out_id = 0;
	rowset_remove(&st->links, &l->h);
}

static void on_xfrm_event(void *arg, const struct ipx_store_event *ev)
{
	struct ipx_ike_store *st = arg;

	switch (ev->type) {
	case IPX_EV_SA_ADD: kernel_sa_added(st, ev->sa); break;
	case IPX_EV_SA_UPDATE: kernel_sa_updated(st, ev->sa, ev->old); break;
	case IPX_EV_SA_DELETE: kernel_sa_deleted(st, ev->sa); break;
	default: break;
	}
}

const struct ipx_child_row *ipx_ike_sa_owner(const struct ipx_ike_store *st, uint32_t sa_id)
{
	const struct link *l = link_find(st, sa_id);

	if (!l || !l->child_id)
		return NULL;
	return (const struct ipx_child_row *)rowset_by_id(&st->children, l->child_id);
}

/* ---- derived figures ------------------------------------------------------------------ */

static void resolve_conn(struct ipx_ike_store *st, struct ipx_child_row *c)
{
	const struct ipx_ike_sa_row *ike = ike_of(st, c);
	const struct ipx_conn_row *conn =
	    ike ? ipx_conn_find(st, c->h.source, ike->sa.name, c->sa.name) : NULL;

	c->conn_id = conn ? conn->h.id : 0;
}

/* Up, for "established": a CHILD_SA being rekeyed or updated still carries traffic (the
 * REKEYED one it replaces does not count, its successor does). */
static int child_is_up(uint8_t state)
{
	return state == IPX_CHILD_INSTALLED || state == IPX_CHILD_REKEYING ||
	       state == IPX_CHILD_UPDATING;
}

static struct counters_entry *entry_of(const struct ipx_conn_counters *c)
{
	return (struct counters_entry *)((char *)c - offsetof(struct counters_entry, c));
}

/* Connection figures (SAs up), CHILD_SA -> conn links. O(rows). */
static void recount(struct ipx_ike_store *st)
{
	size_t i;

	if (st->syncing)
		return;
	for (i = 0; i < st->counters.n_ord; i++) {
		struct counters_entry *e = (struct counters_entry *)st->counters.ord[i];
		if (e)
			e->ike_sas = 0;
	}
	for (i = 0; i < st->sas.n_ord; i++) {
		const struct ipx_ike_sa_row *s = (const struct ipx_ike_sa_row *)st->sas.ord[i];
		struct ipx_conn_counters *ctr =
		    s ? counters_get(st, s->h.source, s->sa.name, "") : NULL;
		if (ctr)
			entry_of(ctr)->ike_sas++;
	}
	for (i = 0; i < st->conns.n_ord; i++) {
		struct ipx_conn_row *cr = (struct ipx_conn_row *)st->conns.ord[i];
		if (!cr)
			continue;
		cr->ike_sas = cr->ike_ctr ? entry_of(cr->ike_ctr)->ike_sas : 0;
		cr->child_sas = 0;
	}
	for (i = 0; i < st->children.n_ord; i++) {
		struct ipx_child_row *c = (struct ipx_child_row *)st->children.ord[i];
		struct ipx_conn_row *cr;
		if (!c)
			continue;
		resolve_conn(st, c);
		cr = (struct ipx_conn_row *)rowset_by_id(&st->conns, c->conn_id);
		if (cr && child_is_up(c->sa.state))
			cr->child_sas++;
	}
}

/* Whether LIST (entries separated by SEP) has an entry equal to ITEM. */
static int list_has(const char *list, const char *sep, const char *item)
{
	size_t n = strlen(item), seplen = strlen(sep);
	const char *p = list;

	while (*p) {
		const char *end = strstr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && !memcmp(p, item, n))
			return 1;
		if (!end)
			break;
		p = end + seplen;
	}
	return 0;
}

static void cert_users(struct ipx_ike_store *st)
{
	size_t i;

	for (i = 0; i < st->certs.n_ord; i++) {
		struct ipx_cert_row *cr = (struct ipx_cert_row *)st->certs.ord[i];
		const struct ipx_conn_row *c;
		size_t used = 0;
		if (!cr)
			continue;
		cr->used_by[0] = '\0';
		for (c = ipx_conn_next(st, 0); c; c = ipx_conn_next(st, c->h.id)) {
			int w;
			if (c->h.source != cr->h.source || !cr->cert.subject[0] ||
			    (!list_has(c->conn.local_certs, "; ", cr->cert.subject) &&
			     !list_has(c->conn.remote_certs, "; ", cr->cert.subject)))
				continue;
			/* one entry per connection, however many children it has */
			if (list_has(cr->used_by, ", ", c->conn.name))
				continue;
			w = snprintf(cr->used_by + used, sizeof(cr->used_by) - used, "%s%s",
			             used ? ", " : "", c->conn.name);
			if (w < 0 || (size_t)w >= sizeof(cr->used_by) - used) {
				cr->used_by[used] = '\0';
				break;
			}
			used += (size_t)w;
		}
	}
}

/* ---- life cycle ----------------------------------------------------------------------- */

struct ipx_ike_store *ipx_ike_store_new(struct ipx_store *xfrm)
{
	struct ipx_ike_store *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->xfrm = xfrm;
	if (rowset_init(&st->sas) < 0 || rowset_init(&st->children) < 0 ||
	    rowset_init(&st->conns) < 0 || rowset_init(&st->certs) < 0 ||
	    rowset_init(&st->counters) < 0 || rowset_init(&st->links) < 0 ||
	    rowset_init(&st->hints) < 0 || rowset_init(&st->ike_ctrs) < 0 ||
	    (xfrm && ipx_store_observe(xfrm, on_xfrm_event, st) < 0)) {
		ipx_ike_store_free(st);
		return NULL;
	}
	return st;
}

void ipx_ike_store_free(struct ipx_ike_store *st)
{
	if (!st)
		return;
	if (st->xfrm)
		ipx_store_unobserve(st->xfrm, on_xfrm_event, st);
	rowset_release(&st->sas);
	rowset_release(&st->children);
	rowset_release(&st->conns);
	rowset_release(&st->certs);
	rowset_release(&st->counters);
	rowset_release(&st->links);
	rowset_release(&st->hints);
	rowset_release(&st->ike_ctrs);
	free(st);
}

/* ---- listings ------------------------------------------------------------------------- */

void ipx_ike_sync_begin(struct ipx_ike_store *st, uint32_t source, enum ipx_ike_kind kind)
{
	if (source == 0 || source > IPX_IKE_MAX_SOURCES)
		return;
	if (!st->sync_gen[source][kind])
		st->syncing++;
	st->sync_gen[source][kind] = ++st->gen;
}

static void sync_close(struct ipx_ike_store *st, uint32_t source, enum ipx_ike_kind kind)
{
	if (st->sync_gen[source][kind]) {
		st->sync_gen[source][kind] = 0;
		st->syncing--;
	}
}

/* The kernel SA is no one's now; the link stays, orphaned, so that its traffic keeps
 * counting for its connection and a later owner does not count it again. */
static void orphan_kernel_sa(struct ipx_ike_store *st, uint32_t sa_id, uint32_t child_id)
{
	struct link *l = sa_id ? link_find(st, sa_id) : NULL;

	if (l && l->child_id == child_id)
		l->child_id = 0;
}

static void remove_child(struct ipx_ike_store *st, struct ipx_child_row *c)
{
	const struct ipx_ike_sa_row *ike = ike_of(st, c);

	if (c->sa.state == IPX_CHILD_INSTALLED && ike) {
		struct ipx_conn_counters *ctr =
		    counters_get(st, c->h.source, ike->sa.name, c->sa.name);
		if (ctr)
			ctr->last_down = ipx_ike_now();
	}
	if (!c->ike_id)
		st->orphan_children--;
	spi_unindex(st, c);
	orphan_kernel_sa(st, c->sa_in_id, c->h.id);
	orphan_kernel_sa(st, c->sa_out_id, c->h.id);
	rowset_remove(&st->children, &c->h);
}

void ipx_ike_sync_abort(struct ipx_ike_store *st, uint32_t source, enum ipx_ike_kind kind)
{
	if (source == 0 || source > IPX_IKE_MAX_SOURCES)
		return;
	sync_close(st, source, kind);
	recount(st);
}

/* CHILD_SAs that arrived before their IKE SA (an event) get it now. */
static void adopt_children(struct ipx_ike_store *st, const struct ipx_ike_sa_row *ike)
{
	size_t i;

	for (i = 0; i < st->children.n_ord && st->orphan_children; i++) {
		struct ipx_child_row *c = (struct ipx_child_row *)st->children.ord[i];
		if (c && !c->ike_id && c->h.source == ike->h.source &&
		    c->sa.ike_unique_id == ike->sa.unique_id) {
			c->ike_id = ike->h.id;
			st->orphan_children--;
			link_child(st, c);
		}
	}
}

struct hint {
	struct ipx_rowhdr h;
	uint8_t exchange;
};

static void forget_hint(struct ipx_ike_store *st, const struct ipx_rowhdr *sa)
{
	struct ipx_rowhdr *h = rowset_find(&st->hints, sa->key, sa->keylen);

	if (h)
		rowset_remove(&st->hints, h);
}

/* Removes rows of SOURCE in RS not seen since generation GEN (all of them if GEN is 0). */
static size_t sweep(struct ipx_ike_store *st, struct rowset *rs, uint32_t source, uint64_t gen)
{
	size_t i, n = 0;

	for (i = 0; i < rs->n_ord; i++) {
		struct ipx_rowhdr *r = rs->ord[i];
		if (!r || r->source != source || (gen && r->seen_gen >= gen))
			continue;
		if (rs == &st->children)
			remove_child(st, (struct ipx_child_row *)r);
		else {
			if (rs == &st->sas)
				forget_hint(st, r);
			rowset_remove(rs, r);
		}
		n++;
	}
	return n;
}

size_t ipx_ike_sync_end(struct ipx_ike_store *st, uint32_t source, enum ipx_ike_kind kind)
{
	uint64_t gen;
	size_t n = 0;

	if (source == 0 || source > IPX_IKE_MAX_SOURCES || !st->sync_gen[source][kind])
		return 0;
	gen = st->sync_gen[source][kind];
	switch (kind) {
	case IPX_IKE_KIND_SA:
		n = sweep(st, &st->children, source, gen) + sweep(st, &st->sas, source, gen);
		break;
	case IPX_IKE_KIND_CONN: n = sweep(st, &st->conns, source, gen); break;
	case IPX_IKE_KIND_CERT: n = sweep(st, &st->certs, source, gen); break;
	case IPX_IKE_KIND_COUNTERS: n = sweep(st, &st->ike_ctrs, source, gen); break;
	}
	sync_close(st, source, kind);
	recount(st);
	cert_users(st);
	return n;
}

/* ---- upserts -------------------------------------------------------------------------- */

/* Hints of SAs that never got listed (failed negotiations) would pile up: past this many,
 * the oldest half goes. */
#define MAX_HINTS 4096

void ipx_ike_note_exchange(struct ipx_ike_store *st, uint32_t source, uint32_t unique_id,
                           enum ipx_ike_exchange exchange)
{
	struct key k = key_uid(source, unique_id);
	struct ipx_ike_sa_row *r = (struct ipx_ike_sa_row *)rowset_find(&st->sas, k.b, k.len);
	struct hint *h = (struct hint *)rowset_find(&st->hints, k.b, k.len);

	if (r && r->sa.version == 1)
		r->sa.exchange = (uint8_t)exchange;
	if (!h) {
		size_t i;
		if (st->hints.live >= MAX_HINTS)
			for (i = 0; i < st->hints.n_ord && st->hints.live > MAX_HINTS / 2; i++)
				if (st->hints.ord[i])
					rowset_remove(&st->hints, st->hints.ord[i]);
		h = (struct hint *)rowset_add(&st->hints, sizeof(*h), k.b, k.len, source);
	}
	if (h)
		h->exchange = (uint8_t)exchange;
}

int ipx_ike_upsert_sa(struct ipx_ike_store *st, uint32_t source, const struct ipx_ike_sa *sa)
{
	const struct hint *hint;
	struct key k = key_uid(source, sa->unique_id);
	struct ipx_ike_sa_row *r;
	uint8_t known_exchange = IPX_IKE_EXCHANGE_UNKNOWN;

	if (source == 0 || source > IPX_IKE_MAX_SOURCES)
		return -EINVAL;
	r = (struct ipx_ike_sa_row *)rowset_find(&st->sas, k.b, k.len);
	if (!r) {
		r = (struct ipx_ike_sa_row *)rowset_add(&st->sas, sizeof(*r), k.b, k.len, source);
		if (!r)
			return -ENOMEM;
		r->first_seen = ipx_ike_now();
	} else {
		known_exchange = r->sa.exchange;
	}
	r->sa = *sa;
	/* charon shows MAIN_MODE / AGGRESSIVE_MODE only while negotiating: remember it */
	if (sa->exchange == IPX_IKE_EXCHANGE_IKEV1 &&
	    (known_exchange == IPX_IKE_EXCHANGE_MAIN ||
	     known_exchange == IPX_IKE_EXCHANGE_AGGRESSIVE))
		r->sa.exchange = known_exchange;
	hint = (const struct hint *)rowset_find(&st->hints, k.b, k.len);
	if (hint && sa->version == 1)
		r->sa.exchange = hint->exchange;
	if (st->orphan_children)
		adopt_children(st, r);
	r->h.seen_gen = st->gen;
	recount(st);
	return 0;
}

int ipx_ike_upsert_child(struct ipx_ike_store *st, uint32_t source, const struct ipx_child_sa *c)
{
	struct key k = key_uid(source, c->unique_id);
	struct ipx_child_row *r;
	const struct ipx_ike_sa_row *ike;

	if (source == 0 || source > IPX_IKE_MAX_SOURCES)
		return -EINVAL;
	uint8_t was = IPX_CHILD_STATE_UNKNOWN;

	r = (struct ipx_child_row *)rowset_find(&st->children, k.b, k.len);
	if (!r) {
		r = (struct ipx_child_row *)rowset_add(&st->children, sizeof(*r), k.b, k.len,
		                                       source);
		if (!r)
			return -ENOMEM;
	} else {
		was = r->sa.state;
		spi_unindex(st, r);
		if (!r->ike_id)
			st->orphan_children--;
	}
	r->sa = *c;
	r->h.seen_gen = st->gen;
	ike = ipx_ike_sa_find(st, source, c->ike_unique_id);
	r->ike_id = ike ? ike->h.id : 0;
	if (!r->ike_id)
		st->orphan_children++;
	if (ike && c->state == IPX_CHILD_INSTALLED && was != IPX_CHILD_INSTALLED) {
		struct ipx_conn_counters *ctr = counters_get(st, source, ike->sa.name, c->name);
		if (ctr)
			ctr->last_up = ipx_ike_now();
	}
	spi_index(st, r);
	link_child(st, r);
	resolve_conn(st, r);
	recount(st);
	return 0;
}

int ipx_ike_upsert_conn(struct ipx_ike_store *st, uint32_t source, const struct ipx_ike_conn *c)
{
	struct key k = key_names(source, c->name, c->child);
	struct ipx_conn_row *r;

	if (source == 0 || source > IPX_IKE_MAX_SOURCES)
		return -EINVAL;
	r = (struct ipx_conn_row *)rowset_find(&st->conns, k.b, k.len);
	if (!r) {
		r = (struct ipx_conn_row *)rowset_add(&st->conns, sizeof(*r), k.b, k.len, source);
		if (!r)
			return -ENOMEM;
	}
	r->conn = *c;
	r->h.seen_gen = st->gen;
	r->ctr = counters_get(st, source, c->name, c->child);
	r->ike_ctr = counters_get(st, source, c->name, "");
	recount(st);
	if (!st->syncing)
		cert_users(st);
	return 0;
}

int ipx_ike_upsert_cert(struct ipx_ike_store *st, uint32_t source, const struct ipx_cert_info *c,
                        const char *type, unsigned int flag, int has_privkey)
{
	struct key k = key_cert(source, c->issuer, c->serial);
	struct ipx_cert_row *r;

	if (source == 0 || source > IPX_IKE_MAX_SOURCES)
		return -EINVAL;
	r = (struct ipx_cert_row *)rowset_find(&st->certs, k.b, k.len);
	if (!r) {
		r = (struct ipx_cert_row *)rowset_add(&st->certs, sizeof(*r), k.b, k.len, source);
		if (!r)
			return -ENOMEM;
	}
	r->cert = *c;
	snprintf(r->type, sizeof(r->type), "%s", type ? type : "");
	r->flag = (uint8_t)(flag <= IPX_CERT_FLAG_OCSP ? flag : IPX_CERT_FLAG_NONE);
	r->has_privkey = has_privkey != 0;
	r->h.seen_gen = st->gen;
	if (!st->syncing)
		cert_users(st);
	return 0;
}

int ipx_ike_upsert_counter(struct ipx_ike_store *st, uint32_t source, const char *scope,
                           const char *name, uint64_t value)
{
	char sc[IPX_IKE_NAME_MAX], nm[IPX_IKE_COUNTER_NAME_MAX];
	struct ipx_ike_counter_row *r;
	struct key k;

	if (source == 0 || source > IPX_IKE_MAX_SOURCES || !scope || !name)
		return -EINVAL;
	/* cut first, so that the key is what the row shows */
	snprintf(sc, sizeof(sc), "%s", scope);
	snprintf(nm, sizeof(nm), "%s", name);
	k = key_names(source, sc, nm);
	r = (struct ipx_ike_counter_row *)rowset_find(&st->ike_ctrs, k.b, k.len);
	if (!r) {
		r = (struct ipx_ike_counter_row *)rowset_add(&st->ike_ctrs, sizeof(*r), k.b, k.len,
		                                             source);
		if (!r)
			return -ENOMEM;
		memcpy(r->scope, sc, sizeof(sc));
		memcpy(r->name, nm, sizeof(nm));
	}
	r->value = value;
	r->h.seen_gen = st->gen;
	return 0;
}

/* ---- deletes -------------------------------------------------------------------------- */

int ipx_ike_delete_child(struct ipx_ike_store *st, uint32_t source, uint32_t unique_id)
{
	struct key k = key_uid(source, unique_id);
	struct ipx_child_row *r = (struct ipx_child_row *)rowset_find(&st->children, k.b, k.len);

	if (!r)
		return -ENOENT;
	remove_child(st, r);
	recount(st);
	return 0;
}

int ipx_ike_delete_sa(struct ipx_ike_store *st, uint32_t source, uint32_t unique_id)
{
	struct key k = key_uid(source, unique_id);
	struct ipx_ike_sa_row *r = (struct ipx_ike_sa_row *)rowset_find(&st->sas, k.b, k.len);
	size_t i;

	if (!r)
		return -ENOENT;
	for (i = 0; i < st->children.n_ord; i++) {
		struct ipx_child_row *c = (struct ipx_child_row *)st->children.ord[i];
		if (c && c->h.source == source && c->sa.ike_unique_id == unique_id)
			remove_child(st, c);
	}
	forget_hint(st, &r->h);
	rowset_remove(&st->sas, &r->h);
	recount(st);
	return 0;
}

void ipx_ike_source_down(struct ipx_ike_store *st, uint32_t source)
{
	unsigned int k;

	if (source == 0 || source > IPX_IKE_MAX_SOURCES)
		return;
	for (k = 0; k < IPX_IKE_KINDS; k++)
		sync_close(st, source, k);
	sweep(st, &st->children, source, 0);
	sweep(st, &st->sas, source, 0);
	recount(st);
}

/* ---- lookups -------------------------------------------------------------------------- */

#define LOOKUPS(T, prefix, set)                                                                    \
	const T *prefix##_by_id(const struct ipx_ike_store *st, uint32_t id)                       \
	{                                                                                          \
		return (const T *)rowset_by_id(&st->set, id);                                      \
	}                                                                                          \
	const T *prefix##_next(const struct ipx_ike_store *st, uint32_t id)                        \
	{                                                                                          \
		return (const T *)rowset_next(&st->set, id);                                       \
	}                                                                                          \
	size_t prefix##_count(const struct ipx_ike_store *st)                                      \
	{                                                                                          \
		return st->set.live;                                                               \
	}

LOOKUPS(struct ipx_ike_sa_row, ipx_ike_sa, sas)
LOOKUPS(struct ipx_child_row, ipx_child, children)
LOOKUPS(struct ipx_conn_row, ipx_conn, conns)
LOOKUPS(struct ipx_cert_row, ipx_cert, certs)
LOOKUPS(struct ipx_ike_counter_row, ipx_ike_counter, ike_ctrs)

const struct ipx_ike_counter_row *ipx_ike_counter_find(const struct ipx_ike_store *st,
                                                       uint32_t source, const char *scope,
                                                       const char *name)
{
	struct key k = key_names(source, scope, name);

	return (const struct ipx_ike_counter_row *)rowset_find(&st->ike_ctrs, k.b, k.len);
}

const struct ipx_ike_sa_row *ipx_ike_sa_find(const struct ipx_ike_store *st, uint32_t source,
                                             uint32_t unique_id)
{
	struct key k = key_uid(source, unique_id);

	return (const struct ipx_ike_sa_row *)rowset_find(&st->sas, k.b, k.len);
}

const struct ipx_child_row *ipx_child_find(const struct ipx_ike_store *st, uint32_t source,
                                           uint32_t unique_id)
{
	struct key k = key_uid(source, unique_id);

	return (const struct ipx_child_row *)rowset_find(&st->children, k.b, k.len);
}

const struct ipx_conn_row *ipx_conn_find(const struct ipx_ike_store *st, uint32_t source,
                                         const char *name, const char *child)
{
	struct key k = key_names(source, name, child);

	return (const struct ipx_conn_row *)rowset_find(&st->conns, k.b, k.len);
}
