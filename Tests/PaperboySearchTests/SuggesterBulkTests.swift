import PaperboySearch
import Testing

@Suite struct SuggesterBulkTests {
    @Test func bulkUpsertMatchesOneByOne() {
        let titles = (0..<100).map { (id: "p\($0)", title: "Title \($0 % 7) number \($0)", weight: Float($0 % 5)) }
        var single = Suggester()
        for item in titles { single.upsert(id: item.id, title: item.title, weight: item.weight) }
        var bulk = Suggester()
        bulk.upsert(contentsOf: titles)
        #expect(bulk.count == single.count)
        for prefix in ["title 3", "title", "t", "title 6 number 9"] {
            #expect(bulk.suggest(prefix, limit: 20) == single.suggest(prefix, limit: 20))
        }
        // Replacing in bulk drops the old titles.
        bulk.upsert(contentsOf: titles.map { (id: $0.id, title: "Renamed \($0.id)", weight: $0.weight) })
        #expect(bulk.count == 100)
        #expect(bulk.suggest("title", limit: 5).isEmpty)
        #expect(bulk.suggest("renamed p42", limit: 5).map(\.id) == ["p42"])
    }
}
