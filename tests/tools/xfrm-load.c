/*
 * xfrm-load: make many kernel SAs quickly, for benchmarks and load tests.
 *
 *   xfrm-load [--aead | --null] [--start I] N             add SAs I .. I+N-1
 *   xfrm-load --delete [--start I] N                      delete them again
 *   xfrm-load [--aead | --null] [--start I] --churn RATE SECONDS N
 *       with SAs I .. I+N-1 in place, add SA I+N+k and delete SA I+k for k = 0, 1, ...,
 *       RATE pairs a second for SECONDS: the SAD keeps N SAs and every pair is one NEWSA
 *       and one DELSA event (the live SAs then start at index I + RATE * SECONDS).
 *
 * SA number i is ESP in tunnel mode with SPI 0x10000 + i. Even i are outbound, odd i
 * inbound, for peer p = i / 2 at 198.18.0.1 + p (RFC 2544's benchmarking range, 131,070
 * peers): outbound 192.0.2.1 -> peer, inbound peer -> 192.0.2.1. --aead gives
 * rfc4106(gcm(aes)) with a 160-bit key and a 128-bit ICV, --null (the default)
 * ecb(cipher_null), with no key at all.
 *
 * Everything goes over one NETLINK_XFRM socket, 64 requests per send(), without NLM_F_ACK:
 * the kernel handles a request inside our send(), so the errors of a batch (still sent
 * without NLM_F_ACK) are queued when send() returns; they are read then, counted, and any
 * error fails the run. Keys come from getrandom() and are wiped once sent.
 *
 * stdout: one line "xfrm-load op=... n=... alg=... seconds=... rate=... sends=... errors=...",
 * where n counts SAs (add, delete) or add+delete pairs (churn), and rate is n per second.
 * Exit status 0 only if the kernel took every request; 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>

#define BATCH        64
#define MSG_MAX      512 /* one NEWSA with a 20-byte key takes 336 bytes */
#define SPI_BASE     0x10000u
#define MAX_INDEX    (2u * 131070u) /* two SAs per peer address of 198.18.0.0/15 */
#define AEAD_KEYLEN  20             /* AES-128 key + 4-byte salt (RFC 4106) */
#define ERRORS_SHOWN 5

enum alg { ALG_NULL, ALG_AEAD };

struct loader {
	struct mnl_socket *nl;
	enum alg alg;
	char *buf;   /* the batch being built */
	size_t used; /* bytes of it */
	unsigned int n_msgs;
	uint32_t seq;         /* of the batch's first message */
	uint32_t what[BATCH]; /* SA index of each message, for error reports */
	uint16_t type[BATCH];
	uint8_t keys[BATCH * AEAD_KEYLEN];
	unsigned long sends, errors;
};

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The addresses of SA i: see the top of the file. */
static void sa_addrs(unsigned long i, uint32_t *src, uint32_t *dst)
{
	uint32_t local = htonl(0xc0000201u);                                 /* 192.0.2.1 */
	uint32_t peer = htonl(0xc6120000u + (uint32_t)(i / 2 % 131070) + 1); /* 198.18/15 */

	*src = i % 2 ? peer : local;
	*dst = i % 2 ? local : peer;
}

static uint32_t sa_spi(unsigned long i)
{
	return SPI_BASE + (uint32_t)i;
}

/*
 * One reqid per peer, as for one CHILD_SA each way; scrambled, because the kernel's bydst
 * hash XORs the reqid with the sum of both addresses: with reqid = peer + 1 the two
 * cancel out, the SAs pile up in a few chains, and adding 100,000 SAs took 108 s
 * instead of 1 s (Linux 6.1 in UML).
 */
static uint32_t sa_reqid(unsigned long i)
{
	return 1 + ((uint32_t)(i / 2) * 0x2545f491u & 0xffffffu);
}

static const char *type_name(uint16_t type)
{
	return type == XFRM_MSG_NEWSA ? "NEWSA" : "DELSA";
}

