/* mtasts: RFC 8461 policy discovery, fetch, cache and MX matching (see
 * mtasts.h).  Runs in relay-out, as the delivery user. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "io.h"
#include "mtasts.h"

#define CACHE_MAGIC "portcullis-mta-sts 1"

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* A domain we may use in a URL and a file name: letters, digits, '-'
 * and '.', labels not empty, lower-cased into out. */
static int
domain_clean(const char *d, char *out, size_t n)
{
	size_t i, len = strlen(d);

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0 || len >= n || len > 253 || d[0] == '.')
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];
		if (!isalnum(c) && c != '-' && c != '.' && c != '_')
			return -1;
		if (c == '.' && d[i + 1] == '.')
			return -1;
		out[i] = (char)tolower(c);
	}
	out[len] = '\0';
	return 0;
}

/* 3.1: "v=STSv1" first, then fields "name=value" separated by ';' with
 * optional WSP around; id= once, 1 to 32 letters and digits; other
 * fields are extensions, ignored.  Empty fields (";;") are tolerated, as
 * deployed resolvers do. */
int
mtasts_record_parse(const char *txt, size_t len, char *id, size_t idn)
{
	size_t i = 0, f, nlen, vlen, k;
	int first = 1, have_id = 0;

	while (i <= len) {
		while (i < len && is_wsp(txt[i]))
			i++;
		f = i;
		while (i < len && txt[i] != ';')
			i++;
		/* the field is txt[f..i) without trailing WSP */
		k = i;
		while (k > f && is_wsp(txt[k - 1]))
			k--;
		if (first) {
			if (k - f != 7 || memcmp(txt + f, "v=STSv1", 7) != 0)
				return -1;
			first = 0;
		} else if (k > f) {
			const char *eq = memchr(txt + f, '=', k - f);
			if (eq == NULL)
				return -1;
			nlen = (size_t)(eq - (txt + f));
			vlen = k - f - nlen - 1;
			if (nlen == 0 || nlen > 32 || vlen == 0)
				return -1;
			for (k = 0; k < nlen; k++)
				if (!isalnum((unsigned char)txt[f + k]) &&
				    (k == 0 || !strchr("_-.", txt[f + k])))
					return -1;
			if (nlen == 2 && memcmp(txt + f, "id", 2) == 0) {
				if (have_id || vlen > MTASTS_ID_MAX || vlen >= idn)
					return -1;
				for (k = 0; k < vlen; k++)
					if (!isalnum((unsigned char)eq[1 + k]))
						return -1;
				memcpy(id, eq + 1, vlen);
				id[vlen] = '\0';
				have_id = 1;
			} else {
				for (k = 0; k < vlen; k++) {
					unsigned char c = (unsigned char)eq[1 + k];
					if (c < 0x21 || c > 0x7e || c == ';' || c == '=')
						return -1;
				}
			}
		}
		i++;   /* past the ';' (or the end) */
	}
	return have_id ? 0 : -1;
}

/* An mx pattern (3.2): a domain, or "*." and a domain; lower-cased. */
static int
mx_pattern(const char *v, size_t n, char *out, size_t outn)
{
	char tmp[256];

	if (n >= sizeof tmp)
		return -1;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	if (n > 2 && tmp[0] == '*' && tmp[1] == '.') {
		if (domain_clean(tmp + 2, out + 2, outn - 2) == -1 ||
		    strchr(out + 2, '.') == NULL)
			return -1;
		out[0] = '*';
		out[1] = '.';
		return 0;
	}
	return domain_clean(tmp, out, outn);
}

static int
why_set(char *why, size_t n, const char *text)
{
	snprintf(why, n, "%s", text);
	return -1;
}

/* 3.2: lines "key: value", LF or CRLF; version STSv1, mode, max_age
 * required, once each; mx one per line (required unless mode none);
 * unknown keys ignored. */
