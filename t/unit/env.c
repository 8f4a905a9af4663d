/* Unit tests for lib/core/env.c: the envelope from the environment, from our
 * own trace headers (and never from a stranger's), and the direction. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "env.h"
#include "tap.h"
#include "tmpdir.h"

static void
clear_env(void)
{
	static const char *const vars[] = { "SENDER", "RECIPIENT", "TCPREMOTEIP",
	    "TCPREMOTEHOST", "HELO", "DIRECTION", "TLS", "QUEUEID" };
	size_t i;

	for (i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
}

static void
rcpts(const struct envelope *e, char *out, size_t n)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < e->nrcpt && o < n; i++)
		o += (size_t)snprintf(out + o, n - o, "%s%s", i ? "|" : "", e->rcpt[i]);
}

static const struct {
	const char *name, *sender, *rcpt, *dir;
	int         rc;
	const char *want_sender, *want_rcpt, *want_dir;
} envs[] = {
	{ "bare sender", "a@x.example", NULL, NULL, 0, "a@x.example", "", "unknown" },
	{ "sender with brackets", "<a@x.example>", NULL, NULL, 0, "a@x.example", "", "unknown" },
	{ "null sender <>", "<>", NULL, NULL, 0, "", "", "unknown" },
	{ "null sender empty", "", NULL, NULL, 0, "", "", "unknown" },
	{ "one recipient", NULL, "b@y.example", NULL, 0, NULL, "b@y.example", "unknown" },
	{ "recipients one per line", NULL, "b@y.example\n<c@z.example>\n\n d@w.example \n",
	  NULL, 0, NULL, "b@y.example|c@z.example|d@w.example", "unknown" },
	{ "CRLF recipients", NULL, "b@y.example\r\nc@z.example\r\n", NULL, 0, NULL,
	  "b@y.example|c@z.example", "unknown" },
	{ "direction in", NULL, NULL, "in", 0, NULL, "", "in" },
	{ "direction OUT", NULL, NULL, "OUT", 0, NULL, "", "out" },
	{ "direction outbound", NULL, NULL, "outbound", 0, NULL, "", "out" },
	{ "bad direction is an error", NULL, NULL, "sideways", -1, NULL, "", "unknown" },
	{ "empty direction is unknown", NULL, NULL, "", 0, NULL, "", "unknown" },
};

static void
test_environ(void)
{
	size_t i;

	for (i = 0; i < sizeof envs / sizeof envs[0]; i++) {
		struct envelope e;
		char name[160], got[512];
		int r;

		clear_env();
		if (envs[i].sender)
			setenv("SENDER", envs[i].sender, 1);
		if (envs[i].rcpt)
			setenv("RECIPIENT", envs[i].rcpt, 1);
		if (envs[i].dir)
			setenv("DIRECTION", envs[i].dir, 1);
		memset(&e, 0, sizeof e);
		errno = 0;
		r = env_from_environ(&e);
		snprintf(name, sizeof name, "environ: %s: rc", envs[i].name);
		tap_is_long(r, envs[i].rc, name);
		if (r == -1) {
			snprintf(name, sizeof name, "environ: %s: EINVAL", envs[i].name);
			tap_is_long(errno, EINVAL, name);
		} else {
			snprintf(name, sizeof name, "environ: %s: sender", envs[i].name);
			tap_is(e.sender, envs[i].want_sender, name);
			rcpts(&e, got, sizeof got);
			snprintf(name, sizeof name, "environ: %s: recipients", envs[i].name);
			tap_is(got, envs[i].want_rcpt, name);
			snprintf(name, sizeof name, "environ: %s: direction", envs[i].name);
			tap_is(env_dir_name(e.dir), envs[i].want_dir, name);
		}
		env_free(&e);
	}
	clear_env();
	{
		struct envelope e;
		memset(&e, 0, sizeof e);
		setenv("TCPREMOTEIP", "203.0.113.5", 1);
		setenv("HELO", "client.example", 1);
		setenv("QUEUEID", "Q1", 1);
		env_from_environ(&e);
		tap_ok(e.ip && strcmp(e.ip, "203.0.113.5") == 0 && e.helo &&
		    strcmp(e.helo, "client.example") == 0 && e.qid &&
		    strcmp(e.qid, "Q1") == 0 && e.sender == NULL,
		    "environ: ip, helo, qid; no SENDER means unknown");
		env_free(&e);
		clear_env();
	}
}

static const char ours[] =
    "Return-Path: <bounce@sender.example>\n"
    "Received: from mx.other.example (mx.other.example [198.51.100.7])\n"
    "\tby relay.other.example with ESMTP id X; Mon, 1 Jan 2024 00:00:00 +0000\n"
    "Received: from helo.example (client.example [203.0.113.5])\n"
    "\tby gw.ourco.example with ESMTPS id Q123\n"
    "\tfor <rcpt@ourco.example>; Mon, 1 Jan 2024 00:00:00 +0000\n"
    "Received: from forged (forged [10.9.9.9]) by gw.ourco.example; old\n"
    "Subject: x\n";

static const struct {
	const char *name, *hdrs, *me;
	const char *sender, *ip, *helo, *rcpt;
} traces[] = {
	{ "our Received chosen over others", ours, "gw.ourco.example",
	  "bounce@sender.example", "203.0.113.5", "helo.example", "rcpt@ourco.example" },
	{ "me compared without case", ours, "GW.OurCo.Example",
	  "bounce@sender.example", "203.0.113.5", "helo.example", "rcpt@ourco.example" },
	{ "no me: only Return-Path", ours, "", "bounce@sender.example", NULL, NULL, "" },
	{ "another name is not ours", ours, "gw.ourco", "bounce@sender.example",
	  NULL, NULL, "" },
	{ "null Return-Path", "Return-Path: <>\n", "x", "", NULL, NULL, "" },
	{ "Return-Path with a display name ignored",
	  "Return-Path: Evil <e@x.example>\n", "x", NULL, NULL, NULL, "" },
	{ "IPv6 client", "Received: from h (h [IPv6:2001:db8::5])\n\tby me.example id Q\n",
	  "me.example", NULL, "2001:db8::5", "h", "" },
	/* The HELO is the client's to choose; the address is ours to write,
	 * in the comment after it. */
	{ "HELO address literal is not the client",
	  "Received: from [10.0.0.1] (unknown [203.0.113.9])\n\tby me.example id Q\n",
	  "me.example", NULL, "203.0.113.9", "[10.0.0.1]", "" },
	{ "nearby is not by",
	  "Received: from x (nearby me.example [10.0.0.1]) by other.example; d\n",
	  "me.example", NULL, NULL, NULL, "" },
	{ "by at the start of a fold",
	  "Received: from x (x [192.0.2.1])\n by me.example; d\n",
	  "me.example", NULL, "192.0.2.1", "x", "" },
	{ "by a longer name is not by us",
	  "Received: from x (x [192.0.2.1]) by me.example.evil.test; d\n",
	  "me.example", NULL, NULL, NULL, "" },
};

