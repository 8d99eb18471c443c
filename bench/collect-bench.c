/*
 * collect-bench: what a full resync of the current network namespace's SAs costs, against
 * the floor of a raw XFRM_MSG_GETSA dump (see bench/README.md).
 *
 *   collect-bench [-r REPS] [-e EXPECT] [-t TAG] [-b BYTES] [-o] [-m raw,parse,cold,warm,store]
 *   collect-bench -W MIB
 *
 * After one untimed dump: REPS cold resyncs, then REPS rounds of (raw dump, dump+parse,
 * warm resync), taken in turn so that all three see the same drift of the machine, then
 * the store alone. Each measurement is printed as one line:
 *
 *   collect TAG what=W n=N reps=R median_s=.. min_s=.. max_s=.. per_sa_us=.. user_s=.. sys_s=..
 *
 * W is one of
 *   raw         GETSA dump that only counts messages and bytes (+ msgs= bytes=): the floor
 *   parse       the same dump, each message through ipx_parse_sa(), nothing stored
 *   cold        ipx_collector_resync() into a fresh store (every row an insert)
 *   warm        ipx_collector_resync() into a store that has every SA (every row an update)
 *   store_cold  no kernel: sync_begin, ipx_store_sa_upsert() of N parsed SAs, sync_end,
 *               into a fresh store
 *   store_warm  the same into a store that has them all, split into
 *               store_upsert (the upserts) and store_sync_end (the sweep)
 *   store_set_addrs  ipx_store_set_local_addrs() on that store, as each resync does
 *   info        ipx_collector_refresh_info() (SAD/SPD info, xfrm_stat): a resync does
 *               that, a policy dump and an address dump besides the SA dump
 * median/min/max are wall times (CLOCK_MONOTONIC) in seconds, per_sa_us the median per SA,
 * user_s/sys_s the mean CPU time of one repetition (getrusage; UML charges nearly all of
 * it as user time). Besides:
 *
 *   collect TAG what=rss n=N before_kb=.. after_kb=.. bytes_per_sa=..
 *   collect TAG what=ratio n=N reps=R median=.. min=.. max=..
 *
 * VmRSS before and after the first cold resync; each round's warm / raw.
 *
 * -e: the number of SAs every dump and store must hold. -m: only these measurements
 * (e.g. to profile one). -b: the raw and parse dumps' receive buffer, instead of the
 * collector's 64 KiB + a page (smaller buffers mean more recvmsg calls). -o: every store
 * gets an observer that does nothing, as the daemon's have (the IKE store and the
 * notifications), so that each update pays for the event it makes. -W MIB: touch
 * that much memory and exit (see prefault()). Progress goes to stderr; exit status 1 if
 * anything failed or a count was off.
 *
 * Built without ASan (it runs inside user-mode-linux), with -O2 like a release build.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>
#include <openssl/crypto.h>

#include "ipsec_agentx/collector.h"
#include "ipsec_agentx/store.h"
#include "ipsec_agentx/xfrm_parse.h"

/* The collector's receive buffer (src/collector.c RX_BUF_SIZE): both dumps read alike. */
#define RX_SIZE  (64 * 1024 + MNL_SOCKET_BUFFER_SIZE)
#define MAX_REPS 101

struct sample {
	double wall, user, sys;
};

struct dump_result {
	size_t msgs, bytes;
	int interrupted;
};

static const char *tag = "";
static size_t rx_size; /* of the raw and parse dumps; 0 = RX_SIZE */
static const char *only = "raw,parse,cold,warm,store";
static long expect = -1;
static int observed; /* -o */
static int failed;

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

struct clock {
	double wall;
	struct rusage ru;
};

static void clock_start(struct clock *c)
{
	getrusage(RUSAGE_SELF, &c->ru);
	c->wall = mono_s();
}

static struct sample clock_stop(const struct clock *c)
{
	struct sample s;
	struct rusage ru;

