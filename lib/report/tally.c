/* tally: count what the log says (see tally.h).  The lines are the
 * gateway's own, but parts of them came from strangers (addresses, a
 * remote server's reply): every name is a key of bounded length, and
 * nothing is trusted to be in order or present. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tally.h"

#define KEY_MAX 200

void
tally_init(struct tally *t)
{
	memset(t, 0, sizeof *t);
	t->first = t->last = -1;
}

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int
rehash(struct tally_map *m, size_t icap)
{
	size_t *idx = calloc(icap, sizeof *idx), i, j;

	if (idx == NULL)
		return -1;
	for (i = 0; i < m->n; i++) {
		for (j = hash(m->e[i].key) & (icap - 1); idx[j]; j = (j + 1) & (icap - 1))
			;
		idx[j] = i + 1;
	}
	free(m->idx);
	m->idx = idx;
	m->icap = icap;
	return 0;
}

/* The entry of key (cut at KEY_MAX bytes), made when create is set;
 * NULL when absent, or out of memory.  Valid until the next insert. */
struct tally_ent *
tally_get(struct tally_map *m, const char *key, int create)
{
	char k[KEY_MAX + 1];
	size_t j;
	struct tally_ent *e;

	snprintf(k, sizeof k, "%s", key);
	if (m->icap) {
		for (j = hash(k) & (m->icap - 1); m->idx[j]; j = (j + 1) & (m->icap - 1))
			if (strcmp(m->e[m->idx[j] - 1].key, k) == 0)
				return &m->e[m->idx[j] - 1];
	}
	if (!create)
		return NULL;
	if ((m->n + 1) * 2 > m->icap && rehash(m, m->icap ? m->icap * 2 : 64) == -1)
		return NULL;
	if (m->n == m->cap) {
		size_t c = m->cap ? m->cap * 2 : 32;
		struct tally_ent *ne = reallocarray(m->e, c, sizeof *ne);
		if (ne == NULL)
			return NULL;
		m->e = ne;
		m->cap = c;
	}
	e = &m->e[m->n];
	memset(e, 0, sizeof *e);
	e->dir = -1;
	e->t = e->tdone = -1;
	if ((e->key = strdup(k)) == NULL)
		return NULL;
	for (j = hash(k) & (m->icap - 1); m->idx[j]; j = (j + 1) & (m->icap - 1))
		;
	m->idx[j] = ++m->n;
	return e;
}

static void
map_free(struct tally_map *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->e[i].key);
		free(m->e[i].list);
	}
	free(m->e);
	free(m->idx);
	memset(m, 0, sizeof *m);
}

void
tally_free(struct tally *t)
{
	struct tally_map *m[] = { &t->ends, &t->verdicts, &t->senders,
		&t->clients, &t->rcpts, &t->rules, &t->deferwhy, &t->failwhy,
		&t->junk, &t->qids, &t->workers };
	size_t i;

	for (i = 0; i < sizeof m / sizeof m[0]; i++)
		map_free(m[i]);
	free(t->door);
	free(t->delay);
	memset(t, 0, sizeof *t);
}

/* n[0] of key up by a, n[1] by b. */
static int
count(struct tally_map *m, const char *key, unsigned long a, unsigned long b,
    unsigned long long bytes)
{
	struct tally_ent *e = tally_get(m, key, 1);

	if (e == NULL)
		return -1;
	e->n[0] += a;
	e->n[1] += b;
	e->bytes += bytes;
	return 0;
}

/* A reason or a reply as a key that groups alike ones: runs of digits
 * become '#' (scores, counts, ids), the spam rules' list goes (they are
 * counted apart), at most n - 1 bytes. */
void
tally_norm(const char *in, char *out, size_t n)
{
	size_t o = 0;
	const char *end = strstr(in, " tests=");

	if (n == 0)
		return;
	if (end == NULL)
		end = in + strlen(in);
	while (in < end && o + 1 < n) {
		if (*in >= '0' && *in <= '9') {
			while (in < end && *in >= '0' && *in <= '9')
				in++;
			out[o++] = '#';
		} else
			out[o++] = *in++;
	}
	out[o] = '\0';
	if (o == 0)
		snprintf(out, n, "-");
}

