/*
 * The XFRM collector: keeps a store in step with the kernel. See collector.h.
 *
 * Four netlink sockets:
 *  - query (NETLINK_XFRM): dumps and GETs, replies matched on sequence number and port id,
 *    sender checked to be the kernel. Small requests go out together in one send and their
 *    answers come back in one recvmmsg: inside a VM every system call counts;
 *  - events (NETLINK_XFRM, non-blocking): the SA, EXPIRE, POLICY and ACQUIRE groups, with a
 *    large receive buffer; ENOBUFS means events were lost, so a resync becomes due;
 *  - route (NETLINK_ROUTE): the host's addresses, which tell inbound SAs from outbound ones;
 *  - addr_events (NETLINK_ROUTE, non-blocking): the address groups, only looked at by a
 *    resync, so that the addresses are dumped again only when they changed.
 *
 * Every byte received lands in one heap buffer. Dumps, GETSA replies and NEWSA/UPDSA/DELSA
 * events carry raw keys: the parsers wipe the key bytes they meet, and the whole received
 * span is wiped again once processed, so no key outlives the message that carried it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/magic.h>
#include <linux/rtnetlink.h>
#include <linux/xfrm.h>
#include <openssl/crypto.h>

#include "ipsec_agentx/collector.h"
#include "ipsec_agentx/log.h"
#include "ipsec_agentx/xfrm_parse.h"

#define RX_BUF_SIZE      (64 * 1024 + MNL_SOCKET_BUFFER_SIZE) /* a dump batch and then some */
#define RX_SLICES        3 /* datagrams one recvmmsg takes: a resync's last three requests */
#define REQ_BATCH_MAX    3
#define EVENT_RCVBUF     (8 * 1024 * 1024)
#define QUERY_TIMEOUT_S  5     /* a kernel that does not answer a GET in 5 s is not coming back */
#define DUMP_TRIES       5     /* NLM_F_DUMP_INTR: the table changed under the dump */
#define MALFORMED_LOGGED 10    /* then one line per 1000, so a broken peer cannot flood the log */
#define EVENT_BATCHES    65536 /* datagrams per call: a storm must not starve SNMP requests */

struct ipx_collector {
	struct ipx_store *st;
	struct mnl_socket *query, *events, *route, *addr_events;
	unsigned int query_portid, route_portid;
	uint32_t seq;
	char *buf; /* RX_SLICES slices of buf_size bytes */
	size_t buf_size;
	int resync_due;
	int addrs_stale; /* the local addresses must be dumped (again) */
	char stat_path[PATH_MAX];
	int stat_fd;     /* kept open on procfs, where one pread gives the current file; else -1 */
	char *stat_text; /* its read buffer */
	size_t stat_cap;
	struct ipx_collector_status status;
	int alg_names_warned; /* some were served as IPX_ALG_NAME_OTHER, and it was logged */
};

/* What one reply message is for, during a request on the query or route socket. */
typedef int (*reply_fn)(struct ipx_collector *c, struct nlmsghdr *nlh, void *ctx);

static uint64_t wall_now(void)
{
	return (uint64_t)time(NULL);
}

static const char *msg_name(uint16_t type)
{
	switch (type) {
	case XFRM_MSG_NEWSA: return "NEWSA";
	case XFRM_MSG_UPDSA: return "UPDSA";
	case XFRM_MSG_DELSA: return "DELSA";
	case XFRM_MSG_EXPIRE: return "EXPIRE";
	case XFRM_MSG_NEWPOLICY: return "NEWPOLICY";
	case XFRM_MSG_UPDPOLICY: return "UPDPOLICY";
	case XFRM_MSG_DELPOLICY: return "DELPOLICY";
	case XFRM_MSG_POLEXPIRE: return "POLEXPIRE";
	case XFRM_MSG_ACQUIRE: return "ACQUIRE";
	case XFRM_MSG_NEWSADINFO: return "NEWSADINFO";
	case XFRM_MSG_NEWSPDINFO: return "NEWSPDINFO";
	}
	return "netlink";
}

/* Type and length only: the payload may hold keys. */
static void count_malformed(struct ipx_collector *c, const struct nlmsghdr *nlh)
{
	uint64_t n = ++c->status.malformed;

	if (n <= MALFORMED_LOGGED || n % 1000 == 0)
		ipx_log_warnx(
		    "xfrm: dropped a malformed %s message (type %u, %u bytes); %llu so far",
		    msg_name(nlh->nlmsg_type), nlh->nlmsg_type, nlh->nlmsg_len,
		    (unsigned long long)n);
}

/* ---- sockets -------------------------------------------------------------------------- */

static int open_socket(struct mnl_socket **out, int bus, int flags)
{
	struct mnl_socket *nl = mnl_socket_open2(bus, SOCK_CLOEXEC | flags);
	int rc;

	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		mnl_socket_close(nl);
		return rc;
	}
	*out = nl;
	return 0;
}

