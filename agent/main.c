/* ipsec-agentx: the program. Everything else is in the libraries the tests link too. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "settings.h"
#include "daemon.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: ipsec-agentx [-f] [-c FILE] [-x SOCKET] [-D TOKENS] [-r SECS]\n"
	        "                    [-l ADDRESS [-a FILE]]\n"
	        "Serves IPSEC-AGENTX-MIB from the kernel's XFRM database as an SNMP AgentX\n"
	        "subagent, or with -l as an SNMP agent of its own (direct mode).\n\n"
	        "  -f, --foreground      stay in the foreground and log to stderr (else syslog)\n"
	        "  -c, --config FILE     read settings from FILE (see README, \"Configuration\")\n"
	        "  -x, --agentx SOCKET   AgentX master socket (default /var/agentx/master)\n"
	        "  -D, --debug TOKENS    debug output for tokens: xfrm,store,agent or all\n"
	        "  -r, --refresh SECS    seconds between full kernel resyncs (default 5)\n"
	        "  -l, --direct-listen ADDRESS\n"
	        "                        direct mode: serve SNMP here (udp:127.0.0.1:1161; repeat\n"
	        "                        or separate with commas), not as an AgentX subagent\n"
	        "  -a, --direct-config FILE\n"
	        "                        direct mode: snmpd.conf-style access lines (communities,\n"
	        "                        views, USM users, trap sinks)\n"
	        "  -V, --version         print the version and exit\n"
	        "  -h, --help            print this help and exit\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"foreground", no_argument, NULL, 'f'},
	    {"config", required_argument, NULL, 'c'},
	    {"agentx", required_argument, NULL, 'x'},
	    {"debug", required_argument, NULL, 'D'},
	    {"refresh", required_argument, NULL, 'r'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {"direct-listen", required_argument, NULL, 'l'},
	    {"direct-config", required_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	struct ipx_config cfg;
	const char *config_file = NULL, *socket = NULL, *debug = NULL, *refresh = NULL;
	const char *listen_specs[16], *direct_config = NULL, *why;
	unsigned int n_listen = 0;
	int foreground = 0, c;
	char err[512];

	ipx_config_defaults(&cfg);
	while ((c = getopt_long(argc, argv, "fc:x:D:r:l:a:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': foreground = 1; break;
		case 'c': config_file = optarg; break;
		case 'x': socket = optarg; break;
		case 'D': debug = optarg; break;
		case 'r': refresh = optarg; break;
		case 'a': direct_config = optarg; break;
		case 'l':
			if (n_listen == sizeof(listen_specs) / sizeof(listen_specs[0])) {
				fprintf(stderr, "ipsec-agentx: too many -l options\n");
				return 2;
			}
			listen_specs[n_listen++] = optarg;
			break;
		case 'V': printf("ipsec-agentx %s\n", IPX_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ipsec-agentx: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (config_file && ipx_config_load(&cfg, config_file, err, sizeof(err)) < 0) {
		fprintf(stderr, "ipsec-agentx: %s\n", err);
		return 2;
	}
	if (socket)
		snprintf(cfg.agentx_socket, sizeof(cfg.agentx_socket), "%s", socket);
	if (debug)
		snprintf(cfg.debug, sizeof(cfg.debug), "%s", debug);
	if (refresh) {
		char *end;
		long v = strtol(refresh, &end, 10);
		if (*end || v < 1 || v > 86400) {
			fprintf(stderr, "ipsec-agentx: -r wants seconds from 1 to 86400\n");
			return 2;
		}
		cfg.refresh_interval = (unsigned int)v;
	}
	/* -l replaces the file's direct-listen lines; -a its direct-config */
	if (n_listen)
		cfg.direct_listen[0] = '\0';
	for (unsigned int i = 0; i < n_listen; i++) {
		if (ipx_config_add_direct_listen(&cfg, listen_specs[i], &why) < 0) {
			fprintf(stderr, "ipsec-agentx: -l %s: %s\n", listen_specs[i], why);
			return 2;
		}
	}
	if (direct_config && ipx_config_set_direct_config(&cfg, direct_config, &why) < 0) {
		fprintf(stderr, "ipsec-agentx: -a %s: %s\n", direct_config, why);
		return 2;
	}
	if (ipx_config_finish(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "ipsec-agentx: %s\n", err);
		return 2;
	}

	if (foreground) {
		snmp_enable_stderrlog();
	} else {
		snmp_enable_syslog_ident("ipsec-agentx", LOG_DAEMON);
		if (daemon(0, 0) < 0) {
			perror("ipsec-agentx: daemon");
			return 1;
		}
	}
	return ipx_daemon_run(&cfg);
}
