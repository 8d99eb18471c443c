/* Config file parsing; the keywords are documented in README.md ("Configuration"). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	return rc;
}
