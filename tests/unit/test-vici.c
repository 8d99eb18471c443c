/*
 * Unit tests of the VICI codec (src/vici.c) and client (src/vici_client.c).
 *
 * The codec is fed hand-made messages for every rule of the format, and packets recorded
 * from a real charon (tests/unit/fixtures/vici-*.bin, see its README.md), whose expected
 * values below are copied from what swanctl printed for the same state at the same time
 * (vici-*.swanctl.txt) and from `ip xfrm state` (vici-child-rekey.kernel.txt). Inputs are
 * decoded from heap copies of exactly their size, so AddressSanitizer sees any read past
 * their end. The client is driven against a fake charon on a unix socket of the test's own.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "fake-charon.h"
#include "fixture.h"

#include "ipsec_agentx/vici.h"
#include "ipsec_agentx/vici_client.h"

#define MAX_PKTS 16

/* ---- helpers -------------------------------------------------------------------------- */

struct blob {
	uint8_t *data;
	size_t len;
};

static struct blob copy_of(const void *p, size_t len)
{
	struct blob b = {malloc(len ? len : 1), len};

	if (len)
		memcpy(b.data, p, len);
	return b;
}

static int decode_copy(const void *p, size_t len, struct ipx_vici_msg **m)
{
	struct blob b = copy_of(p, len);
	int rc = ipx_vici_decode(b.data, b.len, m);

	free(b.data);
	return rc;
}

static int decode_packet_copy(const void *p, size_t len, struct ipx_vici_msg **m)
{
	struct blob b = copy_of(p, len);
	int rc = ipx_vici_decode_packet(b.data, b.len, m);

	free(b.data);
	return rc;
}

/* The bytes a builder holds, as a blob of its own. */
static struct blob built(const struct ipx_vici_builder *b)
{
	return copy_of(b->buf, b->len);
}

static int value_is(const struct ipx_vici_node *from, const char *path, const char *want)
{
	const char *v = ipx_vici_get(from, path);

	if (!v || strcmp(v, want) != 0) {
		fprintf(stderr, "\n  %s: got \"%s\", want \"%s\"\n", path, v ? v : "(none)", want);
		return 0;
	}
	return 1;
}

#define CHECK_VALUE(from, path, want) CU_ASSERT(value_is(from, path, want))

/* Re-encodes a decoded tree, to compare with the bytes it came from. */
static void build_children(struct ipx_vici_builder *b, const struct ipx_vici_node *parent);

static void build_node(struct ipx_vici_builder *b, const struct ipx_vici_node *n)
{
	switch (n->kind) {
	case IPX_VICI_SECTION:
		ipx_vici_begin_section(b, n->name);
		build_children(b, n);
		ipx_vici_end_section(b);
		break;
	case IPX_VICI_LIST:
		ipx_vici_begin_list(b, n->name);
		build_children(b, n);
		ipx_vici_end_list(b);
		break;
	case IPX_VICI_KV: ipx_vici_add_kv(b, n->name, n->value, n->value_len); break;
	case IPX_VICI_ITEM: ipx_vici_add_item(b, n->value, n->value_len); break;
	}
}

static void build_children(struct ipx_vici_builder *b, const struct ipx_vici_node *parent)
{
	const struct ipx_vici_node *n;

	for (n = parent->child; n; n = n->next)
		build_node(b, n);
}

static int same_tree(const struct ipx_vici_node *a, const struct ipx_vici_node *b)
{
	const struct ipx_vici_node *x, *y;

	if (a->kind != b->kind || a->name_len != b->name_len || strcmp(a->name, b->name) != 0 ||
	    a->value_len != b->value_len || a->children != b->children)
		return 0;
	if (a->value_len && memcmp(a->value, b->value, a->value_len) != 0)
		return 0;
	for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
		if (!same_tree(x, y))
			return 0;
	return !x && !y;
}

/* ---- fixtures ------------------------------------------------------------------------- */

static int load(const char *name, struct blob *out)
{
	void *data;
	int rc = ipx_fixture_load(name, &data, &out->len);

	out->data = rc == 0 ? data : NULL;
	return rc;
}

/* A fixture's packets, each in a heap block of exactly its size (length field included). */
struct pkts {
	size_t n;
	struct blob p[MAX_PKTS];
};

/* Splits DATA with the streaming reader, CHUNK bytes at a time (0: all at once). */
static int split(const struct blob *data, size_t chunk, struct pkts *out)
{
	struct ipx_vici_reader r;
	size_t off = 0, len, want;
	uint8_t *pkt;
	ssize_t used;

	memset(out, 0, sizeof(*out));
	ipx_vici_reader_init(&r);
	while (off < data->len) {
		want = chunk && chunk < data->len - off ? chunk : data->len - off;
		used = ipx_vici_reader_feed(&r, data->data + off, want, &pkt, &len);
		if (used < 0 || (used == 0 && !pkt) || out->n == MAX_PKTS)
			return -1;
		off += (size_t)used;
		if (pkt) {
			out->p[out->n].data = pkt;
			out->p[out->n++].len = len;
		}
	}
	/* Whatever is left half-read would be a truncated fixture. */
	used = r.hdr_got;
	ipx_vici_reader_reset(&r);
	return used ? -1 : 0;
}

static void free_pkts(struct pkts *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->p[i].data);
	p->n = 0;
}

static struct ipx_vici_msg *decode_pkt(const struct blob *p)
{
	struct ipx_vici_msg *m = NULL;

	if (p->len < IPX_VICI_HDR_LEN ||
	    decode_packet_copy(p->data + IPX_VICI_HDR_LEN, p->len - IPX_VICI_HDR_LEN, &m) != 0)
		return NULL;
	return m;
}

static const char *const fixtures[] = {"vici-list-sas.bin", "vici-list-conns.bin",
                                       "vici-list-certs.bin", "vici-version.bin",
                                       "vici-child-rekey.bin"};
#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

static struct pkts fx[N_FIXTURES];
static struct blob fx_raw[N_FIXTURES];

static int suite_init(void)
{
	size_t i;

	for (i = 0; i < N_FIXTURES; i++)
		if (load(fixtures[i], &fx_raw[i]) < 0 || split(&fx_raw[i], 0, &fx[i]) < 0)
			return -1;
	return 0;
}

static int suite_clean(void)
{
	size_t i;

	for (i = 0; i < N_FIXTURES; i++) {
		free_pkts(&fx[i]);
		free(fx_raw[i].data);
	}
	return 0;
}

enum { FX_LIST_SAS, FX_LIST_CONNS, FX_LIST_CERTS, FX_VERSION, FX_CHILD_REKEY };

/* ---- hand-made messages --------------------------------------------------------------- */

/*
 *   mode = tunnel
 *   peer = { id = sun  addrs = [ 192.0.2.2, 2001:db8::2 ]  inner = { x = "" } }
 *   last = 1
 */
static const uint8_t sample[] = {
    3,   4,   'm', 'o', 'd', 'e', 0,   6,   't', 'u', 'n', 'n', 'e', 'l', 1,   4,   'p', 'e',
    'e', 'r', 3,   2,   'i', 'd', 0,   3,   's', 'u', 'n', 4,   5,   'a', 'd', 'd', 'r', 's',
    5,   0,   9,   '1', '9', '2', '.', '0', '.', '2', '.', '2', 5,   0,   11,  '2', '0', '0',
    '1', ':', 'd', 'b', '8', ':', ':', '2', 6,   1,   5,   'i', 'n', 'n', 'e', 'r', 3,   1,
    'x', 0,   0,   2,   2,   3,   4,   'l', 'a', 's', 't', 0,   1,   '1',
};
/* Where a prefix of `sample` is a whole message: after each top-level element. */
static const size_t sample_whole[] = {0, 14, 77, sizeof(sample)};

static void test_sample_tree(void)
{
	const struct ipx_vici_node *peer, *addrs, *n;
	struct ipx_vici_msg *m = NULL;

	CU_ASSERT_EQUAL_FATAL(decode_copy(sample, sizeof(sample), &m), 0);
	CU_ASSERT_EQUAL(m->type, IPX_VICI_NO_PACKET);
	CU_ASSERT_EQUAL(m->root.children, 3);
	CU_ASSERT_EQUAL(m->nodes, 9);
	CHECK_VALUE(&m->root, "mode", "tunnel");
	CHECK_VALUE(&m->root, "peer/id", "sun");
	CHECK_VALUE(&m->root, "peer/inner/x", "");
	CHECK_VALUE(&m->root, "last", "1");
	peer = ipx_vici_child(&m->root, "peer");
	CU_ASSERT_PTR_NOT_NULL_FATAL(peer);
	CU_ASSERT_EQUAL(peer->kind, IPX_VICI_SECTION);
	CU_ASSERT_EQUAL(peer->children, 3);
	CU_ASSERT_PTR_NULL(peer->value);
	addrs = ipx_vici_find(&m->root, "peer/addrs");
	CU_ASSERT_PTR_NOT_NULL_FATAL(addrs);
	CU_ASSERT_EQUAL(addrs->kind, IPX_VICI_LIST);
	CU_ASSERT_EQUAL(addrs->children, 2);
	n = addrs->child;
	CU_ASSERT_EQUAL(n->kind, IPX_VICI_ITEM);
	CU_ASSERT_STRING_EQUAL(n->name, "");
	CU_ASSERT_EQUAL(n->value_len, 9);
	CU_ASSERT_STRING_EQUAL((const char *)n->value, "192.0.2.2");
	CU_ASSERT_STRING_EQUAL((const char *)n->next->value, "2001:db8::2");
	CU_ASSERT_PTR_NULL(n->next->next);
	/* Order on the wire is kept. */
	CU_ASSERT_STRING_EQUAL(m->root.child->name, "mode");
	CU_ASSERT_STRING_EQUAL(m->root.child->next->name, "peer");
	/* Misses: absent keys, non-key/values, paths through key/values. */
	CU_ASSERT_PTR_NULL(ipx_vici_get(&m->root, "peer"));
	CU_ASSERT_PTR_NULL(ipx_vici_get(&m->root, "peer/addrs"));
	CU_ASSERT_PTR_NULL(ipx_vici_get(&m->root, "mode/x"));
	CU_ASSERT_PTR_NULL(ipx_vici_get(&m->root, "peer/nothing"));
	CU_ASSERT_PTR_NULL(ipx_vici_get(&m->root, "pee"));
	CU_ASSERT_PTR_NULL(ipx_vici_find(&m->root, "peer//id"));
	CU_ASSERT_PTR_EQUAL(ipx_vici_find(&m->root, ""), &m->root);
	CU_ASSERT_PTR_EQUAL(ipx_vici_find(peer, "inner"), ipx_vici_find(&m->root, "peer/inner"));
	ipx_vici_msg_free(m);
}

