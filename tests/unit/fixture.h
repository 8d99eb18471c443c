/* Reading the recorded fixtures of tests/unit/fixtures/ (see its README). */
#ifndef IPX_TEST_FIXTURE_H
#define IPX_TEST_FIXTURE_H

#include <stddef.h>

/*
 * Reads fixture NAME from $IPX_FIXTURES, or from the directory compiled in as
 * IPX_FIXTURES_DIR, into a heap block with a NUL after its last byte (so text fixtures
 * are strings). Returns 0, or -1 after saying why on stderr.
 */
int ipx_fixture_load(const char *name, void **data, size_t *len);

#endif
