/*
 * Unit tests of the XFRM parsers, fed with messages recorded from real kernels.
 *
 * The fixtures (tests/unit/fixtures/, see its README.md) are raw netlink messages as the
 * kernel sent them, each beside what `ip` printed for the same state. The expected values
 * below are copied from those .ip.txt files, and the keys the parser must wipe are read
 * from them too. Every message is parsed from a heap copy of exactly its own size, so
 * AddressSanitizer sees any read past its end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "fixture.h"
#include <libmnl/libmnl.h>
#include <linux/xfrm.h>

#include "ipsec_agentx/xfrm_parse.h"

#define XFRMA_SA_DIR_T 33 /* not in Debian 12's linux/xfrm.h */

/* ---- fixtures ------------------------------------------------------------------------- */

struct fixture {
	char *data;
	size_t len;
};

static int load(const char *name, struct fixture *fx)
{
	void *data;
	int rc = ipx_fixture_load(name, &data, &fx->len);

	fx->data = rc == 0 ? data : NULL;
	return rc;
}

#define MAX_MSGS 32

/* The messages of a fixture, each in a heap block of exactly nlmsg_len bytes. */
struct msgs {
	size_t n;
	struct nlmsghdr *m[MAX_MSGS];
};

static struct nlmsghdr *copy_msg(const struct nlmsghdr *nlh)
{
	struct nlmsghdr *c = malloc(nlh->nlmsg_len);

	memcpy(c, nlh, nlh->nlmsg_len);
	return c;
}

static int load_msgs(const char *name, struct msgs *out)
{
	struct fixture fx;
	const struct nlmsghdr *nlh;
	int len;

	memset(out, 0, sizeof(*out));
	if (load(name, &fx) < 0)
		return -1;
	len = (int)fx.len;
	for (nlh = (const struct nlmsghdr *)fx.data; mnl_nlmsg_ok(nlh, len) && out->n < MAX_MSGS;
	     nlh = mnl_nlmsg_next(nlh, &len))
		out->m[out->n++] = copy_msg(nlh);
	free(fx.data);
	return len == 0 ? 0 : -1;
}

static void free_msgs(struct msgs *ms)
{
	for (size_t i = 0; i < ms->n; i++)
		free(ms->m[i]);
	ms->n = 0;
}

static const char *const msg_fixtures[] = {
    "uml-sa-dump.bin",      "uml-sa-events.bin",      "uml-acquire.bin",  "uml-sadinfo.bin",
    "host-policy-dump.bin", "host-policy-events.bin", "host-spdinfo.bin",
};

static const char *const ip_texts[] = {
    "uml-sa-dump.ip.txt",      "uml-sa-events.ip.txt",      "uml-acquire.ip.txt",
    "host-policy-dump.ip.txt", "host-policy-events.ip.txt",
};

/* ---- keys ----------------------------------------------------------------------------- */

#define MAX_KEYS 32
#define WINDOW   8 /* any 8 bytes of a key found anywhere count as a leak */

static struct {
	size_t n;
	size_t len[MAX_KEYS];
	unsigned char key[MAX_KEYS][128];
} keys;

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void add_key(const char *hex)
{
	unsigned char k[128];
	size_t n = 0;

	while (hexval(hex[0]) >= 0 && hexval(hex[1]) >= 0 && n < sizeof(k)) {
		k[n++] = (unsigned char)(hexval(hex[0]) * 16 + hexval(hex[1]));
		hex += 2;
	}
	if (n < WINDOW || keys.n == MAX_KEYS)
		return;
	for (size_t i = 0; i < keys.n; i++)
		if (keys.len[i] == n && memcmp(keys.key[i], k, n) == 0)
			return;
	memcpy(keys.key[keys.n], k, n);
	keys.len[keys.n++] = n;
}

/* Keys as `ip` prints them: "enc NAME 0xHEX", "auth-trunc NAME 0xHEX ...", "aead ...". */
static void read_keys(const char *name)
{
	struct fixture fx;
	char *save = NULL;

	if (load(name, &fx) < 0)
		return;
	for (char *line = strtok_r(fx.data, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char word[32], alg[128], hex[300];
		if (sscanf(line, " %31s %127s %299s", word, alg, hex) != 3)
			continue;
		if ((strcmp(word, "enc") == 0 || strcmp(word, "auth") == 0 ||
		     strcmp(word, "auth-trunc") == 0 || strcmp(word, "aead") == 0) &&
		    strncmp(hex, "0x", 2) == 0)
			add_key(hex + 2);
	}
	free(fx.data);
}

/* Does any WINDOW-byte piece of any known key occur in [p, p+len)? */
static int has_key_bytes(const void *p, size_t len)
{
	for (size_t k = 0; k < keys.n; k++)
		for (size_t off = 0; off + WINDOW <= keys.len[k]; off++)
			if (memmem(p, len, keys.key[k] + off, WINDOW))
				return 1;
	return 0;
}

/* Do the interned names an SA points to hold any piece of a key? */
static int names_have_key_bytes(const struct ipx_sa *sa)
{
	const struct ipx_alg *alg[] = {&sa->enc, &sa->auth, &sa->aead, &sa->comp};

	for (size_t i = 0; i < sizeof(alg) / sizeof(alg[0]); i++)
		if (alg[i]->name && has_key_bytes(alg[i]->name, strlen(alg[i]->name)))
			return 1;
	return 0;
}

/* ---- helpers -------------------------------------------------------------------------- */

static uint64_t utc(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!strptime(s, "%Y-%m-%d %H:%M:%S", &tm))
		return 0;
	return (uint64_t)timegm(&tm);
}

static int addr_is(const struct ipx_addr *a, const char *text)
{
	struct ipx_addr want = {0};

	want.family = strchr(text, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(want.family, text, want.bytes) != 1)
		return 0;
	return memcmp(a, &want, sizeof(want)) == 0;
}

/* Runs the parser for the message's type; 1 when the type has none. */
static int parse_any(struct nlmsghdr *nlh)
{
	struct ipx_sa sa;
	struct ipx_sa_key key;
	struct ipx_policy pol;
	struct ipx_policy_key pkey;
	struct ipx_sad_info sad;
	struct ipx_spd_info spd;
	int hard;

	switch (nlh->nlmsg_type) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA: return ipx_parse_sa(nlh, &sa);
	case XFRM_MSG_DELSA: return ipx_parse_delsa(nlh, &key, NULL);
	case XFRM_MSG_EXPIRE: return ipx_parse_expire(nlh, &sa, &hard);
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY: return ipx_parse_policy(nlh, &pol);
	case XFRM_MSG_POLEXPIRE: return ipx_parse_polexpire(nlh, &pol, &hard);
	case XFRM_MSG_DELPOLICY: return ipx_parse_delpolicy(nlh, &pkey);
	case XFRM_MSG_ACQUIRE: return ipx_parse_acquire(nlh, &pol);
	case XFRM_MSG_NEWSADINFO: return ipx_parse_sadinfo(nlh, &sad);
	case XFRM_MSG_NEWSPDINFO: return ipx_parse_spdinfo(nlh, &spd);
	}
	return 1;
}

/* Size of the fixed header before the attributes, 0 for types without a parser. */
static size_t fixed_len(uint16_t type)
{
	switch (type) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA: return sizeof(struct xfrm_usersa_info);
	case XFRM_MSG_DELSA: return sizeof(struct xfrm_usersa_id);
	case XFRM_MSG_EXPIRE: return sizeof(struct xfrm_user_expire);
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY: return sizeof(struct xfrm_userpolicy_info);
	case XFRM_MSG_POLEXPIRE: return sizeof(struct xfrm_user_polexpire);
	case XFRM_MSG_DELPOLICY: return sizeof(struct xfrm_userpolicy_id);
	case XFRM_MSG_ACQUIRE: return sizeof(struct xfrm_user_acquire);
	case XFRM_MSG_NEWSADINFO:
	case XFRM_MSG_NEWSPDINFO: return sizeof(uint32_t);
	}
	return 0;
}

/* The attribute of that type in a message, found with our own simple walk. */
static struct nlattr *find_attr(struct nlmsghdr *nlh, uint16_t type)
{
	size_t off = NLMSG_HDRLEN + MNL_ALIGN(fixed_len(nlh->nlmsg_type));

	while (off + sizeof(struct nlattr) <= nlh->nlmsg_len) {
		struct nlattr *a = (struct nlattr *)((char *)nlh + off);
		if (a->nla_len < sizeof(*a))
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		off += MNL_ALIGN(a->nla_len);
	}
	return NULL;
}

static struct msgs sa_dump, sa_events, acquire, sadinfo, pol_dump, pol_events, spdinfo;

/* A fresh copy of the NEWSA in the dump with that SPI (the kernel's order is its own). */
static struct nlmsghdr *dump_sa(uint32_t spi)
{
	for (size_t i = 0; i < sa_dump.n; i++) {
		const struct xfrm_usersa_info *p = mnl_nlmsg_get_payload(sa_dump.m[i]);
		if (ntohl(p->id.spi) == spi)
			return copy_msg(sa_dump.m[i]);
	}
	return NULL;
}

static struct nlmsghdr *dump_policy(uint32_t index)
{
	for (size_t i = 0; i < pol_dump.n; i++) {
		struct xfrm_userpolicy_info p;
		memcpy(&p, mnl_nlmsg_get_payload(pol_dump.m[i]), sizeof(p));
		if (p.index == index)
			return copy_msg(pol_dump.m[i]);
	}
	return NULL;
}

static int parse_dump_sa(uint32_t spi, struct ipx_sa *sa)
{
	struct nlmsghdr *m = dump_sa(spi);
	int rc;

	if (!m)
		return -ENOENT;
	memset(sa, 0, sizeof(*sa));
	rc = ipx_parse_sa(m, sa);
	free(m);
	return rc;
}

