/*
 * XFRM netlink messages into the plain structs of xfrm.h; see include/ipsec_agentx/xfrm_parse.h.
 *
 * Rules every parser here follows:
 *  - nlmsg_len must cover the fixed header of the message type, be 4-aligned, and the
 *    attributes after it must tile the rest of the message exactly (the walk fails at the
 *    first attribute that does not fit).
 *  - every attribute is length-checked against the struct it holds before it is read, and
 *    read through memcpy() into a local: netlink only aligns to 4 bytes, the structs hold
 *    64-bit fields.
 *  - key material is never copied: an algorithm attribute yields its name and key length,
 *    then its key bytes are wiped in the message. A message that fails to parse has all of
 *    its attributes wiped, since a broken walk may hide key bytes where we cannot find them.
 *  - the output is written only when the whole message parsed.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/xfrm.h>
#include <openssl/crypto.h>

#include "ipsec_agentx/xfrm_parse.h"

/*
 * Attribute types newer than Debian 12's linux/xfrm.h. The kernel declares XFRMA_* in an
 * enum, so #ifndef cannot see a newer header's value; defining the macro after the header
 * is harmless either way because the number is part of the kernel ABI.
 */
#ifndef XFRMA_SA_DIR
#define XFRMA_SA_DIR 33 /* __u8, XFRM_SA_DIR_IN or _OUT (Linux 6.10) */
#endif
#ifndef XFRM_SA_DIR_IN
#define XFRM_SA_DIR_IN  1
#define XFRM_SA_DIR_OUT 2
#endif

#define ATTR_MAX XFRMA_SA_DIR /* highest attribute type we look at; later ones are skipped */

/* xfrm_user.c caps replay bitmaps at XFRMA_REPLAY_ESN_MAX bits of __u32 words. */
#define ESN_BMP_MAX (XFRMA_REPLAY_ESN_MAX / sizeof(uint32_t) / 8)

/* take_alg() reads the second length of both at one offset. */
_Static_assert(offsetof(struct xfrm_algo_auth, alg_trunc_len) ==
                   offsetof(struct xfrm_algo_aead, alg_icv_len),
               "xfrm_algo_auth and xfrm_algo_aead differ");

/* ---- attribute walk ------------------------------------------------------------------- */

/* Exact payload size of fixed-size attributes; 0 = variable, checked by its own reader. */
static const uint16_t attr_size[ATTR_MAX + 1] = {
    [XFRMA_ENCAP] = sizeof(struct xfrm_encap_tmpl),
    [XFRMA_SA] = sizeof(struct xfrm_usersa_info),
    [XFRMA_POLICY] = sizeof(struct xfrm_userpolicy_info),
    [XFRMA_REPLAY_VAL] = sizeof(struct xfrm_replay_state),
    [XFRMA_LASTUSED] = sizeof(uint64_t),
    [XFRMA_POLICY_TYPE] = sizeof(struct xfrm_userpolicy_type),
    [XFRMA_MARK] = sizeof(struct xfrm_mark),
    [XFRMA_SA_EXTRA_FLAGS] = sizeof(uint32_t),
    [XFRMA_OFFLOAD_DEV] = sizeof(struct xfrm_user_offload),
    [XFRMA_IF_ID] = sizeof(uint32_t),
    [XFRMA_SA_DIR] = sizeof(uint8_t),
};

_Static_assert(ATTR_MAX < 64, "the walk's present mask has 64 bits");

/*
 * The last attribute of each type we know. tb[t] is valid only where bit t of present is
 * set: clearing one word per message instead of the whole table.
 */
struct walk {
	const struct nlattr *tb[ATTR_MAX + 1];
	uint64_t present;
	struct ipx_sa *sa; /* receives algorithm names; NULL when the message is no SA */
};

/* Inline attribute accessors: the walk runs for every SA of a dump, and libmnl's are calls. */
static const void *attr_payload(const struct nlattr *attr)
{
	return (const char *)attr + NLA_HDRLEN;
}

static uint16_t attr_payload_len(const struct nlattr *attr)
{
	return (uint16_t)(attr->nla_len - NLA_HDRLEN);
}

static uint32_t attr_u32(const struct nlattr *attr)
{
	uint32_t v;

	memcpy(&v, attr_payload(attr), sizeof(v));
	return v;
}

static uint64_t attr_u64(const struct nlattr *attr)
{
	uint64_t v;

	memcpy(&v, attr_payload(attr), sizeof(v));
	return v;
}

static const struct nlattr *attr_of(const struct walk *w, unsigned int type)
{
	return (w->present >> type) & 1 ? w->tb[type] : NULL;
}

/* Attributes are handed around as const; the message itself is ours to wipe (see header). */
static void wipe_from(const struct nlattr *attr, size_t off)
{
	size_t len = attr_payload_len(attr);

	if (off < len)
		OPENSSL_cleanse((char *)attr_payload(attr) + off, len - off);
}

