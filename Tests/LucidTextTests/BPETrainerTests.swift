import Foundation
import Testing
@testable import LucidText

@Suite("BPE trainer")
struct BPETrainerTests {
    let corpus = [
        "A red ball is in the top left corner. A blue box is in the center.",
        "There are 3 red balls and 12 green stars in the image.",
        "The fork lies next to the knife. The knife is silver.",
        "A yellow sun shines above a white cloud; the sky feels calm.",
        "¿Dónde está el gato? 猫 🐟",
    ]

    @Test func trainedTokenizersRoundTripAndCompressTheCorpus() throws {
        let trainer = BPETrainer(vocabularySize: 320, specialTokens: ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>"])
        let json = try trainer.train(corpus + corpus)
        let tokenizer = try Tokenizer(tokenizerJSON: json)
        #expect(tokenizer.vocabularySize <= 320 && tokenizer.vocabularySize > 260)
        #expect(tokenizer.id(for: "<image>") == 3)
        for text in corpus + ["unseen words: zebra 987 ✓", "  leading spaces and\ttabs\n"] {
            let ids = tokenizer.encode(text, addSpecialTokens: false)
            #expect(try tokenizer.decode(ids) == text, "\(text.debugDescription)")
        }
        let sentence = corpus[0]
        #expect(tokenizer.encode(sentence, addSpecialTokens: false).count < sentence.utf8.count / 2, "merges compress seen text")
        #expect(tokenizer.encode("<image>\nA red ball", addSpecialTokens: false).first == 3, "special tokens stay whole")
        #expect(tokenizer.encode("12", addSpecialTokens: false).count == 2, "digits stay individual")
    }

    @Test func trainingIsDeterministicAndValidated() throws {
        let a = try BPETrainer(vocabularySize: 300).train(corpus)
        let b = try BPETrainer(vocabularySize: 300).train(corpus)
        #expect(a == b)
        #expect(throws: TokenizerError.self) { try BPETrainer(vocabularySize: 100).train(corpus) }
        let tiny = try Tokenizer(tokenizerJSON: try BPETrainer(vocabularySize: 10_000, minimumFrequency: 1000).train(["ab ab"]))
        #expect(tiny.vocabularySize == 257, "no pair is frequent enough: bytes plus the special token")
    }
}