/* ---- suite setup ---------------------------------------------------------------------- */

static int suite_init(void)
{
	if (load_msgs("uml-sa-dump.bin", &sa_dump) < 0 ||
	    load_msgs("uml-sa-events.bin", &sa_events) < 0 ||
	    load_msgs("uml-acquire.bin", &acquire) < 0 ||
	    load_msgs("uml-sadinfo.bin", &sadinfo) < 0 ||
	    load_msgs("host-policy-dump.bin", &pol_dump) < 0 ||
	    load_msgs("host-policy-events.bin", &pol_events) < 0 ||
	    load_msgs("host-spdinfo.bin", &spdinfo) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(ip_texts) / sizeof(ip_texts[0]); i++)
		read_keys(ip_texts[i]);
	return 0;
}

static int suite_clean(void)
{
	free_msgs(&sa_dump);
	free_msgs(&sa_events);
	free_msgs(&acquire);
	free_msgs(&sadinfo);
	free_msgs(&pol_dump);
	free_msgs(&pol_events);
	free_msgs(&spdinfo);
	return 0;
}

/* ---- values against what ip printed --------------------------------------------------- */

static void test_fixture_shapes(void)
{
	CU_ASSERT_EQUAL(sa_dump.n, 8);
	CU_ASSERT_EQUAL(sa_events.n, 8);
	CU_ASSERT_EQUAL(acquire.n, 2);
	CU_ASSERT_EQUAL(sadinfo.n, 1);
	CU_ASSERT_EQUAL(pol_dump.n, 8);
	CU_ASSERT_EQUAL(pol_events.n, 10);
	CU_ASSERT_EQUAL(spdinfo.n, 1);
	/* 13 distinct keys were used in tests/tools/record-uml-sas.sh. */
	CU_ASSERT_EQUAL(keys.n, 13);
}

/* uml-sa-dump.ip.txt: cbc(aes) + hmac(sha256), tunnel, selector, every limit. */
static void test_sa_cbc_hmac_limits(void)
{
	struct ipx_sa sa;

	CU_ASSERT_EQUAL_FATAL(parse_dump_sa(0xc0010001, &sa), 0);
	CU_ASSERT(addr_is(&sa.saddr, "192.0.2.1"));
	CU_ASSERT(addr_is(&sa.key.daddr, "192.0.2.2"));
	CU_ASSERT_EQUAL(sa.key.proto, IPPROTO_ESP);
	CU_ASSERT_EQUAL(sa.reqid, 1);
	CU_ASSERT_EQUAL(sa.mode, IPX_MODE_TUNNEL);
	CU_ASSERT_EQUAL(sa.replay_window, 32);
	CU_ASSERT_EQUAL(sa.flags, 0);
	CU_ASSERT_FALSE(sa.esn);
	CU_ASSERT_STRING_EQUAL(sa.enc.name, "cbc(aes)");
	CU_ASSERT_EQUAL(sa.enc.key_bits, 128);
	CU_ASSERT_STRING_EQUAL(sa.auth.name, "hmac(sha256)");
	CU_ASSERT_EQUAL(sa.auth.key_bits, 256);
	CU_ASSERT_EQUAL(sa.auth.icv_bits, 128);
	CU_ASSERT_PTR_NULL(sa.aead.name);
	CU_ASSERT_PTR_NULL(sa.comp.name);
	CU_ASSERT(addr_is(&sa.sel.saddr, "10.1.0.0"));
	CU_ASSERT(addr_is(&sa.sel.daddr, "10.2.0.0"));
	CU_ASSERT_EQUAL(sa.sel.prefixlen_s, 16);
	CU_ASSERT_EQUAL(sa.sel.prefixlen_d, 16);
	CU_ASSERT_EQUAL(sa.sel.proto, 0);
	CU_ASSERT_EQUAL(sa.lft.soft_bytes, 1000000);
	CU_ASSERT_EQUAL(sa.lft.hard_bytes, 2000000);
	CU_ASSERT_EQUAL(sa.lft.soft_packets, 1000);
	CU_ASSERT_EQUAL(sa.lft.hard_packets, 2000);
	CU_ASSERT_EQUAL(sa.lft.soft_add_secs, 3000);
	CU_ASSERT_EQUAL(sa.lft.hard_add_secs, 3600);
	CU_ASSERT_EQUAL(sa.lft.soft_use_secs, 600);
	CU_ASSERT_EQUAL(sa.lft.hard_use_secs, 700);
	CU_ASSERT_EQUAL(sa.cur_bytes, 0);
	CU_ASSERT_EQUAL(sa.cur_packets, 0);
	CU_ASSERT_EQUAL(sa.add_time, utc("2026-11-27 18:14:33"));
	CU_ASSERT_EQUAL(sa.use_time, 0); /* "use -" */
	CU_ASSERT_EQUAL(sa.seq, 0);
	CU_ASSERT_EQUAL(sa.oseq, 0);
	CU_ASSERT_FALSE(sa.has_encap);
	CU_ASSERT_FALSE(sa.has_mark);
	CU_ASSERT_FALSE(sa.has_if_id);
	CU_ASSERT_EQUAL(sa.kernel_dir, IPX_DIR_UNKNOWN); /* Linux 6.1 has no XFRMA_SA_DIR */
}

/* AEAD over IPv6 with ESN: the window is in the ESN state, not in usersa_info. */
static void test_sa_aead_esn_ipv6(void)
{
	struct ipx_sa sa;

	CU_ASSERT_EQUAL_FATAL(parse_dump_sa(0xc0020002, &sa), 0);
	CU_ASSERT(addr_is(&sa.saddr, "2001:db8::1"));
	CU_ASSERT(addr_is(&sa.key.daddr, "2001:db8::2"));
	CU_ASSERT_EQUAL(sa.reqid, 2);
	CU_ASSERT_STRING_EQUAL(sa.aead.name, "rfc4106(gcm(aes))");
	CU_ASSERT_EQUAL(sa.aead.key_bits, 160);
	CU_ASSERT_EQUAL(sa.aead.icv_bits, 128);
	CU_ASSERT_PTR_NULL(sa.enc.name);
	CU_ASSERT_PTR_NULL(sa.auth.name);
	CU_ASSERT_TRUE(sa.esn);
	CU_ASSERT_EQUAL(sa.flags, XFRM_STATE_ESN);
	CU_ASSERT_EQUAL(sa.replay_window, 128); /* "replay_window 128, bitmap-length 4" */
	CU_ASSERT(addr_is(&sa.sel.saddr, "::"));
	CU_ASSERT(addr_is(&sa.sel.daddr, "::"));
	CU_ASSERT_EQUAL(sa.lft.hard_bytes, 0); /* (INF) */
	CU_ASSERT_EQUAL(sa.lft.soft_add_secs, 0);
	CU_ASSERT_EQUAL(sa.add_time, utc("2026-11-27 18:14:35"));
}

static void test_sa_ah_selector_ports(void)
{
	struct ipx_sa sa;

	CU_ASSERT_EQUAL_FATAL(parse_dump_sa(0xc0030003, &sa), 0);
	CU_ASSERT_EQUAL(sa.key.proto, IPPROTO_AH);
	CU_ASSERT_EQUAL(sa.mode, IPX_MODE_TRANSPORT);
	CU_ASSERT_STRING_EQUAL(sa.auth.name, "hmac(sha1)");
	CU_ASSERT_EQUAL(sa.auth.key_bits, 160);
	CU_ASSERT_EQUAL(sa.auth.icv_bits, 96);
	CU_ASSERT(addr_is(&sa.sel.saddr, "192.0.2.1"));
	CU_ASSERT(addr_is(&sa.sel.daddr, "192.0.2.3"));
	CU_ASSERT_EQUAL(sa.sel.prefixlen_s, 32);
	CU_ASSERT_EQUAL(sa.sel.proto, IPPROTO_TCP);
	CU_ASSERT_EQUAL(sa.sel.sport, 1234); /* host order: the kernel keeps network order */
	CU_ASSERT_EQUAL(sa.sel.dport, 80);
	CU_ASSERT_EQUAL(sa.sel.sport_mask, 0xffff);
	CU_ASSERT_EQUAL(sa.sel.dport_mask, 0xffff);
}

/* IPComp, and the IPIP SA the kernel adds beside it on its own. */
static void test_sa_ipcomp(void)
{
	struct ipx_sa sa;

	CU_ASSERT_EQUAL_FATAL(parse_dump_sa(0x4242, &sa), 0);
	CU_ASSERT_EQUAL(sa.key.proto, IPPROTO_COMP);
	CU_ASSERT_STRING_EQUAL(sa.comp.name, "deflate");
	CU_ASSERT_EQUAL(sa.comp.key_bits, 0);
	CU_ASSERT(addr_is(&sa.key.daddr, "192.0.2.4"));
	CU_ASSERT_EQUAL_FATAL(parse_dump_sa(0xc0000201, &sa), 0);
	CU_ASSERT_EQUAL(sa.key.proto, IPPROTO_IPIP); /* "proto 4" */
	CU_ASSERT_EQUAL(sa.reqid, 0);
	CU_ASSERT_PTR_NULL(sa.comp.name);
}

