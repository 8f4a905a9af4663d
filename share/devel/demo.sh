#!/bin/sh
# demo.sh BINDIR: the README's run command until the supervisor lands.
# Shows header-strip and spoof-check at work on share/examples with a
# throw-away control directory for the example organisation ourco.example.
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
ex=$top/share/examples
ctl=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-demo.XXXXXX")
trap 'rm -rf "$ctl"' EXIT
printf 'gw.ourco.example\n' >"$ctl/me"
printf 'ourco.example\n' >"$ctl/localdomains"
printf '10.0.0.0/8\n' >"$ctl/relayclients"
printf 'exch01.corp.ourco.example\n.corp.ourco.example\n' >"$ctl/internalhosts"
PORTCULLIS_CONTROL=$ctl
PORTCULLIS_RULES=$top/share/rules
export PORTCULLIS_CONTROL PORTCULLIS_RULES

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Control directory (one setting per file):"
for f in "$ctl"/*; do printf '  %-14s %s\n' "$(basename "$f")" "$(tr '\n' ' ' <"$f")"; done

say "Outbound: $ex/outbound-exchange.eml crossed two internal Exchange hops."
say "Headers before header-strip:"
sed '/^$/q' "$ex/outbound-exchange.eml"
say "Headers after  header-strip --direction out:"
"$bin/header-strip" --direction out <"$ex/outbound-exchange.eml" | sed '/^\r\{0,1\}$/q'
echo "(exit $?)"

say "spoof-check, one verdict line per file (batch mode, as a cron rescan runs it):"
DIRECTION=in "$bin/spoof-check" --sender attacker@evil.example \
	"$ex/inbound-spoof.eml" "$ex/inbound-display.eml" 2>/dev/null
echo "(exit $?: the worst verdict; 99 = quarantine)"
DIRECTION=in "$bin/spoof-check" --sender bob@partner.example \
	"$ex/inbound-legit.eml" 2>/dev/null
echo "(exit $?)"
DIRECTION=out "$bin/spoof-check" --sender alice@ourco.example \
	"$ex/outbound-exchange.eml" 2>/dev/null
echo "(exit $?)"
DIRECTION=out "$bin/spoof-check" --sender bob@partner.example \
	"$ex/inbound-legit.eml" 2>/dev/null
echo "(exit $?: 100 = reject; outbound mail must carry our domain)"

say "spoof-check -a (annotate, as the gateway's chain and procmail use it):"
DIRECTION=in "$bin/spoof-check" -a --sender attacker@evil.example \
	<"$ex/inbound-spoof.eml" 2>/dev/null | sed '/^$/q'

say "Try your own: $bin/spoof-check --direction in < message.eml"
echo "Man pages: man cmd/header-strip.8  man cmd/spoof-check.8"
