/*
 * The event loop (lldpd's shape): Net-SNMP's fds from snmp_select_info2(), the XFRM event
 * socket and our timers in one select(); no threads, no SIGALRM. Request handlers only
 * read the store; the kernel is read here, between requests.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/select.h>
#include <syslog.h>
#include <time.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_callbacks.h>
#include <net-snmp/library/large_fd_set.h>

#include "ipsec_agentx/collector.h"
#include "ipsec_agentx/ike_source.h"
#include "ipsec_agentx/ike_store.h"
#include "ipsec_agentx/log.h"
#include "ipsec_agentx/notify.h"
#include "daemon.h"
#include "groups.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	stop_requested = sig;
}

static uint64_t wall_now(void)
{
	return (uint64_t)time(NULL);
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void netsnmp_sink(int level, const char *msg)
{
	snmp_log(level, "%s\n", msg);
}

/* Direct mode: the daemon is an SNMP agent of its own (a master), not an AgentX subagent. */
static int direct_mode(const struct ipx_config *cfg)
{
	return cfg->direct_listen[0] != '\0';
}

/*
 * The role and its settings must be in place before init_agent(), which reads the role once.
 *
 * Subagent (the default): AgentX to the master's socket, pinged every agentx-ping-interval.
 *
 * Direct mode: role master; init_agent() then registers what snmpd would register before its
 * MIB modules: agentaddress and the trap sinks (trapsink, trap2sink, informsink, trapsess),
 * and Net-SNMP's own agent modules in libnetsnmpagent: vacm_conf (view, group, access,
 * com2sec, rocommunity, rwcommunity, rouser, rwuser, ... and the access-control callbacks
 * every request goes through) and usmConf (createUser, usmUser). smux (which would listen on
 * TCP port 199) and iquery (DisMan's internal queries) are left out. The listening addresses
 * go to NETSNMP_DS_AGENT_PORTS, and direct-config joins the config files init_snmp() reads
 * for this application type (as snmpd -c does), after ipsec-agentx.conf and the persistent
 * file.
 */
static void agent_setup(const struct ipx_config *cfg)
{
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	/* Values set over SNMP (ipsecNotifyConfig) persist in Net-SNMP's state directory
	 * (/var/lib/snmp/ipsec-agentx.conf; SNMP_PERSISTENT_DIR moves it), as do, in direct
	 * mode, the SNMPv3 engine boots and the USM users created over SNMP. */
	if (direct_mode(cfg)) {
		char skip[] = "-smux,iquery"; /* add_to_init_list() cuts it up in place */

		add_to_init_list(skip);
		netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE,
		                       0 /* MASTER_AGENT */);
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_PORTS,
		                      cfg->direct_listen);
		/* no "Connection from UDP: ..." line per request ("dontLogTCPWrappersConnects
		 * no" in direct-config brings them back); hosts.allow/deny still apply */
		netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID,
		                       NETSNMP_DS_AGENT_DONT_LOG_TCPWRAPPERS_CONNECTS, 1);
		if (cfg->direct_config[0])
			netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_OPTIONALCONFIG,
			                      cfg->direct_config);
		return;
	}
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	if (cfg->agentx_socket[0])
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
		                      cfg->agentx_socket);
	/* Reconnects to a restarted snmpd come from this ping; keep it short. */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
	                   (int)cfg->ping_interval);
}

/*
 * Direct mode, after init_agent(): without the access-control callbacks of vacm_conf,
 * Net-SNMP would let every request through. A Net-SNMP built without that module cannot
 * serve directly.
 */
static int direct_check_acm(void)
{
	if (snmp_count_callbacks(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_ACM_CHECK) > 0)
		return 0;
	ipx_log_warnx("direct mode: this Net-SNMP has no access control (its vacm_conf agent "
	              "module); not serving SNMP without it");
	return -1;
}

/* Direct mode, after init_snmp() has read the config files: open the listening addresses. */
static int direct_listen(void)
{
	const char *ports;

	/* "master agentx" in direct-config: the daemon is no AgentX master */
	if (netsnmp_ds_get_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_MASTER)) {
		ipx_log_warnx("direct mode: \"master agentx\" ignored");
		netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_MASTER,
		                       0);
	}
	/* direct-listen, plus the agentaddress lines of direct-config if any */
	ports = netsnmp_ds_get_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_PORTS);
	if (init_master_agent() != 0) {
		ipx_log_warnx("direct mode: cannot listen on %s", ports ? ports : "?");
		return -1;
	}
	/* the engine boots (SNMPv3) on disk at once, as snmpd does */
	snmp_store("ipsec-agentx");
	ipx_log_info("direct mode: serving SNMP on %s", ports ? ports : "?");
	return 0;
}

