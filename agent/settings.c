/* Config file parsing; the keywords are documented in README.md ("Configuration"). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settings.h"

void ipx_config_defaults(struct ipx_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->refresh_interval = 5;
	cfg->ping_interval = 5;
	cfg->resync_min_interval = 1;
	snprintf(cfg->xfrm_stat_path, sizeof(cfg->xfrm_stat_path), "/proc/net/xfrm_stat");
	cfg->vici_refresh_interval = 10;
	cfg->vici_retry_max = 30;
	cfg->vici_timeout = 30;
	ipx_notify_config_defaults(&cfg->notify);
}

/* ---- notification settings ---------------------------------------------------------- */

enum notify_field {
	F_REKEY_RATE_MAX,
	F_REKEY_RATE_WINDOW,
	F_REKEY_OVERDUE_MARGIN,
	F_DROP_HIGH,
	F_DROP_WINDOW,
	F_DROP_LOW,
	F_CONN_DOWN_AFTER,
	F_CERT_EXPIRY_DAYS,
	F_RATE_LIMIT,
	F_RATE_WINDOW,
};

#define COUNT_MAX   IPX_NOTIFY_COUNT_MAX /* rekeys, notifications: what the notifier keeps */
#define PACKETS_MAX 1000000000u          /* drops */
#define WINDOW_MAX  86400u               /* windows and margins: a day */

#define AT(f) offsetof(struct ipx_notify_config, f)
/* Ranges in step with the SYNTAX of the objects in mibs/IPSEC-AGENTX-MIB.txt. */
const struct ipx_notify_field ipx_notify_fields[IPX_NOTIFY_NFIELDS] = {
    [F_REKEY_RATE_MAX] = {"RekeyRateMax", AT(rekey_rate_max), COUNT_MAX},
    [F_REKEY_RATE_WINDOW] = {"RekeyRateWindow", AT(rekey_rate_window), WINDOW_MAX},
    [F_REKEY_OVERDUE_MARGIN] = {"RekeyOverdueMargin", AT(rekey_overdue_margin), WINDOW_MAX},
    [F_DROP_HIGH] = {"DropHigh", AT(drop_high), PACKETS_MAX},
    [F_DROP_WINDOW] = {"DropWindow", AT(drop_window), WINDOW_MAX},
    [F_DROP_LOW] = {"DropLow", AT(drop_low), PACKETS_MAX},
    [F_CONN_DOWN_AFTER] = {"ConnDownAfter", AT(conn_down_after), 7 * 86400u},
    [F_CERT_EXPIRY_DAYS] = {"CertExpiryDays", AT(cert_expiry_days), 3650u},
    [F_RATE_LIMIT] = {"RateLimit", AT(rate_limit), COUNT_MAX},
    [F_RATE_WINDOW] = {"RateWindow", AT(rate_window), WINDOW_MAX},
};

/* The bit names of ipsecNotifyEnables, indexed by enum ipx_notify_type. */
static const char *const type_names[IPX_NOTIFY_MAX + 1] = {
    [IPX_NOTIFY_IKE_UP] = "ikeSaUp",
    [IPX_NOTIFY_IKE_DOWN] = "ikeSaDown",
    [IPX_NOTIFY_CHILD_UP] = "childSaUp",
    [IPX_NOTIFY_CHILD_DOWN] = "childSaDown",
    [IPX_NOTIFY_IKE_REKEYED] = "ikeSaRekeyed",
    [IPX_NOTIFY_CHILD_REKEYED] = "childSaRekeyed",
    [IPX_NOTIFY_REKEY_RATE] = "rekeyRateExceeded",
    [IPX_NOTIFY_REKEY_OVERDUE] = "rekeyOverdue",
    [IPX_NOTIFY_DROPS_HIGH] = "dropsHigh",
    [IPX_NOTIFY_DROPS_NORMAL] = "dropsNormal",
    [IPX_NOTIFY_CONN_DOWN] = "connDown",
    [IPX_NOTIFY_CERT_EXPIRING] = "certExpiring",
};