/* Reads whatever the kernel queued for us: only errors, as nothing asks for acks. */
static void drain(struct loader *l)
{
	char rx[MNL_SOCKET_BUFFER_SIZE * 4];

	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(l->nl), rx, sizeof(rx), MSG_DONTWAIT);
		int len;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0)
			die("recv"); /* ENOBUFS: errors were lost, so the count would be wrong */
		len = (int)n;
		for (struct nlmsghdr *nlh = (struct nlmsghdr *)rx; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			uint32_t k = nlh->nlmsg_seq - l->seq;
			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e) || e->error == 0)
				continue;
			if (++l->errors <= ERRORS_SHOWN && k < l->n_msgs)
				fprintf(stderr, "xfrm-load: %s of SA %u (SPI 0x%08x): %s\n",
				        type_name(l->type[k]), l->what[k], sa_spi(l->what[k]),
				        strerror(-e->error));
			else if (l->errors <= ERRORS_SHOWN)
				fprintf(stderr, "xfrm-load: request %u: %s\n", nlh->nlmsg_seq,
				        strerror(-e->error));
		}
	}
}

static void flush_batch(struct loader *l)
{
	if (!l->n_msgs)
		return;
	if (mnl_socket_sendto(l->nl, l->buf, l->used) < 0)
		die("send");
	explicit_bzero(l->buf, l->used); /* keys */
	l->sends++;
	drain(l);
	l->seq += l->n_msgs;
	l->used = 0;
	l->n_msgs = 0;
}

static struct nlmsghdr *start_msg(struct loader *l, uint16_t type, unsigned long i)
{
	struct nlmsghdr *nlh;

	if (l->n_msgs == BATCH)
		flush_batch(l);
	nlh = mnl_nlmsg_put_header(l->buf + l->used);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | (type == XFRM_MSG_NEWSA ? NLM_F_CREATE | NLM_F_EXCL : 0);
	nlh->nlmsg_seq = l->seq + l->n_msgs;
	l->what[l->n_msgs] = (uint32_t)i;
	l->type[l->n_msgs] = type;
	return nlh;
}

static void end_msg(struct loader *l, struct nlmsghdr *nlh)
{
	l->used += MNL_ALIGN(nlh->nlmsg_len);
	l->n_msgs++;
}

static void add_alg(struct loader *l, struct nlmsghdr *nlh)
{
	char alg[sizeof(struct xfrm_algo_aead) + AEAD_KEYLEN] __attribute__((aligned(4)));

	memset(alg, 0, sizeof(alg));
	if (l->alg == ALG_NULL) {
		struct xfrm_algo *a = (struct xfrm_algo *)alg;
		snprintf(a->alg_name, sizeof(a->alg_name), "ecb(cipher_null)");
		mnl_attr_put(nlh, XFRMA_ALG_CRYPT, sizeof(*a), a);
		return;
	}
	struct xfrm_algo_aead *a = (struct xfrm_algo_aead *)alg;
	/* A fresh key for each batch: one getrandom() call, not one per SA. */
	if (l->n_msgs == 0 && getrandom(l->keys, sizeof(l->keys), 0) != sizeof(l->keys))
		die("getrandom");
	snprintf(a->alg_name, sizeof(a->alg_name), "rfc4106(gcm(aes))");
	a->alg_key_len = AEAD_KEYLEN * 8;
	a->alg_icv_len = 128;
	memcpy(a->alg_key, l->keys + l->n_msgs * AEAD_KEYLEN, AEAD_KEYLEN);
	mnl_attr_put(nlh, XFRMA_ALG_AEAD, sizeof(alg), alg);
	explicit_bzero(alg, sizeof(alg));
}

static void put_newsa(struct loader *l, unsigned long i)
{
	struct nlmsghdr *nlh = start_msg(l, XFRM_MSG_NEWSA, i);
	struct xfrm_usersa_info *p = mnl_nlmsg_put_extra_header(nlh, sizeof(*p));
	uint32_t src, dst;

	sa_addrs(i, &src, &dst);
	memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	p->id.proto = IPPROTO_ESP;
	p->id.spi = htonl(sa_spi(i));
	memcpy(&p->id.daddr.a4, &dst, 4);
	memcpy(&p->saddr.a4, &src, 4);
	p->sel.family = AF_INET;
	p->mode = XFRM_MODE_TUNNEL;
	p->reqid = sa_reqid(i);
	p->replay_window = 32;
	p->lft.soft_byte_limit = p->lft.hard_byte_limit = XFRM_INF;
	p->lft.soft_packet_limit = p->lft.hard_packet_limit = XFRM_INF;
	add_alg(l, nlh);
	end_msg(l, nlh);
}

