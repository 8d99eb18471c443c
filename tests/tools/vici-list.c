/*
 * vici-list: asks charon over VICI with our own client (src/vici_client.c) and prints what
 * comes back in a stable, greppable text form; records the raw packets for fixtures.
 *
 *   vici-list SOCKET list-sas|list-conns|list-certs|version|COMMAND [KEY=VALUE...] [--raw FILE]
 *   vici-list SOCKET events SECONDS EVENT[,EVENT...] [--raw FILE]
 *
 * Output: one line per key/value, list item, empty list and empty section, prefixed with
 * the message's label: the event's name ("list-sa", "child-rekey"), or "reply" for the
 * command's CMD_RESPONSE:
 *
 *   list-sa.lab4.child-sas.net4-1.spi-in=c1a2b3c4   key/value
 *   list-sa.lab4.child-sas.net4-1.local-ts[0]=198.51.100.0/24   list item
 *   list-sa.lab4.local-vips=[]                      empty list
 *   reply={}                                        empty message (or section)
 *
 * Bytes outside printable ASCII and '\' are written as \xHH; in names also '.', '=', '['
 * and ']', so that every line splits back unambiguously.
 *
 * KEY=VALUE: the command's arguments, key/values of its message in that order
 * ("vici-list SOCKET get-counters all=yes").
 *
 * --raw FILE: every packet received, length field included, as it came, one after another.
 * In events mode a line "vici-list: listening for ..." goes to stderr once every
 * registration is confirmed. Exit status: 0 done, 1 error (charon unreachable or gone, an
 * unknown command or event, no reply within 30 s), 2 usage.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "ipsec_agentx/log.h"
#include "ipsec_agentx/vici_client.h"

#define REPLY_TIMEOUT_S 30
#define PATH_MAX_LEN    ((IPX_VICI_MAX_DEPTH + 2) * (4 * IPX_VICI_MAX_NAME + 8))

struct tool {
	struct ipx_vici_client *c;
	FILE *raw;
	const char *events; /* events mode: the comma-separated names */
	int to_register;    /* registrations not yet confirmed */
	int replied;        /* the command's reply is in (its stream event may still be
	                       unregistering: we wait for that, to leave charon tidy) */
	int done, status;
};

/* ---- printing ------------------------------------------------------------------------- */

static int needs_escape(uint8_t ch, int in_name)
{
	if (ch < 0x20 || ch > 0x7e || ch == '\\')
		return 1;
	return in_name && (ch == '.' || ch == '=' || ch == '[' || ch == ']');
}

/* Appends the escaped bytes to the NUL-terminated BUF of SIZE bytes (sized never to fill). */
static void append_escaped(char *buf, size_t size, const uint8_t *s, size_t len, int in_name)
{
	size_t pos = strlen(buf), i;

	for (i = 0; i < len && pos + 5 < size; i++) {
		if (needs_escape(s[i], in_name))
			pos += (size_t)snprintf(buf + pos, size - pos, "\\x%02x", s[i]);
		else
			buf[pos++] = (char)s[i];
	}
	buf[pos] = '\0';
}

static void print_value(const char *path, const struct ipx_vici_node *n)
{
	static char line[4 * IPX_VICI_MAX_VALUE + 8];

	line[0] = '\0';
	append_escaped(line, sizeof(line), n->value, n->value_len, 0);
	printf("%s=%s\n", path, line);
}

static void print_children(char *path, size_t size, const struct ipx_vici_node *parent);

static void print_node(char *path, size_t size, const struct ipx_vici_node *n, unsigned int index)
{
	size_t mark = strlen(path);

	if (n->kind == IPX_VICI_ITEM) {
		snprintf(path + mark, size - mark, "[%u]", index);
	} else {
		if (mark)
			strcat(path, ".");
		append_escaped(path, size, (const uint8_t *)n->name, n->name_len, 1);
	}
	if (n->kind == IPX_VICI_KV || n->kind == IPX_VICI_ITEM)
		print_value(path, n);
	else
		print_children(path, size, n);
	path[mark] = '\0';
}

static void print_children(char *path, size_t size, const struct ipx_vici_node *parent)
{
	const struct ipx_vici_node *n;
	unsigned int i = 0;

	if (!parent->child) {
		printf("%s=%s\n", path, parent->kind == IPX_VICI_LIST ? "[]" : "{}");
		return;
	}
	for (n = parent->child; n; n = n->next)
		print_node(path, size, n, i++);
}

