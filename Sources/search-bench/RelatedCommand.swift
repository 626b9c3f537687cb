import Foundation
import PaperboySearch

/// `related --dataset DIR`: precision@10 of "related papers" against citation links.
enum RelatedCommand {
    static func run(_ arguments: Arguments) throws {
        let directory = URL(filePath: try arguments.required("dataset"))
        let dataset = try BEIRDataset.load(directory: directory, split: arguments.value("split", default: "test"))
        let links = try CitationLinks.load(directory.appending(path: "links.tsv"))
        let index = LexicalIndex(documents: dataset.documents)
        let byID = Dictionary(dataset.documents.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for terms in [16, 32, 64] {
            let precision = CitationLinks.meanPrecision(links: links, k: 10) { id in
                guard let document = byID[id] else { return [] }
                return index.related(to: document, k: 10, maxQueryTerms: terms).map { index.externalID(of: $0.doc) }
            }
            print("related maxQueryTerms=\(terms) P@10=\(format(precision)) over \(links.count) linked docs")
        }
    }
}