/* Bytes needed for alg_key_len bits; 64-bit so that ~0 bits cannot wrap. */
static uint64_t key_bytes(uint32_t bits)
{
	return ((uint64_t)bits + 7) / 8;
}

/* ---- algorithm names ------------------------------------------------------------------ */

/*
 * The intern table (xfrm_parse.h). Open addressing on a hash of the name, with twice as
 * many slots as names so that probes stay short and always end at an empty slot; a slot
 * holds 1 + the name's index, 0 = empty. The names live in static storage: nothing to
 * free, and every pointer handed out stays valid for the life of the process.
 *
 * A lookup runs for every SA of a dump, so it reads words: the hash takes the first and
 * the last 8 bytes of the name (with its length), a comparison whole words and then the
 * last 8 bytes, overlapping. Only names alike in length, start and end hash alike.
 */
#define NAME_SLOTS (2 * IPX_ALG_NAMES_MAX)
#define WORD       sizeof(uint64_t)

static struct {
	char pool[IPX_ALG_NAMES_MAX][IPX_ALG_NAME_MAX];
	uint8_t len[IPX_ALG_NAMES_MAX];
	uint16_t slot[NAME_SLOTS];
	size_t n;
	uint64_t other, invalid;
} alg_names;

static uint64_t load_word(const char *p)
{
	uint64_t w;

	memcpy(&w, p, WORD);
	return w;
}

/* The first n bytes of a word as it lies in memory, the rest zero (0 < n < 8). */
static uint64_t word_head(uint64_t w, size_t n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return w & (~0ULL >> (64 - 8 * n));
#else
	return w & (~0ULL << (64 - 8 * n));
#endif
}

