/*
 * A non-blocking VICI client for one charon socket, for a single-threaded select()/poll()
 * loop. The wire format is vici.h.
 *
 * The caller owns the loop: it polls ipx_vici_client_fd() for what
 * ipx_vici_client_poll_events() asks (POLLIN and/or POLLOUT) and calls
 * ipx_vici_client_on_readable() / ipx_vici_client_on_writable(). Nothing blocks.
 *
 * VICI has no sequence numbers, so one request (command, event registration or
 * unregistration) is in flight at a time; more are queued and sent in order. A command may
 * name the event its results stream in ("list-sa" for "list-sas"): the client registers for
 * it first, hands each such event that arrives before the command's CMD_RESPONSE to the
 * command's on_stream, and unregisters afterwards. Every other event, including one that
 * arrives in the middle of such a stream, goes to the client's on_event.
 *
 * When the connection ends (charon closes it, an I/O error, a framing error), the fd is
 * closed, the state becomes DOWN, every pending request's on_done gets the error, then
 * on_down does. Reconnecting is the caller's: ipx_vici_client_connect() again, typically
 * from a timer. Registrations do not survive a reconnect.
 *
 * Callbacks may queue requests and may call ipx_vici_client_close() or _connect(), but must
 * not free the client. A message handed to a callback is valid during the call only.
 */
#ifndef IPX_VICI_CLIENT_H
#define IPX_VICI_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ipsec_agentx/vici.h"

struct ipx_vici_client;

enum ipx_vici_state {
	IPX_VICI_DOWN = 0,       /* no socket: connect() to start */
	IPX_VICI_CONNECTING = 1, /* connect() in progress: poll for POLLOUT */
	IPX_VICI_UP = 2
};

/* An event, or a streamed result of a command. */
typedef void (*ipx_vici_msg_fn)(void *arg, const struct ipx_vici_msg *msg);
/*
 * A request finished. ERR: 0 (REPLY is the CMD_RESPONSE of a command, NULL for an event
 * (un)registration); -EOPNOTSUPP if charon does not know the command (CMD_UNKNOWN);
 * -ENOENT if it does not know the event (EVENT_UNKNOWN; for a command with a stream event,
 * the command was then not sent); -EBADMSG if the reply was malformed; -ECANCELED if the
 * caller closed the client; else the error that ended the connection.
 */
typedef void (*ipx_vici_done_fn)(void *arg, int err, const struct ipx_vici_msg *reply);

struct ipx_vici_client_ops {
	ipx_vici_msg_fn on_event;            /* events not streamed to a command */
	void (*on_up)(void *arg);            /* connected (optional) */
	void (*on_down)(void *arg, int err); /* connection lost; err < 0 (optional) */
	/* Every packet received, length field included, before it is decoded (optional; for
	 * recording fixtures). */
	void (*on_packet)(void *arg, const uint8_t *pkt, size_t len);
};

struct ipx_vici_client_stats {
	uint64_t packets_in, packets_out;
	uint64_t events;    /* delivered to on_event */
	uint64_t streamed;  /* delivered to a command's on_stream */
	uint64_t malformed; /* events that did not decode, dropped */
	uint64_t connects;  /* connections established */
};

/*
 * PATH: charon's socket, a file name or "unix://" and one (e.g. /var/run/charon.vici).
 * OPS is copied; ARG is passed to its callbacks. -ENAMETOOLONG if PATH does not fit in a
 * sockaddr_un, -ENOMEM. The client starts DOWN.
 */
int ipx_vici_client_new(const char *path, const struct ipx_vici_client_ops *ops, void *arg,
                        struct ipx_vici_client **out);
/* Closes the connection (pending requests get -ECANCELED, on_down is not called), frees. */
void ipx_vici_client_free(struct ipx_vici_client *c);

/*
 * Starts connecting (non-blocking) if DOWN; nothing if already CONNECTING or UP. Returns 0
 * when UP or CONNECTING (on_up is called once the connection completes, from
 * on_writable or at once if connect() completed at once), or -errno: -ENOENT (no socket
 * file), -ECONNREFUSED (nobody listens), -EAGAIN (the listen queue is full: retry later).
 */
int ipx_vici_client_connect(struct ipx_vici_client *c);
/* Closes the connection: pending requests get -ECANCELED; on_down is not called. */
void ipx_vici_client_close(struct ipx_vici_client *c);

enum ipx_vici_state ipx_vici_client_state(const struct ipx_vici_client *c);
/* The socket, or -1 when DOWN. */
int ipx_vici_client_fd(const struct ipx_vici_client *c);
/* POLLIN and/or POLLOUT (poll.h values) to wait for; 0 when DOWN. */
int ipx_vici_client_poll_events(const struct ipx_vici_client *c);
/*
 * Reads what is there (up to a bounded amount, so one busy peer cannot starve the loop)
 * and dispatches whole packets. Returns 0, or the negative error that brought the
 * connection down (callbacks have run by then).
 */
int ipx_vici_client_on_readable(struct ipx_vici_client *c);
/* Completes a connect, or sends queued bytes. Returns as on_readable. */
int ipx_vici_client_on_writable(struct ipx_vici_client *c);

/*
 * Queues command COMMAND with arguments ARGS (NULL: none; encoded here, so the builder
 * may be released on return). STREAM: the event that streams its results ("list-sa",
 * "list-conn", "list-cert"), or NULL; each one goes to ON_STREAM. ON_DONE (may be NULL)
 * gets the CMD_RESPONSE. Returns 0, -ENOTCONN when DOWN, or an encoding error (see
 * ipx_vici_encode()); nothing is queued on error.
 */
int ipx_vici_client_command(struct ipx_vici_client *c, const char *command,
                            const struct ipx_vici_builder *args, const char *stream,
                            ipx_vici_msg_fn on_stream, ipx_vici_done_fn on_done, void *arg);
/* Queues an event (un)registration; ON_DONE (may be NULL) gets 0 or -ENOENT. */
int ipx_vici_client_register(struct ipx_vici_client *c, const char *event, ipx_vici_done_fn on_done,
                             void *arg);
int ipx_vici_client_unregister(struct ipx_vici_client *c, const char *event,
                               ipx_vici_done_fn on_done, void *arg);

/* Requests queued or in flight. */
size_t ipx_vici_client_pending(const struct ipx_vici_client *c);
const struct ipx_vici_client_stats *ipx_vici_client_stats(const struct ipx_vici_client *c);

#endif
