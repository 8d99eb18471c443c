/*
 * Unit tests of the IKE data layer: the VICI section parsers and the Cisco-style state
 * mapping (src/ike_parse.c), and the IKE store with its links to a real XFRM store
 * (src/ike_store.c, src/store.c).
 *
 * The parsers read the packets a real charon 5.9.8 sent (tests/unit/fixtures/vici-*.bin);
 * the values expected of them are those swanctl printed for the same state
 * (vici-*.swanctl.txt) and the SPIs the kernel had before and after the rekey
 * (vici-child-rekey.kernel.txt, read by the test). Hand-built messages cover what the lab
 * does not show: dynamic peers, several children, IKEv1, malformed and overlong values.
 * Every message is decoded from a heap block of exactly its size.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <CUnit/Basic.h>

#include "fixture.h"
#include "ike-rows.h"

#include "ipsec_agentx/ike.h"
#include "ipsec_agentx/ike_store.h"
#include "ipsec_agentx/store.h"
#include "ipsec_agentx/vici.h"

#define MAX_PKTS 16
#define NOW      1000000 /* the monotonic "now" handed to the parsers */

/* ---- fixtures ------------------------------------------------------------------------- */

/* A fixture's packets, decoded. */
struct stream {
	size_t n;
	struct ipx_vici_msg *m[MAX_PKTS];
};

static struct stream fx_sas, fx_conns, fx_rekey;
static char *fx_kernel; /* vici-child-rekey.kernel.txt */

static int load_stream(const char *name, struct stream *s)
{
	struct ipx_vici_reader r;
	void *data;
	size_t len, off = 0;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (ipx_fixture_load(name, &data, &len) < 0)
		return -1;
	ipx_vici_reader_init(&r);
	while (off < len) {
		uint8_t *pkt = NULL;
		size_t plen = 0;
		/* All that is left at once: each call must end on a whole packet. */
		ssize_t used =
		    ipx_vici_reader_feed(&r, (uint8_t *)data + off, len - off, &pkt, &plen);
		if (used <= 0 || !pkt)
			goto out;
		off += (size_t)used;
		if (s->n == MAX_PKTS || plen <= IPX_VICI_HDR_LEN ||
		    ipx_vici_decode_packet(pkt + IPX_VICI_HDR_LEN, plen - IPX_VICI_HDR_LEN,
		                           &s->m[s->n]) != 0) {
			free(pkt);
			goto out;
		}
		s->n++;
		free(pkt);
	}
	rc = 0;
out:
	ipx_vici_reader_reset(&r);
	free(data);
	if (rc < 0)
		fprintf(stderr, "cannot split fixture %s\n", name);
	return rc;
}

static void free_stream(struct stream *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		ipx_vici_msg_free(s->m[i]);
	s->n = 0;
}

static int suite_init(void)
{
	size_t len;
	void *k;

	if (load_stream("vici-list-sas.bin", &fx_sas) < 0 ||
	    load_stream("vici-list-conns.bin", &fx_conns) < 0 ||
	    load_stream("vici-child-rekey.bin", &fx_rekey) < 0 ||
	    ipx_fixture_load("vici-child-rekey.kernel.txt", &k, &len) < 0)
		return -1;
	fx_kernel = k;
	return 0;
}

static int suite_clean(void)
{
	free_stream(&fx_sas);
	free_stream(&fx_conns);
	free_stream(&fx_rekey);
	free(fx_kernel);
	return 0;
}

/* The I-th event named NAME of a stream, or NULL. */
static const struct ipx_vici_msg *event(const struct stream *s, const char *name, size_t i)
{
	size_t k;

	for (k = 0; k < s->n; k++)
		if (s->m[k]->type == IPX_VICI_EVENT && strcmp(s->m[k]->name, name) == 0 && i-- == 0)
			return s->m[k];
	return NULL;
}

/* ---- hand-built messages -------------------------------------------------------------- */

/*
 * A message as a list of elements: 's' section start (k), 'e' section end, 'k' key/value
 * (k = v), 'l' list start (k), 'i' item (v), 'L' list end; 0 ends the list.
 */
struct el {
	char t;
	const char *k, *v;
};

/* Decodes what B holds, from a heap copy of exactly its size, and releases B. */
static struct ipx_vici_msg *finish(struct ipx_vici_builder *b)
{
	struct ipx_vici_msg *m = NULL;
	uint8_t *copy = malloc(b->len ? b->len : 1);

	CU_ASSERT_EQUAL(b->err, 0);
	if (b->len)
		memcpy(copy, b->buf, b->len);
	if (ipx_vici_decode(copy, b->len, &m) != 0)
		m = NULL;
	free(copy);
	ipx_vici_builder_release(b);
	CU_ASSERT_PTR_NOT_NULL(m);
	return m;
}

static void add_els(struct ipx_vici_builder *b, const struct el *e)
{
	for (; e->t; e++) {
		switch (e->t) {
		case 's': ipx_vici_begin_section(b, e->k); break;
		case 'e': ipx_vici_end_section(b); break;
		case 'k': ipx_vici_add_kv_str(b, e->k, e->v); break;
		case 'l': ipx_vici_begin_list(b, e->k); break;
		case 'i': ipx_vici_add_item_str(b, e->v); break;
		case 'L': ipx_vici_end_list(b); break;
		}
	}
}

static struct ipx_vici_msg *build(const struct el *e)
{
	struct ipx_vici_builder b;

	ipx_vici_builder_init(&b);
	add_els(&b, e);
	return finish(&b);
}

struct kv {
	const char *k, *v;
};

/* Every key list-sa may send for an IKE SA (values made up), in charon's order. */
static const struct kv ike_keys[] = {
    {"uniqueid", "7"},
    {"version", "2"},
    {"state", "ESTABLISHED"},
    {"local-host", "192.0.2.1"},
    {"local-port", "4500"},
    {"local-id", "C=CH, O=strongSwan, CN=moon"},
    {"remote-host", "2001:db8::2"},
    {"remote-port", "1034"},
    {"remote-id", "sun.strongswan.org"},
    {"initiator", "yes"},
    {"initiator-spi", "0123456789abcdef"},
    {"responder-spi", "fedcba9876543210"},
    {"nat-local", "yes"},
    {"nat-remote", "yes"},
    {"nat-fake", "yes"},
    {"nat-any", "yes"},
    {"encr-alg", "AES_CBC"},
    {"encr-keysize", "256"},
    {"integ-alg", "HMAC_SHA2_512_256"},
    {"integ-keysize", "512"},
    {"prf-alg", "PRF_HMAC_SHA2_512"},
    {"dh-group", "ECP_384"},
    {"established", "100"},
    {"rekey-time", "200"},
    {"reauth-time", "300"},
};

/* An IKE SA section NAME with ike_keys, KEY's value replaced by VALUE (NULL: left out). */
static struct ipx_vici_msg *ike_msg(const char *name, const char *key, const char *value)
{
	struct ipx_vici_builder b;
	size_t i;

	ipx_vici_builder_init(&b);
	ipx_vici_begin_section(&b, name);
	for (i = 0; i < sizeof(ike_keys) / sizeof(ike_keys[0]); i++) {
		const char *v = key && strcmp(key, ike_keys[i].k) == 0 ? value : ike_keys[i].v;
		if (v)
			ipx_vici_add_kv_str(&b, ike_keys[i].k, v);
	}
	ipx_vici_begin_list(&b, "tasks-active");
	ipx_vici_add_item_str(&b, "IKE_DPD");
	ipx_vici_add_item_str(&b, "CHILD_CREATE");
	ipx_vici_end_list(&b);
	ipx_vici_begin_section(&b, "child-sas");
	ipx_vici_begin_section(&b, "a-1");
	ipx_vici_end_section(&b);
	ipx_vici_begin_section(&b, "b-2");
	ipx_vici_end_section(&b);
	ipx_vici_end_section(&b);
	ipx_vici_end_section(&b);
	return finish(&b);
}

/* Every key list-sa may send for a CHILD_SA (values made up). */
static const struct kv child_keys[] = {
    {"name", "net"},
    {"uniqueid", "9"},
    {"reqid", "5"},
    {"state", "INSTALLED"},
    {"mode", "TRANSPORT"},
    {"protocol", "AH"},
    {"encap", "yes"},
    {"spi-in", "0000abcd"},
    {"spi-out", "ffffffff"},
    {"cpi-in", "4242"},
    {"cpi-out", "0043"},
    {"mark-in", "00000010"},
    {"mark-mask-in", "000000ff"},
    {"mark-out", "00000020"},
    {"if-id-in", "00000042"},
    {"if-id-out", "00000043"},
    {"encr-alg", "AES_CBC"},
    {"encr-keysize", "192"},
    {"integ-alg", "HMAC_SHA1_96"},
    {"integ-keysize", "160"},
    {"dh-group", "MODP_2048"},
    {"esn", "1"},
    {"bytes-in", "18446744073709551615"},
    {"packets-in", "5"},
    {"bytes-out", "6"},
    {"packets-out", "7"},
    {"rekey-time", "20"},
    {"life-time", "30"},
    {"install-time", "10"},
};

/* A CHILD_SA section with child_keys, KEY's value replaced by VALUE (NULL: left out). */
static struct ipx_vici_msg *child_msg(const char *key, const char *value)
{
	struct ipx_vici_builder b;
	size_t i;

	ipx_vici_builder_init(&b);
	ipx_vici_begin_section(&b, "net-9");
	for (i = 0; i < sizeof(child_keys) / sizeof(child_keys[0]); i++) {
		const char *v = key && strcmp(key, child_keys[i].k) == 0 ? value : child_keys[i].v;
		if (v)
			ipx_vici_add_kv_str(&b, child_keys[i].k, v);
	}
	ipx_vici_begin_list(&b, "local-ts");
	ipx_vici_add_item_str(&b, "10.1.0.0/16");
	ipx_vici_add_item_str(&b, "10.2.0.0/16[tcp/80]");
	ipx_vici_end_list(&b);
	ipx_vici_begin_list(&b, "remote-ts");
	ipx_vici_add_item_str(&b, "0.0.0.0/0");
	ipx_vici_end_list(&b);
	ipx_vici_end_section(&b);
	return finish(&b);
}

/* ---- values --------------------------------------------------------------------------- */

static int addr_is(const struct ipx_addr *a, const char *text)
{
	struct ipx_addr want;

	memset(&want, 0, sizeof(want));
	if (inet_pton(AF_INET, text, want.bytes) == 1)
		want.family = AF_INET;
	else if (inet_pton(AF_INET6, text, want.bytes) == 1)
		want.family = AF_INET6;
	if (a->family != want.family || memcmp(a->bytes, want.bytes, sizeof(want.bytes)) != 0) {
		fprintf(stderr, "\n  address: want %s\n", text);
		return 0;
	}
	return 1;
}

static int str_is(const char *got, const char *want, const char *what)
{
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "\n  %s: got \"%s\", want \"%s\"\n", what, got, want);
		return 0;
	}
	return 1;
}

#define CHECK_STR(got, want) CU_ASSERT(str_is(got, want, #got))

/* A string of N copies of C (N < sizeof(buf)). */
static const char *repeat(char *buf, size_t n, char c)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* ---- list-sa -------------------------------------------------------------------------- */

/* What vici-list-sas.swanctl.txt shows for each IKE SA and its one CHILD_SA. */
struct want_sa {
	struct {
		const char *name;
		uint32_t uid;
		const char *local, *remote;
		uint64_t spi_i, spi_r;
		int64_t established, rekey;
	} i;
	struct {
		const char *section, *name;
		uint32_t uid, reqid, spi_in, spi_out;
		const char *encr;
		uint16_t encr_ks;
		const char *integ;
	} c;
	struct {
		int64_t rekey, life, install;
		const char *lts, *rts;
	} t;
};

static const struct want_sa want_sas[] = {
    {{"lab4", 1, "192.0.2.1", "192.0.2.2", 0x4b3fd71e0e069f44ULL, 0x4c1468ac5ff1922aULL, 1, 14348},
     {"net4-2", "net4", 2, 2, 0xc6d7028e, 0xc2ce5bbe, "AES_GCM_16", 128, ""},
     {3298, 3959, 1, "198.51.100.0/24", "203.0.113.0/24"}},
    {{"lab6", 2, "2001:db8::1", "2001:db8::2", 0xceb3f9fcc4dcc155ULL, 0x581f35ef9fff4fd4ULL, 1,
      13683},
     {"net6-1", "net6", 1, 1, 0xcff73061, 0xc9fe0030, "AES_CBC", 256, "HMAC_SHA2_256_128"},
     {3333, 3959, 1, "2001:db8:1::/64", "2001:db8:2::/64"}},
};

static void check_fixture_sa(const struct ipx_vici_node *ike, const struct want_sa *w)
{
	const struct ipx_vici_node *children, *c;
	struct ipx_ike_sa sa;
	struct ipx_child_sa ch;

	memset(&sa, 0xa5, sizeof(sa));
	CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_sa(ike, NOW, &sa), 0);
	CHECK_STR(sa.name, w->i.name);
	CU_ASSERT_EQUAL(sa.unique_id, w->i.uid);
	CU_ASSERT_EQUAL(sa.version, 2);
	CU_ASSERT_EQUAL(sa.exchange, IPX_IKE_EXCHANGE_IKEV2);
	CU_ASSERT_EQUAL(sa.state, IPX_IKE_ESTABLISHED);
	CU_ASSERT_EQUAL(sa.initiator, 0); /* moon responded: no "initiator" key */
	CU_ASSERT(addr_is(&sa.local, w->i.local));
	CU_ASSERT(addr_is(&sa.remote, w->i.remote));
	CU_ASSERT_EQUAL(sa.local_port, 4500);
	CU_ASSERT_EQUAL(sa.remote_port, 4500);
	CHECK_STR(sa.local_id, "moon");
	CHECK_STR(sa.remote_id, "sun");
	CU_ASSERT_EQUAL(sa.spi_i, w->i.spi_i);
	CU_ASSERT_EQUAL(sa.spi_r, w->i.spi_r);
	CHECK_STR(sa.encr_alg, "AES_CBC");
	CU_ASSERT_EQUAL(sa.encr_keysize, 128);
	CHECK_STR(sa.integ_alg, "HMAC_SHA2_256_128");
	CU_ASSERT_EQUAL(sa.integ_keysize, 0); /* not sent */
	CHECK_STR(sa.prf_alg, "PRF_HMAC_SHA2_256");
	CHECK_STR(sa.dh_group, "CURVE_25519");
	CU_ASSERT_EQUAL(sa.nat_local, 0);
	CU_ASSERT_EQUAL(sa.nat_remote, 0);
	CU_ASSERT_EQUAL(sa.nat_fake, 0);
	CU_ASSERT_EQUAL(sa.nat_any, 0);
	CU_ASSERT_EQUAL(sa.established_at, NOW - w->i.established);
	CU_ASSERT_EQUAL(sa.rekey_at, NOW + w->i.rekey);
	CU_ASSERT_EQUAL(sa.reauth_at, 0); /* reauth_time = 0: not sent */
	CU_ASSERT_EQUAL(sa.child_count, 1);
	CHECK_STR(sa.tasks_active, "");
	CU_ASSERT_EQUAL(ipx_ike_cisco_state(&sa), IPX_CISCO_QM_IDLE);

	children = ipx_vici_child(ike, "child-sas");
	CU_ASSERT_PTR_NOT_NULL_FATAL(children);
	c = children->child;
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CHECK_STR(c->name, w->c.section);
	memset(&ch, 0xa5, sizeof(ch));
	CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_child(c, sa.unique_id, NOW, &ch), 0);
	CU_ASSERT_EQUAL(ch.unique_id, w->c.uid);
	CU_ASSERT_EQUAL(ch.ike_unique_id, w->i.uid);
	CHECK_STR(ch.name, w->c.name); /* "net4", not the section's "net4-2" */
	CU_ASSERT_EQUAL(ch.state, IPX_CHILD_INSTALLED);
	CU_ASSERT_EQUAL(ch.mode, IPX_CHILD_MODE_TUNNEL);
	CU_ASSERT_EQUAL(ch.protocol, IPX_CHILD_PROTO_ESP);
	CU_ASSERT_EQUAL(ch.encap, 0);
	CU_ASSERT_EQUAL(ch.esn, 0);
	CU_ASSERT_EQUAL(ch.spi_in, w->c.spi_in);
	CU_ASSERT_EQUAL(ch.spi_out, w->c.spi_out);
	CU_ASSERT_EQUAL(ch.cpi_in, 0);
	CU_ASSERT_EQUAL(ch.cpi_out, 0);
	CU_ASSERT_EQUAL(ch.reqid, w->c.reqid);
	CU_ASSERT_EQUAL(ch.mark_in, 0);
	CU_ASSERT_EQUAL(ch.mark_mask_in, 0);
	CU_ASSERT_EQUAL(ch.mark_out, 0);
	CU_ASSERT_EQUAL(ch.mark_mask_out, 0);
	CU_ASSERT_EQUAL(ch.if_id_in, 0);
	CU_ASSERT_EQUAL(ch.if_id_out, 0);
	CHECK_STR(ch.encr_alg, w->c.encr);
	CU_ASSERT_EQUAL(ch.encr_keysize, w->c.encr_ks);
	CHECK_STR(ch.integ_alg, w->c.integ);
	CU_ASSERT_EQUAL(ch.integ_keysize, 0);
	CHECK_STR(ch.dh_group, "");
	CU_ASSERT_EQUAL(ch.bytes_in, 0);
	CU_ASSERT_EQUAL(ch.packets_in, 0);
	CU_ASSERT_EQUAL(ch.bytes_out, 0);
	CU_ASSERT_EQUAL(ch.packets_out, 0);
	CU_ASSERT_EQUAL(ch.installed_at, NOW - w->t.install);
	CU_ASSERT_EQUAL(ch.rekey_at, NOW + w->t.rekey);
	CU_ASSERT_EQUAL(ch.expire_at, NOW + w->t.life);
	CHECK_STR(ch.local_ts, w->t.lts);
	CHECK_STR(ch.remote_ts, w->t.rts);
	CU_ASSERT_PTR_NULL(c->next);
}

static void test_parse_list_sas(void)
{
	const struct ipx_vici_msg *m;
	size_t i, k, seen = 0;

	for (i = 0; (m = event(&fx_sas, "list-sa", i)) != NULL; i++) {
		const struct ipx_vici_node *ike = m->root.child;
		CU_ASSERT_PTR_NOT_NULL_FATAL(ike);
		for (k = 0; k < sizeof(want_sas) / sizeof(want_sas[0]); k++)
			if (strcmp(ike->name, want_sas[k].i.name) == 0) {
				check_fixture_sa(ike, &want_sas[k]);
				seen |= (size_t)1 << k;
			}
	}
	CU_ASSERT_EQUAL(i, 2);
	CU_ASSERT_EQUAL(seen, 3);
}