static void test_sa_natt_mark_if_id(void)
{
	struct ipx_sa sa;

	CU_ASSERT_EQUAL_FATAL(parse_dump_sa(0xc0050005, &sa), 0);
	CU_ASSERT(addr_is(&sa.key.daddr, "198.51.100.5"));
	CU_ASSERT_TRUE(sa.has_encap);
	CU_ASSERT_EQUAL(sa.encap_type, 2); /* UDP_ENCAP_ESPINUDP: "espinudp" */
	CU_ASSERT_EQUAL(sa.encap_sport, 4500);
	CU_ASSERT_EQUAL(sa.encap_dport, 4501);
	CU_ASSERT_TRUE(sa.has_mark);
	CU_ASSERT_EQUAL(sa.key.mark_value, 0x10);
	CU_ASSERT_EQUAL(sa.key.mark_mask, 0xff);
	CU_ASSERT_TRUE(sa.has_if_id);
	CU_ASSERT_EQUAL(sa.key.if_id, 0x42);
	CU_ASSERT_EQUAL(sa.extra_flags, XFRM_SA_XFLAG_DONT_ENCAP_DSCP);
	CU_ASSERT_STRING_EQUAL(sa.enc.name, "cbc(aes)");
	CU_ASSERT_EQUAL(sa.enc.key_bits, 256);
	CU_ASSERT_STRING_EQUAL(sa.auth.name, "hmac(sha1)");
	CU_ASSERT_EQUAL(sa.auth.icv_bits, 96);
}

/* The two SAs that carried traffic: counters, use time, replay state. */
static void test_sa_counters(void)
{
	struct ipx_sa sa;

	CU_ASSERT_EQUAL_FATAL(parse_dump_sa(0xc0060006, &sa), 0);
	CU_ASSERT(addr_is(&sa.saddr, "10.0.0.1"));
	CU_ASSERT(addr_is(&sa.key.daddr, "10.0.0.2"));
	CU_ASSERT_EQUAL(sa.cur_bytes, 540);
	CU_ASSERT_EQUAL(sa.cur_packets, 5);
	CU_ASSERT_EQUAL(sa.oseq, 5);
	CU_ASSERT_EQUAL(sa.seq, 0);
	CU_ASSERT_EQUAL(sa.add_time, utc("2026-11-27 18:14:38"));
	CU_ASSERT_EQUAL(sa.use_time, utc("2026-11-27 18:14:43"));
	CU_ASSERT_EQUAL(sa.stat_replay_window, 0);
	CU_ASSERT_EQUAL(sa.stat_replay, 0);
	CU_ASSERT_EQUAL(sa.stat_integrity_failed, 0);

	CU_ASSERT_EQUAL_FATAL(parse_dump_sa(0xc0160016, &sa), 0);
	CU_ASSERT_EQUAL(sa.cur_bytes, 432);
	CU_ASSERT_EQUAL(sa.cur_packets, 4);
	CU_ASSERT_EQUAL(sa.seq, 4);
	CU_ASSERT_EQUAL(sa.oseq, 0);
	CU_ASSERT_EQUAL(sa.use_time, utc("2026-11-27 18:14:46"));
}

