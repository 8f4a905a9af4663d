#!/bin/sh
# The README's run command (make run) until the supervisor lands: the demo
# script must show each filter at work with the verdicts the README promises.
. "$(dirname "$0")/lib.sh"

run sh "$top/share/devel/demo.sh" "$BIN"
is_exit 'the demo runs to its end' 0
like 'header-strip output is shown' '^Subject: Quarterly figures'
after=$(printf '%s\n' "$out" | sed -n '/Headers after/,/spoof-check, one verdict/p')
is 'no private address in the headers after header-strip' \
	"$(printf '%s\n' "$after" | grep -Ec '(^|[^0-9])(10|172\.16|192\.168)\.[0-9]|fe80::')" 0
like 'the spoofed CEO mail is quarantined' 'inbound-spoof\.eml: spoof-check quarantine 5\.7\.1'
like 'the display-name trick is quarantined' 'inbound-display\.eml: spoof-check quarantine'
like 'the partner mail passes' 'inbound-legit\.eml: spoof-check pass'
like 'outbound mail without our domain is rejected' 'spoof-check reject 5\.7\.1'
like 'the annotated message carries Authentication-Results' '^Authentication-Results: gw\.ourco\.example;'
done_testing
