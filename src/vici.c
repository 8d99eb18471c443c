/*
 * The VICI wire format: decoder, streaming packet reader, encoder. See vici.h.
 *
 * Decoding takes two passes over the element stream. The first checks every rule of the
 * format and counts nodes and name/value bytes; the second fills one allocation sized
 * from those counts. So a message costs one malloc, and nothing is allocated for input
 * that turns out to be malformed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipsec_agentx/vici.h"

/* ---- packet types --------------------------------------------------------------------- */

int ipx_vici_type_named(unsigned int type)
{
	return type == IPX_VICI_CMD_REQUEST || type == IPX_VICI_EVENT_REGISTER ||
	       type == IPX_VICI_EVENT_UNREGISTER || type == IPX_VICI_EVENT;
}

int ipx_vici_type_has_message(unsigned int type)
{
	return type == IPX_VICI_CMD_REQUEST || type == IPX_VICI_CMD_RESPONSE ||
	       type == IPX_VICI_EVENT;
}

const char *ipx_vici_type_name(unsigned int type)
{
	switch (type) {
	case IPX_VICI_CMD_REQUEST: return "CMD_REQUEST";
	case IPX_VICI_CMD_RESPONSE: return "CMD_RESPONSE";
	case IPX_VICI_CMD_UNKNOWN: return "CMD_UNKNOWN";
	case IPX_VICI_EVENT_REGISTER: return "EVENT_REGISTER";
	case IPX_VICI_EVENT_UNREGISTER: return "EVENT_UNREGISTER";
	case IPX_VICI_EVENT_CONFIRM: return "EVENT_CONFIRM";
	case IPX_VICI_EVENT_UNKNOWN: return "EVENT_UNKNOWN";
	case IPX_VICI_EVENT: return "EVENT";
	}
	return "unknown";
}

/* ---- reading elements ----------------------------------------------------------------- */

struct cursor {
	const uint8_t *p;
	size_t len, pos;
};

/* One element as it lies in the input. */
struct element {
	uint8_t type;
	const uint8_t *name, *value;
	size_t name_len, value_len;
};

static int take_name(struct cursor *c, const uint8_t **name, size_t *len)
{
	if (c->len - c->pos < 1)
		return -EBADMSG;
	*len = c->p[c->pos++];
	if (c->len - c->pos < *len)
		return -EBADMSG;
	*name = c->p + c->pos;
	c->pos += *len;
	return 0;
}

static int take_value(struct cursor *c, const uint8_t **value, size_t *len)
{
	if (c->len - c->pos < 2)
		return -EBADMSG;
	*len = (size_t)c->p[c->pos] << 8 | c->p[c->pos + 1];
	c->pos += 2;
	if (c->len - c->pos < *len)
		return -EBADMSG;
	*value = c->p + c->pos;
	c->pos += *len;
	return 0;
}

/* The next element; -EBADMSG if it is cut short or of no known type. */
static int next_element(struct cursor *c, struct element *e)
{
	int rc = 0;

	memset(e, 0, sizeof(*e));
	e->type = c->p[c->pos++];
	switch (e->type) {
	case IPX_VICI_SECTION_START:
	case IPX_VICI_LIST_START: rc = take_name(c, &e->name, &e->name_len); break;
	case IPX_VICI_KEY_VALUE:
		rc = take_name(c, &e->name, &e->name_len);
		if (rc == 0)
			rc = take_value(c, &e->value, &e->value_len);
		break;
	case IPX_VICI_LIST_ITEM: rc = take_value(c, &e->value, &e->value_len); break;
	case IPX_VICI_SECTION_END:
	case IPX_VICI_LIST_END: break;
	default: rc = -EBADMSG;
	}
	return rc;
}

/* ---- pass 1: the rules of the format, and the size of the tree ------------------------ */

struct shape {
	int depth;   /* open sections */
	int in_list; /* lists do not nest, so a flag is enough */
	size_t nodes;
	size_t bytes; /* names and values, each with its NUL */
};

static int check_in_list(struct shape *s, const struct element *e)
{
	switch (e->type) {
	case IPX_VICI_LIST_ITEM:
		s->nodes++;
		s->bytes += e->value_len + 1;
		return 0;
	case IPX_VICI_LIST_END: s->in_list = 0; return 0;
	}
	/* Only items may sit in a list: no key/values, sections or nested lists. */
	return -EBADMSG;
}