/* Replies must not hang the daemon's loop forever. */
static int set_query_timeout(struct mnl_socket *nl)
{
	struct timeval tv = {.tv_sec = QUERY_TIMEOUT_S};

	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

/* A burst of events (a rekey storm, a flush of 100,000 SAs) must fit while we are busy. */
static void grow_rcvbuf(struct mnl_socket *nl)
{
	int fd = mnl_socket_get_fd(nl), size = EVENT_RCVBUF;

	/* FORCE passes net.core.rmem_max with CAP_NET_ADMIN, which we have anyway. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) == 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		ipx_log_warn("xfrm: cannot grow the event socket's receive buffer");
}

static int open_events(struct ipx_collector *c)
{
	static const unsigned int groups[] = {XFRMNLGRP_SA, XFRMNLGRP_EXPIRE, XFRMNLGRP_POLICY,
	                                      XFRMNLGRP_ACQUIRE};
	int rc = open_socket(&c->events, NETLINK_XFRM, SOCK_NONBLOCK);

	if (rc < 0)
		return rc;
	grow_rcvbuf(c->events);
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		unsigned int g = groups[i];
		/* Joining XFRM groups needs CAP_NET_ADMIN: -EPERM here without it. */
		if (mnl_socket_setsockopt(c->events, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0)
			return -errno;
	}
	return 0;
}

/*
 * Address changes, as they happen, wait in this socket until a resync looks: subscribed
 * before the first dump, so none is missed between the two.
 */
static int open_addr_events(struct ipx_collector *c)
{
	static const unsigned int groups[] = {RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR};
	int rc = open_socket(&c->addr_events, NETLINK_ROUTE, SOCK_NONBLOCK);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		unsigned int g = groups[i];
		if (mnl_socket_setsockopt(c->addr_events, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) <
		    0)
			return -errno;
	}
	return 0;
}

int ipx_collector_open(struct ipx_collector **out, struct ipx_store *st)
{
	struct ipx_collector *c = calloc(1, sizeof(*c));
	int rc = -ENOMEM;

	if (!c)
		goto fail;
	c->st = st;
	c->stat_fd = -1;
	c->buf_size = RX_BUF_SIZE;
	c->buf = malloc(c->buf_size * RX_SLICES);
	if (!c->buf)
		goto fail;
	snprintf(c->stat_path, sizeof(c->stat_path), "/proc/net/xfrm_stat");
	c->seq = (uint32_t)time(NULL);
	c->resync_due = 1; /* nothing known yet */
	c->addrs_stale = 1;
	rc = open_socket(&c->query, NETLINK_XFRM, 0);
	if (rc < 0)
		goto fail;
	rc = set_query_timeout(c->query);
	if (rc < 0)
		goto fail;
	rc = open_socket(&c->route, NETLINK_ROUTE, 0);
	if (rc < 0)
		goto fail;
	rc = set_query_timeout(c->route);
	if (rc < 0)
		goto fail;
	rc = open_events(c);
	if (rc < 0)
		goto fail;
	rc = open_addr_events(c);
	if (rc < 0)
		goto fail;
	c->query_portid = mnl_socket_get_portid(c->query);
	c->route_portid = mnl_socket_get_portid(c->route);
	*out = c;
	return 0;
fail:
	ipx_collector_close(c);
	return rc;
}

void ipx_collector_close(struct ipx_collector *c)
{
	if (!c)
		return;
	if (c->query)
		mnl_socket_close(c->query);
	if (c->events)
		mnl_socket_close(c->events);
	if (c->route)
		mnl_socket_close(c->route);
	if (c->addr_events)
		mnl_socket_close(c->addr_events);
	if (c->stat_fd >= 0)
		close(c->stat_fd);
	free(c->stat_text);
	if (c->buf) {
		OPENSSL_cleanse(c->buf, c->buf_size * RX_SLICES);
		free(c->buf);
	}
	free(c);
}

int ipx_collector_event_fd(const struct ipx_collector *c)
{
	return mnl_socket_get_fd(c->events);
}

int ipx_collector_resync_due(const struct ipx_collector *c)
{
	return c->resync_due;
}

const struct ipx_collector_status *ipx_collector_status(const struct ipx_collector *c)
{
	return &c->status;
}

void ipx_collector_set_xfrm_stat_path(struct ipx_collector *c, const char *path)
{
	snprintf(c->stat_path, sizeof(c->stat_path), "%s", path ? path : "/proc/net/xfrm_stat");
	if (c->stat_fd >= 0)
		close(c->stat_fd);
	c->stat_fd = -1;
}

/*
 * One recvmsg into the buffer. Returns the byte count, or -errno (-EMSGSIZE: a datagram
 * larger than the buffer, its rest lost). Datagrams that did not come from the kernel (port
 * id 0) are forged: any process may unicast to our port; *from_kernel tells them apart.
 */