/* field holds IPX_ALG_NAME_MAX readable bytes (a whole alg_name), the name its first len. */
static uint64_t name_hash(const char *field, size_t len)
{
	uint64_t h, last;

	if (len < WORD) {
		h = word_head(load_word(field), len);
		last = 0;
	} else {
		h = load_word(field);
		last = load_word(field + len - WORD);
	}
	h = (h ^ len) * 0xbf58476d1ce4e5b9ULL; /* splitmix64's multiply-xorshift */
	h = (h ^ (h >> 31) ^ last) * 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

static int same_name(const char *a, const char *b, size_t len)
{
	size_t i;

	if (len < WORD)
		return memcmp(a, b, len) == 0;
	for (i = 0; i + WORD < len; i += WORD)
		if (load_word(a + i) != load_word(b + i))
			return 0;
	return load_word(a + len - WORD) == load_word(b + len - WORD);
}

/* What a DisplayString may hold. */
static int is_printable(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
			return 0;
	return 1;
}

/* A name not in the table, whose probe ended at empty slot at. Checked only here: a name
 * found in the table was checked when it was added. */
static const char *intern_add(const char *name, size_t len, size_t at)
{
	char *copy;

	if (!is_printable(name, len)) {
		alg_names.invalid++;
		return IPX_ALG_NAME_OTHER;
	}
	if (alg_names.n == IPX_ALG_NAMES_MAX) {
		alg_names.other++;
		return IPX_ALG_NAME_OTHER;
	}
	copy = alg_names.pool[alg_names.n];
	memcpy(copy, name, len);
	copy[len] = '\0';
	alg_names.len[alg_names.n] = (uint8_t)len;
	alg_names.slot[at] = (uint16_t)(alg_names.n + 1);
	alg_names.n++;
	return copy;
}

/* ipx_alg_intern() of the first len bytes of a whole alg_name field (0 < len < 64). */
static const char *intern_field(const char *field, size_t len)
{
	size_t at = name_hash(field, len) & (NAME_SLOTS - 1);

	for (; alg_names.slot[at]; at = (at + 1) & (NAME_SLOTS - 1)) {
		size_t i = alg_names.slot[at] - 1u;
		if (alg_names.len[i] == len && same_name(alg_names.pool[i], field, len))
			return alg_names.pool[i];
	}
	return intern_add(field, len, at);
}

const char *ipx_alg_intern(const char *name, size_t len)
{
	char field[IPX_ALG_NAME_MAX] = {0};

	if (len == 0)
		return NULL;
	if (len >= IPX_ALG_NAME_MAX) {
		alg_names.invalid++;
		return IPX_ALG_NAME_OTHER;
	}
	memcpy(field, name, len);
	return intern_field(field, len);
}

void ipx_alg_names_stats(struct ipx_alg_names_stats *out)
{
	out->distinct = alg_names.n;
	out->other = alg_names.other;
	out->invalid = alg_names.invalid;
}

/* ---- algorithm attributes ------------------------------------------------------------- */

/* The name's length, or -EBADMSG: the kernel always terminates it. */
static int alg_name_len(const char *name)
{
	size_t n = strnlen(name, IPX_ALG_NAME_MAX);

	return n == IPX_ALG_NAME_MAX ? -EBADMSG : (int)n;
}

/*
 * XFRMA_ALG_AUTH / CRYPT / COMP (struct xfrm_algo), XFRMA_ALG_AUTH_TRUNC (xfrm_algo_auth)
 * and XFRMA_ALG_AEAD (xfrm_algo_aead): all three start with name and key length; the two
 * longer ones add a second length (truncation, ICV) before the key. Written straight into
 * out (NULL: checked and wiped only), which is part of an SA being built: on error the
 * whole SA is dropped.
 */
static int take_alg(const struct nlattr *attr, struct ipx_alg *out, size_t hdr, int has_len2)
{
	const char *p = attr_payload(attr);
	size_t len = attr_payload_len(attr);
	uint32_t bits, len2 = 0;
	int rc = -EBADMSG, n;

	if (len < hdr)
		goto out;
	memcpy(&bits, p + offsetof(struct xfrm_algo, alg_key_len), sizeof(bits));
	if (has_len2)
		memcpy(&len2, p + offsetof(struct xfrm_algo_auth, alg_trunc_len), sizeof(len2));
	if (key_bytes(bits) > len - hdr)
		goto out;
	n = alg_name_len(p);
	if (n < 0)
		goto out;
	if (out) {
		/* Reads within the 64-byte name only: the key starts after the lengths (hdr). */
		out->name = n ? intern_field(p, (size_t)n) : NULL;
		out->key_bits = bits;
		out->icv_bits = len2;
	}
	rc = 0;
out:
	/* Key and padding go whatever happened; the name and lengths stay readable. */
	wipe_from(attr, hdr < len ? hdr : len);
	return rc;
}

static int walk_alg(const struct nlattr *attr, uint16_t type, struct ipx_sa *sa)
{
	switch (type) {
	case XFRMA_ALG_CRYPT:
		return take_alg(attr, sa ? &sa->enc : NULL, sizeof(struct xfrm_algo), 0);
	case XFRMA_ALG_COMP:
		return take_alg(attr, sa ? &sa->comp : NULL, sizeof(struct xfrm_algo), 0);
	case XFRMA_ALG_AEAD:
		return take_alg(attr, sa ? &sa->aead : NULL, sizeof(struct xfrm_algo_aead), 1);
	case XFRMA_ALG_AUTH_TRUNC:
		return take_alg(attr, sa ? &sa->auth : NULL, sizeof(struct xfrm_algo_auth), 1);
	case XFRMA_ALG_AUTH:
		/* The kernel sends AUTH beside AUTH_TRUNC; the latter has the MAC length. */
		return take_alg(attr, sa && !sa->auth.name ? &sa->auth : NULL,
		                sizeof(struct xfrm_algo), 0);
	}
	return 0;
}

/* One attribute that fits in the message: checked, its keys wiped, remembered by type. */
static int take_attr(const struct nlattr *attr, struct walk *w)
{
	uint16_t type = attr->nla_type & NLA_TYPE_MASK;
	uint16_t len = attr_payload_len(attr);
	int rc = 0;

	switch (type) {
	case XFRMA_ALG_CRYPT:
	case XFRMA_ALG_COMP:
	case XFRMA_ALG_AEAD:
	case XFRMA_ALG_AUTH_TRUNC:
	case XFRMA_ALG_AUTH:
		/* Wiped here, wherever they appear: DELSA events carry keys too. */
		rc = walk_alg(attr, type, w->sa);
		break;
	default:
		if (type > ATTR_MAX)
			break; /* newer than us: skip */
		if (attr_size[type] && len != attr_size[type])
			rc = -EBADMSG;
		break;
	}
	if (rc < 0)
		return rc;
	if (type <= ATTR_MAX) {
		w->tb[type] = attr;
		w->present |= (uint64_t)1 << type;
	}
	return 0;
}

/* Wipe every attribute byte of a message we reject. */
static void wipe_attrs(struct nlmsghdr *nlh, size_t hdrlen)
{
	size_t off = NLMSG_HDRLEN + MNL_ALIGN(hdrlen);

	if (off < nlh->nlmsg_len)
		OPENSSL_cleanse((char *)nlh + off, nlh->nlmsg_len - off);
}

/*
 * nlmsg_len covers nlmsghdr + the fixed header and ends on the netlink alignment. A message
 * off the alignment is rejected before its walk, so its attributes are wiped here.
 */
static int check_len(struct nlmsghdr *nlh, size_t hdrlen)
{
	if (nlh->nlmsg_len < NLMSG_HDRLEN + MNL_ALIGN(hdrlen))
		return -EBADMSG; /* no room for attributes, hence for keys */
	if (nlh->nlmsg_len % MNL_ALIGNTO) {
		wipe_attrs(nlh, hdrlen);
		return -EBADMSG;
	}
	return 0;
}

/*
 * Walk the attributes after a fixed header of hdrlen bytes. They must tile the message to
 * its end: a walk that stopped early met a truncated or malformed attribute.
 */
static int walk_attrs(struct nlmsghdr *nlh, size_t hdrlen, struct walk *w)
{
	char *p = (char *)nlh + NLMSG_HDRLEN + MNL_ALIGN(hdrlen);
	const char *tail = (const char *)nlh + nlh->nlmsg_len;

	/* check_len() made both ends 4-aligned: an attribute that fits, fits padded. */
	while (p != tail) {
		const struct nlattr *attr = (const struct nlattr *)p;
		size_t room = (size_t)(tail - p);
		if (room < NLA_HDRLEN || attr->nla_len < NLA_HDRLEN || attr->nla_len > room ||
		    take_attr(attr, w) < 0) {
			wipe_attrs(nlh, hdrlen);
			return -EBADMSG;
		}
		p += MNL_ALIGN(attr->nla_len);
	}
	return 0;
}

/* ---- field conversions ---------------------------------------------------------------- */

static int conv_addr(struct ipx_addr *out, const xfrm_address_t *a, uint16_t family)
{
	memset(out, 0, sizeof(*out));
	switch (family) {
	case AF_INET:
		out->family = AF_INET;
		memcpy(out->bytes, &a->a4, 4);
		return 0;
	case AF_INET6:
		out->family = AF_INET6;
		memcpy(out->bytes, &a->a6, 16);
		return 0;
	case AF_UNSPEC: return 0;
	}
	return -EBADMSG;
}

/* A selector's family may be AF_UNSPEC on SAs: ip then shows it in the SA's family. */
static int conv_sel(struct ipx_selector *out, const struct xfrm_selector *s, uint16_t fallback)
{
	uint16_t family = s->family ? s->family : fallback;

	memset(out, 0, sizeof(*out));
	if (conv_addr(&out->saddr, &s->saddr, family) < 0 ||
	    conv_addr(&out->daddr, &s->daddr, family) < 0)
		return -EBADMSG;
	out->prefixlen_s = s->prefixlen_s;
	out->prefixlen_d = s->prefixlen_d;
	out->proto = s->proto;
	out->sport = ntohs(s->sport);
	out->sport_mask = ntohs(s->sport_mask);
	out->dport = ntohs(s->dport);
	out->dport_mask = ntohs(s->dport_mask);
	out->ifindex = s->ifindex;
	out->user = s->user;
	return 0;
}

static uint64_t conv_limit(uint64_t v)
{
	return v == XFRM_INF ? 0 : v;
}

static void conv_lft(struct ipx_lifetime *out, const struct xfrm_lifetime_cfg *l)
{
	out->soft_bytes = conv_limit(l->soft_byte_limit);
	out->hard_bytes = conv_limit(l->hard_byte_limit);
	out->soft_packets = conv_limit(l->soft_packet_limit);
	out->hard_packets = conv_limit(l->hard_packet_limit);
	out->soft_add_secs = conv_limit(l->soft_add_expires_seconds);
	out->hard_add_secs = conv_limit(l->hard_add_expires_seconds);
	out->soft_use_secs = conv_limit(l->soft_use_expires_seconds);
	out->hard_use_secs = conv_limit(l->hard_use_expires_seconds);
}

static int conv_usersa(struct ipx_sa *sa, const struct xfrm_usersa_info *p)
{
	if (p->family != AF_INET && p->family != AF_INET6)
		return -EBADMSG;
	if (conv_addr(&sa->key.daddr, &p->id.daddr, p->family) < 0 ||
	    conv_addr(&sa->saddr, &p->saddr, p->family) < 0 ||
	    conv_sel(&sa->sel, &p->sel, p->family) < 0)
		return -EBADMSG;
	sa->key.spi = ntohl(p->id.spi);
	sa->key.proto = p->id.proto;
	sa->reqid = p->reqid;
	sa->mode = p->mode;
	sa->flags = p->flags;
	sa->esn = (p->flags & XFRM_STATE_ESN) != 0;
	sa->replay_window = p->replay_window;
	conv_lft(&sa->lft, &p->lft);
	sa->cur_bytes = p->curlft.bytes;
	sa->cur_packets = p->curlft.packets;
	sa->add_time = p->curlft.add_time;
	sa->use_time = p->curlft.use_time;
	sa->stat_replay_window = p->stats.replay_window;
	sa->stat_replay = p->stats.replay;
	sa->stat_integrity_failed = p->stats.integrity_failed;
	return 0;
}

/* Attributes are read through a copy: they are only 4-byte aligned. */
#define ATTR_COPY(dst, attr) memcpy(&(dst), attr_payload(attr), sizeof(dst))

static int take_esn(struct ipx_sa *sa, const struct nlattr *attr)
{
	struct xfrm_replay_state_esn esn;
	size_t len = attr_payload_len(attr);

	if (len < sizeof(esn))
		return -EBADMSG;
	ATTR_COPY(esn, attr);
	if (esn.bmp_len > ESN_BMP_MAX ||
	    len < sizeof(esn) + (size_t)esn.bmp_len * sizeof(esn.bmp[0]))
		return -EBADMSG;
	sa->replay_window = esn.replay_window;
	sa->seq = esn.seq;
	sa->oseq = esn.oseq;
	return 0;
}

/* Values a later kernel may add read as unknown: the store then derives the direction. */
static uint8_t conv_sa_dir(uint8_t d)
{
	switch (d) {
	case XFRM_SA_DIR_IN: return IPX_DIR_IN;
	case XFRM_SA_DIR_OUT: return IPX_DIR_OUT;
	}
	return IPX_DIR_UNKNOWN;
}

/* Everything an SA message may carry besides its fixed header. */
static int take_sa_attrs(struct ipx_sa *sa, const struct walk *w)
{
	const struct nlattr *a;

	if ((a = attr_of(w, XFRMA_REPLAY_ESN_VAL))) {
		if (take_esn(sa, a) < 0)
			return -EBADMSG;
	} else if ((a = attr_of(w, XFRMA_REPLAY_VAL))) {
		struct xfrm_replay_state r;
		ATTR_COPY(r, a);
		sa->seq = r.seq;
		sa->oseq = r.oseq;
	}
	if ((a = attr_of(w, XFRMA_ENCAP))) {
		struct xfrm_encap_tmpl e;
		ATTR_COPY(e, a);
		sa->has_encap = true;
		sa->encap_type = e.encap_type;
		sa->encap_sport = ntohs(e.encap_sport);
		sa->encap_dport = ntohs(e.encap_dport);
	}
	if ((a = attr_of(w, XFRMA_MARK))) {
		struct xfrm_mark m;
		ATTR_COPY(m, a);
		sa->has_mark = true;
		sa->key.mark_value = m.v;
		sa->key.mark_mask = m.m;
	}
	if ((a = attr_of(w, XFRMA_IF_ID))) {
		sa->has_if_id = true;
		sa->key.if_id = attr_u32(a);
	}
	if ((a = attr_of(w, XFRMA_LASTUSED)))
		sa->last_used = attr_u64(a);
	if ((a = attr_of(w, XFRMA_SA_EXTRA_FLAGS)))
		sa->extra_flags = attr_u32(a);
	if ((a = attr_of(w, XFRMA_OFFLOAD_DEV))) {
		struct xfrm_user_offload o;
		ATTR_COPY(o, a);
		sa->offload_ifindex = o.ifindex;
	}
	if ((a = attr_of(w, XFRMA_SA_DIR)))
		sa->kernel_dir = conv_sa_dir(*(const uint8_t *)attr_payload(a));
	return 0;
}

static int conv_tmpl(struct ipx_tmpl *out, const struct xfrm_user_tmpl *t)
{
	memset(out, 0, sizeof(*out));
	if (conv_addr(&out->saddr, &t->saddr, t->family) < 0 ||
	    conv_addr(&out->daddr, &t->id.daddr, t->family) < 0)
		return -EBADMSG;
	out->spi = ntohl(t->id.spi);
	out->proto = t->id.proto;
	out->mode = t->mode;
	out->reqid = t->reqid;
	out->share = t->share;
	out->optional = t->optional != 0;
	out->aalgos = t->aalgos;
	out->ealgos = t->ealgos;
	out->calgos = t->calgos;
	return 0;
}

static int take_policy_attrs(struct ipx_policy *pol, const struct walk *w)
{
	const struct nlattr *a;

	if ((a = attr_of(w, XFRMA_TMPL))) {
		const char *p = attr_payload(a);
		size_t len = attr_payload_len(a);
		size_t n = len / sizeof(struct xfrm_user_tmpl);

		if (len % sizeof(struct xfrm_user_tmpl) || n > IPX_MAX_TMPL)
			return -EBADMSG;
		for (size_t i = 0; i < n; i++) {
			struct xfrm_user_tmpl t;
			memcpy(&t, p + i * sizeof(t), sizeof(t));
			if (conv_tmpl(&pol->tmpl[i], &t) < 0)
				return -EBADMSG;
		}
		pol->n_tmpl = (unsigned int)n;
	}
	if ((a = attr_of(w, XFRMA_POLICY_TYPE))) {
		struct xfrm_userpolicy_type t;
		ATTR_COPY(t, a);
		pol->key.ptype = t.type;
	}
	if ((a = attr_of(w, XFRMA_MARK))) {
		struct xfrm_mark m;
		ATTR_COPY(m, a);
		pol->has_mark = true;
		pol->mark_value = m.v;
		pol->mark_mask = m.m;
	}
	if ((a = attr_of(w, XFRMA_IF_ID))) {
		pol->has_if_id = true;
		pol->if_id = attr_u32(a);
	}
	return 0;
}

static int conv_userpolicy(struct ipx_policy *pol, const struct xfrm_userpolicy_info *p)
{
	if (conv_sel(&pol->sel, &p->sel, AF_UNSPEC) < 0)
		return -EBADMSG;
	pol->key.index = p->index;
	pol->key.ptype = XFRM_POLICY_TYPE_MAIN; /* unless XFRMA_POLICY_TYPE says otherwise */
	pol->dir = p->dir;
	pol->action = p->action;
	pol->flags = p->flags;
	pol->share = p->share;
	pol->priority = p->priority;
	conv_lft(&pol->lft, &p->lft);
	pol->cur_bytes = p->curlft.bytes;
	pol->cur_packets = p->curlft.packets;
	pol->add_time = p->curlft.add_time;
	pol->use_time = p->curlft.use_time;
	return 0;
}

/* The fixed header, copied out of the message after its length was checked. */
static void *copy_hdr(void *dst, const struct nlmsghdr *nlh, size_t len)
{
	return memcpy(dst, mnl_nlmsg_get_payload(nlh), len);
}

/* ---- SAs ------------------------------------------------------------------------------ */

/*
 * Shared by NEWSA/UPDSA and EXPIRE: a usersa_info at the start of a hdrlen-byte header.
 * Writes into sa as it goes, so that a dump's SAs are built in place: on error sa holds
 * part of an SA (names and numbers, never key bytes) and the callers that promise an
 * untouched output parse into a local.
 */
static int parse_sa_common(struct nlmsghdr *nlh, size_t hdrlen, struct ipx_sa *sa)
{
	struct walk w;
	struct xfrm_usersa_info p;
	int rc;

	rc = check_len(nlh, hdrlen);
	if (rc < 0)
		goto out;
	memset(sa, 0, sizeof(*sa));
	w.present = 0;
	w.sa = sa;
	rc = walk_attrs(nlh, hdrlen, &w);
	if (rc < 0)
		goto out;
	copy_hdr(&p, nlh, sizeof(p));
	rc = conv_usersa(sa, &p);
	if (rc < 0)
		goto out;
	rc = take_sa_attrs(sa, &w);
out:
	return rc;
}

int ipx_parse_sa_scratch(struct nlmsghdr *nlh, struct ipx_sa *scratch)
{
	if (nlh->nlmsg_type != XFRM_MSG_NEWSA && nlh->nlmsg_type != XFRM_MSG_UPDSA)
		return -EBADMSG;
	return parse_sa_common(nlh, sizeof(struct xfrm_usersa_info), scratch);
}

int ipx_parse_sa(struct nlmsghdr *nlh, struct ipx_sa *out)
{
	struct ipx_sa sa;
	int rc = ipx_parse_sa_scratch(nlh, &sa);

	if (rc == 0)
		*out = sa;
	return rc;
}

int ipx_parse_expire(struct nlmsghdr *nlh, struct ipx_sa *out, int *hard)
{
	struct xfrm_user_expire ue;
	struct ipx_sa sa;
	int rc;

	if (nlh->nlmsg_type != XFRM_MSG_EXPIRE)
		return -EBADMSG;
	rc = parse_sa_common(nlh, sizeof(ue), &sa);
	if (rc == 0) {
		*out = sa;
		copy_hdr(&ue, nlh, sizeof(ue));
		*hard = ue.hard != 0;
	}
	return rc;
}

static void take_final(struct ipx_sa_final *f, const struct walk *w)
{
	struct xfrm_usersa_info info;

	memset(f, 0, sizeof(*f));
	if (!attr_of(w, XFRMA_SA))
		return;
	ATTR_COPY(info, attr_of(w, XFRMA_SA));
	f->valid = true;
	f->bytes = info.curlft.bytes;
	f->packets = info.curlft.packets;
	f->replay_window = info.stats.replay_window;
	f->replay = info.stats.replay;
	f->integrity_failed = info.stats.integrity_failed;
}

/*
 * DELSA: an xfrm_usersa_id, then XFRMA_SA with the whole state and, after it, the state's
 * own attributes, keys included: they are wiped like any others (see uml-sa-events.bin).
 */
int ipx_parse_delsa(struct nlmsghdr *nlh, struct ipx_sa_key *key, struct ipx_sa_final *final)
{
	struct walk w = {0};
	struct xfrm_usersa_id id;
	struct ipx_sa sa = {0};
	int rc;

	if (nlh->nlmsg_type != XFRM_MSG_DELSA)
		return -EBADMSG;
	rc = check_len(nlh, sizeof(id));
	if (rc < 0)
		goto out;
	w.sa = &sa;
	rc = walk_attrs(nlh, sizeof(id), &w);
	if (rc < 0)
		goto out;
	copy_hdr(&id, nlh, sizeof(id));
	rc = -EBADMSG;
	if (id.family != AF_INET && id.family != AF_INET6)
		goto out;
	if (conv_addr(&sa.key.daddr, &id.daddr, id.family) < 0)
		goto out;
	sa.key.spi = ntohl(id.spi);
	sa.key.proto = id.proto;
	rc = take_sa_attrs(&sa, &w);
	if (rc < 0)
		goto out;
	*key = sa.key;
	if (final)
		take_final(final, &w);
out:
	return rc;
}

/* ---- policies ------------------------------------------------------------------------- */

/* A userpolicy_info at the start of a hdrlen-byte header, then policy attributes. */
static int parse_policy_at(struct nlmsghdr *nlh, size_t hdrlen, size_t info_off,
                           struct ipx_policy *out)
{
	struct walk w = {0};
	struct xfrm_userpolicy_info p;
	struct ipx_policy pol = {0};
	int rc;

	rc = check_len(nlh, hdrlen);
	if (rc < 0)
		goto out;
	rc = walk_attrs(nlh, hdrlen, &w);
	if (rc < 0)
		goto out;
	memcpy(&p, (const char *)mnl_nlmsg_get_payload(nlh) + info_off, sizeof(p));
	rc = conv_userpolicy(&pol, &p);
	if (rc < 0)
		goto out;
	rc = take_policy_attrs(&pol, &w);
	if (rc < 0)
		goto out;
	*out = pol;
out:
	return rc;
}

int ipx_parse_policy(struct nlmsghdr *nlh, struct ipx_policy *out)
{
	int hard;

	switch (nlh->nlmsg_type) {
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
		return parse_policy_at(nlh, sizeof(struct xfrm_userpolicy_info), 0, out);
	case XFRM_MSG_POLEXPIRE: return ipx_parse_polexpire(nlh, out, &hard);
	}
	return -EBADMSG;
}

int ipx_parse_polexpire(struct nlmsghdr *nlh, struct ipx_policy *out, int *hard)
{
	struct xfrm_user_polexpire pe;
	int rc;

	if (nlh->nlmsg_type != XFRM_MSG_POLEXPIRE)
		return -EBADMSG;
	rc = parse_policy_at(nlh, sizeof(pe), offsetof(struct xfrm_user_polexpire, pol), out);
	if (rc == 0) {
		copy_hdr(&pe, nlh, sizeof(pe));
		*hard = pe.hard != 0;
	}
	return rc;
}

/*
 * DELPOLICY: an xfrm_userpolicy_id, then XFRMA_POLICY with the whole policy. A policy
 * deleted by selector has index 0 in the id: the index is then only in XFRMA_POLICY.
 */
int ipx_parse_delpolicy(struct nlmsghdr *nlh, struct ipx_policy_key *key)
{
	struct walk w = {0};
	struct xfrm_userpolicy_id id;
	struct ipx_policy pol = {0};
	int rc;

	if (nlh->nlmsg_type != XFRM_MSG_DELPOLICY)
		return -EBADMSG;
	rc = check_len(nlh, sizeof(id));
	if (rc < 0)
		goto out;
	rc = walk_attrs(nlh, sizeof(id), &w);
	if (rc < 0)
		goto out;
	copy_hdr(&id, nlh, sizeof(id));
	pol.key.index = id.index;
	if (attr_of(&w, XFRMA_POLICY)) {
		struct xfrm_userpolicy_info p;
		ATTR_COPY(p, attr_of(&w, XFRMA_POLICY));
		pol.key.index = p.index;
	}
	rc = take_policy_attrs(&pol, &w);
	if (rc < 0)
		goto out;
	rc = -EBADMSG;
	if (pol.key.index == 0)
		goto out; /* nothing tells which policy went */
	*key = pol.key;
	rc = 0;
out:
	return rc;
}

/* ACQUIRE: the kernel wants an SA for its policy member; templates come as XFRMA_TMPL. */
int ipx_parse_acquire(struct nlmsghdr *nlh, struct ipx_policy *out)
{
	if (nlh->nlmsg_type != XFRM_MSG_ACQUIRE)
		return -EBADMSG;
	return parse_policy_at(nlh, sizeof(struct xfrm_user_acquire),
	                       offsetof(struct xfrm_user_acquire, policy), out);
}

/* ---- SAD / SPD info ------------------------------------------------------------------- */

struct info_walk {
	const struct nlattr
	    *tb[XFRMA_SPD_MAX > XFRMA_SAD_MAX ? XFRMA_SPD_MAX + 1 : XFRMA_SAD_MAX + 1];
	const uint16_t *size; /* exact payload sizes by type */
	uint16_t max;
	const char *end;
};

static const uint16_t sad_size[XFRMA_SAD_MAX + 1] = {
    [XFRMA_SAD_CNT] = sizeof(uint32_t),
    [XFRMA_SAD_HINFO] = sizeof(struct xfrmu_sadhinfo),
};

static const uint16_t spd_size[XFRMA_SPD_MAX + 1] = {
    [XFRMA_SPD_INFO] = sizeof(struct xfrmu_spdinfo),
    [XFRMA_SPD_HINFO] = sizeof(struct xfrmu_spdhinfo),
    [XFRMA_SPD_IPV4_HTHRESH] = sizeof(struct xfrmu_spdhthresh),
    [XFRMA_SPD_IPV6_HTHRESH] = sizeof(struct xfrmu_spdhthresh),
};

static int info_cb(const struct nlattr *attr, void *data)
{
	struct info_walk *w = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= w->max) {
		if (w->size[type] && mnl_attr_get_payload_len(attr) != w->size[type])
			return MNL_CB_ERROR;
		w->tb[type] = attr;
	}
	w->end = (const char *)attr + MNL_ALIGN(mnl_attr_get_len(attr));
	return MNL_CB_OK;
}