static void print_msg(const char *label, const struct ipx_vici_msg *m)
{
	static char path[PATH_MAX_LEN];

	path[0] = '\0';
	append_escaped(path, sizeof(path), (const uint8_t *)label, strlen(label), 1);
	print_children(path, sizeof(path), &m->root);
	fflush(stdout);
}

/* ---- callbacks ------------------------------------------------------------------------ */

static void stop(struct tool *t, int status)
{
	t->done = 1;
	t->status = status;
}

static void on_event(void *arg, const struct ipx_vici_msg *m)
{
	print_msg(m->name, m);
}

static void on_stream(void *arg, const struct ipx_vici_msg *m)
{
	print_msg(m->name, m);
}

static void on_reply(void *arg, int err, const struct ipx_vici_msg *reply)
{
	struct tool *t = arg;

	if (err == -EOPNOTSUPP)
		fprintf(stderr, "vici-list: charon does not know this command\n");
	else if (err == -ENOENT)
		fprintf(stderr, "vici-list: charon does not know the command's stream event\n");
	else if (err < 0)
		fprintf(stderr, "vici-list: command failed: %s\n", strerror(-err));
	if (reply)
		print_msg("reply", reply);
	t->replied = 1;
	t->status = err < 0 ? 1 : 0;
}

static void on_registered(void *arg, int err, const struct ipx_vici_msg *reply)
{
	struct tool *t = arg;

	if (err < 0) {
		fprintf(stderr, "vici-list: cannot register for events: %s\n",
		        err == -ENOENT ? "charon does not know one of them" : strerror(-err));
		stop(t, 1);
		return;
	}
	if (--t->to_register == 0) {
		fprintf(stderr, "vici-list: listening for %s\n", t->events);
		fflush(stderr);
	}
}

static void on_down(void *arg, int err)
{
	struct tool *t = arg;

	if (t->done || t->replied) {
		t->done = 1;
		return;
	}
	fprintf(stderr, "vici-list: connection to charon lost: %s\n",
	        err == -ECONNRESET ? "charon closed it" : strerror(-err));
	stop(t, 1);
}

static void on_packet(void *arg, const uint8_t *pkt, size_t len)
{
	struct tool *t = arg;

	/* Flushed at once: a run that ends abruptly still leaves whole packets behind. */
	if (t->raw && (fwrite(pkt, 1, len, t->raw) != len || fflush(t->raw) != 0)) {
		fprintf(stderr, "vici-list: cannot write the raw packets\n");
		stop(t, 1);
	}
}

/* ---- requests ------------------------------------------------------------------------- */

