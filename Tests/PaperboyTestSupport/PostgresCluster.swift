import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL cluster for the tests of one process: `initdb` into a temporary
/// directory (as the `postgres` user when running as root: initdb refuses root), started on a
/// free loopback port with fsync off, stopped when the process exits. Each test gets a fresh
/// database (`makeDatabase`).
///
/// `PAPERBOY_TEST_POSTGRES=postgres://…` (a server's URL, its user allowed to create
/// databases) is used instead when set. Without either, `available` is false and the
/// PostgreSQL cases of the contract suite are left out, except under `CI=true`, where a
/// missing server fails the run (scripts/setup-test.sh installs postgresql-15).
public final class PostgresCluster: Sendable {
    /// `postgres://postgres@127.0.0.1:PORT`, without a database.
    public let serverURL: String
    let port: Int
    let host: String
    let user: String

    public static let binDirectory: String? = {
        let candidates = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }()

    /// Whether PostgreSQL tests can run here.
    public static var available: Bool {
        ProcessInfo.processInfo.environment["PAPERBOY_TEST_POSTGRES"] != nil || binDirectory != nil
    }

    /// Whether a missing PostgreSQL must fail the run instead of skipping its tests.
    public static var required: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The cluster of this process, started on first use.
    /// (Started synchronously, once: the few seconds of initdb are paid by one test.)
    public static let shared: Result<PostgresCluster, PostgresClusterError> = Result { () throws(PostgresClusterError) in try PostgresCluster.start()
    }

    private init(host: String, port: Int, user: String, serverURL: String) {
        self.host = host
        self.port = port
        self.user = user
        self.serverURL = serverURL
    }

    /// A new empty database; returns its URL.
    public func makeDatabase() async throws -> String {
        let name = "paperboy_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        try await offThePool { try self.psql("CREATE DATABASE \(name) STRATEGY FILE_COPY") }
        return "\(serverURL)/\(name)?sslmode=disable"
    }

    /// Drops a database `makeDatabase` made, closing any connection still open to it; in the
    /// background, since a `defer` cannot wait.
    public func dropDatabase(url: String) {
        guard let name = URLComponents(string: url)?.path.dropFirst(), name.hasPrefix("paperboy_test_") else { return }
        DispatchQueue.global().async { try? self.psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
    }

    /// Runs blocking work (a child process and its wait) on a thread of its own: blocking the
    /// few threads of Swift's cooperative pool stalls every test of the process, and once
    /// stalled a test in the middle of a COPY made a DROP DATABASE wait for it forever.
    private func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Runs one statement through `psql` as the cluster's superuser.
    public func psql(_ sql: String, database: String = "postgres") throws {
        guard let bin = Self.binDirectory ?? Self.which("psql").map({ URL(fileURLWithPath: $0).deletingLastPathComponent().path }) else {
            throw PostgresClusterError(description: "psql not found")
        }
        let status = Self.run([
            bin + "/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", "\(port)", "-U", user, "-d", database, "-c", sql,
        ])
        guard status == 0 else { throw PostgresClusterError(description: "psql failed (\(status)): \(sql)") }
    }

    // MARK: - Starting and stopping

    private static func start() throws(PostgresClusterError) -> PostgresCluster {
        if let url = ProcessInfo.processInfo.environment["PAPERBOY_TEST_POSTGRES"] {
            guard let components = URLComponents(string: url) else { throw PostgresClusterError(description: "bad PAPERBOY_TEST_POSTGRES") }
            let host = components.host ?? "127.0.0.1"
            let port = components.port ?? 5432
            let user = components.user ?? "postgres"
            return PostgresCluster(host: host, port: port, user: user, serverURL: "postgres://\(user)@\(host):\(port)")
        }
        guard let bin = binDirectory else {
            throw PostgresClusterError(description: "PostgreSQL is not installed (scripts/setup-test.sh installs postgresql-15)")
        }
        let directory = "/tmp/paperboy-pg-\(getpid())-\(UUID().uuidString.prefix(8))"
        let data = directory + "/data"
        let asRoot = getuid() == 0
        // The postgres user must own the directory; others need to enter it for the socket.
        guard mkdir(directory, 0o755) == 0 else { throw PostgresClusterError(description: "cannot create \(directory)") }
        if asRoot {
            guard let account = getpwnam("postgres") else { throw PostgresClusterError(description: "no postgres user to run initdb as") }
            chown(directory, account.pointee.pw_uid, account.pointee.pw_gid)
        }
        let prefix = asRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        let initdb = run(
            prefix + [bin + "/initdb", "--no-sync", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "-D", data],
            output: directory + "/initdb.log"
        )
        guard initdb == 0 else { throw PostgresClusterError(description: "initdb failed: see \(directory)/initdb.log") }
        let port = freePort()
        let options = "-p \(port) -k \(directory) -h 127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        let started = run(prefix + [bin + "/pg_ctl", "-D", data, "-l", directory + "/server.log", "-o", options, "-w", "-t", "30", "start"])
        guard started == 0 else { throw PostgresClusterError(description: "pg_ctl start failed: see \(directory)/server.log") }
        stopAtExit(command: prefix + [bin + "/pg_ctl", "-D", data, "-m", "immediate", "stop"], directory: directory)
        return PostgresCluster(host: "127.0.0.1", port: port, user: "postgres", serverURL: "postgres://postgres@127.0.0.1:\(port)")
    }

    /// Runs a program and waits for it, its output to `output` (or discarded). posix_spawn
    /// rather than Foundation's Process, whose wait was seen hanging on `pg_ctl start`.
    @discardableResult
    static func run(_ arguments: [String], output: String = "/dev/null") -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var pid = pid_t()
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        guard posix_spawn(&pid, arguments[0], &actions, nil, argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }

    private static func freePort() -> Int {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketDescriptor, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketDescriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func which(_ program: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .map { "\($0)/\(program)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static func stopAtExit(command: [String], directory: String) {
        ExitHooks.stop.withLock {
            $0 = (command, directory)
        }
        atexit {
            guard let (command, directory) = ExitHooks.stop.withLock({ $0 }) else { return }
            _ = PostgresCluster.run(command)
            _ = PostgresCluster.run(["/bin/rm", "-rf", directory])
        }
    }
}

private enum ExitHooks {
    static let stop = Mutex<([String], String)?>(nil)
}

public struct PostgresClusterError: Error, CustomStringConvertible {
    public var description: String
}