static int check_element(struct shape *s, const struct element *e)
{
	if (s->in_list)
		return check_in_list(s, e);
	switch (e->type) {
	case IPX_VICI_SECTION_START:
		if (++s->depth > IPX_VICI_MAX_DEPTH)
			return -EBADMSG;
		s->bytes += e->name_len + 1;
		break;
	case IPX_VICI_SECTION_END:
		if (s->depth-- == 0)
			return -EBADMSG;
		return 0;
	case IPX_VICI_KEY_VALUE: s->bytes += e->name_len + 1 + e->value_len + 1; break;
	case IPX_VICI_LIST_START:
		s->in_list = 1;
		s->bytes += e->name_len + 1;
		break;
	default: return -EBADMSG; /* an item or a list end outside a list */
	}
	s->nodes++;
	return 0;
}

static int measure(const uint8_t *buf, size_t len, struct shape *s)
{
	struct cursor c = {.p = buf, .len = len};
	struct element e;
	int rc;

	memset(s, 0, sizeof(*s));
	while (c.pos < c.len) {
		rc = next_element(&c, &e);
		if (rc == 0)
			rc = check_element(s, &e);
		if (rc < 0)
			return rc;
	}
	return s->depth || s->in_list ? -EBADMSG : 0;
}

/* ---- pass 2: filling the tree --------------------------------------------------------- */

struct filler {
	struct ipx_vici_node *node; /* the next free node */
	char *bytes;                /* the next free name/value byte */
	/* The open containers, root first, and the last child appended to each. */
	struct ipx_vici_node *open[IPX_VICI_MAX_DEPTH + 2];
	struct ipx_vici_node *last[IPX_VICI_MAX_DEPTH + 2];
	int top;
};

static const char *copy_bytes(struct filler *f, const uint8_t *src, size_t len)
{
	char *dst = f->bytes;

	if (len)
		memcpy(dst, src, len);
	dst[len] = '\0';
	f->bytes += len + 1;
	return dst;
}

static struct ipx_vici_node *append(struct filler *f, const struct element *e, uint8_t kind)
{
	struct ipx_vici_node *n = f->node++, *parent = f->open[f->top];

	n->kind = kind;
	n->name_len = (uint8_t)e->name_len;
	/* Items have no name on the wire, and no bytes counted for one. */
	n->name = kind == IPX_VICI_ITEM ? "" : copy_bytes(f, e->name, e->name_len);
	if (kind == IPX_VICI_KV || kind == IPX_VICI_ITEM) {
		n->value_len = (uint16_t)e->value_len;
		n->value = (const uint8_t *)copy_bytes(f, e->value, e->value_len);
	}
	if (f->last[f->top])
		f->last[f->top]->next = n;
	else
		parent->child = n;
	f->last[f->top] = n;
	parent->children++;
	return n;
}

static void open_container(struct filler *f, struct ipx_vici_node *n)
{
	f->top++;
	f->open[f->top] = n;
	f->last[f->top] = NULL;
}

/* Only called on input that measure() accepted. */
static void fill(struct filler *f, const uint8_t *buf, size_t len)
{
	struct cursor c = {.p = buf, .len = len};
	struct element e;

	while (c.pos < c.len && next_element(&c, &e) == 0) {
		switch (e.type) {
		case IPX_VICI_SECTION_START:
			open_container(f, append(f, &e, IPX_VICI_SECTION));
			break;
		case IPX_VICI_LIST_START: open_container(f, append(f, &e, IPX_VICI_LIST)); break;
		case IPX_VICI_KEY_VALUE: append(f, &e, IPX_VICI_KV); break;
		case IPX_VICI_LIST_ITEM: append(f, &e, IPX_VICI_ITEM); break;
		default: f->top--; /* SECTION_END, LIST_END */
		}
	}
}

