/// Deterministic English-like text for timing tests.
///
/// Common words mixed with pseudo-random syllable words, numbers and punctuation, so
/// that roughly a third of the words are unique and the per-word cache cannot hide the
/// cost of BPE merging.
enum PerformanceCorpus {
    private static let common = """
        the of and to in is was that for it with as his on be at by had are but from or have \
        an they which one you were all her she there would their we him been has when who will \
        more no if out so said what up its about into than them can only other new some could \
        time these two may then do first any my now such like our over man me even most made \
        after also did many before must through back years where much your way well down should \
        because each just those people how too little state good very make world still own see \
        men work long get here between both life being under never day same another know while \
        last might us great old year off come since against go came right used take three \
        didn't it's they'll we'd I'm model tokens language research images vision encoder
        """.split(separator: " ").map(String.init)
    private static let syllables = ["ka", "lo", "mi", "ter", "ion", "st", "pre", "con", "ver", "ab",
                                    "ing", "ed", "ly", "qu", "zen", "thr", "ox", "ure", "ph", "ent"]

    /// About `bytes` bytes of prose, paragraphs separated by blank lines.
    static func english(bytes: Int) -> String {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var text = ""
        var wordsInSentence = 0
        while text.utf8.count < bytes {
            let roll = next(100)
            if roll < 62 {
                text += common[next(common.count)]
            } else if roll < 95 {
                for _ in 0..<(2 + next(3)) { text += syllables[next(syllables.count)] }
            } else {
                text += String(next(100_000))
            }
            wordsInSentence += 1
            if wordsInSentence > 8 + next(12) {
                text += [".", "!", "?", ";"][next(4)]
                text += next(6) == 0 ? "\n\n" : " "
                wordsInSentence = 0
            } else {
                text += next(15) == 0 ? ", " : " "
            }
        }
        return text
    }
}
