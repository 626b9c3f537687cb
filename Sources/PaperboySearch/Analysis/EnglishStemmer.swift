/// The Snowball English ("Porter2") stemmer, written out by hand over ASCII bytes.
///
/// Porter2 is what PyStemmer ships as "english" and what bm25s uses, so our index and the
/// anchor agree on what a word is. This follows the current Snowball revision (extra R1
/// prefixes such as "inter" and "organ", "-ogist", "add" and "evening" kept); it matches
/// PyStemmer on the SciFact and CACM vocabularies. Words containing non-ASCII bytes are returned unchanged:
/// the rules only make sense for English spelling.
public enum EnglishStemmer {
    public static func stem(_ word: String) -> String {
        var bytes = Array(word.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return word }
        stem(&bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Stems lowercase ASCII `word` in place.
    public static func stem(_ word: inout [UInt8]) {
        guard word.count > 2 else { return }
        if let special = exceptions[word] {
            word = special
            return
        }
        var s = StemState(word)
        s.step1a()
        s.step1b()
        s.step1c()
        s.step2()
        s.step3()
        s.step4()
        s.step5()
        for i in s.w.indices where s.w[i] == UInt8(ascii: "Y") { s.w[i] = UInt8(ascii: "y") }
        word = s.w
    }

    private static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    private static let exceptions: [[UInt8]: [UInt8]] = {
        let pairs = [
            ("skis", "ski"), ("skies", "sky"), ("idly", "idl"), ("gently", "gentl"), ("ugly", "ugli"),
            ("early", "earli"),
            ("only", "onli"), ("singly", "singl"), ("sky", "sky"), ("news", "news"),
            ("howe", "howe"), ("atlas", "atlas"), ("cosmos", "cosmos"), ("bias", "bias"),
            ("andes", "andes"),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.map { (bytes($0.0), bytes($0.1)) })
    }()
}

/// Working state of one stemming: the word and its R1/R2 region starts.
private struct StemState {
    var w: [UInt8]
    var r1: Int
    var r2: Int

    init(_ word: [UInt8]) {
        w = word
        // A leading y, or a y after a vowel, is a consonant: mark it Y so isVowel ignores it.
        if w[0] == UInt8(ascii: "y") { w[0] = UInt8(ascii: "Y") }
        for i in 1..<w.count where w[i] == UInt8(ascii: "y") && StemState.isVowel(w[i - 1]) {
            w[i] = UInt8(ascii: "Y")
        }
        r1 = w.count
        r2 = w.count
        if let prefix = StemState.regionPrefixes.first(where: { w.starts(with: $0.utf8) }) {
            r1 = prefix.utf8.count
        } else {
            r1 = StemState.regionStart(w, from: 0)
        }
        r2 = StemState.regionStart(w, from: r1)
    }

    /// Words starting with these keep the prefix out of R1, so "organ"/"organic"/"organize"
    /// and "inter"/"internal" stay apart.
    static let regionPrefixes = ["gener", "commun", "arsen", "past", "univers", "later", "emerg", "organ", "inter"]

    static func isVowel(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"),
            UInt8(ascii: "u"), UInt8(ascii: "y"):
            return true
        default: return false
        }
    }

    /// Position after the first non-vowel that follows a vowel, starting at `from`.
    static func regionStart(_ w: [UInt8], from: Int) -> Int {
        var i = from
        while i < w.count && !isVowel(w[i]) { i += 1 }
        while i < w.count && isVowel(w[i]) { i += 1 }
        return min(i + 1, w.count)
    }

    func ends(_ suffix: String) -> Bool {
        let s = suffix.utf8
        guard s.count <= w.count else { return false }
        return w[(w.count - s.count)...].elementsEqual(s)
    }

    /// The longest of `suffixes` that the word ends with.
    func longest(_ suffixes: [String]) -> String? {
        var best: String?
        for s in suffixes where ends(s) && s.utf8.count > (best?.utf8.count ?? -1) { best = s }
        return best
    }

    mutating func replace(_ suffix: String, with replacement: String) {
        w.removeLast(suffix.utf8.count)
        w.append(contentsOf: replacement.utf8)
    }

    func inR1(_ suffix: String) -> Bool { w.count - suffix.utf8.count >= r1 }
    func inR2(_ suffix: String) -> Bool { w.count - suffix.utf8.count >= r2 }

    func hasVowel(before end: Int) -> Bool { w[..<end].contains(where: StemState.isVowel) }

    /// A short syllable ends at `end` (exclusive): non-vowel, vowel, non-vowel other than w, x, Y;
    /// or a vowel then non-vowel at the very start of the word.
    /// (Snowball 3 also treats a word ending in "past" as ending in a short syllable.)
    func endsWithShortSyllable(_ end: Int) -> Bool {
        if end >= 4 && w[(end - 4)..<end].elementsEqual("past".utf8) { return true }
        if end == 2 { return StemState.isVowel(w[0]) && !StemState.isVowel(w[1]) }
        guard end >= 3 else { return false }
        let (a, b, c) = (w[end - 3], w[end - 2], w[end - 1])
        return !StemState.isVowel(a) && StemState.isVowel(b) && !StemState.isVowel(c)
            && c != UInt8(ascii: "w") && c != UInt8(ascii: "x") && c != UInt8(ascii: "Y")
    }

    mutating func step1a() {
        guard let suffix = longest(["sses", "ied", "ies", "s", "us", "ss"]) else { return }
        switch suffix {
        case "sses": replace(suffix, with: "ss")
        case "ied", "ies": replace(suffix, with: w.count > 4 ? "i" : "ie")
        case "s":
            // Delete only if a vowel occurs before the letter preceding the s (gaps -> gap, gas stays).
            if w.count >= 3 && hasVowel(before: w.count - 2) { w.removeLast() }
        default: break
        }
    }

    mutating func step1b() {
        guard let suffix = longest(["eed", "eedly", "ed", "edly", "ing", "ingly"]) else { return }
        let stemEnd = w.count - suffix.utf8.count
        let stem = w[..<stemEnd]
        if suffix == "eed" || suffix == "eedly" {
            // proceed, exceed, succeed keep their "eed".
            let keeps = ["succ", "proc", "exc"].contains { stem.elementsEqual($0.utf8) }
            if inR1(suffix) && !keeps { replace(suffix, with: "ee") }
            return
        }
        if suffix == "ing" {
            // dying -> die; evening, inning, outing... are words of their own.
            if stem.count == 2 && stem.last == UInt8(ascii: "y") && !StemState.isVowel(stem.first!) {
                replace("ying", with: "ie")
                return
            }
            if ["even", "cann", "inn", "earr", "herr", "out"].contains(where: { stem.elementsEqual($0.utf8) }) {
                return
            }
        }
        guard hasVowel(before: stemEnd) else { return }
        w.removeLast(suffix.utf8.count)
        if ends("at") || ends("bl") || ends("iz") {
            w.append(UInt8(ascii: "e"))
        } else if endsWithDouble {
            // "add", "egg", "odd" keep both letters.
            let keepsDouble = w.count == 3 && "aeo".utf8.contains(w[0])
            if !keepsDouble { w.removeLast() }
        } else if r1 == w.count && endsWithShortSyllable(w.count) {
            w.append(UInt8(ascii: "e"))
        }
    }

    var endsWithDouble: Bool {
        guard w.count >= 2, w[w.count - 1] == w[w.count - 2] else { return false }
        return "bdfgmnprt".utf8.contains(w[w.count - 1])
    }

    mutating func step1c() {
        guard w.count > 2, let last = w.last, last == UInt8(ascii: "y") || last == UInt8(ascii: "Y"),
            !StemState.isVowel(w[w.count - 2])
        else { return }
        w[w.count - 1] = UInt8(ascii: "i")
    }

    static let step2Rules: [(String, String)] = [
        ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("abli", "able"), ("entli", "ent"),
        ("izer", "ize"), ("ization", "ize"), ("ational", "ate"), ("ation", "ate"), ("ator", "ate"),
        ("alism", "al"), ("aliti", "al"), ("alli", "al"), ("fulness", "ful"), ("ousli", "ous"),
        ("ousness", "ous"), ("iveness", "ive"), ("iviti", "ive"), ("biliti", "ble"), ("bli", "ble"),
        ("ogi", "og"), ("ogist", "og"), ("fulli", "ful"), ("lessli", "less"), ("li", ""),
    ]
    static let step2Suffixes = step2Rules.map(\.0)
    static let step2Map = Dictionary(uniqueKeysWithValues: step2Rules)

    mutating func step2() {
        guard let suffix = longest(StemState.step2Suffixes), inR1(suffix) else { return }
        let before = w.count - suffix.utf8.count
        if suffix == "ogi" {
            guard before > 0, w[before - 1] == UInt8(ascii: "l") else { return }
        } else if suffix == "li" {
            guard before > 0, "cdeghkmnrt".utf8.contains(w[before - 1]) else { return }
        }
        replace(suffix, with: StemState.step2Map[suffix]!)
    }

    static let step3Rules: [(String, String)] = [
        ("tional", "tion"), ("ational", "ate"), ("alize", "al"), ("icate", "ic"), ("iciti", "ic"),
        ("ical", "ic"), ("ful", ""), ("ness", ""), ("ative", ""),
    ]
    static let step3Suffixes = step3Rules.map(\.0)
    static let step3Map = Dictionary(uniqueKeysWithValues: step3Rules)

    mutating func step3() {
        guard let suffix = longest(StemState.step3Suffixes), inR1(suffix) else { return }
        if suffix == "ative" && !inR2(suffix) { return }
        replace(suffix, with: StemState.step3Map[suffix]!)
    }

    static let step4Suffixes = [
        "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ism",
        "ate", "iti", "ous", "ive", "ize", "ion",
    ]

    mutating func step4() {
        guard let suffix = longest(StemState.step4Suffixes), inR2(suffix) else { return }
        if suffix == "ion" {
            let before = w.count - 3
            guard before > 0, w[before - 1] == UInt8(ascii: "s") || w[before - 1] == UInt8(ascii: "t")
            else { return }
        }
        w.removeLast(suffix.utf8.count)
    }

    mutating func step5() {
        if ends("e") {
            if inR2("e") || (inR1("e") && !endsWithShortSyllable(w.count - 1)) { w.removeLast() }
        } else if ends("l") {
            if inR2("l") && w.count >= 2 && w[w.count - 2] == UInt8(ascii: "l") { w.removeLast() }
        }
    }
}