	s.wall = mono_s() - c->wall;
	getrusage(RUSAGE_SELF, &ru);
	s.user = tv_s(&ru.ru_utime) - tv_s(&c->ru.ru_utime);
	s.sys = tv_s(&ru.ru_stime) - tv_s(&c->ru.ru_stime);
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Of a sorted array. */
static double median_of(const double *v, int n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One output line for REPS samples; extra is appended as is. */
static void report(const char *what, size_t n, const struct sample *s, int reps, const char *extra)
{
	double wall[MAX_REPS], user = 0, sys = 0, median;

	for (int i = 0; i < reps; i++) {
		wall[i] = s[i].wall;
		user += s[i].user;
		sys += s[i].sys;
	}
	qsort(wall, (size_t)reps, sizeof(wall[0]), cmp_double);
	median = median_of(wall, reps);
	printf("collect%s%s what=%s n=%zu reps=%d median_s=%.6f min_s=%.6f max_s=%.6f "
	       "per_sa_us=%.3f user_s=%.6f sys_s=%.6f%s%s\n",
	       *tag ? " " : "", tag, what, n, reps, median, wall[0], wall[reps - 1],
	       n ? median / (double)n * 1e6 : 0.0, user / reps, sys / reps, extra ? " " : "",
	       extra ? extra : "");
	fflush(stdout);
}

static void check_count(const char *what, size_t n)
{
	if (expect >= 0 && n != (size_t)expect) {
		fprintf(stderr, "collect-bench: %s: %zu SAs, expected %ld\n", what, n, expect);
		failed = 1;
	}
}

static long vm_rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void observe_nothing(void *ctx, const struct ipx_store_event *ev)
{
	(void)ctx;
	(void)ev;
}

/* A fresh store, observed with -o. */
static struct ipx_store *new_store(void)
{
	struct ipx_store *st = ipx_store_new();

	if (st && observed && ipx_store_observe(st, observe_nothing, NULL) < 0) {
		ipx_store_free(st);
		return NULL;
	}
	return st;
}

/* ---- the raw dump: our own libmnl code, no parser, no store ------------------------------ */

/*
 * A GETSA dump over nl into buf. Without sink it only counts messages and bytes: the
 * floor. With sink, each SA goes through ipx_parse_sa() and, if keep is given, is kept
 * there (at most cap of them). The received bytes are wiped after each recv, as the
 * collector does. Returns 0 or -errno.
 */
static int dump(struct mnl_socket *nl, char *buf, int parse, struct ipx_sa *keep, size_t cap,
                struct dump_result *res)
{
	char req_buf[MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct xfrm_usersa_info))]
	    __attribute__((aligned(8)));
	struct nlmsghdr *req = mnl_nlmsg_put_header(req_buf);
	unsigned int portid = mnl_socket_get_portid(nl);
	int done = 0, rc = 0;

	memset(res, 0, sizeof(*res));
	req->nlmsg_type = XFRM_MSG_GETSA;
	req->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req->nlmsg_seq = (uint32_t)time(NULL);
	memset(mnl_nlmsg_put_extra_header(req, sizeof(struct xfrm_usersa_info)), 0,
	       sizeof(struct xfrm_usersa_info));
	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0)
		return -errno;
	while (!done) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, rx_size);
		int len;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		len = (int)n;
		for (struct nlmsghdr *nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (!mnl_nlmsg_seq_ok(nlh, req->nlmsg_seq) ||
			    !mnl_nlmsg_portid_ok(nlh, portid))
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				res->interrupted = 1;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
				rc = e->error ? e->error : -EPROTO;
				done = 1;
				break;
			}
			if (parse) {
				struct ipx_sa sa;
				if (ipx_parse_sa(nlh, &sa) < 0)
					rc = -EBADMSG;
				else if (keep && res->msgs < cap)
					keep[res->msgs] = sa;
			}
			res->msgs++;
			res->bytes += nlh->nlmsg_len;
		}
		OPENSSL_cleanse(buf, (size_t)n);
	}
	return rc;
}

struct bench {
	int reps;
	char *buf;               /* receive buffer of the raw and parse dumps */
	struct mnl_socket *nl;   /* their socket */
	struct ipx_store *st;    /* after the cold resyncs: the warm store */
	struct ipx_collector *c; /* and its collector */
	size_t n;                /* SAs in the first dump */
};

static int timed_dump(struct bench *b, const char *what, int parse, struct sample *s,
                      struct dump_result *res)
{
	struct clock c;
	int rc;

	clock_start(&c);
	rc = dump(b->nl, b->buf, parse, NULL, 0, res);
	*s = clock_stop(&c);
	if (rc < 0) {
		fprintf(stderr, "collect-bench: %s dump: %s\n", what, strerror(-rc));
		return -1;
	}
	if (res->interrupted)
		fprintf(stderr, "collect-bench: %s dump interrupted (the SAD changed)\n", what);
	check_count(what, res->msgs);
	return 0;
}

