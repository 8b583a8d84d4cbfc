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
    /// Longest sequence the model supports (prompt + new tokens), if it has a limit.
    var contextLength: Int? { get }
    /// Input embeddings [B, T, D] of token ids [B, T].
    func embed(_ tokens: Tensor) -> Tensor
    /// Runs token ids [B, T] after whatever `cache` holds and appends them to it.
    func forward(tokens: Tensor, cache: KVCache?, options: ForwardOptions) -> ForwardTrace
    /// Runs input embeddings [B, T, D] (text, image features, or any mix) likewise.
    func forward(embeddings: Tensor, cache: KVCache?, options: ForwardOptions) -> ForwardTrace
    /// Vocabulary logits [B, T, V] of final-normed hidden states [B, T, D] (the last hidden-state
    /// capture), so a strategy can score positions it captured without another pass.
    func vocabularyLogits(_ hidden: Tensor) -> Tensor
}