static void
test_trace(void)
{
	size_t i;

	clear_env();
	for (i = 0; i < sizeof traces / sizeof traces[0]; i++) {
		struct envelope e;
		struct hdr h;
		char name[160], got[512];

		memset(&e, 0, sizeof e);
		hdr_parse(&h, traces[i].hdrs, 0, strlen(traces[i].hdrs), NULL);
		snprintf(name, sizeof name, "trace: %s: rc", traces[i].name);
		tap_is_long(env_from_trace(&e, &h, traces[i].me), 0, name);
		snprintf(name, sizeof name, "trace: %s: sender", traces[i].name);
		tap_is(e.sender, traces[i].sender, name);
		snprintf(name, sizeof name, "trace: %s: ip", traces[i].name);
		tap_is(e.ip, traces[i].ip, name);
		snprintf(name, sizeof name, "trace: %s: helo", traces[i].name);
		tap_is(e.helo, traces[i].helo, name);
		rcpts(&e, got, sizeof got);
		snprintf(name, sizeof name, "trace: %s: rcpt", traces[i].name);
		tap_is(got, traces[i].rcpt, name);
		env_free(&e);
		hdr_free(&h);
	}
	/* the environment wins over the headers */
	{
		struct envelope e;
		struct hdr h;
		memset(&e, 0, sizeof e);
		setenv("SENDER", "env@x.example", 1);
		setenv("TCPREMOTEIP", "192.0.2.99", 1);
		env_from_environ(&e);
		hdr_parse(&h, ours, 0, sizeof ours - 1, NULL);
		env_from_trace(&e, &h, "gw.ourco.example");
		tap_is(e.sender, "env@x.example", "trace: SENDER wins over Return-Path");
		tap_is(e.ip, "192.0.2.99", "trace: TCPREMOTEIP wins over Received");
		tap_is(e.helo, "helo.example", "trace: HELO still filled from Received");
		env_free(&e);
		hdr_free(&h);
		clear_env();
	}
}