/* Both replies: a u32 of flags, then flat attributes. */
static int walk_info(struct nlmsghdr *nlh, uint16_t type, struct info_walk *w)
{
	if (nlh->nlmsg_type != type || check_len(nlh, sizeof(uint32_t)) < 0)
		return -EBADMSG;
	w->end = (const char *)mnl_nlmsg_get_payload_offset(nlh, sizeof(uint32_t));
	if (mnl_attr_parse(nlh, sizeof(uint32_t), info_cb, w) < MNL_CB_STOP ||
	    w->end != (const char *)nlh + nlh->nlmsg_len)
		return -EBADMSG;
	return 0;
}

int ipx_parse_sadinfo(struct nlmsghdr *nlh, struct ipx_sad_info *out)
{
	struct info_walk w = {.size = sad_size, .max = XFRMA_SAD_MAX};
	struct ipx_sad_info info = {0};

	if (walk_info(nlh, XFRM_MSG_NEWSADINFO, &w) < 0)
		return -EBADMSG;
	if (w.tb[XFRMA_SAD_CNT])
		info.sa_count = mnl_attr_get_u32(w.tb[XFRMA_SAD_CNT]);
	if (w.tb[XFRMA_SAD_HINFO]) {
		struct xfrmu_sadhinfo h;
		ATTR_COPY(h, w.tb[XFRMA_SAD_HINFO]);
		info.hash_size = h.sadhcnt;
		info.hash_max = h.sadhmcnt;
	}
	*out = info;
	return 0;
}

