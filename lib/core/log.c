/* log: stderr messages in one grammar (see log.h).  log_fatal only prints:
 * the caller in cmd/ decides the exit status. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char *prog = "portcullis";
static int stamp;   /* each line begins with the time (log_init) */
static char detail[512];   /* log_detail's words, for detail_err */
static int detail_err;

/* Remember the program's name (its basename) for every message. */
void
log_init(const char *argv0)
{
	const char *s;

	const char *t = getenv("PORTCULLIS_LOGTIME");

	stamp = t && strcmp(t, "1") == 0;
	if (argv0 == NULL || *argv0 == '\0')
		return;
	s = strrchr(argv0, '/');
	prog = s ? s + 1 : argv0;
}

const char *
log_prog(void)
{
	return prog;
}

static void
vlog(const char *level, int err, const char *fmt, va_list ap)
{
	char msg[1024], when[32] = "";
	struct tm tm;
	time_t now;

	vsnprintf(msg, sizeof msg, fmt, ap);
	/* ISO 8601 in UTC, when no journal or syslog stamps the line */
	if (stamp && (now = time(NULL)) != (time_t)-1 && gmtime_r(&now, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ ", &tm);
	if (err && err == detail_err) {
		fprintf(stderr, "%s%s: %s%s: %s\n", when, prog, level, msg, detail);
		detail_err = 0;
	} else if (err)
		fprintf(stderr, "%s%s: %s%s: %s\n", when, prog, level, msg,
		    strerror(err));
	else
		fprintf(stderr, "%s%s: %s%s\n", when, prog, level, msg);
}

void
log_detail(int err, const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	detail_err = err;
	errno = e;
}

/* The words for err: log_detail's, once, when they are for it; else
 * strerror's.  For a caller that puts the reason into text of its own
 * (a verdict's reason, an error string) rather than a log line. */
const char *
log_errtext(int err)
{
	if (err && err == detail_err) {
		detail_err = 0;
		return detail;
	}
	return strerror(err);
}

/* A fatal error: "prog: fatal: MSG[: strerror(err)]". */
void
log_fatal(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("fatal: ", err, fmt, ap);
	va_end(ap);
}

void
log_warn(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", err, fmt, ap);
	va_end(ap);
}

/* The one line per message: "prog: key=value ...". */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", 0, fmt, ap);
	va_end(ap);
}

/* Copy n bytes of untrusted text into dst as printable ASCII: anything
 * else, NUL included, becomes '?'.  Always terminates dst; returns the
 * length written. */
size_t
log_clean(char *dst, size_t dstsize, const char *src, size_t n)
{
	size_t i, o = 0;
	unsigned char c;

	if (dstsize == 0)
		return 0;
	for (i = 0; i < n && o + 1 < dstsize; i++) {
		c = (unsigned char)src[i];
		dst[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[o] = '\0';
	return o;
}
