/// Block-max MaxScore over windows of document ids (after Ding & Suel 2011, and Lucene's
/// MaxScoreBulkScorer, which also works a window at a time).
///
/// Each posting list keeps the largest impact of every block of 128 postings, so for a window
/// of ids every term has a bound on what it can add there. Windows are scored in id order:
///
/// - The terms whose window bounds together stay below the k-th best so far cannot lift a
///   document into the top k on their own. They are *non-essential*; the others (always a
///   prefix of the terms, largest upper bound first) are added into the accumulator posting by
///   posting, marking the documents they touch. A window where every term is non-essential is
///   skipped without reading its postings.
/// - Then each non-essential term, in order: the marked documents that cannot reach the k-th
///   best even with that term's and the later terms' window bounds are dropped, and the term is
///   added to the survivors (walking its window postings against the bitmap, or searching the
///   list per survivor when they are few).
/// - The survivors are offered to the top k, in id order.
///
/// Pruning compares with a slightly lowered k-th best, so a document that would tie it is
/// never skipped: the results, ties included, are those of `exhaustive`. Scores add each term's
/// `weight × impact` in the same term order as the other strategies, so they are bit-identical.
struct BlockMaxScoring {
    let index: LexicalIndex
    /// Query terms, largest upper bound first.
    let terms: [LexicalIndex.WeightedTerm]
    let k: Int
    let live: UnsafeBufferPointer<Bool>
    let filter: ((Int32) -> Bool)?
    /// All zero on entry and on return.
    let scores: UnsafeMutableBufferPointer<Float>

    /// Pruning compares float sums with the k-th best float score. A sum of up to 128 terms
    /// can round differently from the score it bounds by about 128 ulp (8e-6 relative); only
    /// bounds under this fraction of the k-th best are trusted to lose.
    static let safetyMargin: Float = 1 - 3e-5

    func topK() -> [ScoredDoc] {
        withCursors { run($0) }
    }

    /// Opens a cursor on every query term's postings, in `terms` order, for the duration of `body`.
    private func withCursors<R>(_ body: (UnsafeMutableBufferPointer<PostingCursor>) -> R) -> R {
        var cursors: [PostingCursor] = []
        cursors.reserveCapacity(terms.count)
        func open(_ next: Int) -> R {
            guard next < terms.count else { return cursors.withUnsafeMutableBufferPointer { body($0) } }
            let term = terms[next]
            let list = index.postings[Int(term.term)]
            guard list.count > 0 else { return open(next + 1) }
            return list.docs.withUnsafeBufferPointer { docs in
                list.impacts.withUnsafeBufferPointer { impacts in
                    list.blocks.withUnsafeBufferPointer { blocks in
                        cursors.append(
                            PostingCursor(
                                docs: docs,
                                impacts: impacts,
                                blocks: blocks,
                                weight: term.weight,
                                maxImpact: list.maxImpact
                            )
                        )
                        return open(next + 1)
                    }
                }
            }
        }
        return open(0)
    }

    /// Documents per window: the window's accumulator slice (64 KB) stays in L2 and its bitmap
    /// (2 KB) in L1. 4,096 measured the same at 1M papers.
    static let windowSize = 16_384

