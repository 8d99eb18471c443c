/*
 * Plain C view of what an IKE daemon (strongSwan's charon, over VICI) knows: IKE SAs, their
 * CHILD_SAs and the configured connections. No VICI or SNMP types here; ike_parse.c fills
 * these from VICI messages, ike_store.h keeps them.
 *
 * Times are absolute, in CLOCK_MONOTONIC seconds (see ipx_ike_now()), computed from the
 * relative seconds charon reports when the message arrived, so that "seconds to rekey"
 * keeps counting down between two listings. 0 means "not reported".
 */
#ifndef IPX_IKE_H
#define IPX_IKE_H

#include <stdint.h>

#include "ipsec_agentx/vici.h"
#include "ipsec_agentx/xfrm.h"

#define IPX_IKE_NAME_MAX  64  /* connection and child names (longer ones are cut) */
#define IPX_IKE_ID_MAX    256 /* identities: "C=CH, O=strongSwan, CN=moon", FQDNs, ... */
#define IPX_IKE_ALG_MAX   32  /* "AES_GCM_16", "HMAC_SHA2_256_128", "CURVE_25519" */
#define IPX_IKE_TS_MAX    256 /* traffic selectors, ", "-separated */
#define IPX_IKE_ADDRS_MAX 256 /* configured address lists, ", "-separated */
#define IPX_IKE_TEXT_MAX  256 /* proposals, certificate subjects, ... */

/* charon's ike_sa_state_t, in its order, plus 0. */
enum ipx_ike_state {
	IPX_IKE_STATE_UNKNOWN = 0,
	IPX_IKE_CREATED = 1,
	IPX_IKE_CONNECTING = 2,
	IPX_IKE_ESTABLISHED = 3,
	IPX_IKE_PASSIVE = 4,
	IPX_IKE_REKEYING = 5,
	IPX_IKE_REKEYED = 6,
	IPX_IKE_DELETING = 7,
	IPX_IKE_DESTROYING = 8,
};

/* charon's child_sa_state_t, in its order, plus 0. */
enum ipx_child_state {
	IPX_CHILD_STATE_UNKNOWN = 0,
	IPX_CHILD_CREATED = 1,
	IPX_CHILD_ROUTED = 2,
	IPX_CHILD_INSTALLING = 3,
	IPX_CHILD_INSTALLED = 4,
	IPX_CHILD_UPDATING = 5,
	IPX_CHILD_REKEYING = 6,
	IPX_CHILD_REKEYED = 7,
	IPX_CHILD_RETRYING = 8,
	IPX_CHILD_DELETING = 9,
	IPX_CHILD_DELETED = 10,
	IPX_CHILD_DESTROYING = 11,
};

/* The nearest state a Cisco router's `show crypto isakmp sa` would print (ike_parse.c). */
enum ipx_cisco_state {
	IPX_CISCO_UNKNOWN = 0,
	IPX_CISCO_MM_NO_STATE = 1,
	IPX_CISCO_MM_SA_SETUP = 2,
	IPX_CISCO_MM_KEY_EXCH = 3,
	IPX_CISCO_MM_KEY_AUTH = 4,
	IPX_CISCO_AG_NO_STATE = 5,
	IPX_CISCO_AG_INIT_EXCH = 6,
	IPX_CISCO_AG_AUTH = 7,
	IPX_CISCO_QM_IDLE = 8,
};

/* How the IKE SA was (or is being) negotiated. */
enum ipx_ike_exchange {
	IPX_IKE_EXCHANGE_UNKNOWN = 0,
	IPX_IKE_EXCHANGE_IKEV2 = 1,
	IPX_IKE_EXCHANGE_MAIN = 2,       /* IKEv1 main mode */
	IPX_IKE_EXCHANGE_AGGRESSIVE = 3, /* IKEv1 aggressive mode */
	IPX_IKE_EXCHANGE_IKEV1 = 4,      /* IKEv1, mode not (yet) known */
};

enum ipx_child_mode { /* charon's ipsec_mode_t names */
	              IPX_CHILD_MODE_UNKNOWN = 0,
	              IPX_CHILD_MODE_TRANSPORT = 1,
	              IPX_CHILD_MODE_TUNNEL = 2,
	              IPX_CHILD_MODE_BEET = 3,
	              IPX_CHILD_MODE_PASS = 4,
	              IPX_CHILD_MODE_DROP = 5,
};

enum ipx_child_proto {
	IPX_CHILD_PROTO_UNKNOWN = 0,
	IPX_CHILD_PROTO_ESP = 1,
	IPX_CHILD_PROTO_AH = 2,
};

struct ipx_ike_sa {
	uint32_t unique_id; /* charon's uniqueid, unique per charon instance */
	char name[IPX_IKE_NAME_MAX];
	uint8_t version;  /* 1 or 2, 0 unknown */
	uint8_t exchange; /* enum ipx_ike_exchange */
	uint8_t state;    /* enum ipx_ike_state */
	uint8_t initiator;
	struct ipx_addr local, remote;
	uint16_t local_port, remote_port;
	char local_id[IPX_IKE_ID_MAX], remote_id[IPX_IKE_ID_MAX];
	uint64_t spi_i, spi_r; /* as charon prints them: the 8 bytes in network order */
	char encr_alg[IPX_IKE_ALG_MAX], integ_alg[IPX_IKE_ALG_MAX], prf_alg[IPX_IKE_ALG_MAX],
	    dh_group[IPX_IKE_ALG_MAX];
	uint16_t encr_keysize, integ_keysize;
	uint8_t nat_local, nat_remote, nat_fake, nat_any;
	int64_t established_at, rekey_at, reauth_at; /* monotonic seconds, 0 unknown */
	uint32_t child_count;                        /* CHILD_SAs listed under it */
	char tasks_active[IPX_IKE_TEXT_MAX];         /* "IKE_AUTH, ..." while negotiating */
};