/* Every key of a hand-made IKE SA, those the lab does not send included. */
static void test_parse_sa_every_key(void)
{
	struct ipx_vici_msg *m = ike_msg("vpn", NULL, NULL);
	struct ipx_ike_sa sa;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_sa(m->root.child, NOW, &sa), 0);
	CHECK_STR(sa.name, "vpn");
	CU_ASSERT_EQUAL(sa.unique_id, 7);
	CU_ASSERT_EQUAL(sa.initiator, 1);
	CU_ASSERT(addr_is(&sa.local, "192.0.2.1"));
	CU_ASSERT(addr_is(&sa.remote, "2001:db8::2"));
	CU_ASSERT_EQUAL(sa.remote_port, 1034);
	CHECK_STR(sa.local_id, "C=CH, O=strongSwan, CN=moon");
	CHECK_STR(sa.remote_id, "sun.strongswan.org");
	CU_ASSERT_EQUAL(sa.spi_i, 0x0123456789abcdefULL);
	CU_ASSERT_EQUAL(sa.spi_r, 0xfedcba9876543210ULL); /* the top bit set */
	CU_ASSERT_EQUAL(sa.nat_local, 1);
	CU_ASSERT_EQUAL(sa.nat_remote, 1);
	CU_ASSERT_EQUAL(sa.nat_fake, 1);
	CU_ASSERT_EQUAL(sa.nat_any, 1);
	CU_ASSERT_EQUAL(sa.encr_keysize, 256);
	CHECK_STR(sa.integ_alg, "HMAC_SHA2_512_256");
	CU_ASSERT_EQUAL(sa.integ_keysize, 512);
	CHECK_STR(sa.prf_alg, "PRF_HMAC_SHA2_512");
	CHECK_STR(sa.dh_group, "ECP_384");
	CU_ASSERT_EQUAL(sa.established_at, NOW - 100);
	CU_ASSERT_EQUAL(sa.rekey_at, NOW + 200);
	CU_ASSERT_EQUAL(sa.reauth_at, NOW + 300);
	CU_ASSERT_EQUAL(sa.child_count, 2);
	CHECK_STR(sa.tasks_active, "IKE_DPD, CHILD_CREATE");
	ipx_vici_msg_free(m);
}

static void test_parse_child_every_key(void)
{
	struct ipx_vici_msg *m = child_msg(NULL, NULL);
	struct ipx_child_sa c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_child(m->root.child, 77, NOW, &c), 0);
	CU_ASSERT_EQUAL(c.unique_id, 9);
	CU_ASSERT_EQUAL(c.ike_unique_id, 77);
	CHECK_STR(c.name, "net");
	CU_ASSERT_EQUAL(c.reqid, 5);
	CU_ASSERT_EQUAL(c.mode, IPX_CHILD_MODE_TRANSPORT);
	CU_ASSERT_EQUAL(c.protocol, IPX_CHILD_PROTO_AH);
	CU_ASSERT_EQUAL(c.encap, 1);
	CU_ASSERT_EQUAL(c.esn, 1);
	CU_ASSERT_EQUAL(c.spi_in, 0xabcd);
	CU_ASSERT_EQUAL(c.spi_out, 0xffffffffu);
	CU_ASSERT_EQUAL(c.cpi_in, 0x4242);
	CU_ASSERT_EQUAL(c.cpi_out, 0x43);
	CU_ASSERT_EQUAL(c.mark_in, 0x10);
	CU_ASSERT_EQUAL(c.mark_mask_in, 0xff);
	CU_ASSERT_EQUAL(c.mark_out, 0x20);
	CU_ASSERT_EQUAL(c.mark_mask_out, 0xffffffffu); /* charon leaves out an all-ones mask */
	CU_ASSERT_EQUAL(c.if_id_in, 0x42);
	CU_ASSERT_EQUAL(c.if_id_out, 0x43);
	CHECK_STR(c.encr_alg, "AES_CBC");
	CU_ASSERT_EQUAL(c.encr_keysize, 192);
	CHECK_STR(c.integ_alg, "HMAC_SHA1_96");
	CU_ASSERT_EQUAL(c.integ_keysize, 160);
	CHECK_STR(c.dh_group, "MODP_2048");
	CU_ASSERT_EQUAL(c.bytes_in, UINT64_MAX);
	CU_ASSERT_EQUAL(c.packets_in, 5);
	CU_ASSERT_EQUAL(c.bytes_out, 6);
	CU_ASSERT_EQUAL(c.packets_out, 7);
	CU_ASSERT_EQUAL(c.installed_at, NOW - 10);
	CU_ASSERT_EQUAL(c.rekey_at, NOW + 20);
	CU_ASSERT_EQUAL(c.expire_at, NOW + 30);
	CHECK_STR(c.local_ts, "10.1.0.0/16, 10.2.0.0/16[tcp/80]");
	CHECK_STR(c.remote_ts, "0.0.0.0/0");
	ipx_vici_msg_free(m);

	/* Without a "name" key (as in child-rekey's sections), the section name is the name. */
	m = child_msg("name", NULL);
	CU_ASSERT_EQUAL(ipx_ike_parse_child(m->root.child, 1, NOW, &c), 0);
	CHECK_STR(c.name, "net-9");
	ipx_vici_msg_free(m);
	/* No mark: 0. */
	m = child_msg("mark-in", NULL);
	CU_ASSERT_EQUAL(ipx_ike_parse_child(m->root.child, 1, NOW, &c), 0);
	CU_ASSERT_EQUAL(c.mark_in, 0);
	CU_ASSERT_EQUAL(c.mark_out, 0x20);
	ipx_vici_msg_free(m);
}

/*
 * charon's add_mark() sends "mark-in" whenever value or mask is non-zero, and "mark-mask-in"
 * only when the mask is not all ones: "mark-in" = 0 without a mask is the mark 0/0xffffffff
 * (match unmarked packets only), as the kernel SA has it.
 */
static void test_parse_child_zero_mark(void)
{
	struct ipx_vici_msg *m = child_msg("mark-out", "00000000");
	struct ipx_child_sa c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_child(m->root.child, 1, NOW, &c), 0);
	CU_ASSERT_EQUAL(c.mark_out, 0);
	CU_ASSERT_EQUAL(c.mark_mask_out, 0xffffffffu);
	ipx_vici_msg_free(m);
}

/* ---- list-conn ------------------------------------------------------------------------ */

static void test_parse_list_conns(void)
{
	static const struct {
		const char *name, *child, *local, *remote, *lts, *rts;
	} want[] = {
	    {"lab4", "net4", "192.0.2.1", "192.0.2.2", "198.51.100.0/24", "203.0.113.0/24"},
	    {"lab6", "net6", "2001:db8::1", "2001:db8::2", "2001:db8:1::/64", "2001:db8:2::/64"},
	};
	const struct ipx_vici_msg *m;
	struct ipx_ike_conn out[4];
	size_t i, k, seen = 0;

	for (i = 0; (m = event(&fx_conns, "list-conn", i)) != NULL; i++) {
		const struct ipx_vici_node *conn = m->root.child;
		CU_ASSERT_PTR_NOT_NULL_FATAL(conn);
		for (k = 0; k < 2 && strcmp(conn->name, want[k].name) != 0; k++)
			;
		CU_ASSERT_FATAL(k < 2);
		seen |= (size_t)1 << k;
		memset(out, 0xa5, sizeof(out));
		CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_conn(conn, out, 4), 1);
		CHECK_STR(out[0].name, want[k].name);
		CHECK_STR(out[0].child, want[k].child);
		CU_ASSERT_EQUAL(out[0].version, 2);
		CHECK_STR(out[0].local_addrs, want[k].local);
		CHECK_STR(out[0].remote_addrs, want[k].remote);
		CU_ASSERT_EQUAL(out[0].dynamic, 0);
		CU_ASSERT_EQUAL(out[0].rekey_time, 14400);
		CU_ASSERT_EQUAL(out[0].reauth_time, 0);
		CHECK_STR(out[0].local_auth, "pre-shared key");
		CHECK_STR(out[0].remote_auth, "pre-shared key");
		CHECK_STR(out[0].local_id, "moon");
		CHECK_STR(out[0].remote_id, "sun");
		CHECK_STR(out[0].local_certs, "");
		CHECK_STR(out[0].remote_certs, "");
		CU_ASSERT_EQUAL(out[0].mode, IPX_CHILD_MODE_TUNNEL);
		CU_ASSERT_EQUAL(out[0].child_rekey_time, 3600);
		CU_ASSERT_EQUAL(out[0].child_life_time, 0);
		CU_ASSERT_EQUAL(out[0].rekey_bytes, 0);
		CU_ASSERT_EQUAL(out[0].rekey_packets, 0);
		CHECK_STR(out[0].dpd_action, "none");
		CHECK_STR(out[0].close_action, "none");
		CHECK_STR(out[0].start_action, "");
		CHECK_STR(out[0].proposals, "");
		CHECK_STR(out[0].esp_proposals, "");
		CHECK_STR(out[0].ah_proposals, "");
		CHECK_STR(out[0].local_ts, want[k].lts);
		CHECK_STR(out[0].remote_ts, want[k].rts);
	}
	CU_ASSERT_EQUAL(i, 2);
	CU_ASSERT_EQUAL(seen, 3);
}

/* A dynamic IKEv1 connection with certificates and two children. */
static const struct el two_children[] = {
    {'s', "road", NULL},
    {'l', "local_addrs", NULL},
    {'i', NULL, "192.0.2.1"},
    {'i', NULL, "2001:db8::1"},
    {'L', NULL, NULL},
    {'l', "remote_addrs", NULL},
    {'i', NULL, "%any"},
    {'L', NULL, NULL},
    {'k', "version", "IKEv1"},
    {'k', "reauth_time", "10800"},
    {'k', "rekey_time", "0"},
    {'l', "proposals", NULL},
    {'i', NULL, "aes128-sha256-modp2048"},
    {'i', NULL, "aes256-sha384-ecp384"},
    {'L', NULL, NULL},
    {'s', "local-1", NULL},
    {'k', "class", "public key"},
    {'k', "id", "C=CH, O=strongSwan, CN=moon"},
    {'l', "certs", NULL},
    {'i', NULL, "C=CH, O=strongSwan, CN=moon"},
    {'i', NULL, "C=CH, O=strongSwan, CN=moon2"},
    {'L', NULL, NULL},
    {'e', NULL, NULL},
    {'s', "remote-1", NULL},
    {'k', "class", "EAP"},
    {'k', "id", "%any"},
    {'e', NULL, NULL},
    {'s', "remote-2", NULL}, /* a second round: not read */
    {'k', "class", "XAuth"},
    {'e', NULL, NULL},
    {'s', "children", NULL},
    {'s', "web", NULL},
    {'k', "mode", "TRANSPORT"},
    {'k', "rekey_time", "1200"},
    {'k', "life_time", "1320"},
    {'k', "rekey_bytes", "5000000000"},
    {'k', "rekey_packets", "1000"},
    {'k', "dpd_action", "restart"},
    {'k', "close_action", "trap"},
    {'k', "start_action", "start"},
    {'l', "esp_proposals", NULL},
    {'i', NULL, "aes128gcm16"},
    {'L', NULL, NULL},
    {'l', "local-ts", NULL},
    {'i', NULL, "dynamic[tcp/443]"},
    {'L', NULL, NULL},
    {'l', "remote-ts", NULL},
    {'i', NULL, "10.0.0.0/8"},
    {'i', NULL, "172.16.0.0/12"},
    {'L', NULL, NULL},
    {'e', NULL, NULL},
    {'k', "stray", "a key/value among the children is skipped"},
    {'s', "mail", NULL},
    {'k', "mode", "BEET"},
    {'l', "ah_proposals", NULL},
    {'i', NULL, "sha256"},
    {'L', NULL, NULL},
    {'e', NULL, NULL},
    {'e', NULL, NULL},
    {'e', NULL, NULL},
    {0, NULL, NULL},
};

static void check_road_base(const struct ipx_ike_conn *c)
{
	CHECK_STR(c->name, "road");
	CU_ASSERT_EQUAL(c->version, 1);
	CHECK_STR(c->local_addrs, "192.0.2.1, 2001:db8::1");
	CHECK_STR(c->remote_addrs, "%any");
	CU_ASSERT_EQUAL(c->dynamic, 1);
	CU_ASSERT_EQUAL(c->rekey_time, 0);
	CU_ASSERT_EQUAL(c->reauth_time, 10800);
	CHECK_STR(c->proposals, "aes128-sha256-modp2048, aes256-sha384-ecp384");
	CHECK_STR(c->local_auth, "public key");
	CHECK_STR(c->remote_auth, "EAP");
	CHECK_STR(c->local_id, "C=CH, O=strongSwan, CN=moon");
	CHECK_STR(c->remote_id, "%any");
	CHECK_STR(c->local_certs, "C=CH, O=strongSwan, CN=moon; C=CH, O=strongSwan, CN=moon2");
	CHECK_STR(c->remote_certs, "");
}

static void test_parse_conn_built(void)
{
	struct ipx_vici_msg *m = build(two_children);
	struct ipx_ike_conn out[3];

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memset(out, 0xa5, sizeof(out));
	CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_conn(m->root.child, out, 3), 2);
	check_road_base(&out[0]);
	check_road_base(&out[1]);
	CHECK_STR(out[0].child, "web");
	CU_ASSERT_EQUAL(out[0].mode, IPX_CHILD_MODE_TRANSPORT);
	CU_ASSERT_EQUAL(out[0].child_rekey_time, 1200);
	CU_ASSERT_EQUAL(out[0].child_life_time, 1320);
	CU_ASSERT_EQUAL(out[0].rekey_bytes, 5000000000ULL);
	CU_ASSERT_EQUAL(out[0].rekey_packets, 1000);
	CHECK_STR(out[0].dpd_action, "restart");
	CHECK_STR(out[0].close_action, "trap");
	CHECK_STR(out[0].start_action, "start");
	CHECK_STR(out[0].esp_proposals, "aes128gcm16");
	CHECK_STR(out[0].ah_proposals, "");
	CHECK_STR(out[0].local_ts, "dynamic[tcp/443]");
	CHECK_STR(out[0].remote_ts, "10.0.0.0/8, 172.16.0.0/12");
	/* The second child's own values, none of the first's. */
	CHECK_STR(out[1].child, "mail");
	CU_ASSERT_EQUAL(out[1].mode, IPX_CHILD_MODE_BEET);
	CU_ASSERT_EQUAL(out[1].child_rekey_time, 0);
	CU_ASSERT_EQUAL(out[1].child_life_time, 0);
	CU_ASSERT_EQUAL(out[1].rekey_bytes, 0);
	CHECK_STR(out[1].dpd_action, "");
	CHECK_STR(out[1].esp_proposals, "");
	CHECK_STR(out[1].ah_proposals, "sha256");
	CHECK_STR(out[1].local_ts, "");
	CHECK_STR(out[1].remote_ts, "");
	/* out[2] untouched */
	CU_ASSERT_EQUAL(((const uint8_t *)&out[2])[0], 0xa5);
	CU_ASSERT_EQUAL(((const uint8_t *)&out[2])[sizeof(out[2]) - 1], 0xa5);

	/* Fewer slots than children: the first MAX. */
	memset(out, 0xa5, sizeof(out));
	CU_ASSERT_EQUAL(ipx_ike_parse_conn(m->root.child, out, 1), 1);
	CHECK_STR(out[0].child, "web");
	CU_ASSERT_EQUAL(((const uint8_t *)&out[1])[0], 0xa5);
	CU_ASSERT_EQUAL(ipx_ike_parse_conn(m->root.child, out, 0), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_ike_parse_conn(m->root.child, out, -1), -EBADMSG);
	ipx_vici_msg_free(m);
}

static void test_parse_conn_dynamic_and_childless(void)
{
	static const struct el no_children[] = {
	    {'s', "any4", NULL},
	    {'l', "remote_addrs", NULL},
	    {'i', NULL, "0.0.0.0/0"},
	    {'L', NULL, NULL},
	    {'k', "version", "IKEv1/2"},
	    {'e', NULL, NULL},
	    {'s', "empty", NULL},
	    {'l', "remote_addrs", NULL},
	    {'L', NULL, NULL},
	    {'s', "children", NULL},
	    {'e', NULL, NULL},
	    {'e', NULL, NULL},
	    {'s', "some", NULL},
	    {'l', "remote_addrs", NULL},
	    {'i', NULL, "192.0.2.9"},
	    {'i', NULL, "%any6"},
	    {'L', NULL, NULL},
	    {'e', NULL, NULL},
	    {'s', "fixed", NULL},
	    {'k', "remote_addrs", "198.51.100.7"},
	    {'k', "version", "IKEv2"},
	    {'e', NULL, NULL},
	    {0, NULL, NULL},
	};
	static const struct {
		const char *name, *remote;
		uint8_t dynamic, version;
	} want[] = {
	    {"any4", "0.0.0.0/0", 1, 0},
	    {"empty", "", 1, 0},
	    {"some", "192.0.2.9, %any6", 1, 0},
	    {"fixed", "198.51.100.7", 0, 2},
	};
	struct ipx_vici_msg *m = build(no_children);
	const struct ipx_vici_node *n;
	struct ipx_ike_conn out[2];
	size_t i = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (n = m->root.child; n; n = n->next, i++) {
		CU_ASSERT_FATAL(i < 4);
		memset(out, 0xa5, sizeof(out));
		/* No children, or an empty "children": one entry, child "". */
		CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_conn(n, out, 2), 1);
		CHECK_STR(out[0].name, want[i].name);
		CHECK_STR(out[0].child, "");
		CHECK_STR(out[0].remote_addrs, want[i].remote);
		CU_ASSERT_EQUAL(out[0].dynamic, want[i].dynamic);
		CU_ASSERT_EQUAL(out[0].version, want[i].version);
		CU_ASSERT_EQUAL(out[0].mode, 0);
		CHECK_STR(out[0].local_auth, "");
		CHECK_STR(out[0].local_ts, "");
		CU_ASSERT_EQUAL(((const uint8_t *)&out[1])[0], 0xa5);
	}
	CU_ASSERT_EQUAL(i, 4);
	ipx_vici_msg_free(m);
}

/* ---- child-rekey ---------------------------------------------------------------------- */

/* A line of vici-child-rekey.kernel.txt. */
struct ksa {
	uint32_t spi, reqid;
	char src[48], dst[48];
	int after;
};

