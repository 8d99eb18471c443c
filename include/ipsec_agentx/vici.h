/*
 * strongSwan's VICI wire format (src/libcharon/plugins/vici/README.md in strongSwan): a pure
 * codec, no sockets. The client that talks to charon is vici_client.h.
 *
 * On the wire, each packet is a 32-bit big-endian length (of what follows, at most
 * IPX_VICI_MAX_PACKET), a packet type byte, for named types an 8-bit name length and the
 * name, then for types that carry one a message: a stream of elements forming a tree of
 * sections, key/values and lists. Values are byte strings (charon sends text, numbers
 * included), names are at most 255 bytes, values at most 65535.
 *
 * A decoded message is one heap block: the struct below, its nodes and a copy of every
 * name and value, so it outlives the buffer it came from and is released by one free().
 * Every name and value copy is followed by a NUL that its length does not count, so text
 * can be used as a C string (a value holding a NUL byte is still whole through value_len).
 */
#ifndef IPX_VICI_H
#define IPX_VICI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* charon refuses and never sends a length field above this (VICI_MESSAGE_SIZE_MAX). */
#define IPX_VICI_MAX_PACKET (512 * 1024)
/* Sections nested deeper than this are refused (the root does not count; a list inside the
 * deepest section is fine). charon's own messages go 4 deep (child-rekey). */
#define IPX_VICI_MAX_DEPTH 32
#define IPX_VICI_MAX_NAME  255
#define IPX_VICI_MAX_VALUE 65535
#define IPX_VICI_HDR_LEN   4 /* the length field */

enum ipx_vici_packet_type {
	IPX_VICI_CMD_REQUEST = 0,      /* named, with a message */
	IPX_VICI_CMD_RESPONSE = 1,     /* with a message */
	IPX_VICI_CMD_UNKNOWN = 2,      /* bare */
	IPX_VICI_EVENT_REGISTER = 3,   /* named */
	IPX_VICI_EVENT_UNREGISTER = 4, /* named */
	IPX_VICI_EVENT_CONFIRM = 5,    /* bare */
	IPX_VICI_EVENT_UNKNOWN = 6,    /* bare */
	IPX_VICI_EVENT = 7,            /* named, with a message */
	IPX_VICI_NO_PACKET = 255       /* a message decoded on its own, without a packet */
};

enum ipx_vici_element {
	IPX_VICI_SECTION_START = 1,
	IPX_VICI_SECTION_END = 2,
	IPX_VICI_KEY_VALUE = 3,
	IPX_VICI_LIST_START = 4,
	IPX_VICI_LIST_ITEM = 5,
	IPX_VICI_LIST_END = 6
};

enum ipx_vici_kind {
	IPX_VICI_SECTION = 1, /* named; children: sections, key/values, lists */
	IPX_VICI_KV = 2,      /* named; a value */
	IPX_VICI_LIST = 3,    /* named; children: items */
	IPX_VICI_ITEM = 4     /* unnamed (name ""); a value */
};

/* One node of a decoded tree. Children keep their order on the wire. */
struct ipx_vici_node {
	const struct ipx_vici_node *next;  /* next sibling, NULL after the last */
	const struct ipx_vici_node *child; /* first child of a section or list, else NULL */
	const char *name;                  /* NUL-terminated; "" for items and the root */
	const uint8_t *value;              /* KV and item: value_len bytes, then a NUL; else NULL */
	uint32_t children;                 /* number of children */
	uint16_t value_len;
	uint8_t name_len;
	uint8_t kind; /* enum ipx_vici_kind */
};

struct ipx_vici_msg {
	uint8_t type;     /* enum ipx_vici_packet_type */
	uint8_t name_len; /* named packets: the command or event name */
	char name[IPX_VICI_MAX_NAME + 1];
	struct ipx_vici_node root; /* a section named ""; empty for bare packet types */
	size_t nodes;              /* nodes below the root */
};

/*
 * Decodes a message (an element stream, no packet header) into *out (type
 * IPX_VICI_NO_PACKET); release it with ipx_vici_msg_free(). Returns 0; -EMSGSIZE above
 * IPX_VICI_MAX_PACKET bytes; -EBADMSG for a truncated element, an unknown element type, an
 * unbalanced SECTION_END or LIST_END, a section or list left open, a LIST_ITEM outside a
 * list, anything but a LIST_ITEM inside a list, or sections nested deeper than
 * IPX_VICI_MAX_DEPTH; -ENOMEM. *out is untouched on error. Empty names are accepted (the
 * format allows them); duplicate keys are kept, lookups find the first.
 */
int ipx_vici_decode(const uint8_t *buf, size_t len, struct ipx_vici_msg **out);

/*
 * Decodes a packet without its length field: type byte, name for named types, message for
 * the types that carry one (bare types must end after the type byte). Returns as
 * ipx_vici_decode(), and -EBADMSG for an empty packet, an unknown type, a truncated name.
 */
int ipx_vici_decode_packet(const uint8_t *pkt, size_t len, struct ipx_vici_msg **out);

