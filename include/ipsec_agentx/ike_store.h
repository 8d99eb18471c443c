/*
 * The IKE store: IKE SAs, CHILD_SAs, configured connections and certificates of one or
 * more IKE daemons ("sources", numbered from 1: one per VICI socket), with stable row ids
 * like the XFRM store's (never reused while the daemon runs), and their links to the
 * kernel's SAs in the XFRM store:
 *
 *   kernel SA (ipx_store) --SPI/proto/daddr--> CHILD_SA --> IKE SA
 *                                               |
 *                                               +--(source, connection, child name)--> conn
 *
 * Per connection it keeps counters that never go back: bytes and packets of every kernel
 * SA that was linked to one of its CHILD_SAs, counted from the moment it was linked and
 * kept after the SA is gone (rekeyed, deleted), and the rekeys seen. They live as long as
 * the daemon and survive the connection being unloaded and loaded again.
 *
 * Rows are replaced wholesale from listings (sync_begin, upserts, sync_end sweeps what the
 * listing did not return); events between listings upsert or delete single rows.
 */
#ifndef IPX_IKE_STORE_H
#define IPX_IKE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ipsec_agentx/cert.h"
#include "ipsec_agentx/ike.h"
#include "ipsec_agentx/store.h"

#define IPX_ROW_KEY_MAX     136 /* source + two names of IPX_IKE_NAME_MAX */
#define IPX_IKE_MAX_SOURCES 16  /* VICI sockets */

/* Every row starts with this (store internals but id and source). */
struct ipx_rowhdr {
	uint32_t id;     /* the SNMP index, never reused */
	uint32_t source; /* 1.. */
	uint64_t seen_gen;
	struct ipx_rowhdr *hash_next;
	uint32_t hash;
	uint16_t keylen;
	uint8_t key[IPX_ROW_KEY_MAX];
};

/* Monotonic, per (source, connection, child); the connection's IKE rekeys under child "". */
struct ipx_conn_counters {
	uint64_t octets_in, octets_out, packets_in, packets_out;
	uint64_t ike_rekeys, child_rekeys;
	int64_t last_up, last_down; /* monotonic seconds of the last child up/down seen, 0 none */
};

struct ipx_ike_sa_row {
	struct ipx_rowhdr h;
	struct ipx_ike_sa sa;
	int64_t first_seen; /* monotonic */
};

struct ipx_child_row {
	struct ipx_rowhdr h;
	struct ipx_child_sa sa;
	uint32_t ike_id;    /* ikeSaIndex of its IKE SA, 0 if not (yet) known */
	uint32_t conn_id;   /* ipsecConnIndex of its configuration, 0 if none matches */
	uint32_t sa_in_id;  /* ipsecSaIndex of the inbound kernel SA, 0 if none */
	uint32_t sa_out_id; /* ipsecSaIndex of the outbound kernel SA */
	struct ipx_child_row *spi_next_in, *spi_next_out; /* store internals */
};

struct ipx_conn_row {
	struct ipx_rowhdr h;
	struct ipx_ike_conn conn;
	uint32_t ike_sas;   /* IKE SAs of this connection now listed */
	uint32_t child_sas; /* its CHILD_SAs up (INSTALLED, REKEYING, UPDATING) */
	const struct ipx_conn_counters *ctr;
	const struct ipx_conn_counters *ike_ctr; /* the connection's (child "") */
};

enum ipx_cert_flag {
	IPX_CERT_FLAG_NONE = 0,
	IPX_CERT_FLAG_CA,
	IPX_CERT_FLAG_AA,
	IPX_CERT_FLAG_OCSP
};

struct ipx_cert_row {
	struct ipx_rowhdr h;
	struct ipx_cert_info cert;
	char type[16]; /* VICI's "X509", ... */
	uint8_t flag;  /* enum ipx_cert_flag */
	uint8_t has_privkey;
	char used_by[IPX_IKE_TEXT_MAX]; /* connections naming its subject, ", "-separated */
};

/*
 * One of charon's own IKE counters (its "counters" plugin, VICI get-counters): SCOPE is the
 * connection it counts for, "" for the counters of all of charon; NAME is charon's
 * ("ike-rekey-init", "invalid-spi", ...). charon keeps them from its start (or from the
 * last swanctl --reset-counters) and the agent only copies the last reply: a value may go
 * down. Kept as last listed when the source goes down (like connections).
 */
#define IPX_IKE_COUNTER_NAME_MAX 48
struct ipx_ike_counter_row {
	struct ipx_rowhdr h;
	char scope[IPX_IKE_NAME_MAX];
	char name[IPX_IKE_COUNTER_NAME_MAX];
	uint64_t value;
};

/* Which rows a listing replaces. */
enum ipx_ike_kind { IPX_IKE_KIND_SA, IPX_IKE_KIND_CONN, IPX_IKE_KIND_CERT, IPX_IKE_KIND_COUNTERS };
#define IPX_IKE_KINDS 4

struct ipx_ike_store;

/* XFRM may be NULL (no links, no counters); else the store observes it. */
struct ipx_ike_store *ipx_ike_store_new(struct ipx_store *xfrm);
void ipx_ike_store_free(struct ipx_ike_store *st);

/*
 * Listings. sync_begin starts a listing of KIND from SOURCE; sync_end deletes every row of
 * that kind and source not upserted since, and returns how many. For IPX_IKE_KIND_SA both
 * IKE SAs and CHILD_SAs are swept. Listings of several sources may interleave.
 */