/* ---- the collector ----------------------------------------------------------------------- */

static int resync_checked(struct ipx_collector *c, const char *what)
{
	int rc = ipx_collector_resync(c);
	const struct ipx_collector_status *st = ipx_collector_status(c);

	if (rc < 0) {
		fprintf(stderr, "collect-bench: %s resync: %s\n", what, strerror(-rc));
		return -1;
	}
	if (st->malformed || st->dump_interrupted) {
		fprintf(stderr, "collect-bench: %s resync: %llu malformed, %llu interrupted\n",
		        what, (unsigned long long)st->malformed,
		        (unsigned long long)st->dump_interrupted);
		failed = 1;
	}
	return 0;
}

/*
 * REPS cold resyncs, each into a fresh store with a fresh collector (opening it is not
 * timed); the last store and collector stay in b for the warm ones. VmRSS around the
 * first.
 */
static int bench_cold(struct bench *b)
{
	struct sample cold[MAX_REPS] = {{0}};
	long rss_before = 0, rss_after = 0;
	size_t n = 0;
	char extra[128];

	for (int r = 0; r < b->reps; r++) {
		struct clock clk;
		int rc;
		ipx_collector_close(b->c);
		ipx_store_free(b->st);
		b->c = NULL;
		b->st = new_store();
		if (!b->st) {
			perror("collect-bench");
			return -1;
		}
		rc = ipx_collector_open(&b->c, b->st);
		if (rc < 0) {
			fprintf(stderr, "collect-bench: ipx_collector_open: %s\n", strerror(-rc));
			return -1;
		}
		if (r == 0)
			rss_before = vm_rss_kb();
		clock_start(&clk);
		if (resync_checked(b->c, "cold") < 0)
			return -1;
		cold[r] = clock_stop(&clk);
		if (r == 0)
			rss_after = vm_rss_kb();
		n = ipx_store_sa_count(b->st);
		check_count("cold", n);
	}
	report("cold", n, cold, b->reps, NULL);
	snprintf(extra, sizeof(extra), "before_kb=%ld after_kb=%ld bytes_per_sa=%.0f", rss_before,
	         rss_after, n ? (double)(rss_after - rss_before) * 1024 / (double)n : 0.0);
	printf("collect%s%s what=rss n=%zu %s\n", *tag ? " " : "", tag, n, extra);
	fflush(stdout);
	return 0;
}

/*
 * REPS rounds of: raw dump, dump+parse, warm resync and info (those wanted). Taking them in turn
 * exposes them to the same drift of the machine (UML's speed changes as the host warms
 * its memory); the ratio line is the median of each round's warm / raw.
 */
__attribute__((noinline)) /* callgrind --toggle-collect=bench_rounds */
static int
bench_rounds(struct bench *b, int raw, int parse, int warm)
{
	struct sample s_raw[MAX_REPS] = {{0}}, s_parse[MAX_REPS] = {{0}}, s_warm[MAX_REPS] = {{0}};
	struct sample s_info[MAX_REPS] = {{0}};
	struct sample ratio[MAX_REPS] = {{0}};
	struct dump_result res = {0};
	char extra[128];

	for (int r = 0; r < b->reps; r++) {
		if (raw && timed_dump(b, "raw", 0, &s_raw[r], &res) < 0)
			return -1;
		if (parse && timed_dump(b, "parse", 1, &s_parse[r], &res) < 0)
			return -1;
		if (warm) {
			struct clock clk;
			clock_start(&clk);
			if (resync_checked(b->c, "warm") < 0)
				return -1;
			s_warm[r] = clock_stop(&clk);
			check_count("warm", ipx_store_sa_count(b->st));
			/* The part of a resync that does not grow with the SAs. */
			clock_start(&clk);
			if (ipx_collector_refresh_info(b->c) < 0)
				return -1;
			s_info[r] = clock_stop(&clk);
		}
		ratio[r].wall = raw && warm ? s_warm[r].wall / s_raw[r].wall : 0;
	}
	snprintf(extra, sizeof(extra), "msgs=%zu bytes=%zu", res.msgs, res.bytes);
	if (raw)
		report("raw", b->n, s_raw, b->reps, extra);
	if (parse)
		report("parse", b->n, s_parse, b->reps, extra);
	if (warm) {
		report("warm", b->n, s_warm, b->reps, NULL);
		report("info", b->n, s_info, b->reps, NULL);
	}
	if (raw && warm) {
		double v[MAX_REPS];
		for (int r = 0; r < b->reps; r++)
			v[r] = ratio[r].wall;
		qsort(v, (size_t)b->reps, sizeof(v[0]), cmp_double);
		printf("collect%s%s what=ratio n=%zu reps=%d median=%.3f min=%.3f max=%.3f\n",
		       *tag ? " " : "", tag, b->n, b->reps, median_of(v, b->reps), v[0],
		       v[b->reps - 1]);
		fflush(stdout);
	}
	return 0;
}