const char *ipx_notify_type_name(unsigned int type)
{
	return type >= 1 && type <= IPX_NOTIFY_MAX ? type_names[type] : NULL;
}

int ipx_notify_parse_enables(const char *s, uint32_t *enabled, const char **why)
{
	uint32_t mask = 0;
	const char *p = s;

	*why = "expected all, none, or notification names separated by commas (ikeSaUp, "
	       "ikeSaDown, childSaUp, childSaDown, ikeSaRekeyed, childSaRekeyed, "
	       "rekeyRateExceeded, rekeyOverdue, dropsHigh, dropsNormal, connDown, certExpiring; "
	       "-name removes one)";
	if (*p == '\0')
		return -EINVAL;
	while (*p) {
		size_t n = strcspn(p, ",");
		int remove = *p == '-';
		uint32_t bits = 0;

		if (remove) {
			p++;
			n--;
		}
		if (n == 3 && strncmp(p, "all", 3) == 0) {
			bits = IPX_NOTIFY_ENABLED_ALL;
		} else if (n == 4 && strncmp(p, "none", 4) == 0 && !remove) {
			mask = 0;
		} else {
			for (unsigned int t = 1; t <= IPX_NOTIFY_MAX && !bits; t++)
				if (strlen(type_names[t]) == n && strncmp(p, type_names[t], n) == 0)
					bits = 1u << t;
			if (!bits)
				return -EINVAL;
		}
		mask = remove ? mask & ~bits : mask | bits;
		p += n;
		if (*p == ',' && *++p == '\0')
			return -EINVAL; /* a trailing comma */
	}
	*enabled = mask;
	return 0;
}

void ipx_notify_format_enables(uint32_t enabled, char *buf, size_t len)
{
	size_t used = 0;

	if (len)
		buf[0] = '\0';
	for (unsigned int t = 1; t <= IPX_NOTIFY_MAX; t++) {
		if (!(enabled & (1u << t)))
			continue;
		used +=
		    (size_t)snprintf(buf + (used < len ? used : len), used < len ? len - used : 0,
		                     "%s%s", used ? "," : "", type_names[t]);
	}
	if (!used)
		snprintf(buf, len, "none");
}

