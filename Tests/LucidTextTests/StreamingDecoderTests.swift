import LucidText
import Testing

@Suite("Streaming decoder")
struct StreamingDecoderTests {
    @Test("an emoji split across byte-level tokens is held back until complete")
    func byteLevelHoldsPartialCharacters() throws {
        let tokenizer = try Fixtures.tokenizer("bpe_gpt2_tokenizer.json")
        let ids = tokenizer.encode("😀😃", addSpecialTokens: false)
        #expect(ids.count == 8)  // four byte tokens per emoji in the tiny vocabulary
        let chunks = try streamChunks(tokenizer, ids, skipSpecialTokens: false)
        #expect(chunks == ["", "", "", "😀", "", "", "", "😃", ""])
    }

    @Test("an emoji split across <0xNN> fallback tokens is held back until complete")
    func byteFallbackHoldsPartialCharacters() throws {
        let tokenizer = try Fixtures.tokenizer("spm_tokenizer.json")
        let ids = tokenizer.encode("a 😀", addSpecialTokens: false)
        let chunks = try streamChunks(tokenizer, ids, skipSpecialTokens: false)
        #expect(chunks.joined() == "a 😀")
        #expect(!chunks.contains { $0.unicodeScalars.contains("\u{FFFD}") })
        #expect(chunks.suffix(2) == ["😀", ""])
    }

    @Test("the SentencePiece prefix space is stripped once, at the start of the stream")
    func leadingSpaceStrippedOnce() throws {
        let tokenizer = try Fixtures.tokenizer("spm_tokenizer.json")
        let ids = tokenizer.encode("Hello world", addSpecialTokens: false)
        let chunks = try streamChunks(tokenizer, ids, skipSpecialTokens: false)
        #expect(chunks.first?.hasPrefix("H") == true)
        #expect(chunks.joined() == "Hello world")
    }

    @Test("an unfinished byte sequence is flushed as U+FFFD by finish, like HF decode")
    func finishFlushesIncompleteBytes() throws {
        let tokenizer = try Fixtures.tokenizer("bpe_gpt2_tokenizer.json")
        let ids = Array(tokenizer.encode("😀", addSpecialTokens: false).prefix(2))
        let chunks = try streamChunks(tokenizer, ids, skipSpecialTokens: false)
        #expect(chunks.joined() == (try tokenizer.decode(ids)))
        #expect(chunks.joined() == "\u{FFFD}")
    }

    @Test("finish resets the decoder for the next sequence")
    func finishResets() throws {
        let tokenizer = try Fixtures.tokenizer("spm_tokenizer.json")
        var stream = tokenizer.streamingDecoder()
        let ids = tokenizer.encode("Hello", addSpecialTokens: false)
        let first = try ids.map { try stream.push($0) }.joined() + stream.finish()
        let second = try ids.map { try stream.push($0) }.joined() + stream.finish()
        #expect(first == "Hello")
        #expect(second == "Hello")
    }

    @Test("special tokens are dropped from the stream when asked")
    func skipsSpecialTokens() throws {
        let tokenizer = try Fixtures.tokenizer("bpe_gpt2_tokenizer.json")
        let ids = tokenizer.encode("<|im_start|>hi<|im_end|>", addSpecialTokens: false)
        #expect(try streamChunks(tokenizer, ids, skipSpecialTokens: true).joined() == "hi")
        #expect(try streamChunks(tokenizer, ids, skipSpecialTokens: false).joined() == "<|im_start|>hi<|im_end|>")
    }
}