/* ---- the store alone: parsed SAs in memory, no kernel ------------------------------------- */

/* The addresses a fresh namespace with 192.0.2.1 on a dummy link has (see run-collect.sh). */
static void bench_addrs(struct ipx_addr *a)
{
	static const uint8_t lo6[16] = {[15] = 1}, ll6[16] = {0xfe, 0x80, [8] = 0x02, [15] = 0x01};

	memset(a, 0, 4 * sizeof(*a));
	a[0].family = AF_INET;
	memcpy(a[0].bytes, (const uint8_t[]){127, 0, 0, 1}, 4);
	a[1].family = AF_INET;
	memcpy(a[1].bytes, (const uint8_t[]){192, 0, 2, 1}, 4);
	a[2].family = AF_INET6;
	memcpy(a[2].bytes, lo6, 16);
	a[3].family = AF_INET6;
	memcpy(a[3].bytes, ll6, 16);
}

/* One resync's worth of store work, timed in parts: the upserts, sync_end. */
static int store_pass(struct ipx_store *st, const struct ipx_sa *sa, size_t n,
                      struct sample *upsert, struct sample *end)
{
	struct clock clk;

	clock_start(&clk);
	ipx_store_sync_begin(st, IPX_SYNC_SA);
	for (size_t i = 0; i < n; i++) {
		int rc = ipx_store_sa_upsert(st, &sa[i], 1);
		if (rc < 0) {
			fprintf(stderr, "collect-bench: upsert: %s\n", strerror(-rc));
			return -1;
		}
	}
	*upsert = clock_stop(&clk);
	clock_start(&clk);
	ipx_store_sync_end(st, IPX_SYNC_SA);
	*end = clock_stop(&clk);
	check_count("store", ipx_store_sa_count(st));
	return 0;
}

static struct sample sum(struct sample a, struct sample b)
{
	return (struct sample){a.wall + b.wall, a.user + b.user, a.sys + b.sys};
}

/*
 * The store alone, fed SAs parsed beforehand: REPS fills of a fresh store, then REPS
 * passes over the full one, each timed as upserts + sync_end, then what a resync's
 * ipx_store_set_local_addrs() costs (it re-derives every row's direction).
 */
static int bench_store(struct bench *b)
{
	struct sample cold[MAX_REPS] = {{0}}, warm[MAX_REPS] = {{0}}, up[MAX_REPS] = {{0}};
	struct sample end[MAX_REPS] = {{0}}, addrs[MAX_REPS] = {{0}};
	struct ipx_store *st = NULL;
	struct ipx_sa *sa = NULL;
	struct ipx_addr local[4];
	struct dump_result res;
	size_t cap = b->n + 1024; /* room for a few SAs more than the first dump had */
	int rc = -1;

	bench_addrs(local);
	sa = calloc(cap, sizeof(*sa));
	if (!sa || dump(b->nl, b->buf, 1, sa, cap, &res) < 0 || res.msgs > cap)
		goto out;
	for (int r = 0; r < b->reps; r++) {
		struct sample u, e;
		ipx_store_free(st);
		st = new_store();
		if (!st || ipx_store_set_local_addrs(st, local, 4) < 0 ||
		    store_pass(st, sa, res.msgs, &u, &e) < 0)
			goto out;
		cold[r] = sum(u, e);
	}
	for (int r = 0; r < b->reps; r++) {
		struct clock clk;
		if (store_pass(st, sa, res.msgs, &up[r], &end[r]) < 0)
			goto out;
		warm[r] = sum(up[r], end[r]);
		clock_start(&clk);
		if (ipx_store_set_local_addrs(st, local, 4) < 0)
			goto out;
		addrs[r] = clock_stop(&clk);
	}
	report("store_cold", res.msgs, cold, b->reps, NULL);
	report("store_warm", res.msgs, warm, b->reps, NULL);
	report("store_upsert", res.msgs, up, b->reps, NULL);
	report("store_sync_end", res.msgs, end, b->reps, NULL);
	report("store_set_addrs", res.msgs, addrs, b->reps, NULL);
	rc = 0;
out:
	if (rc < 0)
		fprintf(stderr, "collect-bench: store measurement failed\n");
	ipx_store_free(st);
	free(sa); /* parsed SAs: names and lengths, no keys */
	return rc;
}

