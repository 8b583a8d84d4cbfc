import LucidNN
import LucidTensor

/// InstructBLIP's ViT (`vision_model`: embeddings with a learned class token and position table,
/// pre-LN layers with a fused `qkv` and `projection`, `post_layernorm` on every position).
public final class InstructBlipVisionModel: Module {
    public let config: InstructBlipVisionConfig
    public let classEmbedding: Parameter
    public let patchEmbedding: Conv2d
    public let positionEmbedding: Parameter
    public let layers: ModuleList<InstructBlipVisionLayer>
    public let postLayernorm: LayerNorm

    init(_ config: InstructBlipVisionConfig) throws(ModelConfigError) {
        try config.validate()
        self.config = config
        let width = config.hiddenSize
        classEmbedding = Parameter(ParameterInitialization.tensor([1, 1, width]) { Tensor.zeros([1, 1, width]) })
        patchEmbedding = Conv2d(inChannels: 3, outChannels: width, kernelSize: (config.patchSize, config.patchSize),
                                stride: (config.patchSize, config.patchSize))
        let positions = config.patchCount + 1
        positionEmbedding = Parameter(ParameterInitialization.tensor([1, positions, width]) { Tensor.zeros([1, positions, width]) })
        layers = ModuleList((0..<config.numHiddenLayers).map { _ in InstructBlipVisionLayer(config) })
        postLayernorm = LayerNorm(dimension: width, eps: config.layerNormEps)
    }

    public var children: [(name: String, module: any Module)] {
        [("embeddings", InstructBlipVisionEmbeddingsView(self)), ("encoder", InstructBlipEncoderView(layers: layers)),
         ("post_layernorm", postLayernorm)]
    }

    /// Pixel values [B, 3, S, S] → the post-normed last hidden state [B, 1 + patches, D].
    func callAsFunction(_ pixels: Tensor, options: ForwardOptions, trace: ForwardTrace) -> Tensor {
        let b = pixels.size(0)
        let weight = patchEmbedding.weight.value
        let patches = patchEmbedding(pixels.to(weight.dtype).to(weight.device)).flattened(from: 2).transposed(1, 2)
        let cls = classEmbedding.value.expanded([b, 1, config.hiddenSize])
        var hidden = Tensor.cat([cls, patches], axis: 1) + positionEmbedding.value
        let count = config.numHiddenLayers
        if options.visionHiddenStates.contains(0, of: count + 1) { trace.visionHiddenStates[0] = hidden }
        for (index, layer) in layers.items.enumerated() {
            let keep = options.visionAttentionLayers.contains(index, of: count)
            let keepQK = options.visionQueryKeyLayers.contains(index, of: count)
            let (attended, probabilities, queryKey) = layer.selfAttn(layer.layerNorm1(hidden), keepProbabilities: keep, keepQueryKey: keepQK)
            hidden = hidden + attended
            hidden = layer.mlpResidual(hidden)
            if let probabilities { trace.visionAttentions[index] = probabilities }
            if let queryKey { trace.visionQueries[index] = queryKey.0; trace.visionKeys[index] = queryKey.1 }
            if options.visionHiddenStates.contains(index + 1, of: count + 1) { trace.visionHiddenStates[index + 1] = hidden }
        }
        return postLayernorm(hidden)
    }
}

/// Names `embeddings.{class_embedding, patch_embedding, position_embedding}`.
final class InstructBlipVisionEmbeddingsView: Module {
    unowned let model: InstructBlipVisionModel
    init(_ model: InstructBlipVisionModel) { self.model = model }
    var parameters: [(name: String, parameter: Parameter)] {
        [("class_embedding", model.classEmbedding), ("position_embedding", model.positionEmbedding)]
    }
    var children: [(name: String, module: any Module)] { [("patch_embedding", model.patchEmbedding)] }
}

/// Names `encoder.layers.N`.
final class InstructBlipEncoderView: Module {
    let layers: ModuleList<InstructBlipVisionLayer>
    init(layers: ModuleList<InstructBlipVisionLayer>) { self.layers = layers }
    var children: [(name: String, module: any Module)] { [("layers", layers)] }
}

/// One ViT layer (`self_attn.qkv`, `self_attn.projection`, `layer_norm1/2`, `mlp.fc1/fc2`).
public typealias InstructBlipVisionLayer = ViTEncoderLayer<InstructBlipVisionAttention>

