#!/bin/sh
# supervisor-user: the whole of t/supervisor.t again with the supervisor
# started as an ordinary user (nobody) rather than as root, on a fresh
# queue it creates itself (every stage's folders, sched/ and quarantine/
# among them): timeouts, retries with backoff, bounces, LMTP, SMTPUTF8
# and maxconnections must all work the same.  Run as an ordinary user,
# it is t/supervisor.t as that user.
GW_AS=65534
. "$(dirname "$0")/supervisor.t"
