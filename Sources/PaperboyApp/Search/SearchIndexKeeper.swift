import Foundation
import Logging
import PaperboyStore
import ServiceLifecycle
import Synchronization

/// Keeps the search index's file (`SearchEngine+IndexFile.swift`) close to the index: writes
/// it soon after start when it is missing or behind, then whenever the index has moved on, at
/// most once per `interval` (or ten times as long as the last write took, at a million papers
/// a few seconds), and once more at shutdown. The next start then reads it instead of
/// rebuilding from the database.
public struct SearchIndexKeeper: Service {
    let engine: SearchEngine
    let path: String
    let logger: Logger
    var interval: Duration

    public init(engine: SearchEngine, path: String, interval: Duration = .seconds(300), logger: Logger) {
        self.engine = engine
        self.path = path
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let pause = Mutex<Duration>(interval)
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    if let took = await writeIfBehind() { pause.withLock { $0 = max(interval, took * 10) } }
                    try await Task.sleep(for: pause.withLock { $0 })
                }
            }
        } catch is CancellationError {}
        // Shutting down: what this run loaded need not be loaded again by the next.
        _ = await writeIfBehind()
    }

    /// Writes the file when the index has loaded more than it holds; returns how long it took.
    @discardableResult
    public func writeIfBehind() async -> Duration? {
        guard engine.indexFileIsBehind else { return nil }
        let started = ContinuousClock.now
        do {
            try await engine.writeIndexFile(to: path)
            let took = ContinuousClock.now - started
            logger.info(
                "search index written",
                metadata: [
                    "file": "\(path)", "papers": "\(engine.paperCount)",
                    "megabytes": "\(((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int ?? 0) >> 20)",
                    "seconds": "\(String(format: "%.2f", took.seconds))",
                ]
            )
            return took
        } catch {
            logger.error("search index not written", metadata: ["file": "\(path)", "error": "\(error)"])
            return nil
        }
    }
}
