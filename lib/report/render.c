/* render: the report of a tally, as text and as HTML with SVG charts
 * (see render.h).  Writes into a buffer; the caller prints it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "render.h"

static const char *const dirname_[TALLY_NDIR] = { "in", "out", "other" };

/* The rows of the totals table: a label, a name for the page's cells,
 * and where the counts are. */
struct row {
	const char *label, *name;
	const unsigned long *v;
	const unsigned long long *vb;
};

static size_t
rows(const struct tally *t, struct row *r)
{
	size_t n = 0;

	r[n++] = (struct row){ "received", "received", t->recv, NULL };
	r[n++] = (struct row){ "bytes received", "bytes", NULL, t->bytes };
	r[n++] = (struct row){ "quarantined at the door", "quarantined", t->quar, NULL };
	r[n++] = (struct row){ "refused at the door", "refused", t->refused, NULL };
	r[n++] = (struct row){ "tempfailed at the door", "tempfailed", t->tempfail, NULL };
	r[n++] = (struct row){ "recipients delivered", "delivered", t->deliv, NULL };
	r[n++] = (struct row){ "recipient deferrals", "deferred", t->deferred, NULL };
	r[n++] = (struct row){ "recipients failed for good", "failed", t->failed, NULL };
	return n;
}

static unsigned long long
cell(const struct row *r, int d)
{
	unsigned long long s = 0;
	int i;

	if (d < TALLY_NDIR)
		return r->v ? r->v[d] : r->vb[d];
	for (i = 0; i < TALLY_NDIR; i++)
		s += r->v ? r->v[i] : r->vb[i];
	return s;
}

static void
when(char *out, size_t n, time_t s)
{
	struct tm tm;

	if (s < 0 || gmtime_r(&s, &tm) == NULL)
		snprintf(out, n, "-");
	else
		strftime(out, n, "%Y-%m-%d %H:%M:%SZ", &tm);
}

/* The delay at fraction p of the sorted delays. */
static long
pct(const struct tally *t, double p)
{
	size_t i = (size_t)(p * (double)(t->ndelay - 1) + 0.5);

	return t->delay[i < t->ndelay ? i : t->ndelay - 1];
}

/* The buckets of the delay chart: up to each bound, in seconds. */
static const struct { long max; const char *label; } bucket[] = {
	{ 0, "under 1 s" }, { 9, "1-9 s" }, { 59, "10-59 s" },
	{ 599, "1-10 min" }, { 3599, "10-60 min" }, { -1, "1 h or more" },
};
#define NBUCKET (sizeof bucket / sizeof bucket[0])

static void
buckets(const struct tally *t, unsigned long *b)
{
	size_t i, k;

	memset(b, 0, NBUCKET * sizeof *b);
	for (i = 0; i < t->ndelay; i++) {
		for (k = 0; k + 1 < NBUCKET && t->delay[i] > bucket[k].max; k++)
			;
		b[k]++;
	}
}

/* The sections of top lists: title, map, the columns of n[0] and n[1]
 * (NULL: not shown), and whether bytes are shown. */
struct top {
	const char *id, *title, *c0, *c1;
	const struct tally_map *m;
	int bytes;
};

static size_t
tops(const struct tally *t, struct top *o)
{
	size_t n = 0;

	o[n++] = (struct top){ "senders", "Top senders", "messages", NULL, &t->senders, 1 };
	o[n++] = (struct top){ "clients", "Top clients", "accepted", "refused", &t->clients, 0 };
	o[n++] = (struct top){ "recipients", "Top recipients", "delivered", NULL, &t->rcpts, 0 };
	o[n++] = (struct top){ "rules", "Top spam rules", "messages", NULL, &t->rules, 0 };
	o[n++] = (struct top){ "ends", "Sessions by their end", "sessions", NULL, &t->ends, 0 };
	o[n++] = (struct top){ "deferwhy", "Deferral reasons", "recipients", NULL, &t->deferwhy, 0 };
	o[n++] = (struct top){ "failwhy", "Permanent failures", "recipients", NULL, &t->failwhy, 0 };
	o[n++] = (struct top){ "junk", "Clients let go for misbehaving "
		"(sessions; connections refused)", "sessions", "refused", &t->junk, 0 };
	return n;
}

