/*
 * A fake charon for the unit tests of the VICI client and of the IKE sources: a unix
 * socket of the test's own that the code under test connects to, from which the test reads
 * each packet it sent and to which it writes the answers (recorded or hand-built).
 */
#ifndef IPX_TEST_FAKE_CHARON_H
#define IPX_TEST_FAKE_CHARON_H

#include <stddef.h>

#include "ipsec_agentx/vici.h"

struct fake {
	char dir[40], path[64];
	int listen_fd, fd; /* fd: the accepted connection of the code under test */
};

/* A directory and a socket path, but no socket yet (charon not started). */
int fake_dir(struct fake *f);
/* charon starts: the socket appears and listens. */
int fake_listen(struct fake *f);
/* Both of the above. */
int fake_start(struct fake *f);
/* Closes everything, removes the socket and its directory. */
void fake_stop(struct fake *f);

/* Whether a connection waits in the backlog (the client's connect() completed). */
int fake_pending(struct fake *f);
/* Takes the waiting connection, with a 2 s receive timeout so that a test that goes wrong
 * fails instead of hanging. -1 when none waits. */
int fake_accept(struct fake *f);
/* charon closes the connection. */
void fake_hangup(struct fake *f);

/* Whether the client has sent something not yet read. */
int fake_readable(const struct fake *f);
/* The next packet the client sent, decoded; NULL if none came within the timeout. */
struct ipx_vici_msg *fake_read(struct fake *f);
/* Whether the client has sent nothing more. */
int fake_idle(struct fake *f);
/* Whether the client closed its end (after whatever it had sent). */
int fake_eof(struct fake *f);

/* Bytes as they are (asserted sent whole), or one packet encoded from MSG (may be NULL). */
void fake_send_raw(struct fake *f, const void *data, size_t len);
void fake_send(struct fake *f, unsigned int type, const char *name,
               const struct ipx_vici_builder *msg);

#endif