int ipx_parse_spdinfo(struct nlmsghdr *nlh, struct ipx_spd_info *out)
{
	struct info_walk w = {.size = spd_size, .max = XFRMA_SPD_MAX};
	struct ipx_spd_info info = {0};

	if (walk_info(nlh, XFRM_MSG_NEWSPDINFO, &w) < 0)
		return -EBADMSG;
	if (w.tb[XFRMA_SPD_INFO]) {
		struct xfrmu_spdinfo s;
		ATTR_COPY(s, w.tb[XFRMA_SPD_INFO]);
		info.in = s.incnt;
		info.out = s.outcnt;
		info.fwd = s.fwdcnt;
		info.in_sock = s.inscnt;
		info.out_sock = s.outscnt;
		info.fwd_sock = s.fwdscnt;
	}
	if (w.tb[XFRMA_SPD_HINFO]) {
		struct xfrmu_spdhinfo h;
		ATTR_COPY(h, w.tb[XFRMA_SPD_HINFO]);
		info.hash_size = h.spdhcnt;
		info.hash_max = h.spdhmcnt;
	}
	*out = info;
	return 0;
}

/* ---- /proc/net/xfrm_stat -------------------------------------------------------------- */

#define STAT_NAME_MAX 48

static int is_name_char(char c)
{
	return c == '_' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One "Name<blanks>value[blanks]" line of len bytes, without its newline. */
static int parse_stat_line(const char *s, size_t len, char *name, uint64_t *value)
{
	size_t i = 0, n, digits;
	uint64_t v = 0;

	while (i < len && is_name_char(s[i]))
		i++;
	n = i;
	if (n == 0 || n >= STAT_NAME_MAX || i == len || !is_blank(s[i]))
		return -EBADMSG;
	while (i < len && is_blank(s[i]))
		i++;
	for (digits = i; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EBADMSG; /* wider than the kernel's unsigned long */
		v = v * 10 + d;
	}
	if (i == digits)
		return -EBADMSG;
	while (i < len && is_blank(s[i]))
		i++;
	if (i != len)
		return -EBADMSG;
	memcpy(name, s, n);
	name[n] = '\0';
	*value = v;
	return 0;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;

	for (const char *p = text; *p; p++)
		if (*p == '\n')
			n++;
	return n + 1; /* a last line without newline */
}

int ipx_parse_xfrm_stat(const char *text, char (**names)[48], uint64_t **values, size_t *n)
{
	size_t cap = count_lines(text), k = 0;
	char(*nm)[STAT_NAME_MAX] = calloc(cap, sizeof(*nm));
	uint64_t *val = calloc(cap, sizeof(*val));
	const char *p = text;
	int rc = -ENOMEM;

	if (!nm || !val)
		goto out;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > 0) { /* blank lines carry nothing */
			rc = parse_stat_line(p, len, nm[k], &val[k]);
			if (rc < 0)
				goto out;
			k++;
		}
		p += len + (eol ? 1 : 0);
	}
	*names = nm;
	*values = val;
	*n = k;
	nm = NULL;
	val = NULL;
	rc = 0;
out:
	free(nm);
	free(val);
	return rc;
}
