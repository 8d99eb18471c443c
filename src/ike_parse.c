/*
 * VICI sections (list-sa, list-conn, ike and child events) into the structs of ike.h, and
 * the Cisco-style state mapping. Key names are those of strongSwan's vici_query.c as of
 * 5.9; a key charon does not send leaves its field at zero.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ipsec_agentx/ike.h"

int64_t ipx_ike_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* ---- values ---------------------------------------------------------------------------- */

static void copy_text(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static void get_text(const struct ipx_vici_node *n, const char *key, char *dst, size_t size)
{
	copy_text(dst, size, ipx_vici_get(n, key));
}

/* A whole decimal or hexadecimal (base 16) number; 0 when absent or malformed. */
static int parse_u64(const char *s, int base, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EBADMSG;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end)
		return -EBADMSG;
	*out = v;
	return 0;
}

static uint64_t get_u64(const struct ipx_vici_node *n, const char *key, int base)
{
	uint64_t v = 0;

	if (parse_u64(ipx_vici_get(n, key), base, &v) < 0)
		return 0;
	return v;
}

static uint32_t get_u32(const struct ipx_vici_node *n, const char *key, int base)
{
	uint64_t v = get_u64(n, key, base);

	return v > UINT32_MAX ? 0 : (uint32_t)v;
}

static uint16_t get_u16(const struct ipx_vici_node *n, const char *key, int base)
{
	uint64_t v = get_u64(n, key, base);

	return v > UINT16_MAX ? 0 : (uint16_t)v;
}

static int get_yes(const struct ipx_vici_node *n, const char *key)
{
	const char *v = ipx_vici_get(n, key);

	return v && (!strcmp(v, "yes") || !strcmp(v, "1"));
}

/* Relative seconds to an absolute monotonic time; 0 when absent. SIGN: +1 ahead, -1 ago. */
static int64_t get_time(const struct ipx_vici_node *n, const char *key, int64_t now, int sign)
{
	uint64_t v;

	if (parse_u64(ipx_vici_get(n, key), 10, &v) < 0 || v > INT32_MAX)
		return 0;
	return now + sign * (int64_t)v;
}

static void get_addr(const struct ipx_vici_node *n, const char *key, struct ipx_addr *a)
{
	const char *s = ipx_vici_get(n, key);

	memset(a, 0, sizeof(*a));
	if (!s)
		return;
	if (inet_pton(AF_INET, s, a->bytes) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, a->bytes) == 1)
		a->family = AF_INET6;
}

/* A list's items (or a single key/value) joined with SEP; cut to size. */
static void get_joined(const struct ipx_vici_node *n, const char *key, const char *sep, char *dst,
                       size_t size)
{
	const struct ipx_vici_node *l = ipx_vici_find(n, key), *it;
	size_t used = 0;

	dst[0] = '\0';
	if (!l)
		return;
	if (l->kind == IPX_VICI_KV) {
		copy_text(dst, size, (const char *)l->value);
		return;
	}
	for (it = l->child; it; it = it->next) {
		int w = snprintf(dst + used, size - used, "%s%s", used ? sep : "",
		                 it->value ? (const char *)it->value : "");
		if (w < 0 || (size_t)w >= size - used)
			return; /* cut: dst stays terminated */
		used += (size_t)w;
	}
}

