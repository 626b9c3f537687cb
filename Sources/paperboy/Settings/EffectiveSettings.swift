import Configuration
import Foundation

/// The value of each setting a command reads and where it came from. Read once, when the command
/// starts, through one `ConfigReader` whose providers are, strongest first: the flags given, the
/// environment, the config file if one is named, the catalog's defaults. Every value is checked
/// against the catalog's rule here, whatever its source.
struct EffectiveSettings: Sendable {
    enum Source: Sendable, Equatable {
        case flag
        case environment
        /// A setting's `otherEnvironmentVariable`.
        case otherEnvironment(String)
        case file(path: String)
        case defaultValue
    }

    struct Entry: Sendable {
        let setting: Setting
        /// Nil only for a setting without a default that nothing set.
        let value: ConfigContent?
        let source: Source
        let isSecret: Bool

        /// How the user wrote it: `--port`, `PAPERBOY_PORT`, `“port” in FILE`.
        var name: String { source.name(of: setting) }
    }

    /// In catalog order.
    let entries: [Entry]

    static func read(
        _ settings: [Setting],
        flags: FlagValues,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> EffectiveSettings {
        let secretVariables = Set(Setting.catalog.filter(\.isSecret).map(\.environmentVariable))
        var layers = [
            Layer(flags.provider, .flag),
            Layer(
                EnvironmentVariablesProvider(environmentVariables: environment, secretsSpecifier: .specific(secretVariables))
                    .prefixKeys(with: "paperboy"),
                .environment
            ),
        ]
        for setting in settings {
            guard let variable = setting.otherEnvironmentVariable, let value = environment[variable] else { continue }
            let content: ConfigContent = setting.kind == .integer ? Int(value).map(ConfigContent.int) ?? .string(value) : .string(value)
            let values = [AbsoluteConfigKey([setting.key]): ConfigValue(content, isSecret: setting.isSecret)]
            layers.append(Layer(InMemoryProvider(name: variable, values: values), .otherEnvironment(variable)))
        }
        // The file's name can only come from a flag or the environment.
        if let path = try Reading(layers).entry(for: .configFile).value?.text, !path.isEmpty {
            layers.append(Layer(try await ConfigFile.provider(at: path), .file(path: path)))
        }
        layers.append(Layer(InMemoryProvider(name: "defaults", values: Setting.defaults), .defaultValue))
        let reading = Reading(layers)
        return EffectiveSettings(entries: try settings.map(reading.entry(for:)))
    }

    func optionalInt(_ setting: Setting) -> Int? {
        guard case .int(let number) = entry(setting).value else { return nil }
        return number
    }

    func optionalString(_ setting: Setting) -> String? {
        guard case .string(let text) = entry(setting).value else { return nil }
        return text
    }

    /// A setting with a default, which the defaults provider always answers.
    func int(_ setting: Setting) -> Int {
        guard let number = optionalInt(setting) else { preconditionFailure("setting \(setting.key) has no default") }
        return number
    }

    /// A setting with a default, which the defaults provider always answers.
    func string(_ setting: Setting) -> String {
        guard let text = optionalString(setting) else { preconditionFailure("setting \(setting.key) has no default") }
        return text
    }

    private func entry(_ setting: Setting) -> Entry {
        guard let entry = entries.first(where: { $0.setting == setting }) else {
            preconditionFailure("this command does not read \(setting.key): add the command to the setting's usedBy")
        }
        return entry
    }
}

extension Setting {
    /// The last provider: every default of the catalog.
    static var defaults: [AbsoluteConfigKey: ConfigValue] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for setting in catalog {
            if let content = setting.defaultValue.content {
                values[[setting.key]] = ConfigValue(content, isSecret: setting.isSecret)
            }
        }
        return values
    }
}

extension EffectiveSettings.Source {
    func name(of setting: Setting) -> String {
        switch self {
        case .flag: "--\(setting.flag)"
        case .environment: setting.environmentVariable
        case .otherEnvironment(let variable): variable
        case .file(let path): "“\(setting.key)” in \(path)"
        case .defaultValue: "the default of \(setting.key)"
        }
    }
}

/// A provider and the source it stands for.
private struct Layer {
    let provider: any ConfigProvider
    let source: EffectiveSettings.Source

    init(_ provider: any ConfigProvider, _ source: EffectiveSettings.Source) {
        self.provider = provider
        self.source = source
    }
}

/// One `ConfigReader` over the layers, and the recorder that says which layer answered.
private struct Reading {
    let layers: [Layer]
    let reader: ConfigReader
    let recorder: AccessRecorder

    init(_ layers: [Layer]) {
        let recorder = AccessRecorder()
        self.layers = layers
        self.recorder = recorder
        self.reader = ConfigReader(providers: layers.map(\.provider), accessReporter: recorder)
    }

    func entry(for setting: Setting) throws -> EffectiveSettings.Entry {
        let key: ConfigKey = [setting.key]
        let value: ConfigContent? =
            switch setting.kind {
            case .integer: reader.int(forKey: key, isSecret: setting.isSecret).map(ConfigContent.int)
            case .text: reader.string(forKey: key, isSecret: setting.isSecret).map(ConfigContent.string)
            }
        // The event lists the providers' answers in order, up to the first value or error.
        let answers = recorder.event(for: AbsoluteConfigKey(key))?.providerResults ?? []
        for (answer, layer) in zip(answers, layers) {
            switch answer.result {
            case .failure:
                let kind = setting.kind == .integer ? "a whole number" : "text"
                throw CommandFailure("\(layer.source.name(of: setting)) must be \(kind)")
            case .success(let lookup):
                guard let found = lookup.value else { continue }
                let entry = EffectiveSettings.Entry(
                    setting: setting,
                    value: value,
                    source: layer.source,
                    isSecret: setting.isSecret || found.isSecret
                )
                if let value, let problem = setting.check?.problem(named: entry.name, value) {
                    throw CommandFailure(problem)
                }
                return entry
            }
        }
        return EffectiveSettings.Entry(setting: setting, value: nil, source: .defaultValue, isSecret: setting.isSecret)
    }
}
