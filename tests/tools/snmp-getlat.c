/*
 * snmp-getlat: latency of single SNMPv2c GETs, measured inside one process, so that no
 * fork/exec (tens of ms inside user-mode-linux) is counted.
 *
 *   snmp-getlat [-c COMMUNITY] [-n COUNT] [-i INTERVAL_MS] [-t TIMEOUT_MS] [-w] AGENT OID
 *
 * Sends COUNT (default 200) GETs of the numeric OID to AGENT (e.g. udp:127.0.0.1:16161),
 * one at a time, starting one every INTERVAL_MS (default 25; 0: back to back), no
 * retries. Each is timed from send to answer (CLOCK_MONOTONIC). -w waits for the agent
 * first (up to 30 s of GETs that are not counted). A GET fails if it times out (TIMEOUT_MS,
 * default 5000), the answer has an error status, or the varbind is noSuchObject /
 * noSuchInstance / endOfMibView.
 *
 * stdout: one line "getlat count=N ok=N errors=N p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..
 * mean_ms=.. min_ms=.." over the answered GETs (percentiles by nearest rank: p99 of 200
 * is the 198th fastest). Exit status 0 if every GET was answered, 1 otherwise, 2 on a
 * usage error.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: snmp-getlat [-c COMMUNITY] [-n COUNT] [-i INTERVAL_MS] "
	                "[-t TIMEOUT_MS] [-w] AGENT OID\n");
	exit(2);
}

static long number(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		usage();
	return v;
}

/* A numeric OID, with or without the leading dot; no MIB is loaded. */
static size_t parse_oid(const char *s, oid *out, size_t max)
{
	size_t n = 0;

	if (*s == '.')
		s++;
	while (*s) {
		char *end;
		unsigned long v;
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || end == s || (*end && *end != '.') || n == max || v > 0xffffffffUL)
			return 0;
		out[n++] = (oid)v;
		s = *end ? end + 1 : end;
	}
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One GET: 0 if answered with a value, -1 otherwise. */
static int get_once(void *ss, const oid *name, size_t len)
{
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET), *resp = NULL;
	int status, ok;

	snmp_add_null_var(pdu, name, len);
	status = snmp_sess_synch_response(ss, pdu, &resp);
	ok = status == STAT_SUCCESS && resp && resp->errstat == SNMP_ERR_NOERROR &&
	     resp->variables && resp->variables->type != SNMP_NOSUCHOBJECT &&
	     resp->variables->type != SNMP_NOSUCHINSTANCE &&
	     resp->variables->type != SNMP_ENDOFMIBVIEW;
	if (resp)
		snmp_free_pdu(resp);
	return ok ? 0 : -1;
}

static double rank(const double *v, size_t n, double p)
{
	size_t k = (size_t)ceil(p * (double)n);

	return v[k ? k - 1 : 0];
}

int main(int argc, char **argv)
{
	const char *community = "public";
	long count = 200, interval_ms = 25, timeout_ms = 5000;
	int wait_first = 0, opt;
	oid name[MAX_OID_LEN];
	size_t len, ok = 0, errors = 0;
	netsnmp_session s;
	void *ss;
	double *lat, t0, sum = 0;

	while ((opt = getopt(argc, argv, "c:n:i:t:wh")) != -1) {
		switch (opt) {
		case 'c': community = optarg; break;
		case 'n': count = number(optarg); break;
		case 'i': interval_ms = number(optarg); break;
		case 't': timeout_ms = number(optarg); break;
		case 'w': wait_first = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 2 || count < 1)
		usage();
	len = parse_oid(argv[optind + 1], name, MAX_OID_LEN);
	if (!len)
		usage();

	/* No configuration files, no MIBs, nothing persisted. */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_CONFIG_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	setenv("MIBS", "", 1);
	init_snmp("snmp-getlat");

	snmp_sess_init(&s);
	s.peername = argv[optind];
	s.version = SNMP_VERSION_2c;
	s.community = (u_char *)strdup(community);
	s.community_len = strlen(community);
	s.timeout = timeout_ms * 1000;
	s.retries = 0;
	ss = snmp_sess_open(&s);
	if (!ss) {
		snmp_perror("snmp-getlat: open");
		return 1;
	}

	if (wait_first) {
		double limit = now_s() + 30;
		while (get_once(ss, name, len) < 0) {
			if (now_s() > limit) {
				fprintf(stderr, "snmp-getlat: no answer for 30 s\n");
				return 1;
			}
			usleep(200000);
		}
	}

	lat = calloc((size_t)count, sizeof(*lat));
	if (!lat)
		return 1;
	t0 = now_s();
	for (long i = 0; i < count; i++) {
		double start, due = t0 + (double)i * (double)interval_ms / 1000.0,
		              wait = due - now_s();
		if (wait > 0) {
			struct timespec ts = {.tv_sec = (time_t)wait,
			                      .tv_nsec =
			                          (long)((wait - (double)(time_t)wait) * 1e9)};
			nanosleep(&ts, NULL);
		}
		start = now_s();
		if (get_once(ss, name, len) == 0) {
			lat[ok] = (now_s() - start) * 1000.0;
			sum += lat[ok++];
		} else {
			errors++;
		}
	}
	snmp_sess_close(ss);

	if (!ok) {
		printf("getlat count=%ld ok=0 errors=%zu\n", count, errors);
		return 1;
	}
	qsort(lat, ok, sizeof(*lat), cmp_double);
	printf("getlat count=%ld ok=%zu errors=%zu p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
	       "max_ms=%.3f mean_ms=%.3f min_ms=%.3f seconds=%.2f\n",
	       count, ok, errors, rank(lat, ok, 0.50), rank(lat, ok, 0.90), rank(lat, ok, 0.99),
	       lat[ok - 1], sum / (double)ok, lat[0], now_s() - t0);
	free(lat);
	return errors ? 1 : 0;
}
