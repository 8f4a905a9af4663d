/* msg: bounded reading of one message and the split into its parts.
 * Distrusts every byte it reads; runs under whatever uid the tool has. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "msg.h"

/* Find the end of the header section: the first empty line, with either
 * line end.  Sets hdr_len, body_off and has_sep. */
void
msg_split(struct msg *m)
{
	const char *p = m->raw.p ? m->raw.p : "";
	size_t n = m->raw.len, i;

	m->from_len = 0;
	/* "From : x" is a From field with obsolete white space before the
	 * colon (RFC 5322 4.5), not an mbox line: readers show it as the
	 * sender, so it must not be skipped. */
	if (n >= 5 && memcmp(p, "From ", 5) == 0 &&
	    p[5 + strspn(p + 5, " \t")] != ':') {
		const char *nl = memchr(p, '\n', n);
		m->from_len = nl ? (size_t)(nl - p) + 1 : n;
	}
	m->hdr_off = m->from_len;
	m->crlf = 0;
	{
		const char *nl = memchr(p + m->hdr_off, '\n', n - m->hdr_off);
		if (nl && nl > p + m->hdr_off && nl[-1] == '\r')
			m->crlf = 1;
	}
	m->has_sep = 0;
	m->hdr_len = n - m->hdr_off;
	m->body_off = n;
	/* An empty line at the very start means no header section at all. */
	for (i = m->hdr_off; i < n; ) {
		size_t eol = i;
		while (eol < n && p[eol] != '\n')
			eol++;
		if ((eol == i) || (eol == i + 1 && p[i] == '\r')) {
			if (eol < n) {
				m->has_sep = 1;
				m->hdr_len = i - m->hdr_off;
				m->body_off = eol + 1;
			}
			break;
		}
		i = eol < n ? eol + 1 : n;
	}
}

/* Read fd to its end, keeping at most max bytes.  Returns 0, or -1 with
 * errno: EFBIG when the message is larger than max (m->truncated is set and
 * raw holds the first max bytes, so that a caller can still pass the whole
 * message on by copying the rest of fd). */
int
msg_read_fd(int fd, size_t max, struct msg *m)
{
	ssize_t r;

	memset(m, 0, sizeof *m);
	for (;;) {
		size_t room;
		if (buf_grow(&m->raw, 65536) == -1)
			return -1;
		room = m->raw.cap - m->raw.len - 1;
		if (m->raw.len + room > max + 1)
			room = max + 1 - m->raw.len;
		r = io_read_some(fd, m->raw.p + m->raw.len, room);
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		m->raw.len += (size_t)r;
		if (m->raw.len > max) {
			/* the byte past the cap stays: a caller that passes an
			 * oversized message through copies raw and then the rest
			 * of fd, and must not lose it */
			m->raw.p[m->raw.len] = '\0';
			m->truncated = 1;
			msg_split(m);
			errno = EFBIG;
			return -1;
		}
	}
	m->raw.p[m->raw.len] = '\0';
	msg_split(m);
	return 0;
}

/* Read the message in a file; as msg_read_fd. */
int
msg_read_file(const char *path, size_t max, struct msg *m)
{
	int fd, rc, e;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		memset(m, 0, sizeof *m);
		return -1;
	}
	rc = msg_read_fd(fd, max, m);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* A message from memory (tests, fuzzing, and the MIME walker's parts). */
int
msg_from_mem(const void *p, size_t n, struct msg *m)
{
	memset(m, 0, sizeof *m);
	if (buf_add(&m->raw, p, n) == -1 || buf_grow(&m->raw, 0) == -1)
		return -1;
	msg_split(m);
	return 0;
}

/* The line end this message uses, for lines we add to it. */
const char *
msg_eol(const struct msg *m)
{
	return m->crlf ? "\r\n" : "\n";
}

void
msg_free(struct msg *m)
{
	buf_free(&m->raw);
	memset(m, 0, sizeof *m);
}