static void test_empty_message(void)
{
	struct ipx_vici_msg *m = NULL;

	CU_ASSERT_EQUAL_FATAL(ipx_vici_decode(NULL, 0, &m), 0);
	CU_ASSERT_EQUAL(m->root.children, 0);
	CU_ASSERT_PTR_NULL(m->root.child);
	CU_ASSERT_EQUAL(m->nodes, 0);
	ipx_vici_msg_free(m);
}

/* Every prefix: a whole message at the boundaries, -EBADMSG elsewhere. */
static void test_truncations_sample(void)
{
	struct ipx_vici_msg *m;
	size_t len, b;
	int whole, rc;

	for (len = 0; len <= sizeof(sample); len++) {
		for (whole = 0, b = 0; b < sizeof(sample_whole) / sizeof(sample_whole[0]); b++)
			whole |= sample_whole[b] == len;
		m = NULL;
		rc = decode_copy(sample, len, &m);
		CU_ASSERT_EQUAL(rc, whole ? 0 : -EBADMSG);
		if (rc != (whole ? 0 : -EBADMSG))
			fprintf(stderr, "\n  prefix of %zu bytes: %d\n", len, rc);
		CU_ASSERT(whole ? m != NULL : m == NULL);
		ipx_vici_msg_free(m);
	}
}

/* The elements the builder makes, byte for byte, and a decode of them. */
static void test_builder_bytes(void)
{
	struct ipx_vici_builder b;
	struct blob got;

	ipx_vici_builder_init(&b);
	ipx_vici_add_kv_str(&b, "mode", "tunnel");
	ipx_vici_begin_section(&b, "peer");
	ipx_vici_add_kv_str(&b, "id", "sun");
	ipx_vici_begin_list(&b, "addrs");
	ipx_vici_add_item_str(&b, "192.0.2.2");
	ipx_vici_add_item_str(&b, "2001:db8::2");
	ipx_vici_end_list(&b);
	ipx_vici_begin_section(&b, "inner");
	ipx_vici_add_kv(&b, "x", NULL, 0);
	ipx_vici_end_section(&b);
	ipx_vici_end_section(&b);
	CU_ASSERT_EQUAL(ipx_vici_add_kv_str(&b, "last", "1"), 0);
	CU_ASSERT_EQUAL(b.err, 0);
	got = built(&b);
	CU_ASSERT_EQUAL(got.len, sizeof(sample));
	CU_ASSERT(got.len == sizeof(sample) && memcmp(got.data, sample, sizeof(sample)) == 0);
	free(got.data);
	ipx_vici_builder_release(&b);
	CU_ASSERT_PTR_NULL(b.buf);
}

/* Builder -> packet -> decode -> same tree -> builder -> same bytes. */
static void test_round_trip(void)
{
	static const uint8_t binary[] = {0, 1, 2, 0xff, '=', '\n', 0};
	struct ipx_vici_msg *m = NULL, *again = NULL;
	struct ipx_vici_builder b, b2;
	char key[IPX_VICI_MAX_NAME + 1];
	uint8_t *big, *pkt = NULL;
	size_t len = 0;
	const struct ipx_vici_node *n;

	memset(key, 'k', IPX_VICI_MAX_NAME);
	key[IPX_VICI_MAX_NAME] = '\0';
	big = malloc(IPX_VICI_MAX_VALUE);
	memset(big, 'v', IPX_VICI_MAX_VALUE);
	ipx_vici_builder_init(&b);
	ipx_vici_add_kv(&b, "binary", binary, sizeof(binary));
	ipx_vici_add_kv(&b, key, big, IPX_VICI_MAX_VALUE);
	ipx_vici_begin_section(&b, "");
	ipx_vici_add_kv_str(&b, "", "empty name");
	ipx_vici_begin_list(&b, "");
	ipx_vici_end_list(&b);
	ipx_vici_begin_section(&b, "empty");
	ipx_vici_end_section(&b);
	ipx_vici_end_section(&b);
	ipx_vici_begin_list(&b, "items");
	ipx_vici_add_item(&b, big, IPX_VICI_MAX_VALUE);
	ipx_vici_add_item(&b, NULL, 0);
	ipx_vici_add_item(&b, binary, sizeof(binary));
	ipx_vici_end_list(&b);
	CU_ASSERT_EQUAL_FATAL(ipx_vici_encode(IPX_VICI_CMD_REQUEST, "load-conn", &b, &pkt, &len),
	                      0);
	CU_ASSERT_EQUAL(len, IPX_VICI_HDR_LEN + 1 + 1 + 9 + b.len);
	CU_ASSERT_EQUAL_FATAL(
	    decode_packet_copy(pkt + IPX_VICI_HDR_LEN, len - IPX_VICI_HDR_LEN, &m), 0);
	CU_ASSERT_EQUAL(m->type, IPX_VICI_CMD_REQUEST);
	CU_ASSERT_STRING_EQUAL(m->name, "load-conn");
	CU_ASSERT_EQUAL(m->name_len, 9);
	n = ipx_vici_child(&m->root, "binary");
	CU_ASSERT_FATAL(n && n->value_len == sizeof(binary));
	CU_ASSERT(memcmp(n->value, binary, sizeof(binary)) == 0);
	/* A value holding NULs: whole through value_len, cut as a C string. */
	CU_ASSERT_STRING_EQUAL(ipx_vici_get(&m->root, "binary"), "");
	n = ipx_vici_child(&m->root, key);
	CU_ASSERT_FATAL(n != NULL);
	CU_ASSERT_EQUAL(n->name_len, IPX_VICI_MAX_NAME);
	CU_ASSERT_EQUAL(n->value_len, IPX_VICI_MAX_VALUE);
	CU_ASSERT(memcmp(n->value, big, IPX_VICI_MAX_VALUE) == 0);
	CU_ASSERT_EQUAL(n->value[IPX_VICI_MAX_VALUE], '\0');
	CU_ASSERT_PTR_EQUAL(ipx_vici_find(&m->root, key), n);
	/* An empty name cannot end a path ("a/" is "a"): ipx_vici_child() finds it. */
	n = ipx_vici_child(ipx_vici_child(&m->root, ""), "");
	CU_ASSERT_FATAL(n && n->kind == IPX_VICI_KV);
	CU_ASSERT_STRING_EQUAL((const char *)n->value, "empty name");
	CU_ASSERT_EQUAL(ipx_vici_find(&m->root, "/")->kind, IPX_VICI_SECTION);
	CU_ASSERT_EQUAL(ipx_vici_find(&m->root, "/empty")->kind, IPX_VICI_SECTION);
	CU_ASSERT_EQUAL(ipx_vici_find(&m->root, "/empty")->children, 0);
	CU_ASSERT_EQUAL(ipx_vici_find(&m->root, "items")->children, 3);
	/* And back: the same bytes. */
	ipx_vici_builder_init(&b2);
	build_children(&b2, &m->root);
	CU_ASSERT_EQUAL(b2.err, 0);
	CU_ASSERT(b2.len == b.len && memcmp(b2.buf, b.buf, b.len) == 0);
	CU_ASSERT_EQUAL(decode_copy(b2.buf, b2.len, &again), 0);
	CU_ASSERT(again && same_tree(&again->root, &m->root));
	ipx_vici_msg_free(again);
	ipx_vici_builder_release(&b2);
	ipx_vici_msg_free(m);
	ipx_vici_builder_release(&b);
	free(pkt);
	free(big);
}

/* ---- malformed input ------------------------------------------------------------------ */

struct bad_case {
	const char *what;
	uint8_t bytes[24];
	size_t len;
};