static int parse_u32(const char *s, size_t n, uint32_t max, uint32_t *out)
{
	char digits[16];
	char *end;
	unsigned long v;

	if (n == 0 || n >= sizeof(digits) || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	memcpy(digits, s, n);
	digits[n] = '\0';
	errno = 0;
	v = strtoul(digits, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* "A/B/C": one number per field, separated by '/'; nothing is set unless all parse. */
static int parse_fields(struct ipx_notify_config *cfg, const char *value, const int *fields,
                        unsigned int n)
{
	uint32_t v[3];
	const char *p = value;

	for (unsigned int i = 0; i < n; i++) {
		size_t len = strcspn(p, "/");

		if (parse_u32(p, len, ipx_notify_fields[fields[i]].max, &v[i]) < 0)
			return -EINVAL;
		p += len;
		if (i + 1 < n && *p++ != '/')
			return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		*ipx_notify_field_ptr(cfg, (unsigned int)fields[i]) = v[i];
	return 0;
}

/* The notify-* keywords; -ENOENT when key is none of them. */
static int apply_notify(struct ipx_notify_config *cfg, const char *key, const char *value,
                        const char **why)
{
	static const int rekey_rate[] = {F_REKEY_RATE_MAX, F_REKEY_RATE_WINDOW};
	static const int overdue[] = {F_REKEY_OVERDUE_MARGIN};
	static const int drops[] = {F_DROP_HIGH, F_DROP_LOW, F_DROP_WINDOW};
	static const int conn_down[] = {F_CONN_DOWN_AFTER};
	static const int cert[] = {F_CERT_EXPIRY_DAYS};
	static const int rate_limit[] = {F_RATE_LIMIT, F_RATE_WINDOW};
	static const struct {
		const char *key;
		const int *fields;
		unsigned int n;
		const char *why;
	} kw[] = {
	    {"notify-rekey-rate", rekey_rate, 2,
	     "expected REKEYS/SECONDS (rekeys 0..4096, seconds 0..86400)"},
	    {"notify-rekey-overdue-margin", overdue, 1, "expected seconds from 0 to 86400"},
	    {"notify-drops", drops, 3,
	     "expected HIGH/LOW/SECONDS (packets 0..1000000000, seconds 0..86400)"},
	    {"notify-conn-down", conn_down, 1, "expected seconds from 0 to 604800"},
	    {"notify-cert-expiry", cert, 1, "expected days from 0 to 3650"},
	    {"notify-rate-limit", rate_limit, 2,
	     "expected NOTIFICATIONS/SECONDS (notifications 0..4096, seconds 0..86400)"},
	};

	if (strcmp(key, "notify-enable") == 0)
		return ipx_notify_parse_enables(value, &cfg->enabled, why);
	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++) {
		if (strcmp(key, kw[i].key) == 0) {
			*why = kw[i].why;
			return parse_fields(cfg, value, kw[i].fields, kw[i].n);
		}
	}
	return -ENOENT;
}

/* ---- the persisted values set over SNMP ------------------------------------------------ */

#define COL_ENABLES 1 /* ipsecNotifyEnables; field i is column i + 2 */

int ipx_notify_parse_pairs(const char *s, struct ipx_notify_config *cfg, uint32_t *mask,
                           const char **why)
{
	const char *p = s;

	while (*p) {
		size_t n = strcspn(p, " \t"), klen = strcspn(p, "=");
		char value[512];
		unsigned int i;

		if (n == 0) {
			p++;
			continue;
		}
		*why = "expected name=value";
		if (klen >= n || n - klen - 1 >= sizeof(value))
			return -EINVAL;
		memcpy(value, p + klen + 1, n - klen - 1);
		value[n - klen - 1] = '\0';
		if (klen == 7 && strncmp(p, "Enables", 7) == 0) {
			if (ipx_notify_parse_enables(value, &cfg->enabled, why) < 0)
				return -EINVAL;
			*mask |= 1u << COL_ENABLES;
		} else {
			for (i = 0; i < IPX_NOTIFY_NFIELDS; i++)
				if (strlen(ipx_notify_fields[i].name) == klen &&
				    strncmp(p, ipx_notify_fields[i].name, klen) == 0)
					break;
			*why = "unknown name";
			if (i == IPX_NOTIFY_NFIELDS)
				return -EINVAL;
			*why = "value out of range";
			if (parse_u32(value, strlen(value), ipx_notify_fields[i].max,
			              ipx_notify_field_ptr(cfg, i)) < 0)
				return -EINVAL;
			*mask |= 1u << (i + 2);
		}
		p += n;
	}
	return 0;
}

size_t ipx_notify_format_pairs(const struct ipx_notify_config *cfg, uint32_t mask, char *buf,
                               size_t len)
{
	struct ipx_notify_config c = *cfg;
	size_t used = 0;
	char list[256];

	if (len)
		buf[0] = '\0';
	for (unsigned int col = COL_ENABLES; col < IPX_NOTIFY_NFIELDS + 2; col++) {
		if (!(mask & (1u << col)))
			continue;
		if (col == COL_ENABLES) {
			ipx_notify_format_enables(c.enabled, list, sizeof(list));
			used += (size_t)snprintf(buf + (used < len ? used : len),
			                         used < len ? len - used : 0, "%sEnables=%s",
			                         used ? " " : "", list);
		} else {
			used += (size_t)snprintf(buf + (used < len ? used : len),
			                         used < len ? len - used : 0, "%s%s=%u",
			                         used ? " " : "", ipx_notify_fields[col - 2].name,
			                         (unsigned int)*ipx_notify_field_ptr(&c, col - 2));
		}
	}
	return used;
}

/* "vici-socket PATH" may be repeated (one charon each); "vici-socket none" turns VICI off. */
static int add_vici_socket(struct ipx_config *cfg, const char *value, const char **why)
{
	const char *path = strncmp(value, "unix://", 7) == 0 ? value + 7 : value;

	if (strcmp(value, "none") == 0) {
		cfg->vici_off = 1;
		cfg->n_vici_sockets = 0;
		return 0;
	}
	*why = "too many VICI sockets (at most 16)";
	if (cfg->n_vici_sockets >= sizeof(cfg->vici_sockets) / sizeof(cfg->vici_sockets[0]))
		return -E2BIG;
	*why = "socket path empty or too long (at most 107 bytes)";
	if (path[0] == '\0' || strlen(path) >= sizeof(cfg->vici_sockets[0]))
		return -ENAMETOOLONG;
	memcpy(cfg->vici_sockets[cfg->n_vici_sockets++], path, strlen(path) + 1);
	cfg->vici_off = 0;
	return 0;
}

/* ---- direct mode ----------------------------------------------------------------------- */

int ipx_config_add_direct_listen(struct ipx_config *cfg, const char *spec, const char **why)
{
	size_t used = strlen(cfg->direct_listen), n = strlen(spec);
	const char *p = spec;

	*why = "expected Net-SNMP transport addresses separated by commas (udp:127.0.0.1:1161)";
	if (n == 0)
		return -EINVAL;
	while (*p) {
		size_t len = strcspn(p, ",");

		if (len == 0)
			return -EINVAL; /* ",," or a leading comma */
		for (size_t i = 0; i < len; i++)
			if (!isgraph((unsigned char)p[i]) || p[i] == '"' || p[i] == '\'')
				return -EINVAL;
		/* Net-SNMP stops at a spec that starts with "none" and listens nowhere else. */
		if (strncasecmp(p, "none", 4) == 0) {
			*why =
			    "\"none\" is not an address to listen on (leave direct-listen out for "
			    "AgentX mode)";
			return -EINVAL;
		}
		p += len;
		if (*p == ',' && *++p == '\0')
			return -EINVAL; /* a trailing comma */
	}
	*why = "too many listening addresses (at most 1023 bytes in all)";
	if (used + (used ? 1 : 0) + n >= sizeof(cfg->direct_listen))
		return -E2BIG;
	if (used)
		cfg->direct_listen[used++] = ',';
	memcpy(cfg->direct_listen + used, spec, n + 1);
	return 0;
}

int ipx_config_set_direct_config(struct ipx_config *cfg, const char *path, const char **why)
{
	*why = "path empty or too long (at most 1023 bytes)";
	if (path[0] == '\0' || strlen(path) >= sizeof(cfg->direct_config))
		return -EINVAL;
	*why = "Net-SNMP cannot read a path with a comma or a leading \"-\"";
	if (strchr(path, ',') || path[0] == '-')
		return -EINVAL;
	memcpy(cfg->direct_config, path, strlen(path) + 1);
	return 0;
}

int ipx_config_finish(struct ipx_config *cfg, char *err, size_t errlen)
{
	char abs[PATH_MAX];
	struct stat stbuf;

	if (!cfg->direct_config[0])
		return 0;
	if (!cfg->direct_listen[0]) {
		snprintf(err, errlen, "direct-config %s needs direct-listen (direct mode)",
		         cfg->direct_config);
		return -EINVAL;
	}
	if (!realpath(cfg->direct_config, abs) || stat(abs, &stbuf) < 0 || access(abs, R_OK) < 0) {
		snprintf(err, errlen, "direct-config %s: %s", cfg->direct_config, strerror(errno));
		return -EINVAL;
	}
	if (!S_ISREG(stbuf.st_mode)) {
		snprintf(err, errlen, "direct-config %s: not a regular file", cfg->direct_config);
		return -EINVAL;
	}
	if (strlen(abs) >= sizeof(cfg->direct_config) || strchr(abs, ',')) {
		snprintf(err, errlen, "direct-config %s: path too long or with a comma", abs);
		return -EINVAL;
	}
	memcpy(cfg->direct_config, abs, strlen(abs) + 1);
	return 0;
}

/* ---- the config file ------------------------------------------------------------------- */

static int parse_uint(const char *s, unsigned int lo, unsigned int hi, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int set_string(char *dst, size_t size, const char *value)
{
	if (strlen(value) >= size)
		return -ENAMETOOLONG;
	memcpy(dst, value, strlen(value) + 1);
	return 0;
}

static int apply(struct ipx_config *cfg, const char *key, const char *value, const char **why)
{
	if (strcmp(key, "agentx-socket") == 0)
		return set_string(cfg->agentx_socket, sizeof(cfg->agentx_socket), value);
	if (strcmp(key, "debug") == 0)
		return set_string(cfg->debug, sizeof(cfg->debug), value);
	if (strcmp(key, "xfrm-stat-path") == 0)
		return set_string(cfg->xfrm_stat_path, sizeof(cfg->xfrm_stat_path), value);
	if (strcmp(key, "vici-socket") == 0)
		return add_vici_socket(cfg, value, why);
	if (strcmp(key, "direct-listen") == 0)
		return ipx_config_add_direct_listen(cfg, value, why);
	if (strcmp(key, "direct-config") == 0)
		return ipx_config_set_direct_config(cfg, value, why);
	if (strncmp(key, "notify-", 7) == 0) {
		int rc = apply_notify(&cfg->notify, key, value, why);
		if (rc != -ENOENT)
			return rc;
	}
	*why = "expected a whole number in range";
	if (strcmp(key, "refresh-interval") == 0)
		return parse_uint(value, 1, 86400, &cfg->refresh_interval);
	if (strcmp(key, "agentx-ping-interval") == 0)
		return parse_uint(value, 1, 3600, &cfg->ping_interval);
	if (strcmp(key, "resync-min-interval") == 0)
		return parse_uint(value, 0, 3600, &cfg->resync_min_interval);
	if (strcmp(key, "vici-refresh-interval") == 0)
		return parse_uint(value, 0, 86400, &cfg->vici_refresh_interval);
	if (strcmp(key, "vici-retry-max") == 0)
		return parse_uint(value, 1, 3600, &cfg->vici_retry_max);
	if (strcmp(key, "vici-timeout") == 0)
		return parse_uint(value, 1, 3600, &cfg->vici_timeout);
	*why = "unknown keyword";
	return -ENOENT;
}

int ipx_config_load(struct ipx_config *cfg, const char *path, char *err, size_t errlen)
{
	char line[1024];
	unsigned int lineno = 0;
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char key[64], value[512], extra[2];
		const char *why = "value too long";
		int n;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			rc = -EINVAL;
			break;
		}
		n = sscanf(line, " %63s %511s %1s", key, value, extra);
		if (n <= 0 || key[0] == '#')
			continue;
		if (n != 2) {
			snprintf(err, errlen, "%s:%u: expected \"keyword value\"", path, lineno);
			rc = -EINVAL;
			break;
		}
		if (apply(cfg, key, value, &why) < 0) {
			snprintf(err, errlen, "%s:%u: %s: %s \"%s\"", path, lineno, why, key,
			         value);
			rc = -EINVAL;
			break;
		}
	}
	fclose(f);
	if (rc == 0) {
		const char *why = NULL;

		if (ipx_notify_config_check(&cfg->notify, &why) < 0) {
			snprintf(err, errlen, "%s: inconsistent notify-* settings: %s", path,
			         why ? why : "rejected");
			rc = -EINVAL;
		}
	}
	return rc;
}
