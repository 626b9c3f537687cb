import ArgumentParser
import Foundation
import PaperboyApp
import PaperboyStore

/// `paperboy subscribers import|list`: move an existing list in, see who gets the digest.
struct Subscribers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage digest subscribers.",
        subcommands: [ImportList.self, List.self]
    )

    struct ImportList: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Add the addresses in FILE (one a line; # comments and blank lines are skipped) as confirmed subscribers."
        )

        @OptionGroup var options: StoreOptions

        @Argument(help: "Text file with one email address a line ('-' reads standard input).")
        var file: String

        func run() async throws {
            let text: String
            do {
                text =
                    file == "-"
                    ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                    : try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw CommandFailure("cannot read \(file): \(error.localizedDescription)")
            }
            var emails: [String] = []
            var rejected: [String] = []
            var seen = Set<String>()
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let entry = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if entry.isEmpty || entry.hasPrefix("#") { continue }
                do {
                    let email = try SubscriberAddress.validated(entry)
                    if seen.insert(email.lowercased()).inserted { emails.append(email) }
                } catch {
                    rejected.append("line \(number + 1): \(error)")
                }
            }
            let store = try await options.settings().openStore()
            let (added, confirmed) = try await store.importConfirmedSubscribers(emails, now: Date())
            for line in rejected { FileHandle.standardError.write(Data("rejected \(line)\n".utf8)) }
            print(
                "subscribers: \(added) added, \(confirmed) confirmed, \(emails.count - added - confirmed) already confirmed, \(rejected.count) rejected"
            )
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print each subscriber: address, state, since.")

        @OptionGroup var options: StoreOptions

        @Option(name: .long, help: "Only this state: pending, confirmed, unsubscribed or disabled.")
        var state: String?

        func validate() throws {
            if let state, SubscriberState(rawValue: state) == nil {
                throw ValidationError("--state must be one of: \(SubscriberState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            let store = try await options.settings().openStore()
            var cursor: Int64?
            var lines = 0
            while true {
                let page = try await store.subscribers(after: cursor, limit: 1000)
                guard let last = page.last else { break }
                for subscriber in page where state == nil || subscriber.state.rawValue == state {
                    var line = "\(subscriber.email)\t\(subscriber.state.rawValue)\t\(subscriber.createdAt)"
                    if let error = subscriber.lastError, subscriber.state == .disabled { line += "\t\(error)" }
                    print(line)
                    lines += 1
                }
                cursor = last.id
            }
            let counts = try await store.subscriberCounts()
            let summary = SubscriberState.allCases.map { "\($0.rawValue)=\(counts[$0, default: 0])" }.joined(separator: " ")
            FileHandle.standardError.write(Data("\(lines) shown; \(summary)\n".utf8))
        }
    }
}
