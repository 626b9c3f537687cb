#!/usr/bin/env python3
"""Benchmark helper for the failover run: every upvote acknowledged (a 200 the client saw) must be
a row of the upvotes table. ACKED_DIR holds nodes-failover.lua's acked-*.txt ("K PAPER" lines,
K the reader's line in the run's token file, which starts at reader OFFSET); ROWS is
"EMAIL|PAPER" lines from the upvotes table for the readers nodes-make-tokens.py signed up.
    Benchmarks/nodes-check-acked.py ACKED_DIR OFFSET READERS ROWS"""
import glob
import os
import sys

acked_dir, offset, readers, rows_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
acked = []
for name in glob.glob(os.path.join(acked_dir, "acked-*.txt")):
    for line in open(name):
        k, paper = line.split()
        acked.append((f"nodes-reader-{offset + int(k)}@example.org", paper))
emails = {f"nodes-reader-{offset + k}@example.org" for k in range(readers)}
rows = {tuple(line.strip().split("|")) for line in open(rows_file) if line.strip()}
rows = {row for row in rows if row[0] in emails}
distinct = set(acked)
missing = distinct - rows
print(f"acknowledged {len(acked)} ({len(acked) - len(distinct)} repeated pairs); rows in upvotes {len(rows)}; "
      f"acknowledged but missing {len(missing)}; rows without an acknowledgement {len(rows - distinct)}")
for row in sorted(missing)[:10]:
    print("missing:", *row)
sys.exit(1 if missing else 0)
