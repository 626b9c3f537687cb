import Foundation

/// Links between documents (`links.tsv`: `doc_a type doc_b`), used as ground truth for
/// "related papers". In CACM, type 5 is a direct citation.
public enum CitationLinks {
    public static let citationType = 5

    /// For each document, the documents it is linked to with `type`, in either direction:
    /// a paper is related to what it cites and to what cites it.
    public static func load(_ url: URL, type: Int = citationType) throws -> [String: Set<String>] {
        var related: [String: Set<String>] = [:]
        let lines = try String(contentsOf: url, encoding: .utf8).split(whereSeparator: \.isNewline)
        for line in lines.dropFirst() {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard fields.count >= 3, Int(fields[1]) == type else { continue }
            let a = String(fields[0])
            let b = String(fields[2])
            guard a != b else { continue }
            related[a, default: []].insert(b)
            related[b, default: []].insert(a)
        }
        return related
    }

    /// Mean precision@k of `relatedTo` over every document that has links.
    public static func meanPrecision(
        links: [String: Set<String>],
        k: Int = 10,
        relatedTo: (String) -> [String]
    ) -> Double {
        guard !links.isEmpty else { return 0 }
        var total = 0.0
        for (document, relevant) in links {
            total += RankingMetrics.precision(ranked: relatedTo(document), relevant: relevant, k: k)
        }
        return total / Double(links.count)
    }
}