int
render_text(struct buf *b, const struct tally *t, size_t top)
{
	struct row r[16];
	struct top o[16];
	const struct tally_ent **e;
	char w0[40], w1[40];
	unsigned long bk[NBUCKET];
	size_t nr = rows(t, r), no = tops(t, o), i, k, n;
	int d, h;

	when(w0, sizeof w0, t->first);
	when(w1, sizeof w1, t->last);
	buf_printf(b, "portcullis log report\n\nPeriod: %s to %s\n"
	    "Lines: %lu read, %lu not of the gateway\n\n", w0, w1, t->lines, t->other);
	buf_printf(b, "%-28s %12s %12s %12s %12s\n", "Messages", "in", "out",
	    "other", "total");
	for (i = 0; i < nr; i++) {
		buf_printf(b, "  %-26s", r[i].label);
		for (d = 0; d <= TALLY_NDIR; d++)
			buf_printf(b, " %12llu", cell(&r[i], d));
		buf_addc(b, '\n');
	}
	buf_printf(b, "\nDeliveries deferred: %lu\nBounces sent: %lu\n"
	    "Held for an inside recipient: %lu\nSessions: %lu\n"
	    "Connections refused (too many): %lu\n", t->deferrals, t->bounces,
	    t->held, t->sessions, t->connrefused);

	buf_printf(b, "\nMessages received per hour (UTC)\n  %-6s %8s %8s %8s\n",
	    "hour", "in", "out", "other");
	for (h = 0; h < 24; h++)
		if (t->hour[h][0] + t->hour[h][1] + t->hour[h][2])
			buf_printf(b, "  %02d:00  %8lu %8lu %8lu\n", h, t->hour[h][0],
			    t->hour[h][1], t->hour[h][2]);

	buf_printf(b, "\nVerdicts by stage and reason\n  %8s  %-16s %-11s %s\n",
	    "count", "stage", "verdict", "reason");
	n = tally_sorted(&t->verdicts, &e);
	for (i = 0; i < n; i++) {
		const char *s = e[i]->key, *v = strchr(s, '\t'), *why;
		if (v == NULL || (why = strchr(v + 1, '\t')) == NULL)
			continue;
		buf_printf(b, "  %8lu  %-16.*s %-11.*s %s\n", e[i]->n[0],
		    (int)(v - s), s, (int)(why - v - 1), v + 1, why + 1);
	}
	free(e);

	buf_printf(b, "\nDelays from the door to delivery: %zu messages", t->ndelay);
	if (t->ndelay)
		buf_printf(b, "; seconds: min %ld, median %ld, 90%% %ld, max %ld",
		    t->delay[0], pct(t, 0.5), pct(t, 0.9), t->delay[t->ndelay - 1]);
	buf_addc(b, '\n');
	buckets(t, bk);
	for (k = 0; k < NBUCKET; k++)
		if (bk[k])
			buf_printf(b, "  %-12s %8lu\n", bucket[k].label, bk[k]);

	for (k = 0; k < no; k++) {
		n = tally_sorted(o[k].m, &e);
		buf_printf(b, "\n%s\n  %8s", o[k].title, o[k].c0);
		if (o[k].c1)
			buf_printf(b, " %8.8s", o[k].c1);
		if (o[k].bytes)
			buf_printf(b, " %12s", "bytes");
		buf_addc(b, '\n');
		if (n == 0)
			buf_printf(b, "  none\n");
		for (i = 0; i < n && i < top; i++) {
			buf_printf(b, "  %8lu", e[i]->n[0]);
			if (o[k].c1)
				buf_printf(b, " %8lu", e[i]->n[1]);
			if (o[k].bytes)
				buf_printf(b, " %12llu", e[i]->bytes);
			buf_printf(b, "  %s\n", e[i]->key);
		}
		free(e);
	}
	return 0;
}

/* s with &, <, >, " and ' as entities. */
int
render_html_escape(struct buf *b, const char *s)
{
	int r = 0;

	for (; *s && r == 0; s++)
		switch (*s) {
		case '&': r = buf_adds(b, "&amp;"); break;
		case '<': r = buf_adds(b, "&lt;"); break;
		case '>': r = buf_adds(b, "&gt;"); break;
		case '"': r = buf_adds(b, "&quot;"); break;
		case '\'': r = buf_adds(b, "&#39;"); break;
		default:
			r = buf_addc(b, (unsigned char)*s < 0x20 ? '?' : *s);
		}
	return r;
}

static const char css[] =
	"body{font:14px/1.4 sans-serif;margin:2em;color:#222}"
	"h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}"
	"table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}"
	"td.k,th.k{text-align:left;font-family:monospace}"
	"tr:nth-child(even){background:#f3f3f3}"
	".in{fill:#2b6cb0}.out{fill:#dd6b20}.other{fill:#718096}.dl{fill:#38a169}"
	"svg text{font:11px sans-serif;fill:#444}.key span{padding:0 8px}";

