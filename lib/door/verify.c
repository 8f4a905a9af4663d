/* verify: probes and the cache (see verify.h).  Runs under smtpd-accept's
 * uid, during the client's RCPT: every step of a probe has the time
 * limit the caller gives.  The cache file is the gateway's own, but a
 * record that does not parse is ignored and overwritten, not trusted. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <lmdb.h>

#include "ascii.h"
#include "smtpc.h"
#include "verify.h"

#define VERIFY_MAPSIZE (64UL * 1024 * 1024)   /* about 300,000 addresses */
#define VERIFY_KEY_MAX 500                    /* LMDB's key limit is 511 */

struct verify_cache {
	MDB_env *env;
	MDB_dbi  dbi;
};

/* The route's host as a numeric address for smtpc_connect: "[IP]" as
 * written, a name through the system's resolver (the first address). */
static int
numeric(const char *host, const char *port, char *out, size_t n, char *err,
    size_t errsize)
{
	struct addrinfo hints, *ai;
	char h[256];
	size_t l = strlen(host);
	int r;

	if (host[0] == '[' && l > 2 && host[l - 1] == ']')
		snprintf(h, sizeof h, "%.*s", (int)(l - 2), host + 1);
	else
		snprintf(h, sizeof h, "%s", host);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(h, port, &hints, &ai)) != 0) {
		snprintf(err, errsize, "unable to look up %s: %s", h, gai_strerror(r));
		return -1;
	}
	r = getnameinfo(ai->ai_addr, ai->ai_addrlen, out, (socklen_t)n, NULL, 0,
	    NI_NUMERICHOST);
	freeaddrinfo(ai);
	if (r != 0) {
		snprintf(err, errsize, "unable to look up %s: %s", h, gai_strerror(r));
		return -1;
	}
	return 0;
}

static int
has_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* Milliseconds left until the deadline; at least 1 while any is left. */
static int
left_ms(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms <= 0 ? 0 : ms > 3600000 ? 3600000 : (int)ms + 1;
}

/* One command and its reply within what is left of the probe's time;
 * -1 when the connection failed (text says how), else the reply's
 * class. */
static int
step(struct smtpc *c, const char *cmd, const char *arg, struct smtpc_reply *rp,
    const struct timespec *deadline, const char *server, char *text, size_t n)
{
	int ms = left_ms(deadline);

	if (ms == 0)
		errno = ETIMEDOUT;
	else
		smtpc_set_timeout(c, ms);
	if (ms == 0 || (cmd && smtpc_cmd(c, "%s%s", cmd, arg ? arg : "") == -1) ||
	    smtpc_reply(c, rp) == -1) {
		snprintf(text, n, "lost connection with %s%s%s: %s", server,
		    cmd ? " after " : " before the greeting",
		    cmd ? cmd : "", strerror(errno));
		return -1;
	}
	return rp->code / 100;
}

/* Ask the route's server whether it takes addr: VERIFY_OK, VERIFY_REJECT
 * or VERIFY_TEMP, with what it said (or why it could not) in text.  The
 * whole probe, from connect to the answer to RCPT, takes at most ms: the
 * client is waiting for our reply to its RCPT. */
