#!/usr/bin/env python3
"""CPU of a command's whole process tree, by kind of process: what docs/testing.md's "where the CPU goes" tables use.

    bench/cpu-tree.py dotnet test tests/Widgetify.Cli.Tests -c Release --no-build

It makes itself the child subreaper (prctl PR_SET_CHILD_SUBREAPER), so the PostgreSQL servers that pg_ctl daemonizes
are reparented to it and reaped here: getrusage(RUSAGE_CHILDREN) at the end is then the CPU of everything the command
started, which /usr/bin/time misses (it sees the daemonized servers leave). Every 0.1 s it also reads the CPU time of
each descendant from /proc and sorts them by kind (test host, each widgetify verb, postgres, HAProxy, Chromium...), so
a process shorter than that is missed by the breakdown (not by the total). CPU-seconds move far less than wall time on
a shared machine: they count the work, not the wait for a core. Linux only; prints to standard error.
"""
import collections
import ctypes
import os
import resource
import subprocess
import sys
import threading
import time

PR_SET_CHILD_SUBREAPER = 36


def kind(cmd):
    first = cmd.split(' ')[0]
    if first.startswith('postgres') or first.endswith('/postgres'):
        return 'postgres'
    if 'testhost' in cmd:
        return 'testhost'
    if 'vstest' in cmd or cmd.startswith('dotnet test'):
        return 'dotnet test / vstest'
    if 'widgetify.dll' in cmd:
        args = cmd.split('widgetify.dll', 1)[1].split()
        verb = args[0] if args else '?'
        if verb == 'up' and '--cluster-instance' in args:
            verb = 'up (fleet instance)'
        if verb in ('cluster', 'drill', 'tenants', 'keys') and len(args) > 1:
            verb += ' ' + args[1]
        return 'widgetify ' + verb
    for name in ('initdb', 'pg_ctl', 'pg_basebackup', 'haproxy', 'chromium', 'node', 'promtool', 'alertmanager'):
        if name in first:
            return name
    return 'other: ' + os.path.basename(first)[:30]


def main():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit('cpu-tree: prctl(PR_SET_CHILD_SUBREAPER) failed')
    me = str(os.getpid())
    ticks = os.sysconf('SC_CLK_TCK')
    cpu, kinds = {}, {}
    done = threading.Event()

    def sample():
        while not done.is_set():
            parent, stat = {}, {}
            for pid in os.listdir('/proc'):
                if not pid.isdigit():
                    continue
                try:
                    fields = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
                except OSError:
                    continue
                parent[pid] = fields[1]
                stat[pid] = (fields[19], (int(fields[11]) + int(fields[12])) / ticks)
            for pid, (started, seconds) in stat.items():
                ancestor = pid
                for _ in range(40):
                    ancestor = parent.get(ancestor)
                    if ancestor is None or ancestor == me:
                        break
                if ancestor != me:
                    continue
                key = (pid, started)
                if key not in kinds:
                    try:
                        kinds[key] = kind(open(f'/proc/{pid}/cmdline', 'rb').read().replace(b'\0', b' ').decode(errors='replace').strip())
                    except OSError:
                        continue
                cpu[key] = seconds
            done.wait(0.1)

    start, load = time.time(), os.getloadavg()[0]
    child = subprocess.Popen(sys.argv[1:])
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = 1
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        if pid == child.pid:
            code = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total, count = collections.defaultdict(float), collections.Counter()
    for key, seconds in cpu.items():
        total[kinds[key]] += seconds
        count[kinds[key]] += 1
    out = sys.stderr
    print(f'cpu-tree: wall {time.time() - start:.1f} s, CPU {usage.ru_utime + usage.ru_stime:.1f} s '
          f'(user {usage.ru_utime:.1f}, sys {usage.ru_stime:.1f}), load average {load:.1f} at start and '
          f'{os.getloadavg()[0]:.1f} at end, exit code {code}', file=out)
    for name, seconds in sorted(total.items(), key=lambda item: -item[1]):
        print(f'  {seconds:7.1f} s  {count[name]:5d} processes  {name}', file=out)
    sys.exit(code)


if __name__ == '__main__':
    main()
