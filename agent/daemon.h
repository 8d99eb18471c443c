/* The daemon: one event loop owning the XFRM sockets, the AgentX session and the timers. */
#ifndef IPX_AGENT_DAEMON_H
#define IPX_AGENT_DAEMON_H

#include "settings.h"

/* Runs until SIGTERM/SIGINT; returns the process exit status. */
int ipx_daemon_run(const struct ipx_config *cfg);

#endif
