import ArgumentParser
import Configuration

/// The settings given as flags on this command line: the strongest source, first in the
/// reader's providers. Options are declared optional without defaults, so a flag not given
/// leaves the word to the environment, the config file and the default.
struct FlagValues: Sendable {
    private var values: [Setting: ConfigContent] = [:]

    init(integers: [Setting: Int?] = [:], texts: [Setting: String?] = [:]) {
        for case (let setting, let number?) in integers { values[setting] = .int(number) }
        for case (let setting, let text?) in texts { values[setting] = .string(text) }
    }

    func merging(_ other: FlagValues) -> FlagValues {
        var merged = self
        merged.values.merge(other.values) { _, new in new }
        return merged
    }

    func value(of setting: Setting) -> ConfigContent? { values[setting] }

    /// The flags as the first provider of a `ConfigReader`.
    var provider: InMemoryProvider {
        let entries = values.map { setting, content in
            (AbsoluteConfigKey([setting.key]), ConfigValue(content, isSecret: setting.isSecret))
        }
        return InMemoryProvider(name: "flags", values: Dictionary(uniqueKeysWithValues: entries))
    }

    /// The catalog's rules for the flags given, in catalog order, as ArgumentParser's usage errors
    /// (values from elsewhere are checked when the settings are read).
    func validate() throws {
        for setting in Setting.catalog {
            guard let value = values[setting], let problem = setting.check?.problem(named: "--\(setting.flag)", value) else { continue }
            throw ValidationError(problem)
        }
    }
}

extension Setting {
    /// The option's names: `--flag` and its aliases.
    var names: NameSpecification { NameSpecification(([flag] + aliases).map { .customLong($0) }) }

    /// `--help`'s text for the option, with its environment variable and default.
    var help: ArgumentHelp { ArgumentHelp(helpText) }
}
