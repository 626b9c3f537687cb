import Testing

@testable import PaperboySearch

@Suite struct ChunkedArrayTests {
    @Test func appendsAcrossChunksAndReadsBack() {
        var array = ChunkedArray<Int32>(rowShift: 2)
        array.append(contentsOf: (0..<10).map(Int32.init))
        for i in 10..<23 { array.append(Int32(i)) }
        #expect(array.count == 23)
        #expect(array.chunkCount == 6)
        #expect((0..<23).map { array[$0] } == (0..<23).map(Int32.init))
        #expect(Array(array.chunk(5)) == [20, 21, 22])
    }

    @Test func rowsStayWholeInAChunk() {
        var rows = ChunkedArray<Int8>(rowLength: 3, rowShift: 1)
        for row in 0..<5 { rows.append(contentsOf: [Int8(row), Int8(row), Int8(row)]) }
        #expect(rows.chunkCount == 3)
        for row in 0..<5 { #expect(Array(UnsafeBufferPointer(start: rows.row(row), count: 3)) == [Int8(row), Int8(row), Int8(row)]) }
        rows.setRow(3, [7, 8, 9])
        #expect(Array(UnsafeBufferPointer(start: rows.row(3), count: 3)) == [7, 8, 9])
    }

    @Test func copiesAreIndependentValues() {
        var original = ChunkedArray<String>(rowShift: 2)
        original.append(contentsOf: ["a", "b", "c", "d", "e", "f"])
        var copy = original
        // Both append into the same shared slot: the second gets its own chunk.
        copy.append("from copy")
        original.append("from original")
        #expect(copy[6] == "from copy")
        #expect(original[6] == "from original")
        copy[1] = "changed"
        #expect(original[1] == "b")
        #expect(copy[1] == "changed")
        original[5] = "also changed"
        #expect(copy[5] == "f")
        #expect((0..<7).map { copy[$0] } == ["a", "changed", "c", "d", "e", "f", "from copy"])
    }

    @Test func appendBufferCopiesShareSpareCapacityAndStayIndependent() {
        var original = AppendBuffer<String>()
        original.reserveCapacity(8)
        for word in ["a", "b", "c"] { original.append(word) }
        var copy = original
        copy.append("from copy")  // in place: nobody has filled slot 3 yet
        original.append("from original")  // slot 3 is taken: the original moves out
        #expect(Array(copy) == ["a", "b", "c", "from copy"])
        #expect(Array(original) == ["a", "b", "c", "from original"])
        copy[0] = "changed"
        #expect(original[0] == "a")
        for i in 0..<20 { original.append("\(i)") }
        #expect(original.count == 24)
        #expect(Array(copy) == ["changed", "b", "c", "from copy"])
        #expect(original.withUnsafeBufferPointer { Array($0.suffix(2)) } == ["18", "19"])
    }

    @Test func aLexicalSnapshotDoesNotSeePapersAddedAfterIt() {
        var index = LexicalIndex(documents: (0..<50).map { SearchDocument(id: "p\($0)", title: "graph neural networks \($0)", abstract: "") })
        let snapshot = index
        index.upsert(contentsOf: [SearchDocument(id: "new", title: "graph neural networks for molecules", abstract: "")])
        #expect(snapshot.count == 50)
        #expect(!snapshot.search("molecules", k: 10).contains { $0.id == "new" })
        #expect(index.search("molecules", k: 10).map(\.id) == ["new"])
        #expect(snapshot.search("graph", k: 100).count == 50)
        #expect(index.search("graph", k: 100).count == 51)
    }

    @Test func aSnapshotOfTheDenseIndexDoesNotSeeLaterWrites() {
        var index = DenseIndex(dimension: 4)
        for i in 0..<5_000 { index.upsert(id: "v\(i)", vector: [Float(i % 7) + 1, Float(i % 5), 1, Float(i % 3)]) }
        let snapshot = index
        index.upsert(id: "new", vector: [0, 0, 0, 1])
        index.upsert(id: "v1", vector: [0, 0, 0, 1])
        index.remove(id: "v2")
        #expect(snapshot.count == 5_000)
        #expect(snapshot.internalID(of: "new") == nil)
        #expect(snapshot.vector(of: 1) != index.vector(of: 1))
        #expect(snapshot.search([0, 0, 0, 1], k: 5_001).count == 5_000)
        #expect(index.search([0, 0, 0, 1], k: 5_001).count == 5_000)
        #expect(Set(index.search([0, 0, 0, 1], k: 2).map { index.externalID(of: $0.doc) }) == ["new", "v1"])
    }
}
