/*
 * The in-memory store: the single copy of what the collection layer knows.
 *
 * Rows get a store-assigned id on first sight that is never reused while the daemon runs,
 * so SNMP row indexes stay stable across rekeys of other SAs and across resyncs. Rows are
 * found by kernel identity through a hash table and walked in id order through an ordered
 * index, both O(1)/O(log n), so that 100,000 SAs cost no more per request than 100.
 *
 * Observers hear of every add, update and delete (and of kernel expiry and acquire events):
 * that is where notifications and IKE correlation hook in.
 */
#ifndef IPX_STORE_H
#define IPX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ipsec_agentx/xfrm.h"

struct ipx_store;

/*
 * The store's internals come first: a lookup reads the chain pointer, the kept hash and
 * then the key at the start of sa, so that a hit touches as few cache lines as it can.
 */
struct ipx_sa_row {
	/* store internals */
	struct ipx_sa_row *hash_next;
	uint64_t key_hash;
	uint64_t seen_gen;
	/* for everyone */
	uint32_t id;          /* ipsecSaIndex */
	uint8_t dir;          /* enum ipx_sa_dir, kernel's when given, else derived */
	uint8_t soft_expired; /* the kernel sent a soft EXPIRE for it */
	struct ipx_sa sa;
	uint64_t first_seen; /* wall clock, seconds */
};

struct ipx_policy_row {
	/* store internals */
	struct ipx_policy_row *hash_next;
	uint64_t key_hash;
	uint64_t seen_gen;
	/* for everyone */
	uint32_t id; /* ipsecPolicyIndex */
	struct ipx_policy pol;
	uint64_t first_seen;
};

enum ipx_store_event_type {
	IPX_EV_SA_ADD,
	IPX_EV_SA_UPDATE,
	IPX_EV_SA_DELETE,
	IPX_EV_SA_EXPIRE_SOFT,
	IPX_EV_SA_EXPIRE_HARD,
	IPX_EV_POLICY_ADD,
	IPX_EV_POLICY_UPDATE,
	IPX_EV_POLICY_DELETE,
	IPX_EV_ACQUIRE,
	IPX_EV_RESYNC_DONE,
};

/*
 * What IPX_EV_SA_UPDATE tells of the SA before the update: its counters, the fields that
 * observers compare (IKE traffic per connection). Not the whole old SA: copying it for
 * every row of every resync would cost as much as the rest of the update.
 */
struct ipx_sa_counters {
	uint64_t bytes, packets;
	uint32_t replay_window, replay, integrity_failed; /* the kernel's drop counters */
};

struct ipx_store_event {
	enum ipx_store_event_type type;
	const struct ipx_sa_row *sa;         /* SA events; valid only during the callback */
	const struct ipx_sa_counters *old;   /* IPX_EV_SA_UPDATE: the counters before */
	const struct ipx_policy_row *policy; /* policy events */
	const struct ipx_policy *acquire;    /* IPX_EV_ACQUIRE: the policy that asked */
};

typedef void (*ipx_store_observer_fn)(void *ctx, const struct ipx_store_event *ev);

struct ipx_store *ipx_store_new(void);
void ipx_store_free(struct ipx_store *st);

/* At most IPX_STORE_MAX_OBSERVERS observers; returns 0 or -ENOSPC. */
#define IPX_STORE_MAX_OBSERVERS 8
int ipx_store_observe(struct ipx_store *st, ipx_store_observer_fn fn, void *ctx);
/* Removes an observer (fn and ctx as given to observe). */
void ipx_store_unobserve(struct ipx_store *st, ipx_store_observer_fn fn, void *ctx);

/*
 * Addresses of this host, used to tell inbound SAs (destination is local) from outbound
 * ones when the kernel does not say. Replaces the whole set.
 */
int ipx_store_set_local_addrs(struct ipx_store *st, const struct ipx_addr *addrs, size_t n);
int ipx_store_addr_is_local(const struct ipx_store *st, const struct ipx_addr *a);

/* SAs. now = wall clock seconds. Return 0 or a negative errno. */
int ipx_store_sa_upsert(struct ipx_store *st, const struct ipx_sa *sa, uint64_t now);
int ipx_store_sa_delete(struct ipx_store *st, const struct ipx_sa_key *key);
int ipx_store_sa_expire(struct ipx_store *st, const struct ipx_sa *sa, int hard, uint64_t now);
const struct ipx_sa_row *ipx_store_sa_find(const struct ipx_store *st,
                                           const struct ipx_sa_key *key);
const struct ipx_sa_row *ipx_store_sa_by_id(const struct ipx_store *st, uint32_t id);
/* The row with the smallest id greater than id (0 gives the first row), or NULL. */
const struct ipx_sa_row *ipx_store_sa_next(const struct ipx_store *st, uint32_t id);
size_t ipx_store_sa_count(const struct ipx_store *st);

/* Policies, likewise. */
int ipx_store_policy_upsert(struct ipx_store *st, const struct ipx_policy *pol, uint64_t now);
int ipx_store_policy_delete(struct ipx_store *st, const struct ipx_policy_key *key);
const struct ipx_policy_row *ipx_store_policy_find(const struct ipx_store *st,
                                                   const struct ipx_policy_key *key);
const struct ipx_policy_row *ipx_store_policy_by_id(const struct ipx_store *st, uint32_t id);
const struct ipx_policy_row *ipx_store_policy_next(const struct ipx_store *st, uint32_t id);
size_t ipx_store_policy_count(const struct ipx_store *st);

void ipx_store_acquire(struct ipx_store *st, const struct ipx_policy *pol);

/*
 * Full resync: begin, upsert everything the dump returned, end. end deletes every row of
 * that kind the dump did not return (SAs that vanished while events were lost).
 */
enum ipx_sync_kind { IPX_SYNC_SA, IPX_SYNC_POLICY };
void ipx_store_sync_begin(struct ipx_store *st, enum ipx_sync_kind kind);
size_t ipx_store_sync_end(struct ipx_store *st, enum ipx_sync_kind kind);

/* Kernel-wide figures kept beside the rows. */
struct ipx_xfrm_stat {
	size_t n;
	char (*names)[48];
	uint64_t *values;
};

struct ipx_store_info {
	struct ipx_sad_info sad;
	struct ipx_spd_info spd;
	struct ipx_xfrm_stat stat; /* /proc/net/xfrm_stat, in file order */
};

struct ipx_store_info *ipx_store_info(struct ipx_store *st);
const struct ipx_store_info *ipx_store_info_const(const struct ipx_store *st);
/* Replace the xfrm_stat set (takes ownership of names and values). */
void ipx_store_set_xfrm_stat(struct ipx_store *st, char (*names)[48], uint64_t *values, size_t n);
/* Value of the counter with that name, or -ENOENT. */
int ipx_store_xfrm_stat_get(const struct ipx_store *st, const char *name, uint64_t *value);

#endif
