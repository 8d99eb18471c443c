/*
 * IKE daemons as data sources: one VICI connection per configured socket, kept in the
 * caller's single event loop. For each source it connects (retrying with backoff while
 * charon is absent), registers for the events that change what it lists, lists
 * connections, SAs and certificates into the IKE store, lists SAs again after events and
 * every refresh interval, and on loss of the connection removes that source's SAs from
 * the store (charon's SAs are gone with it) and starts retrying.
 */
#ifndef IPX_IKE_SOURCE_H
#define IPX_IKE_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <poll.h>

#include "ipsec_agentx/ike_store.h"
#include "ipsec_agentx/vici.h"

#define IPX_IKE_PATH_MAX 108 /* sun_path */

enum ipx_ike_source_state {
	IPX_IKE_SOURCE_DOWN = 1,       /* not connected; retrying */
	IPX_IKE_SOURCE_CONNECTING = 2, /* connected, first listing not complete */
	IPX_IKE_SOURCE_UP = 3,         /* connected and listed */
};

/* What the MIB shows of each source. */
struct ipx_ike_source_status {
	uint32_t index; /* 1.. */
	char path[IPX_IKE_PATH_MAX];
	uint8_t state;       /* enum ipx_ike_source_state */
	char daemon[32];     /* from VICI "version": "charon" */
	char version[32];    /* "5.9.8" */
	int64_t last_change; /* monotonic seconds of the last state change */
	int last_error;      /* errno of the last failure (positive), 0 none */
	uint64_t connects;   /* connections established */
	uint64_t losses;     /* established connections lost */
	uint64_t events;     /* VICI events received */
	uint64_t listings;   /* list-sas completed */
	uint64_t malformed;  /* messages rejected as malformed */
};

/* An event as it reached us, after the store was updated. */
typedef void (*ipx_ike_event_fn)(void *arg, uint32_t source, const struct ipx_vici_msg *ev);
struct ipx_ike_event; /* notify.h */
/* What an event meant (an IKE SA up, a CHILD_SA rekeyed, ...): ups and rekeys after the
 * store took them, downs (and a lost daemon) while the rows still exist. */
typedef void (*ipx_ike_semantic_fn)(void *arg, const struct ipx_ike_event *ev);
struct ipx_ike_event; /* notify.h */
/* What the event meant (an IKE SA up, a CHILD_SA rekeyed, ...): ups and rekeys after the
 * store took them, downs (and a lost daemon) while the rows still exist. */
typedef void (*ipx_ike_semantic_fn)(void *arg, const struct ipx_ike_event *ev);

struct ipx_ike_sources;

struct ipx_ike_sources_config {
	const char *const *paths; /* VICI sockets, "unix://" prefix optional */
	size_t n_paths;
	double refresh_interval; /* seconds between list-sas (counters, clocks); 0: events only */
	double retry_min, retry_max;      /* reconnect backoff, seconds (doubles up to max) */
	double request_timeout;           /* a command unanswered this long drops the connection */
	ipx_ike_event_fn on_event;        /* optional */
	ipx_ike_semantic_fn on_ike_event; /* optional */
	void *event_arg;
};

int ipx_ike_sources_new(const struct ipx_ike_sources_config *cfg, struct ipx_ike_store *st,
                        struct ipx_ike_sources **out);
void ipx_ike_sources_free(struct ipx_ike_sources *s);

/* The fds to watch: fills up to MAX entries (fd; events POLLIN and/or POLLOUT), returns
 * how many. */
size_t ipx_ike_sources_pollfds(const struct ipx_ike_sources *s, struct pollfd *out, size_t max);
/* Seconds from NOW to the next timer (reconnect, listing, request timeout), at most CAP. */
double ipx_ike_sources_timeout(const struct ipx_ike_sources *s, double now, double cap);
/* Handles the ready fds (FDS as pollfds() gave them, revents set) and the due timers.
 * NOW: CLOCK_MONOTONIC seconds. */
void ipx_ike_sources_process(struct ipx_ike_sources *s, const struct pollfd *fds, size_t n,
                             double now);

size_t ipx_ike_sources_count(const struct ipx_ike_sources *s);
/* INDEX 1..count, or NULL. */
const struct ipx_ike_source_status *ipx_ike_source_status(const struct ipx_ike_sources *s,
                                                          uint32_t index);

#endif
