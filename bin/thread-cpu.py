#!/usr/bin/env python3
"""CPU time per thread of every JVM on this machine (Linux /proc), to see where a demo run's CPU goes.

  bin/thread-cpu.py record run.log          # snapshot every 2 s until killed (start it before `demo bench`)
  bin/thread-cpu.py report run.log [--start-after GeneratorApp --skip 20]

report prints CPU seconds per process and per thread name (digits folded) between two snapshots: by default from
--skip seconds after the first snapshot that shows a process matching --start-after (the pipeline's generator: the
steady state) to the second-to-last snapshot. JIT compiler threads are named "C1/C2 CompilerThre..." by the JVM.
"""
import argparse
import collections
import os
import re
import sys
import time


def process_name(cmdline):
    m = re.search(r'(dev\.ccpo\.\w+\.\w+App|kafka\.Kafka)', cmdline) or re.search(r'([\w.-]+\.jar)', cmdline)
    return m.group(1).split('.')[-1] if m and m.group(1).startswith('dev.') else (m.group(1) if m else 'java')


def snapshot():
    snap = {}
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            cmd = open(f'/proc/{pid}/cmdline', 'rb').read().decode(errors='ignore').replace('\0', ' ')
            if 'java' not in cmd:
                continue
            proc = process_name(cmd)
            for tid in os.listdir(f'/proc/{pid}/task'):
                stat = open(f'/proc/{pid}/task/{tid}/stat').read()
                name = stat[stat.index('(') + 1:stat.rindex(')')]
                fields = stat[stat.rindex(')') + 2:].split()
                snap[f'{proc}|{pid}|{tid}|{name}'] = int(fields[11]) + int(fields[12])  # utime + stime, ticks
        except OSError:
            pass  # the process or thread ended meanwhile
    return snap


def record(path):
    with open(path, 'w') as out:
        while True:
            out.write(repr((time.time(), snapshot())) + '\n')
            out.flush()
            time.sleep(2)


def report(path, start_after, skip):
    snaps = [eval(line) for line in open(path)]  # our own repr() lines
    live = [s for s in snaps if any(k.split('|')[0] == start_after for k in s[1])]
    if len(live) < 3:
        sys.exit(f'no process {start_after} in {len(snaps)} snapshots')
    a = min(live, key=lambda s: abs(s[0] - (live[0][0] + skip)))
    b = live[-2]
    hz = os.sysconf('SC_CLK_TCK')
    by_proc, by_thread = collections.Counter(), collections.Counter()
    for key, ticks in b[1].items():
        d = ticks - a[1].get(key, 0)
        if d > 0:
            proc, _, _, name = key.split('|', 3)
            by_proc[proc] += d / hz
            by_thread[(proc, re.sub(r'\d+', '#', name))] += d / hz
    print(f'{b[0] - a[0]:.1f} s, {sum(by_proc.values()):.1f} CPU s')
    for proc, s in by_proc.most_common():
        print(f'{s:8.2f} s  {proc}')
    for (proc, name), s in by_thread.most_common(25):
        print(f'{s:8.2f} s  {proc}: {name}')


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('command', choices=['record', 'report'])
    ap.add_argument('log')
    ap.add_argument('--start-after', default='GeneratorApp')
    ap.add_argument('--skip', type=float, default=20)
    args = ap.parse_args()
    record(args.log) if args.command == 'record' else report(args.log, args.start_after, args.skip)
