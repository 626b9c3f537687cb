import PaperboyStore
import PaperboyStoreSQLite

/// Opens the store a location names. The one place that knows the backends: everything else
/// holds `any AppStore`.
public enum StoreFactory {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    public static func open(_ location: StoreLocation) throws -> any AppStore {
        switch location {
        case .sqlite(let path):
            return try SQLitePaperStore(path: path)
        case .postgres:
            throw Unavailable(description: "PostgreSQL stores are not available yet: use a SQLite path")
        }
    }

    /// `StoreLocation(text)` then `open`.
    public static func open(_ text: String) throws -> any AppStore {
        try open(try StoreLocation(text))
    }
}
