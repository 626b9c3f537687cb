#!/usr/bin/env python3
"""Benchmark helper: gives every paper without an embedding a random unit vector, so memory
and latency can be measured "with all papers embedded" without an hour of MiniLM on 2 cores.
Only for throw-away benchmark databases: the vectors mean nothing.
    Benchmarks/seed-synthetic-embeddings.py DATABASE"""
import random
import sqlite3
import struct
import sys

MODEL, DIMENSION = "all-MiniLM-L6-v2", 384
database = sqlite3.connect(sys.argv[1])
missing = [row[0] for row in database.execute(
    "SELECT id FROM papers WHERE id NOT IN (SELECT paper_id FROM paper_embeddings WHERE model = ?)", (MODEL,))]
rng = random.Random(20688)
with database:
    for paper_id in missing:
        vector = [rng.gauss(0, 1) for _ in range(DIMENSION)]
        norm = sum(x * x for x in vector) ** 0.5
        database.execute("INSERT INTO paper_embeddings (paper_id, model, vector) VALUES (?, ?, ?)",
                         (paper_id, MODEL, struct.pack(f"<{DIMENSION}f", *(x / norm for x in vector))))
print(f"seeded {len(missing)} synthetic embeddings")
