import Foundation
import MiniLM
import Testing

@Suite struct WordPieceTokenizerTests {
    let tokenizer: WordPieceTokenizer

    init() throws {
        tokenizer = try WordPieceTokenizer(vocabularyURL: try TestSupport.requireModelFile("vocab.txt"))
    }

    @Test func matchesTheReferenceTokenizerOnEveryFixture() throws {
        let cases = try TestSupport.loadFixture("tokenizer-cases.json", as: [TokenizerCase].self)
        #expect(cases.count >= 300)
        var mismatches: [String] = []
        for fixture in cases {
            let ids = tokenizer.encode(fixture.text)
            if ids != fixture.ids {
                mismatches.append("\(String(reflecting: fixture.text)): expected \(fixture.ids), got \(ids)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.joined(separator: "\n"))")
    }

    @Test func framesTextWithClassifierAndSeparator() {
        #expect(tokenizer.encode("") == [101, 102])
        #expect(tokenizer.encode("Hello, World!") == [101, 7592, 1010, 2088, 999, 102])
    }

    @Test func truncatesToMaxLengthKeepingTheSeparator() {
        let long = String(repeating: "graph neural networks ", count: 200)
        let ids = tokenizer.encode(long)
        #expect(ids.count == 256)
        #expect(ids.first == WordPieceTokenizer.classifierId)
        #expect(ids.last == WordPieceTokenizer.separatorId)

        let short = tokenizer.encode(long, maxLength: 8)
        #expect(short == Array(ids.prefix(7)) + [WordPieceTokenizer.separatorId])
    }

    @Test func splitsUnknownWordsIntoPiecesOrUnknown() {
        #expect(tokenizer.encode("unaffable") == [101, 14477, 20961, 3468, 102])
        #expect(tokenizer.encode(String(repeating: "a", count: 101)) == [101, 100, 102])
        #expect(tokenizer.encode("😀") == [101, 100, 102])
    }

    @Test func keepsSpecialTokensWrittenVerbatim() {
        #expect(tokenizer.encode("a[MASK]b") == [101, 1037, 103, 1038, 102])
        #expect(tokenizer.encode("[mask]") == [101, 1031, 7308, 1033, 102])
    }
}
