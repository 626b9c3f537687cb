import PaperboyCore
import PaperboyStore
import PaperboyStoreSQLite

/// Opens the store a location names. The one place that knows the backends: everything else
/// holds `any AppStore`.
public enum StoreFactory {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// - Parameters:
    ///   - clock: stamps the rows the store dates itself.
    ///   - random: where instance secrets come from.
    public static func open(
        _ location: StoreLocation,
        clock: any WallClock = SystemClock(),
        random: any RandomSource = SystemRandomSource()
    ) throws -> any AppStore {
        switch location {
        case .sqlite(let path):
            return try SQLitePaperStore(path: path, clock: clock, random: random)
        case .postgres:
            throw Unavailable(description: "PostgreSQL stores are not available yet: use a SQLite path")
        }
    }

    /// `StoreLocation(text)` then `open`.
    public static func open(
        _ text: String,
        clock: any WallClock = SystemClock(),
        random: any RandomSource = SystemRandomSource()
    ) throws -> any AppStore {
        try open(try StoreLocation(text), clock: clock, random: random)
    }
}