static size_t read_kernel(struct ksa *out, size_t max)
{
	const char *p = fx_kernel;
	size_t n = 0;
	int after = 0;

	while (p && *p && n < max) {
		if (strncmp(p, "# after", 7) == 0)
			after = 1;
		else if (*p != '#' && sscanf(p, "%x %47s %47s %u", &out[n].spi, out[n].src,
		                             out[n].dst, &out[n].reqid) == 4)
			out[n++].after = after;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

/* Whether the kernel had SPI from SRC to DST with REQID before (AFTER 0) or after the rekey. */
static int kernel_had(const struct ksa *k, size_t n, uint32_t spi, const struct ipx_addr *src,
                      const struct ipx_addr *dst, uint32_t reqid, int after)
{
	struct ipx_addr a, b;
	size_t i;

	for (i = 0; i < n; i++) {
		if (k[i].spi != spi || k[i].after != after)
			continue;
		set_addr(&a, k[i].src);
		set_addr(&b, k[i].dst);
		return memcmp(&a, src, sizeof(a)) == 0 && memcmp(&b, dst, sizeof(b)) == 0 &&
		       k[i].reqid == reqid;
	}
	return 0;
}

static void test_parse_child_rekey(void)
{
	static const struct {
		const char *ike, *child;
		uint32_t ike_uid, old_uid, new_uid, old_in, old_out, new_in, new_out;
	} want[] = {
	    {"lab4", "net4", 1, 2, 3, 0xc6d7028e, 0xc2ce5bbe, 0xcf99dcea, 0xc371203e},
	    {"lab6", "net6", 2, 1, 4, 0xcff73061, 0xc9fe0030, 0xc8a59c44, 0xc1dadc6b},
	};
	const struct ipx_vici_msg *m;
	struct ksa k[16];
	size_t nk = read_kernel(k, 16), i, w, seen = 0;

	CU_ASSERT_EQUAL(nk, 8);
	for (i = 0; (m = event(&fx_rekey, "child-rekey", i)) != NULL; i++) {
		const struct ipx_vici_node *ike = m->root.child, *sec, *old_sec, *new_sec;
		struct ipx_ike_sa sa;
		struct ipx_child_sa o, n;

		CU_ASSERT_PTR_NOT_NULL_FATAL(ike);
		for (w = 0; w < 2 && strcmp(ike->name, want[w].ike) != 0; w++)
			;
		CU_ASSERT_FATAL(w < 2);
		seen |= (size_t)1 << w;
		CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_sa(ike, NOW, &sa), 0);
		CU_ASSERT_EQUAL(sa.unique_id, want[w].ike_uid);
		CU_ASSERT_EQUAL(sa.established_at, NOW - 13);
		CHECK_STR(sa.tasks_active, ""); /* CHILD_REKEY is passive here */
		CU_ASSERT_EQUAL(sa.child_count, 1);
		sec = ipx_vici_find(ike, "child-sas");
		CU_ASSERT_PTR_NOT_NULL_FATAL(sec);
		sec = ipx_vici_child(sec, want[w].child);
		CU_ASSERT_PTR_NOT_NULL_FATAL(sec);
		old_sec = ipx_vici_child(sec, "old");
		new_sec = ipx_vici_child(sec, "new");
		CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_child(old_sec, sa.unique_id, NOW, &o), 0);
		CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_child(new_sec, sa.unique_id, NOW, &n), 0);
		CHECK_STR(o.name, want[w].child);
		CHECK_STR(n.name, want[w].child);
		CU_ASSERT_EQUAL(o.unique_id, want[w].old_uid);
		CU_ASSERT_EQUAL(n.unique_id, want[w].new_uid);
		CU_ASSERT_EQUAL(o.state, IPX_CHILD_REKEYED);
		CU_ASSERT_EQUAL(n.state, IPX_CHILD_INSTALLED);
		CU_ASSERT_EQUAL(o.spi_in, want[w].old_in);
		CU_ASSERT_EQUAL(o.spi_out, want[w].old_out);
		CU_ASSERT_EQUAL(n.spi_in, want[w].new_in);
		CU_ASSERT_EQUAL(n.spi_out, want[w].new_out);
		CU_ASSERT_EQUAL(o.reqid, n.reqid);
		CU_ASSERT_EQUAL(n.installed_at, NOW);
		CU_ASSERT_EQUAL(o.installed_at, NOW - 13);
		/* The kernel's SAs: inbound to moon (local), outbound to sun; old ones gone. */
		CU_ASSERT(kernel_had(k, nk, o.spi_in, &sa.remote, &sa.local, o.reqid, 0));
		CU_ASSERT(kernel_had(k, nk, o.spi_out, &sa.local, &sa.remote, o.reqid, 0));
		CU_ASSERT(kernel_had(k, nk, n.spi_in, &sa.remote, &sa.local, n.reqid, 1));
		CU_ASSERT(kernel_had(k, nk, n.spi_out, &sa.local, &sa.remote, n.reqid, 1));
		CU_ASSERT(!kernel_had(k, nk, o.spi_in, &sa.remote, &sa.local, o.reqid, 1));
		CU_ASSERT(!kernel_had(k, nk, n.spi_in, &sa.remote, &sa.local, n.reqid, 0));
	}
	CU_ASSERT_EQUAL(i, 2);
	CU_ASSERT_EQUAL(seen, 3);
}

/* ---- malformed input ------------------------------------------------------------------ */

static const char *const bad_uids[] = {
    NULL, "",   "0",    "abc", "12abc",      "-1",
    "+1", " 1", "0x10", "1.0", "4294967296", "99999999999999999999",
};

static void test_malformed_uniqueid(void)
{
	struct ipx_vici_msg *m;
	struct ipx_ike_sa sa;
	struct ipx_child_sa c;
	size_t i;

	for (i = 0; i < sizeof(bad_uids) / sizeof(bad_uids[0]); i++) {
		m = ike_msg("vpn", "uniqueid", bad_uids[i]);
		CU_ASSERT_EQUAL(ipx_ike_parse_sa(m->root.child, NOW, &sa), -EBADMSG);
		ipx_vici_msg_free(m);
		m = child_msg("uniqueid", bad_uids[i]);
		CU_ASSERT_EQUAL(ipx_ike_parse_child(m->root.child, 1, NOW, &c), -EBADMSG);
		ipx_vici_msg_free(m);
	}
	/* The largest one that fits. */
	m = ike_msg("vpn", "uniqueid", "4294967295");
	CU_ASSERT_EQUAL(ipx_ike_parse_sa(m->root.child, NOW, &sa), 0);
	CU_ASSERT_EQUAL(sa.unique_id, UINT32_MAX);
	ipx_vici_msg_free(m);
	m = child_msg("uniqueid", "4294967295");
	CU_ASSERT_EQUAL(ipx_ike_parse_child(m->root.child, 1, NOW, &c), 0);
	CU_ASSERT_EQUAL(c.unique_id, UINT32_MAX);
	ipx_vici_msg_free(m);
}

/* Nodes that are not sections, NULL, and an IKE SA without a name. */
static void test_malformed_nodes(void)
{
	static const struct el els[] = {
	    {'k', "vpn", "a key/value"}, {'l', "list", NULL}, {'i', NULL, "x"},
	    {'L', NULL, NULL},           {'s', "", NULL},     {'k', "uniqueid", "1"},
	    {'e', NULL, NULL},           {'s', "bare", NULL}, {'k', "uniqueid", "1"},
	    {'e', NULL, NULL},           {0, NULL, NULL},
	};
	struct ipx_vici_msg *m = build(els);
	const struct ipx_vici_node *kv, *list, *unnamed;
	struct ipx_ike_sa sa;
	struct ipx_child_sa c;
	struct ipx_ike_conn conn[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	kv = m->root.child;
	list = kv->next;
	unnamed = list->next;
	CU_ASSERT_EQUAL(ipx_ike_parse_sa(kv, NOW, &sa), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_ike_parse_sa(list, NOW, &sa), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_ike_parse_sa(list->child, NOW, &sa), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_ike_parse_sa(unnamed, NOW, &sa), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_ike_parse_sa(NULL, NOW, &sa), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_ike_parse_child(kv, 1, NOW, &c), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_ike_parse_child(list, 1, NOW, &c), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_ike_parse_child(NULL, 1, NOW, &c), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_ike_parse_conn(kv, conn, 2), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_ike_parse_conn(list, conn, 2), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_ike_parse_conn(unnamed, conn, 2), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_ike_parse_conn(NULL, conn, 2), -EBADMSG);
	/* The root (a section named ""), as a whole event would be passed by mistake. */
	CU_ASSERT_EQUAL(ipx_ike_parse_sa(&m->root, NOW, &sa), -EBADMSG);
	CU_ASSERT_EQUAL(ipx_ike_parse_conn(&m->root, conn, 2), -EBADMSG);
	/* A bare section with a uniqueid is an IKE SA with nothing else known. */
	CU_ASSERT_EQUAL(ipx_ike_parse_sa(unnamed->next, NOW, &sa), 0);
	CU_ASSERT_EQUAL(sa.version, 0);
	CU_ASSERT_EQUAL(sa.exchange, IPX_IKE_EXCHANGE_UNKNOWN);
	CU_ASSERT_EQUAL(sa.state, IPX_IKE_STATE_UNKNOWN);
	CU_ASSERT_EQUAL(sa.local.family, 0);
	CU_ASSERT_EQUAL(sa.established_at, 0);
	CU_ASSERT_EQUAL(ipx_ike_cisco_state(&sa), IPX_CISCO_UNKNOWN);
	ipx_vici_msg_free(m);
}

/* Numbers that are not: the field stays 0, the rest of the section is read. */
static void test_malformed_numbers(void)
{
	static const struct kv sa_bad[] = {
	    {"version", "2a"},
	    {"local-port", "x"},
	    {"remote-port", ""},
	    {"initiator-spi", "xyz"},
	    {"responder-spi", "123456789abcdef01"}, /* 17 digits */
	    {"encr-keysize", "-128"},
	    {"integ-keysize", "1e3"},
	    {"established", "1.5"},
	    {"rekey-time", "-5"},
	    {"reauth-time", "9999999999"},
	    {"state", "established"}, /* names are exact */
	    {"local-host", "192.0.2.256"},
	    {"remote-host", "moon"},
	};
	static const struct kv child_bad[] = {
	    {"spi-in", "c6d7028g"}, {"spi-out", "1c6d7028e"}, {"reqid", "two"},
	    {"bytes-in", ""},       {"packets-in", "-1"},     {"bytes-out", "18446744073709551616"},
	    {"install-time", "x"},  {"rekey-time", "+5"},     {"life-time", " 5"},
	    {"mark-in", "zz"},      {"if-id-out", "0x1g"},    {"mode", "tunnel"},
	    {"protocol", "IPCOMP"}, {"state", "GONE"},        {"encr-keysize", "12 8"},
	};
	struct ipx_vici_msg *m;
	struct ipx_ike_sa sa;
	struct ipx_child_sa c;
	size_t i;

	m = ike_msg("vpn", NULL, NULL);
	for (i = 0; i < sizeof(sa_bad) / sizeof(sa_bad[0]); i++) {
		ipx_vici_msg_free(m);
		m = ike_msg("vpn", sa_bad[i].k, sa_bad[i].v);
		memset(&sa, 0xa5, sizeof(sa));
		CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_sa(m->root.child, NOW, &sa), 0);
		CU_ASSERT_EQUAL(sa.unique_id, 7); /* the rest is read */
		CHECK_STR(sa.dh_group, "ECP_384");
		switch (i) {
		case 0:
			CU_ASSERT_EQUAL(sa.version, 0);
			CU_ASSERT_EQUAL(sa.exchange, IPX_IKE_EXCHANGE_UNKNOWN);
			break;
		case 1: CU_ASSERT_EQUAL(sa.local_port, 0); break;
		case 2: CU_ASSERT_EQUAL(sa.remote_port, 0); break;
		case 3: CU_ASSERT_EQUAL(sa.spi_i, 0); break;
		case 4: CU_ASSERT_EQUAL(sa.spi_r, 0); break;
		case 5: CU_ASSERT_EQUAL(sa.encr_keysize, 0); break;
		case 6: CU_ASSERT_EQUAL(sa.integ_keysize, 0); break;
		case 7: CU_ASSERT_EQUAL(sa.established_at, 0); break;
		case 8: CU_ASSERT_EQUAL(sa.rekey_at, 0); break;
		case 9: CU_ASSERT_EQUAL(sa.reauth_at, 0); break;
		case 10: CU_ASSERT_EQUAL(sa.state, IPX_IKE_STATE_UNKNOWN); break;
		case 11: CU_ASSERT_EQUAL(sa.local.family, 0); break;
		case 12: CU_ASSERT_EQUAL(sa.remote.family, 0); break;
		}
	}
	ipx_vici_msg_free(m);

	for (i = 0; i < sizeof(child_bad) / sizeof(child_bad[0]); i++) {
		m = child_msg(child_bad[i].k, child_bad[i].v);
		memset(&c, 0xa5, sizeof(c));
		CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_child(m->root.child, 1, NOW, &c), 0);
		CU_ASSERT_EQUAL(c.unique_id, 9);
		CHECK_STR(c.dh_group, "MODP_2048");
		switch (i) {
		case 0: CU_ASSERT_EQUAL(c.spi_in, 0); break;
		case 1: CU_ASSERT_EQUAL(c.spi_out, 0); break;
		case 2: CU_ASSERT_EQUAL(c.reqid, 0); break;
		case 3: CU_ASSERT_EQUAL(c.bytes_in, 0); break;
		case 4: CU_ASSERT_EQUAL(c.packets_in, 0); break;
		case 5: CU_ASSERT_EQUAL(c.bytes_out, 0); break;
		case 6: CU_ASSERT_EQUAL(c.installed_at, 0); break;
		case 7: CU_ASSERT_EQUAL(c.rekey_at, 0); break;
		case 8: CU_ASSERT_EQUAL(c.expire_at, 0); break;
		case 9: CU_ASSERT_EQUAL(c.mark_in, 0); break;
		case 10: CU_ASSERT_EQUAL(c.if_id_out, 0); break;
		case 11: CU_ASSERT_EQUAL(c.mode, IPX_CHILD_MODE_UNKNOWN); break;
		case 12: CU_ASSERT_EQUAL(c.protocol, IPX_CHILD_PROTO_UNKNOWN); break;
		case 13: CU_ASSERT_EQUAL(c.state, IPX_CHILD_STATE_UNKNOWN); break;
		case 14: CU_ASSERT_EQUAL(c.encr_keysize, 0); break;
		}
		ipx_vici_msg_free(m);
	}
}

/* Numbers too large for a 16-bit field are malformed too, not taken modulo 65536. */
static void test_malformed_16bit_numbers(void)
{
	struct ipx_vici_msg *m;
	struct ipx_ike_sa sa;
	struct ipx_child_sa c;

	m = ike_msg("vpn", "local-port", "70000"); /* 70000 % 65536 = 4464 */
	CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_sa(m->root.child, NOW, &sa), 0);
	CU_ASSERT_EQUAL(sa.local_port, 0);
	ipx_vici_msg_free(m);
	m = ike_msg("vpn", "encr-keysize", "65664"); /* 65664 % 65536 = 128 */
	CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_sa(m->root.child, NOW, &sa), 0);
	CU_ASSERT_EQUAL(sa.encr_keysize, 0);
	ipx_vici_msg_free(m);
	m = child_msg("cpi-in", "14242"); /* 0x14242 & 0xffff = 0x4242 */
	CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_child(m->root.child, 1, NOW, &c), 0);
	CU_ASSERT_EQUAL(c.cpi_in, 0);
	ipx_vici_msg_free(m);
}

static void check_cut(const char *got, size_t size, char c)
{
	size_t i, n = strlen(got);

	CU_ASSERT_EQUAL(n, size - 1);
	for (i = 0; i < n && got[i] == c; i++)
		;
	CU_ASSERT_EQUAL(i, n);
}

/* Overlong names and values are cut to their field, NUL-terminated. */
static void test_overlong(void)
{
	char big[400], name[256];
	struct ipx_vici_builder b;
	struct ipx_vici_msg *m;
	struct ipx_ike_sa sa;
	struct ipx_child_sa c;
	struct ipx_ike_conn conn[2];
	size_t i, n;

	m = ike_msg(repeat(name, 100, 'n'), "local-id", repeat(big, 300, 'i'));
	memset(&sa, 0xa5, sizeof(sa));
	CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_sa(m->root.child, NOW, &sa), 0);
	check_cut(sa.name, sizeof(sa.name), 'n');
	check_cut(sa.local_id, sizeof(sa.local_id), 'i');
	CHECK_STR(sa.remote_id, "sun.strongswan.org");
	ipx_vici_msg_free(m);
	m = ike_msg("vpn", "encr-alg", repeat(big, 40, 'a'));
	CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_sa(m->root.child, NOW, &sa), 0);
	check_cut(sa.encr_alg, sizeof(sa.encr_alg), 'a');
	ipx_vici_msg_free(m);

	m = child_msg("name", repeat(big, 80, 'c'));
	CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_child(m->root.child, 1, NOW, &c), 0);
	check_cut(c.name, sizeof(c.name), 'c');
	ipx_vici_msg_free(m);

	/* Lists: 40 traffic selectors and 40 tasks, joined and cut. */
	ipx_vici_builder_init(&b);
	ipx_vici_begin_section(&b, repeat(name, 200, 'x'));
	ipx_vici_add_kv_str(&b, "uniqueid", "3");
	ipx_vici_add_kv_str(&b, "local_addrs", repeat(big, 300, '1'));
	ipx_vici_begin_list(&b, "tasks-active");
	for (i = 0; i < 40; i++)
		ipx_vici_add_item_str(&b, "IKE_CERT_POST");
	ipx_vici_end_list(&b);
	ipx_vici_begin_list(&b, "local-ts");
	for (i = 0; i < 40; i++)
		ipx_vici_add_item_str(&b, "198.51.100.0/24");
	ipx_vici_end_list(&b);
	ipx_vici_begin_section(&b, "children");
	ipx_vici_begin_section(&b, repeat(big, 100, 'k'));
	ipx_vici_begin_list(&b, "remote-ts");
	for (i = 0; i < 40; i++)
		ipx_vici_add_item_str(&b, "2001:db8:2::/64");
	ipx_vici_end_list(&b);
	ipx_vici_end_section(&b);
	ipx_vici_end_section(&b);
	ipx_vici_end_section(&b);
	m = finish(&b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);

	CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_sa(m->root.child, NOW, &sa), 0);
	check_cut(sa.name, sizeof(sa.name), 'x');
	n = strlen(sa.tasks_active);
	CU_ASSERT(n > 0 && n < sizeof(sa.tasks_active));
	CU_ASSERT(strncmp(sa.tasks_active, "IKE_CERT_POST, IKE_CERT_POST, ", 30) == 0);
	CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_child(m->root.child, 1, NOW, &c), 0);
	n = strlen(c.local_ts);
	CU_ASSERT(n > 0 && n < sizeof(c.local_ts));
	CU_ASSERT(strncmp(c.local_ts, "198.51.100.0/24, 198.51.100.0/24", 32) == 0);

	CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_conn(m->root.child, conn, 2), 1);
	check_cut(conn[0].name, sizeof(conn[0].name), 'x');
	check_cut(conn[0].child, sizeof(conn[0].child), 'k');
	check_cut(conn[0].local_addrs, sizeof(conn[0].local_addrs), '1');
	n = strlen(conn[0].remote_ts);
	CU_ASSERT(n > 0 && n < sizeof(conn[0].remote_ts));
	CU_ASSERT(strncmp(conn[0].remote_ts, "2001:db8:2::/64, ", 17) == 0);
	ipx_vici_msg_free(m);
}

/* ---- exchange and Cisco-style states -------------------------------------------------- */

