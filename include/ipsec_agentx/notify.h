/*
 * Notifications, decided here and sent by the agent: the collection layer's events (XFRM
 * store observers, IKE events from VICI, periodic checks) in, struct ipx_notification out
 * through a callback. Plain C: the agent turns each one into an SNMP notification of
 * IPSEC-AGENTX-MIB (agent/ipsecNotifications.c).
 *
 * What is decided here: de-duplication (a CHILD_SA that was rekeyed is not "down" when
 * charon deletes it after the rekey), thresholds with windows and hysteresis, the
 * rekey-overdue and connection-down timers, certificate expiry (once per certificate and
 * threshold), and a per-connection rate limit.
 */
#ifndef IPX_NOTIFY_H
#define IPX_NOTIFY_H

#include <stdint.h>

#include "ipsec_agentx/ike_store.h"
#include "ipsec_agentx/store.h"
#include "ipsec_agentx/xfrm.h"

enum ipx_notify_type {
	IPX_NOTIFY_IKE_UP = 1,
	IPX_NOTIFY_IKE_DOWN = 2,
	IPX_NOTIFY_CHILD_UP = 3,
	IPX_NOTIFY_CHILD_DOWN = 4,
	IPX_NOTIFY_IKE_REKEYED = 5,
	IPX_NOTIFY_CHILD_REKEYED = 6,
	IPX_NOTIFY_REKEY_RATE = 7,    /* more than N rekeys of one connection within a window */
	IPX_NOTIFY_REKEY_OVERDUE = 8, /* soft lifetime passed (or hard close) without successor */
	IPX_NOTIFY_DROPS_HIGH = 9,    /* a drop counter rose by more than N within a window */
	IPX_NOTIFY_DROPS_NORMAL = 10, /* ... and is back under the low mark */
	IPX_NOTIFY_CONN_DOWN = 11,    /* a configured connection without an SA for too long */
	IPX_NOTIFY_CERT_EXPIRING = 12,
	IPX_NOTIFY_MAX = 12
};

/* Every type enabled: bits 1..IPX_NOTIFY_MAX of ipx_notify_config.enabled. */
#define IPX_NOTIFY_ENABLED_ALL ((uint32_t)((1u << (IPX_NOTIFY_MAX + 1)) - 2u))
/* Seconds between two certificate checks (the first is at the first tick). */
#define IPX_NOTIFY_CERT_PERIOD 86400
/* Largest rekey_rate_max and rate_limit (the notifier keeps that many times per
 * connection). */
#define IPX_NOTIFY_COUNT_MAX 4096

/* Why an SA went down, where the source says so. */
enum ipx_down_reason {
	IPX_DOWN_UNKNOWN = 0,
	IPX_DOWN_PEER = 1,    /* the peer deleted it */
	IPX_DOWN_EXPIRED = 2, /* hard lifetime */
	IPX_DOWN_TIMEOUT = 3, /* DPD or retransmissions gave up */
	IPX_DOWN_LOCAL = 4,   /* deleted here (administrative: swanctl --terminate, unload) */
	IPX_DOWN_DAEMON = 5,  /* the IKE daemon went away */
};

/* What a drop notification is about. */
enum ipx_drop_kind {
	IPX_DROP_XFRM_STAT = 1,    /* a /proc/net/xfrm_stat counter (name in counter) */
	IPX_DROP_SA_REPLAY = 2,    /* an SA's replay-window + replayed drops (sa_index) */
	IPX_DROP_SA_INTEGRITY = 3, /* an SA's integrity failures (sa_index) */
};

struct ipx_notification {
	enum ipx_notify_type type;
	uint32_t source;                 /* IKE source (VICI socket) index, 0 for kernel-only */
	char conn[IPX_IKE_NAME_MAX];     /* connection name ("" if none) */
	char child[IPX_IKE_NAME_MAX];    /* child name ("" if none) */
	uint32_t ike_index, child_index; /* ikeSaIndex, ikeChildSaIndex (0 none) */
	uint32_t conn_index;             /* ipsecConnIndex (0 none) */
	uint32_t sa_index;               /* ipsecSaIndex (0 none) */
	struct ipx_addr local, remote;   /* IKE or SA endpoints */
	uint64_t ike_spi_i, ike_spi_r;   /* IKE SA SPIs (new ones for a rekey) */
	uint64_t old_ike_spi_i, old_ike_spi_r;
	uint32_t spi_in, spi_out; /* CHILD_SA / kernel SA SPIs (new ones for a rekey) */
	uint32_t old_spi_in, old_spi_out;
	uint8_t reason;     /* enum ipx_down_reason */
	uint8_t drop_kind;  /* enum ipx_drop_kind */
	char counter[48];   /* xfrm_stat counter name */
	uint64_t value;     /* rekeys in the window; drop increase in the window; days left */
	uint64_t threshold; /* the threshold crossed */
	uint32_t window;    /* seconds */
	int64_t seconds;    /* rekey overdue: seconds past soft lifetime (or to hard); conn down:
	                       seconds without an SA */
	char subject[256];  /* certificate subject */
	int64_t days_left;  /* certificate */
};

