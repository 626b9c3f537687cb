/// Choices that decide what a term is. The defaults were picked on SciFact train judgments
/// (see `search-bench tune`).
public struct AnalyzerOptions: Sendable, Hashable {
    public var stopwords: StopwordList
    public var stemming: Bool
    public var foldAccents: Bool
    public var compounds: CompoundMode

    public init(
        stopwords: StopwordList = .extended,
        stemming: Bool = true,
        foldAccents: Bool = true,
        compounds: CompoundMode = .partsAndJoinedWithDigits
    ) {
        self.stopwords = stopwords
        self.stemming = stemming
        self.foldAccents = foldAccents
        self.compounds = compounds
    }

    public static let `default` = AnalyzerOptions()
}

/// Turns text into index terms: tokenize, lowercase, fold accents, drop stopwords, stem.
/// The same analyzer must be used for documents and queries.
public struct Analyzer: Sendable {
    public let options: AnalyzerOptions
    private let tokenizer: Tokenizer
    private let stopwords: Set<String>

    public init(options: AnalyzerOptions = .default) {
        self.options = options
        self.tokenizer = Tokenizer(foldAccents: options.foldAccents, compounds: options.compounds)
        self.stopwords = options.stopwords.words
    }

    /// Index terms of `text`, in order, with repeats.
    public func terms(_ text: String) -> [String] {
        var result: [String] = []
        tokens(text) { token in
            if let term = term(forToken: token) { result.append(term) }
        }
        return result
    }

    /// Lowercased, folded words before stopwords and stemming are applied.
    public func tokens(_ text: String, _ emit: (String) -> Void) {
        tokenizer.tokens(in: text, emit)
    }

    /// `tokens` as UTF-8 bytes, valid only during each call.
    func tokenBytes(_ text: String, _ emit: (UnsafeBufferPointer<UInt8>) -> Void) {
        tokenizer.forEachToken(in: text, emit)
    }

    /// The index term for one token from `tokens`, or nil for a stopword.
    public func term(forToken token: String) -> String? {
        if stopwords.contains(token) { return nil }
        return options.stemming ? EnglishStemmer.stem(token) : token
    }
}
