import Foundation
import Logging
import PaperboyCore
import PaperboyStore
import PostgresNIO

/// The store for several nodes: PostgreSQL through PostgresNIO's pooled client.
///
/// The schema mirrors SQLite's table for table and column for column (flags stay 0/1 integers,
/// lists stay JSON text, vectors stay little-endian bytes), so `db copy` moves rows unchanged
/// and both backends pass the same contract suite.
///
/// Revisions: each write that changes what readers see inserts a row into `changes`, stamped
/// with its transaction id, and stamps the papers it touches with the same id. Readers only
/// trust ids below the oldest transaction still running (`paperboy_horizon()`), so a
/// transaction that commits late is never skipped, and no single row is updated by every write.
public final class PostgresPaperStore: StoreConnection {
    let client: PostgresClient
    /// Stamps rows the store dates itself (accounts, votes, tokens); callers pass `now` elsewhere.
    let clock: any WallClock
    /// Where instance secrets come from.
    let random: any RandomSource
    let logger: Logger
    /// Writes the SQLite file `backup(to:)` makes (the factory's: it knows both backends).
    let backupWriter: SQLiteCopyWriter?
    private let running: Task<Void, Never>
    /// Where the store lives, the password left out (errors and `/healthz`).
    public let displayURL: String
    /// This process's connections carry it, so the server can count them (`poolState`).
    let applicationName: String
    let maximumConnections: Int
    let location: PostgresLocation

    private init(location: PostgresLocation, clock: any WallClock, random: any RandomSource, logger: Logger, backupWriter: SQLiteCopyWriter?) {
        self.clock = clock
        self.random = random
        self.logger = logger
        self.location = location
        self.backupWriter = backupWriter
        self.displayURL = location.displayURL
        self.applicationName = location.applicationName
        self.maximumConnections = location.maximumConnections
        let client = PostgresClient(configuration: location.clientConfiguration, backgroundLogger: logger)
        self.client = client
        self.running = Task { await client.run() }
    }

    /// Connects to the database `url` names and brings its schema up to date (one node at a
    /// time: the migrations run under an advisory lock). Without `backupWriter`, `backup(to:)`
    /// is refused.
    public static func open(
        url: String,
        clock: any WallClock = SystemClock(),
        random: any RandomSource = SystemRandomSource(),
        logger: Logger = Logger(label: "paperboy.postgres", factory: { _ in SwiftLogNoOpLogHandler() }),
        backupWriter: SQLiteCopyWriter? = nil
    ) async throws -> PostgresPaperStore {
        let location = try PostgresLocation(url)
        // One connection of its own first: an unreachable server or a wrong password fails
        // here at once (the pool would keep retrying), and the migrations run on it.
        do {
            let connection = try await location.connect(id: 0, logger: logger)
            do {
                try await PostgresMigrations.migrate(connection, logger: logger)
                try? await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
        } catch {
            throw StoreError.cannotOpen(path: location.displayURL, reason: PostgresErrorText.describe(error))
        }
        return PostgresPaperStore(location: location, clock: clock, random: random, logger: logger, backupWriter: backupWriter)
    }

    public var backendName: String { "postgres" }

    /// Counted by the server in `pg_stat_activity`, under this process's application name.
    public func poolState() async throws -> PoolState? {
        let row = try await firstRow(
            """
            SELECT count(*) AS open, count(*) FILTER (WHERE state = 'active') AS busy
            FROM pg_stat_activity WHERE application_name = \(applicationName)
            """
        )
        return PoolState(
            open: try row?["open"].decode(Int.self) ?? 0,
            busy: try row?["busy"].decode(Int.self) ?? 0,
            maximum: maximumConnections
        )
    }

    /// Only papers below the horizon count: those above it are not final yet, and the index
    /// does not load them either.
    public func papersPending(after position: RevisionPosition) async throws -> Int {
        let query: PostgresQuery =
            if let id = position.id {
                "SELECT count(*) FROM papers WHERE (revision, id) > (\(position.revision), \(id)) AND revision < paperboy_horizon()"
            } else {
                "SELECT count(*) FROM papers WHERE revision > \(position.revision) AND revision < paperboy_horizon()"
            }
        return try await scalar(query, as: Int.self) ?? 0
    }

    public func close() async {
        running.cancel()
        _ = await running.value
    }

    // MARK: - Running statements

    /// Runs `body` in one transaction on one pooled connection: committed when it returns,
    /// rolled back when it throws (and its error rethrown as it was).
    func transaction<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await Self.transaction(on: connection, logger: logger, body)
        }
    }

    static func transaction<T: Sendable>(
        on connection: PostgresConnection,
        logger: Logger,
        _ body: @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await connection.query("BEGIN", logger: logger)
        do {
            let value = try await body(connection)
            try await connection.query("COMMIT", logger: logger)
            return value
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// Every row of a statement, each with access by column name.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await client.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }

    func firstRow(_ query: PostgresQuery) async throws -> PostgresRandomAccessRow? {
        try await rows(query).first
    }

    /// Runs a statement whose rows, if any, are not needed.
    func execute(_ query: PostgresQuery) async throws {
        try await client.query(query, logger: logger)
    }

    /// The single value of a one-row, one-column statement (nil when there is no row).
    func scalar<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type = T.self) async throws -> T? {
        guard let row = try await client.query(query, logger: logger).collect().first else { return nil }
        let cell = row.makeRandomAccess()[0]
        return cell.bytes == nil ? nil : try cell.decode(T.self)
    }

    // MARK: - Revisions

    /// Records that this transaction changes what readers see; returns the revision to stamp
    /// on the papers it writes (its transaction id). Wakes every node listening on
    /// `paperboy_changes` when the transaction commits.
    static func nextRevision(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        let rows = try await connection.query("INSERT INTO changes DEFAULT VALUES RETURNING xid", logger: logger).collect()
        return try rows.first?.makeRandomAccess()[0].decode(Int.self) ?? 0
    }

    func nextRevision(_ connection: PostgresConnection) async throws -> Int {
        try await Self.nextRevision(connection, logger: logger)
    }

    /// Grows with every committed change, whichever node made it: the newest change below the
    /// horizon (shifted left 20 bits) plus the changes committed at or above it. A commit
    /// either adds one above the horizon or moves the horizon past a newer change, so the
    /// value grows either way.
    public func changeCounter() async throws -> Int {
        try await scalar(
            """
            WITH h AS (SELECT paperboy_horizon() AS horizon)
            SELECT COALESCE((SELECT max(xid) FROM changes, h WHERE xid < h.horizon), 0) * 1048576
                + (SELECT count(*) FROM changes, h WHERE xid >= h.horizon)
            """,
            as: Int.self
        ) ?? 0
    }
}

