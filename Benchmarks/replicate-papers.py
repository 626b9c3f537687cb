#!/usr/bin/env python3
"""Benchmark helper: grows a throw-away database to N papers by copying its papers and their
stored embeddings, the rule of `search-bench scale` and `anchor-bench latency --scale N`
(copy k > 0 of a paper gets the id `<id>#<k>`, in the corpus's own order), so a real server
can be measured holding a million papers. Copies get revisions after the newest one, as if
imported later, and the store's counters are moved past them. Only for benchmark databases.
    Benchmarks/replicate-papers.py DATABASE N"""
import sqlite3
import sys

database, target = sqlite3.connect(sys.argv[1]), int(sys.argv[2])
database.execute("PRAGMA journal_mode = WAL")
originals = database.execute("SELECT COUNT(*) FROM papers WHERE id NOT LIKE '%#%'").fetchone()[0]
present = database.execute("SELECT COUNT(*) FROM papers").fetchone()[0]
if present >= target:
    print(f"already {present} papers")
    sys.exit(0)
paper_columns = [row[1] for row in database.execute("PRAGMA table_info(papers)")]
embedding_columns = [row[1] for row in database.execute("PRAGMA table_info(paper_embeddings)")]


def copy_of(columns, id_column):
    return ", ".join(
        f"{column} || '#' || :copy" if column == id_column else (":revision" if column == "revision" else column)
        for column in columns)


counter = lambda key: database.execute("SELECT value FROM store_meta WHERE key = ?", (key,)).fetchone()[0]
copy = present // originals
while present < target:
    take = min(originals, target - present)
    with database:
        # Originals in the corpus's order (rowid = import order), the first `take` of them.
        revision = counter("change_counter") + 1
        database.execute(
            f"INSERT INTO papers ({', '.join(paper_columns)}) SELECT {copy_of(paper_columns, 'id')} "
            "FROM papers WHERE id NOT LIKE '%#%' ORDER BY rowid LIMIT :take",
            {"copy": copy, "revision": revision, "take": take})
        database.execute("UPDATE store_meta SET value = :revision WHERE key = 'change_counter'", {"revision": revision})
        embedding_revision = counter("embedding_counter") + 1
        database.execute(
            f"INSERT INTO paper_embeddings ({', '.join(embedding_columns)}) "
            f"SELECT {copy_of(embedding_columns, 'paper_id')} FROM paper_embeddings "
            "WHERE paper_id IN (SELECT id FROM papers WHERE id NOT LIKE '%#%' ORDER BY rowid LIMIT :take)",
            {"copy": copy, "revision": embedding_revision, "take": take})
        database.execute("UPDATE store_meta SET value = :revision WHERE key = 'embedding_counter'",
                         {"revision": embedding_revision})
    present += take
    copy += 1
    print(f"papers={present}", flush=True)