static void test_parse_exchange(void)
{
	static const struct el els[] = {
	    {'s', "main", NULL},
	    {'k', "uniqueid", "1"},
	    {'k', "version", "1"},
	    {'l', "tasks-active", NULL},
	    {'i', NULL, "ISAKMP_VENDOR"},
	    {'i', NULL, "MAIN_MODE"},
	    {'L', NULL, NULL},
	    {'e', NULL, NULL},
	    {'s', "aggr-queued", NULL},
	    {'k', "uniqueid", "2"},
	    {'k', "version", "1"},
	    {'l', "tasks-queued", NULL},
	    {'i', NULL, "AGGRESSIVE_MODE"},
	    {'L', NULL, NULL},
	    {'e', NULL, NULL},
	    {'s', "aggr-passive", NULL},
	    {'k', "uniqueid", "3"},
	    {'k', "version", "1"},
	    {'l', "tasks-passive", NULL},
	    {'i', NULL, "AGGRESSIVE_MODE"},
	    {'L', NULL, NULL},
	    {'e', NULL, NULL},
	    {'s', "v1", NULL},
	    {'k', "uniqueid", "4"},
	    {'k', "version", "1"},
	    {'l', "tasks-active", NULL},
	    {'i', NULL, "QUICK_MODE"},
	    {'L', NULL, NULL},
	    {'e', NULL, NULL},
	    {'s', "v2", NULL},
	    {'k', "uniqueid", "5"},
	    {'k', "version", "2"},
	    {'l', "tasks-active", NULL},
	    {'i', NULL, "MAIN_MODE"},
	    {'L', NULL, NULL},
	    {'e', NULL, NULL},
	    {'s', "v3", NULL},
	    {'k', "uniqueid", "6"},
	    {'k', "version", "3"},
	    {'e', NULL, NULL},
	    {'s', "kv", NULL},
	    {'k', "uniqueid", "7"},
	    {'k', "version", "1"},
	    {'k', "tasks-active", "MAIN_MODE"},
	    {'e', NULL, NULL},
	    {0, NULL, NULL},
	};
	static const struct {
		uint8_t version, exchange;
		const char *tasks;
	} want[] = {
	    {1, IPX_IKE_EXCHANGE_MAIN, "ISAKMP_VENDOR, MAIN_MODE"},
	    {1, IPX_IKE_EXCHANGE_AGGRESSIVE, ""},
	    {1, IPX_IKE_EXCHANGE_AGGRESSIVE, ""},
	    {1, IPX_IKE_EXCHANGE_IKEV1, "QUICK_MODE"},
	    {2, IPX_IKE_EXCHANGE_IKEV2, "MAIN_MODE"},
	    {3, IPX_IKE_EXCHANGE_UNKNOWN, ""},
	    /* a single key/value is no task list, but its text is kept */
	    {1, IPX_IKE_EXCHANGE_IKEV1, "MAIN_MODE"},
	};
	struct ipx_vici_msg *m = build(els);
	const struct ipx_vici_node *n;
	struct ipx_ike_sa sa;
	size_t i = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	for (n = m->root.child; n; n = n->next, i++) {
		CU_ASSERT_FATAL(i < sizeof(want) / sizeof(want[0]));
		CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_sa(n, NOW, &sa), 0);
		CU_ASSERT_EQUAL(sa.version, want[i].version);
		CU_ASSERT_EQUAL(sa.exchange, want[i].exchange);
		CHECK_STR(sa.tasks_active, want[i].tasks);
	}
	CU_ASSERT_EQUAL(i, sizeof(want) / sizeof(want[0]));
	ipx_vici_msg_free(m);
}

static void test_cisco_state(void)
{
	enum { V1M, V1, AGG, V2 };
	static const struct {
		int kind;
		uint8_t state;
		uint64_t spi_r;
		const char *tasks;
		enum ipx_cisco_state want;
	} cases[] = {
	    /* IKEv1 main mode, and IKEv1 whose mode is not known: Cisco's MM_* */
	    {V1M, IPX_IKE_CREATED, 0, "", IPX_CISCO_MM_NO_STATE},
	    {V1M, IPX_IKE_CONNECTING, 0, "MAIN_MODE", IPX_CISCO_MM_NO_STATE},
	    {V1M, IPX_IKE_CONNECTING, 42, "MAIN_MODE", IPX_CISCO_MM_SA_SETUP},
	    {V1M, IPX_IKE_ESTABLISHED, 42, "", IPX_CISCO_QM_IDLE},
	    {V1M, IPX_IKE_PASSIVE, 42, "", IPX_CISCO_QM_IDLE},
	    {V1M, IPX_IKE_REKEYING, 42, "", IPX_CISCO_QM_IDLE},
	    {V1M, IPX_IKE_REKEYED, 42, "", IPX_CISCO_QM_IDLE},
	    {V1M, IPX_IKE_DELETING, 42, "", IPX_CISCO_MM_NO_STATE},
	    {V1M, IPX_IKE_DESTROYING, 42, "", IPX_CISCO_MM_NO_STATE},
	    {V1M, IPX_IKE_STATE_UNKNOWN, 42, "", IPX_CISCO_UNKNOWN},
	    {V1, IPX_IKE_CREATED, 0, "", IPX_CISCO_MM_NO_STATE},
	    {V1, IPX_IKE_CONNECTING, 0, "", IPX_CISCO_MM_NO_STATE},
	    {V1, IPX_IKE_CONNECTING, 42, "", IPX_CISCO_MM_SA_SETUP},
	    {V1, IPX_IKE_ESTABLISHED, 42, "", IPX_CISCO_QM_IDLE},
	    {V1, IPX_IKE_DELETING, 42, "", IPX_CISCO_MM_NO_STATE},
	    /* IKEv1 aggressive mode: AG_* */
	    {AGG, IPX_IKE_CREATED, 0, "", IPX_CISCO_AG_NO_STATE},
	    {AGG, IPX_IKE_CONNECTING, 0, "AGGRESSIVE_MODE", IPX_CISCO_AG_NO_STATE},
	    {AGG, IPX_IKE_CONNECTING, 42, "AGGRESSIVE_MODE", IPX_CISCO_AG_INIT_EXCH},
	    {AGG, IPX_IKE_ESTABLISHED, 42, "", IPX_CISCO_QM_IDLE},
	    {AGG, IPX_IKE_PASSIVE, 42, "", IPX_CISCO_QM_IDLE},
	    {AGG, IPX_IKE_REKEYING, 42, "", IPX_CISCO_QM_IDLE},
	    {AGG, IPX_IKE_REKEYED, 42, "", IPX_CISCO_QM_IDLE},
	    {AGG, IPX_IKE_DELETING, 42, "", IPX_CISCO_AG_NO_STATE},
	    {AGG, IPX_IKE_DESTROYING, 42, "", IPX_CISCO_AG_NO_STATE},
	    {AGG, IPX_IKE_STATE_UNKNOWN, 42, "", IPX_CISCO_UNKNOWN},
	    /* IKEv2 */
	    {V2, IPX_IKE_CREATED, 0, "", IPX_CISCO_MM_NO_STATE},
	    {V2, IPX_IKE_CONNECTING, 0, "IKE_INIT", IPX_CISCO_MM_NO_STATE},
	    {V2, IPX_IKE_CONNECTING, 42, "", IPX_CISCO_MM_KEY_EXCH},
	    {V2, IPX_IKE_CONNECTING, 42, "IKE_INIT, IKE_NATD", IPX_CISCO_MM_KEY_EXCH},
	    {V2, IPX_IKE_CONNECTING, 42, "IKE_AUTH", IPX_CISCO_MM_KEY_AUTH},
	    {V2, IPX_IKE_CONNECTING, 42, "IKE_CERT_PRE, IKE_AUTH, IKE_CERT_POST",
	     IPX_CISCO_MM_KEY_AUTH},
	    {V2, IPX_IKE_CONNECTING, 42, "CHILD_CREATE, IKE_AUTH", IPX_CISCO_MM_KEY_AUTH},
	    /* task names that contain IKE_AUTH are not IKE_AUTH */
	    {V2, IPX_IKE_CONNECTING, 42, "IKE_AUTH_LIFETIME", IPX_CISCO_MM_KEY_EXCH},
	    {V2, IPX_IKE_CONNECTING, 42, "IKE_AUTH_LIFETIME, CHILD_CREATE", IPX_CISCO_MM_KEY_EXCH},
	    {V2, IPX_IKE_CONNECTING, 42, "XIKE_AUTH", IPX_CISCO_MM_KEY_EXCH},
	    {V2, IPX_IKE_ESTABLISHED, 42, "", IPX_CISCO_QM_IDLE},
	    {V2, IPX_IKE_ESTABLISHED, 42, "IKE_AUTH", IPX_CISCO_QM_IDLE},
	    {V2, IPX_IKE_PASSIVE, 42, "", IPX_CISCO_QM_IDLE},
	    {V2, IPX_IKE_REKEYING, 42, "IKE_REKEY", IPX_CISCO_QM_IDLE},
	    {V2, IPX_IKE_REKEYED, 42, "", IPX_CISCO_QM_IDLE},
	    {V2, IPX_IKE_DELETING, 42, "IKE_DELETE", IPX_CISCO_MM_NO_STATE},
	    {V2, IPX_IKE_DESTROYING, 42, "", IPX_CISCO_MM_NO_STATE},
	    {V2, IPX_IKE_STATE_UNKNOWN, 42, "", IPX_CISCO_UNKNOWN},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ipx_ike_sa sa;
		enum ipx_cisco_state got;

		memset(&sa, 0, sizeof(sa));
		sa.version = cases[i].kind == V2 ? 2 : 1;
		sa.exchange = cases[i].kind == V2    ? IPX_IKE_EXCHANGE_IKEV2
		              : cases[i].kind == AGG ? IPX_IKE_EXCHANGE_AGGRESSIVE
		              : cases[i].kind == V1M ? IPX_IKE_EXCHANGE_MAIN
		                                     : IPX_IKE_EXCHANGE_IKEV1;
		sa.state = cases[i].state;
		sa.spi_i = 0x1122334455667788ULL;
		sa.spi_r = cases[i].spi_r;
		snprintf(sa.tasks_active, sizeof(sa.tasks_active), "%s", cases[i].tasks);
		got = ipx_ike_cisco_state(&sa);
		CU_ASSERT_EQUAL(got, cases[i].want);
		if (got != cases[i].want)
			fprintf(stderr, "\n  case %zu: got %s, want %s\n", i,
			        ipx_cisco_state_name(got), ipx_cisco_state_name(cases[i].want));
	}
}

static void test_state_names(void)
{
	static const char *const ike[] = {"UNKNOWN",     "CREATED",  "CONNECTING",
	                                  "ESTABLISHED", "PASSIVE",  "REKEYING",
	                                  "REKEYED",     "DELETING", "DESTROYING"};
	static const char *const child[] = {"UNKNOWN",   "CREATED",  "ROUTED",   "INSTALLING",
	                                    "INSTALLED", "UPDATING", "REKEYING", "REKEYED",
	                                    "RETRYING",  "DELETING", "DELETED",  "DESTROYING"};
	static const char *const cisco[] = {"UNKNOWN",      "MM_NO_STATE", "MM_SA_SETUP",
	                                    "MM_KEY_EXCH",  "MM_KEY_AUTH", "AG_NO_STATE",
	                                    "AG_INIT_EXCH", "AG_AUTH",     "QM_IDLE"};
	static const unsigned int outside[] = {255, 256, 1000, UINT32_MAX};
	unsigned int i;

	for (i = 0; i < 9; i++)
		CHECK_STR(ipx_ike_state_name(i), ike[i]);
	for (i = 0; i < 12; i++)
		CHECK_STR(ipx_child_state_name(i), child[i]);
	for (i = 0; i < 9; i++)
		CHECK_STR(ipx_cisco_state_name(i), cisco[i]);
	CU_ASSERT_EQUAL(IPX_IKE_DESTROYING, 8);
	CU_ASSERT_EQUAL(IPX_CHILD_DESTROYING, 11);
	CU_ASSERT_EQUAL(IPX_CISCO_QM_IDLE, 8);
	CHECK_STR(ipx_ike_state_name(9), "UNKNOWN");
	CHECK_STR(ipx_child_state_name(12), "UNKNOWN");
	CHECK_STR(ipx_cisco_state_name(9), "UNKNOWN");
	for (i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		CHECK_STR(ipx_ike_state_name(outside[i]), "UNKNOWN");
		CHECK_STR(ipx_child_state_name(outside[i]), "UNKNOWN");
		CHECK_STR(ipx_cisco_state_name(outside[i]), "UNKNOWN");
	}
	/* The parser knows every name it prints. */
	for (i = 1; i < 9; i++) {
		struct ipx_vici_msg *m = ike_msg("vpn", "state", ike[i]);
		struct ipx_ike_sa sa;
		CU_ASSERT_EQUAL(ipx_ike_parse_sa(m->root.child, NOW, &sa), 0);
		CU_ASSERT_EQUAL(sa.state, i);
		ipx_vici_msg_free(m);
	}
	for (i = 1; i < 12; i++) {
		struct ipx_vici_msg *m = child_msg("state", child[i]);
		struct ipx_child_sa c;
		CU_ASSERT_EQUAL(ipx_ike_parse_child(m->root.child, 1, NOW, &c), 0);
		CU_ASSERT_EQUAL(c.state, i);
		ipx_vici_msg_free(m);
	}
}

/* ---- the store: rows ------------------------------------------------------------------ */

/* A kernel SA to DST (inbound: DST is the IKE SA's local host). */
static struct ipx_sa mk_kernel(uint32_t spi, const char *src, const char *dst, uint64_t bytes,
                               uint64_t packets)
{
	struct ipx_sa sa;

	memset(&sa, 0, sizeof(sa));
	set_addr(&sa.key.daddr, dst);
	set_addr(&sa.saddr, src);
	sa.key.spi = spi;
	sa.key.proto = IPPROTO_ESP;
	sa.mode = IPX_MODE_TUNNEL;
	sa.reqid = 1;
	sa.cur_bytes = bytes;
	sa.cur_packets = packets;
	return sa;
}

static uint32_t sa_id(const struct ipx_ike_store *st, uint32_t source, uint32_t uid)
{
	const struct ipx_ike_sa_row *r = ipx_ike_sa_find(st, source, uid);

	return r ? r->h.id : 0;
}

static uint32_t child_id(const struct ipx_ike_store *st, uint32_t source, uint32_t uid)
{
	const struct ipx_child_row *r = ipx_child_find(st, source, uid);

	return r ? r->h.id : 0;
}

/* A connection row, or (asserted missing) one whose figures are all ones. */
static const struct ipx_conn_row *conn_of(const struct ipx_ike_store *st, uint32_t source,
                                          const char *name, const char *child)
{
	static struct ipx_conn_row none;
	const struct ipx_conn_row *r = ipx_conn_find(st, source, name, child);

	CU_ASSERT_PTR_NOT_NULL(r);
	if (r)
		return r;
	memset(&none, 0xff, sizeof(none));
	return &none;
}

/* Counters, or (asserted missing) all ones. */
static const struct ipx_conn_counters *ctr_of(const struct ipx_ike_store *st, uint32_t source,
                                              const char *conn, const char *child)
{
	static struct ipx_conn_counters none;
	const struct ipx_conn_counters *c = ipx_ike_counters(st, source, conn, child);

	CU_ASSERT_PTR_NOT_NULL(c);
	if (c)
		return c;
	memset(&none, 0xff, sizeof(none));
	return &none;
}

static void test_store_ids(void)
{
	struct ipx_ike_store *st = ipx_ike_store_new(NULL);
	struct ipx_ike_sa sa[3] = {mk_ike(11, "a"), mk_ike(12, "b"), mk_ike(13, "c")};
	struct ipx_child_sa c[2] = {mk_child(21, 11, "x", 1, 2), mk_child(22, 12, "y", 3, 4)};
	struct ipx_ike_conn cn[2] = {mk_conn("a", "x"), mk_conn("b", "y")};
	const struct ipx_ike_sa_row *r;
	int round;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	/* The same listing three times: the same ids. */
	for (round = 0; round < 3; round++) {
		ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_SA);
		for (i = 0; i < 3; i++)
			CU_ASSERT_EQUAL(ipx_ike_upsert_sa(st, 1, &sa[i]), 0);
		for (i = 0; i < 2; i++)
			CU_ASSERT_EQUAL(ipx_ike_upsert_child(st, 1, &c[i]), 0);
		CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 1, IPX_IKE_KIND_SA), 0);
		ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_CONN);
		for (i = 0; i < 2; i++)
			CU_ASSERT_EQUAL(ipx_ike_upsert_conn(st, 1, &cn[i]), 0);
		CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 1, IPX_IKE_KIND_CONN), 0);
		CU_ASSERT_EQUAL(sa_id(st, 1, 11), 1);
		CU_ASSERT_EQUAL(sa_id(st, 1, 12), 2);
		CU_ASSERT_EQUAL(sa_id(st, 1, 13), 3);
		CU_ASSERT_EQUAL(child_id(st, 1, 21), 1);
		CU_ASSERT_EQUAL(child_id(st, 1, 22), 2);
		CU_ASSERT_EQUAL(conn_of(st, 1, "a", "x")->h.id, 1);
		CU_ASSERT_EQUAL(conn_of(st, 1, "b", "y")->h.id, 2);
	}
	CU_ASSERT_EQUAL(ipx_ike_sa_count(st), 3);
	CU_ASSERT_EQUAL(ipx_child_count(st), 2);
	CU_ASSERT_EQUAL(ipx_conn_count(st), 2);
	CU_ASSERT_EQUAL(ipx_cert_count(st), 0);
	/* An update keeps the row and changes its values. */
	r = ipx_ike_sa_find(st, 1, 12);
	sa[1].state = IPX_IKE_REKEYING;
	CU_ASSERT_EQUAL(ipx_ike_upsert_sa(st, 1, &sa[1]), 0);
	CU_ASSERT_PTR_EQUAL(ipx_ike_sa_find(st, 1, 12), r);
	CU_ASSERT_EQUAL(r->sa.state, IPX_IKE_REKEYING);
	CU_ASSERT_PTR_EQUAL(ipx_ike_sa_by_id(st, 2), r);
	/* A deleted id is never handed out again, to the same uniqueid or another. */
	CU_ASSERT_EQUAL(ipx_ike_delete_sa(st, 1, 12), 0);
	CU_ASSERT_EQUAL(ipx_ike_delete_sa(st, 1, 12), -ENOENT);
	CU_ASSERT_PTR_NULL(ipx_ike_sa_by_id(st, 2));
	CU_ASSERT_EQUAL(ipx_child_count(st), 1); /* child 22 went with it */
	CU_ASSERT_PTR_NULL(ipx_child_by_id(st, 2));
	CU_ASSERT_EQUAL(ipx_ike_upsert_sa(st, 1, &sa[1]), 0);
	CU_ASSERT_EQUAL(sa_id(st, 1, 12), 4);
	CU_ASSERT_EQUAL(ipx_ike_upsert_child(st, 1, &c[1]), 0);
	CU_ASSERT_EQUAL(child_id(st, 1, 22), 3);
	CU_ASSERT_EQUAL(ipx_ike_delete_child(st, 1, 22), 0);
	CU_ASSERT_EQUAL(ipx_ike_delete_child(st, 1, 22), -ENOENT);
	CU_ASSERT_EQUAL(ipx_ike_upsert_child(st, 1, &c[1]), 0);
	CU_ASSERT_EQUAL(child_id(st, 1, 22), 4);
	/* The same uniqueid from another source is another row. */
	CU_ASSERT_EQUAL(ipx_ike_upsert_sa(st, 2, &sa[0]), 0);
	CU_ASSERT_EQUAL(sa_id(st, 2, 11), 5);
	CU_ASSERT_EQUAL(sa_id(st, 1, 11), 1);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 2, 11)->h.source, 2);
	/* GETNEXT: ids 1, 3, 4, 5. */
	CU_ASSERT_EQUAL(ipx_ike_sa_next(st, 0)->h.id, 1);
	CU_ASSERT_EQUAL(ipx_ike_sa_next(st, 1)->h.id, 3);
	CU_ASSERT_EQUAL(ipx_ike_sa_next(st, 2)->h.id, 3);
	CU_ASSERT_EQUAL(ipx_ike_sa_next(st, 3)->h.id, 4);
	CU_ASSERT_EQUAL(ipx_ike_sa_next(st, 4)->h.id, 5);
	CU_ASSERT_PTR_NULL(ipx_ike_sa_next(st, 5));
	CU_ASSERT_PTR_NULL(ipx_ike_sa_next(st, UINT32_MAX));
	CU_ASSERT_PTR_NULL(ipx_ike_sa_by_id(st, 0));
	CU_ASSERT_PTR_NULL(ipx_ike_sa_by_id(st, 6));
	CU_ASSERT_EQUAL(ipx_child_next(st, 0)->h.id, 1);
	CU_ASSERT_EQUAL(ipx_child_next(st, 1)->h.id, 4);
	CU_ASSERT_PTR_NULL(ipx_child_next(st, 4));
	CU_ASSERT_EQUAL(ipx_conn_next(st, 0)->h.id, 1);
	CU_ASSERT_EQUAL(ipx_conn_next(st, 1)->h.id, 2);
	CU_ASSERT_PTR_NULL(ipx_conn_next(st, 2));
	CU_ASSERT_PTR_NULL(ipx_cert_next(st, 0));
	CU_ASSERT_EQUAL(ipx_ike_sa_count(st), 4);
	CU_ASSERT_EQUAL(ipx_child_count(st), 2);
	/* Sources outside 1..IPX_IKE_MAX_SOURCES. */
	CU_ASSERT_EQUAL(ipx_ike_upsert_sa(st, 0, &sa[0]), -EINVAL);
	CU_ASSERT_EQUAL(ipx_ike_upsert_sa(st, IPX_IKE_MAX_SOURCES + 1, &sa[0]), -EINVAL);
	CU_ASSERT_EQUAL(ipx_ike_upsert_child(st, 0, &c[0]), -EINVAL);
	CU_ASSERT_EQUAL(ipx_ike_upsert_conn(st, IPX_IKE_MAX_SOURCES + 1, &cn[0]), -EINVAL);
	CU_ASSERT_EQUAL(ipx_ike_upsert_sa(st, IPX_IKE_MAX_SOURCES, &sa[0]), 0);
	ipx_ike_sync_begin(st, 0, IPX_IKE_KIND_SA);
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 0, IPX_IKE_KIND_SA), 0);
	ipx_ike_sync_abort(st, IPX_IKE_MAX_SOURCES + 1, IPX_IKE_KIND_SA);
	ipx_ike_source_down(st, 0);
	CU_ASSERT_EQUAL(ipx_ike_sa_count(st), 5);
	CU_ASSERT_EQUAL(ipx_ike_delete_sa(st, 3, 11), -ENOENT);
	CU_ASSERT_EQUAL(ipx_ike_delete_child(st, 2, 21), -ENOENT);
	ipx_ike_store_free(st);
	ipx_ike_store_free(NULL);
}