static void test_malformed(void)
{
	static const struct bad_case cases[] = {
	    {"element type 0", {0}, 1},
	    {"element type 7", {7}, 1},
	    {"element type 255", {255}, 1},
	    {"type 0 in a section", {1, 1, 's', 0, 2}, 5},
	    {"type 9 in a list", {4, 1, 'l', 9, 6}, 5},
	    {"SECTION_END at the root", {2}, 1},
	    {"SECTION_END after a whole section", {1, 1, 's', 2, 2}, 5},
	    {"LIST_END at the root", {6}, 1},
	    {"LIST_END closing a section", {1, 1, 's', 6}, 4},
	    {"SECTION_END closing a list", {4, 1, 'l', 2}, 4},
	    {"section left open", {1, 1, 's'}, 3},
	    {"list left open", {4, 1, 'l', 5, 0, 1, 'x'}, 7},
	    {"LIST_ITEM at the root", {5, 0, 1, 'x'}, 4},
	    {"LIST_ITEM in a section", {1, 1, 's', 5, 0, 1, 'x', 2}, 8},
	    {"KEY_VALUE in a list", {4, 1, 'l', 3, 1, 'k', 0, 1, 'v', 6}, 10},
	    {"SECTION_START in a list", {4, 1, 'l', 1, 1, 's', 2, 6}, 8},
	    {"LIST_START in a list", {4, 1, 'l', 4, 1, 'm', 6, 6}, 8},
	    {"name longer than the input", {1, 5, 's', 2}, 4},
	    {"value longer than the input", {3, 1, 'k', 0, 5, 'v'}, 6},
	    {"value length cut", {3, 1, 'k', 0}, 4},
	    {"name length missing", {3}, 1},
	    {"value length 0xffff", {5, 0xff, 0xff}, 3},
	};
	struct ipx_vici_msg *m;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = NULL;
		rc = decode_copy(cases[i].bytes, cases[i].len, &m);
		if (rc != -EBADMSG)
			fprintf(stderr, "\n  %s: %d\n", cases[i].what, rc);
		CU_ASSERT_EQUAL(rc, -EBADMSG);
		CU_ASSERT_PTR_NULL(m);
	}
}

/* N nested sections named "s", a key/value "k" = "v" in the deepest, and a list there. */
static struct blob nested(int n)
{
	struct blob b = {malloc((size_t)n * 4 + 16), 0};
	int i;

	for (i = 0; i < n; i++) {
		b.data[b.len++] = IPX_VICI_SECTION_START;
		b.data[b.len++] = 1;
		b.data[b.len++] = 's';
	}
	memcpy(b.data + b.len, (const uint8_t[]){3, 1, 'k', 0, 1, 'v', 4, 1, 'l', 6}, 10);
	b.len += 10;
	for (i = 0; i < n; i++)
		b.data[b.len++] = IPX_VICI_SECTION_END;
	return b;
}

static void test_depth(void)
{
	struct ipx_vici_msg *m = NULL;
	struct ipx_vici_builder b;
	struct blob ok = nested(IPX_VICI_MAX_DEPTH), deep = nested(IPX_VICI_MAX_DEPTH + 1);
	char path[IPX_VICI_MAX_DEPTH * 2 + 2] = "";
	int i;

	CU_ASSERT_EQUAL_FATAL(ipx_vici_decode(ok.data, ok.len, &m), 0);
	for (i = 0; i < IPX_VICI_MAX_DEPTH; i++)
		strcat(path, "s/");
	strcat(path, "k");
	CHECK_VALUE(&m->root, path, "v");
	ipx_vici_msg_free(m);
	m = NULL;
	CU_ASSERT_EQUAL(ipx_vici_decode(deep.data, deep.len, &m), -EBADMSG);
	CU_ASSERT_PTR_NULL(m);
	/* The builder refuses to go deeper than a decoder would accept. */
	ipx_vici_builder_init(&b);
	for (i = 0; i < IPX_VICI_MAX_DEPTH; i++)
		CU_ASSERT_EQUAL(ipx_vici_begin_section(&b, "s"), 0);
	CU_ASSERT_EQUAL(ipx_vici_begin_section(&b, "s"), -ELOOP);
	ipx_vici_builder_release(&b);
	free(ok.data);
	free(deep.data);
}

static void test_sizes(void)
{
	uint8_t *big = calloc(1, IPX_VICI_MAX_PACKET + 1);
	struct ipx_vici_msg *m = NULL;

	/* Checked before anything is read: the content does not matter. */
	CU_ASSERT_EQUAL(ipx_vici_decode(big, IPX_VICI_MAX_PACKET + 1, &m), -EMSGSIZE);
	CU_ASSERT_EQUAL(ipx_vici_decode_packet(big, IPX_VICI_MAX_PACKET + 1, &m), -EMSGSIZE);
	CU_ASSERT_PTR_NULL(m);
	/* At the limit: 524288 zero bytes are element type 0, so malformed, not too big. */
	CU_ASSERT_EQUAL(ipx_vici_decode(big, IPX_VICI_MAX_PACKET, &m), -EBADMSG);
	free(big);
}

static void test_packets_malformed(void)
{
	static const struct bad_case cases[] = {
	    {"empty packet", {0}, 0},
	    {"packet type 8", {8}, 1},
	    {"packet type 255", {255}, 1},
	    {"CMD_REQUEST without a name length", {0}, 1},
	    {"CMD_REQUEST with a cut name", {0, 5, 'l', 'i'}, 4},
	    {"EVENT with a cut name", {7, 3, 'l'}, 3},
	    {"EVENT_CONFIRM with a byte after", {5, 0}, 2},
	    {"CMD_UNKNOWN with a byte after", {2, 1}, 2},
	    {"EVENT_UNKNOWN with a byte after", {6, 3}, 2},
	    {"EVENT_REGISTER with a byte after its name", {3, 1, 'x', 3}, 4},
	    {"CMD_RESPONSE with a bad message", {1, 2}, 2},
	    {"EVENT with a message cut short", {7, 1, 'e', 3, 1, 'k', 0, 2, 'v'}, 9},
	};
	struct ipx_vici_msg *m;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = NULL;
		rc = decode_packet_copy(cases[i].bytes, cases[i].len, &m);
		if (rc != -EBADMSG)
			fprintf(stderr, "\n  %s: %d\n", cases[i].what, rc);
		CU_ASSERT_EQUAL(rc, -EBADMSG);
		CU_ASSERT_PTR_NULL(m);
	}
}

static void test_packets_good(void)
{
	static const uint8_t confirm[] = {5},
	                     reg[] = {3, 9, 'l', 'i', 's', 't', '-', 'c', 'e', 'r', 't'};
	static const uint8_t response[] = {1, 3, 1, 'k', 0, 1, 'v'}, unknown[] = {2};
	struct ipx_vici_msg *m = NULL;

	CU_ASSERT_EQUAL_FATAL(decode_packet_copy(confirm, sizeof(confirm), &m), 0);
	CU_ASSERT_EQUAL(m->type, IPX_VICI_EVENT_CONFIRM);
	CU_ASSERT_STRING_EQUAL(m->name, "");
	CU_ASSERT_EQUAL(m->root.children, 0);
	ipx_vici_msg_free(m);
	CU_ASSERT_EQUAL_FATAL(decode_packet_copy(reg, sizeof(reg), &m), 0);
	CU_ASSERT_EQUAL(m->type, IPX_VICI_EVENT_REGISTER);
	CU_ASSERT_STRING_EQUAL(m->name, "list-cert");
	ipx_vici_msg_free(m);
	CU_ASSERT_EQUAL_FATAL(decode_packet_copy(response, sizeof(response), &m), 0);
	CU_ASSERT_EQUAL(m->type, IPX_VICI_CMD_RESPONSE);
	CHECK_VALUE(&m->root, "k", "v");
	ipx_vici_msg_free(m);
	CU_ASSERT_EQUAL_FATAL(decode_packet_copy(unknown, sizeof(unknown), &m), 0);
	CU_ASSERT_EQUAL(m->type, IPX_VICI_CMD_UNKNOWN);
	ipx_vici_msg_free(m);
	CU_ASSERT_STRING_EQUAL(ipx_vici_type_name(IPX_VICI_EVENT), "EVENT");
	CU_ASSERT_STRING_EQUAL(ipx_vici_type_name(42), "unknown");
}

/* ---- the builder and the encoder ------------------------------------------------------ */

static void test_encode_bytes(void)
{
	static const uint8_t list_sas[] = {0,   0,   0,   10,  0,   8,   'l',
	                                   'i', 's', 't', '-', 's', 'a', 's'};
	static const uint8_t reg[] = {0,   0,   0,   13,  3,   11,  'c', 'h', 'i',
	                              'l', 'd', '-', 'r', 'e', 'k', 'e', 'y'};
	static const uint8_t noblock[] = {0,   0,   0,   24,  0, 8,   'l', 'i', 's', 't',
	                                  '-', 's', 'a', 's', 3, 7,   'n', 'o', 'b', 'l',
	                                  'o', 'c', 'k', 0,   3, 'y', 'e', 's'};
	static const uint8_t confirm[] = {0, 0, 0, 1, 5};
	struct ipx_vici_builder b;
	uint8_t *pkt = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(ipx_vici_encode(IPX_VICI_CMD_REQUEST, "list-sas", NULL, &pkt, &len),
	                      0);
	CU_ASSERT(len == sizeof(list_sas) && memcmp(pkt, list_sas, len) == 0);
	free(pkt);
	CU_ASSERT_EQUAL_FATAL(
	    ipx_vici_encode(IPX_VICI_EVENT_REGISTER, "child-rekey", NULL, &pkt, &len), 0);
	CU_ASSERT(len == sizeof(reg) && memcmp(pkt, reg, len) == 0);
	free(pkt);
	ipx_vici_builder_init(&b);
	ipx_vici_add_kv_str(&b, "noblock", "yes");
	CU_ASSERT_EQUAL_FATAL(ipx_vici_encode(IPX_VICI_CMD_REQUEST, "list-sas", &b, &pkt, &len), 0);
	CU_ASSERT(len == sizeof(noblock) && memcmp(pkt, noblock, len) == 0);
	free(pkt);
	ipx_vici_builder_release(&b);
	CU_ASSERT_EQUAL_FATAL(ipx_vici_encode(IPX_VICI_EVENT_CONFIRM, NULL, NULL, &pkt, &len), 0);
	CU_ASSERT(len == sizeof(confirm) && memcmp(pkt, confirm, len) == 0);
	free(pkt);
}

