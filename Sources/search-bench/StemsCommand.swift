import Foundation
import PaperboySearch

/// `stems`: word<TAB>stem for each word on stdin, to diff against a reference stemmer.
enum StemsCommand {
    static func run(_ arguments: Arguments) throws {
        while let line = readLine() {
            let word = line.trimmingCharacters(in: .whitespaces)
            guard !word.isEmpty else { continue }
            print("\(word)\t\(EnglishStemmer.stem(word))")
        }
    }
}
