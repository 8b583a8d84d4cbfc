import Foundation
import Testing
@testable import LucidModels
@testable import LucidTensor

/// The ids a GGUF file names as ends of generation, which llama.cpp stops at: EOS, and where given the end
/// of a turn (EOT: Llama 3's `<|eot_id|>` when EOS is `<|end_of_text|>`) and of a tool message (EOM).
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
}
