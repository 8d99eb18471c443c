/* The daemon's settings: defaults, then the config file, then the command line. */
#ifndef IPX_AGENT_SETTINGS_H
#define IPX_AGENT_SETTINGS_H

#include <stddef.h>

struct ipx_config {
	char agentx_socket[256];          /* empty: Net-SNMP's default (/var/agentx/master) */
	unsigned int refresh_interval;    /* seconds between full kernel resyncs (counters) */
	unsigned int ping_interval;       /* AgentX ping/reconnect interval, seconds */
	unsigned int resync_min_interval; /* lower bound between overrun-triggered resyncs */
	char debug[256];
	char xfrm_stat_path[256];
	/* strongSwan VICI sockets; none configured: IPX_DEFAULT_VICI_SOCKET; "none": off */
	char vici_sockets[16][108];
	unsigned int n_vici_sockets;
	int vici_off;
	unsigned int vici_refresh_interval; /* seconds between list-sas (counters, clocks) */
	unsigned int vici_retry_max;        /* reconnect backoff ceiling, seconds */
	unsigned int vici_timeout;          /* an unanswered VICI request drops the connection */
};

#define IPX_DEFAULT_VICI_SOCKET "/var/run/charon.vici"

void ipx_config_defaults(struct ipx_config *cfg);
/*
 * Reads "keyword value" lines. A bad line gives an error naming file and line in err
 * and -EINVAL; the settings read so far are kept.
 */
int ipx_config_load(struct ipx_config *cfg, const char *path, char *err, size_t errlen);

#endif