static void put_delsa(struct loader *l, unsigned long i)
{
	struct nlmsghdr *nlh = start_msg(l, XFRM_MSG_DELSA, i);
	struct xfrm_usersa_id *id = mnl_nlmsg_put_extra_header(nlh, sizeof(*id));
	uint32_t src, dst;

	sa_addrs(i, &src, &dst);
	memset(id, 0, sizeof(*id));
	memcpy(&id->daddr.a4, &dst, 4);
	id->spi = htonl(sa_spi(i));
	id->family = AF_INET;
	id->proto = IPPROTO_ESP;
	end_msg(l, nlh);
}

/* RATE add+delete pairs a second, paced on the clock, as many per send() as are due. */
static unsigned long churn(struct loader *l, unsigned long start, unsigned long n, double rate,
                           double secs)
{
	unsigned long total = (unsigned long)(rate * secs), k = 0;
	double t0 = now_s();

	while (k < total) {
		double due = (now_s() - t0) * rate;
		unsigned long upto = due >= (double)total ? total : (unsigned long)due + 1;
		for (; k < upto; k++) {
			put_newsa(l, start + n + k);
			put_delsa(l, start + k);
		}
		flush_batch(l);
		if (k < total) {
			double next = t0 + (double)k / rate;
			double wait = next - now_s();
			if (wait > 0) {
				struct timespec ts = {
				    .tv_sec = (time_t)wait,
				    .tv_nsec = (long)((wait - (double)(time_t)wait) * 1e9)};
				nanosleep(&ts, NULL);
			}
		}
	}
	return total;
}

static void usage(void)
{
	fprintf(stderr, "usage: xfrm-load [--aead | --null] [--start I] N\n"
	                "       xfrm-load --delete [--start I] N\n"
	                "       xfrm-load [--aead | --null] [--start I] --churn RATE SECONDS N\n");
	exit(2);
}

static unsigned long number(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-')
		usage();
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"aead", no_argument, NULL, 'a'},
	                                     {"null", no_argument, NULL, 'z'},
	                                     {"delete", no_argument, NULL, 'd'},
	                                     {"churn", required_argument, NULL, 'c'},
	                                     {"start", required_argument, NULL, 's'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct loader l = {.alg = ALG_NULL};
	unsigned long start = 0, n, done;
	double rate = 0, secs = 0, t;
	int del = 0, opt;
	const char *op;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'a': l.alg = ALG_AEAD; break;
		case 'z': l.alg = ALG_NULL; break;
		case 'd': del = 1; break;
		case 's': start = number(optarg); break;
		case 'c':
			/* --churn RATE SECONDS: the second value is the next argument. */
			if (optind >= argc)
				usage();
			rate = (double)number(optarg);
			secs = (double)number(argv[optind++]);
			if (rate <= 0 || secs <= 0)
				usage();
			break;
		default: usage();
		}
	}
	if (optind != argc - 1 || (del && rate > 0))
		usage();
	n = number(argv[optind]);
	if (start + n + (unsigned long)(rate * secs) > MAX_INDEX) {
		fprintf(stderr, "xfrm-load: at most %u SAs in all (indexes)\n", MAX_INDEX);
		return 2;
	}
	l.buf = calloc(BATCH, MSG_MAX);
	if (!l.buf)
		die("calloc");
	l.nl = mnl_socket_open(NETLINK_XFRM);
	if (!l.nl)
		die("mnl_socket_open");
	if (mnl_socket_bind(l.nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("mnl_socket_bind");
	/* Error messages need not quote the whole request back. */
	int one = 1;
	mnl_socket_setsockopt(l.nl, NETLINK_CAP_ACK, &one, sizeof(one));
	l.seq = (uint32_t)time(NULL);

	t = now_s();
	if (rate > 0) {
		op = "churn";
		done = churn(&l, start, n, rate, secs);
	} else {
		op = del ? "delete" : "add";
		for (unsigned long i = start; i < start + n; i++) {
			if (del)
				put_delsa(&l, i);
			else
				put_newsa(&l, i);
		}
		flush_batch(&l);
		done = n;
	}
	t = now_s() - t;
	explicit_bzero(l.keys, sizeof(l.keys));
	printf("xfrm-load op=%s n=%lu alg=%s seconds=%.3f rate=%.0f sends=%lu errors=%lu\n", op,
	       done,
	       del                 ? "-"
	       : l.alg == ALG_AEAD ? "aead"
	                           : "null",
	       t, t > 0 ? (double)done / t : 0.0, l.sends, l.errors);
	mnl_socket_close(l.nl);
	free(l.buf);
	return l.errors ? 1 : 0;
}