int
mtasts_policy_parse(const char *body, size_t len, struct mtasts_policy *p,
    char *why, size_t whyn)
{
	size_t i = 0, e, k, v, ve;
	int have_version = 0, have_mode = 0, have_age = 0;

	memset(p, 0, sizeof *p);
	while (i < len) {
		for (e = i; e < len && body[e] != '\n'; e++)
			;
		k = e;
		if (k > i && body[k - 1] == '\r')
			k--;
		if (k > i) {
			const char *colon = memchr(body + i, ':', k - i);
			size_t kl;

			if (colon == NULL)
				return why_set(why, whyn, "a line without a colon");
			kl = (size_t)(colon - (body + i));
			for (v = kl + 1 + i; v < k && is_wsp(body[v]); v++)
				;
			for (ve = k; ve > v && is_wsp(body[ve - 1]); ve--)
				;
#define KEY(s) (kl == sizeof(s) - 1 && memcmp(body + i, s, kl) == 0)
#define VAL(s) (ve - v == sizeof(s) - 1 && memcmp(body + v, s, ve - v) == 0)
			if (KEY("version")) {
				if (have_version++ || !VAL("STSv1"))
					return why_set(why, whyn, "version is not STSv1");
			} else if (KEY("mode")) {
				if (have_mode++)
					return why_set(why, whyn, "mode given twice");
				if (VAL("enforce"))
					p->mode = MTASTS_ENFORCE;
				else if (VAL("testing"))
					p->mode = MTASTS_TESTING;
				else if (VAL("none"))
					p->mode = MTASTS_NONE;
				else
					return why_set(why, whyn, "unknown mode");
			} else if (KEY("max_age")) {
				unsigned long a = 0;
				size_t d;

				if (have_age++ || ve == v || ve - v > 10)
					return why_set(why, whyn, "bad max_age");
				for (d = v; d < ve; d++) {
					if (!isdigit((unsigned char)body[d]))
						return why_set(why, whyn, "bad max_age");
					a = a * 10 + (unsigned long)(body[d] - '0');
				}
				if (a > MTASTS_MAX_AGE)
					return why_set(why, whyn, "max_age over a year");
				p->max_age = a;
			} else if (KEY("mx")) {
				if (p->nmx >= MTASTS_MAX_MX)
					return why_set(why, whyn, "too many mx");
				if (mx_pattern(body + v, ve - v, p->mx[p->nmx],
				    sizeof p->mx[0]) == -1)
					return why_set(why, whyn, "bad mx pattern");
				p->nmx++;
			}
#undef KEY
#undef VAL
		}
		i = e + 1;
	}
	if (!have_version || !have_mode || !have_age)
		return why_set(why, whyn, !have_version ? "no version" :
		    !have_mode ? "no mode" : "no max_age");
	if (p->mode != MTASTS_NONE && p->nmx == 0)
		return why_set(why, whyn, "no mx");
	return 0;
}

int
mtasts_content_type_ok(const char *ct)
{
	if (ct == NULL || strncasecmp(ct, "text/plain", 10) != 0)
		return 0;
	ct += 10;
	while (is_wsp(*ct))
		ct++;
	return *ct == '\0' || *ct == ';';
}

int
mtasts_mx_match(const struct mtasts_policy *p, const char *host)
{
	char h[256];
	const char *dot;
	size_t i;

	if (domain_clean(host, h, sizeof h) == -1)
		return 0;
	dot = strchr(h, '.');
	for (i = 0; i < p->nmx; i++) {
		const char *m = p->mx[i];
		/* "*.example.com": exactly one label in front (4.1) */
		if (m[0] == '*' ? dot != NULL && dot != h &&
		    strcmp(dot + 1, m + 2) == 0 : strcmp(h, m) == 0)
			return 1;
	}
	return 0;
}

const char *
mtasts_mode_name(enum mtasts_mode m)
{
	return m == MTASTS_ENFORCE ? "enforce" : m == MTASTS_TESTING ?
	    "testing" : "none";
}

struct sink {
	struct buf *b;
	int         over;
};

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct sink *s = arg;

	if (s->b->len + n * sz > MTASTS_MAX_BODY) {
		s->over = 1;
		return 0;   /* libcurl stops the transfer */
	}
	return buf_add(s->b, p, n * sz) == -1 ? 0 : n * sz;
}

