#!/bin/sh
# relay-resident-user: the whole of t/relay-resident.t again with the
# supervisor started as an ordinary user (nobody) rather than as root:
# resident relay-outs and delivery workers, a 1.5 MiB message with a 5xx
# beside a 2xx, 451 forever, a stalled peer, kill -9, deliveryworkers 0.
GW_AS=65534
. "$(dirname "$0")/relay-resident.t"
