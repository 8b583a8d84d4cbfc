import LucidNN
import LucidTensor

/// The patch grid of one image as the Qwen2-VL processor reports it (`image_grid_thw`): frames and
/// patch rows and columns, before the 2 × 2 merge.
public struct Qwen2VLGrid: Sendable, Equatable {
    public var t: Int
    public var h: Int
    public var w: Int
    public init(t: Int, h: Int, w: Int) {
        self.t = t
        self.h = h
        self.w = w
    }
    /// Patches the tower sees.
    public var patchCount: Int { t * h * w }
    /// Most frames, and most patches a side, a grid may claim.
    public static let maximumFrames = 64
    public static let maximumSide = 4096
    /// Whether every component is positive and within the bounds above (so `patchCount` cannot overflow).
    public var isWithinBounds: Bool {
        (1...Self.maximumFrames).contains(t) && (1...Self.maximumSide).contains(h) && (1...Self.maximumSide).contains(w)
    }
}

/// Qwen2-VL's 3-D patch embedding (`patch_embed.proj`, a bias-free Conv3d whose stride is its kernel),
/// applied to flattened patches [N, C·T·P·P] as that convolution.
public final class Qwen2VLPatchEmbedding: Module {
    public let weight: Parameter

    init(_ config: Qwen2VLVisionConfig) {
        let shape = [config.embedDim, config.inChannels, config.temporalPatchSize, config.patchSize, config.patchSize]
        weight = Parameter(ParameterInitialization.tensor(shape) { Tensor.randn(shape) * 0.02 })
    }

    public var parameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    /// Patches [N, C·T·P·P] → [N, E] through a 3-D convolution whose kernel is its stride, as transformers'
    /// `Conv3d` does: the same as a product with the flattened weight, but in libtorch's summation order
    /// (with the product, f16 embeddings differed from transformers' by a step and greedy tokens diverged).
    func callAsFunction(_ patches: Tensor) -> Tensor {
        let w = weight.value
        let kernel = (w.size(2), w.size(3), w.size(4))
        let volumes = patches.to(w.dtype).to(w.device).reshaped([patches.size(0), w.size(1), kernel.0, kernel.1, kernel.2])
        return volumes.conv3d(weight: w, stride: kernel).reshaped([patches.size(0), w.size(0)])
    }
}

/// Bidirectional attention of a Qwen2-VL vision block (`attn.qkv`, `attn.proj`) with 2-D rotary
/// positions, each image attending only to itself.
public final class Qwen2VLVisionAttention: FusedAttentionModule {
    public let qkv: Linear
    public let proj: Linear
    let heads: Int
    let headDim: Int
    /// Passes that keep no probabilities run libtorch's fused kernel chunk by chunk, as transformers'
    /// sdpa (`FusedAttentionModule`).
    public var fusedAttention = false

    init(_ config: Qwen2VLVisionConfig) {
        qkv = Linear(inFeatures: config.embedDim, outFeatures: 3 * config.embedDim)
        proj = Linear(inFeatures: config.embedDim, outFeatures: config.embedDim)
        heads = config.numHeads
        headDim = config.headDim
    }

    public var children: [(name: String, module: any Module)] { [("qkv", qkv), ("proj", proj)] }

