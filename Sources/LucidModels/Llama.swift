import Foundation
import LucidNN
import LucidTensor

/// Multi-head self-attention with grouped key/value heads, RoPE and an explicit softmax, so the
/// attention probabilities can be captured (Hugging Face `LlamaAttention`, eager path).
public final class LlamaAttention: Module {
    public let qProj: Linear
    public let kProj: Linear
    public let vProj: Linear
    public let oProj: Linear
    /// Qwen3's per-head RMS norms of the queries and keys (before RoPE); nil elsewhere.
    public let qNorm: RMSNorm?
    public let kNorm: RMSNorm?
    let heads: Int
    let kvHeads: Int
    let headDim: Int

    init(_ config: LlamaConfig) {
        heads = config.numAttentionHeads
        kvHeads = config.numKeyValueHeads
        headDim = config.headDim
        qProj = Linear(inFeatures: config.hiddenSize, outFeatures: heads * headDim, bias: config.qkvBias)
        kProj = Linear(inFeatures: config.hiddenSize, outFeatures: kvHeads * headDim, bias: config.qkvBias)
        vProj = Linear(inFeatures: config.hiddenSize, outFeatures: kvHeads * headDim, bias: config.qkvBias)
        oProj = Linear(inFeatures: heads * headDim, outFeatures: config.hiddenSize, bias: config.outputBias)
        qNorm = config.qkNorm ? RMSNorm(dimension: headDim, eps: config.rmsNormEps) : nil
        kNorm = config.qkNorm ? RMSNorm(dimension: headDim, eps: config.rmsNormEps) : nil
    }

    public var children: [(name: String, module: any Module)] {
        [("q_proj", qProj), ("k_proj", kProj), ("v_proj", vProj), ("o_proj", oProj)]
            + [("q_norm", qNorm), ("k_norm", kNorm)].compactMap { name, norm in norm.map { (name, $0 as any Module) } }
    }

