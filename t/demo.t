#!/bin/sh
# make demo: the demo script must show each filter at work with the
# verdicts the README promises, then one message through the running
# gateway into its maildir route, and the queue empty again after.
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
like 'the executable named invoice.pdf is rejected' 'invoice\.eml: filetype-check reject 5\.7\.1 2 is application/x-dosexec'
like 'mime-explode lists its parts' '^2	application/pdf	256	base64	-	invoice\.pdf$'
like 'GTUBE is spam' 'gtube\.eml: spam-score flag 2\.7\.0 score=1003'
like 'the gateway takes the message' '^DATA: 250 2\.0\.0 Ok: queued as '
like '... and delivers it with the chain'"'"'s headers' '^X-Spam-Status: No, '
like '... one id from the door to the delivery' '^portcullis: qid=[0-9.MPQ]+ delivery=done bounced=0$'
like '... the queue is empty again' '^outgoing messages=0 bytes=0$'
unlike 'no word of a supervisor yet to land' 'land'
done_testing
