import LucidTensor

/// The attention step softmax(q·kᵀ / √d)·v of per-head queries, keys and values (InstructBLIP's ViT and
/// Q-Former, Qwen2-VL's tower, CLIP's and SigLIP's in bf16/f16), the product scaled after it is taken,
/// as transformers 5's `eager_attention_forward` does.
enum ScaledDotProductAttention {
    /// Output [..., T, d] and probabilities [..., T, S] of q [..., T, d], k and v [..., S, d], with
    /// d = q's last axis. `softmaxIn`: the softmax runs in at least that dtype and is cast back to q's
    /// (Qwen2-VL's tower does it in f32, as transformers); nil: in q's dtype.
    static func attend(query q: Tensor, key k: Tensor, value v: Tensor, softmaxIn dtype: DType? = nil) -> (output: Tensor, probabilities: Tensor) {
        let scores = q.matmul(k.mT) * (1 / Double(q.size(-1)).squareRoot())
        let probabilities = dtype.map { scores.softmax(axis: -1, computeIn: $0).to(q.dtype) } ?? scores.softmax(axis: -1)
        return (probabilities.matmul(v), probabilities)
    }
}