/* Interleaved listings of two sources: each end sweeps its own source's unseen rows only. */
static void test_store_sweep_two_sources(void)
{
	struct ipx_ike_store *st = ipx_ike_store_new(NULL);
	struct ipx_ike_sa a1 = mk_ike(1, "a"), a2 = mk_ike(2, "a"), b1 = mk_ike(1, "b");
	struct ipx_child_sa c1 = mk_child(10, 1, "x", 1, 2), c2 = mk_child(11, 2, "x", 3, 4);
	struct ipx_child_sa d1 = mk_child(10, 1, "y", 5, 6), d2 = mk_child(12, 1, "y", 7, 8);
	struct ipx_ike_conn ca = mk_conn("a", "x"), cb = mk_conn("b", "y"), cb2 = mk_conn("b", "z");

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	ipx_ike_upsert_sa(st, 1, &a1);
	ipx_ike_upsert_sa(st, 1, &a2);
	ipx_ike_upsert_child(st, 1, &c1);
	ipx_ike_upsert_child(st, 1, &c2);
	ipx_ike_upsert_conn(st, 1, &ca);
	ipx_ike_upsert_sa(st, 2, &b1);
	ipx_ike_upsert_child(st, 2, &d1);
	ipx_ike_upsert_child(st, 2, &d2);
	ipx_ike_upsert_conn(st, 2, &cb);
	ipx_ike_upsert_conn(st, 2, &cb2);
	CU_ASSERT_EQUAL(ipx_ike_sa_count(st), 3);
	CU_ASSERT_EQUAL(ipx_child_count(st), 4);

	/* Source 2 starts, then source 1; their rows arrive mixed. */
	ipx_ike_sync_begin(st, 2, IPX_IKE_KIND_SA);
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_SA);
	ipx_ike_upsert_sa(st, 1, &a1);
	ipx_ike_upsert_sa(st, 2, &b1);
	ipx_ike_upsert_child(st, 1, &c1);
	ipx_ike_upsert_child(st, 2, &d2);
	/* Source 1 lists neither IKE SA 2 nor its child 11: both go; source 2 is untouched. */
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 1, IPX_IKE_KIND_SA), 2);
	CU_ASSERT_PTR_NULL(ipx_ike_sa_find(st, 1, 2));
	CU_ASSERT_PTR_NULL(ipx_child_find(st, 1, 11));
	CU_ASSERT_PTR_NOT_NULL(ipx_ike_sa_find(st, 1, 1));
	CU_ASSERT_PTR_NOT_NULL(ipx_child_find(st, 1, 10));
	CU_ASSERT_PTR_NOT_NULL(ipx_child_find(st, 2, 10)); /* not listed, but 2 is still open */
	CU_ASSERT_EQUAL(ipx_child_count(st), 3);
	/* An event of source 2 while its listing is open counts as listed. */
	c2.unique_id = 13;
	c2.ike_unique_id = 1;
	ipx_ike_upsert_child(st, 2, &c2);
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 2, IPX_IKE_KIND_SA), 1); /* child 10 of source 2 */
	CU_ASSERT_PTR_NULL(ipx_child_find(st, 2, 10));
	CU_ASSERT_PTR_NOT_NULL(ipx_child_find(st, 2, 12));
	CU_ASSERT_PTR_NOT_NULL(ipx_child_find(st, 2, 13));
	CU_ASSERT_EQUAL(ipx_ike_sa_count(st), 2);
	CU_ASSERT_EQUAL(ipx_child_count(st), 3);
	/* Ids did not move. */
	CU_ASSERT_EQUAL(sa_id(st, 1, 1), 1);
	CU_ASSERT_EQUAL(sa_id(st, 2, 1), 3);
	/* A listing that is not open sweeps nothing. */
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 1, IPX_IKE_KIND_SA), 0);
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 2, IPX_IKE_KIND_CONN), 0);
	/* A listing of connections sweeps connections only. */
	ipx_ike_sync_begin(st, 2, IPX_IKE_KIND_CONN);
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_CONN);
	ipx_ike_upsert_conn(st, 2, &cb2);
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 2, IPX_IKE_KIND_CONN), 1);
	CU_ASSERT_PTR_NULL(ipx_conn_find(st, 2, "b", "y"));
	CU_ASSERT_PTR_NOT_NULL(ipx_conn_find(st, 2, "b", "z"));
	CU_ASSERT_PTR_NOT_NULL(ipx_conn_find(st, 1, "a", "x"));
	CU_ASSERT_EQUAL(ipx_ike_sa_count(st), 2);
	CU_ASSERT_EQUAL(ipx_child_count(st), 3);
	/* Source 1 listed no connection at all. */
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 1, IPX_IKE_KIND_CONN), 1);
	CU_ASSERT_EQUAL(ipx_conn_count(st), 1);
	CU_ASSERT_EQUAL(ipx_ike_sa_count(st), 2);
	/* A row that appeared by event before a listing, and is not in it, goes. */
	ipx_ike_upsert_sa(st, 1, &a2);
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_SA);
	ipx_ike_upsert_sa(st, 1, &a1);
	ipx_ike_upsert_child(st, 1, &c1);
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 1, IPX_IKE_KIND_SA), 1);
	CU_ASSERT_PTR_NULL(ipx_ike_sa_find(st, 1, 2));
	ipx_ike_store_free(st);
}

/* charon's counters (get-counters): rows by (source, scope, name) with stable ids, replaced
 * by each listing per source, kept by an aborted one and when the source goes down. */
static void test_store_ike_counters(void)
{
	struct ipx_ike_store *st = ipx_ike_store_new(NULL);
	const struct ipx_ike_counter_row *r;
	char longname[100];
	uint32_t id_g, id_a, id_2;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(ipx_ike_upsert_counter(st, 0, "", "invalid", 1), -EINVAL);
	CU_ASSERT_EQUAL(ipx_ike_upsert_counter(st, IPX_IKE_MAX_SOURCES + 1, "", "invalid", 1),
	                -EINVAL);
	CU_ASSERT_EQUAL(ipx_ike_upsert_counter(st, 1, NULL, "invalid", 1), -EINVAL);
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_COUNTERS);
	CU_ASSERT_EQUAL(ipx_ike_upsert_counter(st, 1, "", "invalid", 5), 0);
	CU_ASSERT_EQUAL(ipx_ike_upsert_counter(st, 1, "a", "invalid", 6), 0);
	CU_ASSERT_EQUAL(ipx_ike_upsert_counter(st, 1, "a", "child-rekey", 7), 0);
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 1, IPX_IKE_KIND_COUNTERS), 0);
	ipx_ike_sync_begin(st, 2, IPX_IKE_KIND_COUNTERS);
	CU_ASSERT_EQUAL(ipx_ike_upsert_counter(st, 2, "", "invalid", 9), 0);
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 2, IPX_IKE_KIND_COUNTERS), 0);
	CU_ASSERT_EQUAL(ipx_ike_counter_count(st), 4);
	/* scope "" and "a" and source 1 and 2 are different rows */
	r = ipx_ike_counter_find(st, 1, "", "invalid");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->value, 5);
	CU_ASSERT_EQUAL(r->h.source, 1);
	CU_ASSERT_EQUAL(r->h.id, 1);
	id_g = r->h.id;
	id_a = ipx_ike_counter_find(st, 1, "a", "invalid")->h.id;
	id_2 = ipx_ike_counter_find(st, 2, "", "invalid")->h.id;
	CU_ASSERT_EQUAL(ipx_ike_counter_find(st, 2, "", "invalid")->value, 9);
	CU_ASSERT_PTR_NULL(ipx_ike_counter_find(st, 2, "a", "invalid"));
	/* walked in id order */
	r = ipx_ike_counter_next(st, 0);
	CU_ASSERT_PTR_EQUAL(r, ipx_ike_counter_by_id(st, id_g));
	r = ipx_ike_counter_next(st, id_g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->h.id, id_a);
	CU_ASSERT_STRING_EQUAL(r->scope, "a");
	CU_ASSERT_PTR_NULL(ipx_ike_counter_next(st, id_2));

	/* source 1 lists again without a/child-rekey, with a new counter: updated in place,
	 * swept, a new id; source 2 untouched */
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_COUNTERS);
	ipx_ike_upsert_counter(st, 1, "", "invalid", 50);
	ipx_ike_upsert_counter(st, 1, "a", "invalid", 0); /* charon reset its counters */
	ipx_ike_upsert_counter(st, 1, "b", "invalid", 1);
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 1, IPX_IKE_KIND_COUNTERS), 1);
	CU_ASSERT_EQUAL(ipx_ike_counter_count(st), 4);
	CU_ASSERT_EQUAL(ipx_ike_counter_find(st, 1, "", "invalid")->h.id, id_g);
	CU_ASSERT_EQUAL(ipx_ike_counter_find(st, 1, "", "invalid")->value, 50);
	CU_ASSERT_EQUAL(ipx_ike_counter_find(st, 1, "a", "invalid")->h.id, id_a);
	CU_ASSERT_EQUAL(ipx_ike_counter_find(st, 1, "a", "invalid")->value, 0);
	CU_ASSERT_PTR_NULL(ipx_ike_counter_find(st, 1, "a", "child-rekey"));
	CU_ASSERT(ipx_ike_counter_find(st, 1, "b", "invalid")->h.id > id_2);
	CU_ASSERT_EQUAL(ipx_ike_counter_find(st, 2, "", "invalid")->h.id, id_2);

	/* an aborted listing sweeps nothing (values it brought stay) */
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_COUNTERS);
	ipx_ike_upsert_counter(st, 1, "", "invalid", 51);
	ipx_ike_sync_abort(st, 1, IPX_IKE_KIND_COUNTERS);
	CU_ASSERT_EQUAL(ipx_ike_counter_count(st), 4);
	CU_ASSERT_EQUAL(ipx_ike_counter_find(st, 1, "", "invalid")->value, 51);

	/* the source goes down: its counters stay as last listed (charon's are cumulative),
	 * and a listing open then is closed */
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_COUNTERS);
	ipx_ike_source_down(st, 1);
	CU_ASSERT_EQUAL(ipx_ike_counter_count(st), 4);
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 1, IPX_IKE_KIND_COUNTERS), 0);
	CU_ASSERT_EQUAL(ipx_ike_counter_count(st), 4);

	/* names longer than the row's fields are cut, and found by the cut name */
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CU_ASSERT_EQUAL(ipx_ike_upsert_counter(st, 1, longname, longname, 1), 0);
	r = ipx_ike_counter_next(st, ipx_ike_counter_find(st, 1, "b", "invalid")->h.id);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(strlen(r->scope), IPX_IKE_NAME_MAX - 1);
	CU_ASSERT_EQUAL(strlen(r->name), IPX_IKE_COUNTER_NAME_MAX - 1);
	CU_ASSERT_PTR_EQUAL(ipx_ike_counter_find(st, 1, r->scope, r->name), r);
	CU_ASSERT_EQUAL(ipx_ike_upsert_counter(st, 1, longname, longname, 2), 0);
	CU_ASSERT_EQUAL(r->value, 2);
	CU_ASSERT_EQUAL(ipx_ike_counter_count(st), 5);
	ipx_ike_store_free(st);
}

static void test_store_abort_and_source_down(void)
{
	struct ipx_ike_store *st = ipx_ike_store_new(NULL);
	struct ipx_ike_sa a1 = mk_ike(1, "a"), a2 = mk_ike(2, "a");
	struct ipx_child_sa c1 = mk_child(10, 1, "x", 1, 2), c2 = mk_child(11, 2, "x", 3, 4);
	struct ipx_ike_conn ca = mk_conn("a", "x");
	struct ipx_cert_info ci;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	memset(&ci, 0, sizeof(ci));
	snprintf(ci.subject, sizeof(ci.subject), "CN=moon");
	snprintf(ci.issuer, sizeof(ci.issuer), "CN=ca");
	snprintf(ci.serial, sizeof(ci.serial), "01");
	ipx_ike_upsert_conn(st, 1, &ca);
	ipx_ike_upsert_cert(st, 1, &ci, "X509", IPX_CERT_FLAG_NONE, 0);
	ipx_ike_upsert_sa(st, 1, &a1);
	ipx_ike_upsert_child(st, 1, &c1);
	ipx_ike_upsert_sa(st, 2, &a1);
	CU_ASSERT_EQUAL(conn_of(st, 1, "a", "x")->ike_sas, 1);
	CU_ASSERT_EQUAL(conn_of(st, 1, "a", "x")->child_sas, 1);
	/* A listing that fails half-way keeps everything; its figures are recomputed. */
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_SA);
	ipx_ike_upsert_sa(st, 1, &a2);
	ipx_ike_upsert_child(st, 1, &c2);
	ipx_ike_sync_abort(st, 1, IPX_IKE_KIND_SA);
	CU_ASSERT_EQUAL(ipx_ike_sa_count(st), 3);
	CU_ASSERT_EQUAL(ipx_child_count(st), 2);
	CU_ASSERT_PTR_NOT_NULL(ipx_ike_sa_find(st, 1, 1));
	CU_ASSERT_PTR_NOT_NULL(ipx_child_find(st, 1, 10));
	CU_ASSERT_EQUAL(conn_of(st, 1, "a", "x")->ike_sas, 2);
	CU_ASSERT_EQUAL(conn_of(st, 1, "a", "x")->child_sas, 2);
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 1, IPX_IKE_KIND_SA), 0); /* closed */
	CU_ASSERT_EQUAL(ipx_ike_sa_count(st), 3);
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_CONN);
	ipx_ike_sync_abort(st, 1, IPX_IKE_KIND_CONN);
	CU_ASSERT_EQUAL(ipx_conn_count(st), 1);
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_CERT);
	ipx_ike_sync_abort(st, 1, IPX_IKE_KIND_CERT);
	CU_ASSERT_EQUAL(ipx_cert_count(st), 1);

	/* Source 1 goes away: its IKE and CHILD_SAs go, its conns and certs stay. */
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_SA);
	ipx_ike_source_down(st, 1);
	CU_ASSERT_EQUAL(ipx_ike_sa_count(st), 1);
	CU_ASSERT_PTR_NOT_NULL(ipx_ike_sa_find(st, 2, 1));
	CU_ASSERT_EQUAL(ipx_child_count(st), 0);
	CU_ASSERT_EQUAL(ipx_conn_count(st), 1);
	CU_ASSERT_EQUAL(ipx_cert_count(st), 1);
	CU_ASSERT_EQUAL(conn_of(st, 1, "a", "x")->ike_sas, 0);
	CU_ASSERT_EQUAL(conn_of(st, 1, "a", "x")->child_sas, 0);
	/* Its open listing is closed: nothing more is swept by its end. */
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 1, IPX_IKE_KIND_SA), 0);
	/* It comes back: new rows, new ids. */
	CU_ASSERT_EQUAL(ipx_ike_upsert_sa(st, 1, &a1), 0);
	CU_ASSERT_EQUAL(sa_id(st, 1, 1), 4);
	CU_ASSERT_EQUAL(conn_of(st, 1, "a", "x")->ike_sas, 1);
	ipx_ike_store_free(st);
}

