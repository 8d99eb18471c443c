/*
 * Plain C view of the kernel's XFRM database (SAD and SPD).
 *
 * These structs are what the collection layer hands to the rest of the program. They are
 * deliberately free of netlink and SNMP types, and never hold key material: an algorithm
 * is its name and its key length only.
 */
#ifndef IPX_XFRM_H
#define IPX_XFRM_H

#include <stdbool.h>
#include <stdint.h>

#define IPX_ALG_NAME_MAX 64 /* the kernel's CRYPTO_MAX_ALG_NAME */
#define IPX_MAX_TMPL     6  /* the kernel's XFRM_MAX_DEPTH */

/* An IPv4 or IPv6 address; family 0 means "not set". Bytes are in network order. */
struct ipx_addr {
	uint8_t family; /* AF_INET, AF_INET6 or 0 */
	uint8_t bytes[16];
};

/* A traffic selector (the kernel's struct xfrm_selector), ports in host order. */
struct ipx_selector {
	struct ipx_addr saddr;
	struct ipx_addr daddr;
	uint8_t prefixlen_s;
	uint8_t prefixlen_d;
	uint8_t proto; /* IP protocol, 0 = any */
	uint16_t sport, sport_mask;
	uint16_t dport, dport_mask;
	int32_t ifindex; /* 0 = any */
	uint32_t user;
};

/* Configured limits; 0 means "no limit" (the kernel's XFRM_INF). */
struct ipx_lifetime {
	uint64_t soft_bytes, hard_bytes;
	uint64_t soft_packets, hard_packets;
	uint64_t soft_add_secs, hard_add_secs;
	uint64_t soft_use_secs, hard_use_secs;
};

/*
 * An algorithm as configured on an SA: never its key. name is NULL when absent (so a
 * zeroed SA has no algorithm), else an interned string (xfrm_parse.h: ipx_alg_intern()),
 * immutable and never freed: SAs copy and compare the pointer, and rows stay small (a
 * name buffer per algorithm was half of struct ipx_sa).
 */
struct ipx_alg {
	const char *name;
	uint32_t key_bits;
	uint32_t icv_bits; /* AEAD ICV or truncated MAC length; 0 when not applicable */
};

/* The name to show: "" when the SA has no such algorithm. */
static inline const char *ipx_alg_name(const struct ipx_alg *a)
{
	return a->name ? a->name : "";
}

enum ipx_sa_dir {
	IPX_DIR_UNKNOWN = 0,
	IPX_DIR_IN = 1,
	IPX_DIR_OUT = 2,
};

enum ipx_sa_mode { /* values of the kernel's XFRM_MODE_* */
	           IPX_MODE_TRANSPORT = 0,
	           IPX_MODE_TUNNEL = 1,
	           IPX_MODE_ROUTEOPTIMIZATION = 2,
	           IPX_MODE_IN_TRIGGER = 3,
	           IPX_MODE_BEET = 4,
};

/*
 * What identifies an SA to the kernel: xfrm_state_lookup() matches daddr, SPI, protocol
 * and family, then the mark, then the if_id. Two SAs may share an SPI with other marks.
 */
struct ipx_sa_key {
	struct ipx_addr daddr;
	uint32_t spi;  /* host order */
	uint8_t proto; /* IPPROTO_ESP, IPPROTO_AH, IPPROTO_COMP */
	uint32_t mark_value, mark_mask;
	uint32_t if_id;
};

struct ipx_sa {
	struct ipx_sa_key key;
	struct ipx_addr saddr;
	uint32_t reqid;
	uint8_t mode;  /* enum ipx_sa_mode */
	uint8_t flags; /* XFRM_STATE_* */
	uint32_t extra_flags;
	struct ipx_selector sel;

	struct ipx_alg enc, auth, aead, comp;

	bool esn;               /* extended sequence numbers */
	uint32_t replay_window; /* in packets, from the ESN state when present */
	uint32_t seq, oseq;     /* highest inbound / last outbound sequence number (low 32 bits) */

	bool has_encap;                                /* NAT-T */
	uint16_t encap_type, encap_sport, encap_dport; /* ports in host order */

	bool has_mark;
	bool has_if_id;
	int32_t offload_ifindex; /* 0 = not offloaded */

	struct ipx_lifetime lft;
	uint64_t cur_bytes, cur_packets;
	uint64_t add_time;  /* seconds since the epoch */
	uint64_t use_time;  /* first use, seconds since the epoch; 0 = never used */
	uint64_t last_used; /* XFRMA_LASTUSED, seconds since the epoch; 0 = unknown */

	uint32_t stat_replay_window; /* packets outside the replay window */
	uint32_t stat_replay;        /* replayed packets */
	uint32_t stat_integrity_failed;

	uint8_t kernel_dir; /* XFRMA_SA_DIR when the kernel sends it, else IPX_DIR_UNKNOWN */
};

enum ipx_policy_dir { /* values of the kernel's XFRM_POLICY_* */
	              IPX_POLICY_IN = 0,
	              IPX_POLICY_OUT = 1,
	              IPX_POLICY_FWD = 2,
};

struct ipx_tmpl {
	struct ipx_addr saddr, daddr;
	uint32_t spi; /* host order, 0 = any */
	uint8_t proto;
	uint8_t mode;
	uint32_t reqid;
	uint8_t share;
	bool optional; /* "level use" */
	uint32_t aalgos, ealgos, calgos;
};

/* The kernel identifies a policy by its index (unique across directions) and type. */
struct ipx_policy_key {
	uint32_t index;
	uint8_t ptype; /* XFRM_POLICY_TYPE_MAIN or _SUB */
};

struct ipx_policy {
	struct ipx_policy_key key;
	uint8_t dir;    /* enum ipx_policy_dir */
	uint8_t action; /* XFRM_POLICY_ALLOW or XFRM_POLICY_BLOCK */
	uint8_t flags;
	uint8_t share;
	uint32_t priority;
	struct ipx_selector sel;
	struct ipx_lifetime lft;
	uint64_t add_time, use_time;
	uint64_t cur_bytes, cur_packets;
	bool has_mark;
	uint32_t mark_value, mark_mask;
	bool has_if_id;
	uint32_t if_id;
	unsigned int n_tmpl;
	struct ipx_tmpl tmpl[IPX_MAX_TMPL];
};

/* XFRM_MSG_GETSADINFO / GETSPDINFO answers. */
struct ipx_sad_info {
	uint32_t sa_count;
	uint32_t hash_size, hash_max;
};

struct ipx_spd_info {
	uint32_t in, out, fwd;                /* main policies per direction */
	uint32_t in_sock, out_sock, fwd_sock; /* per-socket policies */
	uint32_t hash_size, hash_max;
};

/* True when an address is set. */
static inline bool ipx_addr_is_set(const struct ipx_addr *a)
{
	return a->family != 0;
}

#endif