struct loop {
	const struct ipx_config *cfg;
	struct ipx_store *store;
	struct ipx_collector *col;
	struct ipx_ike_store *ike;
	struct ipx_ike_sources *sources; /* NULL: VICI off */
	struct ipx_notifier *notifier;
	struct ipx_notify_config notify_cfg; /* live: the config file's, then SNMP SETs */
	double next_refresh;
	double last_resync_cost; /* seconds the last full dump took */
	double last_resync;
	double now;            /* the clock as the last pass read or reckoned it */
	unsigned int reckoned; /* passes since the clock was last read */
};

static void resync(struct loop *l, const char *why)
{
	double t0 = mono_now();
	int rc = ipx_collector_resync(l->col);

	l->now = l->last_resync = mono_now();
	l->last_resync_cost = l->last_resync - t0;
	if (rc < 0)
		ipx_log_warnx("resync (%s) failed: %s; serving what is known", why, strerror(-rc));
	else
		ipx_log_debug("agent", "resync (%s): %zu SAs, %zu policies in %.3f s", why,
		              ipx_store_sa_count(l->store), ipx_store_policy_count(l->store),
		              l->last_resync - t0);
}

/*
 * When the next counter refresh (a full dump) is due: refresh-interval after this one, or
 * later when dumps are expensive, so that they never take more than REFRESH_BUDGET of the
 * time (at 100,000 SAs in user-mode-linux a warm dump costs about 80 ms: counters then
 * refresh every 16 s, and an idle daemon stays well under 1% of a core). Adds and deletes
 * still arrive at once as events.
 */
#define REFRESH_BUDGET 0.005

static double next_refresh(const struct loop *l)
{
	double every = l->last_resync_cost / REFRESH_BUDGET;

	if (every < l->cfg->refresh_interval)
		every = l->cfg->refresh_interval;
	return mono_now() + every;
}

/* Seconds until our next timer, capped so Net-SNMP's own timeout is honoured too. */
static void next_timeout(const struct loop *l, double now, struct timeval *tv, int *block)
{
	double wait = l->next_refresh - now;

	if (ipx_collector_resync_due(l->col)) {
		double since = now - l->last_resync;
		double hold = l->cfg->resync_min_interval - since;
		if (hold < wait)
			wait = hold;
	}
	if (l->sources)
		wait = ipx_ike_sources_timeout(l->sources, now, wait);
	if (l->notifier)
		wait = ipx_notifier_timeout(l->notifier, now, wait);
	if (wait < 0)
		wait = 0;
	if (*block || wait < tv->tv_sec + tv->tv_usec / 1e6) {
		tv->tv_sec = (time_t)wait;
		tv->tv_usec = (suseconds_t)((wait - (double)tv->tv_sec) * 1e6);
		*block = 0;
	}
}

static void run_timers(struct loop *l, double now)
{
	if (ipx_collector_resync_due(l->col) &&
	    now - l->last_resync >= l->cfg->resync_min_interval) {
		resync(l, "events lost");
		l->next_refresh = next_refresh(l);
	} else if (now >= l->next_refresh) {
		resync(l, "refresh");
		l->next_refresh = next_refresh(l);
	}
}

/* VICI fds into the select() sets, and back into pollfd revents. */
static void watch_vici(struct pollfd *pf, size_t n, netsnmp_large_fd_set *rd,
                       netsnmp_large_fd_set *wr, int *nfds)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (pf[i].events & POLLIN)
			NETSNMP_LARGE_FD_SET(pf[i].fd, rd);
		if (pf[i].events & POLLOUT)
			NETSNMP_LARGE_FD_SET(pf[i].fd, wr);
		if (pf[i].fd >= *nfds)
			*nfds = pf[i].fd + 1;
	}
}

static void vici_ready(struct pollfd *pf, size_t n, netsnmp_large_fd_set *rd,
                       netsnmp_large_fd_set *wr)
{
	size_t i;

	for (i = 0; i < n; i++) {
		pf[i].revents = 0;
		if ((pf[i].events & POLLIN) && NETSNMP_LARGE_FD_ISSET(pf[i].fd, rd))
			pf[i].revents |= POLLIN;
		if ((pf[i].events & POLLOUT) && NETSNMP_LARGE_FD_ISSET(pf[i].fd, wr))
			pf[i].revents |= POLLOUT;
		/* not Net-SNMP's: keep snmp_read2() off it */
		NETSNMP_LARGE_FD_CLR(pf[i].fd, rd);
	}
}

