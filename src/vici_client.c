/*
 * The non-blocking VICI client: one charon socket, one request in flight. See
 * vici_client.h.
 *
 * A request goes through up to three phases, each one packet out and one answer back:
 * REGISTER its stream event, send the COMMAND, UNREGISTER the stream event. The head of
 * the queue is the request in flight; its current phase's packet sits in the output
 * buffer until it is all written, then the client waits for the answer. Every teardown
 * bumps a generation counter, so a loop that has called back into the user can tell that
 * the connection it was working on is gone.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipsec_agentx/log.h"
#include "ipsec_agentx/vici_client.h"

#define READ_CHUNK       (64 * 1024)
#define READ_BUDGET      (16 * READ_CHUNK) /* per on_readable call: fairness to the other fds */
#define MALFORMED_LOGGED 10                /* then one line per 1000 */

enum phase { PH_REGISTER, PH_COMMAND, PH_UNREGISTER, PH_DONE };

struct request {
	struct request *next;
	enum phase phase;
	char event[IPX_VICI_MAX_NAME + 1]; /* stream event, or the event to (un)register */
	char command[IPX_VICI_MAX_NAME + 1];
	uint8_t *cmd; /* the encoded CMD_REQUEST; NULL for an (un)registration */
	size_t cmd_len;
	ipx_vici_msg_fn on_stream;
	ipx_vici_done_fn on_done;
	void *arg;
	int answered; /* on_done has been called */
};

struct ipx_vici_client {
	struct sockaddr_un addr;
	int fd;
	enum ipx_vici_state state;
	unsigned int gen; /* bumped at every teardown */
	struct ipx_vici_reader rd;
	struct request *head, *tail; /* head: in flight once its packet is out */
	uint8_t *out;                /* the current phase's packet */
	size_t out_len, out_off;
	int waiting; /* the packet is out: waiting for the answer */
	struct ipx_vici_client_ops ops;
	void *arg;
	struct ipx_vici_client_stats stats;
	uint8_t rbuf[READ_CHUNK];
};

/* ---- requests ------------------------------------------------------------------------- */

static void finish(struct request *r, int err, const struct ipx_vici_msg *reply)
{
	if (r->answered)
		return;
	r->answered = 1;
	if (r->on_done)
		r->on_done(r->arg, err, reply);
}

static void free_request(struct request *r)
{
	free(r->cmd);
	free(r);
}

static struct request *pop(struct ipx_vici_client *c)
{
	struct request *r = c->head;

	c->head = r->next;
	if (!c->head)
		c->tail = NULL;
	return r;
}

static int phase_packet(const struct request *r, uint8_t **pkt, size_t *len)
{
	if (r->phase == PH_COMMAND) {
		*pkt = malloc(r->cmd_len);
		if (!*pkt)
			return -ENOMEM;
		memcpy(*pkt, r->cmd, r->cmd_len);
		*len = r->cmd_len;
		return 0;
	}
	return ipx_vici_encode(r->phase == PH_REGISTER ? IPX_VICI_EVENT_REGISTER
	                                               : IPX_VICI_EVENT_UNREGISTER,
	                       r->event, NULL, pkt, len);
}

/* Puts the next request's packet in the output buffer, if the line is free. No I/O here:
 * the caller's loop sees POLLOUT and calls on_writable. */
static void start_next(struct ipx_vici_client *c)
{
	struct request *r;
	int rc;

	while (c->state == IPX_VICI_UP && c->head && !c->out && !c->waiting) {
		r = c->head;
		rc = phase_packet(r, &c->out, &c->out_len);
		if (rc == 0) {
			c->out_off = 0;
			return;
		}
		ipx_log_warnx("vici: cannot encode %s: %s", r->command[0] ? r->command : r->event,
		              strerror(-rc));
		pop(c);
		finish(r, rc, NULL);
		free_request(r);
	}
}

static void enqueue(struct ipx_vici_client *c, struct request *r)
{
	if (c->tail)
		c->tail->next = r;
	else
		c->head = r;
	c->tail = r;
	start_next(c);
}

/* ---- connection state ----------------------------------------------------------------- */

static void drop_output(struct ipx_vici_client *c)
{
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	c->waiting = 0;
}

/* Closes the socket and fails what was pending. NOTIFY: call on_down (not when the caller
 * closed the client itself). */