static ssize_t receive(struct ipx_collector *c, struct mnl_socket *nl, int *from_kernel)
{
	struct sockaddr_nl addr;
	struct iovec iov = {.iov_base = c->buf, .iov_len = c->buf_size};
	struct msghdr msg = {
	    .msg_name = &addr, .msg_namelen = sizeof(addr), .msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	do {
		n = recvmsg(mnl_socket_get_fd(nl), &msg, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (msg.msg_flags & MSG_TRUNC) {
		OPENSSL_cleanse(c->buf, (size_t)n);
		return -EMSGSIZE;
	}
	*from_kernel = msg.msg_namelen == sizeof(addr) && addr.nl_pid == 0;
	return n;
}

/* ---- applying messages to the store -------------------------------------------------- */

/*
 * An EXPIRE holds only xfrm_usersa_info (+ mark, if_id): keep what only the SA's own
 * messages say (algorithms, NAT-T, replay state) instead of blanking it in the store.
 */
static void expire_keep_known(const struct ipx_store *st, struct ipx_sa *sa)
{
	const struct ipx_sa_row *row = ipx_store_sa_find(st, &sa->key);
	const struct ipx_sa *k;

	if (!row)
		return;
	k = &row->sa;
	sa->enc = k->enc;
	sa->auth = k->auth;
	sa->aead = k->aead;
	sa->comp = k->comp;
	sa->replay_window = k->replay_window;
	sa->seq = k->seq;
	sa->oseq = k->oseq;
	sa->has_encap = k->has_encap;
	sa->encap_type = k->encap_type;
	sa->encap_sport = k->encap_sport;
	sa->encap_dport = k->encap_dport;
	sa->extra_flags = k->extra_flags;
	sa->offload_ifindex = k->offload_ifindex;
	sa->last_used = k->last_used;
	if (sa->kernel_dir == IPX_DIR_UNKNOWN)
		sa->kernel_dir = k->kernel_dir;
}

static int apply_expire(struct ipx_collector *c, struct nlmsghdr *nlh, uint64_t now)
{
	struct ipx_sa sa;
	int hard, rc = ipx_parse_expire(nlh, &sa, &hard);

	if (rc < 0)
		return rc;
	/* A larval SA (an ACQUIRE that got no answer) expires hard without ever being ours. */
	if (hard && !ipx_store_sa_find(c->st, &sa.key))
		return 0;
	expire_keep_known(c->st, &sa);
	return ipx_store_sa_expire(c->st, &sa, hard, now);
}

static int apply_polexpire(struct ipx_collector *c, struct nlmsghdr *nlh, uint64_t now)
{
	struct ipx_policy pol;
	int hard, rc = ipx_parse_polexpire(nlh, &pol, &hard);

	if (rc < 0)
		return rc;
	/* A hard expiry deletes the policy in the kernel without a DELPOLICY. */
	if (hard) {
		rc = ipx_store_policy_delete(c->st, &pol.key);
		return rc == -ENOENT ? 0 : rc;
	}
	return ipx_store_policy_upsert(c->st, &pol, now);
}

/*
 * A DELSA carries the counters the SA ended with: they go into the store first (observers
 * see an update, so per-connection totals include the last bytes before a rekey), then the
 * SA goes.
 */
static int apply_delsa(struct ipx_collector *c, struct nlmsghdr *nlh, uint64_t now)
{
	struct ipx_sa_key key;
	struct ipx_sa_final fin;
	const struct ipx_sa_row *row;
	int rc = ipx_parse_delsa(nlh, &key, &fin);

	if (rc < 0)
		return rc;
	row = ipx_store_sa_find(c->st, &key);
	if (!row)
		return 0; /* never seen: nothing to forget */
	if (fin.valid && (fin.bytes > row->sa.cur_bytes || fin.packets > row->sa.cur_packets)) {
		struct ipx_sa last = row->sa;
		last.cur_bytes = fin.bytes;
		last.cur_packets = fin.packets;
		last.stat_replay_window = fin.replay_window;
		last.stat_replay = fin.replay;
		last.stat_integrity_failed = fin.integrity_failed;
		rc = ipx_store_sa_upsert(c->st, &last, now);
		if (rc < 0)
			return rc;
	}
	rc = ipx_store_sa_delete(c->st, &key);
	return rc == -ENOENT ? 0 : rc;
}

/* One event. -EBADMSG: malformed; another -errno: the store failed; 1: not an XFRM event. */
static int apply_event(struct ipx_collector *c, struct nlmsghdr *nlh, uint64_t now)
{
	struct ipx_sa sa;
	struct ipx_policy pol;
	struct ipx_policy_key pol_key;
	int rc;

	switch (nlh->nlmsg_type) {
	case XFRM_MSG_NEWSA:
	case XFRM_MSG_UPDSA:
		rc = ipx_parse_sa_scratch(nlh, &sa);
		return rc < 0 ? rc : ipx_store_sa_upsert(c->st, &sa, now);
	case XFRM_MSG_DELSA: return apply_delsa(c, nlh, now);
	case XFRM_MSG_EXPIRE: return apply_expire(c, nlh, now);
	case XFRM_MSG_NEWPOLICY:
	case XFRM_MSG_UPDPOLICY:
		rc = ipx_parse_policy(nlh, &pol);
		return rc < 0 ? rc : ipx_store_policy_upsert(c->st, &pol, now);
	case XFRM_MSG_DELPOLICY:
		rc = ipx_parse_delpolicy(nlh, &pol_key);
		if (rc == 0 && ipx_store_policy_delete(c->st, &pol_key) == -ENOENT)
			rc = 0;
		return rc;
	case XFRM_MSG_POLEXPIRE: return apply_polexpire(c, nlh, now);
	case XFRM_MSG_ACQUIRE:
		rc = ipx_parse_acquire(nlh, &pol);
		if (rc == 0)
			ipx_store_acquire(c->st, &pol);
		return rc;
	case XFRM_MSG_FLUSHSA:
	case XFRM_MSG_FLUSHPOLICY:
		/* Says what went only by protocol or policy type: let a dump tell. */
		c->resync_due = 1;
		return 0;
	}
	return 1;
}

/* The outcome of one event: counted, logged, and a resync as the store may now be off. */
static void account(struct ipx_collector *c, struct nlmsghdr *nlh, int rc)
{
	if (rc == -EBADMSG) {
		count_malformed(c, nlh);
		c->resync_due = 1; /* its change is lost */
	} else if (rc < 0) {
		c->status.last_error = rc;
		c->resync_due = 1;
		ipx_log_warnx("xfrm: cannot apply a %s message: %s", msg_name(nlh->nlmsg_type),
		              strerror(-rc));
	}
}

static void apply_batch(struct ipx_collector *c, ssize_t n, uint64_t now)
{
	int len = (int)n;
	struct nlmsghdr *nlh;

	for (nlh = (struct nlmsghdr *)c->buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		int rc = apply_event(c, nlh, now);
		if (rc == 0)
			c->status.events++;
		else
			account(c, nlh, rc);
	}
	if (len > 0) {
		/* A partial message at the end of a datagram. */
		c->status.malformed++;
		c->resync_due = 1;
	}
}

/* Until the socket is empty, or EVENT_BATCHES datagrams: the fd then stays readable. */
static int read_events(struct ipx_collector *c, uint64_t now)
{
	int rc = 0;

	for (int batch = 0; batch < EVENT_BATCHES; batch++) {
		int from_kernel;
		ssize_t n = receive(c, c->events, &from_kernel);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			break;
		if (n == -ENOBUFS) {
			/* The kernel dropped events: only a dump can tell which. */
			c->status.overruns++;
			c->status.events_ok = 0;
			c->resync_due = 1;
			continue;
		}
		if (n == -EMSGSIZE) {
			c->status.malformed++;
			c->resync_due = 1;
			continue;
		}
		if (n < 0) {
			c->status.last_error = (int)n;
			rc = (int)n;
			break;
		}
		if (from_kernel)
			apply_batch(c, n, now);
		OPENSSL_cleanse(c->buf, (size_t)n);
	}
	return rc;
}

int ipx_collector_on_readable(struct ipx_collector *c)
{
	return read_events(c, wall_now());
}

/* ---- requests on the query and route sockets ----------------------------------------- */

/*
 * Up to vlen datagrams in one recvmmsg, datagram i into slice i of the buffer: waits for
 * the first, then takes what is already queued. Returns how many, or -errno as receive();
 * len[i] and from_kernel[i] describe datagram i. If one was truncated, all are wiped and
 * the answer is -EMSGSIZE: a reply is lost, the request fails.
 */
static int receive_many(struct ipx_collector *c, struct mnl_socket *nl, unsigned int vlen,
                        size_t *len, int *from_kernel)
{
	struct sockaddr_nl addr[RX_SLICES];
	struct iovec iov[RX_SLICES];
	struct mmsghdr mm[RX_SLICES];
	int n, trunc = 0;

	memset(mm, 0, sizeof(mm));
	for (unsigned int i = 0; i < vlen; i++) {
		iov[i].iov_base = c->buf + i * c->buf_size;
		iov[i].iov_len = c->buf_size;
		mm[i].msg_hdr.msg_name = &addr[i];
		mm[i].msg_hdr.msg_namelen = sizeof(addr[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	do {
		n = recvmmsg(mnl_socket_get_fd(nl), mm, vlen, MSG_WAITFORONE, NULL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		len[i] = mm[i].msg_len;
		from_kernel[i] =
		    mm[i].msg_hdr.msg_namelen == sizeof(addr[i]) && addr[i].nl_pid == 0;
		if (mm[i].msg_hdr.msg_flags & MSG_TRUNC)
			trunc = 1;
	}
	if (trunc) {
		for (int i = 0; i < n; i++)
			OPENSSL_cleanse(iov[i].iov_base, len[i]);
		return -EMSGSIZE;
	}
	return n;
}

/* One request in flight, and what came back for it. */
struct pending {
	struct nlmsghdr *req;
	reply_fn fn;
	void *ctx;
	int dump, done, rc, interrupted;
};

/* The request a reply answers, or NULL: leftovers of an earlier request that gave up. */
static struct pending *pending_of(struct pending *p, size_t n, const struct nlmsghdr *nlh,
                                  unsigned int portid)
{
	if (!mnl_nlmsg_portid_ok(nlh, portid))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!p[i].done && mnl_nlmsg_seq_ok(nlh, p[i].req->nlmsg_seq))
			return &p[i];
	return NULL;
}

/* One reply message for p: the end of a dump, an error, a row or a GET's answer. */
static void take_reply(struct ipx_collector *c, struct pending *p, struct nlmsghdr *nlh)
{
	int frc;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		p->interrupted = 1;
	if (nlh->nlmsg_type == NLMSG_DONE) {
		p->done = 1;
		/* A dump that failed half-way says so in the DONE. */
		if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) {
			int err;
			memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
			if (err < 0 && p->rc == 0)
				p->rc = err;
		}
		return;
	}
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
		p->rc = nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e) ? -EBADMSG : e->error;
		p->done = 1;
		return;
	}
	frc = p->fn(c, nlh, p->ctx);
	if (frc < 0 && p->rc == 0)
		p->rc = frc;
	if (!p->dump)
		p->done = 1;
}

/* Every message of one datagram to the request it answers. */
static void take_datagram(struct ipx_collector *c, char *data, size_t n, struct pending *p,
                          size_t np, unsigned int portid)
{
	int len = (int)n;

	for (struct nlmsghdr *nlh = (struct nlmsghdr *)data; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		struct pending *r = pending_of(p, np, nlh, portid);
		if (r)
			take_reply(c, r, nlh);
	}
}

static size_t open_requests(const struct pending *p, size_t n)
{
	size_t open = 0;

	for (size_t i = 0; i < n; i++)
		open += !p[i].done;
	return open;
}

/*
 * Sends the n requests (at most REQ_BATCH_MAX, at most one dump) in one datagram and hands
 * each reply message to its request's fn until each is answered: NLMSG_DONE for dumps,
 * the first reply for GETs. A lone request is read with recvmsg like any dump; several
 * with recvmmsg, which takes their answers in one call. Each pending gets the kernel's
 * -errno or its fn's first error in rc, and interrupted when the kernel flagged its dump
 * NLM_F_DUMP_INTR; a dump is read to its end even after an error, so that the socket is
 * left clean. Returns 0 or the first error of a request that could not be sent or read.
 */
static int request_many(struct ipx_collector *c, struct mnl_socket *nl, unsigned int portid,
                        struct pending *p, size_t n)
{
	char out[REQ_BATCH_MAX * (MNL_NLMSG_HDRLEN + sizeof(struct xfrm_userpolicy_info))]
	    __attribute__((aligned(8)));
	unsigned int vlen = n > 1 ? RX_SLICES : 1;
	size_t used = 0;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len = NLMSG_ALIGN(p[i].req->nlmsg_len);
		if (++c->seq == 0)
			c->seq = 1; /* 0 would make libmnl skip the sequence check */
		p[i].req->nlmsg_seq = c->seq;
		p[i].dump = (p[i].req->nlmsg_flags & NLM_F_DUMP) != 0;
		p[i].done = p[i].rc = p[i].interrupted = 0;
		if (used + len > sizeof(out))
			return -EMSGSIZE;
		memcpy(out + used, p[i].req, p[i].req->nlmsg_len);
		used += len;
	}
	if (mnl_socket_sendto(nl, out, used) < 0)
		rc = -errno;
	while (rc == 0 && open_requests(p, n)) {
		size_t len[RX_SLICES];
		int from_kernel[RX_SLICES];
		int got = vlen > 1 ? receive_many(c, nl, vlen, len, from_kernel)
		                   : (int)receive(c, nl, &from_kernel[0]);
		if (got < 0) {
			rc = got == -EAGAIN ? -ETIMEDOUT : got;
			break;
		}
		if (vlen == 1) {
			len[0] = (size_t)got;
			got = 1;
		}
		for (int i = 0; i < got; i++) {
			char *data = c->buf + (size_t)i * c->buf_size;
			if (from_kernel[i])
				take_datagram(c, data, len[i], p, n, portid);
			OPENSSL_cleanse(data, len[i]);
		}
	}
	for (size_t i = 0; rc < 0 && i < n; i++)
		if (!p[i].done && p[i].rc == 0)
			p[i].rc = rc;
	return rc;
}

/* One request, as request_many(); returns its outcome. */
static int request(struct ipx_collector *c, struct mnl_socket *nl, unsigned int portid,
                   struct nlmsghdr *req, reply_fn fn, void *ctx, int *interrupted)
{
	struct pending p = {.req = req, .fn = fn, .ctx = ctx};

	request_many(c, nl, portid, &p, 1);
	if (p.interrupted)
		*interrupted = 1;
	return p.rc;
}

static struct nlmsghdr *start_request(char *buf, uint16_t type, uint16_t flags, size_t hdr)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	memset(mnl_nlmsg_put_extra_header(nlh, hdr), 0, hdr);
	return nlh;
}

/*
 * A row the parser rejects is counted and left out (sync_end then drops it: we cannot say
 * what it is); a resync would meet it again, so it does not make one due. A store failure
 * fails the dump, lest sync_end remove the rows it could not take.
 */
static int dump_row_failed(struct ipx_collector *c, struct nlmsghdr *nlh, int rc)
{
	if (rc == -EBADMSG) {
		count_malformed(c, nlh);
		return 0;
	}
	return rc;
}

static int dump_sa_reply(struct ipx_collector *c, struct nlmsghdr *nlh, void *ctx)
{
	struct ipx_sa sa;
	int rc = ipx_parse_sa_scratch(nlh, &sa);

	if (rc == 0)
		rc = ipx_store_sa_upsert(c->st, &sa, *(uint64_t *)ctx);
	return rc < 0 ? dump_row_failed(c, nlh, rc) : 0;
}

static int dump_policy_reply(struct ipx_collector *c, struct nlmsghdr *nlh, void *ctx)
{
	struct ipx_policy pol;
	int rc = ipx_parse_policy(nlh, &pol);

	if (rc == 0)
		rc = ipx_store_policy_upsert(c->st, &pol, *(uint64_t *)ctx);
	return rc < 0 ? dump_row_failed(c, nlh, rc) : 0;
}

/*
 * A full dump of SAs or policies into the store. Rows the dump did not return are removed
 * by sync_end; an interrupted dump is redone, since rows may be missing from it, and after
 * DUMP_TRIES interrupted ones nothing is removed and the resync stays due.
 */
static int dump_table(struct ipx_collector *c, enum ipx_sync_kind kind, uint64_t now, int tries)
{
	char req_buf[MNL_NLMSG_HDRLEN + sizeof(struct xfrm_usersa_info)]
	    __attribute__((aligned(8)));
	int rc = 0;

	for (; tries < DUMP_TRIES; tries++) {
		struct nlmsghdr *req;
		int interrupted = 0;
		ipx_store_sync_begin(c->st, kind);
		if (kind == IPX_SYNC_SA)
			req = start_request(req_buf, XFRM_MSG_GETSA, NLM_F_DUMP,
			                    sizeof(struct xfrm_usersa_info));
		else
			req = start_request(req_buf, XFRM_MSG_GETPOLICY, NLM_F_DUMP,
			                    sizeof(struct xfrm_userpolicy_info));
		rc = request(c, c->query, c->query_portid, req,
		             kind == IPX_SYNC_SA ? dump_sa_reply : dump_policy_reply, &now,
		             &interrupted);
		if (rc < 0)
			goto out;
		if (!interrupted) {
			ipx_store_sync_end(c->st, kind);
			goto out;
		}
		c->status.dump_interrupted++;
	}
	ipx_log_warnx("xfrm: %s dump interrupted %d times in a row; trying again later",
	              kind == IPX_SYNC_SA ? "SA" : "policy", DUMP_TRIES);
	rc = -EAGAIN;
out:
	return rc;
}

static int sadinfo_reply(struct ipx_collector *c, struct nlmsghdr *nlh, void *ctx)
{
	struct ipx_sad_info info;
	int rc = ipx_parse_sadinfo(nlh, &info);

	if (rc == 0)
		ipx_store_info(c->st)->sad = info;
	else
		count_malformed(c, nlh);
	return rc;
}

static int spdinfo_reply(struct ipx_collector *c, struct nlmsghdr *nlh, void *ctx)
{
	struct ipx_spd_info info;
	int rc = ipx_parse_spdinfo(nlh, &info);

	if (rc == 0)
		ipx_store_info(c->st)->spd = info;
	else
		count_malformed(c, nlh);
	return rc;
}

/* GETSADINFO / GETSPDINFO: a u32 of flags, answered by one NEWSADINFO / NEWSPDINFO. */
struct info_reqs {
	char sad[MNL_NLMSG_HDRLEN + sizeof(uint32_t)] __attribute__((aligned(4)));
	char spd[MNL_NLMSG_HDRLEN + sizeof(uint32_t)] __attribute__((aligned(4)));
};

static void start_info(struct info_reqs *r, struct pending *sad, struct pending *spd)
{
	sad->req = start_request(r->sad, XFRM_MSG_GETSADINFO, 0, sizeof(uint32_t));
	sad->fn = sadinfo_reply;
	spd->req = start_request(r->spd, XFRM_MSG_GETSPDINFO, 0, sizeof(uint32_t));
	spd->fn = spdinfo_reply;
}

/* The first error of the two, kept in last_error by the caller. */
static int info_outcome(const struct pending *sad, const struct pending *spd)
{
	return sad->rc < 0 ? sad->rc : spd->rc;
}

/* ---- /proc/net/xfrm_stat -------------------------------------------------------------- */

#define STAT_FILE_MAX (64 * 1024)

/*
 * procfs regenerates a file for each read from offset 0, so its fd is kept and one pread
 * reads it: one system call instead of four. Anything else (tests, a configured copy that
 * may be replaced) is opened afresh each time.
 */
static int open_stat(struct ipx_collector *c)
{
	struct statfs fs;
	int fd = open(c->stat_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC)
		c->stat_fd = fd;
	return fd;
}

/* The whole file from offset 0 into c->stat_text, NUL-terminated; it grows as needed. */
static int pread_all(struct ipx_collector *c, int fd)
{
	size_t len = 0;

	for (;;) {
		ssize_t n;
		if (len + 1 >= c->stat_cap) {
			size_t cap = c->stat_cap ? c->stat_cap * 2 : 4096;
			char *bigger = cap <= STAT_FILE_MAX ? realloc(c->stat_text, cap) : NULL;
			if (!bigger)
				return cap <= STAT_FILE_MAX ? -ENOMEM : -EFBIG;
			c->stat_text = bigger;
			c->stat_cap = cap;
		}
		n = pread(fd, c->stat_text + len, c->stat_cap - len - 1, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		len += (size_t)n;
		/* A short read is the end: procfs hands out all it has up to the size asked. */
		if (n == 0 || len + 1 < c->stat_cap)
			break;
	}
	c->stat_text[len] = '\0';
	return 0;
}

static int read_stat(struct ipx_collector *c)
{
	int fd = c->stat_fd >= 0 ? c->stat_fd : open_stat(c);
	int rc;

	if (fd < 0)
		return fd;
	rc = pread_all(c, fd);
	if (fd != c->stat_fd || rc < 0) {
		close(fd); /* a kept fd that failed is opened again next time */
		if (fd == c->stat_fd)
			c->stat_fd = -1;
	}
	return rc;
}

/* The file is absent when the kernel lacks CONFIG_XFRM_STATISTICS: no counters, no error. */
static int refresh_xfrm_stat(struct ipx_collector *c)
{
	char(*names)[48] = NULL;
	uint64_t *values = NULL;
	size_t n = 0;
	int rc = read_stat(c);

	if (rc == -ENOENT) {
		ipx_log_debug("xfrm", "%s: absent, no XFRM statistics", c->stat_path);
		ipx_store_set_xfrm_stat(c->st, NULL, NULL, 0);
		rc = 0;
		goto out;
	}
	if (rc < 0) {
		ipx_log_warnx("xfrm: cannot read %s: %s", c->stat_path, strerror(-rc));
		goto out;
	}
	rc = ipx_parse_xfrm_stat(c->stat_text, &names, &values, &n);
	if (rc < 0) {
		ipx_log_warnx("xfrm: %s: unexpected format", c->stat_path);
		goto out;
	}
	ipx_store_set_xfrm_stat(c->st, names, values, n);
out:
	return rc;
}

int ipx_collector_refresh_info(struct ipx_collector *c)
{
	struct info_reqs reqs;
	struct pending p[2] = {{0}};
	int rc, rc2;

	start_info(&reqs, &p[0], &p[1]);
	request_many(c, c->query, c->query_portid, p, 2);
	rc = info_outcome(&p[0], &p[1]);
	rc2 = refresh_xfrm_stat(c);
	if (rc == 0)
		rc = rc2;
	if (rc < 0)
		c->status.last_error = rc;
	return rc;
}

/* ---- local addresses (NETLINK_ROUTE) -------------------------------------------------- */

struct addr_list {
	struct ipx_addr *a;
	size_t n, cap;
};

struct ifa_walk {
	const struct nlattr *local, *address;
	const char *end;
};

static int ifa_cb(const struct nlattr *attr, void *data)
{
	struct ifa_walk *w = data;

	switch (mnl_attr_get_type(attr)) {
	case IFA_LOCAL: w->local = attr; break;
	case IFA_ADDRESS: w->address = attr; break;
	}
	w->end = (const char *)attr + MNL_ALIGN(mnl_attr_get_len(attr));
	return MNL_CB_OK;
}

/*
 * One RTM_NEWADDR: IFA_LOCAL is this host's address where both exist (IFA_ADDRESS is the
 * peer on point-to-point links); IPv6 usually sends IFA_ADDRESS alone.
 */
static int parse_ifaddr(const struct nlmsghdr *nlh, struct ipx_addr *out)
{
	struct ifa_walk w = {0};
	struct ifaddrmsg ifa;
	const struct nlattr *a;
	size_t want;

	if (nlh->nlmsg_type != RTM_NEWADDR || nlh->nlmsg_len % MNL_ALIGNTO ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + MNL_ALIGN(sizeof(ifa)))
		return -EBADMSG;
	memcpy(&ifa, mnl_nlmsg_get_payload(nlh), sizeof(ifa));
	w.end = mnl_nlmsg_get_payload_offset(nlh, sizeof(ifa));
	if (mnl_attr_parse(nlh, sizeof(ifa), ifa_cb, &w) < MNL_CB_STOP ||
	    w.end != (const char *)nlh + nlh->nlmsg_len)
		return -EBADMSG;
	if (ifa.ifa_family != AF_INET && ifa.ifa_family != AF_INET6)
		return 1; /* not ours to know */
	want = ifa.ifa_family == AF_INET ? 4 : 16;
	a = w.local ? w.local : w.address;
	if (!a)
		return 1;
	if (mnl_attr_get_payload_len(a) != want)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->family = ifa.ifa_family;
	memcpy(out->bytes, mnl_attr_get_payload(a), want);
	return 0;
}

static int addr_reply(struct ipx_collector *c, struct nlmsghdr *nlh, void *ctx)
{
	struct addr_list *l = ctx;
	struct ipx_addr addr;
	int rc = parse_ifaddr(nlh, &addr);

	if (rc < 0) {
		count_malformed(c, nlh); /* one address less; the others still count */
		return 0;
	}
	if (rc > 0)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct ipx_addr *bigger = realloc(l->a, cap * sizeof(*bigger));
		if (!bigger)
			return -ENOMEM;
		l->a = bigger;
		l->cap = cap;
	}
	l->a[l->n++] = addr;
	return 0;
}

/*
 * Whether an address came or went since the last look: any message from the kernel on the
 * address socket, or ENOBUFS (messages lost). One system call when nothing changed.
 */
static void check_addr_events(struct ipx_collector *c)
{
	for (int batch = 0; batch < EVENT_BATCHES; batch++) {
		int from_kernel;
		ssize_t n = receive(c, c->addr_events, &from_kernel);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n >= 0)
			OPENSSL_cleanse(c->buf, (size_t)n);
		if (n < 0 || from_kernel)
			c->addrs_stale = 1;
		if (n < 0 && n != -ENOBUFS && n != -EMSGSIZE)
			return;
	}
	c->addrs_stale = 1; /* a storm: dump rather than read on */
}