static int decode_message(unsigned int type, const uint8_t *name, size_t name_len,
                          const uint8_t *buf, size_t len, struct ipx_vici_msg **out)
{
	struct filler f = {.top = 0};
	struct ipx_vici_msg *m;
	struct shape s;
	int rc;

	rc = measure(buf, len, &s);
	if (rc < 0)
		return rc;
	m = calloc(1, sizeof(*m) + s.nodes * sizeof(struct ipx_vici_node) + s.bytes);
	if (!m)
		return -ENOMEM;
	m->type = (uint8_t)type;
	m->name_len = (uint8_t)name_len;
	if (name_len)
		memcpy(m->name, name, name_len);
	m->root.kind = IPX_VICI_SECTION;
	m->root.name = "";
	m->nodes = s.nodes;
	f.node = (struct ipx_vici_node *)(m + 1);
	f.bytes = (char *)(f.node + s.nodes);
	f.open[0] = &m->root;
	f.last[0] = NULL;
	fill(&f, buf, len);
	*out = m;
	return 0;
}

int ipx_vici_decode(const uint8_t *buf, size_t len, struct ipx_vici_msg **out)
{
	if (len > IPX_VICI_MAX_PACKET)
		return -EMSGSIZE;
	return decode_message(IPX_VICI_NO_PACKET, NULL, 0, buf, len, out);
}

int ipx_vici_decode_packet(const uint8_t *pkt, size_t len, struct ipx_vici_msg **out)
{
	struct cursor c = {.p = pkt, .len = len};
	const uint8_t *name = NULL;
	size_t name_len = 0;
	unsigned int type;
	int rc;

	if (len > IPX_VICI_MAX_PACKET)
		return -EMSGSIZE;
	if (len == 0)
		return -EBADMSG;
	type = pkt[c.pos++];
	if (type > IPX_VICI_EVENT)
		return -EBADMSG;
	if (ipx_vici_type_named(type)) {
		rc = take_name(&c, &name, &name_len);
		if (rc < 0)
			return rc;
	}
	/* A bare packet with bytes after its type is not what the spec defines. */
	if (!ipx_vici_type_has_message(type) && c.pos != c.len)
		return -EBADMSG;
	return decode_message(type, name, name_len, pkt + c.pos, len - c.pos, out);
}

void ipx_vici_msg_free(struct ipx_vici_msg *m)
{
	free(m);
}

/* ---- lookups -------------------------------------------------------------------------- */

static const struct ipx_vici_node *child_n(const struct ipx_vici_node *parent, const char *name,
                                           size_t len)
{
	const struct ipx_vici_node *n;

	if (!parent)
		return NULL;
	for (n = parent->child; n; n = n->next)
		if (n->name_len == len && memcmp(n->name, name, len) == 0)
			return n;
	return NULL;
}

const struct ipx_vici_node *ipx_vici_child(const struct ipx_vici_node *parent, const char *name)
{
	return child_n(parent, name, strlen(name));
}

const struct ipx_vici_node *ipx_vici_find(const struct ipx_vici_node *from, const char *path)
{
	const char *slash;

	while (from && *path) {
		slash = strchr(path, '/');
		if (!slash)
			return child_n(from, path, strlen(path));
		from = child_n(from, path, (size_t)(slash - path));
		path = slash + 1;
	}
	return from;
}

const char *ipx_vici_get(const struct ipx_vici_node *from, const char *path)
{
	const struct ipx_vici_node *n = ipx_vici_find(from, path);

	return n && n->kind == IPX_VICI_KV ? (const char *)n->value : NULL;
}

/* ---- the streaming reader ------------------------------------------------------------- */

void ipx_vici_reader_init(struct ipx_vici_reader *r)
{
	memset(r, 0, sizeof(*r));
}

void ipx_vici_reader_reset(struct ipx_vici_reader *r)
{
	free(r->pkt);
	ipx_vici_reader_init(r);
}

/* The length field is complete: check it before allocating anything for the packet. */
static int start_packet(struct ipx_vici_reader *r)
{
	uint32_t body = (uint32_t)r->hdr[0] << 24 | (uint32_t)r->hdr[1] << 16 |
	                (uint32_t)r->hdr[2] << 8 | r->hdr[3];

	if (body > IPX_VICI_MAX_PACKET)
		return -EMSGSIZE;
	if (body == 0)
		return -EBADMSG;
	r->pkt_len = IPX_VICI_HDR_LEN + (size_t)body;
	r->pkt = malloc(r->pkt_len);
	if (!r->pkt)
		return -ENOMEM;
	memcpy(r->pkt, r->hdr, IPX_VICI_HDR_LEN);
	r->pkt_got = IPX_VICI_HDR_LEN;
	return 0;
}

static size_t take_up_to(uint8_t *dst, size_t want, const uint8_t *src, size_t have)
{
	size_t n = want < have ? want : have;

	if (n)
		memcpy(dst, src, n);
	return n;
}

