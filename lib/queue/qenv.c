/* qenv: envelope files back into a struct envelope (see qenv.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"
#include "qenv.h"
#include "queue.h"

/* An envelope is small: 100 recipients of 256 bytes is 26 KB. */
#define QENV_MAX (4 * 1024 * 1024)

/* One file's bytes; -1 with EINVAL for a file without its F line (a torn
 * or foreign file must never be delivered). */
int
qenv_parse(const char *p, size_t n, struct envelope *e, unsigned *flags)
{
	size_t i = 0, k;
	int have_f = 0;

	memset(e, 0, sizeof *e);
	*flags = 0;
	e->dir = ENV_DIR_IN;
	while (i < n) {
		const char *l = p + i, *nl = memchr(l, '\n', n - i);
		char *v;
		if (nl == NULL)
			break;   /* an unterminated last line: torn, ignore it */
		k = (size_t)(nl - l);
		i += k + 1;
		if (k == 0)
			continue;
		if (l[0] == 'T') {
			if (env_add_rcpt(e, l + 1, k - 1) == -1)
				return -1;
			continue;
		}
		if ((v = strndup(l + 1, k - 1)) == NULL)
			return -1;
		switch (l[0]) {
		case 'Q': free(e->qid); e->qid = v; break;
		case 'I': free(e->ip); e->ip = v; break;
		case 'R': free(e->host); e->host = v; break;
		case 'H': free(e->helo); e->helo = v; break;
		case 'S': free(e->tls); e->tls = v; break;
		case 'F': free(e->sender); e->sender = v; have_f = 1; break;
		case 'D':
			e->dir = strcmp(v, "out") == 0 ? ENV_DIR_OUT : ENV_DIR_IN;
			e->dir_given = 1;
			free(v);
			break;
		case 'B': *flags |= QUEUE_8BITMIME; free(v); break;
		case 'U': *flags |= QUEUE_SMTPUTF8; free(v); break;
		case 'J':
			*flags |= strcmp(v, "quarantine") == 0 ? QUEUE_HOLD :
			    QUEUE_JUDGED;
			free(v);
			break;
		default: free(v);   /* a later version's line: keep going */
		}
	}
	if (!have_f) {
		env_free(e);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
qenv_read(const char *path, struct envelope *e, unsigned *flags)
{
	struct buf b = BUF_INIT;
	char chunk[8192];
	ssize_t r;
	int fd, err;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((r = io_read_some(fd, chunk, sizeof chunk)) > 0)
		if (b.len + (size_t)r > QENV_MAX || buf_add(&b, chunk, (size_t)r) == -1) {
			r = -1;
			errno = EFBIG;
			break;
		}
	err = errno;
	close(fd);
	if (r == -1) {
		buf_free(&b);
		errno = err;
		return -1;
	}
	r = qenv_parse(b.p ? b.p : "", b.len, e, flags);
	buf_free(&b);
	return (int)r;
}