    /// x: [B, T, D] → ([B, T, D], probabilities [B, H, T, S] when `keepProbabilities`). `fused`: how
    /// libtorch's fused kernel may run this pass when no probabilities are kept
    /// (`LlamaForCausalLM.fusedAttention`): plain causal over x alone, or under a boolean mask.
    ///
    /// `causalKeys`: query i of this pass sees no key after cache position past + i, and sees some key
    /// (an unpadded pass that is not OPERA's parallel candidates), so a block of query rows reads only
    /// the keys up to its last row. A padding row sees no key at all: its softmax spreads over every
    /// key, as transformers' does, so padded passes read them all.
    func callAsFunction(_ x: Tensor, rope: (cos: Tensor, sin: Tensor), mask: Tensor?, cache: KVCache?, layer: Int,
                        keepProbabilities: Bool, fused: FusedAttentionPass? = nil, causalKeys: Bool = false) -> (Tensor, Tensor?) {
        let (b, t) = (x.size(0), x.size(1))
        var q = qProj(x).reshaped(b, t, heads, headDim)
        var k = kProj(x).reshaped(b, t, kvHeads, headDim)
        if let qNorm, let kNorm { (q, k) = (qNorm(q), kNorm(k)) }
        q = q.transposed(1, 2)
        k = k.transposed(1, 2)
        var v = vProj(x).reshaped(b, t, kvHeads, headDim).transposed(1, 2)
        q = RotaryEmbedding.apply(q, cos: rope.cos, sin: rope.sin)
        k = RotaryEmbedding.apply(k, cos: rope.cos, sin: rope.sin)
        if let cache { (k, v) = cache.append(layer: layer, keys: k, values: v) }
        // transformers' `head_dim ** -0.5`, multiplied. A division by √d rounds differently (in f16 about
        // one score in a thousand, in f32 four in ten, by one step); f32 keeps the division, with which its
        // goldens, the organisms' recorded results and the bit-for-bit retraining fixtures (two CPU
        // families) were made, as it keeps the explicit softmax (docs/engine.md).
        let scale = Foundation.pow(Double(headDim), -0.5)
        let divides = q.dtype == .f32
        if let fused, !keepProbabilities {
            let context = switch fused {
            case .causal: Tensor.causalAttention(query: q, key: k, value: v, scale: scale)
            case .masked(let allowed): Tensor.maskedAttention(query: q, key: k, value: v, mask: allowed, scale: scale)
            }
            return (oProj(context.transposed(1, 2).reshaped(b, t, heads * headDim)), nil)
        }
        let s = k.size(2)
        // Grouped-query attention without repeating keys and values (transformers' repeat_kv copies
        // them for every query head): the query heads that share a key/value head (head h reads
        // key/value head h / groups) are stacked on the query axis, [B, kvHeads, groups·n, D], so each
        // product reads the cache once. Each score and context entry is the same dot product as with
        // repeated heads; nothing of size S is copied per step.
        let groups = heads / kvHeads
        func attend(start: Int, rows n: Int) -> (context: Tensor, probabilities: Tensor) {
            let block = n == t ? q : q.narrowed(axis: 2, start: start, length: n)
            let grouped = groups > 1 ? block.reshaped(b, kvHeads, groups * n, headDim) : block
            // A block before the last reads the keys up to its last row: the later ones are masked, their
            // probabilities exactly 0, so leaving them out changes no sum but the kernel's order.
            let keys = n == t || !causalKeys ? s : s - t + start + n
            let (blockKeys, blockValues) = keys == s ? (k, v) : (k.narrowed(axis: 2, start: 0, length: keys), v.narrowed(axis: 2, start: 0, length: keys))
            let products = grouped.matmul(blockKeys.mT)
            var scores = (divides ? products / Double(headDim).squareRoot() : products * scale).reshaped(b, heads, n, keys)
            if let mask {
                var rows = n == t ? mask : mask.narrowed(axis: mask.rank - 2, start: start, length: n)
                if keys != s { rows = rows.narrowed(axis: rows.rank - 1, start: 0, length: keys) }
                scores = scores + rows
            }
            let probabilities = scores.softmax(axis: -1, computeIn: .f32).to(q.dtype)
            let weights = groups > 1 ? probabilities.reshaped(b, kvHeads, groups * n, keys) : probabilities
            return (weights.matmul(blockValues).reshaped(b, heads, n, headDim), probabilities)
        }
        // A long prompt without probabilities to keep goes in blocks of query rows, its f32 scores within
        // `ScaledDotProductAttention.scoreBudget` a block (a 16k-token image prompt in f32 would
        // otherwise need [heads, 16k, 16k] scores, 30 GB for 28 heads); short ones are one block.
        let rows = keepProbabilities ? t : ScaledDotProductAttention.blockRows(
            queries: t, keys: s, batch: b * heads, scoreBudget: ScaledDotProductAttention.scoreBudget)
        var probabilities: Tensor?
        let attended: Tensor
        if rows >= t {
            let whole = attend(start: 0, rows: t)
            (attended, probabilities) = (whole.context, keepProbabilities ? whole.probabilities : nil)
        } else {
            // Only the contexts are kept: each block's scores are freed before the next is computed.
            attended = ScaledDotProductAttention.inBlocks(of: t, block: rows, axis: 2) { attend(start: $0, rows: $1).context }
        }
        let context = attended.transposed(1, 2).reshaped(b, t, heads * headDim)
        return (oProj(context), probabilities)
    }
}

/// How a pass runs libtorch's fused attention kernel: plain causal (`is_causal`, an unpadded prompt),
/// or under a boolean mask [B, 1, T, S] (true = attend: a left-padded prompt, as transformers' sdpa
/// runs it).
enum FusedAttentionPass {
    case causal
    case masked(Tensor)
}

/// The SwiGLU feed-forward block: down(silu(gate(x)) · up(x)).
public final class LlamaMLP: Module {
    public let gateProj: Linear
    public let upProj: Linear
    public let downProj: Linear