ssize_t ipx_vici_reader_feed(struct ipx_vici_reader *r, const uint8_t *data, size_t len,
                             uint8_t **pkt, size_t *pkt_len)
{
	size_t used = 0, n;
	int rc;

	*pkt = NULL;
	*pkt_len = 0;
	if (r->err)
		return r->err;
	if (len == 0)
		return 0;
	if (r->hdr_got < IPX_VICI_HDR_LEN) {
		used = take_up_to(r->hdr + r->hdr_got, IPX_VICI_HDR_LEN - r->hdr_got, data, len);
		r->hdr_got += used;
		if (r->hdr_got < IPX_VICI_HDR_LEN)
			return (ssize_t)used;
		rc = start_packet(r);
		if (rc < 0) {
			r->err = rc;
			return rc;
		}
	}
	n = take_up_to(r->pkt + r->pkt_got, r->pkt_len - r->pkt_got, data + used, len - used);
	r->pkt_got += n;
	used += n;
	if (r->pkt_got == r->pkt_len) {
		*pkt = r->pkt;
		*pkt_len = r->pkt_len;
		r->pkt = NULL;
		r->hdr_got = 0;
		r->pkt_len = r->pkt_got = 0;
	}
	return (ssize_t)used;
}

/* ---- the builder ---------------------------------------------------------------------- */

void ipx_vici_builder_init(struct ipx_vici_builder *b)
{
	memset(b, 0, sizeof(*b));
}

void ipx_vici_builder_release(struct ipx_vici_builder *b)
{
	free(b->buf);
	ipx_vici_builder_init(b);
}

/* The first error sticks, so that a caller may chain calls and check once. */
static int fail(struct ipx_vici_builder *b, int err)
{
	if (!b->err)
		b->err = err;
	return b->err;
}

static int reserve(struct ipx_vici_builder *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	uint8_t *buf;

	/* A message longer than a packet could never be sent. */
	if (n > IPX_VICI_MAX_PACKET - b->len)
		return fail(b, -EMSGSIZE);
	while (cap < b->len + n)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	buf = realloc(b->buf, cap);
	if (!buf)
		return fail(b, -ENOMEM);
	b->buf = buf;
	b->cap = cap;
	return 0;
}

static void put(struct ipx_vici_builder *b, const void *src, size_t n)
{
	if (n)
		memcpy(b->buf + b->len, src, n);
	b->len += n;
}

static void put_u8(struct ipx_vici_builder *b, unsigned int v)
{
	b->buf[b->len++] = (uint8_t)v;
}

static int name_ok(const char *name)
{
	if (!name)
		return -EINVAL;
	return strlen(name) > IPX_VICI_MAX_NAME ? -ENAMETOOLONG : 0;
}

/* An element: its type, then an 8-bit-length name if NAME, then a 16-bit-length value if
 * VALUE. */
static int put_element(struct ipx_vici_builder *b, unsigned int type, const char *name,
                       const void *value, size_t value_len)
{
	size_t name_len = name ? strlen(name) : 0;
	int rc;

	if (value_len > IPX_VICI_MAX_VALUE)
		return fail(b, -E2BIG);
	rc = reserve(b, 1 + (name ? 1 + name_len : 0) + (value ? 2 + value_len : 0));
	if (rc < 0)
		return rc;
	put_u8(b, type);
	if (name) {
		put_u8(b, (unsigned int)name_len);
		put(b, name, name_len);
	}
	if (value) {
		put_u8(b, (unsigned int)(value_len >> 8));
		put_u8(b, (unsigned int)(value_len & 0xff));
		put(b, value, value_len);
	}
	return 0;
}

/* Checks common to named elements outside lists. */
static int named_outside_list(struct ipx_vici_builder *b, const char *name)
{
	int rc;

	if (b->err)
		return b->err;
	if (b->in_list)
		return fail(b, -EINVAL);
	rc = name_ok(name);
	return rc < 0 ? fail(b, rc) : 0;
}

int ipx_vici_begin_section(struct ipx_vici_builder *b, const char *name)
{
	int rc = named_outside_list(b, name);

	if (rc < 0)
		return rc;
	if (b->depth >= IPX_VICI_MAX_DEPTH)
		return fail(b, -ELOOP);
	rc = put_element(b, IPX_VICI_SECTION_START, name, NULL, 0);
	if (rc == 0)
		b->depth++;
	return rc;
}