/*
 * Touches MiB of memory once. UML's memory is a sparse file on the host: the first touch of
 * each of its pages costs a host page fault, which makes the first dumps after boot up to 5x
 * slower and cold resyncs 3-5x slower. Run once after boot, before measuring.
 */
static int prefault(long mib)
{
	size_t len = (size_t)mib << 20;
	char *p = malloc(len);

	if (!p) {
		perror("collect-bench: prefault");
		return 1;
	}
	for (size_t i = 0; i < len; i += 4096)
		((volatile char *)p)[i] = 1;
	free(p);
	fprintf(stderr, "collect-bench: touched %ld MiB\n", mib);
	return 0;
}

/* Whether -m names this group. */
static int wanted(const char *group)
{
	size_t n = strlen(group);

	for (const char *p = only; (p = strstr(p, group)) != NULL; p += n)
		if ((p == only || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: collect-bench [-r REPS] [-e EXPECT] [-t TAG] [-b BYTES] "
	                "[-o] [-m raw,parse,cold,warm,store]\n"
	                "       collect-bench -W MIB\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct bench b = {.reps = 5};
	struct dump_result res;
	struct sample s;
	long touch = 0;
	int opt;

	while ((opt = getopt(argc, argv, "r:e:t:b:m:W:oh")) != -1) {
		switch (opt) {
		case 'r': b.reps = atoi(optarg); break;
		case 'e': expect = atol(optarg); break;
		case 't': tag = optarg; break;
		case 'b': rx_size = (size_t)atol(optarg); break;
		case 'm': only = optarg; break;
		case 'W': touch = atol(optarg); break;
		case 'o': observed = 1; break;
		default: usage();
		}
	}
	if (!rx_size)
		rx_size = (size_t)RX_SIZE;
	if (optind != argc || b.reps < 1 || b.reps > MAX_REPS || rx_size < 4096 ||
	    rx_size > (size_t)RX_SIZE || touch < 0)
		usage();
	if (touch)
		return prefault(touch);
	b.buf = malloc(RX_SIZE);
	b.nl = mnl_socket_open(NETLINK_XFRM);
	if (!b.buf || !b.nl || mnl_socket_bind(b.nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("collect-bench");
		return 1;
	}
	/* One dump to warm up (and count), untimed. */
	if (timed_dump(&b, "first", 0, &s, &res) < 0)
		goto out;
	b.n = res.msgs;
	if (wanted("cold") || wanted("warm")) {
		fprintf(stderr, "collect-bench: cold resync x%d\n", b.reps);
		if (bench_cold(&b) < 0)
			goto out;
	}
	if (wanted("raw") || wanted("parse") || wanted("warm")) {
		fprintf(stderr, "collect-bench: %d rounds of%s%s%s\n", b.reps,
		        wanted("raw") ? " raw dump," : "", wanted("parse") ? " dump+parse," : "",
		        wanted("warm") ? " warm resync" : "");
		if (bench_rounds(&b, wanted("raw"), wanted("parse"), wanted("warm")) < 0)
			goto out;
	}
	if (wanted("store")) {
		fprintf(stderr, "collect-bench: store alone x%d\n", b.reps);
		if (bench_store(&b) < 0)
			goto out;
	}
	goto done;
out:
	failed = 1;
done:
	ipx_collector_close(b.c);
	ipx_store_free(b.st);
	mnl_socket_close(b.nl);
	OPENSSL_cleanse(b.buf, RX_SIZE);
	free(b.buf);
	return failed;
}
