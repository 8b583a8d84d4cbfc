import Foundation
import LucidNN
import LucidTensor

/// A vector quantiser (VQ-VAE style) with the options Q-MLLM's two levels need: nearest code by
/// cosine or L2 distance, codebook and commitment losses, optional EMA codebook updates and
/// dead-code restarts, and an explicit choice of what the backward pass sees.
public final class VectorQuantizer: Module {
    public enum Distance: String, Codable, Sendable, CaseIterable {
        /// 1 − cosine similarity (Q-MLLM's semantic codebook, UniTok's normalised chunks).
        case cosine
        /// Squared Euclidean distance (VQ-VAE).
        case l2
    }

    /// What the backward pass of `quantize` sees.
    public enum Gradient: String, Codable, Sendable, CaseIterable {
        /// Straight-through estimator: forward q(x), backward identity (x + sg[q(x) − x]); training,
        /// and BPDA when attacking.
        case straightThrough = "straight-through"
        /// The code itself, detached: no gradient reaches the input (the released defence at inference).
        case blocked
    }

    /// Codes [K, D].
    public let codebook: Parameter
    public let distance: Distance
    /// β of the commitment loss (0.25 in VQ-VAE, UniTok and Q-MLLM's stored `commitment_cost`).
    public var commitmentCost: Double
    /// EMA decay; nil trains the codebook by gradient (codebook loss) instead.
    public var emaDecay: Double?
    /// L2-normalise inputs and codes before quantising (UniTok's `vocab_norm`): outputs are unit
    /// codes and the losses are measured on the sphere.
    public var normalized = false
    var emaCounts: Tensor
    var emaSums: Tensor

    /// A codebook of `count` codes of `dimension`, initialised U(−1/K, 1/K) (Q-MLLM's
    /// `VectorQuantizerCLS`), seeded.
    public init(count: Int, dimension: Int, distance: Distance = .cosine, commitmentCost: Double = 0.25, emaDecay: Double? = nil,
                generator: Generator) {
        let bound = 1.0 / Double(count)
        codebook = Parameter((Tensor.rand([count, dimension], generator: generator) * 2 - 1) * bound)
        self.distance = distance
        self.commitmentCost = commitmentCost
        self.emaDecay = emaDecay
        emaCounts = Tensor.zeros([count])
        emaSums = codebook.value.detached().clone()
    }

    public var parameters: [(name: String, parameter: Parameter)] { [("embedding.weight", codebook)] }

    public var count: Int { codebook.shape[0] }
    public var dimension: Int { codebook.shape[1] }

    /// Nearest-code indices for inputs [N, D], scored in f32 (f64 for f64 inputs) whatever the
    /// inputs' dtype, so bf16/f16 features do not pick among codes tied by rounding.
    public func nearest(_ input: Tensor) -> [Int] {
        withNoGrad {
            let wide: DType = input.dtype == .f64 ? .f64 : .f32
            let x = input.to(wide)
            let codes = codebook.value.to(wide).to(x.device)
            let scores: Tensor
            switch distance {
            case .cosine:
                let xn = x / (x.square().sum(axis: -1, keepDims: true).sqrt() + 1e-12)
                let cn = codes / (codes.square().sum(axis: -1, keepDims: true).sqrt() + 1e-12)
                scores = xn.matmul(cn.transposed(0, 1))
            case .l2:
                // −‖x − c‖² up to a per-row constant: 2 xᵀc − ‖c‖².
                scores = x.matmul(codes.transposed(0, 1)) * 2 - codes.square().sum(axis: -1).unsqueezed(axis: 0)
            }
            return scores.argmax(axis: -1).toArray(Int64.self).map(Int.init)
        }
    }

    /// The result of quantising a batch.
    public struct Output {
        /// Quantised vectors [N, D] (gradient as chosen).
        public var quantized: Tensor
        public var indices: [Int]
        /// ‖sg[x] − e‖² (mean) — trains the codes (zero contribution under EMA updates).
        public var codebookLoss: Tensor
        /// β‖x − sg[e]‖² (mean) — keeps the encoder near its codes.
        public var commitmentLoss: Tensor
    }