int ipx_vici_end_section(struct ipx_vici_builder *b)
{
	int rc;

	if (b->err)
		return b->err;
	if (b->in_list || b->depth == 0)
		return fail(b, -EINVAL);
	rc = put_element(b, IPX_VICI_SECTION_END, NULL, NULL, 0);
	if (rc == 0)
		b->depth--;
	return rc;
}

int ipx_vici_add_kv(struct ipx_vici_builder *b, const char *key, const void *value, size_t len)
{
	static const uint8_t empty;
	int rc = named_outside_list(b, key);

	if (rc < 0)
		return rc;
	if (!value && len)
		return fail(b, -EINVAL);
	return put_element(b, IPX_VICI_KEY_VALUE, key, value ? value : &empty, len);
}

int ipx_vici_add_kv_str(struct ipx_vici_builder *b, const char *key, const char *value)
{
	if (!value && !b->err)
		return fail(b, -EINVAL);
	return ipx_vici_add_kv(b, key, value, value ? strlen(value) : 0);
}

int ipx_vici_begin_list(struct ipx_vici_builder *b, const char *name)
{
	int rc = named_outside_list(b, name);

	if (rc < 0)
		return rc;
	rc = put_element(b, IPX_VICI_LIST_START, name, NULL, 0);
	if (rc == 0)
		b->in_list = 1;
	return rc;
}

int ipx_vici_add_item(struct ipx_vici_builder *b, const void *value, size_t len)
{
	static const uint8_t empty;

	if (b->err)
		return b->err;
	if (!b->in_list || (!value && len))
		return fail(b, -EINVAL);
	return put_element(b, IPX_VICI_LIST_ITEM, NULL, value ? value : &empty, len);
}

int ipx_vici_add_item_str(struct ipx_vici_builder *b, const char *value)
{
	if (!value && !b->err)
		return fail(b, -EINVAL);
	return ipx_vici_add_item(b, value, value ? strlen(value) : 0);
}

int ipx_vici_end_list(struct ipx_vici_builder *b)
{
	int rc;

	if (b->err)
		return b->err;
	if (!b->in_list)
		return fail(b, -EINVAL);
	rc = put_element(b, IPX_VICI_LIST_END, NULL, NULL, 0);
	if (rc == 0)
		b->in_list = 0;
	return rc;
}

/* ---- packets -------------------------------------------------------------------------- */

/* What TYPE takes: a name, a message, each present or absent as the type says. */
static int check_packet_args(unsigned int type, const char *name,
                             const struct ipx_vici_builder *msg)
{
	if (type > IPX_VICI_EVENT)
		return -EINVAL;
	if (ipx_vici_type_named(type)) {
		if (!name || !*name)
			return -EINVAL;
		if (strlen(name) > IPX_VICI_MAX_NAME)
			return -ENAMETOOLONG;
	} else if (name) {
		return -EINVAL;
	}
	if (!msg)
		return 0;
	if (!ipx_vici_type_has_message(type))
		return -EINVAL;
	if (msg->err)
		return msg->err;
	return msg->depth || msg->in_list ? -EINVAL : 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int ipx_vici_encode(unsigned int type, const char *name, const struct ipx_vici_builder *msg,
                    uint8_t **pkt, size_t *len)
{
	size_t name_len = name ? strlen(name) : 0, msg_len = msg ? msg->len : 0, body, pos;
	uint8_t *p;
	int rc;

	rc = check_packet_args(type, name, msg);
	if (rc < 0)
		return rc;
	body = 1 + (name ? 1 + name_len : 0) + msg_len;
	if (body > IPX_VICI_MAX_PACKET)
		return -EMSGSIZE;
	p = malloc(IPX_VICI_HDR_LEN + body);
	if (!p)
		return -ENOMEM;
	put_be32(p, (uint32_t)body);
	pos = IPX_VICI_HDR_LEN;
	p[pos++] = (uint8_t)type;
	if (name) {
		p[pos++] = (uint8_t)name_len;
		memcpy(p + pos, name, name_len);
		pos += name_len;
	}
	if (msg_len)
		memcpy(p + pos, msg->buf, msg_len);
	*pkt = p;
	*len = IPX_VICI_HDR_LEN + body;
	return 0;
}
