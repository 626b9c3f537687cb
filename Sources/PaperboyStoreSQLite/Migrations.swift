import GRDB
import PaperboyStore

/// The schema, one migration per change. Migrations are only ever added, never edited.
enum Migrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001-papers-and-daily-entries") { db in
            try db.execute(
                sql: """
                    CREATE TABLE papers (
                        id TEXT PRIMARY KEY NOT NULL,
                        title TEXT NOT NULL,
                        summary TEXT NOT NULL DEFAULT '',
                        authors TEXT NOT NULL DEFAULT '[]',      -- JSON array of names, in order
                        published_at TEXT,                       -- ISO 8601, UTC
                        categories TEXT NOT NULL DEFAULT '[]',   -- JSON array, primary first
                        github_repo TEXT,
                        github_stars INTEGER,
                        project_page TEXT,
                        ai_summary TEXT,
                        ai_keywords TEXT NOT NULL DEFAULT '[]',
                        organization_name TEXT,
                        organization_fullname TEXT,
                        organization_avatar TEXT,
                        discussion_id TEXT,
                        upvotes INTEGER NOT NULL DEFAULT 0,
                        upvotes_day TEXT,                        -- feed day the upvotes were captured for
                        source TEXT NOT NULL CHECK (source IN ('hf', 'arxiv'))
                    );

                    CREATE TABLE daily_entries (
                        day TEXT NOT NULL,                       -- YYYY-MM-DD
                        paper_id TEXT NOT NULL REFERENCES papers(id),
                        submitted_at TEXT,
                        submitter_name TEXT,
                        submitter_fullname TEXT,
                        submitter_avatar TEXT,
                        upvotes INTEGER NOT NULL DEFAULT 0,      -- as captured for this day
                        num_comments INTEGER NOT NULL DEFAULT 0,
                        thumbnail TEXT,
                        PRIMARY KEY (day, paper_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX daily_entries_by_paper ON daily_entries(paper_id, day);
                    CREATE INDEX daily_entries_by_submitter ON daily_entries(submitter_name, day);

                    -- Bumped by every write transaction so that caches in any process can
                    -- tell that the data changed.
                    CREATE TABLE store_meta (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
                    INSERT INTO store_meta (key, value) VALUES ('change_counter', 0);
                    """
            )
        }
        migrator.registerMigration("002-revisions-and-embeddings") { db in
            try db.execute(
                sql: """
                    -- The change counter value of the write that last touched the paper, so an
                    -- in-memory search index can pick up exactly what changed since it was built.
                    ALTER TABLE papers ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
                    CREATE INDEX papers_by_revision ON papers(revision);

                    -- One sentence embedding per paper and model: little-endian float32 values.
                    -- Deleted whenever the paper's title or abstract changes.
                    CREATE TABLE paper_embeddings (
                        paper_id TEXT PRIMARY KEY NOT NULL REFERENCES papers(id),
                        model TEXT NOT NULL,
                        vector BLOB NOT NULL
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("003-readers-sessions-upvotes") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users (
                        id INTEGER PRIMARY KEY,
                        email TEXT NOT NULL,
                        email_key TEXT NOT NULL UNIQUE,          -- lowercased: one account per address
                        name TEXT NOT NULL UNIQUE COLLATE NOCASE, -- display name, the /u/{name} URL
                        password_hash TEXT NOT NULL,             -- bcrypt
                        created_at TEXT NOT NULL
                    );

                    -- Server-side sessions. The cookie holds a random token; only its SHA-256
                    -- is stored, so a leaked database cannot be replayed as cookies.
                    CREATE TABLE sessions (
                        token_hash TEXT PRIMARY KEY NOT NULL,
                        user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,  -- NULL: not logged in
                        csrf_token TEXT NOT NULL,
                        expires_at TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX sessions_by_user ON sessions(user_id);

                    CREATE TABLE upvotes (
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        paper_id TEXT NOT NULL REFERENCES papers(id),
                        created_at TEXT NOT NULL,
                        PRIMARY KEY (user_id, paper_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX upvotes_by_paper ON upvotes(paper_id);

                    -- Kept equal to COUNT(*) of upvotes per paper by the same transactions.
                    ALTER TABLE papers ADD COLUMN local_upvotes INTEGER NOT NULL DEFAULT 0;
                    """
            )
        }
        migrator.registerMigration("004-api-tokens") { db in
            try db.execute(
                sql: """
                    -- Bearer tokens for the API. Only the SHA-256 of a token is kept; readers see
                    -- the token once, when they create it.
                    CREATE TABLE api_tokens (
                        id INTEGER PRIMARY KEY,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        token_hash TEXT NOT NULL UNIQUE,
                        created_at TEXT NOT NULL,
                        revoked_at TEXT
                    );
                    CREATE INDEX api_tokens_by_user ON api_tokens(user_id);
                    """
            )
        }
        migrator.registerMigration("005-digest") { db in
            try db.execute(
                sql: """
                    -- Settings that belong to this installation, such as the key that signs the
                    -- links in emails (made once, kept with the data so every process agrees).
                    CREATE TABLE instance_settings (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;

                    -- Digest subscribers: no account needed. Double opt-in: 'pending' until the
                    -- signed link in the confirmation email is followed.
                    CREATE TABLE subscribers (
                        id INTEGER PRIMARY KEY,
                        email TEXT NOT NULL,
                        email_key TEXT NOT NULL UNIQUE,          -- lowercased
                        user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
                        state TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'unsubscribed', 'disabled')),
                        created_at TEXT NOT NULL,
                        confirmed_at TEXT,
                        confirmation_requested_at TEXT,          -- the latest subscribe request
                        confirmation_sent_at TEXT,               -- NULL: the confirmation email is still owed
                        permanent_failures INTEGER NOT NULL DEFAULT 0,  -- consecutive 5xx refusals
                        last_error TEXT
                    );
                    CREATE INDEX subscribers_by_state ON subscribers(state, id);
                    CREATE INDEX subscribers_by_user ON subscribers(user_id);

                    -- One row per reader and digest date: the delivery log that makes sending
                    -- exactly-once. 'sending' rows have their Message-ID and papers fixed, so a
                    -- resumed run sends the very same message.
                    CREATE TABLE digest_deliveries (
                        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
                        digest_date TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'retry', 'sent', 'failed', 'skipped')),
                        attempts INTEGER NOT NULL DEFAULT 0,
                        next_attempt_at REAL,                    -- seconds since 1970, for 'retry'
                        message_id TEXT,
                        paper_ids TEXT,                          -- JSON arrays: trending, then picks
                        pick_ids TEXT,
                        last_error TEXT,
                        updated_at TEXT NOT NULL,
                        PRIMARY KEY (subscriber_id, digest_date)
                    ) WITHOUT ROWID;
                    CREATE INDEX digest_deliveries_by_date ON digest_deliveries(digest_date, state);

                    -- Every paper each reader was sent, so that none is sent twice.
                    CREATE TABLE digest_sent_papers (
                        subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
                        paper_id TEXT NOT NULL,
                        digest_date TEXT NOT NULL,
                        PRIMARY KEY (subscriber_id, paper_id)
                    ) WITHOUT ROWID;

                    -- Named leases, so that two instances never run the same job at once.
                    CREATE TABLE leases (
                        name TEXT PRIMARY KEY NOT NULL,
                        holder TEXT NOT NULL,
                        expires_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("006-passage-embeddings") { db in
            try db.execute(
                sql: """
                    -- The embeddings of a paper's sentences (each with the title), beside the
                    -- whole paper's: per sentence a little-endian float32 scale and one signed
                    -- byte per dimension. NULL: not computed yet, so the paper is embedded again.
                    ALTER TABLE paper_embeddings ADD COLUMN passages BLOB;
                    """
            )
        }
        migrator.registerMigration("007-raw-daily-items") { db in
            try db.execute(
                sql: """
                    -- Each captured item as the source sent it (a JSON object, UTF-8), served back
                    -- with every field; NULL for entries made here. The columns above stay what
                    -- pages and queries read.
                    ALTER TABLE daily_entries ADD COLUMN raw_json TEXT;
                    -- The item's index in the day's capture, which keeps the source's order
                    -- among equal upvotes; NULL for entries made here.
                    ALTER TABLE daily_entries ADD COLUMN position INTEGER;
                    """
            )
        }
        migrator.registerMigration("008-sync") { db in
            try db.execute(
                sql: """
                    -- The date of the newest arXiv version a listing reported: a later one
                    -- replaces the title, abstract and authors.
                    ALTER TABLE papers ADD COLUMN listing_updated_at TEXT;

                    -- Hugging Face days fetched by the sync; is_empty: the day answered [].
                    CREATE TABLE sync_days (
                        day TEXT PRIMARY KEY NOT NULL,
                        fetched_at REAL NOT NULL,                -- seconds since 1970
                        items INTEGER NOT NULL,
                        is_empty INTEGER NOT NULL
                    ) WITHOUT ROWID;

                    -- Where each OAI-PMH harvest stands; written with the papers of each page,
                    -- so a harvest killed at any point resumes exactly after its last page.
                    CREATE TABLE harvest_checkpoints (
                        source TEXT PRIMARY KEY NOT NULL,        -- e.g. arxiv:cs:arXiv
                        from_date TEXT,
                        until_date TEXT,                         -- a bounded backfill's last day
                        resumption_token TEXT,                   -- set while a harvest is under way
                        records INTEGER NOT NULL DEFAULT 0,
                        next_from TEXT
                    ) WITHOUT ROWID;

                    -- The log of sync runs; ended_at NULL: running, or its process died.
                    CREATE TABLE sync_runs (
                        id INTEGER PRIMARY KEY,
                        source TEXT NOT NULL,
                        started_at REAL NOT NULL,
                        ended_at REAL,
                        fetched INTEGER NOT NULL DEFAULT 0,
                        new INTEGER NOT NULL DEFAULT 0,
                        updated INTEGER NOT NULL DEFAULT 0,
                        rejected INTEGER NOT NULL DEFAULT 0,
                        error TEXT
                    );
                    CREATE INDEX sync_runs_by_source ON sync_runs(source, id);

                    -- When each source runs next, as its scheduler planned it.
                    CREATE TABLE sync_schedule (
                        source TEXT PRIMARY KEY NOT NULL,
                        next_run_at REAL
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("009-admin") { db in
            try db.execute(
                sql: """
                    -- Editors: readers who may use /admin, granted and revoked by `paperboy admin`.
                    ALTER TABLE users ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;

                    -- Hidden by an editor, kept and reversible (NULL: shown). A hidden paper
                    -- leaves every feed, list, search result and digest; a hidden entry leaves
                    -- only its day's feed.
                    ALTER TABLE papers ADD COLUMN hidden_at TEXT;
                    ALTER TABLE daily_entries ADD COLUMN hidden_at TEXT;
                    CREATE INDEX papers_hidden ON papers(hidden_at) WHERE hidden_at IS NOT NULL;

                    -- Every admin action: who, what, to what, when. Written by the same
                    -- transaction as the change it records.
                    CREATE TABLE admin_actions (
                        id INTEGER PRIMARY KEY,
                        actor_id INTEGER REFERENCES users(id) ON DELETE SET NULL,  -- NULL: the command line
                        actor TEXT NOT NULL,                     -- the reader's name then, or 'cli'
                        action TEXT NOT NULL,
                        target TEXT NOT NULL,                    -- a paper id or a reader's email
                        detail TEXT,
                        created_at TEXT NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("010-discussions") { db in
            try db.execute(
                sql: """
                    -- Comments on papers and one level of replies (parent_id: the top-level
                    -- comment). Never removed: deleting and hiding stamp the row.
                    CREATE TABLE comments (
                        id INTEGER PRIMARY KEY,
                        paper_id TEXT NOT NULL REFERENCES papers(id),
                        parent_id INTEGER REFERENCES comments(id),
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        body TEXT NOT NULL,                      -- Markdown, as written
                        created_at TEXT NOT NULL,
                        edited_at TEXT,
                        deleted_at TEXT,                         -- by its author
                        hidden_at TEXT                           -- by a moderator
                    );
                    CREATE INDEX comments_by_paper ON comments(paper_id, id);
                    CREATE INDEX comments_by_user ON comments(user_id, created_at);

                    -- One report per reader per comment; resolved_at: settled by a moderator.
                    CREATE TABLE comment_reports (
                        comment_id INTEGER NOT NULL REFERENCES comments(id),
                        user_id INTEGER NOT NULL REFERENCES users(id),
                        reason TEXT NOT NULL,
                        created_at TEXT NOT NULL,
                        resolved_at TEXT,
                        PRIMARY KEY (comment_id, user_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX comment_reports_open ON comment_reports(comment_id) WHERE resolved_at IS NULL;

                    -- Kept equal to the paper's visible comments by the same transactions.
                    ALTER TABLE papers ADD COLUMN local_comments INTEGER NOT NULL DEFAULT 0;
                    """
            )
        }
        migrator.registerMigration("011-collections-and-display-names") { db in
            try db.execute(
                sql: """
                    -- Readers' collections of papers, public or private.
                    CREATE TABLE collections (
                        id INTEGER PRIMARY KEY,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        description TEXT NOT NULL DEFAULT '',
                        is_public INTEGER NOT NULL DEFAULT 0,
                        created_at TEXT NOT NULL,
                        updated_at TEXT NOT NULL
                    );
                    CREATE INDEX collections_by_user ON collections(user_id, updated_at);

                    -- Their papers: positions 0, 1, 2, … kept dense by every write.
                    CREATE TABLE collection_items (
                        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
                        paper_id TEXT NOT NULL REFERENCES papers(id),
                        position INTEGER NOT NULL,
                        note TEXT,
                        added_at TEXT NOT NULL,
                        PRIMARY KEY (collection_id, paper_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX collection_items_by_paper ON collection_items(paper_id);

                    -- A name to show beside the user name (the /u/NAME handle); NULL: the user name.
                    ALTER TABLE users ADD COLUMN display_name TEXT;
                    """
            )
        }
        migrator.registerMigration("012-organization-index") { db in
            try db.execute(
                sql: """
                    -- Organisation pages list an organisation's papers, newest first.
                    CREATE INDEX papers_by_organization ON papers(organization_name, published_at)
                        WHERE organization_name IS NOT NULL;
                    """
            )
        }
        migrator.registerMigration("013-embedding-revisions") { db in
            try db.execute(
                sql: """
                    -- Each save of embeddings takes the next value of its own counter (not the
                    -- change counter: saving embeddings does not change what pages show), so a
                    -- search index read from a file can load exactly the embeddings saved since.
                    ALTER TABLE paper_embeddings ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
                    CREATE INDEX paper_embeddings_by_revision ON paper_embeddings(revision, paper_id);
                    INSERT INTO store_meta (key, value) VALUES ('embedding_counter', 0);
                    -- Which database this is: a search index file written against another one
                    -- (or a copy restored in its place) is not trusted.
                    INSERT INTO store_meta (key, value) VALUES ('store_id', abs(random()));
                    """
            )
        }
        return migrator
    }
}