static void test_encode_refusals(void)
{
	char long_name[IPX_VICI_MAX_NAME + 2];
	struct ipx_vici_builder open, empty;
	uint8_t *pkt = NULL;
	size_t len = 0;

	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ipx_vici_builder_init(&empty);
	ipx_vici_builder_init(&open);
	ipx_vici_begin_section(&open, "s");
	CU_ASSERT_EQUAL(ipx_vici_encode(IPX_VICI_CMD_REQUEST, NULL, NULL, &pkt, &len), -EINVAL);
	CU_ASSERT_EQUAL(ipx_vici_encode(IPX_VICI_CMD_REQUEST, "", NULL, &pkt, &len), -EINVAL);
	CU_ASSERT_EQUAL(ipx_vici_encode(IPX_VICI_CMD_REQUEST, long_name, NULL, &pkt, &len),
	                -ENAMETOOLONG);
	CU_ASSERT_EQUAL(ipx_vici_encode(IPX_VICI_CMD_RESPONSE, "x", NULL, &pkt, &len), -EINVAL);
	CU_ASSERT_EQUAL(ipx_vici_encode(IPX_VICI_EVENT_REGISTER, "x", &empty, &pkt, &len), -EINVAL);
	CU_ASSERT_EQUAL(ipx_vici_encode(IPX_VICI_CMD_REQUEST, "x", &open, &pkt, &len), -EINVAL);
	CU_ASSERT_EQUAL(ipx_vici_encode(8, NULL, NULL, &pkt, &len), -EINVAL);
	CU_ASSERT_PTR_NULL(pkt);
	ipx_vici_end_section(&open);
	CU_ASSERT_EQUAL(ipx_vici_encode(IPX_VICI_CMD_REQUEST, "x", &open, &pkt, &len), 0);
	free(pkt);
	ipx_vici_builder_release(&open);
}

/* Each misuse fails with its error, which then sticks. */
static void test_builder_refusals(void)
{
	char long_name[IPX_VICI_MAX_NAME + 2];
	struct ipx_vici_builder b;
	uint8_t *big = calloc(1, IPX_VICI_MAX_VALUE + 1);
	int i, rc = 0;

	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
#define REFUSED(setup, call, want)                                                                 \
	do {                                                                                       \
		ipx_vici_builder_init(&b);                                                         \
		setup;                                                                             \
		CU_ASSERT_EQUAL(call, want);                                                       \
		CU_ASSERT_EQUAL(ipx_vici_add_kv_str(&b, "after", "x"), want);                      \
		CU_ASSERT_EQUAL(b.err, want);                                                      \
		ipx_vici_builder_release(&b);                                                      \
	} while (0)
	REFUSED((void)0, ipx_vici_end_section(&b), -EINVAL);
	REFUSED((void)0, ipx_vici_end_list(&b), -EINVAL);
	REFUSED((void)0, ipx_vici_add_item_str(&b, "x"), -EINVAL);
	REFUSED(ipx_vici_begin_list(&b, "l"), ipx_vici_add_kv_str(&b, "k", "v"), -EINVAL);
	REFUSED(ipx_vici_begin_list(&b, "l"), ipx_vici_begin_section(&b, "s"), -EINVAL);
	REFUSED(ipx_vici_begin_list(&b, "l"), ipx_vici_begin_list(&b, "m"), -EINVAL);
	REFUSED(ipx_vici_begin_list(&b, "l"), ipx_vici_end_section(&b), -EINVAL);
	REFUSED(ipx_vici_begin_section(&b, "s"), ipx_vici_end_list(&b), -EINVAL);
	REFUSED((void)0, ipx_vici_begin_section(&b, NULL), -EINVAL);
	REFUSED((void)0, ipx_vici_add_kv_str(&b, "k", NULL), -EINVAL);
	REFUSED((void)0, ipx_vici_add_kv(&b, "k", NULL, 3), -EINVAL);
	REFUSED((void)0, ipx_vici_begin_section(&b, long_name), -ENAMETOOLONG);
	REFUSED((void)0, ipx_vici_add_kv_str(&b, long_name, "v"), -ENAMETOOLONG);
	REFUSED((void)0, ipx_vici_begin_list(&b, long_name), -ENAMETOOLONG);
	REFUSED((void)0, ipx_vici_add_kv(&b, "k", big, IPX_VICI_MAX_VALUE + 1), -E2BIG);
	REFUSED(ipx_vici_begin_list(&b, "l"), ipx_vici_add_item(&b, big, IPX_VICI_MAX_VALUE + 1),
	        -E2BIG);
#undef REFUSED
	/* A message cannot outgrow a packet: 8 maximal values are more than 512 KiB. */
	ipx_vici_builder_init(&b);
	for (i = 0; i < 8 && rc == 0; i++)
		rc = ipx_vici_add_kv(&b, "k", big, IPX_VICI_MAX_VALUE);
	CU_ASSERT_EQUAL(i, 8);
	CU_ASSERT_EQUAL(rc, -EMSGSIZE);
	CU_ASSERT(b.len <= IPX_VICI_MAX_PACKET);
	ipx_vici_builder_release(&b);
	free(big);
}

/* A message as big as a packet allows, and one byte more. */
static void test_encode_limit(void)
{
	uint8_t *big = calloc(1, IPX_VICI_MAX_VALUE);
	struct ipx_vici_builder b;
	uint8_t *pkt = NULL;
	size_t len = 0, kv = 1 + 1 + 1 + 2 + IPX_VICI_MAX_VALUE, rest;
	struct ipx_vici_msg *m = NULL;
	int i;

	ipx_vici_builder_init(&b);
	for (i = 0; i < 7; i++)
		ipx_vici_add_kv(&b, "k", big, IPX_VICI_MAX_VALUE);
	/* CMD_RESPONSE adds its type byte: fill to exactly the limit. */
	rest = IPX_VICI_MAX_PACKET - 1 - 7 * kv - (1 + 1 + 1 + 2);
	ipx_vici_add_kv(&b, "k", big, rest);
	CU_ASSERT_EQUAL(b.err, 0);
	CU_ASSERT_EQUAL(ipx_vici_encode(IPX_VICI_CMD_RESPONSE, NULL, &b, &pkt, &len), 0);
	CU_ASSERT_EQUAL(len, IPX_VICI_HDR_LEN + IPX_VICI_MAX_PACKET);
	CU_ASSERT_EQUAL(decode_packet_copy(pkt + IPX_VICI_HDR_LEN, len - IPX_VICI_HDR_LEN, &m), 0);
	CU_ASSERT(m && m->root.children == 8);
	ipx_vici_msg_free(m);
	free(pkt);
	pkt = NULL;
	/* A named type adds more: too big. */
	CU_ASSERT_EQUAL(ipx_vici_encode(IPX_VICI_EVENT, "e", &b, &pkt, &len), -EMSGSIZE);
	CU_ASSERT_PTR_NULL(pkt);
	ipx_vici_builder_release(&b);
	free(big);
}

/* ---- the streaming reader ------------------------------------------------------------- */

static void test_reader_lengths(void)
{
	static const uint8_t too_big[] = {0x00, 0x08, 0x00, 0x01},
	                     huge[] = {0xff, 0xff, 0xff, 0xff};
	static const uint8_t zero[] = {0, 0, 0, 0}, max[] = {0x00, 0x08, 0x00, 0x00, 1};
	struct ipx_vici_reader r;
	uint8_t *pkt;
	size_t len;

	ipx_vici_reader_init(&r);
	CU_ASSERT_EQUAL(ipx_vici_reader_feed(&r, too_big, 3, &pkt, &len), 3);
	CU_ASSERT_EQUAL(ipx_vici_reader_feed(&r, too_big + 3, 1, &pkt, &len), -EMSGSIZE);
	CU_ASSERT_PTR_NULL(r.pkt); /* nothing allocated for it */
	CU_ASSERT_PTR_NULL(pkt);
	/* Sticky: the framing is lost. */
	CU_ASSERT_EQUAL(ipx_vici_reader_feed(&r, zero, 4, &pkt, &len), -EMSGSIZE);
	ipx_vici_reader_reset(&r);
	CU_ASSERT_EQUAL(ipx_vici_reader_feed(&r, huge, 4, &pkt, &len), -EMSGSIZE);
	CU_ASSERT_PTR_NULL(r.pkt);
	ipx_vici_reader_reset(&r);
	CU_ASSERT_EQUAL(ipx_vici_reader_feed(&r, zero, 4, &pkt, &len), -EBADMSG);
	ipx_vici_reader_reset(&r);
	/* Exactly the limit is fine. */
	CU_ASSERT_EQUAL(ipx_vici_reader_feed(&r, max, 5, &pkt, &len), 5);
	CU_ASSERT_PTR_NULL(pkt);
	CU_ASSERT_PTR_NOT_NULL(r.pkt);
	CU_ASSERT_EQUAL(r.pkt_len, IPX_VICI_HDR_LEN + IPX_VICI_MAX_PACKET);
	CU_ASSERT_EQUAL(ipx_vici_reader_feed(&r, max, 0, &pkt, &len), 0);
	ipx_vici_reader_reset(&r);
	CU_ASSERT_PTR_NULL(r.pkt);
}

/* Fed 1 byte, 2, 3, 7, 4096 bytes at a time: the same packets as all at once. */
static void test_reader_chunks(void)
{
	static const size_t chunks[] = {1, 2, 3, 5, 7, 4096};
	struct pkts got;
	size_t f, c, i;

	for (f = 0; f < N_FIXTURES; f++) {
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			CU_ASSERT_EQUAL_FATAL(split(&fx_raw[f], chunks[c], &got), 0);
			CU_ASSERT_EQUAL(got.n, fx[f].n);
			for (i = 0; i < got.n && i < fx[f].n; i++)
				CU_ASSERT(got.p[i].len == fx[f].p[i].len &&
				          memcmp(got.p[i].data, fx[f].p[i].data, got.p[i].len) ==
				              0);
			free_pkts(&got);
		}
	}
}

