import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The OS priority (nice value) of the backfill's embedding threads: the lowest, so any
/// request that needs a core gets it first and the backfill takes only what is left.
public let backgroundEmbeddingNiceness: Int32 = 19

/// Embeds `texts` on `threads` threads of their own, each at the lowest OS priority
/// (`backgroundEmbeddingNiceness`): on an idle server the backfill uses every core; when
/// searches need the CPU, the kernel's scheduler hands it to them, so they are barely slowed.
/// Returns the vectors in the order of `texts`, as `embed(batch:)` would.
public func embedInBackground(_ texts: [String], embedder: any TextEmbedder, threads: Int) -> [[Float]] {
    let work = BackgroundEmbeddingWork(texts: texts)
    let finished = DispatchGroup()
    for _ in 0..<max(1, min(threads, texts.count)) {
        finished.enter()
        let thread = Thread {
            lowerThisThreadsPriority()
            while let index = work.next() { work.store(embedder.embed(texts[index]), at: index) }
            finished.leave()
        }
        thread.name = "paperboy-embed"
        thread.start()
    }
    finished.wait()
    return work.results
}

/// The nice value of the calling thread: on Linux the nice value belongs to each thread, and
/// `PRIO_PROCESS` with id 0 names the calling one.
public func currentThreadNiceness() -> Int32 {
    #if os(Linux)
    errno = 0
    return Int32(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
    #else
    return 0
    #endif
}

private func lowerThisThreadsPriority() {
    #if os(Linux)
    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, backgroundEmbeddingNiceness)
    #endif
}

/// The texts handed out once each to the embedding threads, and their vectors.
private final class BackgroundEmbeddingWork: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private let count: Int
    private var vectors: [[Float]]

    init(texts: [String]) {
        count = texts.count
        vectors = Array(repeating: [], count: texts.count)
    }

    func next() -> Int? {
        lock.withLock {
            guard nextIndex < count else { return nil }
            defer { nextIndex += 1 }
            return nextIndex
        }
    }

    func store(_ vector: [Float], at index: Int) {
        lock.withLock { vectors[index] = vector }
    }

    var results: [[Float]] { lock.withLock { vectors } }
}