/* charon names the IKEv1 mode only while negotiating: the store remembers it. */
static void test_store_exchange_remembered(void)
{
	struct ipx_ike_store *st = ipx_ike_store_new(NULL);
	struct ipx_ike_sa m = mk_ike(1, "m"), a = mk_ike(2, "a"), v = mk_ike(3, "v");

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	m.version = a.version = v.version = 1;
	m.exchange = IPX_IKE_EXCHANGE_MAIN;
	a.exchange = IPX_IKE_EXCHANGE_AGGRESSIVE;
	v.exchange = IPX_IKE_EXCHANGE_IKEV1;
	m.state = a.state = IPX_IKE_CONNECTING;
	ipx_ike_upsert_sa(st, 1, &m);
	ipx_ike_upsert_sa(st, 1, &a);
	ipx_ike_upsert_sa(st, 1, &v);
	m.exchange = a.exchange = IPX_IKE_EXCHANGE_IKEV1;
	m.state = a.state = IPX_IKE_ESTABLISHED;
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_SA);
	ipx_ike_upsert_sa(st, 1, &m);
	ipx_ike_upsert_sa(st, 1, &a);
	ipx_ike_upsert_sa(st, 1, &v);
	ipx_ike_sync_end(st, 1, IPX_IKE_KIND_SA);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 1, 1)->sa.exchange, IPX_IKE_EXCHANGE_MAIN);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 1, 1)->sa.state, IPX_IKE_ESTABLISHED);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 1, 2)->sa.exchange, IPX_IKE_EXCHANGE_AGGRESSIVE);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 1, 3)->sa.exchange, IPX_IKE_EXCHANGE_IKEV1);
	/* ... again, and the Cisco state of an established aggressive-mode SA. */
	ipx_ike_upsert_sa(st, 1, &a);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 1, 2)->sa.exchange, IPX_IKE_EXCHANGE_AGGRESSIVE);
	a.state = IPX_IKE_DELETING;
	ipx_ike_upsert_sa(st, 1, &a);
	CU_ASSERT_EQUAL(ipx_ike_cisco_state(&ipx_ike_sa_find(st, 1, 2)->sa), IPX_CISCO_AG_NO_STATE);
	/* A mode learnt later is taken. */
	v.exchange = IPX_IKE_EXCHANGE_MAIN;
	ipx_ike_upsert_sa(st, 1, &v);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 1, 3)->sa.exchange, IPX_IKE_EXCHANGE_MAIN);
	/* A new SA of the same name starts from what it says. */
	m.unique_id = 4;
	ipx_ike_upsert_sa(st, 1, &m);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 1, 4)->sa.exchange, IPX_IKE_EXCHANGE_IKEV1);
	ipx_ike_store_free(st);
}

/* What charon's log says of an IKEv1 SA's mode, before or after the SA is listed. */
static void test_store_note_exchange(void)
{
	struct ipx_ike_store *st = ipx_ike_store_new(NULL);
	struct ipx_ike_sa a = mk_ike(5, "a"), b = mk_ike(6, "b"), v2 = mk_ike(7, "v2");
	uint32_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	a.version = b.version = 1;
	a.exchange = b.exchange = IPX_IKE_EXCHANGE_IKEV1;
	/* Before: the listing that comes later takes it. */
	ipx_ike_note_exchange(st, 1, 5, IPX_IKE_EXCHANGE_AGGRESSIVE);
	ipx_ike_note_exchange(st, 1, 7, IPX_IKE_EXCHANGE_MAIN);
	CU_ASSERT_PTR_NULL(ipx_ike_sa_find(st, 1, 5));
	ipx_ike_upsert_sa(st, 1, &a);
	ipx_ike_upsert_sa(st, 1, &v2);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 1, 5)->sa.exchange, IPX_IKE_EXCHANGE_AGGRESSIVE);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 1, 7)->sa.exchange, IPX_IKE_EXCHANGE_IKEV2);
	/* After: at once, and through later listings. */
	ipx_ike_upsert_sa(st, 1, &b);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 1, 6)->sa.exchange, IPX_IKE_EXCHANGE_IKEV1);
	ipx_ike_note_exchange(st, 1, 6, IPX_IKE_EXCHANGE_MAIN);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 1, 6)->sa.exchange, IPX_IKE_EXCHANGE_MAIN);
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_SA);
	ipx_ike_upsert_sa(st, 1, &a);
	ipx_ike_upsert_sa(st, 1, &b);
	ipx_ike_sync_end(st, 1, IPX_IKE_KIND_SA);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 1, 5)->sa.exchange, IPX_IKE_EXCHANGE_AGGRESSIVE);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 1, 6)->sa.exchange, IPX_IKE_EXCHANGE_MAIN);
	/* Another source's SA of that uniqueid is another SA. */
	ipx_ike_upsert_sa(st, 2, &a);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 2, 5)->sa.exchange, IPX_IKE_EXCHANGE_IKEV1);
	/* Gone (deleted, swept by the listing above, its source down): forgotten. */
	CU_ASSERT_PTR_NULL(ipx_ike_sa_find(st, 1, 7));
	CU_ASSERT_EQUAL(ipx_ike_delete_sa(st, 1, 5), 0);
	ipx_ike_source_down(st, 1);
	ipx_ike_upsert_sa(st, 1, &a);
	ipx_ike_upsert_sa(st, 1, &b);
	v2.version = 1;
	v2.exchange = IPX_IKE_EXCHANGE_IKEV1;
	ipx_ike_upsert_sa(st, 1, &v2);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 1, 5)->sa.exchange, IPX_IKE_EXCHANGE_IKEV1);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 1, 6)->sa.exchange, IPX_IKE_EXCHANGE_IKEV1);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 1, 7)->sa.exchange, IPX_IKE_EXCHANGE_IKEV1);
	/* Notes of SAs never listed (failed negotiations) do not pile up without end; the
	 * newest are kept. */
	for (i = 1000; i < 1000 + 10000; i++)
		ipx_ike_note_exchange(st, 3, i, IPX_IKE_EXCHANGE_MAIN);
	a.unique_id = 1000 + 9999;
	ipx_ike_upsert_sa(st, 3, &a);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 3, a.unique_id)->sa.exchange, IPX_IKE_EXCHANGE_MAIN);
	a.unique_id = 1000;
	ipx_ike_upsert_sa(st, 3, &a);
	CU_ASSERT_EQUAL(ipx_ike_sa_find(st, 3, 1000)->sa.exchange, IPX_IKE_EXCHANGE_IKEV1);
	ipx_ike_store_free(st);
}

/* Deleting many rows at once (a sweep, an IKE SA with many children, a source going away). */
static void test_store_many_rows(void)
{
	struct ipx_ike_store *st = ipx_ike_store_new(NULL);
	struct ipx_ike_sa sa = mk_ike(1, "many");
	struct ipx_child_sa c;
	uint32_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	for (i = 1; i <= 200; i++) {
		sa.unique_id = i;
		ipx_ike_upsert_sa(st, 1, &sa);
	}
	CU_ASSERT_EQUAL(ipx_ike_sa_count(st), 200);
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_SA);
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 1, IPX_IKE_KIND_SA), 200);
	CU_ASSERT_EQUAL(ipx_ike_sa_count(st), 0);
	CU_ASSERT_PTR_NULL(ipx_ike_sa_next(st, 0));
	CU_ASSERT_PTR_NULL(ipx_ike_sa_find(st, 1, 200));

	/* One IKE SA with 150 CHILD_SAs, deleted. */
	sa.unique_id = 1000;
	ipx_ike_upsert_sa(st, 1, &sa);
	for (i = 1; i <= 150; i++) {
		c = mk_child(i, 1000, "c", 0x100 + i, 0x200 + i);
		ipx_ike_upsert_child(st, 1, &c);
	}
	CU_ASSERT_EQUAL(ipx_child_count(st), 150);
	CU_ASSERT_EQUAL(ipx_ike_delete_sa(st, 1, 1000), 0);
	CU_ASSERT_EQUAL(ipx_child_count(st), 0);
	CU_ASSERT_PTR_NULL(ipx_child_next(st, 0));
	CU_ASSERT_PTR_NULL(ipx_child_find(st, 1, 150));

	/* Source 2 with 200 IKE SAs goes down. */
	for (i = 1; i <= 200; i++) {
		sa.unique_id = i;
		ipx_ike_upsert_sa(st, 2, &sa);
	}
	ipx_ike_source_down(st, 2);
	CU_ASSERT_EQUAL(ipx_ike_sa_count(st), 0);
	CU_ASSERT_PTR_NULL(ipx_ike_sa_next(st, 0));
	ipx_ike_store_free(st);
}

/* ---- the store: links to the kernel's SAs and counters -------------------------------- */

struct pair {
	struct ipx_store *xfrm;
	struct ipx_ike_store *st;
};

static struct pair new_pair(void)
{
	struct pair p;

	p.xfrm = ipx_store_new();
	p.st = p.xfrm ? ipx_ike_store_new(p.xfrm) : NULL;
	return p;
}

static void free_pair(struct pair *p)
{
	ipx_ike_store_free(p->st);
	ipx_store_free(p->xfrm);
}

static uint32_t kid(const struct pair *p, const struct ipx_sa *k)
{
	const struct ipx_sa_row *r = ipx_store_sa_find(p->xfrm, &k->key);

	return r ? r->id : 0;
}

static const struct ipx_child_row *owner(const struct pair *p, const struct ipx_sa *k)
{
	return ipx_ike_sa_owner(p->st, kid(p, k));
}

static void test_link_child_first(void)
{
	struct pair p = new_pair();
	struct ipx_ike_sa ike = mk_ike(1, "lab4");
	struct ipx_child_sa c = mk_child(2, 1, "net4", 0xc6d7028e, 0xc2ce5bbe);
	struct ipx_sa in = mk_kernel(0xc6d7028e, REMOTE4, LOCAL4, 0, 0);
	struct ipx_sa out = mk_kernel(0xc2ce5bbe, LOCAL4, REMOTE4, 0, 0);
	struct ipx_sa other = mk_kernel(0xdeadbeef, REMOTE4, LOCAL4, 0, 0);
	struct ipx_sa wrong_dir = mk_kernel(0xc6d7028e, LOCAL4, REMOTE4, 0, 0);
	struct ipx_sa ah = mk_kernel(0xc2ce5bbe, LOCAL4, REMOTE4, 0, 0);
	const struct ipx_child_row *row;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p.st);
	ah.key.proto = IPPROTO_AH;
	/* Kernel SAs that match no CHILD_SA, before and after it comes. */
	CU_ASSERT_EQUAL(ipx_store_sa_upsert(p.xfrm, &other, 1), 0);
	CU_ASSERT_EQUAL(ipx_ike_upsert_sa(p.st, 1, &ike), 0);
	CU_ASSERT_EQUAL(ipx_ike_upsert_child(p.st, 1, &c), 0);
	row = ipx_child_find(p.st, 1, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(row);
	CU_ASSERT_EQUAL(row->ike_id, sa_id(p.st, 1, 1));
	CU_ASSERT_EQUAL(row->sa_in_id, 0);
	CU_ASSERT_EQUAL(row->sa_out_id, 0);
	CU_ASSERT_EQUAL(ipx_store_sa_upsert(p.xfrm, &wrong_dir, 1), 0);
	CU_ASSERT_EQUAL(ipx_store_sa_upsert(p.xfrm, &ah, 1), 0);
	/* Then the kernel installs the CHILD_SA's SAs. */
	CU_ASSERT_EQUAL(ipx_store_sa_upsert(p.xfrm, &in, 1), 0);
	CU_ASSERT_EQUAL(ipx_store_sa_upsert(p.xfrm, &out, 1), 0);
	CU_ASSERT_PTR_EQUAL(owner(&p, &in), row);
	CU_ASSERT_PTR_EQUAL(owner(&p, &out), row);
	CU_ASSERT_EQUAL(row->sa_in_id, kid(&p, &in));
	CU_ASSERT_EQUAL(row->sa_out_id, kid(&p, &out));
	CU_ASSERT(row->sa_in_id != 0 && row->sa_out_id != 0 && row->sa_in_id != row->sa_out_id);
	CU_ASSERT_PTR_NULL(owner(&p, &other));
	CU_ASSERT_PTR_NULL(owner(&p, &wrong_dir));
	CU_ASSERT_PTR_NULL(owner(&p, &ah));
	CU_ASSERT_PTR_NULL(ipx_ike_sa_owner(p.st, 0));
	CU_ASSERT_PTR_NULL(ipx_ike_sa_owner(p.st, 999));
	/* The same listing again changes no link. */
	CU_ASSERT_EQUAL(ipx_ike_upsert_child(p.st, 1, &c), 0);
	CU_ASSERT_PTR_EQUAL(ipx_child_find(p.st, 1, 2), row);
	CU_ASSERT_PTR_EQUAL(owner(&p, &in), row);
	CU_ASSERT_EQUAL(row->sa_in_id, kid(&p, &in));
	CU_ASSERT_EQUAL(row->sa_out_id, kid(&p, &out));
	free_pair(&p);
}

static void test_link_kernel_first(void)
{
	struct pair p = new_pair();
	struct ipx_ike_sa ike = mk_ike(2, "lab6");
	struct ipx_child_sa c = mk_child(1, 2, "net6", 0xcff73061, 0xc9fe0030);
	struct ipx_sa in = mk_kernel(0xcff73061, "2001:db8::2", "2001:db8::1", 100, 3);
	struct ipx_sa out = mk_kernel(0xc9fe0030, "2001:db8::1", "2001:db8::2", 40, 1);
	const struct ipx_conn_counters *ctr;
	const struct ipx_child_row *row;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p.st);
	set_addr(&ike.local, "2001:db8::1");
	set_addr(&ike.remote, "2001:db8::2");
	CU_ASSERT_EQUAL(ipx_store_sa_upsert(p.xfrm, &in, 1), 0);
	CU_ASSERT_EQUAL(ipx_store_sa_upsert(p.xfrm, &out, 1), 0);
	CU_ASSERT_PTR_NULL(owner(&p, &in));
	CU_ASSERT_EQUAL(ipx_ike_upsert_sa(p.st, 1, &ike), 0);
	CU_ASSERT_EQUAL(ipx_ike_upsert_child(p.st, 1, &c), 0);
	row = ipx_child_find(p.st, 1, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(row);
	CU_ASSERT_PTR_EQUAL(owner(&p, &in), row);
	CU_ASSERT_PTR_EQUAL(owner(&p, &out), row);
	CU_ASSERT_EQUAL(row->sa_in_id, kid(&p, &in));
	CU_ASSERT_EQUAL(row->sa_out_id, kid(&p, &out));
	/* Linked with traffic already on them: it counts from there. */
	ctr = ipx_ike_counters(p.st, 1, "lab6", "net6");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctr);
	CU_ASSERT_EQUAL(ctr->octets_in, 100);
	CU_ASSERT_EQUAL(ctr->packets_in, 3);
	CU_ASSERT_EQUAL(ctr->octets_out, 40);
	CU_ASSERT_EQUAL(ctr->packets_out, 1);
	/* Listed again: not counted twice. */
	CU_ASSERT_EQUAL(ipx_ike_upsert_child(p.st, 1, &c), 0);
	CU_ASSERT_EQUAL(ctr->octets_in, 100);
	CU_ASSERT_EQUAL(ctr->octets_out, 40);
	/* Unknown connections have no counters. */
	CU_ASSERT_PTR_NULL(ipx_ike_counters(p.st, 1, "nope", "net6"));
	CU_ASSERT_PTR_NULL(ipx_ike_counters(p.st, 1, "lab6", "nope"));
	CU_ASSERT_PTR_NULL(ipx_ike_counters(p.st, 2, "lab6", "net6"));
	free_pair(&p);
}

static void test_counters_update_and_delete(void)
{
	struct pair p = new_pair();
	struct ipx_ike_sa ike = mk_ike(1, "lab4");
	struct ipx_child_sa c = mk_child(2, 1, "net4", 0x1001, 0x1002);
	struct ipx_sa in = mk_kernel(0x1001, REMOTE4, LOCAL4, 100, 2);
	struct ipx_sa out = mk_kernel(0x1002, LOCAL4, REMOTE4, 10, 1);
	const struct ipx_conn_counters *ctr;
	const struct ipx_child_row *row;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p.st);
	ipx_ike_upsert_sa(p.st, 1, &ike);
	ipx_ike_upsert_child(p.st, 1, &c);
	ipx_store_sa_upsert(p.xfrm, &in, 1);
	ipx_store_sa_upsert(p.xfrm, &out, 1);
	ctr = ipx_ike_counters(p.st, 1, "lab4", "net4");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctr);
	CU_ASSERT_EQUAL(ctr->octets_in, 100);
	CU_ASSERT_EQUAL(ctr->packets_in, 2);
	CU_ASSERT_EQUAL(ctr->octets_out, 10);
	CU_ASSERT_EQUAL(ctr->packets_out, 1);
	/* 100 -> 250: +150. */
	in.cur_bytes = 250;
	in.cur_packets = 5;
	ipx_store_sa_upsert(p.xfrm, &in, 2);
	CU_ASSERT_EQUAL(ctr->octets_in, 250);
	CU_ASSERT_EQUAL(ctr->packets_in, 5);
	CU_ASSERT_EQUAL(ctr->octets_out, 10);
	/* The same values again (a resync): nothing added. */
	ipx_store_sa_upsert(p.xfrm, &in, 3);
	CU_ASSERT_EQUAL(ctr->octets_in, 250);
	out.cur_bytes = 1010;
	out.cur_packets = 11;
	ipx_store_sa_upsert(p.xfrm, &out, 3);
	CU_ASSERT_EQUAL(ctr->octets_out, 1010);
	CU_ASSERT_EQUAL(ctr->packets_out, 11);
	/* The kernel SA goes: its bytes stay counted, the CHILD_SA no longer has it. */
	CU_ASSERT_EQUAL(ipx_store_sa_delete(p.xfrm, &in.key), 0);
	CU_ASSERT_EQUAL(ctr->octets_in, 250);
	CU_ASSERT_EQUAL(ctr->packets_in, 5);
	row = ipx_child_find(p.st, 1, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(row);
	CU_ASSERT_EQUAL(row->sa_in_id, 0);
	CU_ASSERT_EQUAL(row->sa_out_id, kid(&p, &out));
	/* The XFRM store's resync loses the outbound one. */
	ipx_store_sync_begin(p.xfrm, IPX_SYNC_SA);
	CU_ASSERT_EQUAL(ipx_store_sync_end(p.xfrm, IPX_SYNC_SA), 1);
	CU_ASSERT_EQUAL(row->sa_out_id, 0);
	CU_ASSERT_EQUAL(ctr->octets_out, 1010);
	/* A kernel SA whose counters went back is a new SA, not negative traffic. */
	in.cur_bytes = 50;
	in.cur_packets = 1;
	ipx_store_sa_upsert(p.xfrm, &in, 4);
	CU_ASSERT_EQUAL(ctr->octets_in, 300); /* linked again with its 50 */
	in.cur_bytes = 20;
	ipx_store_sa_upsert(p.xfrm, &in, 5);
	CU_ASSERT_EQUAL(ctr->octets_in, 300);
	free_pair(&p);
}