/* Stacked bars of the messages received per hour, one colour each way. */
static void
hour_chart(struct buf *b, const struct tally *t)
{
	unsigned long max = 1, s;
	int h, d;
	double y, ht, scale;

	for (h = 0; h < 24; h++) {
		s = t->hour[h][0] + t->hour[h][1] + t->hour[h][2];
		if (s > max)
			max = s;
	}
	scale = 150.0 / (double)max;
	buf_printf(b, "<svg id=\"hours\" width=\"%d\" height=\"190\" viewBox=\"0 0 %d 190\" "
	    "role=\"img\" aria-label=\"messages received per hour\">", 40 + 24 * 26,
	    40 + 24 * 26);
	buf_printf(b, "<line x1=\"34\" y1=\"160\" x2=\"%d\" y2=\"160\" stroke=\"#999\"/>",
	    40 + 24 * 26);
	buf_printf(b, "<text x=\"30\" y=\"14\" text-anchor=\"end\">%lu</text>"
	    "<text x=\"30\" y=\"160\" text-anchor=\"end\">0</text>", max);
	for (h = 0; h < 24; h++) {
		y = 160;
		for (d = 0; d < TALLY_NDIR; d++) {
			if (t->hour[h][d] == 0)
				continue;
			ht = (double)t->hour[h][d] * scale;
			y -= ht;
			buf_printf(b, "<rect class=\"bar %s\" data-hour=\"%d\" data-dir=\"%s\" "
			    "data-n=\"%lu\" x=\"%d\" y=\"%.2f\" width=\"20\" height=\"%.2f\">"
			    "<title>%02d:00 %s: %lu</title></rect>", dirname_[d], h,
			    dirname_[d], t->hour[h][d], 40 + h * 26, y, ht, h, dirname_[d],
			    t->hour[h][d]);
		}
		if (h % 3 == 0)
			buf_printf(b, "<text x=\"%d\" y=\"176\" text-anchor=\"middle\">%02d</text>",
			    50 + h * 26, h);
	}
	buf_adds(b, "</svg>\n<p class=\"key\"><span style=\"color:#2b6cb0\">&#9632; in</span>"
	    "<span style=\"color:#dd6b20\">&#9632; out</span>"
	    "<span style=\"color:#718096\">&#9632; other</span> (hours in UTC)</p>\n");
}

/* Horizontal bars of the delays, by bucket. */
static void
delay_chart(struct buf *b, const struct tally *t)
{
	unsigned long bk[NBUCKET], max = 1;
	size_t k;
	double w;

	buckets(t, bk);
	for (k = 0; k < NBUCKET; k++)
		if (bk[k] > max)
			max = bk[k];
	buf_printf(b, "<svg id=\"delays\" width=\"520\" height=\"%zu\" viewBox=\"0 0 520 %zu\" "
	    "role=\"img\" aria-label=\"delays from the door to delivery\">",
	    NBUCKET * 22 + 4, NBUCKET * 22 + 4);
	for (k = 0; k < NBUCKET; k++) {
		w = 340.0 * (double)bk[k] / (double)max;
		buf_printf(b, "<text x=\"100\" y=\"%zu\" text-anchor=\"end\">%s</text>"
		    "<rect class=\"dbar dl\" data-bucket=\"%zu\" data-n=\"%lu\" x=\"106\" y=\"%zu\" "
		    "width=\"%.2f\" height=\"16\"/><text x=\"%.2f\" y=\"%zu\">%lu</text>",
		    k * 22 + 15, bucket[k].label, k, bk[k], k * 22 + 3, w,
		    110 + w, k * 22 + 15, bk[k]);
	}
	buf_adds(b, "</svg>\n");
}