extension ViTEncoderLayer where Attention == InstructBlipVisionAttention {
    convenience init(_ config: InstructBlipVisionConfig) {
        self.init(attention: InstructBlipVisionAttention(config), hiddenSize: config.hiddenSize,
                  intermediateSize: config.intermediateSize, layerNormEps: config.layerNormEps, act: config.hiddenAct)
    }
}

/// Bidirectional attention with a fused q/k/v projection (its bias holds q's and v's, k's is zero).
public final class InstructBlipVisionAttention: FusedAttentionModule {
    public let qkv: Linear
    public let projection: Linear
    let heads: Int
    let headDim: Int
    /// Passes that keep no probabilities run libtorch's fused kernel, as transformers' sdpa (`FusedAttentionModule`).
    public var fusedAttention = false

    init(_ config: InstructBlipVisionConfig) {
        qkv = Linear(inFeatures: config.hiddenSize, outFeatures: 3 * config.hiddenSize)
        projection = Linear(inFeatures: config.hiddenSize, outFeatures: config.hiddenSize)
        heads = config.numAttentionHeads
        headDim = config.hiddenSize / config.numAttentionHeads
    }

    public var children: [(name: String, module: any Module)] { [("qkv", qkv), ("projection", projection)] }

    /// x [B, N, D] → (output [B, N, D], probabilities [B, H, N, N] if kept, full-width q and k [B, N, D] if kept).
    func callAsFunction(_ x: Tensor, keepProbabilities: Bool, keepQueryKey: Bool = false) -> (Tensor, Tensor?, (Tensor, Tensor)?) {
        let (b, n) = (x.size(0), x.size(1))
        let parts = qkv(x).reshaped([b, n, 3, heads, headDim]).permuted(2, 0, 3, 1, 4)
        let (q, k, v) = (parts.selected(axis: 0, index: 0), parts.selected(axis: 0, index: 1), parts.selected(axis: 0, index: 2))
        let (attended, probabilities): (Tensor, Tensor?) = fusedAttention && !keepProbabilities
            ? (ScaledDotProductAttention.fused(query: q, key: k, value: v), nil)
            : ScaledDotProductAttention.attend(query: q, key: k, value: v)
        let context = attended.transposed(1, 2).reshaped([b, n, heads * headDim])
        let queryKey = keepQueryKey ? (q.transposed(1, 2).reshaped([b, n, heads * headDim]), k.transposed(1, 2).reshaped([b, n, heads * headDim])) : nil
        return (projection(context), keepProbabilities ? probabilities : nil, queryKey)
    }
}

/// BERT-style attention of the Q-Former (`attention.{query,key,value}`, `output.{dense,LayerNorm}`):
/// self-attention, or cross-attention to the image when keys come from the ViT.
public final class InstructBlipQFormerAttention: FusedAttentionModule {
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let dense: Linear
    public let layerNorm: LayerNorm
    let heads: Int
    let headDim: Int

    /// Runs libtorch's fused kernel, as transformers' sdpa (`FusedAttentionModule`).
    public var fusedAttention = false

    init(_ config: InstructBlipQFormerConfig, crossAttention: Bool) {
        let kvWidth = crossAttention ? config.encoderHiddenSize : config.hiddenSize
        query = Linear(inFeatures: config.hiddenSize, outFeatures: config.hiddenSize)
        key = Linear(inFeatures: kvWidth, outFeatures: config.hiddenSize)
        value = Linear(inFeatures: kvWidth, outFeatures: config.hiddenSize)
        dense = Linear(inFeatures: config.hiddenSize, outFeatures: config.hiddenSize)
        layerNorm = LayerNorm(dimension: config.hiddenSize, eps: config.layerNormEps)
        heads = config.numAttentionHeads
        headDim = config.hiddenSize / config.numAttentionHeads
    }

    public var children: [(name: String, module: any Module)] {
        [("attention", QFormerQKVView(self)), ("output", QFormerOutputView(dense: dense, layerNorm: layerNorm))]
    }

    /// x [B, T, H] attending to `context` [B, S, H_kv] (x itself for self-attention): LN(dense(attn) + x).
    func callAsFunction(_ x: Tensor, context: Tensor) -> Tensor {
        let (b, t, s) = (x.size(0), x.size(1), context.size(1))
        let q = query(x).reshaped([b, t, heads, headDim]).transposed(1, 2)
        let k = key(context).reshaped([b, s, heads, headDim]).transposed(1, 2)
        let v = value(context).reshaped([b, s, heads, headDim]).transposed(1, 2)
        let output = fusedAttention ? ScaledDotProductAttention.fused(query: q, key: k, value: v)
            : ScaledDotProductAttention.attend(query: q, key: k, value: v).output
        let attended = output.transposed(1, 2).reshaped([b, t, heads * headDim])
        return layerNorm(dense(attended) + x)
    }
}