/* A CHILD_SA rekeyed again and again: the connection's counters only grow. */
static void test_counters_across_rekeys(void)
{
	struct pair p = new_pair();
	struct ipx_ike_sa ike = mk_ike(1, "lab4"), ike2 = mk_ike(50, "lab4");
	struct ipx_child_sa c, old;
	struct ipx_sa in, out, old_in, old_out;
	const struct ipx_conn_counters *ctr = NULL;
	uint64_t prev_in = 0, prev_out = 0, want_in = 0, want_out = 0;
	uint32_t k, step;
	int monotonic = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p.st);
	ipx_ike_upsert_sa(p.st, 1, &ike);
	c = mk_child(100, 1, "net4", 0xc0000000, 0xd0000000);
	ipx_ike_upsert_child(p.st, 1, &c);
	in = mk_kernel(c.spi_in, REMOTE4, LOCAL4, 0, 0);
	out = mk_kernel(c.spi_out, LOCAL4, REMOTE4, 0, 0);
	ipx_store_sa_upsert(p.xfrm, &in, 1);
	ipx_store_sa_upsert(p.xfrm, &out, 1);
	for (k = 0; k < 6; k++) {
		/* Traffic on the current SAs, in steps. */
		for (step = 1; step <= 3; step++) {
			in.cur_bytes += 100 * (k + 1);
			in.cur_packets += 1;
			out.cur_bytes += 10;
			out.cur_packets += 1;
			want_in += 100 * (k + 1);
			want_out += 10;
			ipx_store_sa_upsert(p.xfrm, &in, 10 + k);
			ipx_store_sa_upsert(p.xfrm, &out, 10 + k);
			ctr = ipx_ike_counters(p.st, 1, "lab4", "net4");
			CU_ASSERT_PTR_NOT_NULL_FATAL(ctr);
			monotonic &= ctr->octets_in >= prev_in && ctr->octets_out >= prev_out;
			prev_in = ctr->octets_in;
			prev_out = ctr->octets_out;
		}
		CU_ASSERT_EQUAL(ctr->octets_in, want_in);
		CU_ASSERT_EQUAL(ctr->octets_out, want_out);
		/* An IKE rekey half-way: the CHILD_SA moves to the new IKE SA. */
		if (k == 3) {
			ipx_ike_upsert_sa(p.st, 1, &ike2);
			c.ike_unique_id = ike2.unique_id;
			ipx_ike_upsert_child(p.st, 1, &c);
			ipx_ike_note_rekey(p.st, 1, "lab4", NULL);
			CU_ASSERT_EQUAL(ipx_ike_delete_sa(p.st, 1, ike.unique_id), 0);
			CU_ASSERT_PTR_EQUAL(owner(&p, &in), ipx_child_find(p.st, 1, c.unique_id));
			CU_ASSERT_EQUAL(ctr->octets_in, want_in);
		}
		/* Rekey: a new CHILD_SA and new kernel SAs from 0, then the old ones go. */
		old = c;
		old_in = in;
		old_out = out;
		c = mk_child(101 + k, c.ike_unique_id, "net4", 0xc0000001 + k, 0xd0000001 + k);
		in = mk_kernel(c.spi_in, REMOTE4, LOCAL4, 0, 0);
		out = mk_kernel(c.spi_out, LOCAL4, REMOTE4, 0, 0);
		ipx_store_sa_upsert(p.xfrm, &in, 20 + k);
		ipx_ike_upsert_child(p.st, 1, &c);
		ipx_store_sa_upsert(p.xfrm, &out, 20 + k);
		old.state = IPX_CHILD_REKEYED;
		ipx_ike_upsert_child(p.st, 1, &old);
		ipx_ike_note_rekey(p.st, 1, "lab4", "net4");
		monotonic &= ctr->octets_in >= prev_in && ctr->octets_out >= prev_out;
		ipx_store_sa_delete(p.xfrm, &old_in.key);
		monotonic &= ctr->octets_in >= prev_in && ctr->octets_out >= prev_out;
		ipx_ike_delete_child(p.st, 1, old.unique_id);
		ipx_store_sa_delete(p.xfrm, &old_out.key);
		monotonic &= ctr->octets_in >= prev_in && ctr->octets_out >= prev_out;
		CU_ASSERT_PTR_EQUAL(ipx_ike_counters(p.st, 1, "lab4", "net4"), ctr);
		CU_ASSERT_EQUAL(ctr->octets_in, want_in);
		CU_ASSERT_EQUAL(ctr->octets_out, want_out);
		CU_ASSERT_PTR_EQUAL(owner(&p, &in), ipx_child_find(p.st, 1, c.unique_id));
		CU_ASSERT_PTR_EQUAL(owner(&p, &out), ipx_child_find(p.st, 1, c.unique_id));
	}
	CU_ASSERT(monotonic);
	CU_ASSERT_EQUAL(ctr->octets_in, 100 * 3 * (1 + 2 + 3 + 4 + 5 + 6));
	CU_ASSERT_EQUAL(ctr->packets_in, 18);
	CU_ASSERT_EQUAL(ctr->octets_out, 180);
	CU_ASSERT_EQUAL(ctr->packets_out, 18);
	CU_ASSERT_EQUAL(ctr->child_rekeys, 6);
	CU_ASSERT_EQUAL(ctr->ike_rekeys, 0);
	CU_ASSERT_EQUAL(ctr_of(p.st, 1, "lab4", "")->ike_rekeys, 1);
	CU_ASSERT_EQUAL(ctr_of(p.st, 1, "lab4", "")->child_rekeys, 0);
	CU_ASSERT_EQUAL(ipx_child_count(p.st), 1);
	CU_ASSERT_EQUAL(ipx_store_sa_count(p.xfrm), 2);
	free_pair(&p);
}

/* Marks and interface ids are part of the kernel SA's identity. */
static void test_link_mark_and_if_id(void)
{
	struct pair p = new_pair();
	struct ipx_ike_sa ike = mk_ike(1, "lab4");
	struct ipx_child_sa c = mk_child(2, 1, "net4", 0x3001, 0x3002);
	struct ipx_sa in = mk_kernel(0x3001, REMOTE4, LOCAL4, 7, 1);
	struct ipx_sa out = mk_kernel(0x3002, LOCAL4, REMOTE4, 9, 1);
	struct ipx_sa in_bad = in, out_bad = out, in_nomark = in;
	const struct ipx_child_row *row;
	const struct ipx_conn_counters *ctr;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p.st);
	c.mark_in = 0x10;
	c.mark_mask_in = 0xff;
	c.mark_out = 0x20;
	c.mark_mask_out = 0xffffffff;
	c.if_id_in = 7;
	c.if_id_out = 8;
	in.key.mark_value = 0x10;
	in.key.mark_mask = 0xff;
	in.key.if_id = 7;
	in.has_mark = in.has_if_id = true;
	out.key.mark_value = 0x20;
	out.key.mark_mask = 0xffffffff;
	out.key.if_id = 8;
	out.has_mark = out.has_if_id = true;
	in_bad = in;
	in_bad.key.mark_value = 0x11;
	out_bad = out;
	out_bad.key.if_id = 9;
	/* Kernel SAs with the SPIs but another mark / if_id / none: not the CHILD_SA's. */
	ipx_store_sa_upsert(p.xfrm, &in_bad, 1);
	ipx_store_sa_upsert(p.xfrm, &out_bad, 1);
	ipx_store_sa_upsert(p.xfrm, &in_nomark, 1);
	ipx_ike_upsert_sa(p.st, 1, &ike);
	ipx_ike_upsert_child(p.st, 1, &c);
	row = ipx_child_find(p.st, 1, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(row);
	CU_ASSERT_EQUAL(row->sa_in_id, 0);
	CU_ASSERT_EQUAL(row->sa_out_id, 0);
	CU_ASSERT_PTR_NULL(owner(&p, &in_bad));
	CU_ASSERT_PTR_NULL(owner(&p, &out_bad));
	CU_ASSERT_PTR_NULL(owner(&p, &in_nomark));
	/* The right ones. */
	ipx_store_sa_upsert(p.xfrm, &in, 2);
	ipx_store_sa_upsert(p.xfrm, &out, 2);
	CU_ASSERT_PTR_EQUAL(owner(&p, &in), row);
	CU_ASSERT_PTR_EQUAL(owner(&p, &out), row);
	CU_ASSERT_EQUAL(row->sa_in_id, kid(&p, &in));
	CU_ASSERT_EQUAL(row->sa_out_id, kid(&p, &out));
	CU_ASSERT_PTR_NULL(owner(&p, &in_bad));
	/* Traffic on the others is not the connection's. */
	in_bad.cur_bytes = 5000;
	ipx_store_sa_upsert(p.xfrm, &in_bad, 3);
	ctr = ipx_ike_counters(p.st, 1, "lab4", "net4");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctr);
	CU_ASSERT_EQUAL(ctr->octets_in, 7);
	CU_ASSERT_EQUAL(ctr->octets_out, 9);
	free_pair(&p);
}

/* An AH CHILD_SA is linked to AH kernel SAs only. */
static void test_link_ah(void)
{
	struct pair p = new_pair();
	struct ipx_ike_sa ike = mk_ike(1, "ah");
	struct ipx_child_sa c = mk_child(2, 1, "ah", 0x4001, 0x4002);
	struct ipx_sa esp = mk_kernel(0x4001, REMOTE4, LOCAL4, 0, 0), ah = esp;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p.st);
	c.protocol = IPX_CHILD_PROTO_AH;
	ah.key.proto = IPPROTO_AH;
	ipx_ike_upsert_sa(p.st, 1, &ike);
	ipx_ike_upsert_child(p.st, 1, &c);
	ipx_store_sa_upsert(p.xfrm, &esp, 1);
	CU_ASSERT_PTR_NULL(owner(&p, &esp));
	ipx_store_sa_upsert(p.xfrm, &ah, 1);
	CU_ASSERT_PTR_EQUAL(owner(&p, &ah), ipx_child_find(p.st, 1, 2));
	free_pair(&p);
}

static void test_delete_child_unlinks(void)
{
	struct pair p = new_pair();
	struct ipx_ike_sa ike = mk_ike(1, "lab4");
	struct ipx_child_sa c = mk_child(2, 1, "net4", 0x5001, 0x5002);
	struct ipx_child_sa c2 = mk_child(3, 1, "net4b", 0x5003, 0x5004);
	struct ipx_sa in = mk_kernel(0x5001, REMOTE4, LOCAL4, 100, 1);
	struct ipx_sa out = mk_kernel(0x5002, LOCAL4, REMOTE4, 50, 1);
	struct ipx_sa in2 = mk_kernel(0x5003, REMOTE4, LOCAL4, 1, 1);
	struct ipx_child_sa c3 = mk_child(4, 1, "net4c", 0x5005, 0x5006);
	struct ipx_sa in3 = mk_kernel(0x5005, REMOTE4, LOCAL4, 5, 1);
	const struct ipx_conn_counters *ctr;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p.st);
	ipx_ike_upsert_sa(p.st, 1, &ike);
	ipx_ike_upsert_child(p.st, 1, &c);
	ipx_ike_upsert_child(p.st, 1, &c2);
	ipx_store_sa_upsert(p.xfrm, &in, 1);
	ipx_store_sa_upsert(p.xfrm, &out, 1);
	ipx_store_sa_upsert(p.xfrm, &in2, 1);
	CU_ASSERT_PTR_NOT_NULL(owner(&p, &in));
	CU_ASSERT_EQUAL(ipx_ike_delete_child(p.st, 1, 2), 0);
	CU_ASSERT_PTR_NULL(owner(&p, &in));
	CU_ASSERT_PTR_NULL(owner(&p, &out));
	CU_ASSERT_PTR_EQUAL(owner(&p, &in2), ipx_child_find(p.st, 1, 3));
	CU_ASSERT_EQUAL(ipx_store_sa_count(p.xfrm), 3); /* the kernel's SAs are still there */
	ctr = ipx_ike_counters(p.st, 1, "lab4", "net4");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ctr);
	CU_ASSERT_EQUAL(ctr->octets_in, 100);
	CU_ASSERT_EQUAL(ctr->octets_out, 50);
	/* Deleting the kernel SAs later is harmless. */
	CU_ASSERT_EQUAL(ipx_store_sa_delete(p.xfrm, &in.key), 0);
	CU_ASSERT_EQUAL(ipx_store_sa_delete(p.xfrm, &out.key), 0);
	CU_ASSERT_EQUAL(ctr->octets_in, 100);
	/* An IKE SA deleted takes its CHILD_SAs and their links. */
	CU_ASSERT_EQUAL(ipx_ike_delete_sa(p.st, 1, 1), 0);
	CU_ASSERT_EQUAL(ipx_child_count(p.st), 0);
	CU_ASSERT_PTR_NULL(owner(&p, &in2));
	CU_ASSERT_EQUAL(ctr_of(p.st, 1, "lab4", "net4b")->octets_in, 1);
	/* So does its source going down. */
	ipx_ike_upsert_sa(p.st, 1, &ike);
	ipx_ike_upsert_child(p.st, 1, &c3);
	ipx_store_sa_upsert(p.xfrm, &in3, 1);
	CU_ASSERT_PTR_EQUAL(owner(&p, &in3), ipx_child_find(p.st, 1, 4));
	ipx_ike_source_down(p.st, 1);
	CU_ASSERT_PTR_NULL(owner(&p, &in3));
	CU_ASSERT_EQUAL(ctr_of(p.st, 1, "lab4", "net4c")->octets_in, 5);
	free_pair(&p);
}

/*
 * A CHILD_SA that disappears and comes back while its kernel SAs stay (a listing that missed
 * it, the VICI socket reconnecting: source_down, then list-sa again) is linked again to the
 * same kernel SAs: their bytes were counted already and must not be counted twice.
 */
static void test_counters_relink(void)
{
	struct pair p = new_pair();
	struct ipx_ike_sa ike = mk_ike(1, "lab4");
	struct ipx_child_sa c = mk_child(2, 1, "net4", 0x8001, 0x8002);
	struct ipx_sa in = mk_kernel(0x8001, REMOTE4, LOCAL4, 100, 1);
	const struct ipx_conn_counters *ctr;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p.st);
	ipx_store_sa_upsert(p.xfrm, &in, 1);
	ipx_ike_upsert_sa(p.st, 1, &ike);
	ipx_ike_upsert_child(p.st, 1, &c);
	ctr = ctr_of(p.st, 1, "lab4", "net4");
	CU_ASSERT_EQUAL(ctr->octets_in, 100);
	/* The VICI connection drops and comes back. */
	ipx_ike_source_down(p.st, 1);
	CU_ASSERT_PTR_NULL(owner(&p, &in));
	ipx_ike_sync_begin(p.st, 1, IPX_IKE_KIND_SA);
	ipx_ike_upsert_sa(p.st, 1, &ike);
	ipx_ike_upsert_child(p.st, 1, &c);
	ipx_ike_sync_end(p.st, 1, IPX_IKE_KIND_SA);
	CU_ASSERT_PTR_EQUAL(owner(&p, &in), ipx_child_find(p.st, 1, 2));
	CU_ASSERT_EQUAL(ctr->octets_in, 100);
	CU_ASSERT_EQUAL(ctr->packets_in, 1);
	/* A listing without it, the next one with it again. */
	ipx_ike_sync_begin(p.st, 1, IPX_IKE_KIND_SA);
	ipx_ike_upsert_sa(p.st, 1, &ike);
	ipx_ike_sync_end(p.st, 1, IPX_IKE_KIND_SA);
	ipx_ike_sync_begin(p.st, 1, IPX_IKE_KIND_SA);
	ipx_ike_upsert_sa(p.st, 1, &ike);
	ipx_ike_upsert_child(p.st, 1, &c);
	ipx_ike_sync_end(p.st, 1, IPX_IKE_KIND_SA);
	CU_ASSERT_EQUAL(ctr->octets_in, 100);
	/* Traffic after that still counts once. */
	in.cur_bytes = 150;
	ipx_store_sa_upsert(p.xfrm, &in, 2);
	CU_ASSERT_EQUAL(ctr->octets_in, 150);
	free_pair(&p);
}

/* Connection rows: how many IKE SAs and installed CHILD_SAs each has now. */
static void test_conn_figures(void)
{
	struct pair p = new_pair();
	struct ipx_ike_sa i1 = mk_ike(1, "lab4"), i3 = mk_ike(3, "lab4"), i2 = mk_ike(2, "lab6");
	struct ipx_child_sa c10 = mk_child(10, 1, "net4", 0x6001, 0x6002);
	struct ipx_child_sa c11 = mk_child(11, 3, "net4", 0x6003, 0x6004);
	struct ipx_child_sa c12 = mk_child(12, 1, "net4", 0x6005, 0x6006);
	struct ipx_child_sa c13 = mk_child(13, 2, "net6", 0x6007, 0x6008);
	struct ipx_child_sa c14 = mk_child(14, 2, "unconfigured", 0x6009, 0x600a);
	struct ipx_ike_conn n4 = mk_conn("lab4", "net4"), n6 = mk_conn("lab6", "net6");
	const struct ipx_conn_row *r4, *r6;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p.st);
	c12.state = IPX_CHILD_REKEYED;
	c13.state = IPX_CHILD_INSTALLING;
	ipx_ike_upsert_conn(p.st, 1, &n4); /* before its SAs */
	ipx_ike_sync_begin(p.st, 1, IPX_IKE_KIND_SA);
	ipx_ike_upsert_sa(p.st, 1, &i1);
	ipx_ike_upsert_child(p.st, 1, &c10);
	ipx_ike_upsert_child(p.st, 1, &c12);
	ipx_ike_upsert_sa(p.st, 1, &i3);
	ipx_ike_upsert_child(p.st, 1, &c11);
	ipx_ike_upsert_sa(p.st, 1, &i2);
	ipx_ike_upsert_child(p.st, 1, &c13);
	ipx_ike_upsert_child(p.st, 1, &c14);
	ipx_ike_sync_end(p.st, 1, IPX_IKE_KIND_SA);
	ipx_ike_upsert_conn(p.st, 1, &n6); /* after */
	r4 = ipx_conn_find(p.st, 1, "lab4", "net4");
	r6 = ipx_conn_find(p.st, 1, "lab6", "net6");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r6);
	CU_ASSERT_EQUAL(r4->ike_sas, 2);
	CU_ASSERT_EQUAL(r4->child_sas, 2); /* the REKEYED one is not counted */
	CU_ASSERT_EQUAL(r6->ike_sas, 1);
	CU_ASSERT_EQUAL(r6->child_sas, 0);
	CU_ASSERT_EQUAL(ipx_child_find(p.st, 1, 10)->conn_id, r4->h.id);
	CU_ASSERT_EQUAL(ipx_child_find(p.st, 1, 11)->conn_id, r4->h.id);
	CU_ASSERT_EQUAL(ipx_child_find(p.st, 1, 13)->conn_id, r6->h.id);
	CU_ASSERT_EQUAL(ipx_child_find(p.st, 1, 14)->conn_id, 0);
	CU_ASSERT_EQUAL(ipx_child_find(p.st, 1, 13)->ike_id, sa_id(p.st, 1, 2));
	CU_ASSERT_PTR_EQUAL(r4->ctr, ipx_ike_counters(p.st, 1, "lab4", "net4"));
	CU_ASSERT_PTR_EQUAL(r4->ike_ctr, ipx_ike_counters(p.st, 1, "lab4", ""));
	CU_ASSERT_PTR_NOT_NULL(r4->ctr);
	CU_ASSERT_PTR_NOT_NULL(r4->ike_ctr);
	/* The CHILD_SA gets installed; an IKE SA goes (with its CHILD_SA). */
	c13.state = IPX_CHILD_INSTALLED;
	ipx_ike_upsert_child(p.st, 1, &c13);
	CU_ASSERT_EQUAL(r6->child_sas, 1);
	CU_ASSERT_EQUAL(ipx_ike_delete_sa(p.st, 1, 3), 0);
	CU_ASSERT_EQUAL(r4->ike_sas, 1);
	CU_ASSERT_EQUAL(r4->child_sas, 1);
	CU_ASSERT_EQUAL(ipx_ike_delete_child(p.st, 1, 10), 0);
	CU_ASSERT_EQUAL(r4->child_sas, 0);
	CU_ASSERT_EQUAL(r4->ike_sas, 1);
	/* Another source's SAs of the same name are not this connection's. */
	ipx_ike_upsert_sa(p.st, 2, &i1);
	CU_ASSERT_EQUAL(r4->ike_sas, 1);
	free_pair(&p);
}

