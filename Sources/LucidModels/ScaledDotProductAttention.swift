import Foundation
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

    /// `attend`'s output through libtorch's fused kernel (`Tensor.bidirectionalAttention`, scale
    /// d^-0.5 as transformers' `scaling`): what transformers' sdpa attention computes for a vision
    /// tower or the Q-Former. No [.., T, S] scores are materialised, so nothing needs blocks.
    static func fused(query q: Tensor, key k: Tensor, value v: Tensor) -> Tensor {
        Tensor.bidirectionalAttention(query: q, key: k, value: v, scale: Foundation.pow(Double(q.size(-1)), -0.5))
    }

    /// Bytes of f32 scores one block of query rows may take (`attendInBlocks`, the Llama family's explicit
    /// attention): 256 MiB. Task-local so that a test can shrink it for one call tree.
    @TaskLocal static var scoreBudget = 256 << 20

    /// `attend`'s output alone, the queries taken in blocks along their T axis so that no block's scores
    /// take more than `scoreBudget` bytes at 4 bytes an entry (the f32 softmax's).
    ///
    /// Each query row's scores, softmax and output are computed as by `attend`; only the [.., T, S]
    /// buffers shrink (an f32 matrix kernel may sum a block of fewer rows in another order: one step
    /// apart at most in `BlockedAttentionTests`, none on the Qwen2-VL tower there). Without it, a
    /// Qwen2-VL image at the released `max_pixels` (65,536 patches) would need [16, 65,536, 65,536]
    /// scores, 275 GB, in every full-attention block of its tower.
    static func attendInBlocks(query q: Tensor, key k: Tensor, value v: Tensor, softmaxIn dtype: DType? = nil,
                               scoreBudget: Int = ScaledDotProductAttention.scoreBudget) -> Tensor {
        let axis = q.rank - 2
        let rows = q.size(axis)
        let block = blockRows(queries: rows, keys: k.size(axis), batch: q.count / Swift.max(1, rows * q.size(-1)),
                              scoreBudget: scoreBudget)
        guard block < rows else { return attend(query: q, key: k, value: v, softmaxIn: dtype).output }
        return inBlocks(of: rows, block: block, axis: axis) { start, count in
            attend(query: q.narrowed(axis: axis, start: start, length: count), key: k, value: v, softmaxIn: dtype).output
        }
    }

    /// `part(start, count)` for consecutive blocks of at most `block` of `rows` query rows, joined along
    /// `axis`. Only the parts are kept: whatever a block computed on the way is freed before the next.
    static func inBlocks(of rows: Int, block: Int, axis: Int, _ part: (_ start: Int, _ count: Int) -> Tensor) -> Tensor {
        Tensor.cat(stride(from: 0, to: rows, by: block).map { part($0, Swift.min(block, rows - $0)) }, axis: axis)
    }

    /// Query rows a block may hold: as many as keep `batch` × rows × `keys` f32 scores within
    /// `scoreBudget` bytes, at least one, at most `queries`.
    static func blockRows(queries: Int, keys: Int, batch: Int, scoreBudget: Int) -> Int {
        let perRow = Swift.max(1, batch).multipliedSaturating(by: Swift.max(1, keys)).multipliedSaturating(by: 4)
        return Swift.min(Swift.max(1, queries), Swift.max(1, scoreBudget / perRow))
    }
}
