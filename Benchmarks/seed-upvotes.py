#!/usr/bin/env python3
"""Benchmark helper: adds READERS synthetic readers who each upvote VOTES random papers of the
trending window, keeping papers.local_upvotes equal to the vote rows as the server does.
    Benchmarks/seed-upvotes.py DATABASE [READERS=2000] [VOTES=50]"""
import random
import sqlite3
import sys

database = sqlite3.connect(sys.argv[1])
readers = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
votes = int(sys.argv[3]) if len(sys.argv) > 3 else 50
latest = database.execute("SELECT MAX(day) FROM daily_entries").fetchone()[0]
papers = [row[0] for row in database.execute(
    "SELECT DISTINCT paper_id FROM daily_entries WHERE day >= date(?, '-30 day')", (latest,))]
rng = random.Random(20688)
with database:
    for reader in range(readers):
        cursor = database.execute(
            "INSERT INTO users (email, email_key, name, password_hash, created_at) VALUES (?, ?, ?, 'x', '2026-01-01T00:00:00Z')",
            (f"bench{reader}@example.org", f"bench{reader}@example.org", f"bench{reader}"))
        for paper in rng.sample(papers, min(votes, len(papers))):
            database.execute("INSERT INTO upvotes (user_id, paper_id, created_at) VALUES (?, ?, '2026-01-01T00:00:00Z')",
                             (cursor.lastrowid, paper))
    database.execute("UPDATE papers SET local_upvotes = (SELECT COUNT(*) FROM upvotes WHERE paper_id = papers.id)")
print(f"seeded {readers * min(votes, len(papers))} upvotes by {readers} readers over {len(papers)} papers")
