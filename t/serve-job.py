#!/usr/bin/python3
"""serve-job.py: drive a resident stage (lib/queue/serve.h) the way the
supervisor's scan workers do, for t/resident.t and share/devel/bench-spam.sh.

  serve-job.py [--quiet] [--cpu] [--env VAR=val]... -- PROG ARGS... -- JOB...

PROG ARGS --serve is started with one end of a SOCK_SEQPACKET socketpair
on fd 3.  Each JOB is FILE or FILE|VAR=val|VAR=val...: the message on
stdin, the variables as the job's envelope (the --env ones for every job);
or !COMMAND (run by sh, with $RESIDENT the resident's pid), +SECONDS (a
pause), ? (a packet that is no job).  &JOB sends the job and goes on at
once: its reply is read after the last JOB, as a busy supervisor's
workers queue jobs before a resident takes them.
Jobs are numbered by their place among all of these.
The output and the log go into unnamed files.  For each job prints

  == N pid=PID exit=STATUS
  <the job's stdout>
  -- log
  <the job's stderr>

(--quiet: only the == line).  With --cpu, last a line "cpu SECONDS jobs N hwm KB"
of the resident's own user+system time over the jobs and its peak
resident memory, from /proc.  The
resident is told to leave by closing our end, and its exit status is the
last line: "resident exit STATUS".
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

MAGIC = b"portcullis-job 1\0"
VARS = ["SENDER", "RECIPIENT", "DIRECTION", "QUEUEID", "TCPREMOTEIP",
        "TCPREMOTEHOST", "HELO", "TLS"]


def cpu_of(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hwm_of(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main(argv):
    quiet = cpu = False
    env = {}
    i = 1
    while argv[i] != "--":
        if argv[i] == "--quiet":
            quiet = True
        elif argv[i] == "--cpu":
            cpu = True
        elif argv[i] == "--env":
            i += 1
            k, v = argv[i].split("=", 1)
            env[k] = v
        i += 1
    rest = argv[i + 1:]
    j = rest.index("--")
    prog, jobs = rest[:j], rest[j + 1:]
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    os.set_inheritable(theirs.fileno(), True)
    # our descriptors are close-on-exec; the dup2 onto 3 is not
    p = subprocess.Popen(prog + ["--serve"], stdin=subprocess.DEVNULL,
                         close_fds=False,
                         preexec_fn=lambda: os.dup2(theirs.fileno(), 3))
    theirs.close()
    start = None
    out = sys.stdout.buffer
    later = []
    for n, job in enumerate(jobs, 1):
        if job.startswith("!"):
            subprocess.run(job[1:], shell=True, check=True,
                           env=dict(os.environ, RESIDENT=str(p.pid)))
            continue
        if job.startswith("+"):
            time.sleep(float(job[1:]))
            continue
        if job == "?":
            ours.send(b"not a job")
            continue
        defer = job.startswith("&")
        parts = job.lstrip("&").split("|")
        path, jenv = parts[0], dict(env)
        for a in parts[1:]:
            k, v = a.split("=", 1)
            jenv[k] = v.replace("\\n", "\n")
        data = MAGIC + b"".join(
            (k + ("=" + jenv[k] if k in jenv else "")).encode() + b"\0"
            for k in VARS)
        fin = os.open(path, os.O_RDONLY)
        fo = tempfile.TemporaryFile()
        fe = tempfile.TemporaryFile()
        r, w = os.pipe()
        if start is None and cpu:
            start = cpu_of(p.pid)
        try:
            socket.send_fds(ours, [data], [fin, fo.fileno(), fe.fileno(), w])
        except OSError as e:
            out.write(b"== %d lost: %s\n" % (n, str(e).encode()))
            break
        finally:
            os.close(fin)
        os.close(w)
        if defer:
            later.append((n, r, fo, fe))
        else:
            answer(out, quiet, n, r, fo, fe)
    for n, r, fo, fe in later:
        answer(out, quiet, n, r, fo, fe)
    if cpu:
        used = cpu_of(p.pid) - (start or 0)
        out.write(b"cpu %.3f jobs %d hwm %d\n" % (used, len(jobs), hwm_of(p.pid)))
    ours.close()
    out.write(b"resident exit %d\n" % p.wait())
    out.flush()


def answer(out, quiet, n, r, fo, fe):
    reply = b""
    while True:
        b = os.read(r, 256)
        if not b:
            break
        reply += b
    os.close(r)
    pid = status = "-"
    for line in reply.decode().splitlines():
        if line.startswith("P"):
            pid = line[1:]
        elif line.startswith("X"):
            status = line[1:]
    out.write(b"== %d pid=%s exit=%s\n" % (n, pid.encode(), status.encode()))
    if not quiet:
        fo.seek(0)
        out.write(fo.read())
        out.write(b"-- log\n")
        fe.seek(0)
        out.write(fe.read())
    fo.close()
    fe.close()


if __name__ == "__main__":
    main(sys.argv)