/* ipx_conn_counters.last_up / last_down: when a CHILD_SA of the connection last came up or
 * went down (ike_store.h). */
static void test_counters_last_up_down(void)
{
	struct ipx_ike_store *st = ipx_ike_store_new(NULL);
	struct ipx_ike_sa ike = mk_ike(1, "lab4");
	struct ipx_child_sa c = mk_child(2, 1, "net4", 0x7001, 0x7002);
	struct ipx_ike_conn cn = mk_conn("lab4", "net4");
	const struct ipx_conn_counters *ctr;
	int64_t before = ipx_ike_now();

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	ipx_ike_upsert_conn(st, 1, &cn);
	ctr = ctr_of(st, 1, "lab4", "net4");
	CU_ASSERT_EQUAL(ctr->last_up, 0);
	CU_ASSERT_EQUAL(ctr->last_down, 0);
	ipx_ike_upsert_sa(st, 1, &ike);
	ipx_ike_upsert_child(st, 1, &c);
	CU_ASSERT(ctr->last_up >= before);
	CU_ASSERT_EQUAL(ctr->last_down, 0);
	CU_ASSERT_EQUAL(ipx_ike_delete_child(st, 1, 2), 0);
	CU_ASSERT(ctr->last_up >= before);
	CU_ASSERT(ctr->last_down >= ctr->last_up && ctr->last_down >= before);
	ipx_ike_store_free(st);
}

/* ---- certificates --------------------------------------------------------------------- */

static struct ipx_cert_info mk_cert(const char *subject, const char *issuer, const char *serial)
{
	struct ipx_cert_info c;

	memset(&c, 0, sizeof(c));
	snprintf(c.subject, sizeof(c.subject), "%s", subject);
	snprintf(c.issuer, sizeof(c.issuer), "%s", issuer);
	snprintf(c.serial, sizeof(c.serial), "%s", serial);
	snprintf(c.key_type, sizeof(c.key_type), "ED25519");
	c.key_bits = 256;
	c.not_before = 1700000000;
	c.not_after = 1800000000;
	return c;
}

static const struct ipx_cert_row *cert_of(const struct ipx_ike_store *st, const char *subject)
{
	const struct ipx_cert_row *r;

	for (r = ipx_cert_next(st, 0); r; r = ipx_cert_next(st, r->h.id))
		if (strcmp(r->cert.subject, subject) == 0)
			return r;
	return NULL;
}

static const char *used_by(const struct ipx_ike_store *st, const char *subject)
{
	const struct ipx_cert_row *r = cert_of(st, subject);

	return r ? r->used_by : "(no row)";
}

#define MOON "C=CH, O=strongSwan, CN=moon"
#define SUN  "C=CH, O=strongSwan, CN=sun"
#define CA   "C=CH, O=strongSwan, CN=strongSwan Root CA"

static void test_certs(void)
{
	struct ipx_ike_store *st = ipx_ike_store_new(NULL);
	struct ipx_cert_info moon = mk_cert(MOON, CA, "01"), sun = mk_cert(SUN, CA, "02");
	struct ipx_cert_info ca = mk_cert(CA, CA, "00"), nobody = mk_cert("CN=nobody", CA, "03");
	struct ipx_ike_conn a = mk_conn("lab4", "net4"), a2 = mk_conn("lab4", "web");
	struct ipx_ike_conn b = mk_conn("lab6", "net6"), c = mk_conn("psk", "x");
	const struct ipx_cert_row *r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	snprintf(a.local_certs, sizeof(a.local_certs), "%s", MOON);
	snprintf(a.remote_certs, sizeof(a.remote_certs), "%s", SUN);
	a2 = a;
	snprintf(a2.child, sizeof(a2.child), "web");
	snprintf(b.local_certs, sizeof(b.local_certs), "%s; %s", SUN, MOON);
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_CONN);
	ipx_ike_upsert_conn(st, 1, &a);
	ipx_ike_upsert_conn(st, 1, &a2);
	ipx_ike_upsert_conn(st, 1, &b);
	ipx_ike_upsert_conn(st, 1, &c);
	ipx_ike_sync_end(st, 1, IPX_IKE_KIND_CONN);
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_CERT);
	CU_ASSERT_EQUAL(ipx_ike_upsert_cert(st, 1, &moon, "X509", IPX_CERT_FLAG_NONE, 1), 0);
	CU_ASSERT_EQUAL(ipx_ike_upsert_cert(st, 1, &sun, "X509", IPX_CERT_FLAG_NONE, 0), 0);
	CU_ASSERT_EQUAL(ipx_ike_upsert_cert(st, 1, &ca, "X509", IPX_CERT_FLAG_CA, 0), 0);
	CU_ASSERT_EQUAL(ipx_ike_upsert_cert(st, 1, &nobody, "X509_AC", 99, 7), 0);
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 1, IPX_IKE_KIND_CERT), 0);
	CU_ASSERT_EQUAL(ipx_cert_count(st), 4);
	r = cert_of(st, MOON);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->h.id, 1);
	CHECK_STR(r->type, "X509");
	CU_ASSERT_EQUAL(r->flag, IPX_CERT_FLAG_NONE);
	CU_ASSERT_EQUAL(r->has_privkey, 1);
	CHECK_STR(r->cert.issuer, CA);
	CHECK_STR(r->cert.key_type, "ED25519");
	CU_ASSERT_EQUAL(r->cert.not_after, 1800000000);
	CHECK_STR(r->used_by, "lab4, lab6"); /* lab4 once, however many children */
	CHECK_STR(used_by(st, SUN), "lab4, lab6");
	CHECK_STR(used_by(st, CA), "");
	CU_ASSERT_EQUAL(cert_of(st, CA)->flag, IPX_CERT_FLAG_CA);
	r = cert_of(st, "CN=nobody");
	CHECK_STR(r->used_by, "");
	CU_ASSERT_EQUAL(r->flag, IPX_CERT_FLAG_NONE); /* out of range */
	CU_ASSERT_EQUAL(r->has_privkey, 1);
	CHECK_STR(r->type, "X509_AC");
	/* The same certificate again (issuer + serial) is the same row. */
	moon.key_bits = 255;
	CU_ASSERT_EQUAL(ipx_ike_upsert_cert(st, 1, &moon, "X509", IPX_CERT_FLAG_NONE, 0), 0);
	r = cert_of(st, MOON);
	CU_ASSERT_EQUAL(r->h.id, 1);
	CU_ASSERT_EQUAL(r->cert.key_bits, 255);
	CU_ASSERT_EQUAL(r->has_privkey, 0);
	CU_ASSERT_EQUAL(ipx_cert_count(st), 4);
	/* lab6 is unloaded: the next listing of connections updates used_by. */
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_CONN);
	ipx_ike_upsert_conn(st, 1, &a);
	ipx_ike_upsert_conn(st, 1, &a2);
	ipx_ike_upsert_conn(st, 1, &c);
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 1, IPX_IKE_KIND_CONN), 1);
	CHECK_STR(used_by(st, MOON), "lab4");
	/* A connection loaded by event. */
	ipx_ike_upsert_conn(st, 1, &b);
	CHECK_STR(used_by(st, MOON), "lab4, lab6");
	/* Another source's certificate is used by that source's connections only. */
	CU_ASSERT_EQUAL(ipx_ike_upsert_cert(st, 2, &moon, "X509", IPX_CERT_FLAG_NONE, 0), 0);
	CU_ASSERT_EQUAL(ipx_cert_count(st), 5);
	r = ipx_cert_next(st, 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(r->h.source, 2);
	CHECK_STR(r->used_by, "");
	CU_ASSERT_EQUAL(ipx_ike_upsert_cert(st, 0, &moon, "X509", 0, 0), -EINVAL);
	/* A listing of certificates sweeps those it did not list. */
	ipx_ike_sync_begin(st, 1, IPX_IKE_KIND_CERT);
	ipx_ike_upsert_cert(st, 1, &moon, "X509", IPX_CERT_FLAG_NONE, 1);
	CU_ASSERT_EQUAL(ipx_ike_sync_end(st, 1, IPX_IKE_KIND_CERT), 3);
	CU_ASSERT_EQUAL(ipx_cert_count(st), 2);
	CU_ASSERT_EQUAL(ipx_cert_next(st, 0)->h.id, 1);
	CU_ASSERT_EQUAL(ipx_cert_next(st, 1)->h.id, 5);
	ipx_ike_store_free(st);
}

/* A connection whose name is part of another's is listed too. */
static void test_cert_used_by_similar_names(void)
{
	struct ipx_ike_store *st = ipx_ike_store_new(NULL);
	struct ipx_cert_info moon = mk_cert(MOON, CA, "01");
	struct ipx_ike_conn a = mk_conn("lab4", "net4"), b = mk_conn("lab", "net");

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	snprintf(a.local_certs, sizeof(a.local_certs), "%s", MOON);
	snprintf(b.local_certs, sizeof(b.local_certs), "%s", MOON);
	ipx_ike_upsert_conn(st, 1, &a);
	ipx_ike_upsert_conn(st, 1, &b);
	ipx_ike_upsert_cert(st, 1, &moon, "X509", IPX_CERT_FLAG_NONE, 1);
	CHECK_STR(used_by(st, MOON), "lab4, lab");
	ipx_ike_store_free(st);
}

/* used_by names connections that list the subject itself, not a longer one containing it. */
static void test_cert_used_by_exact_subject(void)
{
	struct ipx_ike_store *st = ipx_ike_store_new(NULL);
	struct ipx_cert_info short_cn = mk_cert("CN=moon", CA, "01");
	struct ipx_ike_conn a = mk_conn("lab4", "net4"), b = mk_conn("base", "x");

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	snprintf(a.local_certs, sizeof(a.local_certs), "%s", MOON); /* "..., CN=moon" */
	snprintf(b.remote_certs, sizeof(b.remote_certs), "CN=moonbase");
	ipx_ike_upsert_conn(st, 1, &a);
	ipx_ike_upsert_conn(st, 1, &b);
	ipx_ike_upsert_cert(st, 1, &short_cn, "X509", IPX_CERT_FLAG_NONE, 0);
	CHECK_STR(used_by(st, "CN=moon"), "");
	ipx_ike_store_free(st);
}

/* Two certificates of one issuer with a long DN are two rows (issuer + serial). */
static void test_cert_long_issuer(void)
{
	struct ipx_ike_store *st = ipx_ike_store_new(NULL);
	char issuer[300];
	struct ipx_cert_info a, b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	snprintf(issuer, sizeof(issuer),
	         "C=CH, ST=Zurich, L=Rapperswil, O=Example Networks Operations, "
	         "OU=Infrastructure Security, OU=IPsec Gateways, CN=Example Networks "
	         "Intermediate Certification Authority for Site-to-Site VPN Gateways 2026, "
	         "E=pki-operations@example.net");
	CU_ASSERT(strlen(issuer) > IPX_ROW_KEY_MAX);
	a = mk_cert("CN=gw1", issuer, "0a:01");
	b = mk_cert("CN=gw2", issuer, "0a:02");
	CU_ASSERT_EQUAL(ipx_ike_upsert_cert(st, 1, &a, "X509", IPX_CERT_FLAG_NONE, 0), 0);
	CU_ASSERT_EQUAL(ipx_ike_upsert_cert(st, 1, &b, "X509", IPX_CERT_FLAG_NONE, 0), 0);
	CU_ASSERT_EQUAL(ipx_cert_count(st), 2);
	CU_ASSERT_PTR_NOT_NULL(cert_of(st, "CN=gw1"));
	CU_ASSERT_PTR_NOT_NULL(cert_of(st, "CN=gw2"));
	ipx_ike_store_free(st);
}

/* ---- the lab's listing through the store ---------------------------------------------- */

/* Fixture events into the store, as the VICI source does, and the lab's kernel SAs. */
static void test_fixtures_into_store(void)
{
	struct pair p = new_pair();
	const struct ipx_vici_msg *m;
	struct ipx_ike_conn conns[4];
	struct ipx_ike_sa sa;
	struct ipx_child_sa c;
	const struct ipx_conn_row *r4, *r6;
	struct ipx_sa in = mk_kernel(0xc6d7028e, REMOTE4, LOCAL4, 252, 3);
	struct ipx_sa out = mk_kernel(0xc2ce5bbe, LOCAL4, REMOTE4, 252, 3);
	size_t i;
	int n, k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p.st);
	ipx_store_sa_upsert(p.xfrm, &in, 1);
	ipx_store_sa_upsert(p.xfrm, &out, 1);
	ipx_ike_sync_begin(p.st, 1, IPX_IKE_KIND_CONN);
	for (i = 0; (m = event(&fx_conns, "list-conn", i)) != NULL; i++) {
		n = ipx_ike_parse_conn(m->root.child, conns, 4);
		CU_ASSERT_EQUAL(n, 1);
		for (k = 0; k < n; k++)
			CU_ASSERT_EQUAL(ipx_ike_upsert_conn(p.st, 1, &conns[k]), 0);
	}
	CU_ASSERT_EQUAL(ipx_ike_sync_end(p.st, 1, IPX_IKE_KIND_CONN), 0);
	ipx_ike_sync_begin(p.st, 1, IPX_IKE_KIND_SA);
	for (i = 0; (m = event(&fx_sas, "list-sa", i)) != NULL; i++) {
		const struct ipx_vici_node *ike = m->root.child, *ch;
		CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_sa(ike, NOW, &sa), 0);
		CU_ASSERT_EQUAL(ipx_ike_upsert_sa(p.st, 1, &sa), 0);
		for (ch = ipx_vici_child(ike, "child-sas")->child; ch; ch = ch->next) {
			CU_ASSERT_EQUAL_FATAL(ipx_ike_parse_child(ch, sa.unique_id, NOW, &c), 0);
			CU_ASSERT_EQUAL(ipx_ike_upsert_child(p.st, 1, &c), 0);
		}
	}
	CU_ASSERT_EQUAL(ipx_ike_sync_end(p.st, 1, IPX_IKE_KIND_SA), 0);
	CU_ASSERT_EQUAL(ipx_ike_sa_count(p.st), 2);
	CU_ASSERT_EQUAL(ipx_child_count(p.st), 2);
	CU_ASSERT_EQUAL(ipx_conn_count(p.st), 2);
	r4 = ipx_conn_find(p.st, 1, "lab4", "net4");
	r6 = ipx_conn_find(p.st, 1, "lab6", "net6");
	CU_ASSERT_PTR_NOT_NULL_FATAL(r4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r6);
	CU_ASSERT_EQUAL(r4->ike_sas, 1);
	CU_ASSERT_EQUAL(r4->child_sas, 1);
	CU_ASSERT_EQUAL(r6->ike_sas, 1);
	CU_ASSERT_EQUAL(r6->child_sas, 1);
	/* net4-2 owns the lab's IPv4 kernel SAs; their traffic counts for lab4/net4. */
	CU_ASSERT_PTR_EQUAL(owner(&p, &in), ipx_child_find(p.st, 1, 2));
	CU_ASSERT_PTR_EQUAL(owner(&p, &out), ipx_child_find(p.st, 1, 2));
	CU_ASSERT_EQUAL(ipx_child_find(p.st, 1, 2)->conn_id, r4->h.id);
	CU_ASSERT_EQUAL(ipx_child_find(p.st, 1, 1)->conn_id, r6->h.id);
	CU_ASSERT_EQUAL(r4->ctr->octets_in, 252);
	CU_ASSERT_EQUAL(r4->ctr->packets_out, 3);
	CU_ASSERT_EQUAL(r6->ctr->octets_in, 0);
	free_pair(&p);
}

int main(void)
{
	unsigned int failed;
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ike", suite_init, suite_clean);
	if (!s)
		return 1;
	CU_add_test(s, "parse: charon's list-sa events", test_parse_list_sas);
	CU_add_test(s, "parse: every IKE SA key", test_parse_sa_every_key);
	CU_add_test(s, "parse: every CHILD_SA key", test_parse_child_every_key);
	CU_add_test(s, "parse: mark 0 with charon's implicit all-ones mask",
	            test_parse_child_zero_mark);
	CU_add_test(s, "parse: charon's list-conn events", test_parse_list_conns);
	CU_add_test(s, "parse: a connection with two children", test_parse_conn_built);
	CU_add_test(s, "parse: dynamic peers, connections without children",
	            test_parse_conn_dynamic_and_childless);
	CU_add_test(s, "parse: charon's child-rekey events and the kernel's SPIs",
	            test_parse_child_rekey);
	CU_add_test(s, "malformed: uniqueid", test_malformed_uniqueid);
	CU_add_test(s, "malformed: nodes that are not sections", test_malformed_nodes);
	CU_add_test(s, "malformed: numbers and names", test_malformed_numbers);
	CU_add_test(s, "malformed: numbers too large for 16-bit fields",
	            test_malformed_16bit_numbers);
	CU_add_test(s, "malformed: overlong names and lists are cut", test_overlong);
	CU_add_test(s, "IKEv1 exchange from the task lists", test_parse_exchange);
	CU_add_test(s, "Cisco-style states", test_cisco_state);
	CU_add_test(s, "state names", test_state_names);
	CU_add_test(s, "store: stable ids, never reused, GETNEXT order", test_store_ids);
	CU_add_test(s, "store: interleaved listings of two sources", test_store_sweep_two_sources);
	CU_add_test(s, "store: aborted listing, source down", test_store_abort_and_source_down);
	CU_add_test(s, "store: charon's counters", test_store_ike_counters);
	CU_add_test(s, "store: IKEv1 exchange remembered", test_store_exchange_remembered);
	CU_add_test(s, "store: IKEv1 exchange from charon's log", test_store_note_exchange);
	CU_add_test(s, "store: deleting 150-200 rows at once", test_store_many_rows);
	CU_add_test(s, "link: CHILD_SA first, kernel SAs after", test_link_child_first);
	CU_add_test(s, "link: kernel SAs first, CHILD_SA after", test_link_kernel_first);
	CU_add_test(s, "counters: updates add, deletes keep", test_counters_update_and_delete);
	CU_add_test(s, "counters: never go back across rekeys", test_counters_across_rekeys);
	CU_add_test(s, "link: marks and if_ids", test_link_mark_and_if_id);
	CU_add_test(s, "link: AH", test_link_ah);
	CU_add_test(s, "link: deleted CHILD_SAs and IKE SAs unlink", test_delete_child_unlinks);
	CU_add_test(s, "counters: kernel SAs linked again count once", test_counters_relink);
	CU_add_test(s, "conn rows: IKE SA and CHILD_SA figures", test_conn_figures);
	CU_add_test(s, "counters: last up and down", test_counters_last_up_down);
	CU_add_test(s, "certs: rows and used_by", test_certs);
	CU_add_test(s, "certs: used_by with similar connection names",
	            test_cert_used_by_similar_names);
	CU_add_test(s, "certs: used_by matches whole subjects", test_cert_used_by_exact_subject);
	CU_add_test(s, "certs: long issuer DNs", test_cert_long_issuer);
	CU_add_test(s, "the lab's listings through the store", test_fixtures_into_store);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