extension PostgresPaperStore: ChangeNotifying {
    /// One connection of its own, outside the pool (a listening connection cannot be shared),
    /// listening on `paperboy_changes`, which every insert into `changes` notifies at commit.
    public func watchChanges(_ onChange: @escaping @Sendable () -> Void) async throws {
        var reconnecting = false
        while !Task.isCancelled {
            do {
                let connection = try await location.connect(id: 1, logger: logger)
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: "paperboy_changes") { notifications in
                    if reconnecting {
                        logger.info("listening for changes again")
                        onChange()
                    }
                    reconnecting = true
                    for try await _ in notifications { onChange() }
                }
            } catch  where !Task.isCancelled {
                logger.warning("change notifications lost; retrying", metadata: ["error": "\(PostgresErrorText.describe(error))"])
                reconnecting = true
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}

/// A `postgres://user:password@host:port/database?sslmode=…&pool=N` URL read into a client
/// configuration. sslmode follows libpq: disable, prefer (the default: TLS when the server
/// offers it), require (TLS, certificate not checked), verify-full (TLS, certificate checked).
/// `pool` is the most connections this node opens (default 20).
struct PostgresLocation: Sendable {
    enum TLSMode {
        case disable, prefer, require, verify
    }

    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String?
    var tls = TLSMode.prefer
    var maximumConnections = 20
    /// The URL without its password (errors, logs, `/healthz`).
    var displayURL: String
    /// `paperboy <pid>-<random>`: one per process, so `pg_stat_activity` tells nodes apart.
    let applicationName = "paperboy \(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"

    init(_ url: String) throws(StoreError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else { throw StoreError.cannotOpen(path: url, reason: "not a postgres:// URL") }
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        port = components.port ?? 5432
        user = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = components.password.flatMap { $0.removingPercentEncoding }
        let path = String(components.path.drop(while: { $0 == "/" })).removingPercentEncoding ?? ""
        database = path.isEmpty ? nil : path
        displayURL = "postgres://\(user)@\(host):\(port)" + (database.map { "/\($0)" } ?? "")
        for item in components.queryItems ?? [] {
            switch (item.name, item.value ?? "") {
            case ("sslmode", "disable"): tls = .disable
            case ("sslmode", "prefer"), ("sslmode", "allow"): tls = .prefer
            case ("sslmode", "require"): tls = .require
            case ("sslmode", "verify-full"), ("sslmode", "verify-ca"): tls = .verify
            case ("pool", let value):
                guard let count = Int(value), (1...1000).contains(count) else {
                    throw StoreError.cannotOpen(path: displayURL, reason: "pool must be a number of connections from 1 to 1000")
                }
                maximumConnections = count
            case (let name, let value):
                throw StoreError.cannotOpen(path: displayURL, reason: "unknown URL parameter \(name)=\(value)")
            }
        }
    }

    private var tlsConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if tls != .verify { configuration.certificateVerification = .none }
        return configuration
    }

    /// The pool's configuration.
    var clientConfiguration: PostgresClient.Configuration {
        let mode: PostgresClient.Configuration.TLS =
            switch tls {
            case .disable: .disable
            case .prefer: .prefer(tlsConfiguration)
            case .require, .verify: .require(tlsConfiguration)
            }
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: user,
            password: password,
            database: database,
            tls: mode
        )
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        return configuration
    }

    /// A connection outside the pool (the one that migrates, the one that listens).
    func connect(id: Int, logger: Logger) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            on: PostgresClient.defaultEventLoopGroup.next(),
            configuration: try connectionConfiguration(),
            id: id,
            logger: logger
        ).get()
    }

    /// One connection's configuration (the first connection, which migrates).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let mode: PostgresConnection.Configuration.TLS =
            switch tls {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: tlsConfiguration))
            case .require, .verify: .require(try NIOSSLContext(configuration: tlsConfiguration))
            }
        var configuration = PostgresConnection.Configuration(
            host: host,
            port: port,
            username: user,
            password: password,
            database: database,
            tls: mode
        )
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        return configuration
    }
}

/// One line for a person from whatever PostgresNIO threw: the server's message when there is
/// one (PSQLError's description hides it on purpose).
enum PostgresErrorText {
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return message
            }
            switch error.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown:
                return "cannot connect (\(error.underlying.map { "\($0)" } ?? "\(error.code)"))"
            default:
                return "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
            }
        }
        if let error = error as? StoreError { return error.description }
        return "\(error)"
    }

    /// The SQLSTATE of a server error (e.g. 23505, a unique violation), if the error is one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}
