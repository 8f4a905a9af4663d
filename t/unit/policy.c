/* Unit tests for lib/sender/policy.c: the glob, rule lines good and bad, macro
 * expansion, and which rule decides (fewest '*', then most literal
 * characters, then the first). */
#include <errno.h>
#include <string.h>

#include "policy.h"
#include "tap.h"

static const struct {
	const char *pat, *s;
	int         want;
} globs[] = {
	{ "*@*", "a@b.example", 1 },
	{ "*@*", "nobody", 0 },
	{ "*@*", "", 0 },
	{ "*", "", 1 },
	{ "*@ourco.example", "CEO@OurCo.Example", 1 },
	{ "*@ourco.example", "ceo@ourco.example.evil.example", 0 },
	{ "*@*.ourco.example", "a@mail.ourco.example", 1 },
	{ "*@*.ourco.example", "a@ourco.example", 0 },
	{ "a*b*c@x", "aXbYbZc@x", 1 },
	{ "a*b*c@x", "aXbYbZ@x", 0 },
	{ "**@x", "@x", 1 },
	{ "*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
};

static char *local[] = { "ourco.example", ".corp.example" };
static const struct policy_macro mac[] = { { "local", local, 2 } };

static const struct {
	const char *name, *line;
	int         ok;      /* 1: accepted */
	size_t      nrules;  /* rules it expands to */
	const char *err;     /* start of the message for a bad line */
} lines[] = {
	{ "three fields", "*@* *@* pass", 1, 1, NULL },
	{ "four fields", "*@* *@* in quarantine", 1, 1, NULL },
	{ "tabs and spaces", "\t*@*\t  *@*   both   reject", 1, 1, NULL },
	{ "%local expands per domain", "*@%local *@* in quarantine", 1, 2, NULL },
	{ "%local twice: every pair", "*@%local *@%local out pass", 1, 4, NULL },
	{ "unknown action", "*@* *@* quarantene", 0, 0, "unknown action" },
	{ "tempfail is not an action", "*@* *@* tempfail", 0, 0, "unknown action" },
	{ "unknown direction", "*@* *@* sideways pass", 0, 0, "unknown direction" },
	{ "two fields", "*@* pass", 0, 0, "want SENDER" },
	{ "five fields", "*@* *@* in pass now", 0, 0, "want SENDER" },
	{ "domain without @", "ourco.example *@* pass", 0, 0, "SENDER ourco.example" },
	{ "unknown macro", "*@%lokal *@* pass", 0, 0, "unknown macro %lokal" },
	{ "control byte", "*@*\001 *@* pass", 0, 0, "control character" },
};

/* The rule table every match below runs against. */
static const char *const table[] = {
	"*@%local         *@*  in   quarantine",      /* line 1 */
	"*@%local         *@*  out  pass",            /* line 2 */
	"*@*              *@*  out  reject",          /* line 3 */
	"news@ourco.example *@* in  pass",            /* line 4 */
	"*@*              boss@ourco.example in flag", /* line 5 */
	"*@*              *@*  both pass",            /* line 6 */
	"*@*              *@*  in   reject",          /* line 7: ties 6, loses */
};

static const struct {
	const char *name, *sender, *rcpt;
	unsigned    dir;
	unsigned    want_line;   /* 0: no rule */
	enum verdict want;
} matches[] = {
	{ "foreign inbound: catch-all, the first of a tie", "bob@partner.example",
	    "a@ourco.example", POLICY_IN, 6, VERDICT_PASS },
	{ "ours inbound: quarantine", "ceo@ourco.example", "a@ourco.example",
	    POLICY_IN, 1, VERDICT_QUARANTINE },
	{ "ours inbound, trailing dot and case", "ceo@OURCO.example.", "a@x.example",
	    POLICY_IN, 1, VERDICT_QUARANTINE },
	{ "subdomain entry: *.corp.example beats *@*", "x@exch.corp.example", "a@b.example",
	    POLICY_OUT, 2, VERDICT_PASS },
	{ "corp.example itself is not ours", "x@corp.example", "a@b.example",
	    POLICY_OUT, 3, VERDICT_REJECT },
	{ "foreign outbound: reject", "bob@partner.example", "c@d.example",
	    POLICY_OUT, 3, VERDICT_REJECT },
	{ "a specific sender beats %local", "news@ourco.example", "a@ourco.example",
	    POLICY_IN, 4, VERDICT_PASS },
	{ "a specific recipient beats the catch-all", "bob@partner.example",
	    "boss@ourco.example", POLICY_IN, 5, VERDICT_FLAG },
	{ "unknown recipient: rules naming one do not apply", "bob@partner.example",
	    NULL, POLICY_IN, 6, VERDICT_PASS },
	{ "unknown recipient: *@* rules do", "ceo@ourco.example", NULL,
	    POLICY_IN, 1, VERDICT_QUARANTINE },
	{ "a NUL-free subject with odd bytes", "\x01@\xff", "a@b", POLICY_OUT,
	    3, VERDICT_REJECT },
};

int
main(void)
{
	struct policy p;
	char err[256], name[300];
	size_t i;

	for (i = 0; i < sizeof globs / sizeof globs[0]; i++) {
		snprintf(name, sizeof name, "glob %s ~ %s", globs[i].pat, globs[i].s);
		tap_is_long(policy_glob(globs[i].pat, globs[i].s, strlen(globs[i].s)),
		    globs[i].want, name);
	}
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		int r;
		memset(&p, 0, sizeof p);
		err[0] = '\0';
		r = policy_add_line(&p, lines[i].line, 1, mac, 1, err, sizeof err);
		snprintf(name, sizeof name, "line: %s", lines[i].name);
		tap_is_long(r == 0, lines[i].ok, name);
		if (lines[i].ok) {
			snprintf(name, sizeof name, "line: %s: rule count", lines[i].name);
			tap_is_long((long)p.n, (long)lines[i].nrules, name);
		} else {
			snprintf(name, sizeof name, "line: %s: says why", lines[i].name);
			tap_ok(errno == EINVAL &&
			    strncmp(err, lines[i].err, strlen(lines[i].err)) == 0, name);
			if (strncmp(err, lines[i].err, strlen(lines[i].err)) != 0)
				printf("#   got: '%s'\n", err);
		}
		policy_free(&p);
	}
	{
		struct policy_rule *r;
		memset(&p, 0, sizeof p);
		policy_add_line(&p, "*@%local *@* in pass", 1, mac, 1, err, sizeof err);
		r = p.n == 2 ? &p.r[1] : NULL;
		tap_is(r ? r->sender : NULL, "*@*.corp.example",
		    "a .domain entry expands to *.domain");
		policy_free(&p);
		memset(&p, 0, sizeof p);
		tap_is_long(policy_add_line(&p, "*@%local *@* in pass", 1, mac, 0,
		    err, sizeof err), -1, "no macros known: %local is an error");
		policy_free(&p);
	}
	memset(&p, 0, sizeof p);
	{
		static const struct policy_macro none[] = { { "local", NULL, 0 } };
		tap_is_long(policy_add_line(&p, "*@%local *@* in pass", 1, none, 1,
		    err, sizeof err), 0, "a macro with no values: accepted");
		tap_is_long((long)p.n, 0, "a macro with no values: no rules");
		policy_free(&p);
	}
	memset(&p, 0, sizeof p);
	for (i = 0; i < sizeof table / sizeof table[0]; i++)
		if (policy_add_line(&p, table[i], (unsigned)i + 1, mac, 1, err,
		    sizeof err) == -1)
			printf("# table line %zu: %s\n", i + 1, err);
	for (i = 0; i < sizeof matches / sizeof matches[0]; i++) {
		const struct policy_rule *r = policy_match(&p, matches[i].sender,
		    matches[i].rcpt, matches[i].dir);
		snprintf(name, sizeof name, "match: %s: line", matches[i].name);
		tap_is_long(r ? (long)r->lineno : 0, matches[i].want_line, name);
		snprintf(name, sizeof name, "match: %s: action", matches[i].name);
		tap_is(r ? verdict_name(r->action) : NULL,
		    matches[i].want_line ? verdict_name(matches[i].want) : NULL, name);
	}
	policy_free(&p);
	return tap_done();
}
