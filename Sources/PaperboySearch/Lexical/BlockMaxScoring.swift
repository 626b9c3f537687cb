/// Document-at-a-time block-max MaxScore (after Ding & Suel 2011 and Chakrabarti et al. 2011).
///
/// Documents are visited in increasing id order, each scored completely before the next, so a
/// document is only ever compared with lower ids: one whose score merely ties the k-th best
/// cannot enter, exactly as in exhaustive selection, and anything whose upper bound is below
/// the k-th best can be skipped without changing the results. Three bounds decide what is read:
///
/// - Terms whose upper bounds together stay below the k-th best are *non-essential*: a document
///   containing only those cannot make it, so candidates come from the other (*essential*)
///   lists only, and the non-essential lists are searched for each candidate.
/// - A window of ids where every essential list stays inside one block is skipped whole when
///   the blocks' maxima plus the non-essential bound stay below the k-th best.
/// - A candidate stops being looked up in the non-essential lists as soon as its partial score
///   plus their block maxima falls below the k-th best.
///
/// Scores add each term's `weight × impact` in the same term order as the other strategies,
/// so they are bit-identical to theirs.
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

    /// Documents per window: the accumulator slice and the 512-byte bitmap of one window stay in L1.
    static let windowSize = 4_096

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
        var first = 0
        while first < limit {
            let last = min(first + BlockMaxScoring.windowSize, limit) - 1
            defer { first = last + 1 }
            for i in stride(from: count - 1, through: 0, by: -1) {
                windowBound[i] = windowBound[i + 1] + cursors[i].maxContribution(UInt32(first), UInt32(last))
            }
            guard windowBound[0] > 0 else { continue }  // no postings here
            // Terms essential..<count together cannot lift a document into the top k here.
            var essential = 0
            while essential < count && windowBound[essential] >= bar { essential += 1 }
            guard essential > 0 else { continue }

            touched.withUnsafeMutableBufferPointer { touched in
                for i in 0..<essential {
                    cursors[i].accumulate(first: UInt32(first), last: UInt32(last), into: scores, marking: touched)
                }
                for word in touched.indices where touched[word] != 0 {
                    var bits = touched[word]
                    touched[word] = 0
                    while bits != 0 {
                        let doc = first + word << 6 + bits.trailingZeroBitCount
                        bits &= bits - 1
                        var score = scores[doc]
                        scores[doc] = 0
                        var complete = true
                        for i in essential..<count {
                            guard score + windowBound[i] >= bar else {
                                complete = false
                                break
                            }
                            cursors[i].advance(to: UInt32(doc))
                            if cursors[i].doc == UInt32(doc) { score += cursors[i].contribution }
                        }
                        guard complete, offer(UInt32(doc), score, &top), top.isFull else { continue }
                        bar = max(bar, top.threshold * BlockMaxScoring.safetyMargin)
                    }
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
    /// the documents of the shortest lists. Visiting documents in id order, the k-th best
    /// rises slowly from nothing; on a long title query the rarest words' few documents
    /// usually include the best matches, so starting from their scores prunes from the start.
    /// (Every document it counts may be returned, so the final k-th best can only be higher.)
    private func seedThreshold(_ cursors: UnsafeMutableBufferPointer<PostingCursor>, remaining: [Float]) -> Float {
        guard cursors.count > 1 else { return -.infinity }
        var sources: [Int] = []
        var total = 0
        for i in cursors.indices.sorted(by: { cursors[$0].docs.count < cursors[$1].docs.count }) {
            guard total + cursors[i].docs.count <= BlockMaxScoring.seedPostings else { break }
            sources.append(i)
            total += cursors[i].docs.count
        }
        guard !sources.isEmpty else { return -.infinity }
        var seeding = Array(cursors)  // own positions: the main pass starts from the beginning
        var top = TopK(k: k)
        var bar: Float = -.infinity
        while true {
            var doc = UInt32.max
            for i in sources { doc = min(doc, seeding[i].doc) }
            if doc == .max { break }
            var score: Float = 0
            var complete = true
            for i in seeding.indices {
                guard score + remaining[i] >= bar else {
                    complete = false
                    break
                }
                seeding[i].advance(to: doc)
                if seeding[i].doc == doc { score += seeding[i].contribution }
            }
            for i in sources where seeding[i].doc == doc { seeding[i].position += 1 }
            if complete, offer(doc, score, &top), top.isFull { bar = top.threshold }
        }
        return top.threshold
    }
}

/// A position in one query term's posting list.
struct PostingCursor {
    let docs: UnsafeBufferPointer<UInt32>
    let impacts: UnsafeBufferPointer<Float>
    let blocks: UnsafeBufferPointer<PostingBlock>
    let weight: Float
    let maxImpact: Float
    var position = 0
    /// The block `blockBound` last looked at; only moves forward.
    var block = 0

    init(
        docs: UnsafeBufferPointer<UInt32>,
        impacts: UnsafeBufferPointer<Float>,
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
    var contribution: Float { weight * impacts[position] }

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

    /// Adds this term's contribution to every document of `first...last` that has it, and
    /// marks those documents in `touched` (bit `doc - first`).
    mutating func accumulate(
        first: UInt32,
        last: UInt32,
        into scores: UnsafeMutableBufferPointer<Float>,
        marking touched: UnsafeMutableBufferPointer<UInt64>
    ) {
        advance(to: first)
        var position = self.position
        while position < docs.count {
            let doc = docs[position]
            guard doc <= last else { break }
            scores[Int(doc)] += weight * impacts[position]
            let offset = Int(doc &- first)
            touched[offset >> 6] |= 1 << UInt64(offset & 63)
            position += 1
        }
        self.position = position
    }
}