/// Names `attention.{query,key,value}`.
final class QFormerQKVView: Module {
    unowned let attention: InstructBlipQFormerAttention
    init(_ attention: InstructBlipQFormerAttention) { self.attention = attention }
    var children: [(name: String, module: any Module)] {
        [("query", attention.query), ("key", attention.key), ("value", attention.value)]
    }
}

/// Names `dense` and `LayerNorm` (BERT's output blocks).
final class QFormerOutputView: Module {
    let dense: Linear
    let layerNorm: LayerNorm
    init(dense: Linear, layerNorm: LayerNorm) {
        self.dense = dense
        self.layerNorm = layerNorm
    }
    var children: [(name: String, module: any Module)] { [("dense", dense), ("LayerNorm", layerNorm)] }
    func callAsFunction(_ hidden: Tensor, residual: Tensor) -> Tensor { layerNorm(dense(hidden) + residual) }
}

/// A BERT feed-forward block (`intermediate.dense`, `output.{dense,LayerNorm}`).
final class QFormerFeedForward {
    let intermediate: Linear
    let output: QFormerOutputView
    let act: String

    init(_ config: InstructBlipQFormerConfig) {
        intermediate = Linear(inFeatures: config.hiddenSize, outFeatures: config.intermediateSize)
        output = QFormerOutputView(dense: Linear(inFeatures: config.intermediateSize, outFeatures: config.hiddenSize),
                                   layerNorm: LayerNorm(dimension: config.hiddenSize, eps: config.layerNormEps))
        act = config.hiddenAct
    }

    func callAsFunction(_ x: Tensor) -> Tensor { output(activation(act, intermediate(x)), residual: x) }
}

/// Names `dense` under `intermediate` / `intermediate_query`.
final class QFormerDenseView: Module {
    let dense: Linear
    init(_ dense: Linear) { self.dense = dense }
    var children: [(name: String, module: any Module)] { [("dense", dense)] }
}

/// One Q-Former layer: self-attention over queries and instruction; cross-attention of the queries to
/// the image on every `cross_attention_frequency`-th layer; separate feed-forward blocks for queries
/// (`*_query`) and instruction tokens.
public final class InstructBlipQFormerLayer: Module {
    public let attention: InstructBlipQFormerAttention
    public let crossAttention: InstructBlipQFormerAttention?
    let feedForward: QFormerFeedForward
    let feedForwardQuery: QFormerFeedForward

    init(_ config: InstructBlipQFormerConfig, index: Int) {
        attention = InstructBlipQFormerAttention(config, crossAttention: false)
        crossAttention = index % config.crossAttentionFrequency == 0 ? InstructBlipQFormerAttention(config, crossAttention: true) : nil
        feedForward = QFormerFeedForward(config)
        feedForwardQuery = QFormerFeedForward(config)
    }

    public var children: [(name: String, module: any Module)] {
        var result: [(name: String, module: any Module)] = [("attention", attention)]
        if let crossAttention { result.append(("crossattention", crossAttention)) }
        result += [("intermediate", QFormerDenseView(feedForward.intermediate)), ("output", feedForward.output),
                   ("intermediate_query", QFormerDenseView(feedForwardQuery.intermediate)), ("output_query", feedForwardQuery.output)]
        return result
    }

    /// hidden [B, Q + T, H] (queries first), image [B, N, D_vision] → [B, Q + T, H].
    func callAsFunction(_ hidden: Tensor, image: Tensor, queryCount: Int) -> Tensor {
        let attended = attention(hidden, context: hidden)
        var queries = attended.narrowed(axis: 1, start: 0, length: queryCount)
        if let crossAttention { queries = crossAttention(queries, context: image) }
        let queryOutput = feedForwardQuery(queries)
        let textCount = attended.size(1) - queryCount
        guard textCount > 0 else { return queryOutput }
        return Tensor.cat([queryOutput, feedForward(attended.narrowed(axis: 1, start: queryCount, length: textCount))], axis: 1)
    }
}