/* uml-sa-events.ip.txt, in the order the kernel sent them. */
static void test_sa_events(void)
{
	struct nlmsghdr *m[8];
	struct ipx_sa sa;
	struct ipx_sa_key key;
	int hard = -1;

	CU_ASSERT_EQUAL_FATAL(sa_events.n, 8);
	for (int i = 0; i < 8; i++)
		m[i] = copy_msg(sa_events.m[i]);

	CU_ASSERT_EQUAL(m[0]->nlmsg_type, XFRM_MSG_NEWSA);
	CU_ASSERT_EQUAL(ipx_parse_sa(m[0], &sa), 0);
	CU_ASSERT_EQUAL(sa.key.spi, 0xc0070007);
	CU_ASSERT_EQUAL(sa.key.mark_value, 0x7);
	CU_ASSERT_EQUAL(sa.key.mark_mask, 0xf);
	CU_ASSERT_EQUAL(sa.key.if_id, 0x7);
	CU_ASSERT_EQUAL(sa.lft.hard_add_secs, 0);
	CU_ASSERT_EQUAL(sa.add_time, utc("2026-11-27 18:14:50"));

	CU_ASSERT_EQUAL(m[1]->nlmsg_type, XFRM_MSG_UPDSA);
	CU_ASSERT_EQUAL(ipx_parse_sa(m[1], &sa), 0);
	CU_ASSERT_EQUAL(sa.key.spi, 0xc0070007);
	CU_ASSERT_EQUAL(sa.lft.hard_add_secs, 7777);

	/* DELSA: the identity, mark and if_id included, from the id and the attributes. */
	CU_ASSERT_EQUAL(m[2]->nlmsg_type, XFRM_MSG_DELSA);
	CU_ASSERT_EQUAL(ipx_parse_delsa(m[2], &key, NULL), 0);
	CU_ASSERT(addr_is(&key.daddr, "192.0.2.7"));
	CU_ASSERT_EQUAL(key.spi, 0xc0070007);
	CU_ASSERT_EQUAL(key.proto, IPPROTO_ESP);
	CU_ASSERT_EQUAL(key.mark_value, 0x7);
	CU_ASSERT_EQUAL(key.mark_mask, 0xf);
	CU_ASSERT_EQUAL(key.if_id, 0x7);

	/* A larval SA from allocspi, filled in: an UPDSA for an SA never announced. */
	CU_ASSERT_EQUAL(m[3]->nlmsg_type, XFRM_MSG_UPDSA);
	CU_ASSERT_EQUAL(ipx_parse_sa(m[3], &sa), 0);
	CU_ASSERT_EQUAL(sa.key.spi, 0xc009eeaf);
	CU_ASSERT(addr_is(&sa.saddr, "192.0.2.9"));
	CU_ASSERT_STRING_EQUAL(sa.enc.name, "cbc(aes)");
	CU_ASSERT_EQUAL(sa.enc.key_bits, 192);
	CU_ASSERT_STRING_EQUAL(sa.auth.name, "hmac(sha512)");
	CU_ASSERT_EQUAL(sa.auth.key_bits, 512);
	CU_ASSERT_EQUAL(sa.auth.icv_bits, 256);

	CU_ASSERT_EQUAL(m[4]->nlmsg_type, XFRM_MSG_NEWSA);
	CU_ASSERT_EQUAL(ipx_parse_sa(m[4], &sa), 0);
	CU_ASSERT_EQUAL(sa.key.spi, 0xc0080008);
	CU_ASSERT_EQUAL(sa.aead.key_bits, 288);
	CU_ASSERT_EQUAL(sa.lft.soft_add_secs, 1);
	CU_ASSERT_EQUAL(sa.lft.hard_add_secs, 2);

	/* Soft, then hard expiry; no DELSA follows the hard one. */
	CU_ASSERT_EQUAL(m[5]->nlmsg_type, XFRM_MSG_EXPIRE);
	CU_ASSERT_EQUAL(ipx_parse_expire(m[5], &sa, &hard), 0);
	CU_ASSERT_EQUAL(hard, 0);
	CU_ASSERT_EQUAL(sa.key.spi, 0xc0080008);
	CU_ASSERT(addr_is(&sa.key.daddr, "192.0.2.8"));
	CU_ASSERT_EQUAL(sa.reqid, 8);
	CU_ASSERT_EQUAL(sa.add_time, utc("2026-11-27 18:14:51"));
	CU_ASSERT_PTR_NULL(sa.aead.name); /* EXPIRE carries no algorithms */
	CU_ASSERT_EQUAL(m[6]->nlmsg_type, XFRM_MSG_EXPIRE);
	CU_ASSERT_EQUAL(ipx_parse_expire(m[6], &sa, &hard), 0);
	CU_ASSERT_EQUAL(hard, 1);
	CU_ASSERT_EQUAL(sa.key.spi, 0xc0080008);
	CU_ASSERT_EQUAL(m[7]->nlmsg_type, XFRM_MSG_FLUSHSA);

	/* Each parser refuses the other types. */
	CU_ASSERT_EQUAL(ipx_parse_sa(m[2], &sa), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_parse_delsa(m[0], &key, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_parse_expire(m[0], &sa, &hard), -EBADMSG);
	for (int i = 0; i < 8; i++)
		free(m[i]);
}

static void test_policy_dump(void)
{
	struct ipx_policy p;
	struct nlmsghdr *m;

	/* index 56: IPv6 in, ICMPv6 type/code, dev, flags, every limit. */
	m = dump_policy(56);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(ipx_parse_policy(m, &p), 0);
	free(m);
	CU_ASSERT_EQUAL(p.key.index, 56);
	CU_ASSERT_EQUAL(p.key.ptype, XFRM_POLICY_TYPE_MAIN);
	CU_ASSERT_EQUAL(p.dir, IPX_POLICY_IN);
	CU_ASSERT_EQUAL(p.action, XFRM_POLICY_ALLOW);
	CU_ASSERT_EQUAL(p.flags, XFRM_POLICY_LOCALOK | XFRM_POLICY_ICMP); /* binary "00000011" */
	CU_ASSERT_EQUAL(p.priority, 0);
	CU_ASSERT(addr_is(&p.sel.saddr, "2001:db8:5::"));
	CU_ASSERT(addr_is(&p.sel.daddr, "2001:db8:6::"));
	CU_ASSERT_EQUAL(p.sel.prefixlen_s, 48);
	CU_ASSERT_EQUAL(p.sel.prefixlen_d, 48);
	CU_ASSERT_EQUAL(p.sel.proto, IPPROTO_ICMPV6);
	CU_ASSERT_EQUAL(p.sel.sport, 128); /* ICMP type travels as the source port */
	CU_ASSERT_EQUAL(p.sel.dport, 0);   /* and the code as the destination port */
	CU_ASSERT_EQUAL(p.sel.sport_mask, 0xffff);
	CU_ASSERT_EQUAL(p.sel.dport_mask, 0xffff);
	CU_ASSERT(p.sel.ifindex > 0); /* "dev dummy0": ip prints the name only */
	CU_ASSERT_EQUAL(p.lft.soft_bytes, 1000000);
	CU_ASSERT_EQUAL(p.lft.hard_bytes, 2000000);
	CU_ASSERT_EQUAL(p.lft.soft_packets, 1000);
	CU_ASSERT_EQUAL(p.lft.hard_packets, 2000);
	CU_ASSERT_EQUAL(p.lft.soft_add_secs, 3000);
	CU_ASSERT_EQUAL(p.lft.hard_add_secs, 3600);
	CU_ASSERT_EQUAL(p.lft.soft_use_secs, 600);
	CU_ASSERT_EQUAL(p.lft.hard_use_secs, 700);
	CU_ASSERT_EQUAL(p.add_time, utc("2026-11-27 18:17:01"));
	CU_ASSERT_EQUAL(p.use_time, 0);
	CU_ASSERT_EQUAL_FATAL(p.n_tmpl, 1);
	CU_ASSERT(addr_is(&p.tmpl[0].saddr, "2001:db8:ffff::2"));
	CU_ASSERT(addr_is(&p.tmpl[0].daddr, "2001:db8:ffff::1"));
	CU_ASSERT_EQUAL(p.tmpl[0].proto, IPPROTO_ESP);
	CU_ASSERT_EQUAL(p.tmpl[0].spi, 0);
	CU_ASSERT_EQUAL(p.tmpl[0].reqid, 8);
	CU_ASSERT_EQUAL(p.tmpl[0].mode, IPX_MODE_TUNNEL);
	CU_ASSERT_FALSE(p.tmpl[0].optional); /* "level required" */
	CU_ASSERT_EQUAL(p.tmpl[0].ealgos, 0xffffffff);
	CU_ASSERT_EQUAL(p.tmpl[0].aalgos, 0xffffffff);
	CU_ASSERT_EQUAL(p.tmpl[0].calgos, 0xffffffff);
	CU_ASSERT_FALSE(p.has_mark);
	CU_ASSERT_FALSE(p.has_if_id);

	/* index 49: nested IPComp (tunnel) + ESP (transport) templates. */
	m = dump_policy(49);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(ipx_parse_policy(m, &p), 0);
	free(m);
	CU_ASSERT_EQUAL(p.dir, IPX_POLICY_OUT);
	CU_ASSERT_EQUAL(p.lft.hard_bytes, 0); /* (INF) */
	CU_ASSERT_EQUAL_FATAL(p.n_tmpl, 2);
	CU_ASSERT_EQUAL(p.tmpl[0].proto, IPPROTO_COMP);
	CU_ASSERT_EQUAL(p.tmpl[0].spi, 0x4242);
	CU_ASSERT_EQUAL(p.tmpl[0].mode, IPX_MODE_TUNNEL);
	CU_ASSERT_EQUAL(p.tmpl[0].reqid, 4);
	CU_ASSERT(addr_is(&p.tmpl[0].daddr, "192.0.2.4"));
	CU_ASSERT_EQUAL(p.tmpl[1].proto, IPPROTO_ESP);
	CU_ASSERT_EQUAL(p.tmpl[1].mode, IPX_MODE_TRANSPORT);
	CU_ASSERT(addr_is(&p.tmpl[1].saddr, "0.0.0.0"));
	CU_ASSERT(addr_is(&p.tmpl[1].daddr, "0.0.0.0"));

	/* index 41: mark and if_id. */
	m = dump_policy(41);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(ipx_parse_policy(m, &p), 0);
	free(m);
	CU_ASSERT_TRUE(p.has_mark);
	CU_ASSERT_EQUAL(p.mark_value, 0x10);
	CU_ASSERT_EQUAL(p.mark_mask, 0xff);
	CU_ASSERT_TRUE(p.has_if_id);
	CU_ASSERT_EQUAL(p.if_id, 0x42);
	CU_ASSERT(addr_is(&p.sel.saddr, "10.3.0.0"));

	/* index 33: block, no template. */
	m = dump_policy(33);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(ipx_parse_policy(m, &p), 0);
	free(m);
	CU_ASSERT_EQUAL(p.action, XFRM_POLICY_BLOCK);
	CU_ASSERT_EQUAL(p.priority, 5);
	CU_ASSERT_EQUAL(p.n_tmpl, 0);
	CU_ASSERT(addr_is(&p.sel.daddr, "203.0.113.0"));
	CU_ASSERT_EQUAL(p.sel.prefixlen_d, 24);

	/* index 25: IPv6 UDP destination port, transport template with no addresses. */
	m = dump_policy(25);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(ipx_parse_policy(m, &p), 0);
	free(m);
	CU_ASSERT_EQUAL(p.sel.proto, IPPROTO_UDP);
	CU_ASSERT_EQUAL(p.sel.dport, 4789);
	CU_ASSERT_EQUAL(p.sel.dport_mask, 0xffff);
	CU_ASSERT_EQUAL(p.sel.sport, 0);
	CU_ASSERT_EQUAL(p.sel.sport_mask, 0);
	CU_ASSERT_EQUAL(p.sel.prefixlen_s, 128);
	CU_ASSERT_EQUAL_FATAL(p.n_tmpl, 1);
	CU_ASSERT(addr_is(&p.tmpl[0].daddr, "::"));
	CU_ASSERT_EQUAL(p.tmpl[0].reqid, 6);

	/* index 18: forward. */
	m = dump_policy(18);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(ipx_parse_policy(m, &p), 0);
	free(m);
	CU_ASSERT_EQUAL(p.dir, IPX_POLICY_FWD);

	/* index 8: TCP ports, an optional template ("level use"). */
	m = dump_policy(8);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(ipx_parse_policy(m, &p), 0);
	free(m);
	CU_ASSERT_EQUAL(p.priority, 200);
	CU_ASSERT_EQUAL(p.sel.sport, 443);
	CU_ASSERT_EQUAL(p.sel.dport, 8080);
	CU_ASSERT_TRUE(p.tmpl[0].optional);

	/* index 1 */
	m = dump_policy(1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(ipx_parse_policy(m, &p), 0);
	free(m);
	CU_ASSERT_EQUAL(p.priority, 100);
	CU_ASSERT(addr_is(&p.tmpl[0].saddr, "192.0.2.1"));
	CU_ASSERT(addr_is(&p.tmpl[0].daddr, "192.0.2.2"));
}

/* host-policy-events.ip.txt, in the order the kernel sent them. */
static void test_policy_events(void)
{
	struct nlmsghdr *m[10];
	struct ipx_policy p, p2;
	struct ipx_policy_key key;
	struct xfrm_userpolicy_id id;
	int hard = -1;

	CU_ASSERT_EQUAL_FATAL(pol_events.n, 10);
	for (int i = 0; i < 10; i++)
		m[i] = copy_msg(pol_events.m[i]);

	CU_ASSERT_EQUAL(m[0]->nlmsg_type, XFRM_MSG_NEWPOLICY);
	CU_ASSERT_EQUAL(ipx_parse_policy(m[0], &p), 0);
	CU_ASSERT_EQUAL(p.key.index, 73);
	CU_ASSERT_EQUAL(p.priority, 10);
	CU_ASSERT_EQUAL(p.add_time, utc("2026-11-27 18:17:02"));

	CU_ASSERT_EQUAL(m[1]->nlmsg_type, XFRM_MSG_UPDPOLICY);
	CU_ASSERT_EQUAL(ipx_parse_policy(m[1], &p), 0);
	CU_ASSERT_EQUAL(p.key.index, 73);
	CU_ASSERT_EQUAL(p.priority, 11);

	/* Deleted by selector: the id carries no index, only XFRMA_POLICY does. */
	CU_ASSERT_EQUAL(m[2]->nlmsg_type, XFRM_MSG_DELPOLICY);
	memcpy(&id, mnl_nlmsg_get_payload(m[2]), sizeof(id));
	CU_ASSERT_EQUAL(id.index, 0);
	CU_ASSERT_EQUAL(ipx_parse_delpolicy(m[2], &key), 0);
	CU_ASSERT_EQUAL(key.index, 73);
	CU_ASSERT_EQUAL(key.ptype, XFRM_POLICY_TYPE_MAIN);

	CU_ASSERT_EQUAL(ipx_parse_policy(m[3], &p), 0);
	CU_ASSERT_EQUAL(p.key.index, 80);
	CU_ASSERT_EQUAL(p.dir, IPX_POLICY_IN);
	CU_ASSERT_EQUAL(p.mark_value, 0x20);
	CU_ASSERT_EQUAL(p.mark_mask, 0xff);

	/* Deleted by index. */
	memcpy(&id, mnl_nlmsg_get_payload(m[4]), sizeof(id));
	CU_ASSERT_EQUAL(id.index, 80);
	CU_ASSERT_EQUAL(ipx_parse_delpolicy(m[4], &key), 0);
	CU_ASSERT_EQUAL(key.index, 80);

	CU_ASSERT_EQUAL(ipx_parse_policy(m[5], &p), 0);
	CU_ASSERT_EQUAL(p.key.index, 89);
	CU_ASSERT_EQUAL(p.lft.soft_add_secs, 1);
	CU_ASSERT_EQUAL(p.lft.hard_add_secs, 2);

	/* Soft and hard POLEXPIRE; the hard one deletes without a DELPOLICY. */
	CU_ASSERT_EQUAL(m[6]->nlmsg_type, XFRM_MSG_POLEXPIRE);
	CU_ASSERT_EQUAL(m[7]->nlmsg_type, XFRM_MSG_POLEXPIRE);
	CU_ASSERT_EQUAL(ipx_parse_polexpire(m[6], &p, &hard), 0);
	CU_ASSERT_EQUAL(hard, 0);
	CU_ASSERT_EQUAL(p.key.index, 89);
	CU_ASSERT_EQUAL(ipx_parse_polexpire(m[7], &p, &hard), 0);
	CU_ASSERT_EQUAL(hard, 1);
	CU_ASSERT_EQUAL(p.key.index, 89);
	CU_ASSERT_EQUAL(p.tmpl[0].reqid, 11);
	/* ipx_parse_policy takes POLEXPIRE too, with the same result. */
	CU_ASSERT_EQUAL(ipx_parse_policy(m[7], &p2), 0);
	CU_ASSERT_EQUAL(memcmp(&p, &p2, sizeof(p)), 0);

	CU_ASSERT_EQUAL(ipx_parse_policy(m[8], &p), 0);
	CU_ASSERT_EQUAL(p.key.index, 97);
	CU_ASSERT_EQUAL(p.action, XFRM_POLICY_BLOCK);
	CU_ASSERT_EQUAL(p.add_time, utc("2026-11-27 18:17:05"));
	CU_ASSERT_EQUAL(m[9]->nlmsg_type, XFRM_MSG_FLUSHPOLICY);

	CU_ASSERT_EQUAL(ipx_parse_delpolicy(m[0], &key), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_parse_polexpire(m[0], &p, &hard), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_parse_policy(m[2], &p), -EBADMSG);
	for (int i = 0; i < 10; i++)
		free(m[i]);
}

/* uml-acquire.ip.txt */
static void test_acquire(void)
{
	struct nlmsghdr *m = copy_msg(acquire.m[1]);
	struct ipx_policy p;

	CU_ASSERT_EQUAL(m->nlmsg_type, XFRM_MSG_ACQUIRE);
	CU_ASSERT_EQUAL_FATAL(ipx_parse_acquire(m, &p), 0);
	CU_ASSERT_EQUAL(p.key.index, 9);
	CU_ASSERT_EQUAL(p.dir, IPX_POLICY_OUT);
	CU_ASSERT_EQUAL(p.priority, 7);
	CU_ASSERT(addr_is(&p.sel.saddr, "10.0.0.1"));
	CU_ASSERT(addr_is(&p.sel.daddr, "10.0.0.2"));
	CU_ASSERT_EQUAL(p.sel.proto, IPPROTO_UDP);
	CU_ASSERT_TRUE(p.has_mark);
	CU_ASSERT_EQUAL(p.mark_value, 0);
	CU_ASSERT_EQUAL(p.mark_mask, 0xff00);
	CU_ASSERT_EQUAL(p.add_time, utc("2026-11-27 18:14:56"));
	CU_ASSERT_EQUAL_FATAL(p.n_tmpl, 1);
	CU_ASSERT_EQUAL(p.tmpl[0].proto, IPPROTO_ESP);
	CU_ASSERT_EQUAL(p.tmpl[0].reqid, 12);
	CU_ASSERT_EQUAL(p.tmpl[0].mode, IPX_MODE_TRANSPORT);
	CU_ASSERT(addr_is(&p.tmpl[0].daddr, "10.0.0.2"));
	CU_ASSERT_EQUAL(ipx_parse_policy(m, &p), -EBADMSG);
	free(m);
}

static void test_sad_spd_info(void)
{
	struct nlmsghdr *m = copy_msg(sadinfo.m[0]);
	struct ipx_sad_info sad;
	struct ipx_spd_info spd;

	/* "SAD count 8 (buckets count 16 Max 1048576)" */
	CU_ASSERT_EQUAL_FATAL(ipx_parse_sadinfo(m, &sad), 0);
	CU_ASSERT_EQUAL(sad.sa_count, 8);
	CU_ASSERT_EQUAL(sad.hash_size, 16);
	CU_ASSERT_EQUAL(sad.hash_max, 1048576);
	CU_ASSERT_EQUAL(ipx_parse_spdinfo(m, &spd), -EBADMSG);
	free(m);

	/* "SPD IN 2 OUT 5 FWD 1 (Sock: IN 0 OUT 0 FWD 0)", "SPD buckets: count 7 Max 1048576" */
	m = copy_msg(spdinfo.m[0]);
	CU_ASSERT_EQUAL_FATAL(ipx_parse_spdinfo(m, &spd), 0);
	CU_ASSERT_EQUAL(spd.in, 2);
	CU_ASSERT_EQUAL(spd.out, 5);
	CU_ASSERT_EQUAL(spd.fwd, 1);
	CU_ASSERT_EQUAL(spd.in_sock, 0);
	CU_ASSERT_EQUAL(spd.out_sock, 0);
	CU_ASSERT_EQUAL(spd.fwd_sock, 0);
	CU_ASSERT_EQUAL(spd.hash_size, 7);
	CU_ASSERT_EQUAL(spd.hash_max, 1048576);
	CU_ASSERT_EQUAL(ipx_parse_sadinfo(m, &sad), -EBADMSG);
	free(m);
}

/* ---- key material --------------------------------------------------------------------- */

/* Every message of every fixture: keys in it before, none after, none in the output. */
static void test_keys_wiped(void)
{
	size_t with_keys = 0, total = 0;

	for (size_t f = 0; f < sizeof(msg_fixtures) / sizeof(msg_fixtures[0]); f++) {
		struct msgs ms;
		CU_ASSERT_EQUAL_FATAL(load_msgs(msg_fixtures[f], &ms), 0);
		for (size_t i = 0; i < ms.n; i++) {
			struct nlmsghdr *m = ms.m[i];
			struct ipx_sa sa;
			int hard, rc;
			total++;
			if (has_key_bytes(m, m->nlmsg_len))
				with_keys++;
			memset(&sa, 0, sizeof(sa));
			switch (m->nlmsg_type) {
			case XFRM_MSG_NEWSA:
			case XFRM_MSG_UPDSA: rc = ipx_parse_sa(m, &sa); break;
			case XFRM_MSG_EXPIRE: rc = ipx_parse_expire(m, &sa, &hard); break;
			default: rc = parse_any(m); break;
			}
			CU_ASSERT(rc == 0 || rc == 1);
			CU_ASSERT_FALSE(has_key_bytes(m, m->nlmsg_len));
			CU_ASSERT_FALSE(has_key_bytes(&sa, sizeof(sa)));
			CU_ASSERT_FALSE(names_have_key_bytes(&sa));
		}
		free_msgs(&ms);
	}
	/* 8 dumped SAs with keys but IPComp/IPIP, plus NEWSA/UPDSA x2/DELSA/NEWSA events. */
	CU_ASSERT_EQUAL(with_keys, 6 + 5);
	CU_ASSERT_EQUAL(total, 8 + 8 + 2 + 1 + 8 + 10 + 1);
}

/* ---- algorithm names ------------------------------------------------------------------ */

/* Two SAs with the same algorithm share one interned name, which holds no key byte. */
static void test_alg_names_interned(void)
{
	struct ipx_sa a, b;
	struct ipx_alg_names_stats st;

	CU_ASSERT_EQUAL_FATAL(parse_dump_sa(0xc0010001, &a), 0);
	CU_ASSERT_EQUAL_FATAL(parse_dump_sa(0xc0010001, &b), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a.enc.name);
	CU_ASSERT_PTR_EQUAL(a.enc.name, b.enc.name);
	CU_ASSERT_PTR_EQUAL(a.auth.name, b.auth.name);
	CU_ASSERT_PTR_EQUAL(a.enc.name, ipx_alg_intern("cbc(aes)", 8));
	CU_ASSERT_PTR_EQUAL(ipx_alg_intern("cbc(aes)xyz", 8), a.enc.name); /* len counts */
	CU_ASSERT_PTR_NULL(ipx_alg_intern("", 0));
	CU_ASSERT_FALSE(names_have_key_bytes(&a));
	ipx_alg_names_stats(&st);
	CU_ASSERT(st.distinct >= 2 && st.distinct <= IPX_ALG_NAMES_MAX);

	/* A zeroed SA has no algorithm, and shows none. */
	memset(&a, 0, sizeof(a));
	CU_ASSERT_STRING_EQUAL(ipx_alg_name(&a.enc), "");
}

/* A name that is no DisplayString is not kept: "(other)", counted. */
static void test_alg_name_not_printable(void)
{
	struct nlmsghdr *c = dump_sa(0xc0010001);
	struct ipx_alg_names_stats before, after;
	struct nlattr *a;
	struct ipx_sa sa;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	a = find_attr(c, XFRMA_ALG_CRYPT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	((char *)mnl_attr_get_payload(a))[2] = '\n'; /* "cb\n(aes)" */
	ipx_alg_names_stats(&before);
	CU_ASSERT_EQUAL(ipx_parse_sa(c, &sa), 0);
	ipx_alg_names_stats(&after);
	CU_ASSERT_STRING_EQUAL(sa.enc.name, IPX_ALG_NAME_OTHER);
	CU_ASSERT_STRING_EQUAL(sa.auth.name, "hmac(sha256)");
	CU_ASSERT_EQUAL(after.invalid, before.invalid + 1);
	CU_ASSERT_EQUAL(after.distinct, before.distinct);
	CU_ASSERT_FALSE(has_key_bytes(c, c->nlmsg_len));
	free(c);
}

/* In a child, since the table is the process's: fill it, then one name more. */
static int fill_alg_names(void)
{
	const char *aes = ipx_alg_intern("cbc(aes)", 8);
	struct ipx_alg_names_stats st;
	char name[32];
	int i;

	ipx_alg_names_stats(&st);
	for (i = 0; st.distinct < IPX_ALG_NAMES_MAX; i++) {
		int n = snprintf(name, sizeof(name), "alg%d", i);
		const char *p = ipx_alg_intern(name, (size_t)n);
		if (!p || strcmp(p, name) != 0)
			return 1;
		ipx_alg_names_stats(&st);
	}
	if (strcmp(ipx_alg_intern("one-too-many", 12), IPX_ALG_NAME_OTHER) != 0)
		return 2;
	ipx_alg_names_stats(&st);
	if (st.other != 1 || st.distinct != IPX_ALG_NAMES_MAX)
		return 3;
	/* What was kept stays kept and found. */
	if (ipx_alg_intern("cbc(aes)", 8) != aes || strcmp(ipx_alg_intern("alg0", 4), "alg0"))
		return 4;
	return 0;
}

static void test_alg_names_cap(void)
{
	int status = -1;
	pid_t pid = fork();

	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		_exit(fill_alg_names());
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
}

/* ---- malformed input ------------------------------------------------------------------ */

/* Where attributes end in a message: the lengths at which a cut leaves it well-formed. */
static int is_boundary(const struct nlmsghdr *nlh, size_t cut)
{
	size_t off = NLMSG_HDRLEN + MNL_ALIGN(fixed_len(nlh->nlmsg_type));

	for (;;) {
		const struct nlattr *a;
		if (off == cut)
			return 1;
		if (off > cut || off + sizeof(*a) > nlh->nlmsg_len)
			return 0;
		a = (const struct nlattr *)((const char *)nlh + off);
		off += MNL_ALIGN(a->nla_len);
	}
}

/* A copy cut to len bytes (at least a header's worth is allocated, so that it can be read). */
static struct nlmsghdr *cut_copy(const struct nlmsghdr *nlh, size_t len)
{
	size_t alloc = len < sizeof(*nlh) ? sizeof(*nlh) : len;
	struct nlmsghdr *c = malloc(alloc);

	memcpy(c, nlh, alloc);
	c->nlmsg_len = (uint32_t)len;
	return c;
}

static void test_truncated(void)
{
	size_t cuts = 0, accepted = 0;

	for (size_t f = 0; f < sizeof(msg_fixtures) / sizeof(msg_fixtures[0]); f++) {
		struct msgs ms;
		CU_ASSERT_EQUAL_FATAL(load_msgs(msg_fixtures[f], &ms), 0);
		for (size_t i = 0; i < ms.n; i++) {
			const struct nlmsghdr *orig = ms.m[i];
			if (!fixed_len(orig->nlmsg_type))
				continue;
			for (size_t len = 0; len < orig->nlmsg_len; len++) {
				struct nlmsghdr *c = cut_copy(orig, len);
				int rc = parse_any(c);
				cuts++;
				if (!is_boundary(orig, len)) {
					CU_ASSERT_EQUAL(rc, -EBADMSG);
				} else if (orig->nlmsg_type == XFRM_MSG_DELPOLICY) {
					/* Cut before XFRMA_POLICY, a by-selector delete names
					 * nothing. */
					CU_ASSERT(rc == 0 || rc == -EBADMSG);
				} else {
					/* Cut between attributes: a valid, shorter message. */
					CU_ASSERT_EQUAL(rc, 0);
					accepted++;
				}
				CU_ASSERT_FALSE(
				    has_key_bytes(c, len < sizeof(*c) ? sizeof(*c) : len));
				free(c);
			}
		}
		free_msgs(&ms);
	}
	CU_ASSERT(cuts > 10000);
	CU_ASSERT(accepted > 0);
}

/* Nothing of a rejected message reaches the output. */
static void test_output_untouched_on_error(void)
{
	struct nlmsghdr *m = dump_sa(0xc0010001);
	struct ipx_sa sa, before;

	memset(&sa, 0xa5, sizeof(sa));
	before = sa;
	m->nlmsg_len -= 4; /* cuts the last attribute */
	CU_ASSERT_EQUAL(ipx_parse_sa(m, &sa), -EBADMSG);
	CU_ASSERT_EQUAL(memcmp(&sa, &before, sizeof(sa)), 0);
	free(m);
}

/*
 * The in-place parser of dumps: from a scratch dirty with an earlier SA, the same SA as
 * ipx_parse_sa() gives (nothing of the earlier one left), no key bytes in message or
 * scratch; every cut that is not between attributes is rejected, its keys wiped too.
 */
static void test_scratch_parse(void)
{
	struct ipx_sa scratch;

	memset(&scratch, 0x5a, sizeof(scratch));
	for (size_t i = 0; i < sa_dump.n; i++) {
		struct nlmsghdr *a = copy_msg(sa_dump.m[i]), *b = copy_msg(sa_dump.m[i]);
		struct ipx_sa want;
		CU_ASSERT_EQUAL_FATAL(ipx_parse_sa(a, &want), 0);
		CU_ASSERT_EQUAL_FATAL(ipx_parse_sa_scratch(b, &scratch), 0);
		CU_ASSERT_EQUAL(memcmp(&scratch, &want, sizeof(want)), 0);
		CU_ASSERT_FALSE(has_key_bytes(b, b->nlmsg_len));
		CU_ASSERT_FALSE(has_key_bytes(&scratch, sizeof(scratch)));
		for (size_t len = 0; len < sa_dump.m[i]->nlmsg_len; len++) {
			struct nlmsghdr *c = cut_copy(sa_dump.m[i], len);
			int rc = ipx_parse_sa_scratch(c, &scratch);
			CU_ASSERT_EQUAL(rc, is_boundary(sa_dump.m[i], len) ? 0 : -EBADMSG);
			CU_ASSERT_FALSE(has_key_bytes(c, len < sizeof(*c) ? sizeof(*c) : len));
			CU_ASSERT_FALSE(has_key_bytes(&scratch, sizeof(scratch)));
			free(c);
		}
		free(a);
		free(b);
	}
}

static void test_bad_nla_len(void)
{
	struct nlmsghdr *orig = dump_sa(0xc0050005); /* has the most attributes */
	size_t off = NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct xfrm_usersa_info)), n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(orig);
	while (off + sizeof(struct nlattr) <= orig->nlmsg_len) {
		uint16_t real = ((struct nlattr *)((char *)orig + off))->nla_len;
		uint16_t bad[] = {0,
		                  1,
		                  2,
		                  3,
		                  (uint16_t)(orig->nlmsg_len - off + 1),
		                  (uint16_t)(orig->nlmsg_len - off + 4),
		                  0xffff};
		for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
			struct nlmsghdr *c = copy_msg(orig);
			struct ipx_sa sa;
			((struct nlattr *)((char *)c + off))->nla_len = bad[b];
			CU_ASSERT_EQUAL(ipx_parse_sa(c, &sa), -EBADMSG);
			CU_ASSERT_FALSE(has_key_bytes(c, c->nlmsg_len));
			free(c);
		}
		off += MNL_ALIGN(real);
		n++;
	}
	CU_ASSERT(n >= 8);
	/* nlmsg_len off the 4-byte grid, or larger than the fixed header allows. */
	orig->nlmsg_len -= 2;
	{
		struct ipx_sa sa;
		CU_ASSERT_EQUAL(ipx_parse_sa(orig, &sa), -EBADMSG);
	}
	free(orig);
}

