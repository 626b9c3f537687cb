#!/usr/bin/env python3
"""Benchmark helper: CPU seconds (user + system) used so far by the given processes and all their
descendants, from /proc/PID/stat, counting what exited children left in their parent's
cutime/cstime, so a difference of two readings covers PostgreSQL backends that came and went.
    Benchmarks/nodes-cpu.py PID…   (e.g. the postmaster, nginx's master, each paperboy node)"""
import os
import sys

ticks = os.sysconf("SC_CLK_TCK")


def stat(pid):
    try:
        text = open(f"/proc/{pid}/stat").read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return ppid, utime + stime + cutime + cstime


processes = {int(p): stat(p) for p in os.listdir("/proc") if p.isdigit()}
processes = {pid: value for pid, value in processes.items() if value}
children = {}
for pid, (ppid, _) in processes.items():
    children.setdefault(ppid, []).append(pid)
total, seen = 0, set()
todo = [int(p) for p in sys.argv[1:]]
while todo:
    pid = todo.pop()
    if pid in seen or pid not in processes:
        continue
    seen.add(pid)
    total += processes[pid][1]
    todo += children.get(pid, [])
print(f"{total / ticks:.2f}")
