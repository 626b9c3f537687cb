/// English stopword lists. Which one the analyzer uses was chosen on SciFact train judgments.
public enum StopwordList: String, Sendable, CaseIterable {
    /// No stopwords: every token is indexed.
    case none
    /// Lucene's classic 33-word English list (what tantivy and Elasticsearch use).
    case lucene
    /// A longer list of function words (the NLTK English list, with contractions split off).
    case extended

    public var words: Set<String> {
        switch self {
        case .none: return []
        case .lucene: return Self.luceneWords
        case .extended: return Self.extendedWords
        }
    }

    static let luceneWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
        "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
        "they", "this", "to", "was", "will", "with",
    ]

    static let extendedWords: Set<String> = luceneWords.union([
        "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours",
        "yourself", "yourselves", "he", "him", "his", "himself", "she", "her", "hers", "herself",
        "its", "itself", "them", "theirs", "themselves", "what", "which", "who", "whom",
        "those", "am", "were", "been", "being", "have", "has", "had", "having", "do", "does",
        "did", "doing", "because", "until", "while", "about", "against", "between", "through",
        "during", "before", "after", "above", "below", "from", "up", "down", "out", "off", "over",
        "under", "again", "further", "once", "here", "when", "where", "why", "how", "all", "any",
        "both", "each", "few", "more", "most", "other", "some", "nor", "only", "own", "same", "so",
        "than", "too", "very", "s", "t", "can", "just", "don", "should", "now", "d", "ll", "m", "o",
        "re", "ve", "y", "also", "would", "could", "may", "might", "must", "shall",
    ])
}
