import ArgumentParser

/// `paperboy config`: every setting's value and where it came from, as the other commands would
/// read it with the same flags, environment and config file; with `--markdown`, the README's
/// table of settings.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print every setting's effective value and where it comes from (flag, env, file or default), secrets masked."
    )

    @OptionGroup var options: StoreOptions
    @OptionGroup var mail: MailOptions
    @OptionGroup var limits: ServerLimitOptions
    @OptionGroup var server: ServeOptions
    @OptionGroup var sync: SyncOptions

    @Flag(name: .long, help: "Print the README's table of settings (from the catalog --help uses) instead.")
    var markdown = false

    func run() async throws {
        if markdown {
            print(SettingsTable.markdown(), terminator: "")
            return
        }
        let flags = [mail.flags, limits.flags, server.flags, sync.flags].reduce(options.flags) { $0.merging($1) }
        print(SettingsTable.text(try await EffectiveSettings.read(Setting.catalog, flags: flags)), terminator: "")
    }
}