    init(_ config: LlamaConfig) {
        gateProj = Linear(inFeatures: config.hiddenSize, outFeatures: config.intermediateSize, bias: false)
        upProj = Linear(inFeatures: config.hiddenSize, outFeatures: config.intermediateSize, bias: false)
        downProj = Linear(inFeatures: config.intermediateSize, outFeatures: config.hiddenSize, bias: false)
    }

    public var children: [(name: String, module: any Module)] {
        [("gate_proj", gateProj), ("up_proj", upProj), ("down_proj", downProj)]
    }

    func callAsFunction(_ x: Tensor) -> Tensor { downProj(gateProj(x).silu() * upProj(x)) }
}

/// One pre-norm decoder block: x + attn(norm(x)), then x + mlp(norm(x)).
public final class LlamaDecoderLayer: Module {
    public let selfAttn: LlamaAttention
    public let mlp: LlamaMLP
    public let inputLayernorm: RMSNorm
    public let postAttentionLayernorm: RMSNorm

    init(_ config: LlamaConfig) {
        selfAttn = LlamaAttention(config)
        mlp = LlamaMLP(config)
        inputLayernorm = RMSNorm(dimension: config.hiddenSize, eps: config.rmsNormEps)
        postAttentionLayernorm = RMSNorm(dimension: config.hiddenSize, eps: config.rmsNormEps)
    }

    public var children: [(name: String, module: any Module)] {
        [("self_attn", selfAttn), ("mlp", mlp), ("input_layernorm", inputLayernorm),
         ("post_attention_layernorm", postAttentionLayernorm)]
    }
}

/// The Llama decoder stack (Hugging Face `LlamaModel`: `embed_tokens`, `layers`, `norm`).
public final class LlamaModel: FusedAttentionModule {
    public let config: LlamaConfig
    public let embedTokens: Embedding
    public let layers: ModuleList<LlamaDecoderLayer>
    public let norm: RMSNorm
    let rope: RotaryEmbedding
    /// Whether a prompt's causal pass (no cache before it, no parallel candidates; left-padded or not)
    /// runs attention through libtorch's fused kernel where no layer's probabilities are captured. It
    /// never materialises the [T, T] scores: a 2,948-token LLaVA-OneVision prompt prefills 2–3× as
    /// fast in ~1 GB less (docs/engine.md). Its values are transformers' sdpa attention's, bit for bit
    /// in bf16/f16 on the fixtures; the explicit path's are eager attention's. Decoding steps (one new
    /// token) always use the explicit path. Off on a model built here; the loaders that take
    /// `ModelLoadOptions` set it from `ModelLoadOptions.fusedAttention` (on by default in bf16 and f16).
    public var fusedAttention = false

    public init(_ config: LlamaConfig) {
        self.config = config
        embedTokens = Embedding(count: config.vocabSize, dimension: config.hiddenSize)
        layers = ModuleList((0..<config.numHiddenLayers).map { _ in LlamaDecoderLayer(config) })
        norm = RMSNorm(dimension: config.hiddenSize, eps: config.rmsNormEps)
        rope = RotaryEmbedding(dimension: config.headDim, base: config.ropeTheta, scaling: config.ropeScaling)
    }

    public var children: [(name: String, module: any Module)] {
        [("embed_tokens", embedTokens), ("layers", layers), ("norm", norm)]
    }

