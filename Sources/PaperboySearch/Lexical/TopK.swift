/// Keeps the k best (score, doc) pairs seen so far in a binary min-heap, so the
/// weakest kept result is at the root and a candidate is one comparison away from rejection.
/// Ties go to the lower internal id, which keeps rankings deterministic.
struct TopK {
    let k: Int
    private(set) var heap: [ScoredDoc] = []

    init(k: Int) {
        self.k = max(0, k)
        heap.reserveCapacity(self.k)
    }

    var isFull: Bool { heap.count >= k }

    /// The score a candidate must beat to enter (−∞ while not full).
    var threshold: Float { isFull ? heap[0].score : -.infinity }

    /// `a` ranks below `b`.
    @inline(__always)
    private static func worse(_ a: ScoredDoc, _ b: ScoredDoc) -> Bool {
        a.score < b.score || (a.score == b.score && a.doc > b.doc)
    }

    /// Whether `candidate` would enter a full heap.
    @inline(__always)
    func admits(_ candidate: ScoredDoc) -> Bool {
        !isFull || TopK.worse(heap[0], candidate)
    }

    mutating func insert(_ candidate: ScoredDoc) {
        guard k > 0 else { return }
        if heap.count < k {
            heap.append(candidate)
            siftUp(heap.count - 1)
        } else if TopK.worse(heap[0], candidate) {
            heap[0] = candidate
            siftDown(0)
        }
    }

    /// Best first.
    func sorted() -> [ScoredDoc] {
        heap.sorted { TopK.worse($1, $0) }
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard TopK.worse(heap[child], heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var smallest = left
            let right = left + 1
            if right < heap.count && TopK.worse(heap[right], heap[left]) { smallest = right }
            guard TopK.worse(heap[smallest], heap[parent]) else { return }
            heap.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
