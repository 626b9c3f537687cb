#!/usr/bin/env python3
"""Benchmark helper: gives every paper without an embedding a random unit vector, plus one
random sentence vector per sentence of its abstract (8-bit, the stored format), so memory and
latency can be measured "with all papers embedded" without hours of MiniLM on 2 cores.
Only for throw-away benchmark databases: the vectors mean nothing.
    Benchmarks/seed-synthetic-embeddings.py DATABASE"""
import random
import re
import sqlite3
import struct
import sys

MODEL, DIMENSION, MAX_PASSAGES = "all-MiniLM-L6-v2", 384, 16
# The rule of Passages.sentences (ASCII approximation): end punctuation after a lowercase
# letter, digit, ')', ']' or '%', then optional spaces and an uppercase letter.
SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]%][.!?])\s*(?=[A-Z])")

database = sqlite3.connect(sys.argv[1])
missing = database.execute(
    "SELECT id, summary FROM papers WHERE id NOT IN "
    "(SELECT paper_id FROM paper_embeddings WHERE model = ? AND passages IS NOT NULL)", (MODEL,)).fetchall()
rng = random.Random(20688)


def unit():
    vector = [rng.gauss(0, 1) for _ in range(DIMENSION)]
    norm = sum(x * x for x in vector) ** 0.5
    return [x / norm for x in vector]


def passage_blob(count):
    blob = bytearray()
    for _ in range(count):
        vector = unit()
        largest = max(abs(x) for x in vector)
        blob += struct.pack("<f", largest / 127)
        blob += struct.pack(f"<{DIMENSION}b", *(round(x * 127 / largest) for x in vector))
    return bytes(blob)


sentences = 0
with database:
    for paper_id, summary in missing:
        count = min(len([s for s in SENTENCE_END.split(summary or "") if s.strip()]), MAX_PASSAGES)
        sentences += count
        database.execute(
            "INSERT OR REPLACE INTO paper_embeddings (paper_id, model, vector, passages) VALUES (?, ?, ?, ?)",
            (paper_id, MODEL, struct.pack(f"<{DIMENSION}f", *unit()), passage_blob(count)))
print(f"seeded {len(missing)} synthetic embeddings with {sentences} sentence vectors")
