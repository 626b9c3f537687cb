import Foundation

/// The uncased BERT WordPiece tokenizer of all-MiniLM-L6-v2.
///
/// It reproduces the Hugging Face fast tokenizer that sentence-transformers uses (the
/// `BertNormalizer`, `BertPreTokenizer` and `WordPiece` model of the `tokenizers` crate), id
/// for id: special tokens written literally in the text are kept, the text is cleaned, CJK
/// ideographs are isolated, accents are stripped and letters lowercased, then words are split
/// at whitespace and punctuation and each word is cut into the longest vocabulary pieces.
public struct WordPieceTokenizer: Sendable {
    /// Ids of the special tokens in the BERT uncased vocabulary.
    public static let padId: Int32 = 0
    public static let unknownId: Int32 = 100
    public static let classifierId: Int32 = 101
    public static let separatorId: Int32 = 102
    public static let maskId: Int32 = 103

    /// Words longer than this many scalars become `[UNK]`, as in the reference.
    static let maximumWordLength = 100

    private let vocabulary: [String: Int32]
    private let specialTokens: [(text: [Unicode.Scalar], id: Int32)]

    /// Loads `vocab.txt`: one token per line, the line number (from 0) being its id.
    public init(vocabularyURL: URL) throws {
        guard FileManager.default.fileExists(atPath: vocabularyURL.path) else {
            throw MiniLMError.missingFile(vocabularyURL)
        }
        let data: Data
        do {
            data = try Data(contentsOf: vocabularyURL)
        } catch {
            throw MiniLMError.corruptFile(vocabularyURL, reason: "unreadable: \(error)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw MiniLMError.corruptFile(vocabularyURL, reason: "not UTF-8")
        }
        // Split on scalars: as `Character`s, "\r\n" is one grapheme and would not split at "\n".
        var lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        // String keys compare by canonical equivalence, which is exact here: every token in
        // the vocabulary and every piece looked up is already in NFD.
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated() {
            // Like the reference loader: a later duplicate wins, trailing "\r" is not content.
            let token = line.last == "\r" ? line.dropLast() : line
            vocabulary[String(String.UnicodeScalarView(token))] = Int32(index)
        }
        let specials: [(String, Int32)] = [
            ("[PAD]", Self.padId), ("[UNK]", Self.unknownId), ("[CLS]", Self.classifierId),
            ("[SEP]", Self.separatorId), ("[MASK]", Self.maskId),
        ]
        for (token, id) in specials where vocabulary[token] != id {
            throw MiniLMError.corruptFile(
                vocabularyURL,
                reason: "expected \(token) at line \(id + 1); not a BERT uncased vocabulary"
            )
        }
        self.vocabulary = vocabulary
        self.specialTokens = specials.map { (Array($0.0.unicodeScalars), $0.1) }
    }

    /// The token ids of `text`, framed by `[CLS]` and `[SEP]` and truncated so that the result
    /// holds at most `maxLength` ids (256, the model's `max_seq_length`, by default).
    public func encode(_ text: String, maxLength: Int = 256) -> [Int32] {
        precondition(maxLength >= 2, "maxLength must leave room for [CLS] and [SEP]")
        let budget = maxLength - 2
        var ids: [Int32] = [Self.classifierId]
        ids.reserveCapacity(min(maxLength, text.utf8.count + 2))
        for segment in splitOnSpecialTokens(Array(text.unicodeScalars)) {
            if ids.count - 1 >= budget { break }
            switch segment {
            case .special(let id):
                ids.append(id)
            case .text(let scalars):
                for word in BertNormalizer.words(of: scalars) {
                    appendWordPieces(of: word, to: &ids)
                    if ids.count - 1 >= budget { break }
                }
            }
        }
        if ids.count - 1 > budget { ids.removeLast(ids.count - 1 - budget) }
        ids.append(Self.separatorId)
        return ids
    }

    private enum Segment {
        case text(ArraySlice<Unicode.Scalar>)
        case special(Int32)
    }

    /// Splits out special tokens written verbatim (case-sensitive, before normalisation), as
    /// the reference's added-vocabulary pass does; they map straight to their ids.
    private func splitOnSpecialTokens(_ scalars: [Unicode.Scalar]) -> [Segment] {
        var segments: [Segment] = []
        var textStart = 0
        var index = 0
        while index < scalars.count {
            guard scalars[index] == "[", let match = specialToken(at: index, in: scalars) else {
                index += 1
                continue
            }
            if textStart < index { segments.append(.text(scalars[textStart..<index])) }
            segments.append(.special(match.id))
            index += match.length
            textStart = index
        }
        if textStart < scalars.count { segments.append(.text(scalars[textStart...])) }
        return segments
    }

    private func specialToken(at index: Int, in scalars: [Unicode.Scalar]) -> (id: Int32, length: Int)? {
        for special in specialTokens where scalars[index...].starts(with: special.text) {
            return (special.id, special.text.count)
        }
        return nil
    }

    /// Greedy longest-match-first WordPiece; a word with any unmatched rest is one `[UNK]`.
    private func appendWordPieces(of word: [Unicode.Scalar], to ids: inout [Int32]) {
        guard word.count <= Self.maximumWordLength else {
            ids.append(Self.unknownId)
            return
        }
        let firstPiece = ids.count
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int32?
            while start < end {
                var piece = start > 0 ? "##" : ""
                piece.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary[piece] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                ids.removeLast(ids.count - firstPiece)
                ids.append(Self.unknownId)
                return
            }
            ids.append(id)
            start = end
        }
    }
}
