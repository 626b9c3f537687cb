import Foundation
import MiniLM
import Testing

/// Missing and damaged model files must surface as `MiniLMError`s that name the file, never as
/// crashes. These tests build their own files and need no downloaded model.
@Suite final class LoadingErrorTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("minilm-errors-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A vocabulary with the BERT special tokens where the loader expects them.
    private func writeMinimalVocabulary(lineEnding: String = "\n") throws -> URL {
        var lines = (0..<104).map { "[unused\($0)]" }
        lines[0] = "[PAD]"
        lines[100] = "[UNK]"
        lines[101] = "[CLS]"
        lines[102] = "[SEP]"
        lines[103] = "[MASK]"
        let url = directory.appendingPathComponent("vocab.txt")
        try (lines + ["hello", "world"]).joined(separator: lineEnding).appending(lineEnding).write(
            to: url,
            atomically: true,
            encoding: .utf8
        )
        return url
    }

    /// A safetensors file: little-endian header length, JSON header, then `payload`.
    private func writeWeights(header: String, payload: Data = Data()) throws -> URL {
        let url = directory.appendingPathComponent("model.safetensors")
        let json = Data(header.utf8)
        let length = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Data($0) }
        try (length + json + payload).write(to: url)
        return url
    }

    @Test func missingVocabularyIsAMissingFile() {
        let missing = directory.appendingPathComponent("vocab.txt")
        #expect(throws: MiniLMError.missingFile(missing)) {
            try WordPieceTokenizer(vocabularyURL: missing)
        }
    }

    @Test func textThatIsNotABertVocabularyIsRejected() throws {
        let url = directory.appendingPathComponent("vocab.txt")
        try "hello\nworld\n".write(to: url, atomically: true, encoding: .utf8)
        #expect {
            try WordPieceTokenizer(vocabularyURL: url)
        } throws: { error in
            guard case .corruptFile(let file, _) = error as? MiniLMError else { return false }
            return file == url
        }
    }

    @Test(arguments: ["\n", "\r\n"])
    func minimalVocabularyTokenizes(lineEnding: String) throws {
        let tokenizer = try WordPieceTokenizer(vocabularyURL: try writeMinimalVocabulary(lineEnding: lineEnding))
        #expect(tokenizer.encode("Hello WORLD, hello!") == [101, 104, 105, 100, 104, 100, 102])
    }

    @Test func missingModelDirectoryTellsHowToFetchTheModel() {
        #expect {
            try MiniLMEmbedder(modelDirectory: directory.appendingPathComponent("absent"))
        } throws: { error in
            guard let error = error as? MiniLMError, case .missingFile = error else { return false }
            return error.description.contains("scripts/fetch-model.sh")
        }
    }

    @Test(arguments: [
        "tiny",  // shorter than the length prefix
        "header length past the end",
        "header not JSON",
    ])
    func damagedWeightsAreCorruptFiles(damage: String) throws {
        _ = try writeMinimalVocabulary()
        let weights = directory.appendingPathComponent("model.safetensors")
        switch damage {
        case "tiny": try Data([1, 2, 3]).write(to: weights)
        case "header length past the end": try (Data([255, 0, 0, 0, 0, 0, 0, 0]) + Data("{}".utf8)).write(to: weights)
        default: _ = try writeWeights(header: "{]")
        }
        #expect {
            try MiniLMEmbedder(modelDirectory: directory)
        } throws: { error in
            guard case .corruptFile(let file, _) = error as? MiniLMError else { return false }
            return file == weights
        }
    }

    @Test func weightsWithoutTheEncoderTensorsAreRejected() throws {
        _ = try writeMinimalVocabulary()
        let weights = try writeWeights(header: #"{"__metadata__": {"format": "pt"}}"#)
        #expect(throws: MiniLMError.missingTensor(name: "embeddings.word_embeddings.weight", file: weights)) {
            try MiniLMEmbedder(modelDirectory: directory)
        }
    }

    @Test func tensorsOfTheWrongShapeOrTypeAreRejected() throws {
        _ = try writeMinimalVocabulary()
        for tensor in [
            #""dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]"#,
            #""dtype": "F16", "shape": [30522, 384], "data_offsets": [0, 16]"#,
        ] {
            let weights = try writeWeights(
                header: #"{"embeddings.word_embeddings.weight": {\#(tensor)}}"#,
                payload: Data(count: 16)
            )
            #expect {
                try MiniLMEmbedder(modelDirectory: directory)
            } throws: { error in
                guard case .unexpectedTensor(let name, let file, _) = error as? MiniLMError else { return false }
                return name == "embeddings.word_embeddings.weight" && file == weights
            }
        }
    }

    @Test func tensorBytesOutsideTheFileAreRejected() throws {
        _ = try writeMinimalVocabulary()
        let weights = try writeWeights(
            header:
                #"{"embeddings.word_embeddings.weight": {"dtype": "F32", "shape": [30522, 384], "data_offsets": [0, 46881792]}}"#,
            payload: Data(count: 64)
        )
        #expect {
            try MiniLMEmbedder(modelDirectory: directory)
        } throws: { error in
            guard case .corruptFile(let file, _) = error as? MiniLMError else { return false }
            return file == weights
        }
    }
}
