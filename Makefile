# portcullis: one GNU Makefile.  make, make check, make install, make bench,
# make fuzz, make run.  SANITIZE=1 builds everything with ASan+UBSan into
# its own tree (.san/) so the two builds never mix; WERROR=1 adds -Werror;
# O=DIR puts the whole build (objects, bin/, unit tests) under DIR.

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
SHAREDIR = $(PREFIX)/share/portcullis
MANDIR   = $(PREFIX)/share/man
# what make install lays out beyond PREFIX (make install, below)
SYSCONFDIR ?= /etc
CONFDIR  = $(SYSCONFDIR)/portcullis
SPOOLDIR ?= /var/spool/portcullis
LOGDIR   ?= /var/log/portcullis
CACHEDIR ?= /var/cache/portcullis
UNITDIR  ?= $(PREFIX)/lib/systemd/system

CC      ?= cc
CFLAGS  ?= -O2 -g
PKG_CONFIG ?= pkg-config

WARN    = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
          -Wformat=2 -Wno-unused-parameter -Wvla
HARDEN  = -fstack-protector-strong -fPIE
LDHARD  = -pie -Wl,-z,relro,-z,now
ifeq ($(WERROR),1)
WARN   += -Werror
endif

ifeq ($(SANITIZE),1)
O      ?= .san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
           -fno-omit-frame-pointer
CFLAGS  = -O1 -g
else
O      ?= .
SANFLAGS =
HARDEN += -D_FORTIFY_SOURCE=2
endif

BIN     = $(O)/bin
OBJ     = $(O)/.obj
# lib/ is cut into rooms that follow a message through the gateway
# (portcullis(7), LAYOUT); every room is on the quote-include path, so a
# header is named by its file alone and a module can change rooms freely.
LIB_DIRS = $(sort $(patsubst %/,%,$(dir $(wildcard lib/*/*.c lib/*/*.h))))
LIB_INC  = $(addprefix -iquote ,$(LIB_DIRS))
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(LIB_INC) $(WARN) $(HARDEN) $(SANFLAGS) $(CFLAGS) \
             -DPORTCULLIS_SHARE='"$(SHAREDIR)"' -MMD -MP
ALL_LDFLAGS = $(LDHARD) $(SANFLAGS) $(LDFLAGS)

# Tools and what each one links beyond lib/ (pkg-config names).
TOOLS = $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
# libseccomp: the stages' filter (lib/core/sandbox.c), set by the
# supervisor before a stage's exec and by each filter once it started.
PKGS_header-strip = libpcre2-8 libseccomp
PKGS_dkim-sign    = libcrypto libseccomp
PKGS_spoof-check  = libcrypto libseccomp
PKGS_smtpd-accept = openssl lmdb libseccomp
PKGS_mime-explode = libseccomp
PKGS_filetype-check = libmagic libcrypto libseccomp
PKGS_relay-out    = openssl libunbound libcurl
PKGS_dnsbl-check  = libunbound libpsl libidn2 libseccomp
PKGS_auth-check   = libunbound libpsl libidn2 libcrypto libseccomp
PKGS_spam-score   = libpcre2-8 lmdb libidn2 libseccomp
PKGS_virus-scan   = libcrypto libseccomp
PKGS_portcullis   = libseccomp
PKGS_portcullis-queue =
PKGS_log-report  =
PKGS_maildir-rescan = libcrypto libseccomp
PKGS_rules-update = libcurl libcrypto libarchive
# libidn2: the entity decoder they share with spam-score's renderer
# (lib/scoring/score_html.c) sits beside its link canonicaliser.
PKGS_add-disclaimer = libidn2 libseccomp
PKGS_link-defang  = libidn2 libseccomp
PKGS_arc-seal     = libunbound libpsl libidn2 libcrypto libseccomp
ALL_PKGS = libpcre2-8 openssl libarchive libmagic libunbound libpsl libidn2 lmdb libseccomp libcurl

