import Foundation

/// Why a model or vocabulary could not be loaded.
///
/// Every case names the file involved so that the message alone tells an operator what to fix
/// (usually: run `scripts/fetch-model.sh`).
public enum MiniLMError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A required file does not exist.
    case missingFile(URL)
    /// A file exists but could not be read or parsed; `reason` says what was wrong.
    case corruptFile(URL, reason: String)
    /// The weights file lacks a tensor the encoder needs.
    case missingTensor(name: String, file: URL)
    /// A tensor has the wrong dtype or shape for all-MiniLM-L6-v2.
    case unexpectedTensor(name: String, file: URL, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let url):
            return "MiniLM: missing file \(url.path) (run scripts/fetch-model.sh to download the model)"
        case .corruptFile(let url, let reason):
            return "MiniLM: corrupt file \(url.path): \(reason) (re-run scripts/fetch-model.sh)"
        case .missingTensor(let name, let url):
            return "MiniLM: tensor '\(name)' not found in \(url.path); is this all-MiniLM-L6-v2?"
        case .unexpectedTensor(let name, let url, let reason):
            return "MiniLM: tensor '\(name)' in \(url.path) is unusable: \(reason)"
        }
    }
}