/* alg_key_len claiming more key than the attribute holds. */
static void check_alg_key_len(uint32_t spi, uint16_t type, size_t hdr)
{
	uint32_t bad[] = {0, 0, 0xfffffff9u, 0xffffffffu};
	struct nlmsghdr *orig = dump_sa(spi);
	struct nlattr *a;
	size_t have;

	CU_ASSERT_PTR_NOT_NULL_FATAL(orig);
	a = find_attr(orig, type);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	have = mnl_attr_get_payload_len(a) - hdr;
	bad[0] = (uint32_t)(have * 8 + 1); /* one bit too many */
	bad[1] = (uint32_t)(have * 8 + 8);
	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
		struct nlmsghdr *c = copy_msg(orig);
		struct ipx_sa sa;
		a = find_attr(c, type);
		memcpy((char *)mnl_attr_get_payload(a) + offsetof(struct xfrm_algo, alg_key_len),
		       &bad[b], sizeof(bad[b]));
		CU_ASSERT_EQUAL(ipx_parse_sa(c, &sa), -EBADMSG);
		CU_ASSERT_FALSE(has_key_bytes(c, c->nlmsg_len)); /* wiped all the same */
		free(c);
	}
	{
		/* Exactly the bits the attribute holds is fine. */
		struct nlmsghdr *c = copy_msg(orig);
		struct ipx_sa sa;
		uint32_t bits = (uint32_t)(have * 8);
		a = find_attr(c, type);
		memcpy((char *)mnl_attr_get_payload(a) + offsetof(struct xfrm_algo, alg_key_len),
		       &bits, sizeof(bits));
		CU_ASSERT_EQUAL(ipx_parse_sa(c, &sa), 0);
		free(c);
	}
	{
		/* A name that fills all 64 bytes without its NUL. */
		struct nlmsghdr *c = copy_msg(orig);
		struct ipx_sa sa;
		a = find_attr(c, type);
		memset(mnl_attr_get_payload(a), 'A', IPX_ALG_NAME_MAX);
		CU_ASSERT_EQUAL(ipx_parse_sa(c, &sa), -EBADMSG);
		CU_ASSERT_FALSE(has_key_bytes(c, c->nlmsg_len));
		free(c);
	}
	free(orig);
}

