import Foundation
import PaperboySearch

/// `tune --dataset DIR --split train`: grid search over analyzer and BM25 choices.
/// Only ever run it on the training split; report the chosen setting on test.
enum TuneCommand {
    static func run(_ arguments: Arguments) throws {
        let directory = URL(filePath: try arguments.required("dataset"))
        let dataset = try BEIRDataset.load(directory: directory, split: arguments.value("split", default: "train"))
        let grid = arguments.value("grid", default: "analyzer")
        if grid == "analyzer" {
            for stopwords in StopwordList.allCases {
                for stemming in [true, false] {
                    for compounds in CompoundMode.allCases {
                        let options = AnalyzerOptions(stopwords: stopwords, stemming: stemming, compounds: compounds)
                        report("\(stopwords) stem=\(stemming) \(compounds)", dataset, .default, options)
                    }
                }
            }
        } else {
            let options = AnalyzerOptions.default
            for k1 in (arguments.value("k1", default: "0.9,1.2,1.5,2.0")).split(separator: ",").compactMap({ Float($0) }
            ) {
                for b in (arguments.value("b", default: "0.6,0.75,0.9,1.0")).split(separator: ",").compactMap({
                    Float($0)
                }) {
                    for title in [1, 1.5, 2, 3, 4, 5] as [Float] {
                        let parameters = BM25Parameters(k1: k1, b: b, titleWeight: title)
                        report("k1=\(k1) b=\(b) title=\(title)", dataset, parameters, options)
                    }
                }
            }
        }
    }

    static func report(
        _ label: String,
        _ dataset: BEIRDataset,
        _ parameters: BM25Parameters,
        _ options: AnalyzerOptions
    ) {
        let index = LexicalIndex(
            documents: dataset.documents,
            parameters: parameters,
            analyzer: Analyzer(options: options)
        )
        let summary = evaluate(index, on: dataset)
        print("\(label)\tnDCG@10=\(format4(summary.ndcgAt10))\tR@100=\(format4(summary.recallAt100))")
        fflush(nil)
    }
}