void ipx_ike_sync_begin(struct ipx_ike_store *st, uint32_t source, enum ipx_ike_kind kind);
size_t ipx_ike_sync_end(struct ipx_ike_store *st, uint32_t source, enum ipx_ike_kind kind);
/* A listing that failed half-way: ends it without deleting anything. */
void ipx_ike_sync_abort(struct ipx_ike_store *st, uint32_t source, enum ipx_ike_kind kind);

/* Return 0, -ENOMEM, or -EINVAL (source 0 or above IPX_IKE_MAX_SOURCES). */
int ipx_ike_upsert_sa(struct ipx_ike_store *st, uint32_t source, const struct ipx_ike_sa *sa);
int ipx_ike_upsert_child(struct ipx_ike_store *st, uint32_t source, const struct ipx_child_sa *c);
int ipx_ike_upsert_conn(struct ipx_ike_store *st, uint32_t source, const struct ipx_ike_conn *c);
int ipx_ike_upsert_cert(struct ipx_ike_store *st, uint32_t source, const struct ipx_cert_info *c,
                        const char *type, unsigned int flag, int has_privkey);
/* A charon counter (SCOPE "" for charon's global ones); names longer than the row's
 * fields are cut. 0, -ENOMEM or -EINVAL. */
int ipx_ike_upsert_counter(struct ipx_ike_store *st, uint32_t source, const char *scope,
                           const char *name, uint64_t value);
/* Events: an IKE SA (with its CHILD_SAs) or one CHILD_SA went away. 0 or -ENOENT. */
int ipx_ike_delete_sa(struct ipx_ike_store *st, uint32_t source, uint32_t unique_id);
int ipx_ike_delete_child(struct ipx_ike_store *st, uint32_t source, uint32_t unique_id);
/* A rekey was seen (child NULL: of the IKE SA). */
void ipx_ike_note_rekey(struct ipx_ike_store *st, uint32_t source, const char *conn,
                        const char *child);
/*
 * What charon's log said of an IKE SA's exchange (IKEv1 main or aggressive mode, which no
 * listing tells): kept for the SA, whether it is listed already or not yet.
 */
void ipx_ike_note_exchange(struct ipx_ike_store *st, uint32_t source, uint32_t unique_id,
                           enum ipx_ike_exchange exchange);
/* The source went away: its IKE SAs and CHILD_SAs are deleted (charon's are gone with
 * it); its connections, certificates and charon counters stay, as last listed, until it
 * lists again. */
void ipx_ike_source_down(struct ipx_ike_store *st, uint32_t source);

/* Lookups; by_id and next (smallest id above ID; 0 gives the first) like the XFRM store. */
const struct ipx_ike_sa_row *ipx_ike_sa_by_id(const struct ipx_ike_store *st, uint32_t id);
const struct ipx_ike_sa_row *ipx_ike_sa_next(const struct ipx_ike_store *st, uint32_t id);
const struct ipx_ike_sa_row *ipx_ike_sa_find(const struct ipx_ike_store *st, uint32_t source,
                                             uint32_t unique_id);
const struct ipx_child_row *ipx_child_by_id(const struct ipx_ike_store *st, uint32_t id);
const struct ipx_child_row *ipx_child_next(const struct ipx_ike_store *st, uint32_t id);
const struct ipx_child_row *ipx_child_find(const struct ipx_ike_store *st, uint32_t source,
                                           uint32_t unique_id);
const struct ipx_conn_row *ipx_conn_by_id(const struct ipx_ike_store *st, uint32_t id);
const struct ipx_conn_row *ipx_conn_next(const struct ipx_ike_store *st, uint32_t id);
const struct ipx_conn_row *ipx_conn_find(const struct ipx_ike_store *st, uint32_t source,
                                         const char *name, const char *child);
const struct ipx_cert_row *ipx_cert_by_id(const struct ipx_ike_store *st, uint32_t id);
const struct ipx_cert_row *ipx_cert_next(const struct ipx_ike_store *st, uint32_t id);
const struct ipx_ike_counter_row *ipx_ike_counter_by_id(const struct ipx_ike_store *st,
                                                        uint32_t id);
const struct ipx_ike_counter_row *ipx_ike_counter_next(const struct ipx_ike_store *st, uint32_t id);
const struct ipx_ike_counter_row *ipx_ike_counter_find(const struct ipx_ike_store *st,
                                                       uint32_t source, const char *scope,
                                                       const char *name);
size_t ipx_ike_sa_count(const struct ipx_ike_store *st);
size_t ipx_child_count(const struct ipx_ike_store *st);
size_t ipx_conn_count(const struct ipx_ike_store *st);
size_t ipx_cert_count(const struct ipx_ike_store *st);
size_t ipx_ike_counter_count(const struct ipx_ike_store *st);

/* The CHILD_SA that owns kernel SA SA_ID (an ipsecSaIndex), or NULL. */
const struct ipx_child_row *ipx_ike_sa_owner(const struct ipx_ike_store *st, uint32_t sa_id);
/* The counters of (source, connection, child); child "" for the connection's own. NULL if
 * never seen. */
const struct ipx_conn_counters *ipx_ike_counters(const struct ipx_ike_store *st, uint32_t source,
                                                 const char *conn, const char *child);

#endif
