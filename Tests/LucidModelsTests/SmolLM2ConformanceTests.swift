import Foundation
import Testing
import LucidText
@testable import LucidGeneration
@testable import LucidModels
@testable import LucidTensor

/// SmolLM2-135M-Instruct loaded by Lucid from its Q4_1 GGUF against transformers running the same
/// dequantised weights (scripts/make_smollm2_fixtures.py). Fails when the GGUF is not installed.
@Suite("SmolLM2 from GGUF")
struct SmolLM2ConformanceTests {
    /// Last-position logits tolerance (issue: 2e-3); observed differences are printed.
    static let tolerance = 2e-3

    static func ggufPath() -> String? {
        let environment = ProcessInfo.processInfo.environment
        let path = environment["LUCID_SMOLLM2_GGUF"]
            ?? ((environment["LUCID_CACHE"] ?? (NSHomeDirectory() + "/.cache/lucid")) + "/models/SmolLM2-135M-Instruct.Q4_1.gguf")
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("SmolLM2 GGUF not found at \(path): run scripts/setup.sh or set LUCID_SMOLLM2_GGUF")
            return nil
        }
        return path
    }

    @Test func configurationComesFromMetadata() throws {
        guard let path = Self.ggufPath() else { return }
        let config = try LlamaGGUF.config(from: GGUFFile(path: path))
        #expect(config.hiddenSize == 576 && config.numHiddenLayers == 30 && config.numAttentionHeads == 9)
        #expect(config.numKeyValueHeads == 3 && config.headDim == 64 && config.intermediateSize == 1536)
        #expect(config.ropeTheta == 100000 && config.tieWordEmbeddings && config.vocabSize == 49152)
        #expect(config.eosTokenIDs == [2, 0], "EOS <|im_end|>, then <|endoftext|>, which llama.cpp also ends at")
    }

    @Test func logitsAndGreedyContinuationsMatchTransformers() throws {
        guard let path = Self.ggufPath() else { return }
        let model = try LlamaForCausalLM.load(path: path)
        let reference = try SafetensorsFile(path: Fixtures.path("smollm2", "reference.safetensors"))
        let driver = GenerationDriver(model: model)
        for prompt in 0..<3 {
            let ids = try reference.loadTensor(named: "prompt\(prompt).input_ids").toArray(Int.self)
            let expectedLogits = try reference.loadTensor(named: "prompt\(prompt).last_logits")
            let trace = withNoGrad { model.forward(tokens: Tensor(ids, shape: [1, ids.count]), cache: nil, options: ForwardOptions(logits: .last)) }
            let logits = try #require(trace.logits).reshaped(-1)
            let difference = maxAbs(logits, expectedLogits)
            print("SmolLM2 prompt \(prompt): last-position logits max-abs difference \(difference)")
            #expect(difference <= Self.tolerance, "prompt \(prompt): logits differ by \(difference)")
            let expected = try reference.loadTensor(named: "prompt\(prompt).greedy").toArray(Int.self)
            let result = try driver.generate(.tokens(ids), strategy: .greedy, limits: GenerationLimits(maxNewTokens: 32))
            #expect(result.tokens == expected, "prompt \(prompt): greedy continuation differs")
        }
    }

    @Test func chatPromptsTokenizeExactlyAsTheReference() throws {
        guard let path = Self.ggufPath() else { return }
        let tokenizer = try Tokenizer.load(modelPath: path)
        let reference = try SafetensorsFile(path: Fixtures.path("smollm2", "reference.safetensors"))
        let prompts = ["What is the capital of France?", "Write a haiku about the sea.", "List three primary colors."]
        for (i, prompt) in prompts.enumerated() {
            let ids = try tokenizer.encode(chat: [.user(prompt)])
            #expect(ids == (try reference.loadTensor(named: "prompt\(i).input_ids").toArray(Int.self)), "prompt \(i)")
        }
    }

    @Test func answersTheCapitalOfFranceWithParis() throws {
        guard let path = Self.ggufPath() else { return }
        let tokenizer = try Tokenizer.load(modelPath: path)
        let model = try LlamaForCausalLM.load(path: path)
        let ids = try tokenizer.encode(chat: [.user("What is the capital of France?")])
        let result = try GenerationDriver(model: model).generate(.tokens(ids), strategy: .greedy,
                                                                 limits: GenerationLimits(maxNewTokens: 32, eosTokenIDs: model.config.eosTokenIDs))
        let answer = try tokenizer.decode(result.tokens, skipSpecialTokens: true)
        #expect(answer.contains("Paris"), "answer: \(answer)")
        #expect(result.finishReason == .eos)
    }
}
