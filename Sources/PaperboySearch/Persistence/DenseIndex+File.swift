extension DenseIndex {
    /// Writes the whole index, clusters included (`IndexFile`). The search mode and probe count
    /// are not stored: they are the reader's choice.
    public func write(to file: IndexFileWriter) {
        file.write(UInt64(dimension))
        codes.write(to: file)
        codeScales.write(to: file)
        file.write(strings: (0..<externalIDs.count).lazy.map { externalIDs[$0] }, count: externalIDs.count)
        isLive.write(to: file)
        passages.write(to: file)
        file.write(clusters != nil)
        clusters?.write(to: file)
    }

    /// Reads what `write(to:)` wrote, checking that its parts agree with each other (a search
    /// trusts them without bounds checks of its own).
    public init(reading file: IndexFileReader, dimension: Int) throws {
        self.init(dimension: dimension)
        let stored = try file.read(UInt64.self)
        guard stored == UInt64(dimension) else {
            throw IndexFileError("the dense index holds \(stored)-dimension vectors, not \(dimension)")
        }
        codes = try ChunkedArray(reading: file, rowLength: dimension, rowShift: DenseIndex.rowShift)
        codeScales = try ChunkedArray(reading: file, rowShift: DenseIndex.rowShift)
        let ids = try file.readStrings()
        isLive = try ChunkedArray(reading: file, rowShift: DenseIndex.rowShift)
        let limit = ids.count
        guard codes.count == limit * dimension || codes.isEmpty, codeScales.count == limit, isLive.count == limit else {
            throw IndexFileError("the dense index's per-vector arrays differ in length")
        }
        internalIDs.reserveCapacity(limit)
        for (doc, id) in ids.enumerated() {
            externalIDs.append(id)
            if isLive[doc] { internalIDs[id] = Int32(doc) }
        }
        passages = try PassageStore(reading: file, dimension: dimension, vectors: limit)
        if try file.read(Bool.self) {
            clusters = try DenseClusters(reading: file, dimension: dimension, vectors: limit)
        }
        // Each live vector's row is in `codes`, or in a cluster's list when clustered.
        if let clusters {
            guard codes.isEmpty, (0..<limit).allSatisfy({ !isLive[$0] || clusters.row(of: Int32($0)) != nil }) else {
                throw IndexFileError("a vector has no row in the clusters")
            }
        } else if codes.count != limit * dimension {
            throw IndexFileError("the dense index's rows are missing")
        }
    }
}

extension PassageStore {
    func write(to file: IndexFileWriter) {
        codes.write(to: file)
        scales.write(to: file)
        starts.write(to: file)
        counts.write(to: file)
    }

    init(reading file: IndexFileReader, dimension: Int, vectors: Int) throws {
        self.init(dimension: dimension)
        codes = try ChunkedArray(reading: file, rowLength: PassageStore.bytes(dimension: dimension))
        scales = try ChunkedArray(reading: file)
        starts = try ChunkedArray(reading: file, rowShift: DenseIndex.rowShift)
        counts = try ChunkedArray(reading: file, rowShift: DenseIndex.rowShift)
        guard codes.count == scales.count * PassageStore.bytes(dimension: dimension), starts.count == counts.count,
            starts.count <= vectors
        else { throw IndexFileError("the passage arrays differ in length") }
        for doc in 0..<starts.count where counts[doc] > 0 {
            guard starts[doc] >= 0, Int(starts[doc]) + Int(counts[doc]) <= scales.count else {
                throw IndexFileError("a paper's passages run past the stored ones")
            }
        }
    }
}

extension DenseClusters {
    func write(to file: IndexFileWriter) {
        file.write(centroids)
        file.write(centroidScales)
        file.write(UInt64(trainedCount))
        file.write(UInt64(lists.count))
        for list in lists {
            file.write(list.docs)
            list.codes.write(to: file)
            file.write(list.scales)
        }
        entries.write(to: file)
    }

    init(reading file: IndexFileReader, dimension: Int, vectors: Int) throws {
        self.init(dimension: dimension)
        centroids = try file.readArray()
        centroidScales = try file.readArray()
        trainedCount = Int(try file.read(UInt64.self))
        let listCount = try file.readCount(elementSize: 1)
        guard centroids.count == centroidScales.count * dimension, listCount == centroidScales.count else {
            throw IndexFileError("the clusters' centroids and lists disagree")
        }
        for _ in 0..<listCount {
            // Room for a sixteenth more members, as appends go (`AppendBuffer`).
            let docs: [Int32] = try file.readArray()
            let codes = try AppendBuffer<Int8>(reading: file) { ($0 / 16 / dimension + 1) * dimension }
            let list = List(docs: docs, codes: codes, scales: try file.readArray())
            guard list.codes.count == list.docs.count * dimension, list.scales.count == list.docs.count,
                list.docs.allSatisfy({ $0 >= 0 && Int($0) < vectors })
            else { throw IndexFileError("a cluster's list is damaged") }
            lists.append(list)
        }
        entries = try ChunkedArray(reading: file, rowLength: 2, rowShift: DenseIndex.rowShift)
        guard entries.count <= 2 * vectors else { throw IndexFileError("more cluster entries than vectors") }
        for doc in 0..<entries.count / 2 {
            let entry = entries.row(doc)
            guard entry[0] < 0 || (Int(entry[0]) < lists.count && Int(entry[1]) < lists[Int(entry[0])].docs.count) else {
                throw IndexFileError("a cluster entry points past its list")
            }
        }
    }
}