/*
 * The clock after select(). Inside user-mode-linux (the lab, the benchmark) every clock
 * read is a system call, and serving one AgentX GETNEXT takes about three passes, so a
 * pass that only served SNMP reckons the time instead: Linux's select() leaves the time
 * not slept in its timeout. The clock itself is read after a timeout, after an unbounded
 * wait, when our own sockets were ready, and every CLOCK_EVERY passes to bound the drift
 * (the work between two selects, microseconds on a normal kernel).
 */
#define CLOCK_EVERY 32

static double pass_clock(struct loop *l, const struct timeval *asked, const struct timeval *left,
                         int bounded, int n, int ours)
{
	if (!bounded || n <= 0 || ours || ++l->reckoned >= CLOCK_EVERY) {
		l->reckoned = 0;
		return l->now = mono_now();
	}
	l->now +=
	    (double)(asked->tv_sec - left->tv_sec) + (double)(asked->tv_usec - left->tv_usec) / 1e6;
	return l->now;
}

static int any_revents(const struct pollfd *pf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pf[i].revents)
			return 1;
	return 0;
}

/* One pass. Timeouts before select() are reckoned from the previous pass's clock. */
static void loop_once(struct loop *l)
{
	netsnmp_large_fd_set fds, wfds;
	struct timeval tv = {0, 0}, asked;
	struct pollfd pf[IPX_IKE_MAX_SOURCES];
	size_t npf = l->sources ? ipx_ike_sources_pollfds(l->sources, pf, IPX_IKE_MAX_SOURCES) : 0;
	int nfds = 0, block = 1, efd = ipx_collector_event_fd(l->col), n, ours = 0;
	double now;

	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	netsnmp_large_fd_set_init(&wfds, FD_SETSIZE);
	snmp_select_info2(&nfds, &fds, &tv, &block);
	next_timeout(l, l->now, &tv, &block);
	NETSNMP_LARGE_FD_SET(efd, &fds);
	if (efd >= nfds)
		nfds = efd + 1;
	watch_vici(pf, npf, &fds, &wfds, &nfds);
	asked = tv;
	n = netsnmp_large_fd_set_select(nfds, &fds, &wfds, NULL, block ? NULL : &tv);
	if (n < 0 && errno != EINTR)
		ipx_log_warn("select");
	if (n > 0) {
		if (NETSNMP_LARGE_FD_ISSET(efd, &fds)) {
			ipx_collector_on_readable(l->col);
			NETSNMP_LARGE_FD_CLR(efd, &fds);
			ours = 1;
		}
		vici_ready(pf, npf, &fds, &wfds);
		ours |= any_revents(pf, npf);
		snmp_read2(&fds);
	} else if (n == 0) {
		snmp_timeout();
	}
	now = pass_clock(l, &asked, &tv, !block, n, ours);
	if (l->sources)
		ipx_ike_sources_process(l->sources, pf, n > 0 ? npf : 0, now);
	if (l->notifier)
		ipx_notifier_tick(l->notifier, now);
	run_alarms();
	netsnmp_check_outstanding_agent_requests();
	run_timers(l, now);
	netsnmp_large_fd_set_cleanup(&fds);
	netsnmp_large_fd_set_cleanup(&wfds);
}

static void on_ike_event(void *arg, const struct ipx_ike_event *ev)
{
	struct loop *l = arg;

	if (l->notifier)
		ipx_notifier_ike_event(l->notifier, ev, mono_now());
}

/* A SET of ipsecNotifyConfig committed (checked already), or persisted values were read. */
static void on_notify_config(void *arg, const struct ipx_notify_config *cfg)
{
	struct loop *l = arg;

	if (cfg != &l->notify_cfg)
		l->notify_cfg = *cfg;
	if (l->notifier)
		ipx_notifier_set_config(l->notifier, cfg);
}

static const struct ipx_notify_stats *notify_stats(void *arg)
{
	struct loop *l = arg;

	return l->notifier ? ipx_notifier_stats(l->notifier) : NULL;
}