static int refresh_local_addrs(struct ipx_collector *c)
{
	char req_buf[MNL_NLMSG_HDRLEN + sizeof(struct ifaddrmsg)] __attribute__((aligned(4)));
	struct nlmsghdr *req =
	    start_request(req_buf, RTM_GETADDR, NLM_F_DUMP, sizeof(struct ifaddrmsg));
	struct addr_list l = {0};
	int interrupted = 0, rc;

	/* ifa_family stays AF_UNSPEC: both families in one dump. */
	rc = request(c, c->route, c->route_portid, req, addr_reply, &l, &interrupted);
	if (rc < 0)
		goto out;
	/* An interrupted address dump may miss an address: keep it, the next resync redoes it. */
	if (interrupted) {
		c->status.dump_interrupted++;
		c->addrs_stale = 1;
	}
	rc = ipx_store_set_local_addrs(c->st, l.a, l.n);
out:
	if (rc < 0)
		c->addrs_stale = 1;
	free(l.a);
	return rc;
}

/* Dumped again only when the address socket says they changed (or at first). */
static int update_local_addrs(struct ipx_collector *c)
{
	check_addr_events(c);
	if (!c->addrs_stale)
		return 0;
	c->addrs_stale = 0; /* an event from now on makes them stale again */
	return refresh_local_addrs(c);
}

