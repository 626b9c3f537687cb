import PaperboyCore
import PaperboySearch

/// A handful of papers with known wording, small enough to reason about by hand.
enum Fixtures {
    static let papers: [SearchDocument] = [
        SearchDocument(
            id: "1706.03762",
            title: "Attention Is All You Need",
            abstract:
                "The dominant sequence transduction models are based on recurrent or convolutional neural networks. We propose the Transformer, based solely on attention mechanisms.",
            authors: ["Ashish Vaswani", "Noam Shazeer"]
        ),
        SearchDocument(
            id: "1810.04805",
            title: "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
            abstract: "We introduce a new language representation model called BERT.",
            authors: ["Jacob Devlin", "Ming-Wei Chang"]
        ),
        SearchDocument(
            id: "2303.08774",
            title: "GPT-4 Technical Report",
            abstract: "We report the development of GPT-4, a large-scale, multimodal model.",
            authors: ["OpenAI"]
        ),
        SearchDocument(
            id: "1512.03385",
            title: "Deep Residual Learning for Image Recognition",
            abstract: "Deeper neural networks are more difficult to train. We present a residual learning framework.",
            authors: ["Kaiming He", "Xiangyu Zhang"]
        ),
        SearchDocument(
            id: "2006.11239",
            title: "Denoising Diffusion Probabilistic Models",
            abstract: "We present high quality image synthesis results using diffusion probabilistic models.",
            authors: ["Jonathan Ho", "Ajay Jain", "Pieter Abbeel"]
        ),
        SearchDocument(
            id: "1412.6980",
            title: "Adam: A Method for Stochastic Optimization",
            abstract:
                "We introduce Adam, an algorithm for first-order gradient-based optimization of stochastic objective functions.",
            authors: ["Diederik P. Kingma", "Jimmy Ba"]
        ),
    ]

    /// Documents drawn from a small vocabulary, so terms repeat and posting lists get long.
    static func synthetic(count: Int, seed: UInt64 = 7) -> [SearchDocument] {
        var random = SplitMix64(seed: seed)
        let words = (0..<60).map { "word\($0)x" }
        return (0..<count).map { i in
            let title = (0..<Int.random(in: 2...6, using: &random)).map { _ in words.randomElement(using: &random)! }
            let abstract = (0..<Int.random(in: 0...40, using: &random)).map { _ in
                words[
                    min(
                        Int(Double.random(in: 0..<1, using: &random) * Double.random(in: 0..<1, using: &random) * 60),
                        59
                    )
                ]
            }
            return SearchDocument(
                id: "doc\(i)",
                title: title.joined(separator: " "),
                abstract: abstract.joined(separator: " ")
            )
        }
    }
}
