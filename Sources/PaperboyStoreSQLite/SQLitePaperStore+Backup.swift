import Foundation
import GRDB
import PaperboyStore

#if canImport(Glibc)
import Glibc
#endif

extension SQLitePaperStore {
    /// Copies the database to `path` with SQLite's online backup API while the store keeps serving.
    ///
    /// The copy is read inside one read transaction, so it is the snapshot of one moment (the
    /// counts in the report come from the same snapshot). In WAL mode a reader never blocks
    /// writers: they keep committing to the WAL while the pages are copied, and only checkpoints
    /// wait for the copy to end. The copy goes to a hidden file next to `path` and is renamed
    /// onto `path` only once complete and `PRAGMA integrity_check` says ok, so a failed backup
    /// leaves `path` as it was. The copy is in rollback-journal mode: one self-contained file.
    /// Pages are copied `pagesPerStep` at a time; `progress` hears after each step.
    public func backup(
        to path: String,
        pagesPerStep: Int = 1024,
        progress: (@Sendable (BackupProgress) -> Void)? = nil
    ) async throws -> BackupReport {
        let target = URL(fileURLWithPath: path).standardizedFileURL
        try checkBackupTarget(target, as: path)
        let directory = target.deletingLastPathComponent()
        // A UUID only keeps concurrent backups' partial files apart; no test needs to pick it.
        let partial = directory.appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).partial")
        do {
            var report = try await copySnapshot(to: partial.path, as: path, pagesPerStep: pagesPerStep, progress: progress)
            try matchPermissions(of: partial.path)
            guard rename(partial.path, target.path) == 0 else {
                throw BackupError.failed(path: path, reason: "cannot rename the copy into place: \(String(cString: strerror(errno)))")
            }
            Self.syncDirectory(directory.path)
            report.path = target.path
            report.bytes = (try? FileManager.default.attributesOfItem(atPath: target.path)[.size] as? Int) ?? 0
            return report
        } catch {
            for suffix in ["", "-journal", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: partial.path + suffix)
            }
            switch error {
            case let error as BackupError: throw error
            case let error as DatabaseError: throw BackupError.failed(path: path, reason: error.message ?? "\(error.resultCode)")
            default: throw BackupError.failed(path: path, reason: "\(error)")
            }
        }
    }

    /// The target's directory must exist, and the target must not be this database or one open elsewhere.
    private func checkBackupTarget(_ target: URL, as path: String) throws {
        let manager = FileManager.default
        let directory = target.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BackupError.targetDirectoryMissing(path: path, directory: directory)
        }
        if manager.fileExists(atPath: target.path, isDirectory: &isDirectory) && isDirectory.boolValue {
            throw BackupError.targetIsADirectory(path: path)
        }
        let source = URL(fileURLWithPath: pool.path).resolvingSymlinksInPath().path
        let resolved = target.resolvingSymlinksInPath().path
        if [source, source + "-wal", source + "-shm"].contains(resolved) || Self.sameFile(pool.path, target.path) {
            throw BackupError.targetIsTheDatabase(path: path)
        }
        // Renaming a fresh file under a database that has a WAL would make SQLite apply that WAL to it.
        for suffix in ["-wal", "-shm"] where manager.fileExists(atPath: target.path + suffix) {
            throw BackupError.targetInUse(path: path, file: target.lastPathComponent + suffix)
        }
    }

    /// Copies one snapshot into a new database at `partial`, checks it, and counts what it holds.
    private func copySnapshot(
        to partial: String,
        as path: String,
        pagesPerStep: Int,
        progress: (@Sendable (BackupProgress) -> Void)?
    ) async throws -> BackupReport {
        let destination = try DatabaseQueue(path: partial)
        defer { try? destination.close() }
        let report = try await pool.read { db in
            // The first statement of the read transaction fixes the snapshot the backup then copies.
            let report = BackupReport(
                path: partial,
                bytes: 0,
                papers: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM papers") ?? 0,
                entries: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM daily_entries") ?? 0,
                upvotes: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM upvotes") ?? 0
            )
            try destination.writeWithoutTransaction { destinationDB in
                try db.backup(to: destinationDB, pagesPerStep: CInt(clamping: pagesPerStep)) { step in
                    progress?(BackupProgress(copiedPages: step.completedPageCount, totalPages: step.totalPageCount))
                }
            }
            return report
        }
        // The copied pages say WAL; back to a rollback journal, the copy is one self-contained file.
        let problems = try await destination.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = DELETE")
            return try String.fetchAll(db, sql: "PRAGMA integrity_check")
        }
        try destination.close()
        guard problems == ["ok"] else {
            throw BackupError.integrityCheckFailed(path: path, report: problems.prefix(5).joined(separator: "; "))
        }
        return report
    }

    /// The copy holds what the database holds (password hashes, sessions): same permissions.
    private func matchPermissions(of partial: String) throws {
        guard let permissions = try? FileManager.default.attributesOfItem(atPath: pool.path)[.posixPermissions] else { return }
        try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: partial)
    }

    private static func sameFile(_ first: String, _ second: String) -> Bool {
        var a = stat()
        var b = stat()
        guard stat(first, &a) == 0, stat(second, &b) == 0 else { return false }
        return a.st_dev == b.st_dev && a.st_ino == b.st_ino
    }

    /// Makes the rename itself durable.
    private static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        _ = Glibc.close(descriptor)
    }
}

extension SQLitePaperStore: BackupStore {
    public func backup(to path: String) async throws -> BackupReport {
        try await backup(to: path, pagesPerStep: 1024, progress: nil)
    }
}