/* Two packets in one chunk: the reader stops after the first. */
static void test_reader_stops_after_packet(void)
{
	static const uint8_t two[] = {0, 0, 0, 1, 5, 0, 0, 0, 1, 6};
	struct ipx_vici_reader r;
	uint8_t *pkt;
	size_t len;

	ipx_vici_reader_init(&r);
	CU_ASSERT_EQUAL(ipx_vici_reader_feed(&r, two, sizeof(two), &pkt, &len), 5);
	CU_ASSERT(pkt && len == 5 && pkt[4] == IPX_VICI_EVENT_CONFIRM);
	free(pkt);
	CU_ASSERT_EQUAL(ipx_vici_reader_feed(&r, two + 5, 5, &pkt, &len), 5);
	CU_ASSERT(pkt && len == 5 && pkt[4] == IPX_VICI_EVENT_UNKNOWN);
	free(pkt);
	ipx_vici_reader_reset(&r);
}

/* ---- what a real charon sent ---------------------------------------------------------- */

static void check_types(const struct pkts *p, const uint8_t *types, size_t n)
{
	size_t i;

	CU_ASSERT_EQUAL_FATAL(p->n, n);
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(p->p[i].data[IPX_VICI_HDR_LEN], types[i]);
}

/* Each real packet decodes, and re-encodes to the very same bytes. */
static void test_real_round_trip(void)
{
	struct ipx_vici_builder b;
	struct ipx_vici_msg *m;
	uint8_t *pkt;
	size_t f, i, len;

	for (f = 0; f < N_FIXTURES; f++) {
		for (i = 0; i < fx[f].n; i++) {
			m = decode_pkt(&fx[f].p[i]);
			CU_ASSERT_PTR_NOT_NULL_FATAL(m);
			ipx_vici_builder_init(&b);
			build_children(&b, &m->root);
			pkt = NULL;
			CU_ASSERT_EQUAL(
			    ipx_vici_encode(m->type, m->name_len ? m->name : NULL,
			                    ipx_vici_type_has_message(m->type) ? &b : NULL, &pkt,
			                    &len),
			    0);
			CU_ASSERT(pkt && len == fx[f].p[i].len &&
			          memcmp(pkt, fx[f].p[i].data, len) == 0);
			free(pkt);
			ipx_vici_builder_release(&b);
			ipx_vici_msg_free(m);
		}
	}
}

/*
 * Every truncation of every real packet: -EBADMSG, except where the cut falls between two
 * top-level elements of the message (a shorter message that is whole). Those places come
 * from re-encoding the root's children one by one.
 */
static void truncations_of(const struct blob *p)
{
	const uint8_t *body = p->data + IPX_VICI_HDR_LEN;
	size_t blen = p->len - IPX_VICI_HDR_LEN, hdr, whole, cut;
	const struct ipx_vici_node *n;
	struct ipx_vici_builder b;
	struct ipx_vici_msg *m = decode_pkt(p), *t;
	int rc, ok;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	hdr = 1 + (ipx_vici_type_named(m->type) ? 1 + m->name_len : 0);
	for (cut = 0; cut < blen; cut++) {
		ok = 0;
		if (cut == hdr && ipx_vici_type_has_message(m->type))
			ok = 1;
		for (whole = hdr, n = m->root.child; n && !ok && whole < cut; n = n->next) {
			ipx_vici_builder_init(&b);
			build_node(&b, n);
			whole += b.len;
			ipx_vici_builder_release(&b);
			ok = whole == cut;
		}
		t = NULL;
		rc = decode_packet_copy(body, cut, &t);
		if (rc != (ok ? 0 : -EBADMSG))
			fprintf(stderr, "\n  %s cut at %zu of %zu: %d\n",
			        ipx_vici_type_name(m->type), cut, blen, rc);
		CU_ASSERT_EQUAL(rc, ok ? 0 : -EBADMSG);
		ipx_vici_msg_free(t);
	}
	ipx_vici_msg_free(m);
}

static void test_real_truncations(void)
{
	size_t f, i;

	for (f = 0; f < N_FIXTURES; f++)
		for (i = 0; i < fx[f].n; i++)
			truncations_of(&fx[f].p[i]);
}

static void test_real_list_sas(void)
{
	static const uint8_t types[] = {IPX_VICI_EVENT_CONFIRM, IPX_VICI_EVENT, IPX_VICI_EVENT,
	                                IPX_VICI_CMD_RESPONSE, IPX_VICI_EVENT_CONFIRM};
	const struct ipx_vici_node *ike, *child, *n;
	struct ipx_vici_msg *ev4 = NULL, *ev6 = NULL, *reply;
	size_t i;

	check_types(&fx[FX_LIST_SAS], types, sizeof(types));
	for (i = 1; i <= 2; i++) {
		struct ipx_vici_msg *m = decode_pkt(&fx[FX_LIST_SAS].p[i]);

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_STRING_EQUAL(m->name, "list-sa");
		CU_ASSERT_EQUAL(m->root.children, 1); /* one IKE_SA per event */
		if (ipx_vici_child(&m->root, "lab4"))
			ev4 = m;
		else
			ev6 = m;
	}
	CU_ASSERT_FATAL(ev4 && ev6);
	/* What swanctl printed (vici-list-sas.swanctl.txt). */
	ike = ipx_vici_child(&ev4->root, "lab4");
	CU_ASSERT_EQUAL(ike->kind, IPX_VICI_SECTION);
	CHECK_VALUE(ike, "uniqueid", "1");
	CHECK_VALUE(ike, "version", "2");
	CHECK_VALUE(ike, "state", "ESTABLISHED");
	CHECK_VALUE(ike, "local-host", "192.0.2.1");
	CHECK_VALUE(ike, "local-port", "4500");
	CHECK_VALUE(ike, "local-id", "moon");
	CHECK_VALUE(ike, "remote-host", "192.0.2.2");
	CHECK_VALUE(ike, "remote-port", "4500");
	CHECK_VALUE(ike, "remote-id", "sun");
	CHECK_VALUE(ike, "initiator-spi", "4b3fd71e0e069f44");
	CHECK_VALUE(ike, "responder-spi", "4c1468ac5ff1922a");
	CHECK_VALUE(ike, "encr-alg", "AES_CBC");
	CHECK_VALUE(ike, "encr-keysize", "128");
	CHECK_VALUE(ike, "integ-alg", "HMAC_SHA2_256_128");
	CHECK_VALUE(ike, "prf-alg", "PRF_HMAC_SHA2_256");
	CHECK_VALUE(ike, "dh-group", "CURVE_25519");
	/* Not sent when there is nothing to say: no initiator key for a responder, no NAT. */
	CU_ASSERT_PTR_NULL(ipx_vici_find(ike, "initiator"));
	CU_ASSERT_PTR_NULL(ipx_vici_find(ike, "nat-any"));
	/* One CHILD_SA, its section named "<child>-<uniqueid>", the name in a key. */
	n = ipx_vici_child(ike, "child-sas");
	CU_ASSERT_FATAL(n && n->children == 1);
	child = n->child;
	CU_ASSERT_STRING_EQUAL(child->name, "net4-2");
	CHECK_VALUE(child, "name", "net4");
	CHECK_VALUE(child, "uniqueid", "2");
	CHECK_VALUE(child, "reqid", "2");
	CHECK_VALUE(child, "state", "INSTALLED");
	CHECK_VALUE(child, "mode", "TUNNEL");
	CHECK_VALUE(child, "protocol", "ESP");
	CHECK_VALUE(child, "spi-in", "c6d7028e");
	CHECK_VALUE(child, "spi-out", "c2ce5bbe");
	CHECK_VALUE(child, "encr-alg", "AES_GCM_16");
	CHECK_VALUE(child, "encr-keysize", "128");
	CU_ASSERT_PTR_NULL(ipx_vici_find(child, "integ-alg")); /* AEAD */
	CHECK_VALUE(child, "bytes-in", "0");
	CHECK_VALUE(child, "packets-out", "0");
	CU_ASSERT_PTR_NULL(ipx_vici_find(child, "use-in")); /* no packet yet */
	n = ipx_vici_child(child, "local-ts");
	CU_ASSERT_FATAL(n && n->kind == IPX_VICI_LIST && n->children == 1);
	CU_ASSERT_STRING_EQUAL((const char *)n->child->value, "198.51.100.0/24");
	n = ipx_vici_child(child, "remote-ts");
	CU_ASSERT_FATAL(n && n->children == 1);
	CU_ASSERT_STRING_EQUAL((const char *)n->child->value, "203.0.113.0/24");

	ike = ipx_vici_child(&ev6->root, "lab6");
	CHECK_VALUE(ike, "uniqueid", "2");
	CHECK_VALUE(ike, "local-host", "2001:db8::1");
	CHECK_VALUE(ike, "remote-host", "2001:db8::2");
	CHECK_VALUE(ike, "child-sas/net6-1/reqid", "1");
	CHECK_VALUE(ike, "child-sas/net6-1/spi-in", "cff73061");
	CHECK_VALUE(ike, "child-sas/net6-1/spi-out", "c9fe0030");
	CHECK_VALUE(ike, "child-sas/net6-1/encr-alg", "AES_CBC");
	CHECK_VALUE(ike, "child-sas/net6-1/encr-keysize", "256");
	CHECK_VALUE(ike, "child-sas/net6-1/integ-alg", "HMAC_SHA2_256_128");
	CU_ASSERT_STRING_EQUAL(
	    (const char *)ipx_vici_find(ike, "child-sas/net6-1/local-ts")->child->value,
	    "2001:db8:1::/64");

	/* The command's own reply is empty: everything came in the events. */
	reply = decode_pkt(&fx[FX_LIST_SAS].p[3]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(reply);
	CU_ASSERT_EQUAL(reply->root.children, 0);
	CU_ASSERT_EQUAL(fx[FX_LIST_SAS].p[3].len, IPX_VICI_HDR_LEN + 1);
	ipx_vici_msg_free(reply);
	ipx_vici_msg_free(ev4);
	ipx_vici_msg_free(ev6);
}

static void test_real_version(void)
{
	static const uint8_t types[] = {IPX_VICI_CMD_RESPONSE};
	struct ipx_vici_msg *m;

	check_types(&fx[FX_VERSION], types, sizeof(types));
	m = decode_pkt(&fx[FX_VERSION].p[0]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->root.children, 5);
	CHECK_VALUE(&m->root, "daemon", "charon");
	CHECK_VALUE(&m->root, "version", "5.9.8");
	CHECK_VALUE(&m->root, "sysname", "Linux");
	CHECK_VALUE(&m->root, "release", "6.1.176");
	CHECK_VALUE(&m->root, "machine", "x86_64");
	ipx_vici_msg_free(m);
}

static void test_real_list_conns(void)
{
	static const uint8_t types[] = {IPX_VICI_EVENT_CONFIRM, IPX_VICI_EVENT, IPX_VICI_EVENT,
	                                IPX_VICI_CMD_RESPONSE, IPX_VICI_EVENT_CONFIRM};
	const struct ipx_vici_node *conn, *n;
	struct ipx_vici_msg *m;

	check_types(&fx[FX_LIST_CONNS], types, sizeof(types));
	m = decode_pkt(&fx[FX_LIST_CONNS].p[1]);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->name, "list-conn");
	conn = ipx_vici_child(&m->root, "lab4");
	CU_ASSERT_PTR_NOT_NULL_FATAL(conn);
	n = ipx_vici_child(conn, "local_addrs");
	CU_ASSERT_FATAL(n && n->kind == IPX_VICI_LIST && n->children == 1);
	CU_ASSERT_STRING_EQUAL((const char *)n->child->value, "192.0.2.1");
	CHECK_VALUE(conn, "version", "IKEv2");
	CHECK_VALUE(conn, "reauth_time", "0");
	CHECK_VALUE(conn, "rekey_time", "14400");
	CHECK_VALUE(conn, "unique", "UNIQUE_NO");
	CHECK_VALUE(conn, "local-1/id", "moon");
	CHECK_VALUE(conn, "local-1/class", "pre-shared key");
	CHECK_VALUE(conn, "remote-1/id", "sun");
	n = ipx_vici_find(conn, "remote-1/certs");
	CU_ASSERT(n && n->kind == IPX_VICI_LIST && n->children == 0 && !n->child);
	CHECK_VALUE(conn, "children/net4/mode", "TUNNEL");
	CHECK_VALUE(conn, "children/net4/rekey_time", "3600");
	CHECK_VALUE(conn, "children/net4/dpd_action", "none");
	CU_ASSERT_STRING_EQUAL(
	    (const char *)ipx_vici_find(conn, "children/net4/remote-ts")->child->value,
	    "203.0.113.0/24");
	ipx_vici_msg_free(m);
}

