// PaperboySearch — keyword and semantic retrieval for Paperboy. Foundation only.
//
// Pieces, in the order a search uses them:
//
// - `Analyzer` (Analysis/): words from Unicode scalars (letter/digit runs, "gpt-4" also as
//   "gpt4"), lowercase, accent folding, stopwords, Snowball English stemming. Chosen on
//   SciFact train judgments: stemming +0.03 nDCG@10; stopword lists ±0.003.
// - `LexicalIndex` (Lexical/): BM25 with field weights (title ×3, abstract ×1, authors ×1;
//   k1 1.5, b 0.75, tuned on SciFact train). Postings are contiguous UInt32 doc ids with
//   precomputed Float impacts; a query adds whole lists into a reusable accumulator and
//   selects the top k with a heap. `upsert` adds or replaces papers after the build.
//   `related(to:)` gives "more like this" papers.
// - `DenseIndex` (Dense/): brute-force cosine over normalised Float32 vectors, with an 8-bit
//   shortlist pass by default.
// - `Fusion` (Fusion/): weighted reciprocal rank fusion and min–max score fusion;
//   `Fusion.hybrid` uses the setting that won on SciFact train with MiniLM (min–max, dense
//   ×0.75): test nDCG@10 0.736 vs 0.699 lexical, 0.645 dense.
// - `Suggester` (Suggest/): title-prefix autocompletion.
// - `BEIRDataset`, `RankingMetrics`, `CitationLinks` (Evaluation/): test collections and
//   metrics; nDCG@10 and Recall@100 match pytrec_eval to four decimals.
//
// The indexes are values (`Sendable` structs). A server can keep one behind a lock or actor,
// hand readers a copy (cheap: arrays are shared until written) and apply imports to its own
// copy, then swap it in. Filters take internal ids (`Int32`), so the caller can keep, say,
// publication dates in an array indexed by `internalID(of:)`.
