/* log-report: the day's summary of the gateway's log, as pflogsumm gives
 * for Postfix: messages by direction and hour, the door's refusals,
 * every stage's verdicts by reason, the top senders, clients, recipients
 * and spam rules, deliveries, deferrals, bounces and the delays from the
 * door to delivery; as text for mail, or with -H as one HTML page with
 * SVG charts.  Reads log files (or standard input) that strangers had a
 * hand in: each line is cut at 4 KiB, and every name is escaped in the
 * page.  Runs as the administrator; needs nothing of the gateway's. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "io.h"
#include "log.h"
#include "logline.h"
#include "render.h"
#include "sandbox.h"
#include "tally.h"
#include "verdict.h"

static void
usage(void)
{
	fprintf(stderr, "usage: log-report [-H] [-n top] [-d YYYY-MM-DD] [file ...]\n");
}

/* Every line of f into the tally; lines of another day than day (when
 * set: "YYYY-MM-DD") are left out.  0, or -1 (logged). */
static int
one(FILE *f, const char *name, struct tally *t, const char *day)
{
	static char line[LOGLINE_MAX + 2];
	static struct logline l;
	char d[16];
	struct tm tm;
	size_t n;

	while (fgets(line, sizeof line, f) != NULL) {
		n = strlen(line);
		/* a longer line: its rest is skipped */
		if (n && line[n - 1] != '\n' && !feof(f)) {
			int c;
			while ((c = getc(f)) != EOF && c != '\n')
				;
		}
		if (logline_parse(line, n, &l) == -1) {
			t->lines++;
			t->other++;
			continue;
		}
		if (day && (l.t < 0 || gmtime_r(&l.t, &tm) == NULL ||
		    strftime(d, sizeof d, "%Y-%m-%d", &tm) == 0 || strcmp(d, day) != 0))
			continue;
		if (tally_line(t, &l) == -1) {
			log_fatal(errno, "unable to count %s", name);
			return -1;
		}
	}
	if (ferror(f)) {
		log_fatal(errno, "unable to read %s", name);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct tally t;
	struct buf out = BUF_INIT;
	const char *day = NULL;
	unsigned long top = 10;
	char *end;
	int ch, html = 0, i, rc = EXIT_PASS;
	FILE *f;

	log_init(argv[0]);
	while ((ch = getopt(argc, argv, "Hn:d:h")) != -1) {
		if (ch == 'H')
			html = 1;
		else if (ch == 'n' && (top = strtoul(optarg, &end, 10)) > 0 &&
		    *end == '\0' && top <= 100000)
			continue;
		else if (ch == 'd' && strlen(optarg) == 10 && optarg[4] == '-' &&
		    optarg[7] == '-')
			day = optarg;
		else {
			usage();
			return ch == 'h' ? EXIT_PASS : EXIT_TEMP;
		}
	}
	tally_init(&t);
	if (optind == argc && one(stdin, "standard input", &t, day) == -1)
		rc = EXIT_TEMP;
	for (i = optind; i < argc && rc == EXIT_PASS; i++) {
		if ((f = fopen(argv[i], "r")) == NULL) {
			log_fatal(errno, "unable to open %s", argv[i]);
			rc = EXIT_TEMP;
			break;
		}
		if (one(f, argv[i], &t, day) == -1)
			rc = EXIT_TEMP;
		fclose(f);
	}
	if (rc == EXIT_PASS && (tally_finish(&t) == -1 ||
	    (html ? render_html(&out, &t, top) : render_text(&out, &t, top)) == -1)) {
		log_fatal(errno, "unable to write the report");
		rc = EXIT_TEMP;
	}
	if (rc == EXIT_PASS && io_write_all(1, out.p, out.len) == -1) {
		log_fatal(errno, "unable to write the report");
		rc = EXIT_TEMP;
	}
	buf_free(&out);
	tally_free(&t);
	return rc;
}
