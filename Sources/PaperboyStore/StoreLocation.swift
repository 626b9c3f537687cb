import Foundation

/// Everything the application keeps, behind the protocols of this module.
public typealias AppStore = PaperStore & AccountStore & DigestStore & BackupStore & SyncStore & CurationStore

/// Where a store lives, read from the `--database` value: `sqlite:PATH`, `sqlite://PATH`, a
/// bare path (SQLite), or `postgres://…` / `postgresql://…` (not available yet). The factory
/// (`PaperboyStoreFactory.openStore`) opens it; nothing else needs to know which backend it is.
public enum StoreLocation: Equatable, Sendable {
    case sqlite(path: String)
    case postgres(url: String)

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    public init(_ text: String) throws(Invalid) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw Invalid(description: "the database location is empty") }
        let lowered = trimmed.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            self = .postgres(url: trimmed)
        } else if lowered.hasPrefix("sqlite://") {
            self = .sqlite(path: String(trimmed.dropFirst("sqlite://".count)))
        } else if lowered.hasPrefix("sqlite:") {
            self = .sqlite(path: String(trimmed.dropFirst("sqlite:".count)))
        } else if let colon = trimmed.firstIndex(of: ":"), trimmed[..<colon].allSatisfy({ $0.isLetter }),
            trimmed[..<colon].count > 1, trimmed[trimmed.index(after: colon)...].hasPrefix("//")
        {
            throw Invalid(description: "unknown database scheme “\(trimmed[..<colon])”: use a path, sqlite:PATH or postgres://…")
        } else {
            self = .sqlite(path: trimmed)
        }
        if case .sqlite(let path) = self, path.isEmpty { throw Invalid(description: "sqlite: needs a file path") }
    }
}
