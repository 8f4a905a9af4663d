/* relay: one transaction (see relay.h).  The server's replies are
 * untrusted: smtpc cleans them; here each one only decides a result. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dane.h"
#include "relay.h"
#include "smtpc.h"

int
relay_parse_tls(const char *s, enum relay_tls *t)
{
	static const char *const n[] = { "none", "may", "encrypt", "verify" };
	size_t i;

	for (i = 0; i < sizeof n / sizeof n[0]; i++)
		if (strcmp(s, n[i]) == 0) {
			*t = (enum relay_tls)i;
			return 0;
		}
	errno = EINVAL;
	return -1;
}

/* 1 when s is 7-bit ASCII only. */
int
relay_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* What of the message needs SMTPUTF8: the sender's address, or 8-bit
 * bytes in the header section (RFC 6532 headers; an 8-bit body needs
 * only 8BITMIME).  The recipients are checked per transaction. */
unsigned
relay_utf8_need(const char *sender, const char *msg, size_t len)
{
	unsigned need = relay_ascii(sender) ? 0 : RELAY_UTF8_SENDER;
	size_t i;

	if (len && (msg[0] == '\n' || (msg[0] == '\r' && len > 1 && msg[1] == '\n')))
		return need;   /* no header section */
	for (i = 0; i < len; i++) {
		if (msg[i] == '\n' && (i + 1 == len || msg[i + 1] == '\n' ||
		    (msg[i + 1] == '\r' && i + 2 < len && msg[i + 2] == '\n')))
			break;   /* the end of the header section */
		if ((unsigned char)msg[i] >= 0x80) {
			need |= RELAY_UTF8_HEADER;
			break;
		}
	}
	return need;
}

static uint32_t
rnd_default(uint32_t upper)
{
	return arc4random_uniform(upper);
}

/* Sort MX records by preference and shuffle each run of equal ones
 * (RFC 5321 5.1: the client MUST randomise hosts of equal preference,
 * so that they share the load).  rnd(n) gives 0..n-1; NULL: the
 * system's, a test injects its own. */
void
relay_mx_order(struct dns_rr *rr, size_t n, uint32_t (*rnd)(uint32_t))
{
	struct dns_rr t;
	size_t i, k, run;

	if (rnd == NULL)
		rnd = rnd_default;
	for (i = 1; i < n; i++)   /* insertion sort: few records, stable */
		for (k = i; k > 0 && rr[k - 1].pref > rr[k].pref; k--) {
			t = rr[k];
			rr[k] = rr[k - 1];
			rr[k - 1] = t;
		}
	for (i = 0; i < n; i = run) {
		for (run = i + 1; run < n && rr[run].pref == rr[i].pref; run++)
			;
		for (k = run - 1; k > i; k--) {   /* Fisher-Yates */
			size_t r = i + rnd((uint32_t)(k - i + 1));
			t = rr[k];
			rr[k] = rr[r];
			rr[r] = t;
		}
	}
}

static void
vset(struct relay_rcpt *r, char kind, const char *fmt, va_list ap)
{
	r->kind = kind;
	vsnprintf(r->reply, sizeof r->reply, fmt, ap);
}

void
relay_set(struct relay_rcpt *r, char kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(r, kind, fmt, ap);
	va_end(ap);
}

/* Set every recipient that has no result yet. */
void
relay_set_pending(struct relay_job *j, char kind, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	for (i = 0; i < j->n; i++)
		if (j->r[i].kind == 0) {
			va_start(ap, fmt);
			vset(&j->r[i], kind, fmt, ap);
			va_end(ap);
		}
}

static char
kind_of(int code)
{
	return code >= 200 && code < 300 ? RELAY_OK :
	    code >= 500 ? RELAY_PERM : RELAY_TEMP;
}

/* Give up this host before any recipient was answered. */
static int
host_fail(struct relay_job *j, const char *what, const struct smtpc_reply *rp)
{
	if (rp)
		snprintf(j->why, sizeof j->why, "%s: %d %s", what, rp->code,
		    rp->text);
	else
		snprintf(j->why, sizeof j->why, "%s: %s", what, strerror(errno));
	return 1;
}

/* EHLO (LHLO for LMTP), falling back to HELO when EHLO is refused
 * (RFC 5321 3.2); ext gets the extensions. */
static int
hello(struct relay_job *j, struct smtpc *c, struct smtpc_reply *ext)
{
	if (smtpc_cmd(c, "%s %s", j->lmtp ? "LHLO" : "EHLO", j->me) == -1 ||
	    smtpc_reply(c, ext) == -1)
		return -1;
	if (ext->code / 100 == 2)
		return 0;
	if (j->lmtp)
		return 1;
	if (smtpc_cmd(c, "HELO %s", j->me) == -1 || smtpc_reply(c, ext) == -1)
		return -1;
	ext->ext = 0;
	return ext->code / 100 == 2 ? 0 : 1;
}

