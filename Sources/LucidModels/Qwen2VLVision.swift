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
}

/// Qwen2-VL's 3-D patch embedding (`patch_embed.proj`, a bias-free Conv3d whose stride is its kernel),
/// applied as one matrix product over flattened patches [N, C·T·P·P].
public final class Qwen2VLPatchEmbedding: Module {
    public let weight: Parameter
    let inFeatures: Int

    init(_ config: Qwen2VLVisionConfig) {
        let shape = [config.embedDim, config.inChannels, config.temporalPatchSize, config.patchSize, config.patchSize]
        weight = Parameter(ParameterInitialization.tensor(shape) { Tensor.randn(shape) * 0.02 })
        inFeatures = config.patchValues
    }

    public var parameters: [(name: String, parameter: Parameter)] { [("weight", weight)] }

    func callAsFunction(_ patches: Tensor) -> Tensor {
        let matrix = weight.value.reshaped([weight.value.size(0), inFeatures])
        return patches.to(matrix.dtype).matmul(matrix.mT)
    }
}

/// Bidirectional attention of a Qwen2-VL vision block (`attn.qkv`, `attn.proj`) with 2-D rotary
/// positions, each image attending only to itself.
public final class Qwen2VLVisionAttention: Module {
    public let qkv: Linear
    public let proj: Linear
    let heads: Int
    let headDim: Int

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
            let (attended, probabilities) = ScaledDotProductAttention.attend(query: qi, key: ki, value: vi, softmaxIn: .f32)
            if keepProbabilities { kept.append(probabilities) }
            outputs.append(attended.transposed(0, 1))
            start += length
        }
        return (proj(Tensor.cat(outputs, axis: 0).reshaped([n, heads * headDim])), kept)
    }
}

/// One pre-LN block of the Qwen2-VL tower (`norm1`, `attn`, `norm2`, `mlp.fc1`, `mlp.fc2`).
public final class Qwen2VLVisionBlock: Module {
    public let norm1: LayerNorm
    public let attn: Qwen2VLVisionAttention
    public let norm2: LayerNorm
    public let fc1: Linear
    public let fc2: Linear
    let act: String

    init(_ config: Qwen2VLVisionConfig) {
        norm1 = LayerNorm(dimension: config.embedDim, eps: 1e-6)
        attn = Qwen2VLVisionAttention(config)
        norm2 = LayerNorm(dimension: config.embedDim, eps: 1e-6)
        fc1 = Linear(inFeatures: config.embedDim, outFeatures: config.mlpWidth)
        fc2 = Linear(inFeatures: config.mlpWidth, outFeatures: config.embedDim)
        act = config.hiddenAct
    }

    public var children: [(name: String, module: any Module)] {
        [("norm1", norm1), ("attn", attn), ("norm2", norm2), ("mlp", CLIPMLPView(fc1: fc1, fc2: fc2))]
    }
}

/// The 2 × 2 patch merger (`merger.ln_q`, `merger.mlp.0`, `merger.mlp.2`): four neighbouring patch
/// features, normalised and concatenated, through a GELU MLP into the language model's width.
public final class Qwen2VLPatchMerger: Module {
    public let lnQ: LayerNorm
    public let linear1: Linear
    public let linear2: Linear
    let width: Int

    init(_ config: Qwen2VLVisionConfig) {
        width = config.embedDim * config.spatialMergeSize * config.spatialMergeSize
        lnQ = LayerNorm(dimension: config.embedDim, eps: 1e-6)
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

/// The Qwen2-VL vision tower (`visual`): patch embedding, blocks with 2-D RoPE, patch merger.
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

    /// The blocks' output [Σ t·h·w, D_vision] (what the merger reads) of flattened patches of `grids`.
    public func encode(_ patches: Tensor, grids: [Qwen2VLGrid], options: ForwardOptions = ForwardOptions(),
                       trace: ForwardTrace = ForwardTrace()) -> Tensor {
        let (rows, columns) = patchPositions(grids)
        let inverse = rope.inverseFrequencies.unsqueezed(axis: 0)
        let rowFreqs = Tensor(rows, shape: [rows.count, 1]).to(.f32) * inverse
        let columnFreqs = Tensor(columns, shape: [columns.count, 1]).to(.f32) * inverse
        let half = Tensor.cat([rowFreqs, columnFreqs], axis: -1)
        let angles = Tensor.cat([half, half], axis: -1)
        let (cos, sin) = (angles.cos(), angles.sin())
        let lengths = grids.flatMap { grid in [Int](repeating: grid.h * grid.w, count: grid.t) }
        var hidden = patchEmbed(patches)
        let count = config.depth
        if options.visionHiddenStates.contains(0, of: count + 1) { trace.visionHiddenStates[0] = hidden }
        for (index, block) in blocks.items.enumerated() {
            let keep = options.visionAttentionLayers.contains(index, of: count)
            let (attended, probabilities) = block.attn(block.norm1(hidden), cos: cos, sin: sin, lengths: lengths, keepProbabilities: keep)
            hidden = hidden + attended
            hidden = hidden + block.fc2(activation(block.act, block.fc1(block.norm2(hidden))))
            if keep, let first = probabilities.first { trace.visionAttentions[index] = first.unsqueezed(axis: 0) }
            if options.visionHiddenStates.contains(index + 1, of: count + 1) { trace.visionHiddenStates[index + 1] = hidden }
        }
        return hidden
    }
}

/// Names `patch_embed.proj.weight`.
final class Qwen2VLPatchEmbedView: Module {
    let embedding: Qwen2VLPatchEmbedding
    init(_ embedding: Qwen2VLPatchEmbedding) { self.embedding = embedding }
    var children: [(name: String, module: any Module)] { [("proj", embedding)] }
}
