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

    private func run(_ cursors: UnsafeMutableBufferPointer<PostingCursor>) -> [ScoredDoc] {
        let count = cursors.count
        // remaining[i]: the most terms i... can add to a document, padded against rounding.
        var remaining = [Float](repeating: 0, count: count + 1)
        for i in stride(from: count - 1, through: 0, by: -1) {
            remaining[i] = remaining[i + 1] + cursors[i].weight * cursors[i].maxImpact
        }
        for i in remaining.indices { remaining[i] = remaining[i] * 1.0001 + 1e-6 }
        // blockRemaining[i]: the most terms i... can add to the current candidate, by their blocks.
        var blockRemaining = [Float](repeating: 0, count: count + 1)

        var top = TopK(k: k)
        var bar: Float = -.infinity  // a document scoring below this cannot enter `top`
        var essential = count  // terms 0..<essential supply the candidates
        var window: ClosedRange<UInt32>? = nil  // ids whose blocks were found worth scoring at `bar`
        candidates: while true {
            var doc = UInt32.max
            for i in 0..<essential { doc = min(doc, cursors[i].doc) }
            if doc == .max { break }

            if bar > 0, !(window?.contains(doc) ?? false) {
                var end = UInt32.max
                var bound = remaining[essential]
                for i in 0..<essential where !cursors[i].isExhausted {
                    let block = cursors[i].currentBlock
                    end = min(end, block.lastDoc)
                    bound += cursors[i].weight * block.maxImpact
                }
                guard bound >= bar else {
                    for i in 0..<essential { cursors[i].advance(to: end + 1) }
                    continue
                }
                window = doc...end
            }

            var score: Float = 0
            for i in 0..<essential where cursors[i].doc == doc {
                score += cursors[i].contribution
                cursors[i].position += 1
            }
            if essential < count {
                guard score + remaining[essential] >= bar else { continue }
                for i in stride(from: count - 1, through: essential, by: -1) {
                    blockRemaining[i] = blockRemaining[i + 1] + cursors[i].blockBound(doc)
                }
                for i in essential..<count {
                    guard score + min(remaining[i], blockRemaining[i]) >= bar else { continue candidates }
                    cursors[i].advance(to: doc)
                    if cursors[i].doc == doc { score += cursors[i].contribution }
                }
            }

            guard live[Int(doc)] else { continue }
            let candidate = ScoredDoc(doc: Int32(doc), score: score)
            guard top.admits(candidate) else { continue }
            if let filter, !filter(Int32(doc)) { continue }
            top.insert(candidate)
            guard top.isFull else { continue }
            bar = top.threshold * BlockMaxScoring.safetyMargin
            window = nil
            while essential > 0 && remaining[essential - 1] < bar { essential -= 1 }
            if essential == 0 { break }
        }
        return top.sorted()
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

    /// The block holding the current posting (not past the end).
    var currentBlock: PostingBlock { blocks[position >> PostingList.blockShift] }

    /// Moves to the first posting whose document is `target` or later.
    mutating func advance(to target: UInt32) {
        position = QueryScoring.lowerBound(docs, target, from: position)
    }

    /// The most this term can add to `target` (0 if the list ends before it), read from the
    /// block that would hold it. Targets must not decrease between calls.
    mutating func blockBound(_ target: UInt32) -> Float {
        while block < blocks.count && blocks[block].lastDoc < target { block += 1 }
        return block < blocks.count ? weight * blocks[block].maxImpact : 0
    }
}
