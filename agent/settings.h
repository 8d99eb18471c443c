/* The daemon's settings: defaults, then the config file, then the command line. */
#ifndef IPX_AGENT_SETTINGS_H
#define IPX_AGENT_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "ipsec_agentx/notify.h"

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
	/* notification thresholds and enables (notify-* keywords); ipx_notify_config_defaults() */
	struct ipx_notify_config notify;
	/*
	 * Direct mode: empty, the daemon is an AgentX subagent (the default); else Net-SNMP
	 * transport specs separated by commas ("udp:127.0.0.1:1161,udp6:[::1]:1161"), and the
	 * daemon is an SNMP agent of its own listening there, with the access lines (communities,
	 * views, USM users, trap sinks) of direct_config, an snmpd.conf-style file.
	 */
	char direct_listen[1024];
	char direct_config[1024];
};

#define IPX_DEFAULT_VICI_SOCKET "/var/run/charon.vici"

void ipx_config_defaults(struct ipx_config *cfg);
/*
 * Reads "keyword value" lines. A bad line gives an error naming file and line in err
 * and -EINVAL; the settings read so far are kept. After the last line the notification
 * settings are checked as a whole (ipx_notify_config_check): an inconsistent set gives an
 * error naming the file and -EINVAL.
 */
int ipx_config_load(struct ipx_config *cfg, const char *path, char *err, size_t errlen);

/*
 * "direct-listen SPEC[,SPEC...]": adds the transport specs to cfg->direct_listen (the line
 * may be repeated). Each spec is one word of printable characters ("udp:127.0.0.1:1161",
 * "tcp:0.0.0.0:1161", "udp6:[::1]:1161"); Net-SNMP checks them when it opens them.
 * Returns 0, or -EINVAL/-E2BIG with *why set (cfg unchanged).
 */
int ipx_config_add_direct_listen(struct ipx_config *cfg, const char *spec, const char **why);
/*
 * "direct-config FILE": an snmpd.conf-style file of access lines, read by Net-SNMP in direct
 * mode. Net-SNMP splits its list of extra config files at commas and gives a leading "-" a
 * meaning of its own, so neither is accepted. Returns 0, or -EINVAL with *why set.
 */
int ipx_config_set_direct_config(struct ipx_config *cfg, const char *path, const char **why);
/*
 * After the config file and the command line: direct-config without direct-listen is an
 * error, and direct-config becomes an absolute path (the daemon changes its directory to /
 * when it detaches) of a file that must exist. Returns 0, or -EINVAL with err set.
 */
int ipx_config_finish(struct ipx_config *cfg, char *err, size_t errlen);

/*
 * The notification settings as the config file and the writable MIB scalars of
 * ipsecNotifyConfig see them, so that both accept the same values.
 *
 * Bit N of ipx_notify_config.enabled is notification type N (1..IPX_NOTIFY_MAX), as bit N
 * of ipsecNotifyEnables; bit 0 and the bits above IPX_NOTIFY_MAX are never set
 * (IPX_NOTIFY_ENABLED_ALL is every type).
 */

/* The numeric fields, in the order of their MIB objects: field i is ipsecNotifyConfig.(i+2). */
struct ipx_notify_field {
	const char *name; /* the MIB object without "ipsecNotify": key in the persistent file */
	size_t offset;    /* of the uint32_t in struct ipx_notify_config */
	uint32_t max;     /* accepted range: 0..max (0 turns the check off) */
};
#define IPX_NOTIFY_NFIELDS 10
extern const struct ipx_notify_field ipx_notify_fields[IPX_NOTIFY_NFIELDS];

static inline uint32_t *ipx_notify_field_ptr(struct ipx_notify_config *cfg, unsigned int i)
{
	return (uint32_t *)((char *)cfg + ipx_notify_fields[i].offset);
}

/* The bit name of notification type 1..IPX_NOTIFY_MAX in ipsecNotifyEnables ("ikeSaUp"), or
 * NULL. */
const char *ipx_notify_type_name(unsigned int type);
/*
 * "all", "none", or type names separated by commas, each added, or removed when it starts
 * with "-" ("all,-ikeSaRekeyed"). Returns 0, or -EINVAL with *why set.
 */
int ipx_notify_parse_enables(const char *s, uint32_t *enabled, const char **why);
/* The enables as ipx_notify_parse_enables() reads them back ("none" when empty). */
void ipx_notify_format_enables(uint32_t enabled, char *buf, size_t len);

/*
 * The persisted form of the values set over SNMP: "name=value" pairs separated by spaces,
 * one per MIB object whose bit (1 << column of ipsecNotifyConfig) is in mask:
 * "Enables=ikeSaUp,ikeSaDown DropLow=5". Parsing applies the pairs to cfg and adds their
 * bits to *mask; it returns 0, or -EINVAL with *why set (cfg may be partly changed).
 * Formatting returns the length it needed, as snprintf.
 */
int ipx_notify_parse_pairs(const char *s, struct ipx_notify_config *cfg, uint32_t *mask,
                           const char **why);
size_t ipx_notify_format_pairs(const struct ipx_notify_config *cfg, uint32_t mask, char *buf,
                               size_t len);

#endif
