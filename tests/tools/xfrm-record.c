/*
 * xfrm-record: write what the kernel says over NETLINK_XFRM to a file, byte for byte.
 *
 * The file is the messages exactly as received, one after another, each padded to the
 * netlink alignment: walk it with mnl_nlmsg_ok()/mnl_nlmsg_next(). Dumps leave out the
 * closing NLMSG_DONE. Used to record the parser's test fixtures from real kernels (see
 * tests/unit/fixtures/README.md). The files hold whatever keys the SAs had: record only
 * throwaway SAs made for the purpose.
 *
 *   xfrm-record sa FILE            dump the SAD
 *   xfrm-record policy FILE        dump the SPD
 *   xfrm-record sadinfo FILE       XFRM_MSG_GETSADINFO
 *   xfrm-record spdinfo FILE       XFRM_MSG_GETSPDINFO
 *   xfrm-record listen SECS FILE [COUNT]
 *                                  SA, EXPIRE, POLICY and ACQUIRE events for SECS seconds
 *                                  or until COUNT messages; FILE is created once subscribed,
 *                                  so a script can wait for it before making events.
 *   xfrm-record show FILE          list type and length of each message in FILE
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/xfrm.h>

#define BUF_SIZE (1 << 20)

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static FILE *open_out(const char *path)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		die(path);
	return f;
}

static void write_msg(FILE *f, const struct nlmsghdr *nlh)
{
	static const char pad[MNL_ALIGNTO];
	size_t len = nlh->nlmsg_len, padded = MNL_ALIGN(len);

	if (fwrite(nlh, 1, len, f) != len || fwrite(pad, 1, padded - len, f) != padded - len)
		die("write");
}

static struct mnl_socket *open_xfrm(unsigned int groups)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_XFRM);

	if (!nl)
		die("mnl_socket_open");
	if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) < 0)
		die("mnl_socket_bind");
	return nl;
}

/* One request; its answer (all parts of a dump) goes to the file. Returns 1 to retry. */
static int request(struct mnl_socket *nl, uint16_t type, int dump, FILE *f)
{
	static char buf[BUF_SIZE];
	unsigned int seq = (unsigned int)time(NULL), portid = mnl_socket_get_portid(nl);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	int interrupted = 0;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
	nlh->nlmsg_seq = seq;
	if (type == XFRM_MSG_GETSADINFO || type == XFRM_MSG_GETSPDINFO) {
		uint32_t *flags = mnl_nlmsg_put_extra_header(nlh, sizeof(*flags));
		*flags = 0;
	} else if (type == XFRM_MSG_GETPOLICY) {
		mnl_nlmsg_put_extra_header(nlh, sizeof(struct xfrm_userpolicy_info));
	} else {
		mnl_nlmsg_put_extra_header(nlh, sizeof(struct xfrm_usersa_info));
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		die("send");
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		int len = (int)n;
		if (n < 0)
			die("recv");
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (!mnl_nlmsg_seq_ok(nlh, seq) || !mnl_nlmsg_portid_ok(nlh, portid))
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				interrupted = 1;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
				errno = -e->error;
				die("kernel");
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return interrupted;
			write_msg(f, nlh);
			if (!dump)
				return 0;
		}
	}
}

static int record_request(const char *path, uint16_t type, int dump)
{
	struct mnl_socket *nl = open_xfrm(0);

	for (int tries = 0; tries < 10; tries++) {
		FILE *f = open_out(path); /* truncates what an interrupted dump wrote */
		int again = request(nl, type, dump, f);
		if (fclose(f) != 0)
			die(path);
		if (!again) {
			mnl_socket_close(nl);
			return 0;
		}
	}
	fprintf(stderr, "dump interrupted 10 times\n");
	return 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int listen_events(double secs, const char *path, long count)
{
	static char buf[BUF_SIZE];
	unsigned int groups = 0;
	struct mnl_socket *nl;
	double end = now() + secs;
	long seen = 0;
	FILE *f;

	nl = open_xfrm(0);
	groups = XFRMNLGRP_SA;
	if (mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &groups, sizeof(groups)) < 0)
		die("join SA");
	groups = XFRMNLGRP_EXPIRE;
	if (mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &groups, sizeof(groups)) < 0)
		die("join EXPIRE");
	groups = XFRMNLGRP_POLICY;
	if (mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &groups, sizeof(groups)) < 0)
		die("join POLICY");
	groups = XFRMNLGRP_ACQUIRE;
	if (mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &groups, sizeof(groups)) < 0)
		die("join ACQUIRE");
	f = open_out(path); /* exists from now on: the caller may start making events */
	while (count <= 0 || seen < count) {
		struct pollfd pfd = {.fd = mnl_socket_get_fd(nl), .events = POLLIN};
		double left = end - now();
		int len, rc;
		if (left <= 0)
			break;
		rc = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (rc < 0 && errno != EINTR)
			die("poll");
		if (rc <= 0)
			continue;
		len = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (len < 0) {
			if (errno == ENOBUFS) {
				fprintf(stderr, "events lost (ENOBUFS)\n");
				continue;
			}
			die("recv");
		}
		for (struct nlmsghdr *nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			write_msg(f, nlh);
			seen++;
		}
		fflush(f);
	}
	if (fclose(f) != 0)
		die(path);
	mnl_socket_close(nl);
	fprintf(stderr, "%ld messages\n", seen);
	return 0;
}

static int show(const char *path)
{
	static char buf[BUF_SIZE];
	FILE *f = fopen(path, "rb");
	int len;

	if (!f)
		die(path);
	len = (int)fread(buf, 1, sizeof(buf), f);
	fclose(f);
	for (struct nlmsghdr *nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len))
		printf("type %u len %u flags 0x%x\n", nlh->nlmsg_type, nlh->nlmsg_len,
		       nlh->nlmsg_flags);
	if (len != 0)
		printf("%d trailing bytes\n", len);
	return len != 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: xfrm-record sa|policy|sadinfo|spdinfo FILE\n"
	                "       xfrm-record listen SECONDS FILE [COUNT]\n"
	                "       xfrm-record show FILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "sa") == 0)
		return record_request(argv[2], XFRM_MSG_GETSA, 1);
	if (argc == 3 && strcmp(argv[1], "policy") == 0)
		return record_request(argv[2], XFRM_MSG_GETPOLICY, 1);
	if (argc == 3 && strcmp(argv[1], "sadinfo") == 0)
		return record_request(argv[2], XFRM_MSG_GETSADINFO, 0);
	if (argc == 3 && strcmp(argv[1], "spdinfo") == 0)
		return record_request(argv[2], XFRM_MSG_GETSPDINFO, 0);
	if (argc == 3 && strcmp(argv[1], "show") == 0)
		return show(argv[2]);
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "listen") == 0)
		return listen_events(atof(argv[2]), argv[3], argc == 5 ? atol(argv[4]) : 0);
	usage();
	return 2;
}