static void teardown(struct ipx_vici_client *c, int err, int notify)
{
	struct request *pending = c->head, *r;

	c->head = c->tail = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = IPX_VICI_DOWN;
	c->gen++;
	ipx_vici_reader_reset(&c->rd);
	drop_output(c);
	/* The callbacks may queue on a new connection: the old queue is detached first. */
	while ((r = pending) != NULL) {
		pending = r->next;
		finish(r, err, NULL);
		free_request(r);
	}
	if (notify && c->ops.on_down)
		c->ops.on_down(c->arg, err);
}

static void lost(struct ipx_vici_client *c, int err)
{
	if (err == -ECONNRESET)
		ipx_log_warnx("vici: %s: charon closed the connection", c->addr.sun_path);
	else
		ipx_log_warnx("vici: %s: connection lost: %s", c->addr.sun_path, strerror(-err));
	teardown(c, err, 1);
}

static void connected(struct ipx_vici_client *c)
{
	unsigned int gen = c->gen;

	c->state = IPX_VICI_UP;
	c->stats.connects++;
	ipx_log_debug("vici", "vici: connected to %s", c->addr.sun_path);
	if (c->ops.on_up)
		c->ops.on_up(c->arg);
	if (gen == c->gen)
		start_next(c);
}

int ipx_vici_client_new(const char *path, const struct ipx_vici_client_ops *ops, void *arg,
                        struct ipx_vici_client **out)
{
	struct ipx_vici_client *c;

	/* Accept swanctl's URI form too. */
	if (strncmp(path, "unix://", 7) == 0)
		path += 7;
	if (!*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(c->addr.sun_path))
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->addr.sun_family = AF_UNIX;
	strcpy(c->addr.sun_path, path);
	c->fd = -1;
	ipx_vici_reader_init(&c->rd);
	if (ops)
		c->ops = *ops;
	c->arg = arg;
	*out = c;
	return 0;
}

void ipx_vici_client_free(struct ipx_vici_client *c)
{
	if (!c)
		return;
	teardown(c, -ECANCELED, 0);
	free(c);
}

int ipx_vici_client_connect(struct ipx_vici_client *c)
{
	int fd, rc;

	if (c->state != IPX_VICI_DOWN)
		return 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&c->addr, sizeof(c->addr)) == 0) {
		c->fd = fd;
		connected(c);
		return 0;
	}
	/* A unix socket completes or fails at once, except EAGAIN (listen queue full), which
	 * is no connection at all; EINPROGRESS is handled for completeness. */
	rc = -errno;
	if (rc == -EINPROGRESS) {
		c->fd = fd;
		c->state = IPX_VICI_CONNECTING;
		return 0;
	}
	close(fd);
	ipx_log_debug("vici", "vici: cannot connect to %s: %s", c->addr.sun_path, strerror(-rc));
	return rc;
}

void ipx_vici_client_close(struct ipx_vici_client *c)
{
	teardown(c, -ECANCELED, 0);
}

enum ipx_vici_state ipx_vici_client_state(const struct ipx_vici_client *c)
{
	return c->state;
}

int ipx_vici_client_fd(const struct ipx_vici_client *c)
{
	return c->fd;
}

int ipx_vici_client_poll_events(const struct ipx_vici_client *c)
{
	switch (c->state) {
	case IPX_VICI_CONNECTING: return POLLOUT;
	case IPX_VICI_UP: return POLLIN | (c->out ? POLLOUT : 0);
	default: return 0;
	}
}

size_t ipx_vici_client_pending(const struct ipx_vici_client *c)
{
	const struct request *r;
	size_t n = 0;

	for (r = c->head; r; r = r->next)
		n++;
	return n;
}

const struct ipx_vici_client_stats *ipx_vici_client_stats(const struct ipx_vici_client *c)
{
	return &c->stats;
}

/* ---- queueing requests ---------------------------------------------------------------- */

static int new_request(const char *event, enum phase first, ipx_vici_done_fn on_done, void *arg,
                       struct request **out)
{
	struct request *r;

	if (event && (!*event || strlen(event) > IPX_VICI_MAX_NAME))
		return *event ? -ENAMETOOLONG : -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (event)
		strcpy(r->event, event);
	r->phase = first;
	r->on_done = on_done;
	r->arg = arg;
	*out = r;
	return 0;
}