    /// x [N, E], rotary tables [N, headDim], per-image lengths → [N, E] (and per-image probabilities if kept).
    func callAsFunction(_ x: Tensor, cos: Tensor, sin: Tensor, lengths: [Int], keepProbabilities: Bool) -> (Tensor, [Tensor]) {
        let n = x.size(0)
        let parts = qkv(x).reshaped([n, 3, heads, headDim]).permuted(1, 0, 2, 3)
        let dtype = x.dtype
        // transformers rotates q and k in f32 (`apply_rotary_pos_emb_vision`).
        let (c, s) = (cos.to(.f32).unsqueezed(axis: 1), sin.to(.f32).unsqueezed(axis: 1))
        let q = RotaryEmbedding.apply(parts.selected(axis: 0, index: 0).to(.f32), cos: c, sin: s).to(dtype).transposed(0, 1)
        let k = RotaryEmbedding.apply(parts.selected(axis: 0, index: 1).to(.f32), cos: c, sin: s).to(dtype).transposed(0, 1)
        let v = parts.selected(axis: 0, index: 2).transposed(0, 1)
        var outputs: [Tensor] = []
        var kept: [Tensor] = []
        var start = 0
        for length in lengths {
            let (qi, ki, vi) = (q.narrowed(axis: 1, start: start, length: length), k.narrowed(axis: 1, start: start, length: length),
                                v.narrowed(axis: 1, start: start, length: length))
            let attended: Tensor
            if keepProbabilities {
                let probabilities: Tensor
                (attended, probabilities) = ScaledDotProductAttention.attend(query: qi, key: ki, value: vi, softmaxIn: .f32)
                kept.append(probabilities)
            } else if fusedAttention {
                // [1, heads, N, d], as transformers hands them to sdpa: the CPU's flash kernel takes 4-D operands.
                attended = ScaledDotProductAttention.fused(query: qi.unsqueezed(axis: 0), key: ki.unsqueezed(axis: 0),
                                                           value: vi.unsqueezed(axis: 0)).squeezed(axis: 0)
            } else {
                // A large image's [heads, N, N] scores in blocks of query rows (a 12.8 MP image: 65,536 patches).
                attended = ScaledDotProductAttention.attendInBlocks(query: qi, key: ki, value: vi, softmaxIn: .f32)
            }
            outputs.append(attended.transposed(0, 1))
            start += length
        }
        return (proj(Tensor.cat(outputs, axis: 0).reshaped([n, heads * headDim])), kept)
    }
}

/// The tower's normalisation: LayerNorm in Qwen2-VL, RMSNorm in Qwen2.5-VL (ε 1e-6 in both).
public final class Qwen2VLVisionNorm: Module {
    public let layerNorm: LayerNorm?
    public let rmsNorm: RMSNorm?

    init(_ variant: Qwen2VLVisionConfig.Variant, dimension: Int) {
        switch variant {
        case .qwen2VL: (layerNorm, rmsNorm) = (LayerNorm(dimension: dimension, eps: 1e-6), nil)
        case .qwen25VL: (layerNorm, rmsNorm) = (nil, RMSNorm(dimension: dimension, eps: 1e-6))
        }
    }

    public var parameters: [(name: String, parameter: Parameter)] { layerNorm?.parameters ?? rmsNorm?.parameters ?? [] }

    func callAsFunction(_ x: Tensor) -> Tensor {
        if let layerNorm { return layerNorm(x) }
        if let rmsNorm { return rmsNorm(x) }
        return x
    }
}

/// The block's MLP: Qwen2-VL's `fc1` → activation → `fc2`, or Qwen2.5-VL's gated
/// `down_proj(act(gate_proj(x)) · up_proj(x))` (all with biases).
public final class Qwen2VLVisionMLP: Module {
    /// `fc1` (Qwen2-VL) or `gate_proj` (Qwen2.5-VL).
    public let first: Linear
    /// `up_proj` (Qwen2.5-VL only).
    public let up: Linear?
    /// `fc2` (Qwen2-VL) or `down_proj` (Qwen2.5-VL).
    public let last: Linear
    let act: String

    init(_ config: Qwen2VLVisionConfig) {
        first = Linear(inFeatures: config.embedDim, outFeatures: config.mlpWidth)
        up = config.variant == .qwen25VL ? Linear(inFeatures: config.embedDim, outFeatures: config.mlpWidth) : nil
        last = Linear(inFeatures: config.mlpWidth, outFeatures: config.embedDim)
        act = config.hiddenAct
    }

    public var children: [(name: String, module: any Module)] {
        guard let up else { return [("fc1", first), ("fc2", last)] }
        return [("gate_proj", first), ("up_proj", up), ("down_proj", last)]
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        guard let up else { return last(activation(act, first(x))) }
        return last(activation(act, first(x)) * up(x))
    }
}

/// One pre-norm block of the tower (`norm1`, `attn`, `norm2`, `mlp`).
public final class Qwen2VLVisionBlock: Module {
    public let norm1: Qwen2VLVisionNorm
    public let attn: Qwen2VLVisionAttention
    public let norm2: Qwen2VLVisionNorm
    public let mlp: Qwen2VLVisionMLP

    init(_ config: Qwen2VLVisionConfig) {
        norm1 = Qwen2VLVisionNorm(config.variant, dimension: config.embedDim)
        attn = Qwen2VLVisionAttention(config)
        norm2 = Qwen2VLVisionNorm(config.variant, dimension: config.embedDim)
        mlp = Qwen2VLVisionMLP(config)
    }

