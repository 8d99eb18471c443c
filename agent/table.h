/*
 * One GET/GETNEXT engine for every table and scalar group of the MIB.
 *
 * A group describes how to find rows by index (exact and next) and how to read one column
 * of a row; the engine does the OID arithmetic. Rows come straight from the store's
 * ordered index, so a GETNEXT costs one binary search, never a scan or a sort. Scalar
 * groups are tables with one row whose index is .0.
 *
 * ipx_table_resolve() is pure (no agent state), so tests drive it directly.
 */
#ifndef IPX_AGENT_TABLE_H
#define IPX_AGENT_TABLE_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdint.h>

#include "ipsec_agentx/xfrm.h"

#define IPX_MAX_INDEX_LEN 40

/* One column value, ready for snmp_set_var_typed_value(). */
struct ipx_val {
	u_char type;
	long l;
	struct counter64 c64;
	const void *ptr;
	size_t len;
	u_char buf[64];
};

struct ipx_group {
	const char *name;
	const oid *base; /* the entry OID of a table, or the group OID of scalars */
	size_t base_len;
	unsigned int min_col, max_col;
	/* Exact row for an index, or NULL. */
	const void *(*row_get)(void *ctx, const oid *idx, size_t len);
	/* First row whose index is greater than idx (len 0: the first row), or NULL. */
	const void *(*row_next)(void *ctx, const oid *idx, size_t len);
	/* Writes the row's index; returns its length. */
	size_t (*row_index)(void *ctx, const void *row, oid *out);
	/* Fills v for a column; returns 0, or -1 when the row has no such instance. */
	int (*get)(void *ctx, const void *row, unsigned int col, struct ipx_val *v);
	/*
	 * NULL for a read-only group (every SET is notWritable). Else the group is registered
	 * read-write and this runs every SET phase (reqinfo->mode: MODE_SET_RESERVE1 ...
	 * MODE_SET_UNDO) for the group's varbinds, setting errors on them itself.
	 */
	int (*set)(void *ctx, netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests);
	void *ctx;
};

/*
 * mode: MODE_GET or MODE_GETNEXT. On success returns 0 and the answering OID in out/outlen
 * (for GET, the name itself) and its value in v. Returns SNMP_NOSUCHOBJECT or
 * SNMP_NOSUCHINSTANCE for a GET that has no answer, SNMP_ENDOFMIBVIEW for a GETNEXT
 * that runs past the group.
 */
int ipx_table_resolve(const struct ipx_group *g, int mode, const oid *name, size_t len, oid *out,
                      size_t *outlen, struct ipx_val *v);

/* Registers g with the agent: scalar groups as an OID range, tables at their entry. */
int ipx_group_register(const struct ipx_group *g, int scalars);

/* Scalar-group helpers for row_get/row_next/row_index. */
const void *ipx_scalar_row_get(void *ctx, const oid *idx, size_t len);
const void *ipx_scalar_row_next(void *ctx, const oid *idx, size_t len);
size_t ipx_scalar_row_index(void *ctx, const void *row, oid *out);

/* Single-Unsigned32-index helpers: compare an OID index suffix with one id. */
int ipx_index_u32(const oid *idx, size_t len, uint32_t *id);
/* For row_next: the id after which the next row lies, for any (possibly partial) suffix. */
uint32_t ipx_index_u32_after(const oid *idx, size_t len, int *past_end);

/* Value setters. */
void ipx_val_int(struct ipx_val *v, long x);
void ipx_val_gauge(struct ipx_val *v, unsigned long x);
void ipx_val_counter(struct ipx_val *v, unsigned long x);
void ipx_val_counter64(struct ipx_val *v, uint64_t x);
void ipx_val_truth(struct ipx_val *v, int b);
void ipx_val_string(struct ipx_val *v, const char *s);
void ipx_val_bytes(struct ipx_val *v, const void *p, size_t len);
void ipx_val_date(struct ipx_val *v, uint64_t epoch_secs);
/*
 * A traffic selector as nine consecutive columns, the same in every table that has one:
 * SrcAddressType, SrcAddress, SrcPrefixLen, DstAddressType, DstAddress, DstPrefixLen,
 * Protocol, SrcPort, DstPort. first is the table's SrcAddressType column. Returns 0, or -1
 * when col is not one of them.
 */
int ipx_val_selector(struct ipx_val *v, const struct ipx_selector *sel, unsigned int first,
                     unsigned int col);
/* InetAddressType / InetAddress of an address (unknown(0) and "" when unset). */
void ipx_val_inet_type(struct ipx_val *v, const struct ipx_addr *a);
void ipx_val_inet_addr(struct ipx_val *v, const struct ipx_addr *a);

#endif