/* The event a listing command streams its results in. */
static const char *stream_of(const char *command)
{
	static const char *const map[][2] = {
	    {"list-sas", "list-sa"},
	    {"list-conns", "list-conn"},
	    {"list-certs", "list-cert"},
	    {"list-policies", "list-policy"},
	    {"list-authorities", "list-authority"},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(command, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

/* ARGS: N "KEY=VALUE" strings, the command's arguments. */
static int queue_command(struct tool *t, const char *command, char *const *args, int n)
{
	const char *stream = stream_of(command);
	struct ipx_vici_builder b;
	int i, rc;

	ipx_vici_builder_init(&b);
	for (i = 0; i < n; i++) {
		const char *eq = strchr(args[i], '=');
		char key[IPX_VICI_MAX_NAME + 1];
		size_t klen = eq ? (size_t)(eq - args[i]) : 0;
		if (!eq || klen == 0 || klen > IPX_VICI_MAX_NAME) {
			rc = -EINVAL;
			goto out;
		}
		memcpy(key, args[i], klen);
		key[klen] = '\0';
		ipx_vici_add_kv_str(&b, key, eq + 1);
	}
	rc = ipx_vici_client_command(t->c, command, n ? &b : NULL, stream, on_stream, on_reply, t);
out:
	ipx_vici_builder_release(&b);
	return rc;
}

static int queue_registrations(struct tool *t, const char *events)
{
	char *copy = strdup(events), *name, *save = NULL;
	int rc = copy ? 0 : -ENOMEM;

	for (name = copy ? strtok_r(copy, ",", &save) : NULL; name && rc == 0;
	     name = strtok_r(NULL, ",", &save)) {
		rc = ipx_vici_client_register(t->c, name, on_registered, t);
		t->to_register += rc == 0;
	}
	if (rc == 0 && t->to_register == 0)
		rc = -EINVAL;
	free(copy);
	return rc;
}

/* ---- the loop ------------------------------------------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int wait_io(struct tool *t, double left)
{
	int fd = ipx_vici_client_fd(t->c), want = ipx_vici_client_poll_events(t->c), n;
	struct timeval tv = {.tv_sec = (time_t)left,
	                     .tv_usec = (suseconds_t)((left - (double)(time_t)left) * 1e6)};
	fd_set rd, wr;

	FD_ZERO(&rd);
	FD_ZERO(&wr);
	if (want & POLLIN)
		FD_SET(fd, &rd);
	if (want & POLLOUT)
		FD_SET(fd, &wr);
	n = select(fd + 1, &rd, &wr, NULL, &tv);
	if (n <= 0)
		return n < 0 && errno != EINTR ? -errno : n;
	if (FD_ISSET(fd, &wr))
		ipx_vici_client_on_writable(t->c);
	if (FD_ISSET(fd, &rd))
		ipx_vici_client_on_readable(t->c);
	return n;
}

/* Until done, or SECONDS have passed: then events mode is done, a command has failed. */
static void run(struct tool *t, double seconds)
{
	double end = now() + seconds, left;
	int rc;

	while (!t->done && ipx_vici_client_fd(t->c) >= 0) {
		if (t->replied && ipx_vici_client_pending(t->c) == 0)
			break;
		left = end - now();
		rc = left > 0 ? wait_io(t, left) : 0;
		if (rc < 0) {
			fprintf(stderr, "vici-list: select: %s\n", strerror(-rc));
			stop(t, 1);
		} else if (left <= 0 || (rc == 0 && now() >= end)) {
			if (!t->events)
				fprintf(stderr, "vici-list: no reply within %.0f s\n", seconds);
			stop(t, t->events ? 0 : 1);
		}
	}
}

/* ---- main ----------------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: vici-list SOCKET list-sas|list-conns|list-certs|version|COMMAND "
	                "[KEY=VALUE...] [--raw FILE]\n"
	                "       vici-list SOCKET events SECONDS EVENT[,EVENT...] [--raw FILE]\n");
	exit(2);
}

struct args {
	const char *socket, *command, *events, *raw;
	char *const *kv; /* a command's KEY=VALUE arguments */
	int n_kv;
	double seconds;
};

static void parse_args(int argc, char **argv, struct args *a)
{
	char *end;

	memset(a, 0, sizeof(*a));
	if (argc >= 2 && strcmp(argv[argc - 2], "--raw") == 0) {
		a->raw = argv[argc - 1];
		argc -= 2;
	}
	if (argc < 3)
		usage();
	a->socket = argv[1];
	a->command = argv[2];
	if (strcmp(a->command, "events") != 0) {
		a->kv = argv + 3;
		a->n_kv = argc - 3;
		a->seconds = REPLY_TIMEOUT_S;
		return;
	}
	if (argc != 5)
		usage();
	a->seconds = strtod(argv[3], &end);
	if (*end || a->seconds <= 0)
		usage();
	a->events = argv[4];
}

static int start(struct tool *t, const struct args *a)
{
	static const struct ipx_vici_client_ops ops = {
	    .on_event = on_event, .on_down = on_down, .on_packet = on_packet};
	int rc;

	if (a->raw && !(t->raw = fopen(a->raw, "wb"))) {
		fprintf(stderr, "vici-list: %s: %s\n", a->raw, strerror(errno));
		return -errno;
	}
	rc = ipx_vici_client_new(a->socket, &ops, t, &t->c);
	if (rc == 0)
		rc = ipx_vici_client_connect(t->c);
	if (rc < 0) {
		fprintf(stderr, "vici-list: cannot connect to %s: %s\n", a->socket, strerror(-rc));
		return rc;
	}
	t->events = a->events;
	rc = a->events ? queue_registrations(t, a->events)
	               : queue_command(t, a->command, a->kv, a->n_kv);
	if (rc < 0)
		fprintf(stderr, "vici-list: cannot queue the request: %s\n", strerror(-rc));
	return rc;
}

int main(int argc, char **argv)
{
	struct tool t = {.status = 1};
	struct args a;

	parse_args(argc, argv, &a);
	if (start(&t, &a) == 0)
		run(&t, a.seconds);
	ipx_vici_client_free(t.c);
	if (t.raw && fclose(t.raw) != 0) {
		fprintf(stderr, "vici-list: %s: %s\n", a.raw, strerror(errno));
		t.status = 1;
	}
	return t.status;
}
