/// Stores that can copy themselves while serving (`paperboy backup`).
public protocol BackupStore: Sendable {
    /// Copies the whole store to `path`, consistently, while it keeps serving.
    func backup(to path: String) async throws -> BackupReport
}

/// What a backup copied: the file and the counts of the snapshot it holds.
public struct BackupReport: Sendable, Equatable {
    public var path: String
    public var bytes: Int
    public var papers: Int
    public var entries: Int
    public var upvotes: Int

    public init(path: String, bytes: Int, papers: Int, entries: Int, upvotes: Int) {
        self.path = path
        self.bytes = bytes
        self.papers = papers
        self.entries = entries
        self.upvotes = upvotes
    }
}

/// How far a backup is, in database pages.
public struct BackupProgress: Sendable, Equatable {
    public var copiedPages: Int
    public var totalPages: Int

    public init(copiedPages: Int, totalPages: Int) {
        self.copiedPages = copiedPages
        self.totalPages = totalPages
    }
}

public enum BackupError: Error, CustomStringConvertible, Equatable {
    case targetDirectoryMissing(path: String, directory: String)
    case targetIsADirectory(path: String)
    case targetIsTheDatabase(path: String)
    case targetInUse(path: String, file: String)
    case integrityCheckFailed(path: String, report: String)
    case failed(path: String, reason: String)

    public var description: String {
        switch self {
        case .targetDirectoryMissing(let path, let directory):
            return "cannot back up to \(path): directory \(directory) does not exist"
        case .targetIsADirectory(let path):
            return "cannot back up to \(path): it is a directory; name a file"
        case .targetIsTheDatabase(let path):
            return "cannot back up to \(path): it is the database being backed up"
        case .targetInUse(let path, let file):
            return "cannot back up to \(path): \(file) exists, so a database is open there; choose another file or remove it"
        case .integrityCheckFailed(let path, let report):
            return "backup to \(path) failed its integrity check (nothing written): \(report)"
        case .failed(let path, let reason):
            return "backup to \(path) failed (nothing written): \(reason)"
        }
    }
}