static void
test_guess(void)
{
	static const struct {
		const char *ip, *given;
		const char *want;
	} rows[] = {
		{ "10.1.2.3", NULL, "out" },
		{ "192.168.5.5", NULL, "out" },
		{ "192.0.2.1", NULL, "out" },        /* single address line */
		{ "192.0.2.2", NULL, "in" },
		{ "203.0.113.5", NULL, "in" },
		{ "not an ip", NULL, "in" },
		{ NULL, NULL, "in" },
		{ "10.1.2.3", "in", "in" },          /* given direction kept */
		{ "203.0.113.5", "out", "out" },
		{ "::ffff:10.0.0.1", NULL, "out" },
	};
	char path[256];
	size_t i;

	tmpdir_write("relayclients", "# our networks\n10.0.0.0/8\n192.168.0.0/16\n"
	    "192.0.2.1\n", 0, path, sizeof path);
	ctl_set_dir(tmpdir_path);
	for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct envelope e;
		char name[128];

		memset(&e, 0, sizeof e);
		if (rows[i].ip)
			e.ip = strdup(rows[i].ip);
		if (rows[i].given)
			env_dir_parse(rows[i].given, &e.dir);
		snprintf(name, sizeof name, "guess: %s%s%s", rows[i].ip ? rows[i].ip : "(no ip)",
		    rows[i].given ? " given " : "", rows[i].given ? rows[i].given : "");
		tap_is_long(env_guess_dir(&e), 0, name);
		tap_is(env_dir_name(e.dir), rows[i].want, name);
		env_free(&e);
	}
	/* a relayclients that cannot be read makes mail wait */
	{
		struct envelope e;
		char d[200];
		/* and so does a line that is not a network, as in
		 * smtpd-accept: one parser, one answer (ctl_nets) */
		tmpdir_write("relayclients", "10.0.0.0/8\nnot-a-net\n", 0, path,
		    sizeof path);
		memset(&e, 0, sizeof e);
		e.ip = strdup("10.1.2.3");
		tap_is_long(env_guess_dir(&e), -1, "guess: a bad relayclients line: -1");
		tap_is_long(errno, EINVAL, "... EINVAL");
		env_free(&e);
		snprintf(d, sizeof d, "%s/sub", tmpdir_path);
		mkdir(d, 0755);
		snprintf(path, sizeof path, "%s/relayclients", d);
		mkdir(path, 0755);
		ctl_set_dir(d);
		memset(&e, 0, sizeof e);
		e.ip = strdup("10.1.2.3");
		tap_is_long(env_guess_dir(&e), -1, "guess: unreadable relayclients: -1");
		env_free(&e);
		/* a control directory named but missing (a typo): mail waits,
		 * rather than every setting silently at its default */
		snprintf(d, sizeof d, "%s/none", tmpdir_path);
		ctl_set_dir(d);
		memset(&e, 0, sizeof e);
		e.ip = strdup("10.1.2.3");
		tap_is_long(env_guess_dir(&e), -1, "guess: a named control dir missing: -1");
		env_free(&e);
		/* and with an empty one (every default): in, never an open relay */
		snprintf(d, sizeof d, "%s/empty", tmpdir_path);
		mkdir(d, 0755);
		ctl_set_dir(d);
		memset(&e, 0, sizeof e);
		e.ip = strdup("10.1.2.3");
		tap_is_long(env_guess_dir(&e), 0, "guess: no control files: 0");
		tap_is(env_dir_name(e.dir), "in", "guess: no control files: in");
		env_free(&e);
	}
	ctl_set_dir(NULL);
}

int
main(void)
{
	tmpdir_make();
	test_environ();
	test_trace();
	test_guess();
	tmpdir_remove();
	return tap_done();
}
