import Logging
import PaperboyCore
import PaperboyStore
import PaperboyStorePostgres
import PaperboyStoreSQLite

/// Opens the store a location names. The one place that knows the backends: everything else
/// holds `any AppStore`.
public enum StoreFactory {
    /// - Parameters:
    ///   - clock: stamps the rows the store dates itself.
    ///   - random: where instance secrets come from.
    ///   - logger: where a PostgreSQL pool logs what happens in the background.
    public static func open(
        _ location: StoreLocation,
        clock: any WallClock = SystemClock(),
        random: any RandomSource = SystemRandomSource(),
        logger: Logger? = nil
    ) async throws -> any AppStore {
        switch location {
        case .sqlite(let path):
            return try SQLitePaperStore(path: path, clock: clock, random: random)
        case .postgres(let url):
            // Its backups are SQLite files, which the copier writes: it knows both backends.
            if let logger {
                return try await PostgresPaperStore.open(
                    url: url,
                    clock: clock,
                    random: random,
                    logger: logger,
                    backupWriter: StoreCopier.sqliteFileWriter
                )
            }
            return try await PostgresPaperStore.open(url: url, clock: clock, random: random, backupWriter: StoreCopier.sqliteFileWriter)
        }
    }

    /// `StoreLocation(text)` then `open`.
    public static func open(
        _ text: String,
        clock: any WallClock = SystemClock(),
        random: any RandomSource = SystemRandomSource(),
        logger: Logger? = nil
    ) async throws -> any AppStore {
        try await open(try StoreLocation(text), clock: clock, random: random, logger: logger)
    }
}
