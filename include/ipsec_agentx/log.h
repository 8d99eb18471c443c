/*
 * One small logging API for the whole program (lldpd's shape). The collection layer logs
 * through it without knowing where lines go; the daemon points it at Net-SNMP's logging.
 * Never pass key material or raw message payloads to it.
 */
#ifndef IPX_LOG_H
#define IPX_LOG_H

#include <stdarg.h>

enum ipx_log_level {
	IPX_LOG_ERR = 3,
	IPX_LOG_WARNING = 4,
	IPX_LOG_NOTICE = 5,
	IPX_LOG_INFO = 6,
	IPX_LOG_DEBUG = 7
};

typedef void (*ipx_log_sink_fn)(int level, const char *msg);

/* Default sink: stderr. */
void ipx_log_set_sink(ipx_log_sink_fn sink);
/* Comma-separated debug tokens ("xfrm,store,agent"), or "all". */
void ipx_log_set_debug(const char *tokens);
int ipx_log_debug_enabled(const char *token);

void ipx_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* log_warn adds strerror(errno). */
void ipx_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ipx_log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ipx_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ipx_log_debug(const char *token, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
