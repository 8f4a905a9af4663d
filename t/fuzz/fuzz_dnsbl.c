/* fuzz_dnsbl: the parsers of dnsbl-check over the fuzzer's bytes.  The
 * first byte chooses: a site line of control/dnsbl, rhsbl or uribl
 * (postscreen syntax and its answer patterns), an own list in rbldnsd's
 * ip4set or dnset format (then looked up), or message text or HTML whose
 * links are cut to registered domains.  Whatever comes back must be in bounds:
 * a site's zone is a C string, list texts are capped, found domains are
 * lower-case host names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsbl.h"
#include "dnslist.h"
#include "uridom.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
site(const char *s, size_t n, int kind)
{
	struct dnsbl_site st;
	char line[1024], err[300];
	unsigned char a[4] = { 127, 0, 0, 2 };

	if (n >= sizeof line)
		n = sizeof line - 1;
	memcpy(line, s, n);
	line[n] = '\0';
	if (dnsbl_site_parse(line, kind, &st, err, sizeof err) == 0) {
		if (strlen(st.zone) >= sizeof st.zone || st.weight > 1000 ||
		    st.weight < -1000 || st.what == 0 || st.what > DNSBL_ALL)
			abort();
		(void)dnsbl_filter_match(&st, a);
	} else if (strlen(err) == 0)
		abort();
}

static void
list(const char *s, size_t n, int kind)
{
	static const char *const ips[] = { "192.0.2.66", "10.1.2.3",
		"2001:db8::1", "255.255.255.255", "0.0.0.0" };
	static const char *const names[] = { "evil.test", "a.b.spam.test",
		"EVIL.TEST.", "x", "" };
	struct dnslist l;
	char err[300];
	unsigned line;
	size_t i;

	if (dnslist_parse(&l, kind ? DNSLIST_NAME : DNSLIST_IP, s, n, &line,
	    err, sizeof err) == -1)
		return;
	for (i = 0; i < 5; i++) {
		unsigned char a[4];
		const char *t;
		struct ip_addr ip;
		int hit = kind ? dnslist_match_name(&l, names[i], a, &t) :
		    ip_parse(ips[i], strlen(ips[i]), &ip) == 0 &&
		    dnslist_match_ip(&l, &ip, a, &t);
		if (hit && strlen(t) > DNSLIST_TEXT_MAX)
			abort();
	}
	dnslist_free(&l);
}

static void
links(const char *s, size_t n, int html)
{
	struct uridom u;
	size_t i, k;

	uridom_init(&u, 20);
	if ((html ? uridom_scan_html(&u, s, n) : uridom_scan(&u, s, n)) == 0)
		for (i = 0; i < u.n; i++) {
			size_t len = strlen(u.v[i]);
			if (len == 0 || len > URIDOM_NAME_MAX)
				abort();
			for (k = 0; k < len; k++) {
				char c = u.v[i][k];
				if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
				    c == '-' || c == '.' || c == '_'))
					abort();
			}
		}
	if (u.n > 20)
		abort();
	uridom_free(&u);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;

	if (size == 0)
		return 0;
	switch (data[0] % 7) {
	case 0: site(s, size - 1, DNSBL_IP); break;
	case 1: site(s, size - 1, DNSBL_NAME); break;
	case 2: site(s, size - 1, DNSBL_URI); break;
	case 3: list(s, size - 1, 0); break;
	case 4: list(s, size - 1, 1); break;
	case 5: links(s, size - 1, 0); break;
	default: links(s, size - 1, 1); break;
	}
	return 0;
}
