import Synchronization

/// The most recently used query embeddings. Real traffic repeats queries (the same links are
/// shared, pagination asks again), and embedding one costs milliseconds of CPU while a lookup
/// costs nanoseconds. Least recently used entries go first; all operations are O(1).
public final class QueryVectorCache: Sendable {
    private struct Node {
        var key: String
        var vector: [Float]
        var newer: Int?
        var older: Int?
    }

    private struct State {
        var slots: [String: Int] = [:]
        var nodes: [Node] = []
        var newest: Int?
        var oldest: Int?
        var hits = 0
        var misses = 0

        mutating func unlink(_ index: Int) {
            let node = nodes[index]
            if let newer = node.newer { nodes[newer].older = node.older } else { newest = node.older }
            if let older = node.older { nodes[older].newer = node.newer } else { oldest = node.newer }
        }

        mutating func pushNewest(_ index: Int) {
            nodes[index].older = newest
            nodes[index].newer = nil
            if let newest { nodes[newest].newer = index }
            newest = index
            if oldest == nil { oldest = index }
        }
    }

    private let state = Mutex(State())
    public let capacity: Int
    /// The engine's cache size: 2,048 queries, about 3 MB of vectors.
    public static let defaultCapacity = 2048

    public init(capacity: Int = QueryVectorCache.defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    public func vector(for key: String) -> [Float]? {
        state.withLock { state in
            guard let index = state.slots[key] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            state.unlink(index)
            state.pushNewest(index)
            return state.nodes[index].vector
        }
    }

    public func store(_ vector: [Float], for key: String) {
        state.withLock { state in
            if let index = state.slots[key] {
                state.nodes[index].vector = vector
                state.unlink(index)
                state.pushNewest(index)
                return
            }
            let index: Int
            if state.nodes.count < capacity {
                index = state.nodes.count
                state.nodes.append(Node(key: key, vector: vector))
            } else {
                // Reuse the least recently used slot.
                index = state.oldest!
                state.unlink(index)
                state.slots[state.nodes[index].key] = nil
                state.nodes[index] = Node(key: key, vector: vector)
            }
            state.slots[key] = index
            state.pushNewest(index)
        }
    }

    var count: Int { state.withLock { $0.slots.count } }
    public var statistics: (hits: Int, misses: Int) { state.withLock { ($0.hits, $0.misses) } }
}