static int
dir_of(const char *d)
{
	if (d && strcmp(d, "in") == 0)
		return TALLY_IN;
	if (d && strcmp(d, "out") == 0)
		return TALLY_OUT;
	return TALLY_OTHER;
}

/* A message at the door, now that its direction is known. */
static void
door_count(struct tally *t, const struct tally_door *d, int dir)
{
	if (d->qid != (size_t)-1)
		t->qids.e[d->qid].dir = dir;
	switch (d->verdict) {
	case 'q':
		t->quar[dir]++;
		/* FALLTHROUGH */
	case 'a':
		t->recv[dir]++;
		t->bytes[dir] += d->bytes;
		if (d->hour >= 0)
			t->hour[d->hour][dir]++;
		break;
	case 'r':
		t->refused[dir]++;
		break;
	default:
		t->tempfail[dir]++;
		break;
	}
}

static int
hour_of(time_t s)
{
	return s < 0 ? -1 : (int)((s % 86400) / 3600);
}

/* smtpd-accept: a message at the door, or the end of a session. */
static int
door_line(struct tally *t, const struct logline *l, const char *qid)
{
	const char *v = logline_get(l, "verdict"), *ip = logline_get(l, "ip"),
	    *from = logline_get(l, "from"), *why = logline_get(l, "reason"),
	    *b = logline_get(l, "bytes"), *end = logline_get(l, "end");
	char key[KEY_MAX * 2], nk[120];
	struct tally_ent *w, *q;
	struct tally_door d;
	size_t i, *nl;

	snprintf(key, sizeof key, "%s[%s]", l->prog, l->pid);
	if (qid == NULL) {
		/* the end of a session: its messages' direction */
		if (end == NULL)
			return 0;
		t->sessions++;
		if (count(&t->ends, end, 1, 0, 0) == -1)
			return -1;
		if ((strcmp(end, "errors") == 0 || strcmp(end, "pregreet") == 0 ||
		    strcmp(end, "http") == 0 || strcmp(end, "bare-newline") == 0) &&
		    count(&t->junk, ip ? ip : "-", 1, 0, 0) == -1)
			return -1;
		if ((w = tally_get(&t->workers, key, 0)) != NULL) {
			for (i = 0; i < w->nlist; i++)
				door_count(t, &t->door[w->list[i]], dir_of(logline_get(l, "dir")));
			w->nlist = 0;
		}
		return 0;
	}
	if (v == NULL)
		return 0;
	memset(&d, 0, sizeof d);
	d.qid = (size_t)-1;
	d.verdict = strcmp(v, "accepted") == 0 ? 'a' : strcmp(v, "quarantined") == 0 ?
	    'q' : strcmp(v, "refused") == 0 ? 'r' : 't';
	d.hour = hour_of(l->t);
	d.bytes = b ? strtoul(b, NULL, 10) : 0;
	if (strcmp(qid, "-") != 0 && (d.verdict == 'a' || d.verdict == 'q')) {
		if ((q = tally_get(&t->qids, qid, 1)) == NULL)
			return -1;
		q->t = l->t;
		d.qid = (size_t)(q - t->qids.e);
	}
	if (d.verdict == 'a' || d.verdict == 'q') {
		if (count(&t->senders, from ? from : "<>", 1, 0, d.bytes) == -1 ||
		    count(&t->clients, ip ? ip : "-", 1, 0, d.bytes) == -1)
			return -1;
	} else {
		if (count(&t->clients, ip ? ip : "-", 0, 1, 0) == -1)
			return -1;
		tally_norm(why ? why : "-", nk, sizeof nk);
		snprintf(key, sizeof key, "door\t%s\t%s", d.verdict == 'r' ?
		    "refused" : "tempfail", nk);
		if (count(&t->verdicts, key, 1, 0, 0) == -1)
			return -1;
		snprintf(key, sizeof key, "%s[%s]", l->prog, l->pid);
	}
	if (t->ndoor == t->capdoor) {
		size_t c = t->capdoor ? t->capdoor * 2 : 64;
		struct tally_door *nd = reallocarray(t->door, c, sizeof *nd);
		if (nd == NULL)
			return -1;
		t->door = nd;
		t->capdoor = c;
	}
	t->door[t->ndoor++] = d;
	if ((w = tally_get(&t->workers, key, 1)) == NULL ||
	    (nl = reallocarray(w->list, w->nlist + 1, sizeof *nl)) == NULL)
		return -1;
	w->list = nl;
	w->list[w->nlist++] = t->ndoor - 1;
	return 0;
}

