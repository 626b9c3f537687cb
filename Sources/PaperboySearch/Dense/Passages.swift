import Foundation

/// The passages of a paper that get embeddings of their own, beside the whole paper's.
///
/// A search is often one claim or one finding, which an abstract states in a single sentence;
/// averaged over a whole abstract that sentence weighs little. Each sentence is embedded with
/// the paper's title in front of it (the title says what the sentence is about), and dense
/// ranking adds the best sentence's cosine to the whole paper's. On SciFact this lifted dense
/// nDCG@10 from 0.645 to 0.69 (see BENCHMARKS.md).
public enum Passages {
    /// More sentences than this are grouped into this many runs of consecutive sentences, so a
    /// pathological abstract cannot take unbounded memory.
    public static let maximumCount = 16

    /// What to embed for each passage of a paper: "title. sentence". None without an abstract
    /// (the whole-paper vector is then the title's alone).
    public static func texts(title: String, abstract: String) -> [String] {
        let title = title.trimmingCharacters(in: .whitespacesAndNewlines)
        let separator = title.isEmpty ? "" : (title.last.map { ".!?".contains($0) } == true ? " " : ". ")
        return grouped(sentences(abstract)).map { title + separator + $0 }
    }

    /// The sentences of `text`. A sentence ends at `.`, `!` or `?` that follows a lowercase
    /// letter, a digit, `)`, `]` or `%` and is followed (after optional white space) by an
    /// uppercase letter. Abstracts often lose the space between sentences ("cells (GSCs).GSCs
    /// are"), so none is required; "Fig. 2", "e.g. cells" and "3.5" do not end a sentence.
    public static func sentences(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var result: [String] = []
        var start = 0
        var i = 0
        while i < scalars.count {
            defer { i += 1 }
            guard ".!?".unicodeScalars.contains(scalars[i]), i > start else { continue }
            let before = scalars[i - 1]
            guard before.properties.isLowercase || ("0"..."9").contains(before) || ")]%".unicodeScalars.contains(before)
            else { continue }
            var next = i + 1
            while next < scalars.count, scalars[next].properties.isWhitespace { next += 1 }
            guard next < scalars.count, scalars[next].properties.isUppercase else { continue }
            append(scalars[start...i], to: &result)
            start = next
            i = next - 1
        }
        if start < scalars.count { append(scalars[start...], to: &result) }
        return result
    }

    private static func append(_ scalars: ArraySlice<Unicode.Scalar>, to result: inout [String]) {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        let sentence = String(view).trimmingCharacters(in: .whitespacesAndNewlines)
        if !sentence.isEmpty { result.append(sentence) }
    }

    /// At most `maximumCount` passages: consecutive sentences joined into evenly sized runs.
    static func grouped(_ sentences: [String]) -> [String] {
        guard sentences.count > maximumCount else { return sentences }
        return (0..<maximumCount).map { group in
            let from = group * sentences.count / maximumCount
            let to = (group + 1) * sentences.count / maximumCount
            return sentences[from..<to].joined(separator: " ")
        }
    }
}