    public var children: [(name: String, module: any Module)] { [("norm1", norm1), ("attn", attn), ("norm2", norm2), ("mlp", mlp)] }
}

/// The 2 × 2 patch merger (`merger.ln_q`, `merger.mlp.0`, `merger.mlp.2`): four neighbouring patch
/// features, normalised (LayerNorm in Qwen2-VL, RMSNorm in Qwen2.5-VL) and concatenated, through a
/// GELU MLP into the language model's width.
public final class Qwen2VLPatchMerger: Module {
    public let lnQ: Qwen2VLVisionNorm
    public let linear1: Linear
    public let linear2: Linear
    let width: Int

    init(_ config: Qwen2VLVisionConfig) {
        width = config.embedDim * config.spatialMergeSize * config.spatialMergeSize
        lnQ = Qwen2VLVisionNorm(config.variant, dimension: config.embedDim)
        linear1 = Linear(inFeatures: width, outFeatures: width)
        linear2 = Linear(inFeatures: width, outFeatures: config.hiddenSize)
    }

    public var children: [(name: String, module: any Module)] { [("ln_q", lnQ), ("mlp", Qwen2VLMergerMLPView(self))] }

    func callAsFunction(_ x: Tensor) -> Tensor { linear2(linear1(lnQ(x).reshaped([-1, width])).gelu()) }
}

/// Names `mlp.0` / `mlp.2` (an `nn.Sequential` with the GELU at index 1).
final class Qwen2VLMergerMLPView: Module {
    unowned let merger: Qwen2VLPatchMerger
    init(_ merger: Qwen2VLPatchMerger) { self.merger = merger }
    var children: [(name: String, module: any Module)] { [("0", merger.linear1), ("2", merger.linear2)] }
}

/// The Qwen2-VL / Qwen2.5-VL vision tower (`visual`): patch embedding, blocks with 2-D RoPE (windowed in
/// Qwen2.5-VL), patch merger.
public final class Qwen2VLVisionModel: Module {
    public let config: Qwen2VLVisionConfig
    public let patchEmbed: Qwen2VLPatchEmbedding
    public let blocks: ModuleList<Qwen2VLVisionBlock>
    public let merger: Qwen2VLPatchMerger
    let rope: RotaryEmbedding

    public init(_ config: Qwen2VLVisionConfig) throws(ModelConfigError) {
        try config.validate()
        self.config = config
        patchEmbed = Qwen2VLPatchEmbedding(config)
        blocks = ModuleList((0..<config.depth).map { _ in Qwen2VLVisionBlock(config) })
        merger = Qwen2VLPatchMerger(config)
        // The axial rotary embedding: frequencies over head_dim / 2, shared by rows and columns.
        rope = RotaryEmbedding(dimension: config.headDim / 2, base: config.ropeTheta)
    }

    public var children: [(name: String, module: any Module)] {
        [("patch_embed", Qwen2VLPatchEmbedView(patchEmbed)), ("blocks", blocks), ("merger", merger)]
    }

    /// Row and column of every patch in the processor's merge-block order (`get_vision_position_ids`).
    func patchPositions(_ grids: [Qwen2VLGrid]) -> (rows: [Int], columns: [Int]) {
        let m = config.spatialMergeSize
        var rows: [Int] = []
        var columns: [Int] = []
        for grid in grids {
            for _ in 0..<grid.t {
                for blockRow in 0..<(grid.h / m) {
                    for blockColumn in 0..<(grid.w / m) {
                        for r in 0..<m {
                            for c in 0..<m {
                                rows.append(blockRow * m + r)
                                columns.append(blockColumn * m + c)
                            }
                        }
                    }
                }
            }
        }
        return (rows, columns)
    }

    /// Merged image features [Σ t·h·w / m², hidden] of flattened patches [Σ t·h·w, C·T·P·P] of `grids`.
    public func forward(_ patches: Tensor, grids: [Qwen2VLGrid], options: ForwardOptions = ForwardOptions(),
                        trace: ForwardTrace = ForwardTrace()) -> Tensor {
        merger(encode(patches, grids: grids, options: options, trace: trace))
    }

