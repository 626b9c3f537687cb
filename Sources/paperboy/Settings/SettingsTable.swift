import Foundation

/// The catalog as text: the effective values for `paperboy config`, the documentation table for
/// the README.
enum SettingsTable {
    /// One line a setting, columns aligned: key, value (secrets masked), where it came from.
    static func text(_ settings: EffectiveSettings) -> String {
        let rows = [["setting", "value", "from"]] + settings.entries.map { [$0.setting.key, $0.shownValue, $0.shownSource] }
        let widths = (0..<2).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row[0].padding(toLength: widths[0] + 2, withPad: " ", startingAt: 0)
                + row[1].padding(toLength: widths[1] + 2, withPad: " ", startingAt: 0) + row[2] + "\n"
        }
        .joined()
    }

    /// The README's table, between its `config-table` markers.
    static func markdown() -> String {
        var lines = [
            "| setting | flag | environment | default | read by | what it is |",
            "|---|---|---|---|---|---|",
        ]
        for setting in Setting.catalog {
            let flags = ([setting.flag] + setting.aliases).map { "`--\($0)`" }.joined(separator: ", ")
            let defaultValue =
                if case .value(let content) = setting.defaultValue { "`\(content.text)`" } else { setting.defaultValue.description }
            let secret = setting.isSecret ? " Secret: `paperboy config` masks it." : ""
            let other = setting.otherEnvironmentVariable.map { " Also read from `\($0)`, after `\(setting.environmentVariable)`." } ?? ""
            let cells = [
                "`\(setting.key)`", flags, "`\(setting.environmentVariable)`", defaultValue,
                setting.usedBy.map(\.rawValue).joined(separator: ", "), setting.summary + "." + other + secret,
            ]
            lines.append("| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension EffectiveSettings.Entry {
    /// The value, masked when secret; `(…)` says what having none means.
    var shownValue: String {
        guard let value else { return "(\(setting.defaultValue.description))" }
        let text = value.text
        if isSecret { return Self.masked(text) }
        return text.isEmpty ? "\"\"" : text
    }

    var shownSource: String {
        switch source {
        case .flag: "flag --\(setting.flag)"
        case .environment: "env \(setting.environmentVariable)"
        case .otherEnvironment(let variable): "env \(variable)"
        case .file(let path): "file \(path)"
        case .defaultValue: "default"
        }
    }

    /// `****` for the whole value, except that a URL keeps all but its password, so the mail
    /// server it names stays recognisable.
    static func masked(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.host != nil else { return "****" }
        if url.password != nil { url.password = "****" }
        return url.string ?? "****"
    }
}