int
verify_probe(const struct route *rt, const char *me, const char *addr,
    int ms, char *text, size_t n)
{
	struct smtpc *c;
	struct smtpc_reply rp;
	char num[64], err[300], server[400], arg[600], said[SMTPC_TEXT_MAX + 16];
	int lmtp = rt->kind == ROUTE_LMTP || rt->kind == ROUTE_LMTP_UNIX, r, res;
	int utf8;
	const char *what = "RCPT TO";
	struct timespec dl;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += ms / 1000;
	dl.tv_nsec += (long)(ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	if (rt->kind == ROUTE_LMTP_UNIX) {
		snprintf(server, sizeof server, "%.200s", rt->path);
		c = smtpc_connect_unix(rt->path, ms, err, sizeof err);
	} else if (rt->kind == ROUTE_SMTP || rt->kind == ROUTE_LMTP) {
		if (numeric(rt->host, rt->port, num, sizeof num, text, n) == -1)
			return VERIFY_DOWN;
		if (rt->host[0] == '[')
			snprintf(server, sizeof server, "%s:%s", rt->host, rt->port);
		else
			snprintf(server, sizeof server, "%s[%s]:%s", rt->host, num,
			    rt->port);
		c = smtpc_connect(num, rt->port, ms, err, sizeof err);
	} else {
		snprintf(text, n, "the route cannot verify addresses");
		return VERIFY_TEMP;
	}
	if (c == NULL) {
		snprintf(text, n, "%s", err);
		return VERIFY_DOWN;
	}
	snprintf(arg, sizeof arg, "<%s>", addr);
	/* RFC 5321 4.3.2: 220 greets; anything else means "not now".  A
	 * refusal before RCPT says nothing of the address: temporary. */
	if ((r = step(c, NULL, NULL, &rp, &dl, server, text, n)) != 2) {
		what = "the greeting";
		goto out;
	}
	r = step(c, lmtp ? "LHLO " : "EHLO ", me, &rp, &dl, server, text, n);
	if (r != 2 && r != -1 && !lmtp)
		r = step(c, "HELO ", me, &rp, &dl, server, text, n);
	if (r != 2) {
		what = lmtp ? "LHLO" : "EHLO";
		goto out;
	}
	/* the null sender: a probe must never cause a bounce to anyone; an
	 * address in UTF-8 needs SMTPUTF8 on MAIL (RFC 6531 3.4) where it
	 * is offered, else the server judges it as it would the message */
	utf8 = (rp.ext & SMTPC_EXT_SMTPUTF8) && has_8bit(addr);
	if ((r = step(c, utf8 ? "MAIL FROM:<> SMTPUTF8" : "MAIL FROM:<>", NULL,
	    &rp, &dl, server, text, n)) != 2) {
		what = "MAIL FROM";
		goto out;
	}
	r = step(c, "RCPT TO:", arg, &rp, &dl, server, text, n);
out:
	res = r == 2 && strcmp(what, "RCPT TO") == 0 ? VERIFY_OK :
	    r == 5 && strcmp(what, "RCPT TO") == 0 ? VERIFY_REJECT : VERIFY_TEMP;
	if (r != -1) {
		smtpc_format_reply(&rp, said, sizeof said);
		snprintf(text, n, "host %s said: %s (in reply to %s)", server, said,
		    what);
		/* RFC 5321 4.1.1.5: RSET before QUIT leaves no transaction;
		 * their replies are not waited for, the client is waiting */
		smtpc_set_timeout(c, 1000);
		if (smtpc_cmd(c, "RSET") == 0 && smtpc_cmd(c, "QUIT") == 0)
			(void)smtpc_flush(c);
	}
	smtpc_close(c);
	return r == -1 ? VERIFY_DOWN : res;
}

/* The cache key: the address in lower case (as the lookups of
 * control/recipients, Postfix's verify(8) cache does the same). */
static int
cache_key(const char *addr, char *key, size_t n)
{
	size_t i, l = strlen(addr);

	if (l == 0 || l + 1 > n || l > VERIFY_KEY_MAX)
		return -1;
	for (i = 0; i <= l; i++)
		key[i] = (char)ascii_lower((unsigned char)addr[i]);
	return 0;
}

/* Open (or create) the cache at path.  -1 with err set: the caller goes
 * on without a cache (every RCPT probes) and says so in its log. */
int
verify_cache_open(const char *path, struct verify_cache **out, char *err,
    size_t errsize)
{
	struct verify_cache *vc;
	MDB_txn *txn;
	int rc;

	*out = NULL;
	if ((vc = calloc(1, sizeof *vc)) == NULL) {
		snprintf(err, errsize, "%s", strerror(errno));
		return -1;
	}
	if ((rc = mdb_env_create(&vc->env)) != 0)
		goto fail;
	mdb_env_set_mapsize(vc->env, VERIFY_MAPSIZE);
	/* a cache: a crash may lose the newest answers, which are asked
	 * again; no fsync per RCPT */
	if ((rc = mdb_env_open(vc->env, path, MDB_NOSUBDIR | MDB_NOSYNC |
	    MDB_NOMETASYNC | MDB_NOTLS, 0644)) != 0)
		goto fail;
	if ((rc = mdb_txn_begin(vc->env, NULL, 0, &txn)) != 0)
		goto fail;
	if ((rc = mdb_dbi_open(txn, NULL, 0, &vc->dbi)) != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	*out = vc;
	return 0;
fail:
	snprintf(err, errsize, "%s: %s", path, mdb_strerror(rc));
	if (vc->env)
		mdb_env_close(vc->env);
	free(vc);
	return -1;
}

/* A fresh answer for addr: 1 with *result and text set, 0 when there is
 * none (never asked, expired, or a record that does not parse). */
int
verify_cache_get(struct verify_cache *vc, const char *addr, time_t now,
    int *result, char *text, size_t n)
{
	char key[VERIFY_KEY_MAX + 1], rec[VERIFY_TEXT_MAX + 64];
	MDB_txn *txn;
	MDB_val k, v;
	long long exp;
	int res, off = 0, found = 0;

	if (vc == NULL || cache_key(addr, key, sizeof key) == -1)
		return 0;
	k.mv_data = key;
	k.mv_size = strlen(key);
	if (mdb_txn_begin(vc->env, NULL, MDB_RDONLY, &txn) != 0)
		return 0;
	if (mdb_get(txn, vc->dbi, &k, &v) == 0 && v.mv_size < sizeof rec) {
		memcpy(rec, v.mv_data, v.mv_size);
		rec[v.mv_size] = '\0';
		if (sscanf(rec, "%lld %d %n", &exp, &res, &off) == 2 && off > 0 &&
		    (res == VERIFY_OK || res == VERIFY_REJECT || res == VERIFY_TEMP) &&
		    exp > (long long)now) {
			*result = res;
			snprintf(text, n, "%s", rec + off);
			found = 1;
		}
	}
	mdb_txn_abort(txn);
	return found;
}

/* Empty the cache when its map is full: the expired answers first, all
 * of them when that was not enough (a dictionary attack on a verified
 * domain fills it with fresh negative answers).  It is only a cache. */
static void
cache_sweep(struct verify_cache *vc, time_t now, int all)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	long long exp;
	char rec[32];
	int rc;

	if (mdb_txn_begin(vc->env, NULL, 0, &txn) != 0)
		return;
	if (all) {
		if (mdb_drop(txn, vc->dbi, 0) == 0)
			(void)mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
		return;
	}
	if (mdb_cursor_open(txn, vc->dbi, &cur) != 0) {
		mdb_txn_abort(txn);
		return;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		size_t l = v.mv_size < sizeof rec - 1 ? v.mv_size : sizeof rec - 1;
		memcpy(rec, v.mv_data, l);
		rec[l] = '\0';
		if (sscanf(rec, "%lld", &exp) != 1 || exp <= (long long)now)
			(void)mdb_cursor_del(cur, 0);
	}
	mdb_cursor_close(cur);
	(void)mdb_txn_commit(txn);
}

static int
cache_write(struct verify_cache *vc, MDB_val *k, MDB_val *v)
{
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(vc->env, NULL, 0, &txn)) != 0)
		return rc;
	if ((rc = mdb_put(txn, vc->dbi, k, v, 0)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

/* Keep an answer until expires.  0, or -1 (the disk): only the next RCPT
 * for the address pays for it with a probe. */
int
verify_cache_put(struct verify_cache *vc, const char *addr, int result,
    const char *text, time_t expires)
{
	char key[VERIFY_KEY_MAX + 1], rec[VERIFY_TEXT_MAX + 64];
	MDB_val k, v;
	int l, rc, pass;

	if (vc == NULL || cache_key(addr, key, sizeof key) == -1)
		return -1;
	l = snprintf(rec, sizeof rec, "%lld %d %.*s", (long long)expires, result,
	    VERIFY_TEXT_MAX, text);
	if (l < 0)
		return -1;
	k.mv_data = key;
	k.mv_size = strlen(key);
	v.mv_data = rec;
	v.mv_size = (size_t)l < sizeof rec ? (size_t)l : sizeof rec - 1;
	for (pass = 0; (rc = cache_write(vc, &k, &v)) == MDB_MAP_FULL && pass < 2;
	    pass++)
		cache_sweep(vc, time(NULL), pass);
	return rc == 0 ? 0 : -1;
}

void
verify_cache_close(struct verify_cache *vc)
{
	if (vc == NULL)
		return;
	mdb_env_close(vc->env);
	free(vc);
}