static int lookup(const char *const *names, size_t n, const char *s)
{
	size_t i;

	if (!s)
		return 0;
	for (i = 1; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return (int)i;
	return 0;
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *const ike_states[] = {"UNKNOWN",     "CREATED",  "CONNECTING",
                                         "ESTABLISHED", "PASSIVE",  "REKEYING",
                                         "REKEYED",     "DELETING", "DESTROYING"};
static const char *const child_states[] = {"UNKNOWN",   "CREATED",  "ROUTED",   "INSTALLING",
                                           "INSTALLED", "UPDATING", "REKEYING", "REKEYED",
                                           "RETRYING",  "DELETING", "DELETED",  "DESTROYING"};
static const char *const cisco_states[] = {"UNKNOWN",      "MM_NO_STATE", "MM_SA_SETUP",
                                           "MM_KEY_EXCH",  "MM_KEY_AUTH", "AG_NO_STATE",
                                           "AG_INIT_EXCH", "AG_AUTH",     "QM_IDLE"};
static const char *const child_modes[] = {NULL, "TRANSPORT", "TUNNEL", "BEET", "PASS", "DROP"};
static const char *const child_protos[] = {NULL, "ESP", "AH"};

/* charon's proxy mode is transport mode with other addresses in the selectors */
static uint8_t child_mode(const char *s)
{
	if (s && !strcmp(s, "TRANSPORT_PROXY"))
		return IPX_CHILD_MODE_TRANSPORT;
	return (uint8_t)lookup(child_modes, N_OF(child_modes), s);
}

const char *ipx_ike_state_name(unsigned int s)
{
	return s < N_OF(ike_states) ? ike_states[s] : ike_states[0];
}

const char *ipx_child_state_name(unsigned int s)
{
	return s < N_OF(child_states) ? child_states[s] : child_states[0];
}

const char *ipx_cisco_state_name(unsigned int s)
{
	return s < N_OF(cisco_states) ? cisco_states[s] : cisco_states[0];
}

/* ---- IKE SAs --------------------------------------------------------------------------- */

static int has_item(const struct ipx_vici_node *n, const char *list, const char *item)
{
	const struct ipx_vici_node *l = ipx_vici_find(n, list), *it;

	if (!l || l->kind != IPX_VICI_LIST)
		return 0;
	for (it = l->child; it; it = it->next)
		if (it->value && !strcmp((const char *)it->value, item))
			return 1;
	return 0;
}

static uint8_t exchange_of(const struct ipx_vici_node *ike, uint8_t version)
{
	static const char *const lists[] = {"tasks-active", "tasks-queued", "tasks-passive"};
	size_t i;

	if (version == 2)
		return IPX_IKE_EXCHANGE_IKEV2;
	if (version != 1)
		return IPX_IKE_EXCHANGE_UNKNOWN;
	for (i = 0; i < N_OF(lists); i++) {
		if (has_item(ike, lists[i], "AGGRESSIVE_MODE"))
			return IPX_IKE_EXCHANGE_AGGRESSIVE;
		if (has_item(ike, lists[i], "MAIN_MODE"))
			return IPX_IKE_EXCHANGE_MAIN;
	}
	return IPX_IKE_EXCHANGE_IKEV1;
}

static uint32_t count_children(const struct ipx_vici_node *ike)
{
	const struct ipx_vici_node *c = ipx_vici_child(ike, "child-sas");

	return c && c->kind == IPX_VICI_SECTION ? c->children : 0;
}

int ipx_ike_parse_sa(const struct ipx_vici_node *ike, int64_t now, struct ipx_ike_sa *out)
{
	struct ipx_ike_sa sa = {0};
	uint64_t uid;

	if (!ike || ike->kind != IPX_VICI_SECTION || !ike->name[0])
		return -EBADMSG;
	if (parse_u64(ipx_vici_get(ike, "uniqueid"), 10, &uid) < 0 || uid == 0 || uid > UINT32_MAX)
		return -EBADMSG;
	sa.unique_id = (uint32_t)uid;
	copy_text(sa.name, sizeof(sa.name), ike->name);
	sa.version = (uint8_t)get_u32(ike, "version", 10);
	sa.exchange = exchange_of(ike, sa.version);
	sa.state = (uint8_t)lookup(ike_states, N_OF(ike_states), ipx_vici_get(ike, "state"));
	sa.initiator = (uint8_t)get_yes(ike, "initiator");
	get_addr(ike, "local-host", &sa.local);
	get_addr(ike, "remote-host", &sa.remote);
	sa.local_port = get_u16(ike, "local-port", 10);
	sa.remote_port = get_u16(ike, "remote-port", 10);
	get_text(ike, "local-id", sa.local_id, sizeof(sa.local_id));
	get_text(ike, "remote-id", sa.remote_id, sizeof(sa.remote_id));
	sa.spi_i = get_u64(ike, "initiator-spi", 16);
	sa.spi_r = get_u64(ike, "responder-spi", 16);
	get_text(ike, "encr-alg", sa.encr_alg, sizeof(sa.encr_alg));
	sa.encr_keysize = get_u16(ike, "encr-keysize", 10);
	get_text(ike, "integ-alg", sa.integ_alg, sizeof(sa.integ_alg));
	sa.integ_keysize = get_u16(ike, "integ-keysize", 10);
	get_text(ike, "prf-alg", sa.prf_alg, sizeof(sa.prf_alg));
	get_text(ike, "dh-group", sa.dh_group, sizeof(sa.dh_group));
	sa.nat_local = (uint8_t)get_yes(ike, "nat-local");
	sa.nat_remote = (uint8_t)get_yes(ike, "nat-remote");
	sa.nat_fake = (uint8_t)get_yes(ike, "nat-fake");
	sa.nat_any = (uint8_t)get_yes(ike, "nat-any");
	sa.established_at = get_time(ike, "established", now, -1);
	sa.rekey_at = get_time(ike, "rekey-time", now, +1);
	sa.reauth_at = get_time(ike, "reauth-time", now, +1);
	sa.child_count = count_children(ike);
	get_joined(ike, "tasks-active", ", ", sa.tasks_active, sizeof(sa.tasks_active));
	*out = sa;
	return 0;
}

/* ---- CHILD_SAs ------------------------------------------------------------------------- */

/* "mark-in" is sent when value or mask is set; "mark-mask-in" only when the mask is not all
 * ones: mark-in=00000000 alone means 0/0xffffffff. */
static void get_mark(const struct ipx_vici_node *c, const char *key, const char *mask_key,
                     uint32_t *value, uint32_t *mask)
{
	*value = get_u32(c, key, 16);
	if (ipx_vici_get(c, mask_key))
		*mask = get_u32(c, mask_key, 16);
	else
		*mask = ipx_vici_get(c, key) ? UINT32_MAX : 0;
}

int ipx_ike_parse_child(const struct ipx_vici_node *c, uint32_t ike_unique_id, int64_t now,
                        struct ipx_child_sa *out)
{
	struct ipx_child_sa sa = {0};
	const char *name = ipx_vici_get(c, "name");
	uint64_t uid;

	if (!c || c->kind != IPX_VICI_SECTION)
		return -EBADMSG;
	if (parse_u64(ipx_vici_get(c, "uniqueid"), 10, &uid) < 0 || uid == 0 || uid > UINT32_MAX)
		return -EBADMSG;
	sa.unique_id = (uint32_t)uid;
	sa.ike_unique_id = ike_unique_id;
	copy_text(sa.name, sizeof(sa.name), name ? name : c->name);
	sa.state = (uint8_t)lookup(child_states, N_OF(child_states), ipx_vici_get(c, "state"));
	sa.mode = child_mode(ipx_vici_get(c, "mode"));
	sa.protocol =
	    (uint8_t)lookup(child_protos, N_OF(child_protos), ipx_vici_get(c, "protocol"));
	sa.encap = (uint8_t)get_yes(c, "encap");
	sa.esn = (uint8_t)get_yes(c, "esn");
	sa.spi_in = get_u32(c, "spi-in", 16);
	sa.spi_out = get_u32(c, "spi-out", 16);
	sa.cpi_in = get_u16(c, "cpi-in", 16);
	sa.cpi_out = get_u16(c, "cpi-out", 16);
	sa.reqid = get_u32(c, "reqid", 10);
	get_mark(c, "mark-in", "mark-mask-in", &sa.mark_in, &sa.mark_mask_in);
	get_mark(c, "mark-out", "mark-mask-out", &sa.mark_out, &sa.mark_mask_out);
	sa.if_id_in = get_u32(c, "if-id-in", 16);
	sa.if_id_out = get_u32(c, "if-id-out", 16);
	get_text(c, "encr-alg", sa.encr_alg, sizeof(sa.encr_alg));
	sa.encr_keysize = get_u16(c, "encr-keysize", 10);
	get_text(c, "integ-alg", sa.integ_alg, sizeof(sa.integ_alg));
	sa.integ_keysize = get_u16(c, "integ-keysize", 10);
	get_text(c, "dh-group", sa.dh_group, sizeof(sa.dh_group));
	sa.bytes_in = get_u64(c, "bytes-in", 10);
	sa.packets_in = get_u64(c, "packets-in", 10);
	sa.bytes_out = get_u64(c, "bytes-out", 10);
	sa.packets_out = get_u64(c, "packets-out", 10);
	sa.installed_at = get_time(c, "install-time", now, -1);
	sa.rekey_at = get_time(c, "rekey-time", now, +1);
	sa.expire_at = get_time(c, "life-time", now, +1);
	get_joined(c, "local-ts", ", ", sa.local_ts, sizeof(sa.local_ts));
	get_joined(c, "remote-ts", ", ", sa.remote_ts, sizeof(sa.remote_ts));
	*out = sa;
	return 0;
}

/* ---- connections ----------------------------------------------------------------------- */

/* The first auth round of a side ("local-1", "remote-1"; charon numbers them from 1). */
static void get_auth(const struct ipx_vici_node *conn, const char *side, char *class, size_t csz,
                     char *id, size_t isz, char *certs, size_t ssz)
{
	char key[16];
	const struct ipx_vici_node *a;

	snprintf(key, sizeof(key), "%s-1", side);
	a = ipx_vici_child(conn, key);
	class[0] = id[0] = certs[0] = '\0';
	if (!a || a->kind != IPX_VICI_SECTION)
		return;
	get_text(a, "class", class, csz);
	get_text(a, "id", id, isz);
	get_joined(a, "certs", "; ", certs, ssz);
}

static uint8_t conn_version(const char *v)
{
	if (!v)
		return 0;
	if (!strcmp(v, "IKEv1"))
		return 1;
	if (!strcmp(v, "IKEv2"))
		return 2;
	return 0;
}

/* "%any" (or nothing) among the remote addresses: any peer may connect. */
static uint8_t is_dynamic(const char *addrs)
{
	return !addrs[0] || strstr(addrs, "%any") != NULL || !strcmp(addrs, "0.0.0.0/0") ||
	       !strcmp(addrs, "::/0");
}

static void take_child_cfg(const struct ipx_vici_node *ch, struct ipx_ike_conn *c)
{
	copy_text(c->child, sizeof(c->child), ch->name);
	c->mode = child_mode(ipx_vici_get(ch, "mode"));
	c->child_rekey_time = get_u32(ch, "rekey_time", 10);
	c->child_life_time = get_u32(ch, "life_time", 10);
	c->rekey_bytes = get_u64(ch, "rekey_bytes", 10);
	c->rekey_packets = get_u64(ch, "rekey_packets", 10);
	get_text(ch, "dpd_action", c->dpd_action, sizeof(c->dpd_action));
	get_text(ch, "close_action", c->close_action, sizeof(c->close_action));
	get_text(ch, "start_action", c->start_action, sizeof(c->start_action));
	get_joined(ch, "esp_proposals", ", ", c->esp_proposals, sizeof(c->esp_proposals));
	get_joined(ch, "ah_proposals", ", ", c->ah_proposals, sizeof(c->ah_proposals));
	get_joined(ch, "local-ts", ", ", c->local_ts, sizeof(c->local_ts));
	get_joined(ch, "remote-ts", ", ", c->remote_ts, sizeof(c->remote_ts));
}

int ipx_ike_parse_conn(const struct ipx_vici_node *conn, struct ipx_ike_conn *out, int max)
{
	struct ipx_ike_conn base = {0};
	const struct ipx_vici_node *children, *ch;
	int n = 0;

	if (!conn || conn->kind != IPX_VICI_SECTION || !conn->name[0] || max < 1)
		return -EBADMSG;
	copy_text(base.name, sizeof(base.name), conn->name);
	base.version = conn_version(ipx_vici_get(conn, "version"));
	get_joined(conn, "local_addrs", ", ", base.local_addrs, sizeof(base.local_addrs));
	get_joined(conn, "remote_addrs", ", ", base.remote_addrs, sizeof(base.remote_addrs));
	base.dynamic = is_dynamic(base.remote_addrs);
	base.rekey_time = get_u32(conn, "rekey_time", 10);
	base.reauth_time = get_u32(conn, "reauth_time", 10);
	get_joined(conn, "proposals", ", ", base.proposals, sizeof(base.proposals));
	get_auth(conn, "local", base.local_auth, sizeof(base.local_auth), base.local_id,
	         sizeof(base.local_id), base.local_certs, sizeof(base.local_certs));
	get_auth(conn, "remote", base.remote_auth, sizeof(base.remote_auth), base.remote_id,
	         sizeof(base.remote_id), base.remote_certs, sizeof(base.remote_certs));
	children = ipx_vici_child(conn, "children");
	if (children && children->kind == IPX_VICI_SECTION)
		for (ch = children->child; ch && n < max; ch = ch->next) {
			if (ch->kind != IPX_VICI_SECTION)
				continue;
			out[n] = base;
			take_child_cfg(ch, &out[n]);
			n++;
		}
	if (n == 0)
		out[n++] = base;
	return n;
}

/* ---- the Cisco-style state (documented in the MIB's ikeSaCiscoState) -------------------- */

static int is_established(uint8_t state)
{
	return state == IPX_IKE_ESTABLISHED || state == IPX_IKE_PASSIVE ||
	       state == IPX_IKE_REKEYING || state == IPX_IKE_REKEYED;
}

static int has_task(const char *tasks, const char *task)
{
	size_t n = strlen(task);
	const char *p;

	for (p = tasks; (p = strstr(p, task)) != NULL; p += n)
		if ((p == tasks || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

enum ipx_cisco_state ipx_ike_cisco_state(const struct ipx_ike_sa *sa)
{
	int aggressive = sa->exchange == IPX_IKE_EXCHANGE_AGGRESSIVE;
	enum ipx_cisco_state none = aggressive ? IPX_CISCO_AG_NO_STATE : IPX_CISCO_MM_NO_STATE;

	if (sa->state == IPX_IKE_STATE_UNKNOWN)
		return IPX_CISCO_UNKNOWN;
	if (is_established(sa->state))
		return IPX_CISCO_QM_IDLE;
	if (sa->state != IPX_IKE_CONNECTING || sa->spi_r == 0)
		return none; /* CREATED, DELETING, DESTROYING, or nothing back from the peer */
	if (aggressive)
		return IPX_CISCO_AG_INIT_EXCH;
	if (sa->version != 2)
		return IPX_CISCO_MM_SA_SETUP;
	return has_task(sa->tasks_active, "IKE_AUTH") ? IPX_CISCO_MM_KEY_AUTH
	                                              : IPX_CISCO_MM_KEY_EXCH;
}
