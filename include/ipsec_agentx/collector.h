/*
 * The XFRM collector: owns the netlink sockets, keeps a store in step with the kernel.
 *
 * Single-threaded and non-blocking towards the caller's event loop: the caller polls
 * ipx_collector_event_fd() for reading and calls ipx_collector_on_readable(); it calls
 * ipx_collector_resync() when ipx_collector_resync_due() says so, and on its refresh timer.
 */
#ifndef IPX_COLLECTOR_H
#define IPX_COLLECTOR_H

#include <stdint.h>

#include "ipsec_agentx/store.h"

struct ipx_collector;

struct ipx_collector_status {
	uint64_t last_resync;      /* wall clock seconds of the last complete resync, 0 = never */
	uint64_t resyncs;          /* completed full resyncs */
	uint64_t malformed;        /* messages rejected by the parser */
	uint64_t events;           /* multicast messages applied */
	uint64_t overruns;         /* ENOBUFS on the event socket (events were lost) */
	uint64_t dump_interrupted; /* dumps redone because of NLM_F_DUMP_INTR */
	int events_ok;  /* the multicast subscription is up and not overrun since the last resync */
	int last_error; /* last negative errno from the kernel side, 0 = none */
};

/* Opens the query and event sockets; -errno on failure (e.g. -EPERM without CAP_NET_ADMIN). */
int ipx_collector_open(struct ipx_collector **out, struct ipx_store *st);
void ipx_collector_close(struct ipx_collector *c);

int ipx_collector_event_fd(const struct ipx_collector *c);
/* Reads and applies every pending event; on ENOBUFS marks a resync as due. */
int ipx_collector_on_readable(struct ipx_collector *c);
int ipx_collector_resync_due(const struct ipx_collector *c);
/* Full dump of SAs and policies, SAD/SPD info, xfrm_stat and local addresses. */
int ipx_collector_resync(struct ipx_collector *c);
/* Cheap refresh of the kernel-wide figures only (SAD/SPD info, xfrm_stat). */
int ipx_collector_refresh_info(struct ipx_collector *c);
const struct ipx_collector_status *ipx_collector_status(const struct ipx_collector *c);

/* Where /proc/net/xfrm_stat is read from (tests point it elsewhere). */
void ipx_collector_set_xfrm_stat_path(struct ipx_collector *c, const char *path);

#endif
