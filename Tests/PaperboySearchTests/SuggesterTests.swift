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
        #expect(suggester.suggest("attention is al").map(\.title) == ["Attention Is All You Need"])
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
}