    private func run(_ cursors: UnsafeMutableBufferPointer<PostingCursor>) -> [ScoredDoc] {
        let count = cursors.count
        // remaining[i]: the most terms i... can add to a document, padded against rounding.
        var remaining = [Float](repeating: 0, count: count + 1)
        for i in stride(from: count - 1, through: 0, by: -1) {
            remaining[i] = remaining[i + 1] + cursors[i].weight * cursors[i].maxImpact
        }
        for i in remaining.indices { remaining[i] = remaining[i] * 1.0001 + 1e-6 }
        // windowBound[i]: the most terms i... can add to a document of the current window.
        var windowBound = [Float](repeating: 0, count: count + 1)
        var touched = [UInt64](repeating: 0, count: BlockMaxScoring.windowSize / 64)

        var top = TopK(k: k)
        // A document scoring below `bar` cannot be among the final k.
        var bar = seedThreshold(cursors, remaining: remaining) * BlockMaxScoring.safetyMargin
        let limit = index.internalIDLimit
        let size = BlockMaxScoring.windowSize
        var first = 0
        while first < limit {
            let last = min(first + size, limit) - 1
            defer { first = max(first, last + 1) }
            for i in stride(from: count - 1, through: 0, by: -1) {
                windowBound[i] = windowBound[i + 1] + cursors[i].maxContribution(UInt32(first), UInt32(last))
            }
            guard windowBound[0] > 0 else {
                // No postings here: on to the window of the next block of any term.
                let next = cursors.reduce(Int.max) { min($0, $1.nextBlockStart) }
                first = next == .max ? limit : next / size * size
                continue
            }
            // Terms essential..<count together cannot lift a document into the top k here.
            var essential = 0
            while essential < count && windowBound[essential] >= bar { essential += 1 }
            guard essential > 0 else { continue }

            touched.withUnsafeMutableBufferPointer { touched in
                let window = Window(first: UInt32(first), last: UInt32(last), scores: scores, touched: touched)
                for i in 0..<essential { cursors[i].accumulate(window) }
                for i in essential..<count {
                    let survivors = window.drop(below: bar, adding: windowBound[i])
                    guard survivors > 0 else { break }
                    cursors[i].addToMarked(window, expected: survivors)
                }
                window.forEachMarked(clearing: true) { doc in
                    let score = scores[doc]
                    scores[doc] = 0
                    guard offer(UInt32(doc), score, &top), top.isFull else { return }
                    bar = max(bar, top.threshold * BlockMaxScoring.safetyMargin)
                }
            }
        }
        return top.sorted()
    }

    /// Offers `doc` to `top` if it may be returned at all; whether it went in.
    @inline(__always)
    private func offer(_ doc: UInt32, _ score: Float, _ top: inout TopK) -> Bool {
        guard live[Int(doc)] else { return false }
        let candidate = ScoredDoc(doc: Int32(doc), score: score)
        guard top.admits(candidate) else { return false }
        if let filter, !filter(Int32(doc)) { return false }
        top.insert(candidate)
        return true
    }

    /// Lists of at most this many postings together are scored first to seed the threshold.
    static let seedPostings = 1_024

    /// A lower bound on the final k-th best score, or −∞: the k-th best complete score among
    /// the documents of the shortest lists. Windows are visited in id order, so the k-th best
    /// found so far rises slowly from nothing; a long title query's rarest words usually
    /// lead to its best matches, and starting from their scores prunes from the first window.
    /// (Every document counted may be returned, so the final k-th best can only be higher.)
    private func seedThreshold(_ cursors: UnsafeMutableBufferPointer<PostingCursor>, remaining: [Float]) -> Float {
        guard cursors.count > 1 else { return -.infinity }
        let docs = seedDocuments(cursors)
        var seeding = Array(cursors)  // own positions: the main pass starts from the beginning
        var top = TopK(k: k)
        var bar: Float = -.infinity
        candidates: for doc in docs {
            var score: Float = 0
            for i in seeding.indices {
                guard score + remaining[i] >= bar else { continue candidates }
                seeding[i].advance(to: doc)
                if seeding[i].doc == doc { score += seeding[i].contribution }
            }
            if offer(doc, score, &top), top.isFull { bar = top.threshold }
        }
        return top.threshold
    }

    /// Every document of the shortest lists, as many as `seedPostings` allows, in increasing
    /// id order without repeats.
    private func seedDocuments(_ cursors: UnsafeMutableBufferPointer<PostingCursor>) -> [UInt32] {
        let shortestFirst = cursors.indices.sorted { cursors[$0].docs.count < cursors[$1].docs.count }
        var docs: [UInt32] = []
        for i in shortestFirst {
            guard docs.count + cursors[i].docs.count <= BlockMaxScoring.seedPostings else { break }
            docs.append(contentsOf: cursors[i].docs)
        }
        docs.sort()
        var unique = docs
        unique.removeAll(keepingCapacity: true)
        for doc in docs where unique.last != doc { unique.append(doc) }
        return unique
    }
}

/// A position in one query term's posting list.
struct PostingCursor {
    let docs: UnsafeBufferPointer<UInt32>
    let impacts: UnsafeBufferPointer<Impact>
    let blocks: UnsafeBufferPointer<PostingBlock>
    let weight: Float
    let maxImpact: Float
    var position = 0
    /// The block `blockBound` last looked at; only moves forward.
    var block = 0

    init(
        docs: UnsafeBufferPointer<UInt32>,
        impacts: UnsafeBufferPointer<Impact>,
        blocks: UnsafeBufferPointer<PostingBlock>,
        weight: Float,
        maxImpact: Float
    ) {
        self.docs = docs
        self.impacts = impacts
        self.blocks = blocks
        self.weight = weight
        self.maxImpact = maxImpact
    }

