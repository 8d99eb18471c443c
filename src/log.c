/* The program's one logging API; see include/ipsec_agentx/log.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ipsec_agentx/log.h"

static ipx_log_sink_fn log_sink;
static char debug_tokens[256];

static void stderr_sink(int level, const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

void ipx_log_set_sink(ipx_log_sink_fn sink)
{
	log_sink = sink;
}

void ipx_log_set_debug(const char *tokens)
{
	snprintf(debug_tokens, sizeof(debug_tokens), "%s", tokens ? tokens : "");
}

int ipx_log_debug_enabled(const char *token)
{
	size_t len = strlen(token);
	const char *p = debug_tokens;

	if (!*p)
		return 0;
	if (strcmp(p, "all") == 0)
		return 1;
	while ((p = strstr(p, token)) != NULL) {
		int starts = p == debug_tokens || p[-1] == ',';
		int ends = p[len] == '\0' || p[len] == ',';
		if (starts && ends)
			return 1;
		p += len;
	}
	return 0;
}

static void vlog(int level, const char *suffix, const char *fmt, va_list ap)
{
	char msg[1024];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);

	if (n >= 0 && suffix && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", suffix);
	(log_sink ? log_sink : stderr_sink)(level, msg);
}

void ipx_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, NULL, fmt, ap);
	va_end(ap);
}

void ipx_log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(IPX_LOG_WARNING, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void ipx_log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(IPX_LOG_WARNING, NULL, fmt, ap);
	va_end(ap);
}

void ipx_log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(IPX_LOG_INFO, NULL, fmt, ap);
	va_end(ap);
}

void ipx_log_debug(const char *token, const char *fmt, ...)
{
	va_list ap;

	if (!ipx_log_debug_enabled(token))
		return;
	va_start(ap, fmt);
	vlog(IPX_LOG_DEBUG, NULL, fmt, ap);
	va_end(ap);
}
