import ArgumentParser
import Foundation
import MiniLM
import PaperboyApp
import PaperboyIngest
import PaperboySearch

/// `paperboy eval`: search quality on a BEIR-layout test collection, with the same analyzer,
/// BM25 parameters, embedder and fusion the server uses.
struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure search quality (nDCG@10, Recall@100) on a BEIR-layout dataset, e.g. ../shared/eval/scifact."
    )

    @Option(name: .long, help: "Dataset folder with corpus.jsonl, queries.jsonl and qrels/.")
    var dataset: String

    @Option(name: .long, help: "Judgments to use: test or train (tune on train, report on test).")
    var split = "test"

    @Option(name: .long, help: "Where corpus embeddings are cached between runs (default var/eval-cache).")
    var cache = "var/eval-cache"

    @Flag(
        name: .long,
        help: "Search the dense index through its inverted file, reading the share of clusters a million-paper index reads (6.4 %)."
    )
    var clustered = false

    @Option(name: .long, help: "The embedder's arithmetic: float32 (exact) or int8 (faster; cached apart).")
    var precision = MiniLMEmbedder.defaultPrecision.rawValue

    @OptionGroup var options: StoreOptions

    func validate() throws {
        guard ["test", "train"].contains(split) else { throw ValidationError("--split must be test or train") }
        guard MiniLMEmbedder.Precision(rawValue: precision) != nil else { throw ValidationError("--precision must be int8 or float32") }
    }

    func run() async throws {
        let settings = try await options.settings()
        let directory = URL(fileURLWithPath: dataset)
        let data: BEIRDataset
        do {
            data = try BEIRDataset.load(directory: directory, split: split)
        } catch {
            throw CommandFailure("cannot read dataset \(dataset): \(error)")
        }
        let embedder: MiniLMTextEmbedder
        switch settings.loadEmbedder(precision: MiniLMEmbedder.Precision(rawValue: precision)!) {
        case .success(let loaded): embedder = loaded
        case .failure(let error): throw CommandFailure("\(error)")
        }
        let name = directory.standardizedFileURL.lastPathComponent
        print("# \(name) split=\(split) \(embedder.variantName): \(data.documents.count) docs, \(data.judgments.count) judged queries")

        let lexical = LexicalIndex(documents: data.documents)
        let vectors = try EvalEmbeddings.corpus(
            data,
            embedder: embedder,
            cacheFile: URL(fileURLWithPath: cache)
                .appendingPathComponent("\(name)-\(embedder.variantName)-\(data.documents.count).f32")
        )
        let passages = try EvalEmbeddings.passages(
            data,
            embedder: embedder,
            cacheFile: URL(fileURLWithPath: cache)
                .appendingPathComponent("\(name)-\(embedder.variantName)-\(data.documents.count)-passages.f32")
        )
        var dense = DenseIndex(dimension: embedder.dimension)
        var wholePaper = DenseIndex(dimension: embedder.dimension)
        for (document, (vector, passages)) in zip(data.documents, zip(vectors, passages)) {
            dense.upsert(id: document.id, vector: vector, passages: passages)
            wholePaper.upsert(id: document.id, vector: vector)
        }
        if clustered {
            // The share of clusters a million-paper index reads (`rowsPerQuery` of its rows): a
            // collection this small would otherwise read all of them.
            dense.cluster()
            wholePaper.cluster()
            dense.probes = Int((Double(dense.clusterCount) * Double(DenseIndex.rowsPerQuery) / 1_000_000).rounded(.up))
            wholePaper.probes = dense.probes
            print("# dense index clustered: \(dense.clusterCount) clusters, \(dense.probeCount) read a query")
        }

        let depth = SearchEngine.candidateDepth
        // Lexical, dense and hybrid through the server's own ranker (HybridRanker).
        var runs: [String: [String: [String]]] = [:]
        for query in data.queries where data.judgments[query.id] != nil {
            let vector = embedder.embed(query.text)
            for mode in HybridRanker.Mode.allCases {
                runs[mode.rawValue, default: [:]][query.id] =
                    HybridRanker.rank(query.text, mode: mode, lexical: lexical, dense: dense, depth: depth) { vector }.map(\.id)
            }
            // For comparison: before sentence vectors (and with the weight that was best then).
            let keyword = lexical.search(query.text, k: depth)
            let paperOnly = wholePaper.search(vector, k: depth).map { (wholePaper.externalID(of: $0.doc), $0.score) }
            runs["dense-whole-paper", default: [:]][query.id] = paperOnly.map(\.0)
            runs["hybrid-whole-paper", default: [:]][query.id] =
                Fusion.hybrid(lexical: keyword, dense: paperOnly, denseWeight: 0.75, limit: depth).map(\.id)
        }
        for mode in ["lexical", "dense", "hybrid", "dense-whole-paper", "hybrid-whole-paper"] {
            let summary = RankingMetrics.summarize(run: runs[mode] ?? [:], judgments: data.judgments)
            print("\(mode) nDCG@10=\(Self.format(summary.ndcgAt10)) Recall@100=\(Self.format(summary.recallAt100))")
        }

        let linksFile = directory.appendingPathComponent("links.tsv")
        if FileManager.default.fileExists(atPath: linksFile.path) {
            let links = try CitationLinks.load(linksFile)
            let byID = Dictionary(data.documents.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            let lexicalPrecision = CitationLinks.meanPrecision(links: links) { id in
                guard let document = byID[id] else { return [] }
                let own = lexical.internalID(of: id)
                return lexical.related(to: document, k: 10, filter: { $0 != own }).map { lexical.externalID(of: $0.doc) }
            }
            let densePrecision = CitationLinks.meanPrecision(links: links) { id in
                guard let doc = dense.internalID(of: id) else { return [] }
                return dense.search(dense.vector(of: doc), k: 10, filter: { $0 != doc }).map { dense.externalID(of: $0.doc) }
            }
            print("related-lexical P@10=\(Self.format(lexicalPrecision)) (citation links, type 5)")
            print("related-dense P@10=\(Self.format(densePrecision)) (citation links, type 5; what the server uses)")
        }
    }

    static func format(_ value: Double) -> String { String(format: "%.3f", value) }
}