static int session_start(struct relay_job *, struct smtpc *,
	struct smtpc_reply *);

/* The session, with DANE for this host when it has it (dane.h): TLS
 * required, and authenticated by the TLSA records when any is usable,
 * whatever the domain's policy says (DANE wins). */
static int
open_session(struct relay_job *j, struct smtpc *c, struct smtpc_reply *ext)
{
	enum relay_tls tls = j->tls;
	const char *by = j->tlsby;
	int r;

	if (j->dane && (j->dane->state == DANE_ON ||
	    j->dane->state == DANE_UNUSABLE)) {
		j->tls = RELAY_TLS_ENCRYPT;
		j->tlsby = j->dane->state == DANE_ON ? "DANE" :
		    "DANE, no usable TLSA";
		smtpc_set_dane(c, j->dane->t, j->dane->n);
	}
	r = session_start(j, c, ext);
	j->tls = tls;
	j->tlsby = by;
	return r;
}

/* Greeting, hello and STARTTLS per the policy.  0 ready for MAIL, 1 give
 * up this host (why in j->why). */
static int
session_start(struct relay_job *j, struct smtpc *c, struct smtpc_reply *ext)
{
	struct smtpc_reply rp;
	int r;

	j->tlsinfo[0] = '\0';
	if (smtpc_reply(c, &rp) == -1)
		return host_fail(j, "no greeting", NULL);
	if (rp.code != 220)
		return host_fail(j, "greeting", &rp);
	if ((r = hello(j, c, ext)) != 0)
		return host_fail(j, "EHLO", r == 1 ? ext : NULL);
	if (j->tls == RELAY_TLS_NONE)
		return 0;
	if (!(ext->ext & SMTPC_EXT_STARTTLS)) {
		if (j->tls == RELAY_TLS_MAY)
			return 0;
		snprintf(j->why, sizeof j->why, "TLS required (%s%s) but "
		    "STARTTLS not offered", j->tlsby ? j->tlsby : "policy ",
		    j->tlsby ? "" : j->tls == RELAY_TLS_VERIFY ? "verify" :
		    "encrypt");
		return 1;
	}
	if (smtpc_cmd(c, "STARTTLS") == -1 || smtpc_reply(c, &rp) == -1)
		return host_fail(j, "STARTTLS", NULL);
	if (rp.code != 220) {
		/* RFC 3207 4: a refused STARTTLS leaves a clear session, which
		 * only "may" accepts; but the session state is unclear, so
		 * start over on the next host or try */
		return host_fail(j, "STARTTLS", &rp);
	}
	if (smtpc_starttls(c, j->tlsname, j->tls == RELAY_TLS_VERIFY, j->cafile,
	    j->tlsinfo, sizeof j->tlsinfo) == -1) {
		snprintf(j->why, sizeof j->why, "TLS%s%s%s: %s", j->tlsby ? " (" :
		    "", j->tlsby ? j->tlsby : "", j->tlsby ? ")" : "", j->tlsinfo);
		j->tlsinfo[0] = '\0';
		return 1;
	}
	/* RFC 3207 4.2: forget what was learnt in clear */
	if ((r = hello(j, c, ext)) != 0)
		return host_fail(j, "EHLO after STARTTLS", r == 1 ? ext : NULL);
	return 0;
}

/* MAIL and the RCPTs, pipelined when the server offers it (RFC 2920).
 * Returns the number of accepted recipients, or -1 on a broken
 * connection (the unanswered become temporary failures). */