    var isExhausted: Bool { position >= docs.count }

    /// The current document, or `UInt32.max` past the end.
    var doc: UInt32 { position < docs.count ? docs[position] : .max }

    /// What the current posting adds to its document's score.
    var contribution: Float { weight * impacts[position].value }

    /// Moves to the first posting whose document is `target` or later.
    mutating func advance(to target: UInt32) {
        position = QueryScoring.lowerBound(docs, target, from: position)
    }

    /// The most this term can add to a document in `first...last`: the largest maximum of
    /// the blocks holding postings there (0 if none). Ranges must not move backwards.
    mutating func maxContribution(_ first: UInt32, _ last: UInt32) -> Float {
        while block < blocks.count && blocks[block].lastDoc < first { block += 1 }
        var largest: Float = 0
        var next = block
        while next < blocks.count && docs[next << PostingList.blockShift] <= last {
            largest = max(largest, blocks[next].maxImpact)
            if blocks[next].lastDoc >= last { break }
            next += 1
        }
        return weight * largest
    }

    /// The first document of the block `maxContribution` stopped at, or `Int.max` past the end.
    var nextBlockStart: Int { block < blocks.count ? Int(docs[block << PostingList.blockShift]) : .max }

    /// Adds this term's contribution to every document of the window that has it, and marks them.
    mutating func accumulate(_ window: Window) {
        advance(to: window.first)
        var position = self.position
        while position < docs.count {
            let doc = docs[position]
            guard doc <= window.last else { break }
            window.scores[Int(doc)] += weight * impacts[position].value
            window.mark(doc)
            position += 1
        }
        self.position = position
    }

    /// Adds this term's contribution to the marked documents that have it: by walking the
    /// window's postings when they are few for the `expected` marked documents, else by
    /// searching the list for each marked document.
    mutating func addToMarked(_ window: Window, expected: Int) {
        advance(to: window.first)
        let end = QueryScoring.lowerBound(docs, window.last &+ 1, from: position)
        if end - position <= 8 * expected {
            for position in position..<end where window.isMarked(docs[position]) {
                window.scores[Int(docs[position])] += weight * impacts[position].value
            }
            position = end
        } else {
            window.forEachMarked(clearing: false) { doc in
                advance(to: UInt32(doc))
                if position < end && docs[position] == UInt32(doc) {
                    window.scores[doc] += weight * impacts[position].value
                }
            }
        }
    }
}

/// A range of document ids scored together: their slice of the accumulator, and a bitmap of
/// the documents still in contention (bit `doc - first`).
struct Window {
    let first: UInt32
    let last: UInt32
    let scores: UnsafeMutableBufferPointer<Float>
    let touched: UnsafeMutableBufferPointer<UInt64>

    @inline(__always)
    func mark(_ doc: UInt32) {
        let offset = Int(doc &- first)
        touched[offset >> 6] |= 1 << UInt64(offset & 63)
    }

    @inline(__always)
    func isMarked(_ doc: UInt32) -> Bool {
        let offset = Int(doc &- first)
        return touched[offset >> 6] & (1 << UInt64(offset & 63)) != 0
    }

    /// Calls `body` with each marked document, in increasing order; unmarks them if `clearing`.
    @inline(__always)
    func forEachMarked(clearing: Bool, _ body: (Int) -> Void) {
        let base = Int(first)
        for word in touched.indices where touched[word] != 0 {
            var bits = touched[word]
            if clearing { touched[word] = 0 }
            while bits != 0 {
                body(base + word << 6 + bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
    }

    /// Unmarks (and zeroes) the documents that cannot reach `bar` even with `bound` more;
    /// returns how many stay marked.
    func drop(below bar: Float, adding bound: Float) -> Int {
        let base = Int(first)
        var survivors = 0
        for word in touched.indices where touched[word] != 0 {
            var bits = touched[word]
            var kept = bits
            while bits != 0 {
                let bit = bits.trailingZeroBitCount
                bits &= bits - 1
                let doc = base + word << 6 + bit
                if scores[doc] + bound < bar {
                    scores[doc] = 0
                    kept &= ~(1 << UInt64(bit))
                }
            }
            touched[word] = kept
            survivors += kept.nonzeroBitCount
        }
        return survivors
    }
}