static void test_alg_key_len(void)
{
	check_alg_key_len(0xc0010001, XFRMA_ALG_CRYPT, sizeof(struct xfrm_algo));
	check_alg_key_len(0xc0010001, XFRMA_ALG_AUTH, sizeof(struct xfrm_algo));
	check_alg_key_len(0xc0010001, XFRMA_ALG_AUTH_TRUNC, sizeof(struct xfrm_algo_auth));
	check_alg_key_len(0xc0020002, XFRMA_ALG_AEAD, sizeof(struct xfrm_algo_aead));
	check_alg_key_len(0x4242, XFRMA_ALG_COMP, sizeof(struct xfrm_algo));
}

static void test_esn_bmp_len(void)
{
	uint32_t bad[] = {5, 129, 0x40000001u, 0xffffffffu};
	struct nlmsghdr *orig = dump_sa(0xc0020002);
	struct ipx_sa sa;

	CU_ASSERT_PTR_NOT_NULL_FATAL(orig);
	CU_ASSERT_PTR_NOT_NULL_FATAL(find_attr(orig, XFRMA_REPLAY_ESN_VAL));
	for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
		struct nlmsghdr *c = copy_msg(orig);
		struct nlattr *a = find_attr(c, XFRMA_REPLAY_ESN_VAL);
		memcpy(mnl_attr_get_payload(a), &bad[b], sizeof(bad[b])); /* bmp_len comes first */
		CU_ASSERT_EQUAL(ipx_parse_sa(c, &sa), -EBADMSG);
		free(c);
	}
	{
		/* "bitmap-length 4" as recorded; a shorter claim still fits. */
		struct nlmsghdr *c = copy_msg(orig);
		uint32_t three = 3;
		memcpy(mnl_attr_get_payload(find_attr(c, XFRMA_REPLAY_ESN_VAL)), &three,
		       sizeof(three));
		CU_ASSERT_EQUAL(ipx_parse_sa(c, &sa), 0);
		CU_ASSERT_EQUAL(sa.replay_window, 128);
		free(c);
	}
	free(orig);
}