static int
envelope(struct relay_job *j, struct smtpc *c, const struct smtpc_reply *ext)
{
	struct smtpc_reply rp;
	char size[40] = "";
	size_t i;
	int pipe = (ext->ext & SMTPC_EXT_PIPELINING) != 0, ok = 0;
	int utf8 = (j->utf8_want || j->utf8_need) &&
	    (ext->ext & SMTPC_EXT_SMTPUTF8);

	if (ext->ext & SMTPC_EXT_SIZE)
		snprintf(size, sizeof size, " SIZE=%zu", j->len + j->len / 40);
	for (i = 0; !utf8 && i < j->n; i++)   /* a non-ASCII recipient */
		if (j->r[i].kind == 0 && !relay_ascii(j->r[i].addr))
			utf8 = (ext->ext & SMTPC_EXT_SMTPUTF8) != 0;
	if (smtpc_cmd(c, "MAIL FROM:<%s>%s%s%s", j->sender, size,
	    j->body8 && (ext->ext & SMTPC_EXT_8BITMIME) ? " BODY=8BITMIME" : "",
	    utf8 ? " SMTPUTF8" : "") == -1)
		return -1;
	if (!pipe && smtpc_reply(c, &rp) == -1)
		return -1;
	for (i = 0; pipe && i < j->n; i++)
		if (j->r[i].kind == 0 &&
		    smtpc_cmd(c, "RCPT TO:<%s>", j->r[i].addr) == -1)
			return -1;
	if (pipe && smtpc_reply(c, &rp) == -1)
		return -1;
	if (rp.code / 100 != 2) {
		/* the sender refused: each pipelined RCPT still gets its
		 * reply (a 503), which we read and drop */
		for (i = 0; pipe && i < j->n; i++) {
			struct smtpc_reply x;
			if (j->r[i].kind == 0 && smtpc_reply(c, &x) == -1)
				break;
		}
		relay_set_pending(j, kind_of(rp.code), "%d %s", rp.code, rp.text);
		return 0;
	}
	for (i = 0; i < j->n; i++) {
		if (j->r[i].kind != 0)
			continue;   /* refused before the transaction (SMTPUTF8) */
		if (!pipe && smtpc_cmd(c, "RCPT TO:<%s>", j->r[i].addr) == -1)
			return -1;
		if (smtpc_reply(c, &rp) == -1)
			return -1;
		if (rp.code / 100 == 2)
			ok++;
		else
			relay_set(&j->r[i], kind_of(rp.code), "%d %s", rp.code, rp.text);
	}
	return ok;
}

/* The server does not offer SMTPUTF8: what needs it fails for good
 * (RFC 6531 3.4: such a message must not be sent downgraded), the whole
 * message when the sender or the header needs it, else only the
 * recipients with non-ASCII addresses.  Returns how many recipients are
 * left to try. */
static size_t
utf8_refused(struct relay_job *j)
{
	size_t i, left = 0;

	if (j->utf8_need & RELAY_UTF8_HEADER)
		relay_set_pending(j, RELAY_PERM, "554 5.6.9 the message has UTF-8 "
		    "headers and the server does not offer SMTPUTF8");
	else if (j->utf8_need & RELAY_UTF8_SENDER)
		relay_set_pending(j, RELAY_PERM, "553 5.6.7 the sender address is "
		    "not ASCII and the server does not offer SMTPUTF8");
	for (i = 0; i < j->n; i++) {
		if (j->r[i].kind == 0 && !relay_ascii(j->r[i].addr))
			relay_set(&j->r[i], RELAY_PERM, "553 5.6.7 a non-ASCII "
			    "address and the server does not offer SMTPUTF8");
		if (j->r[i].kind == 0)
			left++;
	}
	return left;
}

/* Run the transaction on c.  0: every recipient has its result; 1: this
 * host was given up before any recipient was answered (j->why). */
int
relay_try(struct relay_job *j, struct smtpc *c)
{
	struct smtpc_reply ext, rp;
	size_t i;
	int ok;

	for (i = 0; i < j->n; i++)
		j->r[i].kind = 0;
	if (open_session(j, c, &ext) != 0)
		return 1;
	if ((ext.ext & SMTPC_EXT_SIZE) && ext.size && j->len > ext.size) {
		relay_set_pending(j, RELAY_PERM, "552 5.3.4 message of %zu bytes "
		    "over the server's SIZE %llu", j->len, ext.size);
		return 0;
	}
	if (!(ext.ext & SMTPC_EXT_SMTPUTF8) && utf8_refused(j) == 0)
		goto quit;
	if ((ok = envelope(j, c, &ext)) == -1)
		goto broken;
	if (ok == 0)
		goto quit;
	if (smtpc_cmd(c, "DATA") == -1 || smtpc_reply(c, &rp) == -1)
		goto broken;
	if (rp.code != 354) {
		relay_set_pending(j, kind_of(rp.code), "%d %s", rp.code, rp.text);
		goto quit;
	}
	if (smtpc_data(c, j->msg, j->len) == -1)
		goto broken;
	/* LMTP: one reply per accepted recipient, in order (RFC 2033 4.2) */
	for (i = 0; i < j->n; i++) {
		if (j->r[i].kind != 0)
			continue;
		if (smtpc_reply(c, &rp) == -1)
			goto broken;
		if (!j->lmtp) {
			relay_set_pending(j, kind_of(rp.code), "%d %s", rp.code, rp.text);
			break;
		}
		relay_set(&j->r[i], kind_of(rp.code), "%d %s", rp.code, rp.text);
	}
quit:
	if (smtpc_cmd(c, "QUIT") == 0)
		(void)smtpc_reply(c, &rp);
	return 0;
broken:
	/* after the end of data was sent, the message may have been taken:
	 * a retry may deliver it twice, which DESIGN.md allows, never zero */
	relay_set_pending(j, RELAY_TEMP, "451 4.4.2 connection lost: %s",
	    strerror(errno));
	return 0;
}