LIB_SRC = $(sort $(wildcard lib/*/*.c))
LIB_OBJ = $(LIB_SRC:lib/%.c=$(OBJ)/lib/%.o)
LIBA    = $(OBJ)/libportcullis.a
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(ALL_PKGS) 2>/dev/null)

UNIT_SRC = $(sort $(wildcard t/unit/*.c))
UNIT_BIN = $(UNIT_SRC:t/unit/%.c=$(OBJ)/unit/%)

.PHONY: all check unit deps install uninstall bench fuzz fuzz-run run demo clean lint
all: deps $(TOOLS:%=$(BIN)/%)

# Missing -dev packages: installed when we are root, otherwise the exact
# apt-get line is printed and the build stops (see INSTALL).
deps:
	@sh share/devel/deps.sh build

$(OBJ)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(OBJ)/cmd/%.o: cmd/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

.SECONDARY:
.SECONDEXPANSION:
$(BIN)/%: $(OBJ)/cmd/%.o $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(if $(PKGS_$*),$(shell $(PKG_CONFIG) --libs $(PKGS_$*))) -lm

$(OBJ)/unit/%: t/unit/%.c t/unit/tap.h $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -It/unit $(ALL_LDFLAGS) -o $@ $< $(LIBA) \
		$(shell $(PKG_CONFIG) --libs $(ALL_PKGS)) -lm

unit: all $(UNIT_BIN)

# The whole suite: C unit tests for lib/ and one shell test per tool, all TAP,
# under prove, which prints the summary line last.
# Under SANITIZE=1 the tools run without LeakSanitizer: a tool that exits
# through a fatal path leaves what it allocated to the kernel, as every
# short-lived Unix tool does.  The lib/ unit tests free everything and keep
# leak detection on (t/unit.t), as do the fuzzers, where a leak repeats.
ifeq ($(SANITIZE),1)
CHECK_ENV = ASAN_OPTIONS=detect_leaks=0
endif
check: deps
	@sh share/devel/deps.sh test
	@$(MAKE) --no-print-directory unit
	PORTCULLIS_BIN=$(abspath $(BIN)) PORTCULLIS_UNIT=$(abspath $(OBJ)/unit) $(CHECK_ENV) \
		prove -j2 $(sort $(wildcard t/*.t))

# libFuzzer harnesses, one per parser of untrusted bytes (clang only).
FUZZ_SRC = $(sort $(wildcard t/fuzz/*.c))
FUZZ_BIN = $(FUZZ_SRC:t/fuzz/%.c=t/fuzz/bin/%)
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE $(LIB_INC) -g -O1 \
              -DPORTCULLIS_SHARE='"$(SHAREDIR)"' $(PKG_CFLAGS)
FUZZ_SAN = address,undefined
FUZZ_SECONDS ?= 10
# lib/ is compiled once with coverage instrumentation into one archive;
# each harness links against it.
FUZZ_LIBOBJ = $(LIB_SRC:lib/%.c=t/fuzz/bin/obj/%.o)
t/fuzz/bin/obj/%.o: lib/%.c $(wildcard lib/*/*.h)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<
t/fuzz/bin/libfuzz.a: $(FUZZ_LIBOBJ)
	@rm -f $@
	$(AR) rcs $@ $^
t/fuzz/bin/%: t/fuzz/%.c t/fuzz/bin/libfuzz.a
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< t/fuzz/bin/libfuzz.a \
		$(shell $(PKG_CONFIG) --libs $(ALL_PKGS)) -lm
fuzz: deps
	@sh share/devel/deps.sh fuzz
	@$(MAKE) --no-print-directory -j2 $(FUZZ_BIN)
fuzz-run: fuzz
	@for f in $(FUZZ_BIN); do \
		n=$$(basename $$f); mkdir -p t/fuzz/bin/corpus-$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		seed=t/fuzz/seed/$$n; [ -d $$seed ] || seed=; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
			-artifact_prefix=t/fuzz/bin/$$n- -print_final_stats=0 \
			t/fuzz/bin/corpus-$$n $$seed 2>t/fuzz/bin/$$n.log \
			|| { tail -40 t/fuzz/bin/$$n.log; exit 1; }; \
	done

# The gateway in the foreground on built-in defaults (share/devel/run.sh:
# queue and maildir in ./run, 127.0.0.1:2525); make demo shows the filters
# at work on the example messages in share/examples, then the gateway
# taking and delivering one message.
run: all
	@sh share/devel/run.sh $(abspath $(BIN))
demo: all
	@sh share/devel/demo.sh $(abspath $(BIN))

# Speed and memory beside reference tools, on real mail (CORPUS=dir).
bench: all
	@sh share/devel/deps.sh bench
	@sh share/devel/bench.sh $(abspath $(BIN))
	@sh share/devel/bench-smtpd.sh $(abspath $(BIN))
	@sh share/devel/bench-dnsbl.sh $(abspath $(BIN))
	@sh share/devel/bench-spam.sh $(abspath $(BIN))
	@sh share/devel/bench-virus.sh $(abspath $(BIN))
	@sh share/devel/bench-flow.sh $(abspath $(BIN))
	@sh share/devel/bench-rewriters.sh $(abspath $(BIN))

lint: all
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability $(LIB_DIRS:%=-I%) lib cmd

# make install: programs, rules, pages; the example control directory
# (share/control: each file only where none of its name is, so that a
# configuration is never overwritten); the spool (its owner, the queue
# owner, when the users exist); the systemd unit, logrotate, fail2ban and
# cron files from share/system with this install's paths.  make uninstall
# removes all of it but what an administrator changed: a control file
# that differs from the example, and a spool that holds mail.
SYSTEM_SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@CONFDIR@|$(CONFDIR)|g' \
	-e 's|@SPOOLDIR@|$(SPOOLDIR)|g' -e 's|@LOGDIR@|$(LOGDIR)|g' \
	-e 's|@SHAREDIR@|$(SHAREDIR)|g'
CONTROL_EX = $(notdir $(wildcard share/control/*))
SYSTEM_FILES = $(UNITDIR)/portcullis.service $(SYSCONFDIR)/logrotate.d/portcullis \
	$(SYSCONFDIR)/fail2ban/filter.d/portcullis.conf \
	$(SYSCONFDIR)/fail2ban/jail.d/portcullis.conf $(SYSCONFDIR)/cron.d/portcullis
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SHAREDIR)/rules-dist \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(TOOLS:%=$(BIN)/%) $(DESTDIR)$(BINDIR)
	@# the rules are a link to a folder, which rules-update(8) turns
	@# to a newer one in one rename; an install sets it to these
	cp -R share/rules/. $(DESTDIR)$(SHAREDIR)/rules-dist
	@if [ -d $(DESTDIR)$(SHAREDIR)/rules ] && [ ! -L $(DESTDIR)$(SHAREDIR)/rules ]; then \
		rm -rf $(DESTDIR)$(SHAREDIR)/rules; fi
	ln -sfn rules-dist $(DESTDIR)$(SHAREDIR)/rules
	install -m 644 $(wildcard cmd/*.8) $(DESTDIR)$(MANDIR)/man8
	install -m 644 $(wildcard share/man/*.5) $(DESTDIR)$(MANDIR)/man5
	install -d $(DESTDIR)$(MANDIR)/man7
	install -m 644 $(wildcard share/man/*.7) $(DESTDIR)$(MANDIR)/man7
	@# the uids of portcullis(7), PRIVILEGES: on a real install by root only
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then sh share/devel/users.sh; fi
	install -d -m 755 $(DESTDIR)$(CONFDIR) $(DESTDIR)$(SHAREDIR)/control
	install -m 644 $(CONTROL_EX:%=share/control/%) $(DESTDIR)$(SHAREDIR)/control
	@for f in $(CONTROL_EX); do \
		[ -e $(DESTDIR)$(CONFDIR)/$$f ] && continue; \
		echo "install -m 644 share/control/$$f $(DESTDIR)$(CONFDIR)/$$f"; \
		install -m 644 share/control/$$f $(DESTDIR)$(CONFDIR)/$$f || exit 1; \
	done
	@# the queue: root's until the supervisor's first start makes it the
	@# queue owner's (it refuses a queue that belongs to anyone else)
	install -d -m 700 $(DESTDIR)$(SPOOLDIR)
	@if [ "$$(id -u)" = 0 ] && getent passwd portcullis >/dev/null; then \
		chown portcullis:portcullis $(DESTDIR)$(SPOOLDIR); fi
	install -d -m 750 $(DESTDIR)$(LOGDIR)
	@# relay-out's MTA-STS policies (control/mtastscache), the delivery
	@# user's to write
	install -d -m 700 $(DESTDIR)$(CACHEDIR)/mta-sts
	@if [ "$$(id -u)" = 0 ] && getent passwd portcullis-deliver >/dev/null; then \
		chown portcullis-deliver $(DESTDIR)$(CACHEDIR)/mta-sts; fi
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/logrotate.d \
		$(DESTDIR)$(SYSCONFDIR)/fail2ban/filter.d \
		$(DESTDIR)$(SYSCONFDIR)/fail2ban/jail.d $(DESTDIR)$(SYSCONFDIR)/cron.d
	$(SYSTEM_SUBST) share/system/portcullis.service.in >$(DESTDIR)$(UNITDIR)/portcullis.service
	$(SYSTEM_SUBST) share/system/logrotate.in >$(DESTDIR)$(SYSCONFDIR)/logrotate.d/portcullis
	$(SYSTEM_SUBST) share/system/fail2ban-filter.conf \
		>$(DESTDIR)$(SYSCONFDIR)/fail2ban/filter.d/portcullis.conf
	$(SYSTEM_SUBST) share/system/fail2ban-jail.conf.in \
		>$(DESTDIR)$(SYSCONFDIR)/fail2ban/jail.d/portcullis.conf
	$(SYSTEM_SUBST) share/system/cron.in >$(DESTDIR)$(SYSCONFDIR)/cron.d/portcullis
	chmod 644 $(SYSTEM_FILES:%=$(DESTDIR)%)

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%)
	@for f in $(CONTROL_EX); do \
		if cmp -s $(DESTDIR)$(SHAREDIR)/control/$$f $(DESTDIR)$(CONFDIR)/$$f; then \
			rm -f $(DESTDIR)$(CONFDIR)/$$f; \
		elif [ -e $(DESTDIR)$(CONFDIR)/$$f ]; then \
			echo "uninstall: keeping $(DESTDIR)$(CONFDIR)/$$f (changed)"; fi; \
	done
	rm -rf $(DESTDIR)$(SHAREDIR)
	rm -f $(patsubst %,$(DESTDIR)$(MANDIR)/man8/%,$(notdir $(wildcard cmd/*.8))) \
		$(patsubst %,$(DESTDIR)$(MANDIR)/man5/%,$(notdir $(wildcard share/man/*.5))) \
		$(patsubst %,$(DESTDIR)$(MANDIR)/man7/%,$(notdir $(wildcard share/man/*.7)))
	rm -f $(SYSTEM_FILES:%=$(DESTDIR)%)
	@# never mail: the spool goes only when empty of messages
	@if [ -d $(DESTDIR)$(SPOOLDIR) ] && [ -z "$$(find $(DESTDIR)$(SPOOLDIR) -type f \( -path '*/new/*' -o -path '*/cur/*' \) -print -quit)" ]; then \
		echo "rm -rf $(DESTDIR)$(SPOOLDIR)"; rm -rf $(DESTDIR)$(SPOOLDIR); \
	elif [ -d $(DESTDIR)$(SPOOLDIR) ]; then \
		echo "uninstall: keeping $(DESTDIR)$(SPOOLDIR): it holds mail"; fi
	rm -rf $(DESTDIR)$(CACHEDIR)
	@# the log stays, as the logs of a removed Debian package do
	@rmdir $(DESTDIR)$(CONFDIR) $(DESTDIR)$(LOGDIR) 2>/dev/null || true

clean:
	rm -rf bin .obj .san t/fuzz/bin

-include $(wildcard $(OBJ)/lib/*/*.d $(OBJ)/cmd/*.d $(OBJ)/unit/*.d)
