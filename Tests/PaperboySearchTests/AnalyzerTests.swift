import Testing

@testable import PaperboySearch

@Suite struct AnalyzerTests {
    func tokens(_ text: String, compounds: CompoundMode = .partsAndJoinedWithDigits) -> [String] {
        var result: [String] = []
        Analyzer(options: AnalyzerOptions(compounds: compounds)).tokens(text) { result.append($0) }
        return result
    }

    @Test func splitsOnNonAlphanumericsAndLowercases() {
        #expect(tokens("Attention Is All You Need!") == ["attention", "is", "all", "you", "need"])
        #expect(tokens("  ") == [])
        #expect(tokens("a:b*c(d)\"e\"") == ["a", "b", "c", "d", "e"])
    }

    @Test func keepsLettersAndDigitsTogether() {
        #expect(tokens("3D ResNet50 x86") == ["3d", "resnet50", "x86"])
    }

    @Test func hyphenatedCompoundsWithDigitsAlsoIndexJoined() {
        #expect(tokens("GPT-4 and COVID-19") == ["gpt", "4", "gpt4", "and", "covid", "19", "covid19"])
        #expect(tokens("state-of-the-art") == ["state", "of", "the", "art"])
        #expect(
            tokens("state-of-the-art", compounds: .partsAndJoined) == ["state", "of", "the", "art", "stateoftheart"]
        )
        #expect(tokens("GPT-4", compounds: .parts) == ["gpt", "4"])
        #expect(tokens("a - b") == ["a", "b"])
    }

    @Test func foldsAccentsAndSpecialLetters() {
        #expect(
            tokens("Naïve Schrödinger Gödel façade Straße Øresund") == [
                "naive", "schrodinger", "godel", "facade", "strasse", "oresund",
            ]
        )
        // A decomposed accent (e + combining acute) folds the same as the composed one.
        #expect(tokens("cafe\u{301}") == ["cafe"])
    }

    @Test func keepsOtherScriptsAndDropsEmojiAndControls() {
        #expect(tokens("大型语言模型 🚀 TNF-α") == ["大型语言模型", "tnf", "α"])
        #expect(tokens("a\u{0}b\u{7}c\u{1B}[0m") == ["a", "b", "c", "0m"])
    }

    @Test func dropsAbsurdlyLongRuns() {
        #expect(tokens(String(repeating: "a", count: 500) + " ok") == ["ok"])
    }

    @Test func termsDropStopwordsAndStem() {
        let analyzer = Analyzer()
        #expect(analyzer.terms("The transformers are learning networks") == ["transform", "learn", "network"])
    }

    @Test func optionsCanDisableStemmingAndStopwords() {
        let analyzer = Analyzer(options: AnalyzerOptions(stopwords: .none, stemming: false))
        #expect(analyzer.terms("The models") == ["the", "models"])
    }
}

@Suite struct TokenTableTests {
    @Test func storesShortAndLongKeysThroughGrowth() {
        var table = TokenTable(capacity: 4)
        let keys = (0..<5_000).map { "token\($0)" + ($0 % 3 == 0 ? "-with-a-long-tail-\($0)" : "") }
        for (i, key) in keys.enumerated() {
            Array(key.utf8).withUnsafeBufferPointer { table.insert($0, value: Int32(i)) }
        }
        #expect(table.count == keys.count)
        for (i, key) in keys.enumerated() {
            #expect(Array(key.utf8).withUnsafeBufferPointer { table.value(for: $0) } == Int32(i))
        }
        #expect(Array("token".utf8).withUnsafeBufferPointer { table.value(for: $0) } == nil)
        #expect(Array("token1-with-a-long-tail-1".utf8).withUnsafeBufferPointer { table.value(for: $0) } == nil)
    }
}
