#!/bin/sh
# The README's run command (make run) until the supervisor lands: the demo
# script must show each filter at work with the verdicts the README promises.
. "$(dirname "$0")/lib.sh"

run sh "$top/share/devel/demo.sh" "$BIN"
is_exit 'the demo runs to its end' 0
like 'header-strip output is shown' '^Subject: Quarterly figures'
unlike 'no private address leaves in the shown headers' '\[(10|172\.16|192\.168)\.|fe80::'
like 'the spoofed CEO mail is quarantined' 'inbound-spoof\.eml: spoof-check quarantine 5\.7\.1'
like 'the display-name trick is quarantined' 'inbound-display\.eml: spoof-check quarantine'
like 'the partner mail passes' 'inbound-legit\.eml: spoof-check pass'
like 'outbound mail without our domain is rejected' 'spoof-check reject 5\.7\.1'
like 'the annotated message carries Authentication-Results' '^Authentication-Results: gw\.ourco\.example;'
done_testing