    /// Runs input embeddings [B, T, D] through every layer; returns the final-normed hidden states.
    ///
    /// `paddingMask` [B, S] (true = attend) covers cached and new positions for left-padded batches.
    func forward(embeddings: Tensor, cache: KVCache?, options: ForwardOptions, trace: ForwardTrace,
                 paddingMask: Tensor? = nil) -> Tensor {
        let t = embeddings.size(1)
        let past = cache?.length ?? 0
        let count = config.numHiddenLayers
        let device = embeddings.device
        let padding = (paddingMask ?? options.paddingMask)?.to(device)
        let tables: (cos: Tensor, sin: Tensor)
        if let positions = options.positions?.to(device) {
            if positions.rank == 3 {
                precondition(config.mropeSection != nil, "M-RoPE positions [3, 1, T] need a decoder with mrope_section")
                tables = rope.tables(positions: positions, sections: config.mropeSection ?? [], dtype: embeddings.dtype)
            } else {
                tables = rope.tables(positions: positions, dtype: embeddings.dtype)
            }
            // A prompt's explicit positions ([T] or M-RoPE's [3, 1, T]) set where later tokens continue:
            // after the largest (M-RoPE's rope delta). Per-row [B, T] positions are the caller's to keep.
            if positions.rank != 2 { cache?.positionOffset = positions.max().intValue + 1 - (past + t) }
        } else {
            tables = rope.tables(start: past + (cache?.positionOffset ?? 0), count: options.parallelCandidates ? 1 : t,
                                 dtype: embeddings.dtype, device: device)
        }
        // Built on first use: a prompt whose every layer fuses needs no [T, T] mask (512 MB in bf16 at 16k tokens).
        lazy var mask = options.parallelCandidates
            ? Self.candidateMask(candidates: t, past: past, paddingMask: padding, dtype: embeddings.dtype, device: device)
            : Self.additiveMask(queries: t, past: past, paddingMask: padding, dtype: embeddings.dtype, device: device)
        // Sliding-window layers (Mistral, some Qwen2) read the mask with the window's hidden keys too,
        // where the window reaches back far enough to hide any; then they never fuse.
        lazy var windowMask = config.slidingWindow.flatMap {
            Self.slidingWindowHidden(queries: t, past: past, window: $0, parallelCandidates: options.parallelCandidates, device: device)
        }.map { Self.addingWindow($0, to: mask, dtype: embeddings.dtype, device: device) }
        let windowHides = config.slidingWindow.map {
            Self.slidingWindowHides(queries: t, past: past, window: $0, parallelCandidates: options.parallelCandidates)
        } ?? false
        let slidingLayers = windowHides ? Set(config.slidingWindowLayers) : []
        var hidden = embeddings
        // Decoding steps keep the explicit product: libtorch's CPU kernel is ~20× slower for one bf16
        // query over a long cache (docs/engine.md), as transformers' sdpa decoding is.
        // A left-padded prompt fuses under the causal-and-padding mask in boolean form, as transformers'
        // sdpa takes it (a padding row attends nowhere and gets zeros, where the explicit softmax spreads
        // it over every key; no real row reads a padding position either way). A mask without padding is
        // plain causal, as transformers skips it then.
        var fusedPass: FusedAttentionPass?
        if fusedAttention && t > 1 && past == 0 && !options.parallelCandidates {
            if let padding, !padding.all().boolValue {
                fusedPass = .masked(Self.allowedMask(queries: t, paddingMask: padding, device: device))
            } else {
                fusedPass = .causal
            }
        }
        if options.hiddenStates.contains(0, of: count + 1) { trace.hiddenStates[0] = hidden }
        for (index, layer) in layers.items.enumerated() {
            let keep = options.attentionLayers.contains(index, of: count)
            let windowed = slidingLayers.contains(index)
            let fused = windowed || keep ? nil : fusedPass
            let (attended, probabilities) = layer.selfAttn(layer.inputLayernorm(hidden), rope: tables,
                                                           mask: fused != nil ? nil : windowed ? windowMask : mask,
                                                           cache: cache, layer: index, keepProbabilities: keep, fused: fused,
                                                           causalKeys: !options.parallelCandidates && padding == nil)
            if let probabilities {
                switch options.attentionReduction {
                case .none: trace.attentions[index] = probabilities
                case .mean: trace.attentions[index] = probabilities.mean(axis: 1, keepDims: true)
                case .max: trace.attentions[index] = probabilities.max(axis: 1, keepDims: true)
                }
            }
            hidden = hidden + attended
            hidden = hidden + layer.mlp(layer.postAttentionLayernorm(hidden))
            for intervention in options.interventions where Self.layerIndex(intervention.layer, count) == index {
                hidden = Self.apply(intervention, to: hidden, past: past)
            }
            if index + 1 < count, options.hiddenStates.contains(index + 1, of: count + 1) {
                trace.hiddenStates[index + 1] = hidden
            }
        }
        let normed = norm(hidden)
        if options.hiddenStates.contains(count, of: count + 1) { trace.hiddenStates[count] = normed }
        return normed
    }