static void test_real_list_certs(void)
{
	static const uint8_t types[] = {IPX_VICI_EVENT_CONFIRM, IPX_VICI_CMD_RESPONSE,
	                                IPX_VICI_EVENT_CONFIRM};

	/* No certificates: no list-cert event at all, an empty reply. */
	check_types(&fx[FX_LIST_CERTS], types, sizeof(types));
}

/* The kernel's SPIs (vici-child-rekey.kernel.txt) before and after, named by the events. */
static void test_real_child_rekey(void)
{
	static const uint8_t types[] = {IPX_VICI_EVENT_CONFIRM, IPX_VICI_EVENT, IPX_VICI_EVENT};
	static const char *const want[2][5] = {
	    {"lab4/child-sas/net4", "c6d7028e", "c2ce5bbe", "cf99dcea", "c371203e"},
	    {"lab6/child-sas/net6", "cff73061", "c9fe0030", "c8a59c44", "c1dadc6b"},
	};
	const struct ipx_vici_node *c;
	struct ipx_vici_msg *m;
	size_t i, k;

	check_types(&fx[FX_CHILD_REKEY], types, sizeof(types));
	for (i = 1; i <= 2; i++) {
		m = decode_pkt(&fx[FX_CHILD_REKEY].p[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_STRING_EQUAL(m->name, "child-rekey");
		for (k = 0; k < 2; k++) {
			/* Here the section is the child's config name, not "<name>-<uniqueid>". */
			c = ipx_vici_find(&m->root, want[k][0]);
			if (!c)
				continue;
			CHECK_VALUE(c, "old/state", "REKEYED");
			CHECK_VALUE(c, "new/state", "INSTALLED");
			CHECK_VALUE(c, "old/spi-in", want[k][1]);
			CHECK_VALUE(c, "old/spi-out", want[k][2]);
			CHECK_VALUE(c, "new/spi-in", want[k][3]);
			CHECK_VALUE(c, "new/spi-out", want[k][4]);
			CU_ASSERT_STRING_EQUAL(ipx_vici_get(c, "old/reqid"),
			                       ipx_vici_get(c, "new/reqid"));
			break;
		}
		CU_ASSERT(k < 2);
		ipx_vici_msg_free(m);
	}
}

/* ---- garbage -------------------------------------------------------------------------- */

/* Every byte of every real packet set to a few values: 0 or -EBADMSG, never a crash. */
static void test_mutated(void)
{
	static const uint8_t values[] = {0, 1, 2, 3, 4, 5, 6, 7, 0x7f, 0xff};
	struct ipx_vici_msg *m;
	struct blob c;
	size_t f, i, at, v;
	int rc;

	for (f = 0; f < N_FIXTURES; f++) {
		for (i = 0; i < fx[f].n; i++) {
			const struct blob *p = &fx[f].p[i];

			for (at = IPX_VICI_HDR_LEN; at < p->len; at++) {
				for (v = 0; v < sizeof(values); v++) {
					c = copy_of(p->data + IPX_VICI_HDR_LEN,
					            p->len - IPX_VICI_HDR_LEN);
					c.data[at - IPX_VICI_HDR_LEN] = values[v];
					m = NULL;
					rc = ipx_vici_decode_packet(c.data, c.len, &m);
					CU_ASSERT(rc == 0 || rc == -EBADMSG);
					ipx_vici_msg_free(m);
					free(c.data);
				}
			}
		}
	}
}

static void test_random(void)
{
	struct ipx_vici_msg *m;
	uint8_t *buf;
	size_t len, i;
	int round, rc;

	srand(4500);
	for (round = 0; round < 20000; round++) {
		len = (size_t)(rand() % 64);
		buf = malloc(len ? len : 1);
		for (i = 0; i < len; i++)
			/* Mostly valid element types, so that parsing goes somewhere. */
			buf[i] = (uint8_t)(rand() % 4 ? rand() % 8 : rand() % 256);
		m = NULL;
		rc = ipx_vici_decode(buf, len, &m);
		CU_ASSERT(rc == 0 || rc == -EBADMSG);
		ipx_vici_msg_free(m);
		free(buf);
	}
}

/* ---- the client against a fake charon ------------------------------------------------- */

struct seen {
	int events, streamed, done, down, up;
	int last_err, down_err;
	char last_event[IPX_VICI_MAX_NAME + 1], last_stream[IPX_VICI_MAX_NAME + 1];
	struct ipx_vici_client *c; /* for callbacks that act on the client */
	int close_on_stream, close_on_done, queue_on_done;
};

static void seen_event(void *arg, const struct ipx_vici_msg *m)
{
	struct seen *s = arg;

	s->events++;
	snprintf(s->last_event, sizeof(s->last_event), "%s", m->name);
}

static void seen_stream(void *arg, const struct ipx_vici_msg *m)
{
	struct seen *s = arg;

	s->streamed++;
	snprintf(s->last_stream, sizeof(s->last_stream), "%s", m->name);
	if (s->close_on_stream)
		ipx_vici_client_close(s->c);
}

static void seen_done(void *arg, int err, const struct ipx_vici_msg *reply)
{
	struct seen *s = arg;

	s->done++;
	s->last_err = err;
	if (s->queue_on_done && s->queue_on_done--)
		CU_ASSERT_EQUAL(
		    ipx_vici_client_command(s->c, "stats", NULL, NULL, NULL, seen_done, s), 0);
	if (s->close_on_done)
		ipx_vici_client_close(s->c);
}

static void seen_down(void *arg, int err)
{
	struct seen *s = arg;

	s->down++;
	s->down_err = err;
}

static void seen_up(void *arg)
{
	struct seen *s = arg;

	s->up++;
}

/* Runs the client's side of the loop until nothing more happens for a moment. */
static void pump(struct ipx_vici_client *c)
{
	struct timeval tv;
	fd_set rd, wr;
	int fd, want, idle = 0;

	while (idle < 2 && (fd = ipx_vici_client_fd(c)) >= 0) {
		want = ipx_vici_client_poll_events(c);
		FD_ZERO(&rd);
		FD_ZERO(&wr);
		if (want & POLLIN)
			FD_SET(fd, &rd);
		if (want & POLLOUT)
			FD_SET(fd, &wr);
		tv.tv_sec = 0;
		tv.tv_usec = 20000;
		if (select(fd + 1, &rd, &wr, NULL, &tv) <= 0) {
			idle++;
			continue;
		}
		idle = 0;
		if (FD_ISSET(fd, &wr))
			ipx_vici_client_on_writable(c);
		if (FD_ISSET(fd, &rd) && ipx_vici_client_fd(c) == fd)
			ipx_vici_client_on_readable(c);
	}
}

static int fake_expect(struct fake *f, unsigned int type, const char *name)
{
	struct ipx_vici_msg *m = fake_read(f);
	int ok = m && m->type == type && strcmp(m->name, name) == 0;

	if (!ok)
		fprintf(stderr, "\n  wanted %s %s, got %s %s\n", ipx_vici_type_name(type), name,
		        m ? ipx_vici_type_name(m->type) : "nothing", m ? m->name : "");
	ipx_vici_msg_free(m);
	return ok;
}

/* An event of one key/value; and one byte at a time, to make the client reassemble. */
static void fake_event(struct fake *f, const char *name, int bytewise)
{
	struct ipx_vici_builder b;
	uint8_t *pkt = NULL;
	size_t len = 0, i;

	ipx_vici_builder_init(&b);
	ipx_vici_begin_section(&b, "lab4");
	ipx_vici_add_kv_str(&b, "state", "ESTABLISHED");
	ipx_vici_end_section(&b);
	if (!bytewise) {
		fake_send(f, IPX_VICI_EVENT, name, &b);
	} else {
		CU_ASSERT_EQUAL_FATAL(ipx_vici_encode(IPX_VICI_EVENT, name, &b, &pkt, &len), 0);
		for (i = 0; i < len; i++)
			CU_ASSERT_EQUAL(send(f->fd, pkt + i, 1, MSG_NOSIGNAL), 1);
		free(pkt);
	}
	ipx_vici_builder_release(&b);
}

static struct ipx_vici_client *client_for(struct fake *f, struct seen *s)
{
	static const struct ipx_vici_client_ops ops = {
	    .on_event = seen_event, .on_down = seen_down, .on_up = seen_up};
	struct ipx_vici_client *c = NULL;

	memset(s, 0, sizeof(*s));
	if (ipx_vici_client_new(f->path, &ops, s, &c) != 0)
		return NULL;
	s->c = c;
	if (ipx_vici_client_connect(c) != 0 || fake_accept(f) != 0) {
		ipx_vici_client_free(c);
		return NULL;
	}
	return c;
}

/* One request at a time; a stream's events to the command; other events in between to
 * on_event; unknown commands and events. */
static void test_client_exchange(void)
{
	struct ipx_vici_builder empty;
	struct ipx_vici_client *c;
	struct fake f;
	struct seen s;

	CU_ASSERT_EQUAL_FATAL(fake_start(&f), 0);
	c = client_for(&f, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(ipx_vici_client_state(c), IPX_VICI_UP);
	CU_ASSERT_EQUAL(s.up, 1);
	ipx_vici_builder_init(&empty);
	CU_ASSERT_EQUAL(
	    ipx_vici_client_command(c, "list-sas", NULL, "list-sa", seen_stream, seen_done, &s), 0);
	CU_ASSERT_EQUAL(ipx_vici_client_command(c, "version", NULL, NULL, NULL, seen_done, &s), 0);
	CU_ASSERT_EQUAL(ipx_vici_client_pending(c), 2);
	CU_ASSERT(ipx_vici_client_poll_events(c) & POLLOUT);
	pump(c);
	CU_ASSERT(fake_expect(&f, IPX_VICI_EVENT_REGISTER, "list-sa"));
	CU_ASSERT(fake_idle(&f)); /* nothing more until that is answered */
	fake_send(&f, IPX_VICI_EVENT_CONFIRM, NULL, NULL);
	pump(c);
	CU_ASSERT(fake_expect(&f, IPX_VICI_CMD_REQUEST, "list-sas"));
	CU_ASSERT(fake_idle(&f));
	fake_event(&f, "list-sa", 0);
	fake_event(&f, "ike-updown", 1); /* not the stream's: to on_event */
	fake_event(&f, "list-sa", 1);
	fake_send(&f, IPX_VICI_CMD_RESPONSE, NULL, &empty);
	pump(c);
	CU_ASSERT_EQUAL(s.streamed, 2);
	CU_ASSERT_STRING_EQUAL(s.last_stream, "list-sa");
	CU_ASSERT_EQUAL(s.events, 1);
	CU_ASSERT_STRING_EQUAL(s.last_event, "ike-updown");
	CU_ASSERT_EQUAL(s.done, 1);
	CU_ASSERT_EQUAL(s.last_err, 0);
	CU_ASSERT(fake_expect(&f, IPX_VICI_EVENT_UNREGISTER, "list-sa"));
	CU_ASSERT(fake_idle(&f));
	/* After the stream ended, a list-sa is an event like any other. */
	fake_event(&f, "list-sa", 0);
	fake_send(&f, IPX_VICI_EVENT_CONFIRM, NULL, NULL);
	pump(c);
	CU_ASSERT_EQUAL(s.events, 2);
	CU_ASSERT_EQUAL(s.streamed, 2);
	CU_ASSERT(fake_expect(&f, IPX_VICI_CMD_REQUEST, "version"));
	fake_send(&f, IPX_VICI_CMD_UNKNOWN, NULL, NULL);
	pump(c);
	CU_ASSERT_EQUAL(s.done, 2);
	CU_ASSERT_EQUAL(s.last_err, -EOPNOTSUPP);
	CU_ASSERT_EQUAL(ipx_vici_client_pending(c), 0);
	CU_ASSERT_EQUAL(ipx_vici_client_poll_events(c), POLLIN);

	/* An unknown stream event: the command is not sent. */
	CU_ASSERT_EQUAL(
	    ipx_vici_client_command(c, "list-x", NULL, "list-y", seen_stream, seen_done, &s), 0);
	CU_ASSERT_EQUAL(ipx_vici_client_register(c, "ike-updown", seen_done, &s), 0);
	pump(c);
	CU_ASSERT(fake_expect(&f, IPX_VICI_EVENT_REGISTER, "list-y"));
	fake_send(&f, IPX_VICI_EVENT_UNKNOWN, NULL, NULL);
	pump(c);
	CU_ASSERT_EQUAL(s.done, 3);
	CU_ASSERT_EQUAL(s.last_err, -ENOENT);
	CU_ASSERT(fake_expect(&f, IPX_VICI_EVENT_REGISTER, "ike-updown"));
	fake_send(&f, IPX_VICI_EVENT_CONFIRM, NULL, NULL);
	pump(c);
	CU_ASSERT_EQUAL(s.done, 4);
	CU_ASSERT_EQUAL(s.last_err, 0);
	CU_ASSERT_EQUAL(ipx_vici_client_unregister(c, "nope", seen_done, &s), 0);
	pump(c);
	CU_ASSERT(fake_expect(&f, IPX_VICI_EVENT_UNREGISTER, "nope"));
	fake_send(&f, IPX_VICI_EVENT_UNKNOWN, NULL, NULL);
	pump(c);
	CU_ASSERT_EQUAL(s.done, 5);
	CU_ASSERT_EQUAL(s.last_err, -ENOENT);
	CU_ASSERT_EQUAL(ipx_vici_client_stats(c)->packets_out, 7);
	CU_ASSERT_EQUAL(ipx_vici_client_stats(c)->packets_in, 11);
	CU_ASSERT_EQUAL(ipx_vici_client_stats(c)->streamed, 2);
	CU_ASSERT_EQUAL(s.down, 0);
	ipx_vici_builder_release(&empty);
	ipx_vici_client_free(c);
	fake_stop(&f);
}

/* A malformed event is dropped; an answer nobody asked for ends the connection. */
static void test_client_protocol_errors(void)
{
	static const uint8_t bad_event[] = {0, 0, 0, 5, 7, 1, 'e', 3, 9};
	struct ipx_vici_client *c;
	struct fake f;
	struct seen s;

	CU_ASSERT_EQUAL_FATAL(fake_start(&f), 0);
	c = client_for(&f, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(send(f.fd, bad_event, sizeof(bad_event), MSG_NOSIGNAL), sizeof(bad_event));
	fake_event(&f, "ike-updown", 0);
	pump(c);
	CU_ASSERT_EQUAL(ipx_vici_client_stats(c)->malformed, 1);
	CU_ASSERT_EQUAL(s.events, 1);
	CU_ASSERT_EQUAL(ipx_vici_client_state(c), IPX_VICI_UP);
	fake_send(&f, IPX_VICI_EVENT_CONFIRM, NULL, NULL);
	pump(c);
	CU_ASSERT_EQUAL(s.down, 1);
	CU_ASSERT_EQUAL(s.down_err, -EPROTO);
	CU_ASSERT_EQUAL(ipx_vici_client_state(c), IPX_VICI_DOWN);
	CU_ASSERT_EQUAL(ipx_vici_client_fd(c), -1);
	CU_ASSERT_EQUAL(ipx_vici_client_poll_events(c), 0);
	ipx_vici_client_free(c);
	fake_stop(&f);
}

/* charon goes away with a request in flight and one queued: both fail, on_down says why,
 * and the client can connect again. */
static void test_client_eof_and_reconnect(void)
{
	static const uint8_t too_big[] = {0x00, 0x10, 0x00, 0x00};
	struct ipx_vici_client *c;
	struct fake f;
	struct seen s;

	CU_ASSERT_EQUAL_FATAL(fake_start(&f), 0);
	c = client_for(&f, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	ipx_vici_client_command(c, "list-sas", NULL, "list-sa", seen_stream, seen_done, &s);
	ipx_vici_client_command(c, "version", NULL, NULL, NULL, seen_done, &s);
	pump(c);
	CU_ASSERT(fake_expect(&f, IPX_VICI_EVENT_REGISTER, "list-sa"));
	close(f.fd);
	f.fd = -1;
	pump(c);
	CU_ASSERT_EQUAL(s.done, 2);
	CU_ASSERT_EQUAL(s.last_err, -ECONNRESET);
	CU_ASSERT_EQUAL(s.down, 1);
	CU_ASSERT_EQUAL(s.down_err, -ECONNRESET);
	CU_ASSERT_EQUAL(ipx_vici_client_state(c), IPX_VICI_DOWN);
	CU_ASSERT_EQUAL(ipx_vici_client_pending(c), 0);
	CU_ASSERT_EQUAL(ipx_vici_client_command(c, "version", NULL, NULL, NULL, seen_done, &s),
	                -ENOTCONN);
	/* Again, and this time a length field over the limit. */
	CU_ASSERT_EQUAL(ipx_vici_client_connect(c), 0);
	CU_ASSERT_EQUAL_FATAL(fake_accept(&f), 0);
	CU_ASSERT_EQUAL(ipx_vici_client_state(c), IPX_VICI_UP);
	CU_ASSERT_EQUAL(s.up, 2);
	CU_ASSERT_EQUAL(ipx_vici_client_stats(c)->connects, 2);
	CU_ASSERT_EQUAL(send(f.fd, too_big, sizeof(too_big), MSG_NOSIGNAL), sizeof(too_big));
	pump(c);
	CU_ASSERT_EQUAL(s.down, 2);
	CU_ASSERT_EQUAL(s.down_err, -EMSGSIZE);
	ipx_vici_client_free(c);
	fake_stop(&f);
}

/* A callback closes the client in the middle of a batch: what follows is dropped. */
static void test_client_close_in_callback(void)
{
	struct ipx_vici_client *c;
	struct fake f;
	struct seen s;

	CU_ASSERT_EQUAL_FATAL(fake_start(&f), 0);
	c = client_for(&f, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	s.close_on_stream = 1;
	ipx_vici_client_command(c, "list-sas", NULL, "list-sa", seen_stream, seen_done, &s);
	ipx_vici_client_command(c, "version", NULL, NULL, NULL, seen_done, &s);
	pump(c);
	CU_ASSERT(fake_expect(&f, IPX_VICI_EVENT_REGISTER, "list-sa"));
	fake_send(&f, IPX_VICI_EVENT_CONFIRM, NULL, NULL);
	pump(c);
	CU_ASSERT(fake_expect(&f, IPX_VICI_CMD_REQUEST, "list-sas"));
	fake_event(&f, "list-sa", 0);
	fake_event(&f, "list-sa", 0);
	fake_send(&f, IPX_VICI_CMD_RESPONSE, NULL, NULL);
	pump(c);
	CU_ASSERT_EQUAL(s.streamed, 1);
	CU_ASSERT_EQUAL(s.done, 2);
	CU_ASSERT_EQUAL(s.last_err, -ECANCELED);
	CU_ASSERT_EQUAL(s.down, 0); /* the caller closed it: no on_down */
	CU_ASSERT_EQUAL(ipx_vici_client_state(c), IPX_VICI_DOWN);
	ipx_vici_client_free(c);
	fake_stop(&f);
}

/* What a daemon does: the next command from the last one's callback; and a close there. */
static void test_client_calls_from_on_done(void)
{
	struct ipx_vici_client *c;
	struct fake f;
	struct seen s;

	CU_ASSERT_EQUAL_FATAL(fake_start(&f), 0);
	c = client_for(&f, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	s.queue_on_done = 1;
	ipx_vici_client_command(c, "list-sas", NULL, "list-sa", seen_stream, seen_done, &s);
	pump(c);
	CU_ASSERT(fake_expect(&f, IPX_VICI_EVENT_REGISTER, "list-sa"));
	fake_send(&f, IPX_VICI_EVENT_CONFIRM, NULL, NULL);
	pump(c);
	CU_ASSERT(fake_expect(&f, IPX_VICI_CMD_REQUEST, "list-sas"));
	fake_send(&f, IPX_VICI_CMD_RESPONSE, NULL, NULL);
	pump(c);
	CU_ASSERT_EQUAL(s.done, 1);
	/* The stream's unregistration first, then the queued command, each once. */
	CU_ASSERT(fake_expect(&f, IPX_VICI_EVENT_UNREGISTER, "list-sa"));
	CU_ASSERT(fake_idle(&f));
	fake_send(&f, IPX_VICI_EVENT_CONFIRM, NULL, NULL);
	pump(c);
	CU_ASSERT(fake_expect(&f, IPX_VICI_CMD_REQUEST, "stats"));
	CU_ASSERT(fake_idle(&f));
	s.close_on_done = 1;
	fake_send(&f, IPX_VICI_CMD_RESPONSE, NULL, NULL);
	pump(c);
	CU_ASSERT_EQUAL(s.done, 2);
	CU_ASSERT_EQUAL(s.last_err, 0);
	CU_ASSERT_EQUAL(ipx_vici_client_state(c), IPX_VICI_DOWN);
	/* Closed while the request still had its unregistration to do. */
	CU_ASSERT_EQUAL(ipx_vici_client_connect(c), 0);
	CU_ASSERT_EQUAL_FATAL(fake_accept(&f), 0);
	ipx_vici_client_command(c, "list-sas", NULL, "list-sa", seen_stream, seen_done, &s);
	pump(c);
	CU_ASSERT(fake_expect(&f, IPX_VICI_EVENT_REGISTER, "list-sa"));
	fake_send(&f, IPX_VICI_EVENT_CONFIRM, NULL, NULL);
	pump(c);
	CU_ASSERT(fake_expect(&f, IPX_VICI_CMD_REQUEST, "list-sas"));
	fake_send(&f, IPX_VICI_CMD_RESPONSE, NULL, NULL);
	pump(c);
	CU_ASSERT_EQUAL(s.done, 3);
	CU_ASSERT_EQUAL(s.last_err, 0);
	CU_ASSERT_EQUAL(ipx_vici_client_state(c), IPX_VICI_DOWN);
	CU_ASSERT_EQUAL(ipx_vici_client_pending(c), 0);
	ipx_vici_client_free(c);
	fake_stop(&f);
}

static void test_client_refusals(void)
{
	char path[200];
	struct ipx_vici_client *c = NULL;
	struct seen s;

	memset(&s, 0, sizeof(s));
	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	CU_ASSERT_EQUAL(ipx_vici_client_new(path, NULL, NULL, &c), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(ipx_vici_client_new("unix://", NULL, NULL, &c), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(
	    ipx_vici_client_new("unix:///nonexistent/charon.vici", NULL, NULL, &c), 0);
	CU_ASSERT_EQUAL(ipx_vici_client_connect(c), -ENOENT);
	CU_ASSERT_EQUAL(ipx_vici_client_state(c), IPX_VICI_DOWN);
	CU_ASSERT_EQUAL(ipx_vici_client_fd(c), -1);
	CU_ASSERT_EQUAL(ipx_vici_client_register(c, "ike-updown", seen_done, &s), -ENOTCONN);
	CU_ASSERT_EQUAL(ipx_vici_client_on_readable(c), 0);
	CU_ASSERT_EQUAL(ipx_vici_client_on_writable(c), 0);
	ipx_vici_client_close(c);
	ipx_vici_client_free(c);
	ipx_vici_client_free(NULL);
}

int main(void)
{
	unsigned int failed;
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("vici", suite_init, suite_clean);
	if (!s)
		return 1;
	CU_add_test(s, "a message's tree and lookups", test_sample_tree);
	CU_add_test(s, "the empty message", test_empty_message);
	CU_add_test(s, "every truncation of a message", test_truncations_sample);
	CU_add_test(s, "builder bytes", test_builder_bytes);
	CU_add_test(s, "round trip: 255-byte keys, 65535-byte values, empty names",
	            test_round_trip);
	CU_add_test(s, "malformed element streams", test_malformed);
	CU_add_test(s, "nesting depth", test_depth);
	CU_add_test(s, "sizes over the limit", test_sizes);
	CU_add_test(s, "malformed packets", test_packets_malformed);
	CU_add_test(s, "packet types", test_packets_good);
	CU_add_test(s, "encoded requests, byte for byte", test_encode_bytes);
	CU_add_test(s, "encoder refusals", test_encode_refusals);
	CU_add_test(s, "builder refusals stick", test_builder_refusals);
	CU_add_test(s, "a packet at the limit", test_encode_limit);
	CU_add_test(s, "reader: length fields", test_reader_lengths);
	CU_add_test(s, "reader: 1 byte at a time and other chunks", test_reader_chunks);
	CU_add_test(s, "reader: one packet per call", test_reader_stops_after_packet);
	CU_add_test(s, "charon: every packet re-encodes to itself", test_real_round_trip);
	CU_add_test(s, "charon: every truncation", test_real_truncations);
	CU_add_test(s, "charon: list-sas", test_real_list_sas);
	CU_add_test(s, "charon: version", test_real_version);
	CU_add_test(s, "charon: list-conns", test_real_list_conns);
	CU_add_test(s, "charon: list-certs", test_real_list_certs);
	CU_add_test(s, "charon: child-rekey", test_real_child_rekey);
	CU_add_test(s, "mutated charon packets", test_mutated);
	CU_add_test(s, "random bytes", test_random);
	CU_add_test(s, "client: one request at a time, streams, events", test_client_exchange);
	CU_add_test(s, "client: protocol errors", test_client_protocol_errors);
	CU_add_test(s, "client: EOF, reconnect, oversized length", test_client_eof_and_reconnect);
	CU_add_test(s, "client: closed from a callback", test_client_close_in_callback);
	CU_add_test(s, "client: commands and close from on_done", test_client_calls_from_on_done);
	CU_add_test(s, "client: refusals", test_client_refusals);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
