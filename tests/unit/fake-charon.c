/* The fake charon of fake-charon.h. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "fake-charon.h"

int fake_dir(struct fake *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/ipx-fake-charon.XXXXXX");
	f->listen_fd = f->fd = -1;
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/charon.vici", f->dir);
	return 0;
}

int fake_listen(struct fake *f)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", f->path);
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->listen_fd < 0 || bind(f->listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(f->listen_fd, 4) < 0)
		return -1;
	return 0;
}

int fake_start(struct fake *f)
{
	return fake_dir(f) < 0 ? -1 : fake_listen(f);
}

void fake_stop(struct fake *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->listen_fd >= 0)
		close(f->listen_fd);
	unlink(f->path);
	rmdir(f->dir);
	f->fd = f->listen_fd = -1;
}

int fake_pending(struct fake *f)
{
	struct pollfd p = {.fd = f->listen_fd, .events = POLLIN};

	return f->listen_fd >= 0 && poll(&p, 1, 0) == 1;
}

int fake_accept(struct fake *f)
{
	struct timeval tv = {.tv_sec = 2};

	if (!fake_pending(f))
		return -1;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = accept(f->listen_fd, NULL, NULL);
	if (f->fd < 0)
		return -1;
	return setsockopt(f->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

void fake_hangup(struct fake *f)
{
	close(f->fd);
	f->fd = -1;
}

int fake_readable(const struct fake *f)
{
	struct pollfd p = {.fd = f->fd, .events = POLLIN};

	return f->fd >= 0 && poll(&p, 1, 0) == 1;
}

struct ipx_vici_msg *fake_read(struct fake *f)
{
	uint8_t hdr[4], *body;
	struct ipx_vici_msg *m = NULL;
	size_t len;

	if (f->fd < 0 || recv(f->fd, hdr, 4, MSG_WAITALL) != 4)
		return NULL;
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
	if (len > IPX_VICI_MAX_PACKET)
		return NULL;
	body = malloc(len ? len : 1);
	if (!body || recv(f->fd, body, len, MSG_WAITALL) != (ssize_t)len ||
	    ipx_vici_decode_packet(body, len, &m) != 0)
		m = NULL;
	free(body);
	return m;
}

int fake_idle(struct fake *f)
{
	uint8_t b;

	return recv(f->fd, &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

int fake_eof(struct fake *f)
{
	uint8_t b[512];
	ssize_t n;

	while ((n = recv(f->fd, b, sizeof(b), 0)) > 0)
		;
	return n == 0;
}

void fake_send_raw(struct fake *f, const void *data, size_t len)
{
	CU_ASSERT_EQUAL(send(f->fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

void fake_send(struct fake *f, unsigned int type, const char *name,
               const struct ipx_vici_builder *msg)
{
	uint8_t *pkt = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(ipx_vici_encode(type, name, msg, &pkt, &len), 0);
	fake_send_raw(f, pkt, len);
	free(pkt);
}