/// Corpus embeddings are slow to compute (minutes on two cores), so they are cached in a file
/// of float32 values in corpus order, named after the dataset, model and corpus size.
enum EvalEmbeddings {
    static func corpus(_ data: BEIRDataset, embedder: MiniLMTextEmbedder, cacheFile: URL) throws -> [[Float]] {
        let dimension = embedder.dimension
        if let cached = try? Data(contentsOf: cacheFile), cached.count == data.documents.count * dimension * 4 {
            let floats = cached.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            return (0..<data.documents.count).map { Array(floats[$0 * dimension..<($0 + 1) * dimension]) }
        }
        let progress = ProgressBar(label: "embedding corpus", total: data.documents.count)
        var vectors: [[Float]] = []
        vectors.reserveCapacity(data.documents.count)
        for start in stride(from: 0, to: data.documents.count, by: 64) {
            let batch = data.documents[start..<min(start + 64, data.documents.count)]
            vectors += embedder.embed(batch: batch.map { embeddingText(title: $0.title, abstract: $0.abstract) })
            progress.update(vectors.count, detail: "\(vectors.count)/\(data.documents.count)")
        }
        progress.finish()
        try FileManager.default.createDirectory(at: cacheFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        var bytes = Data(capacity: vectors.count * dimension * 4)
        for vector in vectors { vector.withUnsafeBytes { bytes.append(contentsOf: $0) } }
        try bytes.write(to: cacheFile)
        return vectors
    }

    /// Sentence vectors of every document (`Passages.texts`), cached as one UInt32 count per
    /// document followed by all the float32 vectors in order.
    static func passages(_ data: BEIRDataset, embedder: MiniLMTextEmbedder, cacheFile: URL) throws -> [[[Float]]] {
        let dimension = embedder.dimension
        let texts = data.documents.map { Passages.texts(title: $0.title, abstract: $0.abstract) }
        let total = texts.reduce(0) { $0 + $1.count }
        if let cached = try? Data(contentsOf: cacheFile), cached.count == (texts.count + total * dimension) * 4 {
            return cached.withUnsafeBytes { raw in
                var offset = texts.count * 4
                return (0..<texts.count).map { doc in
                    let count = Int(raw.loadUnaligned(fromByteOffset: doc * 4, as: UInt32.self))
                    return (0..<count).map { _ in
                        defer { offset += dimension * 4 }
                        return (0..<dimension).map { raw.loadUnaligned(fromByteOffset: offset + $0 * 4, as: Float.self) }
                    }
                }
            }
        }
        let flat = texts.flatMap { $0 }
        let progress = ProgressBar(label: "embedding sentences", total: flat.count)
        var vectors: [[Float]] = []
        vectors.reserveCapacity(flat.count)
        for start in stride(from: 0, to: flat.count, by: 64) {
            vectors += embedder.embed(batch: Array(flat[start..<min(start + 64, flat.count)]))
            progress.update(vectors.count, detail: "\(vectors.count)/\(flat.count)")
        }
        progress.finish()
        var bytes = Data(capacity: (texts.count + total * dimension) * 4)
        for list in texts { withUnsafeBytes(of: UInt32(list.count)) { bytes.append(contentsOf: $0) } }
        for vector in vectors { vector.withUnsafeBytes { bytes.append(contentsOf: $0) } }
        try FileManager.default.createDirectory(at: cacheFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try bytes.write(to: cacheFile)
        var next = 0
        return texts.map { list in
            defer { next += list.count }
            return Array(vectors[next..<next + list.count])
        }
    }
}
