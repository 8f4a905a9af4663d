#!/bin/sh
# failures-user: the whole of t/failures.t again with the supervisor
# started as an ordinary user (nobody) rather than as root: messages of
# 1.5 and 51 MiB through reject, bounce and quarantine, a 5xx recipient
# beside a 2xx one, 40 refused recipients, a delivery past its timeout
# and the writes that fail must end the same way, each within its bound.
GW_AS=65534
. "$(dirname "$0")/failures.t"