/* ---- resync --------------------------------------------------------------------------- */

/*
 * The policy dump, GETSADINFO and GETSPDINFO go out together and come back in one
 * recvmmsg (their answers are small). The policy dump's outcome is returned; the info
 * requests' in *info_rc. An interrupted policy dump is redone alone.
 */
static int dump_policies_and_info(struct ipx_collector *c, uint64_t now, int *info_rc)
{
	char req_buf[MNL_NLMSG_HDRLEN + sizeof(struct xfrm_userpolicy_info)]
	    __attribute__((aligned(8)));
	struct info_reqs info;
	struct pending p[3] = {{0}};

	ipx_store_sync_begin(c->st, IPX_SYNC_POLICY);
	p[0].req = start_request(req_buf, XFRM_MSG_GETPOLICY, NLM_F_DUMP,
	                         sizeof(struct xfrm_userpolicy_info));
	p[0].fn = dump_policy_reply;
	p[0].ctx = &now;
	start_info(&info, &p[1], &p[2]);
	request_many(c, c->query, c->query_portid, p, 3);
	*info_rc = info_outcome(&p[1], &p[2]);
	if (p[0].rc < 0)
		return p[0].rc;
	if (p[0].interrupted) {
		c->status.dump_interrupted++;
		return dump_table(c, IPX_SYNC_POLICY, now, 1);
	}
	ipx_store_sync_end(c->st, IPX_SYNC_POLICY);
	return 0;
}