/* ---- hand-built messages on a real fixed header --------------------------------------- */

#define BUILD_MAX 4096

/* A message holding nlh's fixed header and no attributes, in a BUILD_MAX buffer. */
static struct nlmsghdr *bare(const struct nlmsghdr *nlh)
{
	struct nlmsghdr *b = calloc(1, BUILD_MAX);
	size_t fixed = NLMSG_HDRLEN + MNL_ALIGN(fixed_len(nlh->nlmsg_type));

	memcpy(b, nlh, fixed);
	b->nlmsg_len = (uint32_t)fixed;
	return b;
}

/* Parse a copy of exactly nlmsg_len bytes, so ASan bounds the parser. */
static int parse_sa_exact(const struct nlmsghdr *b, struct ipx_sa *sa)
{
	struct nlmsghdr *c = copy_msg(b);
	int rc;

	memset(sa, 0, sizeof(*sa));
	rc = ipx_parse_sa(c, sa);
	free(c);
	return rc;
}

static int parse_policy_exact(const struct nlmsghdr *b, struct ipx_policy *p)
{
	struct nlmsghdr *c = copy_msg(b);
	int rc;

	memset(p, 0, sizeof(*p));
	rc = ipx_parse_policy(c, p);
	free(c);
	return rc;
}

static void test_attr_sizes(void)
{
	struct nlmsghdr *m = dump_sa(0xc0010001);
	static const struct {
		uint16_t type;
		uint16_t len;
	} wrong[] = {
	    {XFRMA_MARK, 4},
	    {XFRMA_MARK, 12},
	    {XFRMA_IF_ID, 2},
	    {XFRMA_IF_ID, 8},
	    {XFRMA_LASTUSED, 4},
	    {XFRMA_SA_DIR_T, 4},
	    {XFRMA_SA_DIR_T, 0},
	    {XFRMA_ENCAP, 20},
	    {XFRMA_REPLAY_VAL, 8},
	    {XFRMA_SA_EXTRA_FLAGS, 2},
	    {XFRMA_OFFLOAD_DEV, 4},
	    {XFRMA_POLICY_TYPE, 2},
	    {XFRMA_REPLAY_ESN_VAL, 20},
	    {XFRMA_ALG_CRYPT, 10},
	    {XFRMA_ALG_AUTH_TRUNC, 67},
	    {XFRMA_ALG_AEAD, 70},
	    {XFRMA_SA, 100},
	    {XFRMA_POLICY, 8},
	};
	char zeros[256] = {0};

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		struct nlmsghdr *b = bare(m);
		struct ipx_sa sa;
		mnl_attr_put(b, wrong[i].type, wrong[i].len, zeros);
		CU_ASSERT_EQUAL(parse_sa_exact(b, &sa), -EBADMSG);
		free(b);
	}
	free(m);
}

/* Attributes the recording kernels did not send: newer ones, and ones we skip. */
static void test_newer_attrs(void)
{
	struct nlmsghdr *m = dump_sa(0xc0010001);
	struct xfrm_user_offload off = {.ifindex = 7, .flags = 1};
	struct nlmsghdr *b;
	struct ipx_sa sa;
	uint8_t u8 = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	b = bare(m);
	mnl_attr_put_u8(b, XFRMA_SA_DIR_T, 1);
	mnl_attr_put_u64(b, XFRMA_LASTUSED, 1795803300);
	mnl_attr_put(b, XFRMA_OFFLOAD_DEV, sizeof(off), &off);
	mnl_attr_put_u32(b, 60, 0xdead);         /* unknown to us: skipped */
	mnl_attr_put(b, XFRMA_PAD, 0, NULL);     /* alignment padding */
	mnl_attr_put_u32(b, XFRMA_TFCPAD, 1000); /* known, unused */
	CU_ASSERT_EQUAL(parse_sa_exact(b, &sa), 0);
	CU_ASSERT_EQUAL(sa.kernel_dir, IPX_DIR_IN);
	CU_ASSERT_EQUAL(sa.last_used, 1795803300);
	CU_ASSERT_EQUAL(sa.offload_ifindex, 7);
	CU_ASSERT_EQUAL(sa.key.spi, 0xc0010001);
	free(b);

	for (u8 = 0; u8 < 4; u8++) {
		b = bare(m);
		mnl_attr_put_u8(b, XFRMA_SA_DIR_T, u8);
		CU_ASSERT_EQUAL(parse_sa_exact(b, &sa), 0);
		CU_ASSERT_EQUAL(sa.kernel_dir, u8 == 1   ? IPX_DIR_IN
		                               : u8 == 2 ? IPX_DIR_OUT
		                                         : IPX_DIR_UNKNOWN);
		free(b);
	}
	free(m);
}

/* Bad families in the fixed header and in templates. */
static void test_bad_family(void)
{
	struct nlmsghdr *m = dump_sa(0xc0010001), *c;
	struct xfrm_usersa_info p;
	struct ipx_sa sa;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	c = copy_msg(m);
	memcpy(&p, mnl_nlmsg_get_payload(c), sizeof(p));
	p.family = 99;
	memcpy(mnl_nlmsg_get_payload(c), &p, sizeof(p));
	CU_ASSERT_EQUAL(ipx_parse_sa(c, &sa), -EBADMSG);
	CU_ASSERT_FALSE(has_key_bytes(c, c->nlmsg_len));
	free(c);
	c = copy_msg(m);
	memcpy(&p, mnl_nlmsg_get_payload(c), sizeof(p));
	p.sel.family = 7;
	memcpy(mnl_nlmsg_get_payload(c), &p, sizeof(p));
	CU_ASSERT_EQUAL(ipx_parse_sa(c, &sa), -EBADMSG);
	free(c);
	free(m);
}

static void test_tmpl_sizes(void)
{
	struct nlmsghdr *m = dump_policy(1);
	struct xfrm_user_tmpl t[IPX_MAX_TMPL + 1];
	struct ipx_policy p;
	struct nlmsghdr *b;
	size_t bad[] = {1, sizeof(t[0]) - 1, sizeof(t[0]) + 1, 2 * sizeof(t[0]) + 4,
	                (IPX_MAX_TMPL + 1) * sizeof(t[0])};

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memset(t, 0, sizeof(t));
	for (size_t i = 0; i <= IPX_MAX_TMPL; i++) {
		t[i].family = AF_INET;
		t[i].id.proto = IPPROTO_ESP;
		t[i].reqid = (uint32_t)i + 1;
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = bare(m);
		mnl_attr_put(b, XFRMA_TMPL, bad[i], t);
		CU_ASSERT_EQUAL(parse_policy_exact(b, &p), -EBADMSG);
		free(b);
	}
	/* The kernel's maximum, XFRM_MAX_DEPTH. */
	b = bare(m);
	mnl_attr_put(b, XFRMA_TMPL, IPX_MAX_TMPL * sizeof(t[0]), t);
	CU_ASSERT_EQUAL(parse_policy_exact(b, &p), 0);
	CU_ASSERT_EQUAL(p.n_tmpl, IPX_MAX_TMPL);
	CU_ASSERT_EQUAL(p.tmpl[5].reqid, 6);
	free(b);
	/* A template of an unknown family. */
	t[0].family = 3;
	b = bare(m);
	mnl_attr_put(b, XFRMA_TMPL, sizeof(t[0]), t);
	CU_ASSERT_EQUAL(parse_policy_exact(b, &p), -EBADMSG);
	free(b);
	free(m);
}

/* DELPOLICY naming no policy at all (index 0, no XFRMA_POLICY). */
static void test_delpolicy_without_index(void)
{
	struct nlmsghdr *b = bare(pol_events.m[2]);
	struct ipx_policy_key key;
	struct nlmsghdr *c;

	c = copy_msg(b);
	CU_ASSERT_EQUAL(ipx_parse_delpolicy(c, &key), -EBADMSG);
	free(c);
	free(b);
}