int
render_html(struct buf *b, const struct tally *t, size_t top)
{
	struct row r[16];
	struct top o[16];
	const struct tally_ent **e;
	char w0[40], w1[40];
	size_t nr = rows(t, r), no = tops(t, o), i, k, n;
	int d, h;

	when(w0, sizeof w0, t->first);
	when(w1, sizeof w1, t->last);
	buf_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>portcullis log report %s</title><style>%s</style></head><body>\n"
	    "<h1>portcullis log report</h1>\n<p id=\"period\">%s to %s; "
	    "<span id=\"lines\">%lu</span> lines read, %lu not of the gateway</p>\n",
	    w0, css, w0, w1, t->lines, t->other);

	buf_adds(b, "<h2>Messages</h2>\n<table id=\"totals\"><tr><th class=\"k\"></th>"
	    "<th>in</th><th>out</th><th>other</th><th>total</th></tr>\n");
	for (i = 0; i < nr; i++) {
		buf_printf(b, "<tr><th class=\"k\">%s</th>", r[i].label);
		for (d = 0; d <= TALLY_NDIR; d++)
			buf_printf(b, "<td id=\"%s-%s\">%llu</td>", r[i].name,
			    d < TALLY_NDIR ? dirname_[d] : "total", cell(&r[i], d));
		buf_adds(b, "</tr>\n");
	}
	buf_printf(b, "</table>\n<table id=\"counts\">"
	    "<tr><th class=\"k\">deliveries deferred</th><td id=\"deferrals\">%lu</td></tr>"
	    "<tr><th class=\"k\">bounces sent</th><td id=\"bounces\">%lu</td></tr>"
	    "<tr><th class=\"k\">held for an inside recipient</th><td id=\"held\">%lu</td></tr>"
	    "<tr><th class=\"k\">sessions</th><td id=\"sessions\">%lu</td></tr>"
	    "<tr><th class=\"k\">connections refused (too many)</th>"
	    "<td id=\"connrefused\">%lu</td></tr></table>\n", t->deferrals,
	    t->bounces, t->held, t->sessions, t->connrefused);

	buf_adds(b, "<h2>Messages received per hour</h2>\n");
	hour_chart(b, t);
	buf_adds(b, "<table id=\"hourtable\"><tr><th>hour</th><th>in</th><th>out</th>"
	    "<th>other</th></tr>\n");
	for (h = 0; h < 24; h++)
		if (t->hour[h][0] + t->hour[h][1] + t->hour[h][2])
			buf_printf(b, "<tr data-hour=\"%d\"><td>%02d:00</td><td>%lu</td>"
			    "<td>%lu</td><td>%lu</td></tr>\n", h, h, t->hour[h][0],
			    t->hour[h][1], t->hour[h][2]);
	buf_adds(b, "</table>\n");

	buf_adds(b, "<h2>Verdicts by stage and reason</h2>\n<table id=\"verdicts\">"
	    "<tr><th>count</th><th class=\"k\">stage</th><th class=\"k\">verdict</th>"
	    "<th class=\"k\">reason</th></tr>\n");
	n = tally_sorted(&t->verdicts, &e);
	for (i = 0; i < n; i++) {
		char s[512];
		char *v, *why;
		snprintf(s, sizeof s, "%s", e[i]->key);
		if ((v = strchr(s, '\t')) == NULL || (why = strchr(v + 1, '\t')) == NULL)
			continue;
		*v++ = '\0';
		*why++ = '\0';
		buf_printf(b, "<tr><td>%lu</td><td class=\"k\">", e[i]->n[0]);
		render_html_escape(b, s);
		buf_adds(b, "</td><td class=\"k\">");
		render_html_escape(b, v);
		buf_adds(b, "</td><td class=\"k\">");
		render_html_escape(b, why);
		buf_adds(b, "</td></tr>\n");
	}
	free(e);
	buf_adds(b, "</table>\n");

	buf_printf(b, "<h2>Delays from the door to delivery</h2>\n<p id=\"delaysum\">"
	    "<span id=\"ndelay\">%zu</span> messages", t->ndelay);
	if (t->ndelay)
		buf_printf(b, "; seconds: min <span id=\"dmin\">%ld</span>, median "
		    "<span id=\"dmed\">%ld</span>, 90%% <span id=\"d90\">%ld</span>, max "
		    "<span id=\"dmax\">%ld</span>", t->delay[0], pct(t, 0.5), pct(t, 0.9),
		    t->delay[t->ndelay - 1]);
	buf_adds(b, "</p>\n");
	delay_chart(b, t);

	for (k = 0; k < no; k++) {
		n = tally_sorted(o[k].m, &e);
		buf_printf(b, "<h2>%s</h2>\n<table id=\"%s\"><tr><th>%s</th>", o[k].title,
		    o[k].id, o[k].c0);
		if (o[k].c1)
			buf_printf(b, "<th>%s</th>", o[k].c1);
		if (o[k].bytes)
			buf_adds(b, "<th>bytes</th>");
		buf_adds(b, "<th class=\"k\"></th></tr>\n");
		for (i = 0; i < n && i < top; i++) {
			buf_printf(b, "<tr><td>%lu</td>", e[i]->n[0]);
			if (o[k].c1)
				buf_printf(b, "<td>%lu</td>", e[i]->n[1]);
			if (o[k].bytes)
				buf_printf(b, "<td>%llu</td>", e[i]->bytes);
			buf_adds(b, "<td class=\"k\">");
			render_html_escape(b, e[i]->key);
			buf_adds(b, "</td></tr>\n");
		}
		free(e);
		buf_adds(b, "</table>\n");
	}
	return buf_adds(b, "</body></html>\n");
}
