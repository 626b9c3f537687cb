import Foundation
import UpstreamReplay

// upstream-replay: serves recorded Hugging Face and arXiv OAI-PMH answers on loopback for the
// e2e tests and the benchmarks. Runs until killed.

let usage = """
    usage: upstream-replay [--port N] [--hf-dir DIR] [--oai FILE_OR_DIR ...] [--redirect-legacy] [--arxiv-api DIR]
      --port N            port on 127.0.0.1 (0, the default: any free port)
      --hf-dir DIR        serves /api/daily_papers?date=D from DIR/D.json ([] for a day without a file)
      --oai PATH ...      OAI-PMH pages (files or directories of .xml), each served at /oai for the
                          request its <request> element records
      --redirect-legacy   /oai2 answers 301 to /oai with the same query (arXiv's legacy endpoint)
      --arxiv-api DIR     serves /api/query?id_list=… from arxiv.py's recorded fixtures in DIR
      --quiet             no request log
    Prints "listening on 127.0.0.1:PORT", then one line per request.
    """

struct Options {
    var port = 0
    var hfDirectory: URL?
    var oaiPages: [URL] = []
    var redirectLegacy = false
    var arxivAPIFixtures: URL?
    var quiet = false

    init(_ arguments: [String]) throws {
        var index = 0
        func value() throws -> String {
            index += 1
            guard index < arguments.count else { throw UsageError("\(arguments[index - 1]) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--port":
                let text = try value()
                guard let port = Int(text), (0...65535).contains(port) else { throw UsageError("bad port \(text)") }
                self.port = port
            case "--hf-dir": hfDirectory = URL(fileURLWithPath: try value())
            case "--oai":
                while index + 1 < arguments.count, !arguments[index + 1].hasPrefix("--") {
                    index += 1
                    oaiPages.append(URL(fileURLWithPath: arguments[index]))
                }
                if oaiPages.isEmpty { throw UsageError("--oai needs at least one file or directory") }
            case "--redirect-legacy": redirectLegacy = true
            case "--arxiv-api": arxivAPIFixtures = URL(fileURLWithPath: try value())
            case "--quiet": quiet = true
            case "-h", "--help":
                UpstreamReplayCommand.say(usage)
                exit(0)
            default: throw UsageError("unknown argument \(arguments[index])")
            }
            index += 1
        }
    }
}

struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@main
enum UpstreamReplayCommand {
    static func main() async throws {
        let options: Options
        do {
            options = try Options(Array(CommandLine.arguments.dropFirst()))
        } catch {
            complain("\(error)\n\(usage)")
            exit(2)
        }
        let quiet = options.quiet
        let server = try await ReplayServer.start(port: options.port) { request in
            guard !quiet else { return }
            let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: request.receivedAt))
            say("\(time) \(request.method) \(request.uri) \(request.status)")
        }
        if let directory = options.hfDirectory {
            server.serveHFDailyPapers(from: directory)
        }
        if !options.oaiPages.isEmpty {
            let (served, skipped) = try server.serveOAIPages(options.oaiPages)
            for page in skipped {
                complain("\(page.path): no request arguments in <request>, not served")
            }
            complain("\(served.count) OAI-PMH pages at /oai")
        }
        if options.redirectLegacy {
            server.redirectLegacyOAI()
        }
        if let fixtures = options.arxivAPIFixtures {
            let ids = try server.serveArxivAPI(fixtures: fixtures)
            complain("\(ids.count) arXiv API lookups at /api/query")
        }
        say("listening on \(server.host):\(server.port)")
        // Serve until the process is killed.
        while true {
            try await Task.sleep(for: .seconds(3600))
        }
    }

    /// One line on stdout, unbuffered: the e2e harness reads the port from the first line.
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func complain(_ line: String) {
        FileHandle.standardError.write(Data("upstream-replay: \(line)\n".utf8))
    }
}
