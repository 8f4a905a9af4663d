/* qlist: list lines of queued messages (see qlist.h).  Runs under any
 * uid. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "qadmin.h"
#include "qlist.h"

/* Seconds as people read them: 45s, 12m, 3h, 2d. */
const char *
qlist_span(time_t s, char *b, size_t n)
{
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(b, n, "%llds", (long long)s);
	else if (s < 7200)
		snprintf(b, n, "%lldm", (long long)s / 60);
	else if (s < 172800)
		snprintf(b, n, "%lldh", (long long)s / 3600);
	else
		snprintf(b, n, "%lldd", (long long)s / 86400);
	return b;
}

/* Whether a stage's messages are tried (and so have a next try). */
int
qlist_tried(const char *stage)
{
	return strcmp(stage, "incoming") == 0 || strcmp(stage, "outgoing") == 0;
}

/* Untrusted text, cut at max bytes, as printable ASCII. */
static int
clean(struct buf *b, const char *s, size_t max)
{
	char c[1024];

	log_clean(c, sizeof c, s ? s : "", strnlen(s ? s : "", max));
	return buf_adds(b, c);
}

static int
line_json(const struct qadmin_msg *m, time_t now, struct buf *b)
{
	time_t next = m->have_sched ? m->sched.next : 0;
	size_t i;
	int r = 0;

	r |= buf_adds(b, "{\"id\":");
	r |= json_str(b, m->id, strlen(m->id));
	r |= buf_adds(b, ",\"stage\":");
	r |= json_str(b, m->stage, strlen(m->stage));
	r |= buf_printf(b, ",\"size\":%lld,\"arrival\":%lld,\"age\":%lld",
	    (long long)m->size, (long long)m->arrived,
	    (long long)(now - m->arrived));
	if (m->have_env) {
		r |= buf_printf(b, ",\"direction\":\"%s\",\"sender\":",
		    env_dir_name(m->env.dir));
		r |= json_str(b, m->env.sender, strlen(m->env.sender));
		r |= buf_adds(b, ",\"recipients\":[");
		for (i = 0; i < m->env.nrcpt; i++) {
			if (i)
				r |= buf_addc(b, ',');
			r |= json_str(b, m->env.rcpt[i], strlen(m->env.rcpt[i]));
		}
		r |= buf_addc(b, ']');
	}
	r |= buf_printf(b, ",\"tries\":%u", m->have_sched ? m->sched.tries : 0);
	if (qlist_tried(m->stage))
		r |= buf_printf(b, ",\"next\":%lld", (long long)(next > now ? next : now));
	if (m->reason[0]) {
		r |= buf_adds(b, ",\"reason\":");
		r |= json_str(b, m->reason, strlen(m->reason));
	}
	r |= buf_adds(b, "}\n");
	return r ? -1 : 0;
}

/* One message, one line into b:
 *   ID STAGE size=N age=AGE from=<S> rcpts=N to=R1,R2,R3,+M tries=N
 *   next=now|+AGE reason=TEXT
 * with -j (json) one JSON object instead. */
int
qlist_line(const struct qadmin_msg *m, time_t now, int json, struct buf *b)
{
	char a[32];
	time_t next = m->have_sched ? m->sched.next : 0;
	size_t i;
	int r = 0;

	if (json)
		return line_json(m, now, b);
	r |= buf_printf(b, "%s %s size=%lld age=%s", m->id, m->stage,
	    (long long)m->size, qlist_span(now - m->arrived, a, sizeof a));
	if (m->have_env) {
		r |= buf_adds(b, " from=<");
		r |= clean(b, m->env.sender, 300);
		r |= buf_printf(b, "> rcpts=%zu to=", m->env.nrcpt);
		for (i = 0; i < m->env.nrcpt && i < 3; i++) {
			if (i)
				r |= buf_addc(b, ',');
			r |= clean(b, m->env.rcpt[i], 300);
		}
		if (m->env.nrcpt > 3)
			r |= buf_printf(b, ",+%zu", m->env.nrcpt - 3);
	} else
		r |= buf_adds(b, " envelope=missing");
	r |= buf_printf(b, " tries=%u", m->have_sched ? m->sched.tries : 0);
	if (qlist_tried(m->stage))
		r |= next > now ? buf_printf(b, " next=+%s",
		    qlist_span(next - now, a, sizeof a)) : buf_adds(b, " next=now");
	/* free text last, as in every line of ours */
	if (m->reason[0]) {
		r |= buf_adds(b, " reason=");
		r |= clean(b, m->reason, sizeof m->reason);
	}
	r |= buf_addc(b, '\n');
	return r ? -1 : 0;
}
