import Foundation
import LucidGeneration
import LucidModels
import LucidPipeline
import LucidTensor

/// Runs one generation with any decoding method on an opened model (shared by `generate` and `run`)
/// through `Decoding.generate`, which validates the method and honours a Q-MLLM gate.
struct MethodRunner {
    /// Tokenises a gate's refusal (without it a refusal has no tokens).
    var encode: ((String) -> [Int])?

    /// Generates from token ids (with one image placeholder, or run, per image).
    func generate(_ loaded: OpenedModel, ids: [Int], images: [Tensor], method: DecodingMethod, limits: GenerationLimits,
                  logprobs: LogprobsRequest? = nil, onToken: ((Int) -> Void)? = nil) throws -> GenerationResult {
        try Decoding.generate(loaded.model, ids: ids, images: images, method: method, limits: limits, logprobs: logprobs,
                              encodeRefusal: encode, onToken: onToken.map { stream in { token, _ in stream(token) } })
    }
}