/* Thresholds and enables; defaults in ipx_notify_config_defaults(). 0 disables a check. */
struct ipx_notify_config {
	uint32_t enabled;              /* bit (1 << type) per enum ipx_notify_type */
	uint32_t rekey_rate_max;       /* more than this many rekeys of a connection ... */
	uint32_t rekey_rate_window;    /* ... within this many seconds */
	uint32_t rekey_overdue_margin; /* seconds before the hard lifetime that count as overdue */
	uint32_t drop_high;            /* a drop counter rising by more than this ... */
	uint32_t drop_window;          /* ... within this many seconds: DROPS_HIGH */
	uint32_t drop_low;             /* back to normal once the rise per window is <= this */
	uint32_t conn_down_after;      /* seconds a configured connection may have no SA */
	uint32_t cert_expiry_days;     /* warn this many days before not_after */
	uint32_t rate_limit;           /* at most this many notifications per connection ... */
	uint32_t rate_window;          /* ... per this many seconds (the rest are counted) */
};

void ipx_notify_config_defaults(struct ipx_notify_config *cfg);
/* 0, or -EINVAL with *why set for an inconsistent configuration (drop_low >= drop_high,
 * a threshold without its window, enabled bits outside 1..IPX_NOTIFY_MAX, rekey_rate_max
 * or rate_limit above IPX_NOTIFY_COUNT_MAX). WHY may be NULL. */
int ipx_notify_config_check(const struct ipx_notify_config *cfg, const char **why);

/* Semantic IKE events (ike_source.c reports them as it applies VICI events). */
enum ipx_ike_event_type {
	IPX_IKE_EV_IKE_UP = 1,
	IPX_IKE_EV_IKE_DOWN,
	IPX_IKE_EV_CHILD_UP,
	IPX_IKE_EV_CHILD_DOWN,
	IPX_IKE_EV_IKE_REKEY,
	IPX_IKE_EV_CHILD_REKEY,
	IPX_IKE_EV_SOURCE_DOWN, /* the daemon went away: every SA of the source is down */
};

struct ipx_ike_event {
	enum ipx_ike_event_type type;
	uint32_t source;
	const struct ipx_ike_sa *ike;         /* the IKE SA (new one for IKE_REKEY) */
	const struct ipx_ike_sa *old_ike;     /* IKE_REKEY */
	const struct ipx_child_sa *child;     /* CHILD events (new one for CHILD_REKEY) */
	const struct ipx_child_sa *old_child; /* CHILD_REKEY */
	uint8_t reason;                       /* DOWN events: enum ipx_down_reason */
};

/* Sends one notification. It must not call the notifier or change the stores. */
typedef void (*ipx_notify_fn)(void *arg, const struct ipx_notification *n);

struct ipx_notifier;

struct ipx_notify_stats {
	uint64_t sent[IPX_NOTIFY_MAX + 1]; /* per type */
	uint64_t suppressed;               /* by the rate limit */
	uint64_t duplicates;               /* dropped as duplicates */
	uint64_t overflows; /* state not kept because a map was full (notify.c: the caps) */
};

/*
 * XFRM and IKE may be NULL. The notifier observes XFRM (expiries, deletes). NOW: monotonic
 * seconds for its timers.
 */
struct ipx_notifier *ipx_notifier_new(const struct ipx_notify_config *cfg, struct ipx_store *xfrm,
                                      struct ipx_ike_store *ike, ipx_notify_fn fn, void *arg);
void ipx_notifier_free(struct ipx_notifier *n);
/* New thresholds (checked by the caller); windows restart. */
void ipx_notifier_set_config(struct ipx_notifier *n, const struct ipx_notify_config *cfg);
/*
 * An IKE event. Ups and rekeys after the IKE store took them; downs (IKE_DOWN, CHILD_DOWN)
 * and SOURCE_DOWN while the rows still exist, i.e. BEFORE ipx_ike_delete_sa/_child and
 * ipx_ike_source_down(): the notifier names their indexes from the store, and reports one
 * IKE_DOWN (reason DAEMON) per IKE SA of the source that the store still holds for
 * SOURCE_DOWN. A down whose rows are gone already is still sent, with indexes 0.
 */
void ipx_notifier_ike_event(struct ipx_notifier *n, const struct ipx_ike_event *ev, double now);
/* Periodic work: drop counters (after each XFRM resync), timers (overdue, conn down), cert
 * expiry. Call at least once a second. NOW is also the notifier's clock for the XFRM
 * events that arrive until the next tick or IKE event. */
void ipx_notifier_tick(struct ipx_notifier *n, double now);
/* Seconds from NOW to the next timer the notifier needs (at most CAP). */
double ipx_notifier_timeout(const struct ipx_notifier *n, double now, double cap);
const struct ipx_notify_stats *ipx_notifier_stats(const struct ipx_notifier *n);

#endif
