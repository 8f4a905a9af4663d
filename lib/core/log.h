/* log: the one message grammar of every tool, on stderr:
 *   prog: fatal: unable to read rules: No such file or directory
 *   prog: warning: ...
 *   prog: qid=... verdict=... reason=...     (log_info, one per message)
 * Text that came from outside is cleaned before it is printed.  With
 * PORTCULLIS_LOGTIME=1 in the environment (the supervisor sets it for
 * itself and everything it starts unless journald or syslog takes its
 * output) each line begins with the time, "2026-12-02T11:47:15Z ". */
#ifndef PORTCULLIS_LOG_H
#define PORTCULLIS_LOG_H
#include <stddef.h>

void        log_init(const char *argv0);
const char *log_prog(void);
void        log_fatal(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void        log_warn(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void        log_info(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
size_t      log_clean(char *dst, size_t dstsize, const char *src, size_t n);
/* A library's own words for the error it is about to return (a control
 * file's name, line and bounds, say): the next log_fatal or log_warn given
 * that error number prints them instead of strerror's text, once.  The
 * library records; only cmd/ prints. */
void        log_detail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *log_errtext(int err);

#endif