    static func layerIndex(_ index: Int, _ count: Int) -> Int { index < 0 ? index + count : index }

    /// Causal (and optional padding) mask added to scores: 0 where allowed, the dtype's lowest
    /// finite value elsewhere (as Hugging Face does); nil when nothing is masked.
    static func additiveMask(queries t: Int, past: Int, paddingMask: Tensor?, dtype: DType, device: Device = .cpu) -> Tensor? {
        if t == 1 && paddingMask == nil { return nil }
        let s = past + t
        var blocked = Tensor.ones([t, s], dtype: .bool, device: device).upperTriangle(diagonal: past + 1)
        if let paddingMask {
            blocked = blocked.unsqueezed(axis: 0).logicalOr(paddingMask.logicalNot().unsqueezed(axis: 1)).unsqueezed(axis: 1)
        }
        return Tensor.zeros(blocked.shape, dtype: dtype, device: device).maskedFill(blocked, lowestFinite(dtype))
    }

    /// The boolean mask [B, 1, T, T] of a left-padded prompt (no cache before it) for the fused kernel:
    /// true where query i may read key j, that is j ≤ i and j is not padding (`paddingMask` [B, T]).
    static func allowedMask(queries t: Int, paddingMask: Tensor, device: Device) -> Tensor {
        let causal = Tensor.ones([t, t], dtype: .bool, device: device).lowerTriangle()
        return causal.unsqueezed(axis: 0).logicalAnd(paddingMask.unsqueezed(axis: 1)).unsqueezed(axis: 1)
    }

    /// Mask of `parallelCandidates`: candidate i sees the `past` cached positions and itself.
    static func candidateMask(candidates t: Int, past: Int, paddingMask: Tensor?, dtype: DType, device: Device = .cpu) -> Tensor? {
        if t == 1 && paddingMask == nil { return nil }
        let others = Tensor.eye(t).logicalNot().to(device)
        var blocked = past > 0 ? Tensor.cat([Tensor.zeros([t, past], dtype: .bool, device: device), others], axis: 1) : others
        if let paddingMask {
            blocked = blocked.unsqueezed(axis: 0).logicalOr(paddingMask.logicalNot().unsqueezed(axis: 1)).unsqueezed(axis: 1)
        }
        return Tensor.zeros(blocked.shape, dtype: dtype, device: device).maskedFill(blocked, lowestFinite(dtype))
    }

    static func lowestFinite(_ dtype: DType) -> Double {
        switch dtype {
        case .f16: return -65504
        case .bf16: return -3.3895313892515355e38
        case .f64: return -Double.greatestFiniteMagnitude
        default: return -Double(Float.greatestFiniteMagnitude)
        }
    }

    static func apply(_ intervention: ResidualIntervention, to hidden: Tensor, past: Int) -> Tensor {
        let t = hidden.size(1)
        switch intervention.positions {
        case .all:
            return intervention.transform(hidden, Array(past..<(past + t)))
        case .last:
            let last = hidden.narrowed(axis: 1, start: t - 1, length: 1)
            let replaced = intervention.transform(last, [past + t - 1])
            return t == 1 ? replaced : Tensor.cat([hidden.narrowed(axis: 1, start: 0, length: t - 1), replaced], axis: 1)
        case .positions(let absolute):
            let relative = absolute.map { $0 - past }.filter { $0 >= 0 && $0 < t }
            if relative.isEmpty { return hidden }
            let index = Tensor(relative).to(hidden.device)
            let replaced = intervention.transform(hidden.indexSelect(axis: 1, index: index), relative.map { $0 + past })
            return hidden.indexCopying(axis: 1, index: index, source: replaced)
        }
    }
}

