/* tmpdir.h: a scratch directory under /tmp for the unit tests that need
 * files (never the source tree), and small helpers to fill it. */
#ifndef PORTCULLIS_TMPDIR_H
#define PORTCULLIS_TMPDIR_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir_path[64];

static __attribute__((unused)) const char *
tmpdir_make(void)
{
	snprintf(tmpdir_path, sizeof tmpdir_path, "/tmp/portcullis-unit.XXXXXX");
	if (mkdtemp(tmpdir_path) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	return tmpdir_path;
}

/* Write len bytes (0: strlen) to DIR/name; the path goes into path. */
static __attribute__((unused)) void
tmpdir_write(const char *name, const char *data, size_t len, char *path,
    size_t n)
{
	FILE *f;

	snprintf(path, n, "%s/%s", tmpdir_path, name);
	if ((f = fopen(path, "w")) == NULL) {
		perror(path);
		exit(1);
	}
	fwrite(data, 1, len ? len : strlen(data), f);
	fclose(f);
}

/* Remove the directory and what the tests put in it. */
static __attribute__((unused)) void
tmpdir_remove(void)
{
	char cmd[128];

	if (tmpdir_path[0] == '\0' || strncmp(tmpdir_path, "/tmp/portcullis-unit.", 21))
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir_path);
	if (system(cmd) != 0)
		fprintf(stderr, "# unable to remove %s\n", tmpdir_path);
}

#endif