void ipx_vici_msg_free(struct ipx_vici_msg *m);

/* Whether a packet type carries a name / a message. */
int ipx_vici_type_named(unsigned int type);
int ipx_vici_type_has_message(unsigned int type);
/* "CMD_REQUEST", ...; "unknown" for others. */
const char *ipx_vici_type_name(unsigned int type);

/* ---- lookups -------------------------------------------------------------------------- */

/* The first direct child of a section or list named NAME (exact bytes), or NULL. */
const struct ipx_vici_node *ipx_vici_child(const struct ipx_vici_node *parent, const char *name);
/*
 * The node at PATH below a section: names separated by '/' ("child-sas/net4-1/reqid"),
 * each matched with ipx_vici_child(). An empty PATH is FROM itself. Names holding a '/',
 * and an empty name at the end of a path ("a/" is "a"), need ipx_vici_child(). NULL when
 * missing.
 */
const struct ipx_vici_node *ipx_vici_find(const struct ipx_vici_node *from, const char *path);
/* The value of the key/value at PATH as a C string, or NULL if there is none (or the node
 * there is not a key/value). Cut at the first NUL, if a value holds one. */
const char *ipx_vici_get(const struct ipx_vici_node *from, const char *path);

/* ---- the streaming packet reader ------------------------------------------------------ */

/*
 * Reassembles packets from a byte stream that arrives in arbitrary pieces (a non-blocking
 * socket). The length field is checked before anything is allocated for the packet.
 */
struct ipx_vici_reader {
	uint8_t hdr[IPX_VICI_HDR_LEN];
	size_t hdr_got;
	uint8_t *pkt; /* length field + body, being filled */
	size_t pkt_len, pkt_got;
	int err; /* sticky: the stream has lost its framing */
};

void ipx_vici_reader_init(struct ipx_vici_reader *r);
/* Frees a partial packet and starts over (after a reconnect). */
void ipx_vici_reader_reset(struct ipx_vici_reader *r);

/*
 * Consumes bytes from DATA (LEN of them) up to the end of the next whole packet. Returns
 * how many it consumed (0..LEN); when that completed a packet, *pkt is set to a malloc'ed
 * copy of it, length field included, and *pkt_len to its size (the caller frees it), else
 * *pkt is NULL. Call again with the rest. Returns -EMSGSIZE for a length field above
 * IPX_VICI_MAX_PACKET, -EBADMSG for a length of 0 (no type byte), -ENOMEM; these are
 * sticky, as the stream cannot be resynchronised: reset and reconnect.
 */
ssize_t ipx_vici_reader_feed(struct ipx_vici_reader *r, const uint8_t *data, size_t len,
                             uint8_t **pkt, size_t *pkt_len);

/* ---- encoding ------------------------------------------------------------------------- */

/*
 * Builds a message (the element stream) for command arguments. Every call returns 0 or a
 * negative errno, and the first error sticks: later calls return it and change nothing,
 * so a caller may check only ipx_vici_encode()'s result. Errors: -EINVAL for an element
 * where the format forbids it (a key/value or section in a list, an item outside one, an
 * end without its start, a NULL name), -ENAMETOOLONG for a name over 255 bytes, -E2BIG for
 * a value over 65535 bytes, -ELOOP past IPX_VICI_MAX_DEPTH, -EMSGSIZE past the packet
 * limit, -ENOMEM.
 */
struct ipx_vici_builder {
	uint8_t *buf;
	size_t len, cap;
	int err;
	int depth;   /* open sections */
	int in_list; /* a list is open */
};

void ipx_vici_builder_init(struct ipx_vici_builder *b);
void ipx_vici_builder_release(struct ipx_vici_builder *b);
int ipx_vici_begin_section(struct ipx_vici_builder *b, const char *name);
int ipx_vici_end_section(struct ipx_vici_builder *b);
int ipx_vici_add_kv(struct ipx_vici_builder *b, const char *key, const void *value, size_t len);
int ipx_vici_add_kv_str(struct ipx_vici_builder *b, const char *key, const char *value);
int ipx_vici_begin_list(struct ipx_vici_builder *b, const char *name);
int ipx_vici_add_item(struct ipx_vici_builder *b, const void *value, size_t len);
int ipx_vici_add_item_str(struct ipx_vici_builder *b, const char *value);
int ipx_vici_end_list(struct ipx_vici_builder *b);

/*
 * Encodes a whole packet, length field included, into a malloc'ed *pkt of *len bytes.
 * NAME: the command or event name of named types (1..255 bytes), else NULL. MSG: the
 * message of CMD_REQUEST, CMD_RESPONSE and EVENT (NULL: empty), else NULL. Returns 0;
 * -EINVAL for a name or message the type does not take (or lacks), a message still open
 * (section or list not ended); the builder's sticky error; -EMSGSIZE past the limit;
 * -ENOMEM.
 */
int ipx_vici_encode(unsigned int type, const char *name, const struct ipx_vici_builder *msg,
                    uint8_t **pkt, size_t *len);

#endif
