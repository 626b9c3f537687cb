import Foundation
import PaperboyCore
import PaperboyIngest

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// oai-bench: OAI-PMH parse throughput over recorded pages, and the peak memory of parsing one
// large page built from their records.
//
//   oai-bench [--records N] [--rounds R] PAGE.xml ...
//
// Memory is measured first (the process's peak resident size before and after parsing the
// built page), then throughput (every page parsed R times).

@main
enum OAIBench {
    static func main() throws {
        var records = 10_000
        var rounds = 5
        var files: [String] = []
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            switch argument {
            case "--records": records = arguments.popFirst().flatMap { Int($0) } ?? records
            case "--rounds": rounds = arguments.popFirst().flatMap { Int($0) } ?? rounds
            default: files.append(argument)
            }
        }
        guard !files.isEmpty else {
            print("usage: oai-bench [--records N] [--rounds R] PAGE.xml ...")
            exit(2)
        }

        /// Peak resident set size of this process so far, in MiB.
        func peakResidentMiB() -> Double {
            var usage = rusage()
            #if canImport(Darwin)
            getrusage(RUSAGE_SELF, &usage)
            #else
            getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
            #endif
            #if canImport(Darwin)
            return Double(usage.ru_maxrss) / 1_048_576
            #else
            return Double(usage.ru_maxrss) / 1024
            #endif
        }

        let pages = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }

        /// One `ListRecords` page holding `count` records, taken round-robin from the pages' records.
        func bigPage(count: Int) -> Data {
            let open = Data("<record>".utf8)
            let close = Data("</record>".utf8)
            var bodies: [Data] = []
            for page in pages {
                var start = page.startIndex
                while let from = page.range(of: open, in: start..<page.endIndex),
                    let to = page.range(of: close, in: from.upperBound..<page.endIndex)
                {
                    bodies.append(page[from.lowerBound..<to.upperBound])
                    start = to.upperBound
                }
            }
            guard let first = pages.first, let head = first.range(of: Data("<ListRecords>".utf8)), !bodies.isEmpty else { return Data() }
            var out = Data(first[..<head.upperBound])
            for index in 0..<count { out.append(bodies[index % bodies.count]) }
            out.append(Data("</ListRecords>\n</OAI-PMH>\n".utf8))
            return out
        }

        let big = bigPage(count: records)
        let before = peakResidentMiB()
        let started = ContinuousClock.now
        let parsed = try OAIPMHParser().parse(big)
        let elapsed = ContinuousClock.now - started
        let after = peakResidentMiB()
        print(
            String(
                format: "big page: %d records, %.1f MB, parsed in %.2f s; peak RSS %.1f MiB before parsing, %.1f MiB after (+%.1f MiB)",
                parsed.records.count,
                Double(big.count) / 1e6,
                elapsed.seconds,
                before,
                after,
                after - before
            )
        )

        var total = 0
        var bytes = 0
        let clock = ContinuousClock()
        let duration = try clock.measure {
            for _ in 0..<rounds {
                for page in pages {
                    total += try OAIPMHParser().parse(page).records.count
                    bytes += page.count
                }
            }
        }
        print(
            String(
                format: "throughput: %d records (%.1f MB) in %.2f s: %.0f records/s, %.1f MB/s",
                total,
                Double(bytes) / 1e6,
                duration.seconds,
                Double(total) / duration.seconds,
                Double(bytes) / 1e6 / duration.seconds
            )
        )
    }
}
