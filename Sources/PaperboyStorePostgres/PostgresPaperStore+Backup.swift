import Foundation
import PaperboyStore

#if canImport(Glibc)
import Glibc
#endif

extension PostgresPaperStore: BackupStore {
    /// Copies one snapshot of every table into a new SQLite file next to `path` (the copy
    /// `paperboy db copy` makes, row counts and checksums checked, then `PRAGMA
    /// integrity_check`) and renames it onto `path` only then, so a failed backup leaves
    /// `path` as it was. The server keeps serving and writing meanwhile: the snapshot is one
    /// REPEATABLE READ transaction. The file opens as a store (`--database FILE`), and is
    /// readable by its owner only: it holds password hashes and sessions.
    public func backup(to path: String) async throws -> BackupReport {
        guard let backupWriter else {
            throw BackupError.failed(path: path, reason: "this store was opened without a SQLite writer; open it with StoreFactory")
        }
        let target = URL(fileURLWithPath: path).standardizedFileURL
        try Self.checkBackupTarget(target, as: path)
        let directory = target.deletingLastPathComponent()
        // A UUID only keeps concurrent backups' partial files apart; no test needs to pick it.
        let partial = directory.appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString).partial")
        do {
            let counts = try await backupWriter(self, partial.path)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: partial.path)
            guard rename(partial.path, target.path) == 0 else {
                throw BackupError.failed(path: path, reason: "cannot rename the copy into place: \(String(cString: strerror(errno)))")
            }
            Self.syncDirectory(directory.path)
            let bytes = (try? FileManager.default.attributesOfItem(atPath: target.path)[.size] as? Int) ?? 0
            return BackupReport(
                path: target.path,
                bytes: bytes,
                papers: counts["papers"] ?? 0,
                entries: counts["daily_entries"] ?? 0,
                upvotes: counts["upvotes"] ?? 0
            )
        } catch {
            for suffix in ["", "-journal", "-wal", "-shm"] {
                try? FileManager.default.removeItem(atPath: partial.path + suffix)
            }
            switch error {
            case BackupError.integrityCheckFailed(_, let report): throw BackupError.integrityCheckFailed(path: path, report: report)
            case let error as BackupError: throw error
            default: throw BackupError.failed(path: path, reason: "\(error)")
            }
        }
    }

    /// SQLite's backup refusals, less "the database itself", which a file cannot be here.
    private static func checkBackupTarget(_ target: URL, as path: String) throws {
        let manager = FileManager.default
        let directory = target.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BackupError.targetDirectoryMissing(path: path, directory: directory)
        }
        if manager.fileExists(atPath: target.path, isDirectory: &isDirectory) && isDirectory.boolValue {
            throw BackupError.targetIsADirectory(path: path)
        }
        // Renaming a fresh file under a database that has a WAL would make SQLite apply that WAL to it.
        for suffix in ["-wal", "-shm"] where manager.fileExists(atPath: target.path + suffix) {
            throw BackupError.targetInUse(path: path, file: target.lastPathComponent + suffix)
        }
    }

    /// Makes the rename itself durable.
    private static func syncDirectory(_ directory: String) {
        let descriptor = Glibc.open(directory, O_RDONLY)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        _ = Glibc.close(descriptor)
    }
}
