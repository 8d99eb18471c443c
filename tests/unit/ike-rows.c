/* Hand-made IKE rows (ike-rows.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ike-rows.h"

void set_addr(struct ipx_addr *a, const char *text)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, a->bytes) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, text, a->bytes) == 1)
		a->family = AF_INET6;
}

struct ipx_ike_sa mk_ike(uint32_t uid, const char *name)
{
	struct ipx_ike_sa sa;

	memset(&sa, 0, sizeof(sa));
	sa.unique_id = uid;
	snprintf(sa.name, sizeof(sa.name), "%s", name);
	sa.version = 2;
	sa.exchange = IPX_IKE_EXCHANGE_IKEV2;
	sa.state = IPX_IKE_ESTABLISHED;
	set_addr(&sa.local, LOCAL4);
	set_addr(&sa.remote, REMOTE4);
	sa.local_port = sa.remote_port = 4500;
	sa.spi_i = 0x1000 + uid;
	sa.spi_r = 0x2000 + uid;
	return sa;
}

struct ipx_child_sa mk_child(uint32_t uid, uint32_t ike_uid, const char *name, uint32_t spi_in,
                             uint32_t spi_out)
{
	struct ipx_child_sa c;

	memset(&c, 0, sizeof(c));
	c.unique_id = uid;
	c.ike_unique_id = ike_uid;
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.state = IPX_CHILD_INSTALLED;
	c.mode = IPX_CHILD_MODE_TUNNEL;
	c.protocol = IPX_CHILD_PROTO_ESP;
	c.spi_in = spi_in;
	c.spi_out = spi_out;
	c.reqid = 1;
	return c;
}

struct ipx_ike_conn mk_conn(const char *name, const char *child)
{
	struct ipx_ike_conn c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.child, sizeof(c.child), "%s", child);
	c.version = 2;
	return c;
}