int ipx_vici_client_command(struct ipx_vici_client *c, const char *command,
                            const struct ipx_vici_builder *args, const char *stream,
                            ipx_vici_msg_fn on_stream, ipx_vici_done_fn on_done, void *arg)
{
	struct request *r = NULL;
	int rc;

	if (c->state == IPX_VICI_DOWN)
		return -ENOTCONN;
	rc = new_request(stream, stream ? PH_REGISTER : PH_COMMAND, on_done, arg, &r);
	if (rc < 0)
		goto out;
	rc = ipx_vici_encode(IPX_VICI_CMD_REQUEST, command, args, &r->cmd, &r->cmd_len);
	if (rc < 0)
		goto out;
	snprintf(r->command, sizeof(r->command), "%s", command);
	r->on_stream = on_stream;
	enqueue(c, r);
	r = NULL;
out:
	if (r)
		free_request(r);
	return rc;
}

static int queue_event_request(struct ipx_vici_client *c, const char *event, enum phase phase,
                               ipx_vici_done_fn on_done, void *arg)
{
	struct request *r;
	int rc;

	if (c->state == IPX_VICI_DOWN)
		return -ENOTCONN;
	if (!event)
		return -EINVAL;
	rc = new_request(event, phase, on_done, arg, &r);
	if (rc == 0)
		enqueue(c, r);
	return rc;
}

int ipx_vici_client_register(struct ipx_vici_client *c, const char *event, ipx_vici_done_fn on_done,
                             void *arg)
{
	return queue_event_request(c, event, PH_REGISTER, on_done, arg);
}

int ipx_vici_client_unregister(struct ipx_vici_client *c, const char *event,
                               ipx_vici_done_fn on_done, void *arg)
{
	return queue_event_request(c, event, PH_UNREGISTER, on_done, arg);
}

/* ---- incoming packets ----------------------------------------------------------------- */

static int answer_matches(enum phase phase, unsigned int type)
{
	if (phase == PH_COMMAND)
		return type == IPX_VICI_CMD_RESPONSE || type == IPX_VICI_CMD_UNKNOWN;
	return type == IPX_VICI_EVENT_CONFIRM || type == IPX_VICI_EVENT_UNKNOWN;
}

/* The phase after PHASE's answer of type TYPE. */
static enum phase after_answer(const struct request *r, enum phase phase, unsigned int type)
{
	/* A command whose stream event is unknown would stream nowhere: it is not sent. */
	if (phase == PH_REGISTER && r->cmd && type == IPX_VICI_EVENT_UNKNOWN)
		return PH_DONE;
	switch (phase) {
	case PH_REGISTER: return r->cmd ? PH_COMMAND : PH_DONE;
	case PH_COMMAND: return r->event[0] ? PH_UNREGISTER : PH_DONE;
	default: return PH_DONE;
	}
}

/* Tells the request's owner what the answer to PHASE means, if it is theirs to hear. */
static void report_answer(struct request *r, enum phase phase, const struct ipx_vici_msg *m)
{
	switch (m->type) {
	case IPX_VICI_CMD_RESPONSE: finish(r, 0, m); return;
	case IPX_VICI_CMD_UNKNOWN: finish(r, -EOPNOTSUPP, NULL); return;
	case IPX_VICI_EVENT_UNKNOWN:
		if (phase == PH_UNREGISTER && r->answered)
			ipx_log_warnx("vici: charon did not unregister event %.64s", r->event);
		finish(r, -ENOENT, NULL);
		return;
	}
	/* EVENT_CONFIRM: the end of a plain (un)registration; a command's are internal. */
	if (!r->cmd)
		finish(r, 0, NULL);
}

/*
 * The answer to the head request's current phase. The request moves on before its owner
 * hears of it, so that a callback queueing more (or closing the client) finds the line in
 * a consistent state; a finished request is unlinked first and freed here.
 */
static int on_answer(struct ipx_vici_client *c, const struct ipx_vici_msg *m)
{
	unsigned int gen = c->gen;
	struct request *r = c->head;
	enum phase phase;
	int done;

	if (!r || !c->waiting || !answer_matches(r->phase, m->type)) {
		ipx_log_warnx("vici: unexpected %s from charon", ipx_vici_type_name(m->type));
		return -EPROTO;
	}
	c->waiting = 0;
	phase = r->phase;
	r->phase = after_answer(r, phase, m->type);
	/* Still queued, R is the client's: a callback that closes it frees R. */
	done = r->phase == PH_DONE;
	if (done)
		pop(c);
	report_answer(r, phase, m);
	if (done)
		free_request(r);
	if (gen == c->gen)
		start_next(c);
	return 0;
}

static void on_event_msg(struct ipx_vici_client *c, const struct ipx_vici_msg *m)
{
	const struct request *r = c->head;

	if (r && r->phase == PH_COMMAND && c->waiting && strcmp(r->event, m->name) == 0) {
		c->stats.streamed++;
		if (r->on_stream)
			r->on_stream(r->arg, m);
		return;
	}
	c->stats.events++;
	if (c->ops.on_event)
		c->ops.on_event(c->arg, m);
}