    /// The blocks' output [Σ t·h·w, D_vision] (what the merger reads) of flattened patches of `grids`,
    /// in the processor's patch order.
    ///
    /// Qwen2.5-VL's windowed blocks run on the sequence reordered window by window (`Qwen25VLWindows`),
    /// as transformers runs them; hidden states, vision attentions and the output are put back in patch
    /// order. A windowed block's captured attention is the first image's [1, heads, N, N] with zeros
    /// between patches of different windows.
    public func encode(_ patches: Tensor, grids: [Qwen2VLGrid], options: ForwardOptions = ForwardOptions(),
                       trace: ForwardTrace = ForwardTrace()) -> Tensor {
        let (rows, columns) = patchPositions(grids)
        var hidden = patchEmbed(patches)
        let device = hidden.device
        let inverse = rope.inverseFrequencies.to(device).unsqueezed(axis: 0)
        let rowFreqs = Tensor(rows, shape: [rows.count, 1]).to(device).to(.f32) * inverse
        let columnFreqs = Tensor(columns, shape: [columns.count, 1]).to(device).to(.f32) * inverse
        let half = Tensor.cat([rowFreqs, columnFreqs], axis: -1)
        var angles = Tensor.cat([half, half], axis: -1)
        let lengths = grids.flatMap { grid in [Int](repeating: grid.h * grid.w, count: grid.t) }
        let windows = config.windowMergedSide.map { Qwen25VLWindows(grids: grids, side: $0, merge: config.spatialMergeSize) }
        let (toWindows, toPatches) = (windows.map { Tensor($0.order, shape: [$0.order.count]).to(device) },
                                      windows.map { Tensor($0.inverse, shape: [$0.order.count]).to(device) })
        /// Patch order of a windowed-sequence tensor (rows, or rows and columns of an attention map).
        func patchOrder(_ x: Tensor, axes: [Int]) -> Tensor {
            guard let toPatches else { return x }
            // The first image's patches sit first in both orders, so its maps take the inverse's head.
            return axes.reduce(x) { $0.indexSelect(axis: $1, index: toPatches.narrowed(axis: 0, start: 0, length: $0.size($1))) }
        }
        if let toWindows {
            hidden = hidden.indexSelect(axis: 0, index: toWindows)
            angles = angles.indexSelect(axis: 0, index: toWindows)
        }
        let (cos, sin) = (angles.cos(), angles.sin())
        let count = config.depth
        if options.visionHiddenStates.contains(0, of: count + 1) { trace.visionHiddenStates[0] = patchOrder(hidden, axes: [0]).unsqueezed(axis: 0) }
        for (index, block) in blocks.items.enumerated() {
            let keep = options.visionAttentionLayers.contains(index, of: count)
            let windowed = windows != nil && !config.fullAttentionBlocks.contains(index)
            let blockLengths = windowed ? windows?.lengths ?? lengths : lengths
            let (attended, probabilities) = block.attn(block.norm1(hidden), cos: cos, sin: sin, lengths: blockLengths, keepProbabilities: keep)
            hidden = hidden + attended
            hidden = hidden + block.mlp(block.norm2(hidden))
            if keep, let first = firstImageAttention(probabilities, lengths: blockLengths, imagePatches: lengths.first ?? 0,
                                                     windowed: windowed) {
                trace.visionAttentions[index] = patchOrder(first, axes: [1, 2]).unsqueezed(axis: 0)
            }
            if options.visionHiddenStates.contains(index + 1, of: count + 1) { trace.visionHiddenStates[index + 1] = patchOrder(hidden, axes: [0]).unsqueezed(axis: 0) }
        }
        return patchOrder(hidden, axes: [0])
    }

    /// The first image's attention [heads, N, N] from per-segment probabilities: the first segment, or
    /// for windowed blocks the block-diagonal of the first image's windows (zeros between windows).
    func firstImageAttention(_ probabilities: [Tensor], lengths: [Int], imagePatches: Int, windowed: Bool) -> Tensor? {
        guard let first = probabilities.first else { return nil }
        guard windowed else { return first }
        var blocks: [Tensor] = []
        var start = 0
        for (length, window) in zip(lengths, probabilities) where start < imagePatches {
            // A window's rows padded with zeros to the image's width, at its columns.
            blocks.append(window.padded([start, imagePatches - start - length]))
            start += length
        }
        return Tensor.cat(blocks, axis: 1)
    }
}

/// Names `patch_embed.proj.weight`.
final class Qwen2VLPatchEmbedView: Module {
    let embedding: Qwen2VLPatchEmbedding
    init(_ embedding: Qwen2VLPatchEmbedding) { self.embedding = embedding }
    var children: [(name: String, module: any Module)] { [("proj", embedding)] }
}
