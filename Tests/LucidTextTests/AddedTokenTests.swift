import LucidText
import Testing

@Suite("Added and special tokens")
struct AddedTokenTests {
    let tokenizer: Tokenizer

    init() throws {
        tokenizer = try Fixtures.tokenizer("bpe_gpt2_tokenizer.json")
    }

    func id(_ token: String) throws -> Int {
        try #require(tokenizer.id(for: token))
    }

    @Test("special tokens embedded in text become single ids")
    func specialTokensAreMatchedInText() throws {
        let ids = tokenizer.encode("<|im_start|>user", addSpecialTokens: false)
        #expect(ids.first == (try id("<|im_start|>")))
        #expect(Array(ids.dropFirst()) == tokenizer.encode("user", addSpecialTokens: false))
    }

    @Test("the longest added token wins when several match at one position")
    func longestMatchWins() throws {
        let ids = tokenizer.encode("<|im_end|><|im_end|>", addSpecialTokens: false)
        #expect(ids == [try id("<|im_end|>"), try id("<|im_end|>")])
    }

    @Test("lstrip tokens swallow the whitespace before them")
    func lstripAbsorbsLeftWhitespace() throws {
        let ids = tokenizer.encode("a   <mask>", addSpecialTokens: false)
        #expect(ids == tokenizer.encode("a", addSpecialTokens: false) + [try id("<mask>")])
    }

    @Test("rstrip tokens swallow the whitespace after them")
    func rstripAbsorbsRightWhitespace() throws {
        let ids = tokenizer.encode("<tool→>   z", addSpecialTokens: false)
        #expect(ids == [try id("<tool→>")] + tokenizer.encode("z", addSpecialTokens: false))
    }

    @Test("single-word tokens do not match inside a word")
    func singleWordRespectsBoundaries() throws {
        let word = try id("hello_world")
        #expect(tokenizer.encode("say hello_world now", addSpecialTokens: false).contains(word))
        #expect(!tokenizer.encode("say hello_worlds now", addSpecialTokens: false).contains(word))
        #expect(!tokenizer.encode("_hello_world", addSpecialTokens: false).contains(word))
    }

    @Test("addSpecialTokens applies the post-processor template")
    func postProcessorAddsBosAndEos() throws {
        let plain = tokenizer.encode("hi", addSpecialTokens: false)
        #expect(tokenizer.encode("hi", addSpecialTokens: true) == [try id("<s>")] + plain + [try id("</s>")])
        #expect(tokenizer.prefixIDs == [try id("<s>")])
        #expect(tokenizer.suffixIDs == [try id("</s>")])
    }

    @Test("skipSpecialTokens drops special tokens but keeps ordinary added tokens")
    func skipKeepsNonSpecialAddedTokens() throws {
        let ids = tokenizer.encode("<|im_start|>[NEW] x", addSpecialTokens: false)
        #expect(try tokenizer.decode(ids, skipSpecialTokens: true) == "[NEW] x")
        #expect(tokenizer.isSpecial(try id("<|im_start|>")))
        #expect(!tokenizer.isSpecial(try id("[NEW]")))
    }

    @Test("Llama-2 style normalization prepends ▁ after every special token")
    func legacyPrependAfterSpecialTokens() throws {
        let spm = try Fixtures.tokenizer("spm_tokenizer.json")
        let ids = spm.encode("Hello</s>world", addSpecialTokens: false)
        let eos = try #require(spm.id(for: "</s>"))
        let index = try #require(ids.firstIndex(of: eos))
        #expect(spm.token(for: ids[index + 1])?.hasPrefix("▁") == true)
    }

    @Test("Metaspace 'first' prepends ▁ only at the very start of the input")
    func metaspaceFirstPrependsOnlyAtStart() throws {
        let spm = try Fixtures.tokenizer("spm_metaspace_tokenizer.json")
        let ids = spm.encode("<s>Hello", addSpecialTokens: false)
        #expect(ids.first == spm.id(for: "<s>"))
        #expect(spm.token(for: ids[1])?.hasPrefix("▁") == false)
        #expect(spm.token(for: spm.encode("Hello", addSpecialTokens: false)[0])?.hasPrefix("▁") == true)
    }
}
