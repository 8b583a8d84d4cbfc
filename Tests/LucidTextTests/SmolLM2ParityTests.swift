import Foundation
import LucidModels
import LucidTensor
import LucidText
import Testing

/// Parity with HF for the real SmolLM2-135M-Instruct vocabulary, loaded from the GGUF through
/// `GGUFTokenizerMetadata(file:)` (LucidModels) and `Tokenizer(gguf:)`.
///
/// Uses `LUCID_SMOLLM2_GGUF`, else the set-up location of SmolLM2-135M-Instruct.Q4_1.gguf; without it every
/// test here fails (never skips) with a message saying so.
@Suite("SmolLM2 GGUF parity")
struct SmolLM2ParityTests {
    struct ModelUnavailable: Error, CustomStringConvertible {
        let description: String
    }

    static let loaded: Result<Tokenizer, any Error> = Result {
        let environment = ProcessInfo.processInfo.environment
        let path = environment["LUCID_SMOLLM2_GGUF"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["LUCID_CACHE"] ?? (NSHomeDirectory() + "/.cache/lucid")) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf")
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelUnavailable(description: "SmolLM2 GGUF not found at \(path): run scripts/setup.sh or set LUCID_SMOLLM2_GGUF.")
        }
        return try Tokenizer(gguf: GGUFTokenizerMetadata(file: GGUFFile(path: path)))
    }

    static func tokenizer() throws -> Tokenizer {
        try loaded.get()
    }

    @Test("GGUF metadata yields SmolLM2's byte-level tokenizer and special ids")
    func metadataIsRead() throws {
        let tokenizer = try Self.tokenizer()
        #expect(tokenizer.kind == .byteLevelBPE)
        #expect(tokenizer.vocabularySize == 49152)
        #expect(tokenizer.bosID == 1)
        #expect(tokenizer.eosID == 2)
        #expect(tokenizer.padID == 2)
        #expect(tokenizer.unknownID == 0)
        #expect(tokenizer.prefixIDs.isEmpty)
        #expect(tokenizer.id(for: "<|im_start|>") == 1)
        #expect(tokenizer.token(for: 2) == "<|im_end|>")
        #expect(tokenizer.addedTokens.count == 17)
        #expect(tokenizer.addedTokens.allSatisfy { $0.special })
    }

    @Test("encode matches HF ids on every golden line")
    func encodeMatchesHuggingFace() throws {
        let tokenizer = try Self.tokenizer()
        let goldens = try Fixtures.goldens("smollm2_golden.jsonl")
        #expect(goldens.count >= 60)
        for golden in goldens {
            #expect(tokenizer.encode(golden.text, addSpecialTokens: true) == golden.ids, "\(golden.text.debugDescription)")
            #expect(tokenizer.encode(golden.text, addSpecialTokens: false) == golden.ids_plain)
        }
    }

    @Test("decode and streaming decode match HF text on every golden line")
    func decodeMatchesHuggingFace() throws {
        let tokenizer = try Self.tokenizer()
        for golden in try Fixtures.goldens("smollm2_golden.jsonl") {
            #expect(try tokenizer.decode(golden.ids) == golden.decoded, "\(golden.text.debugDescription)")
            #expect(try tokenizer.decode(golden.ids, skipSpecialTokens: true) == golden.decoded_skip)
            #expect(try streamChunks(tokenizer, golden.ids, skipSpecialTokens: false).joined() == golden.decoded)
            #expect(try streamChunks(tokenizer, golden.ids, skipSpecialTokens: true).joined() == golden.decoded_skip)
        }
    }

    @Test("numbers are split into single digits")
    func digitsAreIsolated() throws {
        let tokenizer = try Self.tokenizer()
        let ids = tokenizer.encode("1234567", addSpecialTokens: false)
        #expect(ids.compactMap { tokenizer.token(for: $0) } == ["1", "2", "3", "4", "5", "6", "7"])
    }

    @Test("the GGUF chat template is detected as chatml with SmolLM's default system prompt")
    func chatTemplateIsDetected() throws {
        let tokenizer = try Self.tokenizer()
        let template = try #require(ChatTemplate.detect(for: tokenizer))
        #expect(template.style == .chatml)
        #expect(template.defaultSystemPrompt == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        let text = try template.render([.user("Hi!")], addGenerationPrompt: true)
        #expect(text == """
            <|im_start|>system
            You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
            <|im_start|>user
            Hi!<|im_end|>
            <|im_start|>assistant

            """)
        let golden = try #require(try Fixtures.goldens("smollm2_golden.jsonl").last)
        #expect(golden.text == text)
        #expect(try tokenizer.encode(chat: [.user("Hi!")]) == golden.ids_plain)
    }
}