/* The event's name only: values may be anything. PKT is at least a length field and a
 * type byte long (the reader sees to that). */
static void count_malformed(struct ipx_vici_client *c, const uint8_t *pkt, size_t len)
{
	uint64_t n = ++c->stats.malformed;
	size_t name_len = len > 6 ? pkt[5] : 0;

	if (name_len > len - 6)
		name_len = len - 6;
	if (name_len > 32)
		name_len = 32;
	if (n <= MALFORMED_LOGGED || n % 1000 == 0)
		ipx_log_warnx("vici: dropped a malformed event %.*s (%zu bytes); %llu so far",
		              (int)name_len, (const char *)pkt + 6, len, (unsigned long long)n);
}

/* PKT: a whole packet, length field included. A malformed event is dropped (the framing
 * is intact); anything else malformed or unexpected ends the connection. */
static int dispatch(struct ipx_vici_client *c, const uint8_t *pkt, size_t len)
{
	const uint8_t *body = pkt + IPX_VICI_HDR_LEN;
	struct ipx_vici_msg *m = NULL;
	int rc;

	c->stats.packets_in++;
	if (c->ops.on_packet)
		c->ops.on_packet(c->arg, pkt, len);
	rc = ipx_vici_decode_packet(body, len - IPX_VICI_HDR_LEN, &m);
	if (rc < 0 && body[0] == IPX_VICI_EVENT) {
		count_malformed(c, pkt, len);
		return 0;
	}
	if (rc < 0) {
		ipx_log_warnx("vici: malformed %s from charon (%zu bytes)",
		              ipx_vici_type_name(body[0]), len);
		return rc;
	}
	if (m->type == IPX_VICI_EVENT)
		on_event_msg(c, m);
	else
		rc = on_answer(c, m);
	ipx_vici_msg_free(m);
	return rc;
}

/* Feeds N received bytes to the reader and dispatches each packet. */
static int consume(struct ipx_vici_client *c, size_t n)
{
	unsigned int gen = c->gen;
	size_t off = 0, len;
	uint8_t *pkt;
	ssize_t used;
	int rc = 0;

	while (off < n && rc == 0) {
		used = ipx_vici_reader_feed(&c->rd, c->rbuf + off, n - off, &pkt, &len);
		if (used < 0)
			return (int)used;
		off += (size_t)used;
		if (pkt)
			rc = dispatch(c, pkt, len);
		free(pkt);
		if (gen != c->gen)
			return 0; /* a callback closed or reset the connection: the rest is stale */
	}
	return rc;
}

int ipx_vici_client_on_readable(struct ipx_vici_client *c)
{
	unsigned int gen = c->gen;
	size_t budget = READ_BUDGET;
	ssize_t n;
	int rc;

	while (c->state == IPX_VICI_UP && gen == c->gen && budget > 0) {
		n = recv(c->fd, c->rbuf, sizeof(c->rbuf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		rc = n < 0 ? -errno : n == 0 ? -ECONNRESET : consume(c, (size_t)n);
		if (rc < 0) {
			lost(c, rc);
			return rc;
		}
		budget = (size_t)n < budget ? budget - (size_t)n : 0;
	}
	return 0;
}

/* ---- outgoing packets ----------------------------------------------------------------- */

static int finish_connect(struct ipx_vici_client *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	if (err)
		return -err;
	connected(c);
	return 0;
}

static int flush(struct ipx_vici_client *c)
{
	ssize_t n;

	while (c->out && c->out_off < c->out_len) {
		/* MSG_NOSIGNAL: a charon that went away must be an error, not a SIGPIPE. */
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;
		c->out_off += (size_t)n;
	}
	if (c->out) {
		free(c->out);
		c->out = NULL;
		c->out_len = c->out_off = 0;
		c->waiting = 1;
		c->stats.packets_out++;
	}
	return 0;
}

int ipx_vici_client_on_writable(struct ipx_vici_client *c)
{
	unsigned int gen = c->gen;
	int rc = 0;

	if (c->state == IPX_VICI_CONNECTING)
		rc = finish_connect(c);
	if (rc == 0 && gen == c->gen && c->state == IPX_VICI_UP)
		rc = flush(c);
	if (rc < 0 && gen == c->gen) {
		lost(c, rc);
		return rc;
	}
	return 0;
}
