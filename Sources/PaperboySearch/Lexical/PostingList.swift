/// The documents containing one term, in increasing internal-id order, with each
/// document's precomputed BM25 impact (everything except idf, which depends on the
/// collection and is applied at query time).
struct PostingList: Sendable {
    var docs = AppendBuffer<UInt32>()
    var impacts = AppendBuffer<Impact>()
    /// Largest impact in the list: an upper bound on what the term can add to any document.
    var maxImpact: Float = 0
    /// One entry per `PostingList.blockSize` consecutive postings: the block's last document
    /// and largest impact, so block-max scoring can skip blocks that cannot reach the top k
    /// (8 bytes per 128 postings: under 1% of the postings' 8 bytes each). Removed documents
    /// keep their postings, so a block's maximum can only be too high, never too low.
    var blocks: [PostingBlock] = []

    static let blockSize = 128
    static let blockShift = 7

    var count: Int { docs.count }

    mutating func append(doc: UInt32, impact: Float) {
        // The bounds are of the stored (rounded) impact, so they bound what scoring adds.
        let stored = Impact(impact)
        let impact = stored.value
        if docs.count & (PostingList.blockSize - 1) == 0 {
            blocks.append(PostingBlock(lastDoc: doc, maxImpact: impact))
        } else {
            blocks[blocks.count - 1].lastDoc = doc
            blocks[blocks.count - 1].maxImpact = max(blocks[blocks.count - 1].maxImpact, impact)
        }
        docs.append(doc)
        impacts.append(stored)
        maxImpact = max(maxImpact, impact)
    }

    /// Recomputes `maxImpact` and the block maxima after `impacts` were rewritten.
    mutating func recomputeMaxima() {
        maxImpact = impacts.lazy.map(\.value).max() ?? 0
        for block in blocks.indices {
            let start = block << PostingList.blockShift
            let end = min(start + PostingList.blockSize, impacts.count)
            blocks[block].maxImpact = impacts[start..<end].lazy.map(\.value).max() ?? 0
        }
    }
}

/// A posting's BM25 impact in 16 bits: a float32 with its mantissa rounded to 7 bits
/// (bfloat16), so within 0.2 % of the impact computed. A million papers have 110 million
/// postings; 2 bytes instead of 4 each keep 220 MB, and SciFact and CACM nDCG@10 did not move
/// (BENCHMARKS.md, "Search at arXiv scale").
struct Impact: Sendable, Hashable, BitwiseCopyable {
    let bits: UInt16

    @inline(__always)
    init(_ value: Float) {
        let pattern = value.bitPattern
        // Round to nearest, ties to even (impacts are finite and not negative).
        self.bits = UInt16(truncatingIfNeeded: (pattern &+ 0x7FFF &+ ((pattern >> 16) & 1)) >> 16)
    }

    @inline(__always)
    var value: Float { Float(bitPattern: UInt32(bits) << 16) }
}

/// The bounds of one block of a posting list.
struct PostingBlock: Sendable, Hashable {
    var lastDoc: UInt32
    var maxImpact: Float
}
