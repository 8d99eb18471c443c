/* Reading recorded fixtures; see fixture.h. */
#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"

#ifndef IPX_FIXTURES_DIR
#define IPX_FIXTURES_DIR "tests/unit/fixtures"
#endif

int ipx_fixture_load(const char *name, void **data, size_t *len)
{
	const char *dir = getenv("IPX_FIXTURES");
	char path[4096], *buf = NULL;
	FILE *f;
	long n;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : IPX_FIXTURES_DIR, name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open fixture %s\n", path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		goto out;
	buf[n] = '\0';
	*data = buf;
	*len = (size_t)n;
	buf = NULL;
	rc = 0;
out:
	if (rc < 0)
		fprintf(stderr, "cannot read fixture %s\n", path);
	free(buf);
	fclose(f);
	return rc;
}
