/* fuzz_cdb: cdb_find on a file of the fuzzer's bytes (an index another
 * process wrote, or a disk returned half of), and rcptlist_key on each of
 * its lines.  A lookup must answer found, not found or damaged, never
 * read outside the file; a key, when there is one, has an '@' and no
 * white space or upper case. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdb.h"
#include "rcptlist.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static const char *const keys[] = { "", "a", "bob@ourco.test", "@ourco.test" };
	struct cdb db;
	const void *d;
	size_t dl, i, start;
	unsigned char *copy;
	char key[RCPTLIST_KEY_MAX];

	if (n >= 2048 && (copy = malloc(n)) != NULL) {
		/* a heap copy of exactly n bytes: ASan sees any read past it */
		memcpy(copy, data, n);
		db.map = copy;
		db.size = n;
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if (cdb_find(&db, keys[i], strlen(keys[i]), &d, &dl) == 1 &&
			    ((const unsigned char *)d < copy ||
			    (const unsigned char *)d + dl > copy + n))
				abort();
		free(copy);
	}
	for (i = start = 0; i <= n; i++) {
		if (i < n && data[i] != '\n')
			continue;
		if (rcptlist_key((const char *)data + start, i - start, key,
		    sizeof key) == 1) {
			if (strchr(key, '@') == NULL || strpbrk(key, " \t\r\nABCDEFGHIJKLMNOPQRSTUVWXYZ"))
				abort();
		}
		start = i + 1;
	}
	return 0;
}
