/* verdict: what a checker decides, its exit status in qmail's convention,
 * and the one-line form every checker prints (DESIGN.md, "The filter
 * contract"):  TOOL VERDICT STATUS TEXT */
#ifndef PORTCULLIS_VERDICT_H
#define PORTCULLIS_VERDICT_H
#include <stddef.h>

#define EXIT_PASS        0
#define EXIT_QUARANTINE 99
#define EXIT_REJECT    100
#define EXIT_TEMP      111

/* Ordered from best to worst so that the worst verdict is the maximum. */
enum verdict {
	VERDICT_PASS = 0,
	VERDICT_FLAG,
	VERDICT_QUARANTINE,
	VERDICT_REJECT,
	VERDICT_TEMPFAIL
};

#define VERDICT_TEXT_MAX 400

struct verdict_result {
	enum verdict v;
	char status[16];                   /* RFC 3463, e.g. "5.7.1" */
	char text[VERDICT_TEXT_MAX + 1];   /* printable ASCII only */
};

const char  *verdict_name(enum verdict);
int          verdict_parse(const char *, enum verdict *);
int          verdict_exit(enum verdict);
enum verdict verdict_worst(enum verdict, enum verdict);
void         verdict_set(struct verdict_result *, enum verdict,
	const char *status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void         verdict_raise(struct verdict_result *, enum verdict,
	const char *status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int          verdict_format(char *dst, size_t, const char *tool,
	const struct verdict_result *);

#endif
