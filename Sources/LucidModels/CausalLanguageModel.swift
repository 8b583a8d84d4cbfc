import LucidTensor

/// A decoder that generation strategies can drive one step at a time.
///
/// Implemented by `LlamaForCausalLM` and by vision-language models (whose image goes in at
/// prefill; decode steps are text tokens).
public protocol CausalLanguageModel: AnyObject {
    var vocabularySize: Int { get }
    var layerCount: Int { get }
    /// A fresh, empty cache for this model.
    func makeCache() -> KVCache
    /// Runs token ids [B, T] after whatever `cache` holds and appends them to it.
    func forward(tokens: Tensor, cache: KVCache?, options: ForwardOptions) -> ForwardTrace
}
