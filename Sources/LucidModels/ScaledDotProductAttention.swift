import LucidTensor

/// The attention step softmax(q·kᵀ / √d)·v of per-head queries, keys and values (InstructBLIP's ViT and
/// Q-Former, Qwen2-VL's tower, CLIP's and SigLIP's in bf16/f16), the product scaled after it is taken,
/// as transformers 5's `eager_attention_forward` does.
enum ScaledDotProductAttention {
    /// Output [..., T, d] and probabilities [..., T, S] of q [..., T, d], k and v [..., S, d], with
    /// d = q's last axis. `softmaxIn`: the softmax runs in at least that dtype and is cast back to q's
    /// (Qwen2-VL's tower does it in f32, as transformers); nil: in q's dtype.
    static func attend(query q: Tensor, key k: Tensor, value v: Tensor, softmaxIn dtype: DType? = nil) -> (output: Tensor, probabilities: Tensor) {
        // Scaled in place: the product is a fresh tensor, and a second [.., T, S] buffer per layer cost the
        // SigLIP tower of the OneVision bench (5 tiles of 729 patches, bf16) 0.6 s. The same bits as `*`
        // (`InPlaceScalarOpsTests`); autograd-safe, as the product's backward reads q and k, not its output.
        let scores = q.matmul(k.mT)
        scores.multiplyInPlace(1 / Double(q.size(-1)).squareRoot())
        let probabilities = dtype.map { scores.softmax(axis: -1, computeIn: $0).to(q.dtype) } ?? scores.softmax(axis: -1)
        return (probabilities.matmul(v), probabilities)
    }
}
