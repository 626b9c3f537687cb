extension LexicalIndex {
    /// What the impacts and terms depend on besides the documents: a file built with other
    /// BM25 parameters or analysis is refused rather than read with the wrong scores.
    var configurationKey: String { "\(parameters) \(analyzer.options)" }

    /// Writes the whole index (`IndexFile`).
    public func write(to file: IndexFileWriter) {
        file.write(configurationKey)
        file.write(strings: vocabulary.terms, count: vocabulary.count)
        file.write(UInt64(postings.count))
        for list in postings {
            list.docs.write(to: file)
            list.impacts.write(to: file)
            file.write(list.maxImpact)
            file.write(list.blocks)
        }
        file.write(strings: externalIDs, count: externalIDs.count)
        file.write(lengths)
        file.write(lengthNorms)
        file.write(isLive)
        file.write(totalLiveLength)
        file.write(impactAverageLength)
    }

    /// Reads what `write(to:)` wrote; the file must have been written with these parameters.
    /// The scoring strategy is not stored: it is the reader's choice.
    public init(
        reading file: IndexFileReader,
        parameters: BM25Parameters = .default,
        analyzer: Analyzer = Analyzer()
    ) throws {
        self.init(parameters: parameters, analyzer: analyzer)
        let key = try file.read(String.self)
        guard key == configurationKey else {
            throw IndexFileError("the lexical index was built with other settings (\(key)), not \(configurationKey)")
        }
        vocabulary = try Vocabulary(terms: try file.readStrings())
        let listCount = try file.readCount(elementSize: 1)
        guard listCount <= vocabulary.count else { throw IndexFileError("more posting lists than terms") }
        postings.reserveCapacity(listCount)
        var lists: [PostingList] = []
        lists.reserveCapacity(listCount)
        for _ in 0..<listCount {
            var list = PostingList()
            // Spare capacity as a bulk build leaves it, for papers added later (`AppendBuffer`).
            list.docs = try AppendBuffer(reading: file) { $0 / 16 + 16 }
            list.impacts = try AppendBuffer(reading: file) { $0 / 16 + 16 }
            list.maxImpact = try file.read(Float.self)
            list.blocks = try file.readArray()
            guard list.impacts.count == list.docs.count,
                list.blocks.count == (list.docs.count + PostingList.blockSize - 1) >> PostingList.blockShift
            else { throw IndexFileError("a posting list's parts differ in length") }
            lists.append(list)
        }
        postings = lists
        externalIDs = try file.readStrings()
        lengths = try file.readArray()
        lengthNorms = try file.readArray()
        isLive = try file.readArray()
        let limit = externalIDs.count
        guard lengths.count == limit, lengthNorms.count == limit, isLive.count == limit else {
            throw IndexFileError("the lexical index's per-document arrays differ in length")
        }
        for list in postings {
            // Searches index per-document arrays with these: one out of range would crash.
            let valid = list.docs.withUnsafeBufferPointer { docs in docs.allSatisfy { Int($0) < limit } }
            guard valid else { throw IndexFileError("a posting names a document that does not exist") }
        }
        internalIDs.reserveCapacity(limit)
        for (doc, id) in externalIDs.enumerated() where isLive[doc] {
            internalIDs[id] = Int32(doc)
        }
        liveCount = internalIDs.count
        totalLiveLength = try file.read(Double.self)
        impactAverageLength = try file.read(Float.self)
    }
}
