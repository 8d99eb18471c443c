/*
 * Pure parsers of XFRM netlink messages into the structs of xfrm.h.
 *
 * Every attribute is length-checked before use. Each parser that meets key material
 * (XFRMA_ALG_*) copies name and key length only and wipes the key bytes in the message
 * with OPENSSL_cleanse() before returning, which is why the message is not const.
 * Return 0, or -EBADMSG for a malformed or truncated message (nothing of it is kept).
 */
#ifndef IPX_XFRM_PARSE_H
#define IPX_XFRM_PARSE_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipsec_agentx/xfrm.h"

/* XFRM_MSG_NEWSA / UPDSA and dump replies. */
int ipx_parse_sa(struct nlmsghdr *nlh, struct ipx_sa *out);
/*
 * The same, built in place for callers that drop the SA on error (a dump's rows, events):
 * on -EBADMSG *scratch holds part of an SA (never key bytes), not its earlier value. Saves
 * copying a whole struct ipx_sa per message.
 */
int ipx_parse_sa_scratch(struct nlmsghdr *nlh, struct ipx_sa *scratch);
/* The counters an SA ended with, as XFRM_MSG_DELSA carries them (valid: it did). */
struct ipx_sa_final {
	bool valid;
	uint64_t bytes, packets;
	uint32_t replay_window, replay, integrity_failed;
};
/* XFRM_MSG_DELSA: the SA's identity (mark and if_id from their attributes) and, when FINAL
 * is not NULL, its last counters. */
int ipx_parse_delsa(struct nlmsghdr *nlh, struct ipx_sa_key *key, struct ipx_sa_final *final);
/* XFRM_MSG_EXPIRE: the SA and whether the expiry is hard. */
int ipx_parse_expire(struct nlmsghdr *nlh, struct ipx_sa *out, int *hard);
/* XFRM_MSG_NEWPOLICY / UPDPOLICY and dump replies; XFRM_MSG_POLEXPIRE. */
int ipx_parse_policy(struct nlmsghdr *nlh, struct ipx_policy *out);
/* XFRM_MSG_POLEXPIRE: the policy and whether the expiry is hard (the kernel then deletes it
 * without a DELPOLICY). */
int ipx_parse_polexpire(struct nlmsghdr *nlh, struct ipx_policy *out, int *hard);
/* XFRM_MSG_DELPOLICY. */
int ipx_parse_delpolicy(struct nlmsghdr *nlh, struct ipx_policy_key *key);
/* XFRM_MSG_ACQUIRE: the policy that triggered it. */
int ipx_parse_acquire(struct nlmsghdr *nlh, struct ipx_policy *out);
/* XFRM_MSG_NEWSADINFO / NEWSPDINFO. */
int ipx_parse_sadinfo(struct nlmsghdr *nlh, struct ipx_sad_info *out);
int ipx_parse_spdinfo(struct nlmsghdr *nlh, struct ipx_spd_info *out);

/*
 * Algorithm names, interned: the parsers hand out SAs whose struct ipx_alg names point
 * into one process-wide table of the kernel's names, each kept once, immutable and never
 * freed. The kernel has a small set of them (its crypto API's templates), so the table is
 * capped at IPX_ALG_NAMES_MAX distinct names; a name beyond that, or one that is not
 * printable ASCII (the MIB's DisplayString), reads as IPX_ALG_NAME_OTHER and is counted.
 * Not thread-safe, like the rest of the daemon.
 */
#define IPX_ALG_NAMES_MAX  256
#define IPX_ALG_NAME_OTHER "(other)"
/* The interned copy of name[0..len), len < IPX_ALG_NAME_MAX; NULL when len is 0. */
const char *ipx_alg_intern(const char *name, size_t len);
struct ipx_alg_names_stats {
	size_t distinct;  /* names held (at most IPX_ALG_NAMES_MAX) */
	uint64_t other;   /* names read as IPX_ALG_NAME_OTHER: table full */
	uint64_t invalid; /* names read as IPX_ALG_NAME_OTHER: not printable ASCII */
};
void ipx_alg_names_stats(struct ipx_alg_names_stats *out);

/* /proc/net/xfrm_stat text: every "Name value" line, whatever names the kernel has. */
int ipx_parse_xfrm_stat(const char *text, char (**names)[48], uint64_t **values, size_t *n);

#endif
