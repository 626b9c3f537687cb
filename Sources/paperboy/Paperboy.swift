import ArgumentParser

@main
struct Paperboy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paperboy",
        abstract: "A self-hosted research-paper hub: daily feed, trending, search, JSON API, daily digest.",
        subcommands: [
            Serve.self, Import.self, Fetch.self, Sync.self, Embed.self, Eval.self, Bench.self, Digest.self, Subscribers.self, Admin.self,
            Backup.self, Database.self,
            ConfigCommand.self,
        ]
    )
}
