import Foundation
import LucidText
import Testing

/// Parity with HF for SmolLM2's real vocabulary loaded from its tokenizer.json
/// (rebuilt from the GGUF by the fixture script; ~1.4 MB, so it ships as a fixture).
@Suite("SmolLM2 tokenizer.json parity")
struct SmolLM2JSONParityTests {
    static let loaded: Result<Tokenizer, any Error> = Result {
        try Fixtures.tokenizer("smollm2_tokenizer.json")
    }

    @Test("the HF JSON loader reads SmolLM2's pipeline")
    func pipelineIsRead() throws {
        let tokenizer = try Self.loaded.get()
        #expect(tokenizer.kind == .byteLevelBPE)
        #expect(tokenizer.vocabularySize == 49152)
        #expect(tokenizer.prefixIDs.isEmpty && tokenizer.suffixIDs.isEmpty)
        #expect(tokenizer.addedTokens.count == 17)
    }

    @Test("encode, decode and streaming decode match HF on every golden line")
    func matchesHuggingFace() throws {
        let tokenizer = try Self.loaded.get()
        let goldens = try Fixtures.goldens("smollm2_golden.jsonl")
        #expect(goldens.count >= 60)
        for golden in goldens {
            let label = golden.text.debugDescription
            #expect(tokenizer.encode(golden.text, addSpecialTokens: true) == golden.ids, "\(label)")
            #expect(tokenizer.encode(golden.text, addSpecialTokens: false) == golden.ids_plain, "\(label)")
            #expect(try tokenizer.decode(golden.ids) == golden.decoded, "\(label)")
            #expect(try tokenizer.decode(golden.ids, skipSpecialTokens: true) == golden.decoded_skip, "\(label)")
            #expect(try streamChunks(tokenizer, golden.ids, skipSpecialTokens: false).joined() == golden.decoded)
            #expect(try streamChunks(tokenizer, golden.ids, skipSpecialTokens: true).joined() == golden.decoded_skip)
        }
    }

    @Test("an emoji ZWJ sequence streams out only as whole characters")
    func zwjSequenceStreamsWholeCharacters() throws {
        let tokenizer = try Self.loaded.get()
        let text = "👨\u{200D}👩\u{200D}👧"
        let ids = tokenizer.encode(text, addSpecialTokens: false)
        let chunks = try streamChunks(tokenizer, ids, skipSpecialTokens: false)
        #expect(chunks.joined() == text)
        for chunk in chunks {
            #expect(!chunk.unicodeScalars.contains("\u{FFFD}"), "partial character leaked: \(chunk.debugDescription)")
        }
    }
}