struct ipx_child_sa {
	uint32_t unique_id;     /* charon's CHILD_SA uniqueid */
	uint32_t ike_unique_id; /* its IKE SA */
	char name[IPX_IKE_NAME_MAX];
	uint8_t state;    /* enum ipx_child_state */
	uint8_t mode;     /* enum ipx_child_mode */
	uint8_t protocol; /* enum ipx_child_proto */
	uint8_t encap;    /* UDP-encapsulated (NAT-T) */
	uint8_t esn;
	uint32_t spi_in, spi_out; /* host order */
	uint16_t cpi_in, cpi_out; /* IPComp, 0 = none */
	uint32_t reqid;
	uint32_t mark_in, mark_mask_in, mark_out, mark_mask_out;
	uint32_t if_id_in, if_id_out;
	char encr_alg[IPX_IKE_ALG_MAX], integ_alg[IPX_IKE_ALG_MAX], dh_group[IPX_IKE_ALG_MAX];
	uint16_t encr_keysize, integ_keysize;
	uint64_t bytes_in, packets_in, bytes_out, packets_out; /* charon's view of the kernel */
	int64_t installed_at, rekey_at, expire_at;             /* monotonic seconds */
	char local_ts[IPX_IKE_TS_MAX], remote_ts[IPX_IKE_TS_MAX];
};

/* One configured connection x one of its children (a "crypto map entry"). */
struct ipx_ike_conn {
	char name[IPX_IKE_NAME_MAX];
	char child[IPX_IKE_NAME_MAX];
	uint8_t version; /* 0 = any, 1, 2 */
	char local_addrs[IPX_IKE_ADDRS_MAX], remote_addrs[IPX_IKE_ADDRS_MAX];
	uint8_t dynamic;                  /* remote_addrs is %any (or empty): a "dynamic map" */
	uint32_t rekey_time, reauth_time; /* IKE SA, seconds, 0 = off */
	char local_auth[IPX_IKE_ALG_MAX], remote_auth[IPX_IKE_ALG_MAX]; /* "pre-shared key", ... */
	char local_id[IPX_IKE_ID_MAX], remote_id[IPX_IKE_ID_MAX];
	char local_certs[IPX_IKE_TEXT_MAX],
	    remote_certs[IPX_IKE_TEXT_MAX];         /* subjects, "; "-sep. */
	uint8_t mode;                               /* enum ipx_child_mode */
	uint32_t child_rekey_time, child_life_time; /* seconds, 0 = not reported */
	uint64_t rekey_bytes, rekey_packets;
	char dpd_action[IPX_IKE_ALG_MAX], close_action[IPX_IKE_ALG_MAX],
	    start_action[IPX_IKE_ALG_MAX];
	/* charon 5.9 does not list proposals; empty when it does not. */
	char proposals[IPX_IKE_TEXT_MAX], esp_proposals[IPX_IKE_TEXT_MAX],
	    ah_proposals[IPX_IKE_TEXT_MAX];
	char local_ts[IPX_IKE_TS_MAX], remote_ts[IPX_IKE_TS_MAX];
};

/* CLOCK_MONOTONIC seconds. */
int64_t ipx_ike_now(void);

/*
 * Parsers of VICI sections (ike_parse.c). NOW is ipx_ike_now() when the message arrived.
 * Missing keys leave their fields 0/"" (charon omits keys rather than sending them empty).
 * Return 0, or -EBADMSG when a key that identifies the row (uniqueid, name) is missing or
 * malformed.
 */
/* An IKE SA section of a list-sa / ike-updown / ike-rekey event (the section named after
 * the connection). Its child-sas are not read: see ipx_ike_parse_child(). */
int ipx_ike_parse_sa(const struct ipx_vici_node *ike, int64_t now, struct ipx_ike_sa *out);
/* One section of an IKE SA's "child-sas" (named "<name>-<uniqueid>" in list-sa, "<name>"
 * in child-rekey). */
int ipx_ike_parse_child(const struct ipx_vici_node *child, uint32_t ike_unique_id, int64_t now,
                        struct ipx_child_sa *out);
/*
 * A list-conn event's connection section: one ipx_ike_conn per child, stored in out[] (at
 * most max). Returns how many, or -EBADMSG. A connection without children gives one entry
 * with an empty child name.
 */
int ipx_ike_parse_conn(const struct ipx_vici_node *conn, struct ipx_ike_conn *out, int max);

/* The Cisco-style state (the mapping is documented in the MIB and README). */
enum ipx_cisco_state ipx_ike_cisco_state(const struct ipx_ike_sa *sa);
const char *ipx_ike_state_name(unsigned int state);   /* "ESTABLISHED", ... "UNKNOWN" */
const char *ipx_child_state_name(unsigned int state); /* "INSTALLED", ... */
const char *ipx_cisco_state_name(unsigned int state); /* "QM_IDLE", ... */

#endif