static void test_info_malformed(void)
{
	struct nlmsghdr *b = bare(sadinfo.m[0]), *c;
	struct ipx_sad_info sad;
	struct ipx_spd_info spd;
	uint32_t word[8] = {0};

	mnl_attr_put(b, XFRMA_SAD_CNT, 2, word);
	c = copy_msg(b);
	CU_ASSERT_EQUAL(ipx_parse_sadinfo(c, &sad), -EBADMSG);
	free(c);
	free(b);
	b = bare(sadinfo.m[0]);
	mnl_attr_put(b, XFRMA_SAD_HINFO, 12, word);
	c = copy_msg(b);
	CU_ASSERT_EQUAL(ipx_parse_sadinfo(c, &sad), -EBADMSG);
	free(c);
	free(b);
	b = bare(spdinfo.m[0]);
	mnl_attr_put(b, XFRMA_SPD_INFO, 20, word);
	c = copy_msg(b);
	CU_ASSERT_EQUAL(ipx_parse_spdinfo(c, &spd), -EBADMSG);
	free(c);
	free(b);
	/* No attributes at all: zeros. */
	b = bare(spdinfo.m[0]);
	c = copy_msg(b);
	CU_ASSERT_EQUAL(ipx_parse_spdinfo(c, &spd), 0);
	CU_ASSERT_EQUAL(spd.out, 0);
	free(c);
	free(b);
}

/* ---- garbage -------------------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL; /* fixed seed: reproducible runs */

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static const uint16_t all_types[] = {
    XFRM_MSG_NEWSA,     XFRM_MSG_UPDSA,      XFRM_MSG_DELSA,      XFRM_MSG_EXPIRE,
    XFRM_MSG_NEWPOLICY, XFRM_MSG_UPDPOLICY,  XFRM_MSG_POLEXPIRE,  XFRM_MSG_DELPOLICY,
    XFRM_MSG_ACQUIRE,   XFRM_MSG_NEWSADINFO, XFRM_MSG_NEWSPDINFO,
};

/* Random bytes under every message type: rejected or parsed, never a crash. */
static void test_garbage(void)
{
	size_t rejected = 0;

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = sizeof(struct nlmsghdr) + rng() % 1200;
		struct nlmsghdr *m = malloc(len);
		int rc;
		for (size_t i = 0; i < len; i++)
			((unsigned char *)m)[i] = (unsigned char)rng();
		m->nlmsg_len = (uint32_t)len;
		m->nlmsg_type = all_types[rng() % (sizeof(all_types) / sizeof(all_types[0]))];
		rc = parse_any(m);
		CU_ASSERT(rc == 0 || rc == -EBADMSG);
		rejected += rc == -EBADMSG;
		free(m);
	}
	CU_ASSERT(rejected > 19000);
}

/* Real messages with a few random bytes changed: rejected or parsed, never a crash. */
static void test_mutated(void)
{
	for (size_t f = 0; f < sizeof(msg_fixtures) / sizeof(msg_fixtures[0]); f++) {
		struct msgs ms;
		CU_ASSERT_EQUAL_FATAL(load_msgs(msg_fixtures[f], &ms), 0);
		for (size_t i = 0; i < ms.n; i++) {
			if (!fixed_len(ms.m[i]->nlmsg_type))
				continue;
			for (int iter = 0; iter < 300; iter++) {
				struct nlmsghdr *c = copy_msg(ms.m[i]);
				int flips = 1 + (int)(rng() % 8), rc;
				for (int k = 0; k < flips; k++) {
					/* Leave nlmsg_len alone: it must stay the buffer's size. */
					size_t at = sizeof(uint32_t) + rng() % (c->nlmsg_len - 4);
					((unsigned char *)c)[at] = (unsigned char)rng();
				}
				rc = parse_any(c);
				CU_ASSERT(rc == 0 || rc == -EBADMSG || rc == 1);
				free(c);
			}
		}
		free_msgs(&ms);
	}
}

/* ---- /proc/net/xfrm_stat -------------------------------------------------------------- */

static void test_xfrm_stat_real(void)
{
	struct fixture fx;
	char(*names)[48] = NULL;
	uint64_t *values = NULL;
	size_t n = 0;

	CU_ASSERT_EQUAL_FATAL(load("host-xfrm_stat.txt", &fx), 0);
	CU_ASSERT_EQUAL_FATAL(ipx_parse_xfrm_stat(fx.data, &names, &values, &n), 0);
	CU_ASSERT_EQUAL(n, 32); /* Linux 6.18 */
	CU_ASSERT_STRING_EQUAL(names[0], "XfrmInError");
	CU_ASSERT_STRING_EQUAL(names[22], "XfrmOutPolBlock");
	CU_ASSERT_EQUAL(values[22], 3); /* three datagrams hit a block policy */
	CU_ASSERT_EQUAL(values[0], 0);
	CU_ASSERT_STRING_EQUAL(names[31], "XfrmOutNoQueueSpace");
	free(names);
	free(values);
	free(fx.data);
}

static void test_xfrm_stat_text(void)
{
	static const struct {
		const char *text;
		int rc;
		size_t n;
		uint64_t last;
	} cases[] = {
	    {"XfrmInError             \t12\nXfrmOutError\t7\n", 0, 2, 7},
	    {"A 1", 0, 1, 1}, /* no final newline */
	    {"A\t18446744073709551615\n", 0, 1, UINT64_MAX},
	    {"\n\nA 1\n\n", 0, 1, 1},
	    {"", 0, 0, 0},
	    {"A 1 \n", 0, 1, 1},
	    {"A_b9 5\n", 0, 1, 5},
	    {"A 18446744073709551616\n", -EBADMSG, 0, 0}, /* 2^64 */
	    {"A 99999999999999999999\n", -EBADMSG, 0, 0},
	    {"A\n", -EBADMSG, 0, 0},
	    {"A \n", -EBADMSG, 0, 0},
	    {"A1\n", -EBADMSG, 0, 0},
	    {"A x\n", -EBADMSG, 0, 0},
	    {"A -1\n", -EBADMSG, 0, 0},
	    {" 1\n", -EBADMSG, 0, 0},
	    {"A-B 1\n", -EBADMSG, 0, 0},
	    {"A 1 2\n", -EBADMSG, 0, 0},
	    {"A 1x\n", -EBADMSG, 0, 0},
	    {"A 1\r\n", -EBADMSG, 0, 0},
	    {"A 1\nB\n", -EBADMSG, 0, 0},
	    {"XfrmInError 1\nXfrmOutError two\n", -EBADMSG, 0, 0},
	    /* 47 characters fit a name with its NUL, 48 do not. */
	    {"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstu 3\n", 0, 1, 3},
	    {"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv 3\n", -EBADMSG, 0, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char(*names)[48] = NULL;
		uint64_t *values = NULL;
		size_t n = 99;
		int rc = ipx_parse_xfrm_stat(cases[i].text, &names, &values, &n);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (rc != cases[i].rc)
			fprintf(stderr, "xfrm_stat case %zu: rc %d\n", i, rc);
		if (rc == 0) {
			CU_ASSERT_EQUAL(n, cases[i].n);
			if (n)
				CU_ASSERT_EQUAL(values[n - 1], cases[i].last);
			free(names);
			free(values);
		} else {
			CU_ASSERT_EQUAL(n, 99); /* untouched */
		}
	}
}

int main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("xfrm_parse", suite_init, suite_clean);
	if (!s)
		return 1;
	CU_add_test(s, "fixtures hold what was recorded", test_fixture_shapes);
	CU_add_test(s, "SA: cbc(aes)+hmac(sha256), limits", test_sa_cbc_hmac_limits);
	CU_add_test(s, "SA: AEAD, ESN, IPv6", test_sa_aead_esn_ipv6);
	CU_add_test(s, "SA: AH, selector ports", test_sa_ah_selector_ports);
	CU_add_test(s, "SA: IPComp and its IPIP SA", test_sa_ipcomp);
	CU_add_test(s, "SA: NAT-T, mark, if_id", test_sa_natt_mark_if_id);
	CU_add_test(s, "SA: counters and replay state", test_sa_counters);
	CU_add_test(s, "SA events", test_sa_events);
	CU_add_test(s, "policy dump", test_policy_dump);
	CU_add_test(s, "policy events", test_policy_events);
	CU_add_test(s, "acquire", test_acquire);
	CU_add_test(s, "SAD/SPD info", test_sad_spd_info);
	CU_add_test(s, "keys wiped from every message", test_keys_wiped);
	CU_add_test(s, "algorithm names interned", test_alg_names_interned);
	CU_add_test(s, "algorithm name not printable", test_alg_name_not_printable);
	CU_add_test(s, "algorithm name table full", test_alg_names_cap);
	CU_add_test(s, "every truncation", test_truncated);
	CU_add_test(s, "output untouched on error", test_output_untouched_on_error);
	CU_add_test(s, "in-place parse of dump rows", test_scratch_parse);
	CU_add_test(s, "bad nla_len", test_bad_nla_len);
	CU_add_test(s, "alg_key_len beyond the attribute", test_alg_key_len);
	CU_add_test(s, "ESN bmp_len", test_esn_bmp_len);
	CU_add_test(s, "fixed-size attributes of the wrong size", test_attr_sizes);
	CU_add_test(s, "newer and skipped attributes", test_newer_attrs);
	CU_add_test(s, "bad address families", test_bad_family);
	CU_add_test(s, "XFRMA_TMPL sizes", test_tmpl_sizes);
	CU_add_test(s, "DELPOLICY without an index", test_delpolicy_without_index);
	CU_add_test(s, "SAD/SPD info malformed", test_info_malformed);
	CU_add_test(s, "random bytes", test_garbage);
	CU_add_test(s, "mutated real messages", test_mutated);
	CU_add_test(s, "xfrm_stat: real file", test_xfrm_stat_real);
	CU_add_test(s, "xfrm_stat: text cases", test_xfrm_stat_text);

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
