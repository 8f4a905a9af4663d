/* verdict: names, exit codes and the verdict line shared by every checker. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "verdict.h"

static const char *const names[] = {
	"pass", "flag", "quarantine", "reject", "tempfail"
};

const char *
verdict_name(enum verdict v)
{
	return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "tempfail";
}

/* Name to verdict; -1 for an unknown word. */
int
verdict_parse(const char *s, enum verdict *v)
{
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i]) == 0) {
			*v = (enum verdict)i;
			return 0;
		}
	return -1;
}

/* The exit status that carries a verdict (DESIGN.md): flag delivers, so 0. */
int
verdict_exit(enum verdict v)
{
	switch (v) {
	case VERDICT_PASS:
	case VERDICT_FLAG:       return EXIT_PASS;
	case VERDICT_QUARANTINE: return EXIT_QUARANTINE;
	case VERDICT_REJECT:     return EXIT_REJECT;
	default:                 return EXIT_TEMP;
	}
}

enum verdict
verdict_worst(enum verdict a, enum verdict b)
{
	return a > b ? a : b;
}

static void
vset(struct verdict_result *r, enum verdict v, const char *status,
    const char *fmt, va_list ap)
{
	char raw[VERDICT_TEXT_MAX + 1];

	r->v = v;
	snprintf(r->status, sizeof r->status, "%s", status);
	vsnprintf(raw, sizeof raw, fmt, ap);
	/* TEXT is printable ASCII only: it ends up in SMTP replies. */
	log_clean(r->text, sizeof r->text, raw, strlen(raw));
}

/* Set the result whatever it was. */
void
verdict_set(struct verdict_result *r, enum verdict v, const char *status,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(r, v, status, fmt, ap);
	va_end(ap);
}

/* Set the result only if v is worse than what it holds (first reason of
 * the worst verdict wins). */
void
verdict_raise(struct verdict_result *r, enum verdict v, const char *status,
    const char *fmt, ...)
{
	va_list ap;

	if (v < r->v || (v == r->v && r->text[0] != '\0'))
		return;
	va_start(ap, fmt);
	vset(r, v, status, fmt, ap);
	va_end(ap);
}

/* "TOOL VERDICT STATUS TEXT" into dst; returns its length, or -1 if cut. */
int
verdict_format(char *dst, size_t n, const char *tool,
    const struct verdict_result *r)
{
	int w;

	w = snprintf(dst, n, "%s %s %s %s", tool, verdict_name(r->v),
	    r->status[0] ? r->status : "2.0.0", r->text[0] ? r->text : "ok");
	return (w < 0 || (size_t)w >= n) ? -1 : w;
}