int
mtasts_fetch(const struct mtasts_conf *cf, const char *domain,
    const char *addr, struct buf *body, char *why, size_t whyn)
{
	char url[512], res[600], errbuf[CURL_ERROR_SIZE] = "";
	const char *port = cf->port && *cf->port ? cf->port : "443";
	struct curl_slist *rl = NULL;
	struct sink s = { body, 0 };
	long code = 0;
	char *ct = NULL;
	CURL *c;
	CURLcode r;
	int rc = -1;

	if ((c = curl_easy_init()) == NULL)
		return why_set(why, whyn, "libcurl did not start");
	snprintf(url, sizeof url, "https://mta-sts.%s%s%s/.well-known/mta-sts.txt",
	    domain, strcmp(port, "443") ? ":" : "", strcmp(port, "443") ? port : "");
	/* the address we resolved; an IPv6 one in brackets */
	snprintf(res, sizeof res, strchr(addr, ':') ? "mta-sts.%s:%s:[%s]" :
	    "mta-sts.%s:%s:%s", domain, port, addr);
	if ((rl = curl_slist_append(NULL, res)) == NULL)
		goto out;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_RESOLVE, rl);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	/* 3.3: redirects MUST NOT be followed */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	/* 3.3: TLS 1.2 or later */
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (cf->cafile && *cf->cafile)
		curl_easy_setopt(c, CURLOPT_CAINFO, cf->cafile);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, cf->timeout_s > 0 ? cf->timeout_s : 60L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "portcullis relay-out");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	r = curl_easy_perform(c);
	if (s.over) {
		why_set(why, whyn, "policy over 64 KiB");
		goto out;
	}
	if (r != CURLE_OK) {
		snprintf(why, whyn, "HTTPS: %s", errbuf[0] ? errbuf :
		    curl_easy_strerror(r));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		snprintf(why, whyn, "HTTPS status %ld", code);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	if (!mtasts_content_type_ok(ct)) {
		why_set(why, whyn, "policy is not text/plain");
		goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(rl);
	curl_easy_cleanup(c);
	return rc;
}

int
mtasts_cache_load(const char *dir, const char *domain, struct mtasts_policy *p,
    time_t now)
{
	char path[4096], d[256], why[64], id[MTASTS_ID_MAX + 1];
	struct buf b = BUF_INIT;
	long long fetched;
	char *nl;
	int fd, rc = 0;

	if (dir == NULL || *dir == '\0' || domain_clean(domain, d, sizeof d) == -1)
		return 0;
	snprintf(path, sizeof path, "%s/%s", dir, d);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	for (;;) {
		ssize_t r;

		if (buf_grow(&b, 4096) == -1 ||
		    (r = io_read_some(fd, b.p + b.len, 4096)) == -1)
			goto out;
		if (r == 0)
			break;
		b.len += (size_t)r;
		if (b.len > MTASTS_MAX_BODY + 256)
			goto out;
	}
	if (b.p == NULL || (nl = memchr(b.p, '\n', b.len)) == NULL)
		goto out;
	*nl = '\0';
	if (sscanf(b.p, CACHE_MAGIC " %32s %lld", id, &fetched) != 2)
		goto out;
	if (mtasts_policy_parse(nl + 1, b.len - (size_t)(nl + 1 - b.p), p, why,
	    sizeof why) == -1)
		goto out;
	/* expired policies are no policy (5.1) */
	if ((long long)now >= fetched + (long long)p->max_age)
		goto out;
	snprintf(p->id, sizeof p->id, "%s", id);
	p->fetched = (time_t)fetched;
	p->cached = 1;
	rc = 1;
out:
	close(fd);
	buf_free(&b);
	return rc;
}

int
mtasts_cache_store(const char *dir, const char *domain,
    const struct mtasts_policy *p, const char *body, size_t len)
{
	char path[4096], tmp[4200], d[256], head[128];
	int fd, n;

	if (dir == NULL || *dir == '\0')
		return 0;
	if (domain_clean(domain, d, sizeof d) == -1) {
		errno = EINVAL;
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s", dir, d);
	snprintf(tmp, sizeof tmp, "%s/.%s.%ld", dir, d, (long)getpid());
	n = snprintf(head, sizeof head, CACHE_MAGIC " %s %lld\n", p->id,
	    (long long)p->fetched);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) == -1)
		return -1;
	if (io_write_all(fd, head, (size_t)n) == -1 ||
	    io_write_all(fd, body, len) == -1 || fsync(fd) == -1) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The one STSv1 record among the TXT answers (3.1: records that do not
 * begin with "v=STSv1;" are ignored; more than one is none). */
static int
one_record(const struct dns_answer *a, char *id, size_t idn)
{
	size_t i, found = 0;

	for (i = 0; i < a->n; i++) {
		if (a->rr[i].len < 7 || memcmp(a->rr[i].text, "v=STSv1", 7) != 0)
			continue;
		if (found++ > 0 ||
		    mtasts_record_parse(a->rr[i].text, a->rr[i].len, id, idn) == -1)
			return -1;
	}
	return found == 1 ? 0 : -1;
}

/* The address of mta-sts.DOMAIN through our DNS: the first A, else the
 * first AAAA. */
static int
https_addr(struct dns *dns, const struct mtasts_conf *cf, const char *d,
    char *addr, size_t n, char *why, size_t whyn)
{
	struct dns_answer a4, a6;
	char host[300];
	int rc = -1;

	snprintf(host, sizeof host, "mta-sts.%s", d);
	if (dns_submit(dns, host, DNS_A, &a4) == -1)
		return why_set(why, whyn, "DNS error");
	if (dns_submit(dns, host, DNS_AAAA, &a6) == -1 ||
	    dns_wait(dns, (int)cf->timeout_s * 1000) == -1) {
		dns_answer_free(&a4);
		return why_set(why, whyn, "DNS error");
	}
	if (a4.status == DNS_OK && a4.n > 0)
		snprintf(addr, n, "%s", a4.rr[0].text), rc = 0;
	else if (a6.status == DNS_OK && a6.n > 0)
		snprintf(addr, n, "%s", a6.rr[0].text), rc = 0;
	else
		snprintf(why, whyn, "no address for mta-sts.%.100s (%s)", d,
		    dns_status_name(a4.status));
	dns_answer_free(&a4);
	dns_answer_free(&a6);
	return rc;
}

int
mtasts_discover(struct dns *dns, const struct mtasts_conf *cf,
    const char *domain, struct mtasts_policy *p, char *note, size_t noten)
{
	struct mtasts_policy cached, fresh;
	struct dns_answer txt;
	struct buf body = BUF_INIT;
	char d[256], name[300], id[MTASTS_ID_MAX + 1], addr[64], why[200];
	time_t now = time(NULL);
	int have_cache, rc = 0;

	note[0] = '\0';
	if (domain_clean(domain, d, sizeof d) == -1) {
		snprintf(note, noten, "not a domain name");
		return 0;
	}
	have_cache = mtasts_cache_load(cf->cachedir, d, &cached, now) == 1;
	snprintf(name, sizeof name, "_mta-sts.%s", d);
	if (dns_submit(dns, name, DNS_TXT, &txt) == -1 ||
	    dns_wait(dns, (int)cf->timeout_s * 1000) == -1) {
		snprintf(note, noten, "DNS error");
		goto cache_only;
	}
	if (txt.status != DNS_OK || one_record(&txt, id, sizeof id) == -1) {
		/* 5.1: no usable record, yet a cached policy stands: that is
		 * what keeps an attacker who strips the record from
		 * downgrading us */
		snprintf(note, noten, "%s", txt.status == DNS_OK ? "no valid "
		    "STSv1 record" : txt.status == DNS_TEMP ? "TXT lookup failed" :
		    "no record");
		dns_answer_free(&txt);
		goto cache_only;
	}
	dns_answer_free(&txt);
	if (have_cache && strcmp(cached.id, id) == 0) {
		*p = cached;
		return 1;
	}
	if (https_addr(dns, cf, d, addr, sizeof addr, why, sizeof why) == -1 ||
	    mtasts_fetch(cf, d, addr, &body, why, sizeof why) == -1 ||
	    mtasts_policy_parse(body.p ? body.p : "", body.len, &fresh, why,
	    sizeof why) == -1) {
		snprintf(note, noten, "policy fetch failed: %s", why);
		buf_free(&body);
		goto cache_only;
	}
	snprintf(fresh.id, sizeof fresh.id, "%s", id);
	fresh.fetched = now;
	/* a cache we cannot write leaves the policy in force for this
	 * delivery; the next one fetches again */
	if (mtasts_cache_store(cf->cachedir, d, &fresh, body.p, body.len) == -1)
		snprintf(note, noten, "unable to cache the policy: %s",
		    strerror(errno));
	buf_free(&body);
	*p = fresh;
	return 1;
cache_only:
	if (have_cache) {
		*p = cached;
		rc = 1;
	}
	return rc;
}

int
mtasts_delivery(struct dns *dns, const struct mtasts_conf *cf,
    const char *domain, const char **host, size_t *n, int *verify,
    char *note, size_t noten)
{
	struct mtasts_policy p;
	char why[256], miss[300] = "";
	size_t i, k;
	int r;

	*verify = 0;
	if ((r = mtasts_discover(dns, cf, domain, &p, why, sizeof why)) == -1)
		return -1;
	if (r == 0) {
		snprintf(note, noten, "mta-sts=none%s%s", why[0] ? " " : "", why);
		return 0;
	}
	for (i = k = 0; i < *n; i++) {
		if (mtasts_mx_match(&p, host[i])) {
			host[k++] = host[i];
			continue;
		}
		if (miss[0] == '\0')
			snprintf(miss, sizeof miss, "%.255s", host[i]);
		if (p.mode != MTASTS_ENFORCE)
			host[k++] = host[i];
	}
	snprintf(note, noten, "mta-sts=%s id=%s%s%s%s%s", mtasts_mode_name(p.mode),
	    p.id, p.cached ? " cached" : "", miss[0] ? " unmatched=" : "", miss,
	    why[0] ? " " : "");
	if (why[0])
		snprintf(note + strlen(note), noten - strlen(note), "%s", why);
	if (p.mode != MTASTS_ENFORCE)
		return 0;
	*n = k;
	*verify = 1;
	if (k == 0) {
		snprintf(note, noten, "MTA-STS policy of %.200s (enforce, id %s): "
		    "no MX host matches its mx patterns (%.200s does not)", domain,
		    p.id, miss);
		return 1;
	}
	return 0;
}