/* Says once that some algorithm names are served as "(other)" (xfrm_parse.h: the intern
 * table is full, or a name is not printable): the same SAs count again at every resync. */
static void warn_alg_names_lost(struct ipx_collector *c)
{
	struct ipx_alg_names_stats st;

	if (c->alg_names_warned)
		return;
	ipx_alg_names_stats(&st);
	if (!st.other && !st.invalid)
		return;
	ipx_log_warnx("algorithm names served as \"%s\": %llu over the table's %d distinct "
	              "names, %llu not printable (said once)",
	              IPX_ALG_NAME_OTHER, (unsigned long long)st.other, IPX_ALG_NAMES_MAX,
	              (unsigned long long)st.invalid);
	c->alg_names_warned = 1;
}

/*
 * SA and policy dumps are the resync: without both, it failed and stays due. SAD/SPD
 * info, xfrm_stat and the local addresses come after; their errors are returned and kept
 * in last_error, but the rows are in step all the same. The clock is read once: inside a
 * VM that is a system call too.
 */
int ipx_collector_resync(struct ipx_collector *c)
{
	uint64_t now = wall_now();
	int rc, info_rc, rc2;

	/* Apply what is queued first, so that older events cannot undo the dump after it. */
	read_events(c, now);
	c->resync_due = 0;
	c->status.events_ok = 1;
	rc = dump_table(c, IPX_SYNC_SA, now, 0);
	warn_alg_names_lost(c);
	if (rc < 0)
		goto fail;
	rc = dump_policies_and_info(c, now, &info_rc);
	if (rc < 0)
		goto fail;
	c->status.last_resync = now;
	c->status.resyncs++;
	rc = refresh_xfrm_stat(c);
	if (info_rc < 0)
		rc = info_rc;
	rc2 = update_local_addrs(c);
	if (rc == 0)
		rc = rc2;
	if (rc < 0)
		c->status.last_error = rc;
	return rc;
fail:
	c->resync_due = 1;
	c->status.last_error = rc;
	return rc;
}