/// A Llama-family causal language model (Hugging Face `LlamaForCausalLM`: `model`, `lm_head`).
public final class LlamaForCausalLM: Module, CausalLanguageModel {
    public let config: LlamaConfig
    public let model: LlamaModel
    /// The output projection, or nil when tied to the input embedding.
    public let lmHead: Linear?

    public init(_ config: LlamaConfig) throws(ModelConfigError) {
        try config.validate()
        if !ParameterInitialization.isDeferring { try ConfigBudget.requireMemory(parameters: config.parameterEstimate, what: "the language model") }
        self.config = config
        model = LlamaModel(config)
        lmHead = config.tieWordEmbeddings ? nil : Linear(inFeatures: config.hiddenSize, outFeatures: config.vocabSize, bias: false)
    }

    public var children: [(name: String, module: any Module)] {
        var list: [(name: String, module: any Module)] = [("model", model)]
        if let lmHead { list.append(("lm_head", lmHead)) }
        return list
    }

    public var vocabularySize: Int { config.vocabSize }
    public var layerCount: Int { config.numHiddenLayers }
    public var hiddenSize: Int { config.hiddenSize }
    /// `LlamaModel.fusedAttention`: prompts through libtorch's fused attention kernel.
    public var fusedAttention: Bool {
        get { model.fusedAttention }
        set { model.fusedAttention = newValue }
    }

    public var contextLength: Int? { config.maxPositionEmbeddings }

    public func makeCache() -> KVCache { KVCache(layerCount: config.numHiddenLayers) }

    /// Token embeddings [B, T, D] for ids [B, T].
    public func embed(_ tokens: Tensor) -> Tensor { model.embedTokens(tokens) }

    /// Logits for hidden states [B, T, D].
    public func project(_ hidden: Tensor) -> Tensor {
        if let lmHead { return lmHead(hidden) }
        return hidden.linear(weight: model.embedTokens.weight.value)
    }

    public func forward(tokens: Tensor, cache: KVCache?, options: ForwardOptions) -> ForwardTrace {
        forward(embeddings: embed(tokens), cache: cache, options: options)
    }

    public func vocabularyLogits(_ hidden: Tensor) -> Tensor { project(hidden) }

    public func forward(embeddings: Tensor, cache: KVCache?, options: ForwardOptions) -> ForwardTrace {
        forward(embeddings: embeddings, cache: cache, options: options, paddingMask: nil)
    }

    /// Final-normed hidden states [B, T, D] for input embeddings [B, T, D], without the vocabulary
    /// projection: training computes logits only where there are targets (see `project`).
    public func hiddenStates(embeddings: Tensor, paddingMask: Tensor? = nil) -> Tensor {
        model.forward(embeddings: embeddings, cache: nil, options: ForwardOptions(logits: .none), trace: ForwardTrace(),
                      paddingMask: paddingMask)
    }

    /// Runs input embeddings [B, T, D]; `paddingMask` [B, S] (true = attend) for left-padded batches.
    public func forward(embeddings: Tensor, cache: KVCache?, options: ForwardOptions, paddingMask: Tensor?) -> ForwardTrace {
        let trace = ForwardTrace()
        let hidden = model.forward(embeddings: embeddings, cache: cache, options: options, trace: trace, paddingMask: paddingMask)
        switch options.logits {
        case .all: trace.logits = project(hidden)
        case .last: trace.logits = project(hidden.narrowed(axis: 1, start: hidden.size(1) - 1, length: 1))
        case .none: break
        }
        return trace
    }
}