/* A server's reply as a key: its codes as they are ("451 4.2.0"), the
 * text after them as tally_norm makes it. */
static void
reply_norm(const char *r, char *out, size_t n)
{
	size_t k = strspn(r, "0123456789");

	if (k == 3 && r[3] == ' ') {
		k = 4 + strspn(r + 4, "0123456789.");
		if (r[k] == ' ')
			k++;
		if (k + 1 < n) {
			memcpy(out, r, k);
			tally_norm(r + k, out + k, n - k);
			return;
		}
	}
	tally_norm(r, out, n);
}

/* relay-out: one line per recipient. */
static int
relay_line(struct tally *t, const struct logline *l, const char *qid)
{
	const char *r = logline_get(l, "result"), *rcpt = logline_get(l, "rcpt"),
	    *reply = logline_get(l, "reply");
	char nk[120];
	struct tally_ent *q;

	if (r == NULL || rcpt == NULL)
		return 0;
	/* counted by direction at the end: the door's line of this
	 * message may come later in the log */
	if ((q = tally_get(&t->qids, qid ? qid : "-", 1)) == NULL)
		return -1;
	reply_norm(reply ? reply : "-", nk, 80);
	if (r[0] == 'r') {
		q->deliv++;
		return count(&t->rcpts, rcpt, 1, 0, 0);
	}
	if (r[0] == 'h') {
		q->failed++;
		return count(&t->failwhy, nk, 1, 0, 0);
	}
	q->deferred++;
	return count(&t->deferwhy, nk, 1, 0, 0);
}

static int
add_delay(struct tally *t, long s)
{
	if (t->ndelay == t->capdelay) {
		size_t c = t->capdelay ? t->capdelay * 2 : 64;
		long *nd = reallocarray(t->delay, c, sizeof *nd);
		if (nd == NULL)
			return -1;
		t->delay = nd;
		t->capdelay = c;
	}
	t->delay[t->ndelay++] = s;
	return 0;
}

/* The supervisor: connections refused, deliveries done and deferred,
 * bounces, verdicts after the queue. */
static int
super_line(struct tally *t, const struct logline *l, const char *qid)
{
	const char *dl = logline_get(l, "delivery"), *v = logline_get(l, "verdict"),
	    *why = logline_get(l, "reason");
	char nk[120], key[KEY_MAX * 2];
	struct tally_ent *q;

	if (qid == NULL) {
		if (strstr(l->text, " refused: too many connections")) {
			t->connrefused++;
			return count(&t->junk, logline_get(l, "ip") ?
			    logline_get(l, "ip") : "-", 0, 1, 0);
		}
		return 0;
	}
	if (logline_get(l, "bounce")) {
		t->bounces++;
		return 0;
	}
	if (logline_get(l, "held")) {
		t->held++;
		return 0;
	}
	if (dl && strcmp(dl, "deferred") == 0) {
		t->deferrals++;
		/* the relay-out lines gave the reasons of "left=N" */
		if (why) {
			tally_norm(why, nk, 80);
			return count(&t->deferwhy, nk, 1, 0, 0);
		}
		return 0;
	}
	if (dl && strcmp(dl, "done") == 0) {
		if ((q = tally_get(&t->qids, qid, 1)) == NULL)
			return -1;
		q->tdone = l->t;
		return 0;
	}
	/* a verdict after the queue; "at=door" repeats the door's */
	if (v && logline_get(l, "at") == NULL) {
		tally_norm(why ? why : "-", nk, sizeof nk);
		snprintf(key, sizeof key, "after-queue\t%s\t%s", v, nk);
		return count(&t->verdicts, key, 1, 0, 0);
	}
	return 0;
}

