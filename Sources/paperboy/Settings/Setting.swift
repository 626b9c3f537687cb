import Configuration

/// One setting of the command line: its names as a flag, an environment variable and a config
/// file key, its default, its help sentence and its rule. Each of these is written once, in the
/// catalog (`Settings.swift`); `--help`, `paperboy config` and the README table are built from it.
struct Setting: Sendable {
    enum Kind: Sendable {
        case integer
        case text
    }

    /// The commands that read a setting; the others never look at it, so a bad value of a
    /// `serve` setting does not stop an import.
    enum Command: String, Sendable {
        case every = "every command"
        case serve
        case digestSend = "digest send"
        case fetchArxiv = "fetch arxiv"
        case syncHFDaily = "sync hf-daily"
        case syncArxiv = "sync arxiv"
    }

    /// The key in a config file and in `paperboy config`: lower-case words joined by dashes.
    let key: String
    /// The option's long name, without the dashes; `aliases` are other names it answers to.
    let flag: String
    let aliases: [String]
    let kind: Kind
    let defaultValue: Default
    /// What the setting does, one sentence without its final period.
    let summary: String
    /// Masked wherever the value is shown (a password in a URL, a bearer token).
    let isSecret: Bool
    let usedBy: [Command]
    let check: Check?
    /// Another environment variable the value is read from, after `PAPERBOY_…`: the name other
    /// tools already use for it (`HF_ENDPOINT`, as huggingface_hub reads it).
    let otherEnvironmentVariable: String?

    /// `PAPERBOY_` and the key in capitals, dashes as underscores. swift-configuration's
    /// environment provider derives the same name from the key under the `paperboy` prefix
    /// (each non-alphanumeric character becomes `_`), so these are the names it looks up.
    var environmentVariable: String {
        "PAPERBOY_" + String(key.uppercased().map { $0 == "-" ? "_" : $0 })
    }

    /// `--help`'s text: the sentence, then where else the value can come from and its default.
    var helpText: String {
        let variables = [environmentVariable] + (otherEnvironmentVariable.map { [$0] } ?? [])
        return "\(summary) (env \(variables.joined(separator: " or ")), default \(defaultValue.description))."
    }

    init(
        _ key: String,
        _ kind: Kind,
        flag: String? = nil,
        aliases: [String] = [],
        default defaultValue: Default,
        secret: Bool = false,
        usedBy: [Command],
        check: Check? = nil,
        alsoFromEnvironment otherEnvironmentVariable: String? = nil,
        help summary: String
    ) {
        self.key = key
        self.flag = flag ?? key
        self.aliases = aliases
        self.kind = kind
        self.defaultValue = defaultValue
        self.summary = summary
        self.isSecret = secret
        self.usedBy = usedBy
        self.check = check
        self.otherEnvironmentVariable = otherEnvironmentVariable
    }

    func isUsed(by command: Command) -> Bool {
        usedBy.contains(.every) || usedBy.contains(command)
    }
}

extension Setting {
    enum Default: Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
        case value(ConfigContent)
        /// Known only when the program runs (the number of cores); the text says what it is.
        case computed(String, @Sendable () -> ConfigContent)
        /// No value; the text says what having none means.
        case unset(String)

        init(integerLiteral value: Int) { self = .value(.int(value)) }
        init(stringLiteral value: String) { self = .value(.string(value)) }

        /// The value the defaults provider holds, nil for `unset`.
        var content: ConfigContent? {
            switch self {
            case .value(let content): content
            case .computed(_, let compute): compute()
            case .unset: nil
            }
        }

        var description: String {
            switch self {
            case .value(let content): content.text
            case .computed(let text, _), .unset(let text): text
            }
        }
    }

    /// What a value must be; the message names the value the way the user gave it
    /// (`--port`, `PAPERBOY_PORT`, `“port” in FILE`).
    enum Check: Sendable {
        case atLeast(Int)
        case within(ClosedRange<Int>)
        /// A rule for text: the whole message for a bad value, nil for a good one.
        case text(@Sendable (_ name: String, _ value: String) -> String?)

        func problem(named name: String, _ value: ConfigContent) -> String? {
            switch (self, value) {
            case (.atLeast(let minimum), .int(let number)) where number < minimum:
                minimum == 0 ? "\(name) must be 0 or more" : "\(name) must be at least \(minimum)"
            case (.within(let range), .int(let number)) where !range.contains(number):
                "\(name) must be \(range.lowerBound) to \(range.upperBound)"
            case (.text(let rule), .string(let text)):
                rule(name, text)
            default:
                nil
            }
        }
    }
}

extension Setting: Hashable {
    static func == (left: Setting, right: Setting) -> Bool { left.key == right.key }
    func hash(into hasher: inout Hasher) { hasher.combine(key) }
}

extension ConfigContent {
    /// The value as a person writes it: the two kinds settings have, printed plainly.
    var text: String {
        switch self {
        case .int(let number): String(number)
        case .string(let text): text
        default: "\(self)"
        }
    }
}