    /// Quantises inputs [N, D].
    public func quantize(_ input: Tensor, gradient: Gradient = .straightThrough) -> Output {
        let x = normalized ? Self.unitRows(input) : input
        let indices = nearest(x)
        let index = Tensor(indices.map(Int64.init), shape: [indices.count])
        var codes = codebook.value.to(x.dtype).to(x.device).indexSelect(axis: 0, index: index.to(x.device))
        if normalized { codes = Self.unitRows(codes) }
        let codebookLoss = emaDecay == nil ? (x.detached() - codes).square().mean() : Tensor.scalar(0.0, dtype: x.dtype)
        let commitmentLoss = (x - codes.detached()).square().mean() * commitmentCost
        let quantized: Tensor
        switch gradient {
        case .straightThrough: quantized = x + (codes - x).detached()
        case .blocked: quantized = codes.detached()
        }
        return Output(quantized: quantized, indices: indices, codebookLoss: codebookLoss, commitmentLoss: commitmentLoss)
    }

    /// Rows scaled to unit L2 norm (last axis).
    public static func unitRows(_ x: Tensor) -> Tensor { x / (x.square().sum(axis: -1, keepDims: true).sqrt() + 1e-12) }

    /// One EMA update of the codes from a batch and its assignments (no-op without `emaDecay`):
    /// N_k ← γN_k + (1−γ)n_k, m_k ← γm_k + (1−γ)Σx, e_k = m_k / Laplace-smoothed N_k.
    public func updateEMA(_ x: Tensor, indices: [Int]) {
        guard let decay = emaDecay else { return }
        withNoGrad {
            let device = followCodebookDevice()
            let onehot = Tensor.zeros([x.size(0), count], device: device)
                .scattering(axis: 1, index: Tensor(indices.map(Int64.init), shape: [indices.count, 1]).to(device),
                            source: Tensor.ones([indices.count, 1], device: device))
            let batchCounts = onehot.sum(axis: 0)
            let batchSums = onehot.transposed(0, 1).matmul(x.detached().to(device).to(.f32))
            emaCounts = emaCounts * decay + batchCounts * (1 - decay)
            emaSums = emaSums * decay + batchSums * (1 - decay)
            let total = emaCounts.sum()
            let smoothed = (emaCounts + 1e-5) / (total + Double(count) * 1e-5) * total
            codebook.value = (emaSums / smoothed.unsqueezed(axis: -1)).to(codebook.value.dtype)
        }
    }

    /// Moves the EMA state to the codebook's device (a defence moved to a GPU moves its parameters
    /// only) and returns that device.
    private func followCodebookDevice() -> Device {
        let device = codebook.value.device
        if emaCounts.device != device {
            emaCounts = emaCounts.to(device)
            emaSums = emaSums.to(device)
        }
        return device
    }

    /// Replaces codes used fewer than `minimumUses` times in `indices` by inputs of the batch,
    /// chosen with `generator`; returns the restarted code indices.
    @discardableResult
    public func restartDeadCodes(_ x: Tensor, indices: [Int], minimumUses: Int = 1, generator: Generator) -> [Int] {
        var uses = [Int](repeating: 0, count: count)
        for i in indices { uses[i] += 1 }
        let dead = uses.enumerated().filter { $0.element < minimumUses }.map(\.offset)
        guard !dead.isEmpty, x.size(0) > 0 else { return [] }
        withNoGrad {
            let device = followCodebookDevice()
            let picks = Tensor.randint(0, x.size(0), [dead.count], generator: generator).to(device)
            let replacements = x.detached().to(device).to(codebook.value.dtype).indexSelect(axis: 0, index: picks)
            let slots = Tensor(dead.map(Int64.init), shape: [dead.count]).to(device)
            codebook.value = codebook.value.indexCopying(axis: 0, index: slots, source: replacements)
            emaSums = emaSums.indexCopying(axis: 0, index: slots, source: replacements.to(.f32))
            emaCounts = emaCounts.indexCopying(axis: 0, index: slots, source: Tensor.ones([dead.count], device: device))
        }
        return dead
    }
}