/* A stage's verdict, and the rules spam-score names. */
static int
stage_line(struct tally *t, const struct logline *l)
{
	const char *v = logline_get(l, "verdict"), *why = logline_get(l, "reason"),
	    *tests;
	char nk[120], key[KEY_MAX * 2], rule[KEY_MAX + 1];
	size_t n;

	if (v == NULL)
		return 0;
	tally_norm(why ? why : "-", nk, sizeof nk);
	snprintf(key, sizeof key, "%s\t%s\t%s", l->prog, v, nk);
	if (count(&t->verdicts, key, 1, 0, 0) == -1)
		return -1;
	if (why == NULL || (tests = strstr(why, "tests=")) == NULL)
		return 0;
	for (tests += 6; *tests && *tests != ' '; tests += *tests == ',') {
		n = strcspn(tests, ", ");
		if (n > 0 && n < sizeof rule) {
			memcpy(rule, tests, n);
			rule[n] = '\0';
			if (strcmp(rule, "none") != 0 &&
			    count(&t->rules, rule, 1, 0, 0) == -1)
				return -1;
		}
		tests += n;
	}
	return 0;
}

/* One line.  0, or -1 out of memory. */
int
tally_line(struct tally *t, const struct logline *l)
{
	const char *qid = logline_get(l, "qid");

	t->lines++;
	if (l->t >= 0) {
		if (t->first < 0 || l->t < t->first)
			t->first = l->t;
		if (l->t > t->last)
			t->last = l->t;
	}
	if (strcmp(l->prog, "smtpd-accept") == 0)
		return door_line(t, l, qid);
	if (strcmp(l->prog, "relay-out") == 0)
		return relay_line(t, l, qid);
	if (strcmp(l->prog, "portcullis") == 0)
		return super_line(t, l, qid);
	if (qid)
		return stage_line(t, l);
	return 0;
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* The end of the log: messages whose session never ended in it are
 * counted without a direction; the delays sorted. */
int
tally_finish(struct tally *t)
{
	size_t i, k;

	for (i = 0; i < t->workers.n; i++) {
		struct tally_ent *w = &t->workers.e[i];
		for (k = 0; k < w->nlist; k++)
			door_count(t, &t->door[w->list[k]], TALLY_OTHER);
		w->nlist = 0;
	}
	/* recipients by the direction of their message; the delay of
	 * each message the door took and delivery finished */
	for (i = 0; i < t->qids.n; i++) {
		struct tally_ent *q = &t->qids.e[i];
		int d = q->dir >= 0 ? q->dir : TALLY_OTHER;
		t->deliv[d] += q->deliv;
		t->failed[d] += q->failed;
		t->deferred[d] += q->deferred;
		if (q->t >= 0 && q->tdone >= q->t &&
		    add_delay(t, (long)(q->tdone - q->t)) == -1)
			return -1;
	}
	if (t->ndelay)
		qsort(t->delay, t->ndelay, sizeof *t->delay, cmp_long);
	return 0;
}

static int
cmp_ent(const void *a, const void *b)
{
	const struct tally_ent *x = *(const struct tally_ent *const *)a,
	    *y = *(const struct tally_ent *const *)b;

	if (x->n[0] != y->n[0])
		return x->n[0] < y->n[0] ? 1 : -1;
	if (x->n[1] != y->n[1])
		return x->n[1] < y->n[1] ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* The entries, most first; *out to free.  The count, or 0 (out of memory
 * too: the section is then empty). */
size_t
tally_sorted(const struct tally_map *m, const struct tally_ent ***out)
{
	size_t i;

	*out = NULL;
	if (m->n == 0 || (*out = calloc(m->n, sizeof **out)) == NULL)
		return 0;
	for (i = 0; i < m->n; i++)
		(*out)[i] = &m->e[i];
	qsort(*out, m->n, sizeof **out, cmp_ent);
	return m->n;
}