/* The VICI sources of the configuration (the default socket when none is named). */
static int open_sources(struct loop *l)
{
	const struct ipx_config *cfg = l->cfg;
	const char *paths[16];
	struct ipx_ike_sources_config sc = {
	    .paths = paths,
	    .refresh_interval = cfg->vici_refresh_interval,
	    .retry_min = 1,
	    .retry_max = cfg->vici_retry_max,
	    .request_timeout = cfg->vici_timeout,
	    .on_ike_event = on_ike_event,
	    .event_arg = l,
	};
	unsigned int i;
	int rc;

	if (cfg->vici_off)
		return 0;
	for (i = 0; i < cfg->n_vici_sockets; i++)
		paths[i] = cfg->vici_sockets[i];
	sc.n_paths = cfg->n_vici_sockets;
	if (sc.n_paths == 0) {
		paths[0] = IPX_DEFAULT_VICI_SOCKET;
		sc.n_paths = 1;
	}
	rc = ipx_ike_sources_new(&sc, l->ike, &l->sources);
	if (rc < 0)
		ipx_log_warnx("cannot set up VICI sources: %s", strerror(-rc));
	return rc;
}

int ipx_daemon_run(const struct ipx_config *cfg)
{
	struct ipx_mib_ctx mib = {.now = wall_now, .start_time = wall_now()};
	struct loop l = {.cfg = cfg};
	int rc, status = 1;

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	ipx_log_set_sink(netsnmp_sink);
	ipx_log_set_debug(cfg->debug);

	l.store = ipx_store_new();
	if (!l.store)
		return 1;
	/* before the first resync, so that it sees every kernel SA arrive */
	l.ike = ipx_ike_store_new(l.store);
	if (!l.ike || open_sources(&l) < 0)
		goto out_store;
	l.notify_cfg = cfg->notify;
	l.notifier = ipx_notifier_new(&l.notify_cfg, l.store, l.ike, ipx_notifications_sink, NULL);
	if (!l.notifier)
		goto out_store;
	rc = ipx_collector_open(&l.col, l.store);
	if (rc < 0) {
		ipx_log_warnx("cannot open XFRM netlink sockets: %s (needs CAP_NET_ADMIN)",
		              strerror(-rc));
		goto out_store;
	}
	ipx_collector_set_xfrm_stat_path(l.col, cfg->xfrm_stat_path);
	/* Know the kernel's state before the first request can arrive. */
	resync(&l, "start");
	/* That one was cold (every row's pages touched for the first time: 3.7 s at 100,000
	 * SAs in user-mode-linux) and says nothing of what a refresh costs. */
	l.last_resync_cost = 0;
	l.next_refresh = next_refresh(&l);

	agent_setup(cfg);
	if (init_agent("ipsec-agentx") != 0) {
		ipx_log_warnx("init_agent failed");
		goto out_collector;
	}
	if (direct_mode(cfg) && direct_check_acm() < 0)
		goto out_agent;
	mib.store = l.store;
	mib.status = ipx_collector_status(l.col);
	mib.ike = l.ike;
	mib.ike_sources = l.sources;
	mib.mono_now = ipx_ike_now;
	mib.notify_cfg = &l.notify_cfg;
	mib.on_notify_config = on_notify_config;
	mib.notify_arg = &l;
	mib.notify_stats = notify_stats;
	/* first connection attempts now, not after the first select() */
	if (l.sources)
		ipx_ike_sources_process(l.sources, NULL, 0, mono_now());
	if (ipx_mib_register(&mib) < 0)
		goto out_agent;
	init_snmp("ipsec-agentx");
	if (direct_mode(cfg) && direct_listen() < 0)
		goto out_snmp;
	ipx_log_info("ipsec-agentx " IPX_VERSION " started: %zu SAs, %zu policies",
	             ipx_store_sa_count(l.store), ipx_store_policy_count(l.store));

	l.now = mono_now();
	while (!stop_requested)
		loop_once(&l);
	ipx_log_info("ipsec-agentx stopping on signal %d", (int)stop_requested);
	status = 0;
out_snmp:
	snmp_shutdown("ipsec-agentx");
	if (direct_mode(cfg))
		shutdown_master_agent();
out_agent:
	shutdown_agent();
out_collector:
	ipx_collector_close(l.col);
out_store:
	ipx_ike_sources_free(l.sources);
	ipx_notifier_free(l.notifier);
	ipx_ike_store_free(l.ike);
	ipx_store_free(l.store);
	return status;
}
