import Foundation
import Testing
@testable import LucidModels
@testable import LucidTensor

/// Where a GGUF's generation ends, as llama.cpp ends it: the ids the file names as EOS, EOT (the end of a
/// turn) and EOM (of a tool message), and every token whose text llama.cpp treats as an end of generation.
@Suite("GGUF end-of-generation ids")
struct GGUFEndOfGenerationTests {
    @Test func eosEotAndEomAreAllStopIDsOnceEach() throws {
        let file = MiniGGUF(metadata: MiniGGUF.llamaHeader + [("tokenizer.ggml.eos_token_id", .u32(2)), ("tokenizer.ggml.eot_token_id", .u32(9)),
                                                              ("tokenizer.ggml.eom_token_id", .u32(2))])
        let path = try file.write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try LlamaGGUF.config(from: try GGUFFile(path: path)).eosTokenIDs == [2, 9])
        let plain = try MiniGGUF(metadata: MiniGGUF.llamaHeader + [("tokenizer.ggml.eos_token_id", .u32(2))]).write()
        defer { try? FileManager.default.removeItem(atPath: plain) }
        #expect(try LlamaGGUF.config(from: try GGUFFile(path: plain)).eosTokenIDs == [2])
    }

    /// A Llama 3 Instruct file converted with EOS `<|end_of_text|>` and no EOT key still ends a turn at
    /// `<|eot_id|>`, as llama.cpp ends it; other control tokens (`<|start_header_id|>`) do not end it.
    @Test func tokensLlamaCppEndsAtByTheirTextAreStopIDs() throws {
        let tokens = ["<|begin_of_text|>", "<|end_of_text|>", "a", "<|start_header_id|>", "<|eot_id|>", "<|eom_id|>", "<|im_end|>x"]
        let path = try MiniGGUF(metadata: MiniGGUF.llamaHeader + [("tokenizer.ggml.tokens", .strings(tokens)),
                                                                   ("tokenizer.ggml.eos_token_id", .u32(1))]).write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try LlamaGGUF.config(from: try GGUFFile(path: path)).eosTokenIDs == [1, 4, 5])
    }
}
