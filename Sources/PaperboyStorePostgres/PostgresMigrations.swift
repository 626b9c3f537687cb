import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL schema, one migration per change; migrations are only ever added. The first
/// one is SQLite's schema as of its migration 009, column for column, with `changes` in place
/// of SQLite's `store_meta.change_counter`.
///
/// Several nodes may start at once: the migrations run in one transaction that first takes a
/// transaction-scoped advisory lock, so one node migrates and the others wait, then find
/// nothing left to do. (A session-level lock would stay with a pooled connection.)
enum PostgresMigrations {
    /// `hashtext('paperboy-migrations')`, fixed so that every version takes the same lock.
    static let lockKey: Int64 = 0x7061_7065_7262_6f79

    static let all: [(name: String, sql: String)] = [
        ("001-initial", initial),
        ("002-shared-node-state", sharedNodeState),
        ("003-discussions", discussions),
        ("004-collections-and-display-names", collectionsAndDisplayNames),
        ("005-organization-index", organizationIndex),
        ("006-store-identity", storeIdentity),
    ]

    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await PostgresPaperStore.transaction(on: connection, logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    name TEXT PRIMARY KEY,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """,
                logger: logger
            )
            var applied = Set<String>()
            for try await name in try await connection.query("SELECT name FROM schema_migrations", logger: logger).decode(String.self) {
                applied.insert(name)
            }
            for migration in all where !applied.contains(migration.name) {
                for statement in statements(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO schema_migrations (name) VALUES (\(migration.name))", logger: logger)
            }
        }
    }

    /// A migration's statements: split at each `;` outside comments and `$$` bodies (the
    /// extended protocol runs one statement at a time).
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var inBody = false
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            var text = Substring(line)
            if !inBody, let comment = text.range(of: "--") { text = text[..<comment.lowerBound] }
            for (index, part) in text.components(separatedBy: "$$").enumerated() {
                if index > 0 {
                    inBody.toggle()
                    current += "$$"
                }
                guard !inBody else {
                    current += part
                    continue
                }
                let pieces = part.split(separator: ";", omittingEmptySubsequences: false)
                for (pieceIndex, piece) in pieces.enumerated() {
                    current += piece
                    if pieceIndex < pieces.count - 1 {
                        let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                        if !statement.isEmpty { statements.append(statement) }
                        current = ""
                    }
                }
            }
            current += "\n"
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }

    static let initial = """
        -- The transaction id of the current transaction, and the oldest one still running: ids
        -- below the horizon belong to finished transactions, so what they wrote is final.
        CREATE FUNCTION paperboy_xid() RETURNS BIGINT LANGUAGE sql VOLATILE
            AS $$ SELECT pg_current_xact_id()::text::bigint $$;
        CREATE FUNCTION paperboy_horizon() RETURNS BIGINT LANGUAGE sql VOLATILE
            AS $$ SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint $$;

        -- The outbox: one row per write transaction that changes what readers see. Caches and
        -- search indexes on every node read it; a NOTIFY at commit wakes them.
        CREATE TABLE changes (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            xid BIGINT NOT NULL DEFAULT paperboy_xid(),
            created_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE INDEX changes_by_xid ON changes(xid);
        CREATE FUNCTION paperboy_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_notify('paperboy_changes', ''); RETURN NULL; END $$;
        CREATE TRIGGER changes_notify AFTER INSERT ON changes
            FOR EACH STATEMENT EXECUTE FUNCTION paperboy_notify_change();

        -- Paper ids compare byte for byte, as in SQLite: keyset pages and (revision, id) order
        -- come out the same on both backends whatever the server's locale.
        CREATE TABLE papers (
            id TEXT COLLATE "C" PRIMARY KEY,
            title TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            authors TEXT NOT NULL DEFAULT '[]',              -- JSON array of names, in order
            published_at TEXT,                               -- ISO 8601, UTC
            categories TEXT NOT NULL DEFAULT '[]',           -- JSON array, primary first
            github_repo TEXT,
            github_stars BIGINT,
            project_page TEXT,
            ai_summary TEXT,
            ai_keywords TEXT NOT NULL DEFAULT '[]',
            organization_name TEXT,
            organization_fullname TEXT,
            organization_avatar TEXT,
            discussion_id TEXT,
            upvotes BIGINT NOT NULL DEFAULT 0,
            upvotes_day TEXT,                                -- feed day the upvotes were captured for
            source TEXT NOT NULL CHECK (source IN ('hf', 'arxiv')),
            revision BIGINT NOT NULL DEFAULT 0,              -- transaction id of the last write
            local_upvotes BIGINT NOT NULL DEFAULT 0,         -- COUNT(*) of upvotes, kept by the same transactions
            listing_updated_at TEXT,
            hidden_at TEXT
        );
        CREATE INDEX papers_by_revision ON papers(revision, id);
        CREATE INDEX papers_hidden ON papers(hidden_at) WHERE hidden_at IS NOT NULL;

        CREATE TABLE daily_entries (
            day TEXT NOT NULL,                               -- YYYY-MM-DD
            paper_id TEXT COLLATE "C" NOT NULL REFERENCES papers(id),
            submitted_at TEXT,
            submitter_name TEXT,
            submitter_fullname TEXT,
            submitter_avatar TEXT,
            upvotes BIGINT NOT NULL DEFAULT 0,               -- as captured for this day
            num_comments BIGINT NOT NULL DEFAULT 0,
            thumbnail TEXT,
            raw_json TEXT,                                   -- the captured item as sent; NULL when made here
            position BIGINT,                                 -- its index in the day's capture
            hidden_at TEXT,
            PRIMARY KEY (day, paper_id)
        );
        CREATE INDEX daily_entries_by_paper ON daily_entries(paper_id, day);
        CREATE INDEX daily_entries_by_submitter ON daily_entries(submitter_name, day);

        CREATE TABLE paper_embeddings (
            paper_id TEXT COLLATE "C" PRIMARY KEY REFERENCES papers(id),
            model TEXT NOT NULL,
            vector BYTEA NOT NULL,                           -- little-endian float32 values
            passages BYTEA                                   -- per sentence a float32 scale and int8 values
        );

        CREATE TABLE users (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            email TEXT NOT NULL,
            email_key TEXT NOT NULL UNIQUE,                  -- lowercased: one account per address
            name TEXT NOT NULL,                              -- display name, unique whatever its case
            password_hash TEXT NOT NULL,                     -- bcrypt
            created_at TEXT NOT NULL,
            is_admin BIGINT NOT NULL DEFAULT 0
        );
        CREATE UNIQUE INDEX users_name_key ON users(lower(name));

        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,                     -- SHA-256 of the cookie's token
            user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
            csrf_token TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE INDEX sessions_by_user ON sessions(user_id);
        CREATE INDEX sessions_by_expiry ON sessions(expires_at);      -- every new session sweeps the expired

        CREATE TABLE upvotes (
            user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            paper_id TEXT NOT NULL REFERENCES papers(id),
            created_at TEXT NOT NULL,
            PRIMARY KEY (user_id, paper_id)
        );
        CREATE INDEX upvotes_by_paper ON upvotes(paper_id);

        CREATE TABLE api_tokens (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE INDEX api_tokens_by_user ON api_tokens(user_id);

        CREATE TABLE instance_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        CREATE TABLE subscribers (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            email TEXT NOT NULL,
            email_key TEXT NOT NULL UNIQUE,
            user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'unsubscribed', 'disabled')),
            created_at TEXT NOT NULL,
            confirmed_at TEXT,
            confirmation_requested_at TEXT,
            confirmation_sent_at TEXT,
            permanent_failures BIGINT NOT NULL DEFAULT 0,
            last_error TEXT
        );
        CREATE INDEX subscribers_by_state ON subscribers(state, id);
        CREATE INDEX subscribers_by_user ON subscribers(user_id);

        CREATE TABLE digest_deliveries (
            subscriber_id BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            digest_date TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'retry', 'sent', 'failed', 'skipped')),
            attempts BIGINT NOT NULL DEFAULT 0,
            next_attempt_at DOUBLE PRECISION,                -- seconds since 1970, for 'retry'
            message_id TEXT,
            paper_ids TEXT,
            pick_ids TEXT,
            last_error TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (subscriber_id, digest_date)
        );
        CREATE INDEX digest_deliveries_by_date ON digest_deliveries(digest_date, state);

        CREATE TABLE digest_sent_papers (
            subscriber_id BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
            paper_id TEXT NOT NULL,
            digest_date TEXT NOT NULL,
            PRIMARY KEY (subscriber_id, paper_id)
        );

        CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL
        );

        CREATE TABLE sync_days (
            day TEXT PRIMARY KEY,
            fetched_at DOUBLE PRECISION NOT NULL,
            items BIGINT NOT NULL,
            is_empty BIGINT NOT NULL
        );

        CREATE TABLE harvest_checkpoints (
            source TEXT PRIMARY KEY,
            from_date TEXT,
            until_date TEXT,
            resumption_token TEXT,
            records BIGINT NOT NULL DEFAULT 0,
            next_from TEXT
        );

        CREATE TABLE sync_runs (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            source TEXT NOT NULL,
            started_at DOUBLE PRECISION NOT NULL,
            ended_at DOUBLE PRECISION,
            fetched BIGINT NOT NULL DEFAULT 0,
            new BIGINT NOT NULL DEFAULT 0,
            updated BIGINT NOT NULL DEFAULT 0,
            rejected BIGINT NOT NULL DEFAULT 0,
            error TEXT
        );
        CREATE INDEX sync_runs_by_source ON sync_runs(source, id);

        CREATE TABLE sync_schedule (
            source TEXT PRIMARY KEY,
            next_run_at DOUBLE PRECISION
        );

        CREATE TABLE admin_actions (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            actor_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            detail TEXT,
            created_at TEXT NOT NULL
        );
        """

    /// What nodes share beyond the data.
    static let sharedNodeState = """
        -- Token buckets of the rate limits, per policy and client key. UNLOGGED: no WAL, emptied
        -- after a crash, which only refills every bucket.
        CREATE UNLOGGED TABLE rate_limit_buckets (
            policy TEXT NOT NULL,
            key TEXT NOT NULL,
            tokens DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,            -- seconds since 1970
            taken BOOLEAN NOT NULL,                          -- whether the latest take got a token
            PRIMARY KEY (policy, key)
        );

        -- Embeddings carry the transaction id that saved them, so every node's search index
        -- loads the vectors another node computed (without counting as a change to the data).
        ALTER TABLE paper_embeddings ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
        CREATE INDEX paper_embeddings_by_revision ON paper_embeddings(revision, paper_id);
        CREATE FUNCTION paperboy_stamp_revision() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN NEW.revision := paperboy_xid(); RETURN NEW; END $$;
        CREATE TRIGGER paper_embeddings_revision BEFORE INSERT OR UPDATE ON paper_embeddings
            FOR EACH ROW EXECUTE FUNCTION paperboy_stamp_revision();

        -- Which node is embedding which paper, until when (seconds since 1970).
        CREATE TABLE embedding_claims (
            paper_id TEXT PRIMARY KEY REFERENCES papers(id) ON DELETE CASCADE,
            holder TEXT NOT NULL,
            expires_at DOUBLE PRECISION NOT NULL
        );
        """

    /// SQLite's migration 010: comments, their reports, and each paper's visible count.
    static let discussions = """
        CREATE TABLE comments (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            paper_id TEXT NOT NULL REFERENCES papers(id),
            parent_id BIGINT REFERENCES comments(id),
            user_id BIGINT NOT NULL REFERENCES users(id),
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            edited_at TEXT,
            deleted_at TEXT,
            hidden_at TEXT
        );
        CREATE INDEX comments_by_paper ON comments(paper_id, id);
        CREATE INDEX comments_by_user ON comments(user_id, created_at);

        CREATE TABLE comment_reports (
            comment_id BIGINT NOT NULL REFERENCES comments(id),
            user_id BIGINT NOT NULL REFERENCES users(id),
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL,
            resolved_at TEXT,
            PRIMARY KEY (comment_id, user_id)
        );
        CREATE INDEX comment_reports_open ON comment_reports(comment_id) WHERE resolved_at IS NULL;

        ALTER TABLE papers ADD COLUMN local_comments BIGINT NOT NULL DEFAULT 0;
        """

    /// SQLite's migration 011: collections, their papers, and display names.
    static let collectionsAndDisplayNames = """
        CREATE TABLE collections (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            is_public BIGINT NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX collections_by_user ON collections(user_id, updated_at);

        CREATE TABLE collection_items (
            collection_id BIGINT NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
            paper_id TEXT NOT NULL REFERENCES papers(id),
            position BIGINT NOT NULL,
            note TEXT,
            added_at TEXT NOT NULL,
            PRIMARY KEY (collection_id, paper_id)
        );
        CREATE INDEX collection_items_by_paper ON collection_items(paper_id);

        ALTER TABLE users ADD COLUMN display_name TEXT;
        """

    /// SQLite's migration 012: organisation pages list an organisation's papers, newest first.
    static let organizationIndex = """
        CREATE INDEX papers_by_organization ON papers(organization_name, published_at)
            WHERE organization_name IS NOT NULL;
        """

    /// Which database this is, for the search index files nodes keep (`SearchIndexSource`): a
    /// file written against another database is not trusted. Replaced when a transfer
    /// replaces every row.
    static let storeIdentity = """
        CREATE TABLE store_identity (id TEXT NOT NULL);
        INSERT INTO store_identity (id) VALUES (md5(random()::text || clock_timestamp()::text));
        """
}
