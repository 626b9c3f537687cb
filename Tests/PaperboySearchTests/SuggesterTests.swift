import PaperboySearch
import Testing

@Suite struct SuggesterTests {
    let suggester = Suggester(titles: [
        ("1", "Attention Is All You Need", 100),
        ("2", "Attention Mechanisms in Vision", 5),
        ("3", "Attentive Listening", 50),
        ("4", "Schrödinger Bridges for Generative Modelling", 1),
        ("5", "BERT: Pre-training of Deep Bidirectional Transformers", 80),
    ])

    @Test func matchesTitlePrefixesHeaviestFirst() {
        #expect(suggester.suggest("atten").map(\.id) == ["1", "3", "2"])
        #expect(suggester.suggest("attention").map(\.id) == ["1", "2"])
        #expect(suggester.suggest("attention is al").map(\.id) == ["1"])
        #expect(suggester.suggest("attention is al").first?.weight == 100)
        #expect(suggester.suggest("atten", limit: 1).map(\.id) == ["1"])
    }

    @Test func ignoresCaseAccentsAndPunctuation() {
        #expect(suggester.suggest("SCHRODINGER").map(\.id) == ["4"])
        #expect(suggester.suggest("bert pre").map(\.id) == ["5"])
        #expect(suggester.suggest("  Attention   Is").map(\.id) == ["1"])
    }

    @Test func oddOrEmptyPrefixesReturnNothing() {
        #expect(suggester.suggest("").isEmpty)
        #expect(suggester.suggest("🚀 ***").isEmpty)
        #expect(suggester.suggest("zzz").isEmpty)
        #expect(suggester.suggest(String(repeating: "a", count: 10_000)).isEmpty)
    }

    @Test func upsertAndRemoveKeepOrder() {
        var suggester = self.suggester
        suggester.upsert(id: "6", title: "Attention Sinks", weight: 200)
        suggester.upsert(id: "1", title: "Renamed", weight: 100)
        #expect(suggester.suggest("attention").map(\.id) == ["6", "2"])
        suggester.remove(id: "6")
        #expect(suggester.suggest("attention").map(\.id) == ["2"])
        #expect(suggester.suggest("renam").map(\.id) == ["1"])
        #expect(suggester.count == 5)
    }

    /// Replaced titles leave their old bytes behind until they are half of the buffer, then
    /// the buffer is rewritten: suggestions follow the newest titles throughout.
    @Test func manyReplacementsKeepSuggestionsRight() {
        var suggester = Suggester()
        let topics = ["graph", "protein", "quantum", "speech"]
        for round in 0..<300 {
            for paper in 0..<20 {
                suggester.upsert(id: "p\(paper)", title: "\(topics[(round + paper) % 4]) study \(paper) round \(round)", weight: Float(paper))
            }
        }
        #expect(suggester.count == 20)
        // Round 299: paper p goes under topic (299 + p) % 4 = (3 + p) % 4.
        let expected = (0..<20).filter { (3 + $0) % 4 == 0 }.sorted(by: >).map { "p\($0)" }
        #expect(suggester.suggest("graph study", limit: 20).map(\.id) == expected)
        #expect(suggester.suggest("graph study 0 round 299").map(\.id).isEmpty)
        #expect(suggester.suggest("speech study 0 round 299").map(\.id) == ["p0"])
        #expect(suggester.suggest("speech study 1 round 298").isEmpty)

        // The same through the bulk path, with one id twice: the last title counts.
        var bulk = Suggester()
        for round in 0..<40 {
            bulk.upsert(contentsOf: (0..<30).map { ("p\($0)", "\(topics[(round + $0) % 4]) bulk \($0)", 1) } + [("p0", "final title", 5)])
        }
        #expect(bulk.count == 30)
        #expect(bulk.suggest("final").map(\.id) == ["p0"])
        #expect(bulk.suggest("graph bulk 0").isEmpty)
        #expect(bulk.suggest("graph bulk", limit: 30).count == (0..<30).filter { (39 + $0) % 4 == 0 && $0 != 0 }.count)
    }

    /// A title longer than the kept key is cut at a character boundary, and still found.
    @Test func veryLongTitlesAreCutAtACharacterBoundary() {
        let title = "Über " + String(repeating: "ζeta ", count: 400)
        let suggester = Suggester(titles: [("long", title, 1), ("short", "Uber eats", 2)])
        #expect(suggester.suggest("uber").map(\.id) == ["short", "long"])
        #expect(suggester.suggest("uber " + String(repeating: "ζeta ", count: 100)).map(\.id) == ["long"])
    }
}
