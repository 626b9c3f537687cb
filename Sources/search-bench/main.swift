import Foundation

// search-bench: measures PaperboySearch. Each subcommand lives in its own file.
let arguments = Arguments(CommandLine.arguments.dropFirst())
do {
    switch arguments.command {
    case "eval": try EvalCommand.run(arguments)
    case "related": try RelatedCommand.run(arguments)
    case "tune": try TuneCommand.run(arguments)
    case "latency": try LatencyCommand.run(arguments)
    case "stems": try StemsCommand.run(arguments)
    case "dense": try DenseCommand.run(arguments)
    case "scale": try ScaleCommand.run(arguments)
    case "embed-sample": try EmbedSampleCommand.run(arguments)
    case "ann": try AnnCommand.run(arguments)
    case "load-index": try ScaleCommand.loadIndex(arguments)
    default:
        print(
            """
            usage: search-bench eval --dataset DIR [--split test|train]
                   search-bench related --dataset DIR        (precision@10 from links.tsv)
                   search-bench tune --dataset DIR [--split train]
                   search-bench latency --queries FILE [--data DIR (default ../shared/data)] [--strategy exhaustive|maxScore|blockMax] [--repeat N]
                   search-bench dense [--count 80000] [--dimension 384]
                   search-bench scale --queries FILE [--scale 1000000] [--passages 0] [--strategy automatic|exhaustive|maxScore|blockMax]
                                      [--compare-strategies TSV] [--lexical-only] [--vectors var/ann-sample] [--scan] [--data DIR]
                                      [--index-file PATH]   (writes the indexes there and reads them back: load_s)
                   search-bench load-index --file PATH --queries FILE   (reads it alone: start-up time and memory)
                   search-bench embed-sample [--count 50000] [--out var/ann-sample] [--queries FILE]   (real MiniLM vectors, resumable)
                   search-bench ann [--sample var/ann-sample] [--scale N] [--noise 0.5] [--clusters C] [--probes 8,16,32]
                   search-bench stems < words             (prints word<TAB>stem)
            """
        )
        exit(arguments.command == nil ? 0 : 2)
    }
} catch {
    FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
    exit(1)
}
