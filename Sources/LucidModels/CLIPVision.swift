import Foundation
import LucidFiles
import LucidNN
import LucidTensor

/// Hyper-parameters of a CLIP vision tower (Hugging Face `CLIPVisionConfig`; defaults as transformers'),
/// or of a SigLIP one (`SiglipVisionConfig`, `model_type` `siglip_vision_model`: LLaVA-OneVision's tower).
///
/// The two ViTs share their encoder layers and key names; SigLIP's has no class token and no
/// pre-encoder LayerNorm, and its patch convolution has a bias. SigLIP's pooling head (`head.*`,
/// absent where `vision_use_head` is false) is not built: no LLaVA-family model reads it.
public struct CLIPVisionConfig: Codable, Sendable, Equatable {
    /// Which of the two ViTs: Hugging Face's `model_type` of the vision config.
    public enum Variant: String, Sendable, Codable {
        case clip = "clip_vision_model", siglip = "siglip_vision_model"
    }

    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var imageSize: Int
    public var patchSize: Int
    public var numChannels: Int
    public var layerNormEps: Double
    /// `quick_gelu` (OpenAI CLIP) or `gelu` (exact) / `gelu_pytorch_tanh`.
    public var hiddenAct: String
    /// CLIP (class token, pre-LN) or SigLIP (neither).
    public var variant: Variant

    public init(hiddenSize: Int = 768, intermediateSize: Int = 3072, numHiddenLayers: Int = 12, numAttentionHeads: Int = 12,
                imageSize: Int = 224, patchSize: Int = 32, numChannels: Int = 3, layerNormEps: Double = 1e-5,
                hiddenAct: String = "quick_gelu", variant: Variant = .clip) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.numChannels = numChannels
        self.layerNormEps = layerNormEps
        self.hiddenAct = hiddenAct
        self.variant = variant
    }

    /// transformers' `SiglipVisionConfig` defaults (patch 16, tanh GELU, ε 1e-6).
    public static func siglipDefaults() -> CLIPVisionConfig {
        CLIPVisionConfig(patchSize: 16, layerNormEps: 1e-6, hiddenAct: "gelu_pytorch_tanh", variant: .siglip)
    }

    /// Whether the tower prepends a class token to its patches (CLIP's; SigLIP has none).
    public var hasClassToken: Bool { variant == .clip }

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", imageSize = "image_size", patchSize = "patch_size"
        case numChannels = "num_channels", layerNormEps = "layer_norm_eps", hiddenAct = "hidden_act", modelType = "model_type"
    }

    /// Any `model_type` but `siglip_vision_model` reads as CLIP, as before SigLIP was supported.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decodeIfPresentNonNull(String.self, forKey: .modelType)
        let d = type == Variant.siglip.rawValue ? CLIPVisionConfig.siglipDefaults() : CLIPVisionConfig()
        self.init(hiddenSize: try c.decodeIfPresentNonNull(Int.self, forKey: .hiddenSize) ?? d.hiddenSize,
                  intermediateSize: try c.decodeIfPresentNonNull(Int.self, forKey: .intermediateSize) ?? d.intermediateSize,
                  numHiddenLayers: try c.decodeIfPresentNonNull(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers,
                  numAttentionHeads: try c.decodeIfPresentNonNull(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads,
                  imageSize: try c.decodeIfPresentNonNull(Int.self, forKey: .imageSize) ?? d.imageSize,
                  patchSize: try c.decodeIfPresentNonNull(Int.self, forKey: .patchSize) ?? d.patchSize,
                  numChannels: try c.decodeIfPresentNonNull(Int.self, forKey: .numChannels) ?? d.numChannels,
                  layerNormEps: try c.decodeIfPresentNonNull(Double.self, forKey: .layerNormEps) ?? d.layerNormEps,
                  hiddenAct: try c.decodeIfPresentNonNull(String.self, forKey: .hiddenAct) ?? d.hiddenAct, variant: d.variant)
    }

    /// The keys above; `model_type` only for SigLIP (CLIP configs are written as they always were).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(imageSize, forKey: .imageSize)
        try c.encode(patchSize, forKey: .patchSize)
        try c.encode(numChannels, forKey: .numChannels)
        try c.encode(layerNormEps, forKey: .layerNormEps)
        try c.encode(hiddenAct, forKey: .hiddenAct)
        if variant == .siglip { try c.encode(variant.rawValue, forKey: .modelType) }
    }

    /// Patches per side and in total.
    public var gridSize: Int { imageSize / max(1, patchSize) }
    public var patchCount: Int { gridSize * gridSize }

    /// Weights of the embeddings and the layers' matrices, with overflow checks; nil on overflow.
    public var parameterEstimate: Int? {
        ConfigBudget.checkedSum(ofProducts: [
            [patchCount + 1, hiddenSize], [3, patchSize, patchSize, hiddenSize],
            [numHiddenLayers, 4, hiddenSize, hiddenSize], [numHiddenLayers, 2, intermediateSize, hiddenSize],
        ])
    }

    public func validate() throws(ModelConfigError) {
        guard hiddenSize > 0, intermediateSize > 0, numHiddenLayers > 0, numAttentionHeads > 0, imageSize > 0 else {
            throw ModelConfigError("vision sizes must be positive")
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw ModelConfigError("vision hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(numAttentionHeads)")
        }
        // SigLIP towers need not divide evenly (LLaVA-OneVision's 384 px in 14-px patches): the patch
        // convolution drops the last pixels and leaves ⌊384 / 14⌋² = 27² patches, as transformers counts them.
        guard patchSize > 0, variant == .siglip || imageSize % patchSize == 0 else {
            throw ModelConfigError("image_size \(imageSize) is not a multiple of patch_size \(patchSize)")
        }
        try requireActivation(hiddenAct, key: "vision hidden_act")
        guard layerNormEps > 0, layerNormEps < 1 else { throw ModelConfigError("vision layer_norm_eps \(layerNormEps) must be in (0, 1)") }
        guard numChannels == 3 else { throw ModelConfigError("vision num_channels \(numChannels) is not 3 (RGB)") }
        try ConfigBudget.requireWidth(hiddenSize, "vision hidden_size")
        try ConfigBudget.requireWidth(intermediateSize, "vision intermediate_size")
        try ConfigBudget.requireWidth(numHiddenLayers, "vision num_hidden_layers", maximum: ConfigBudget.maximumLayers)
        try ConfigBudget.requireWidth(imageSize, "vision image_size", maximum: 8192)
        try ConfigBudget.requireWidth(patchSize, "vision patch_size", maximum: imageSize)
        try ConfigBudget.requireCount(parameters: parameterEstimate, what: "the vision tower")
    }
}

/// The Hugging Face `hidden_act` names `activation(_:_:)` applies (every config's activation is checked against them).
let supportedActivations: Set = ["gelu", "quick_gelu", "gelu_pytorch_tanh", "gelu_new", "silu", "swish", "relu"]

/// Refuses an activation name `activation(_:_:)` does not apply, naming the config key (`vision hidden_act`, …).
func requireActivation(_ name: String, key: String) throws(ModelConfigError) {
    guard supportedActivations.contains(name) else {
        throw ModelConfigError("\(key) '\(name)' is not supported (gelu, quick_gelu, gelu_pytorch_tanh, gelu_new, silu, relu)")
    }
}

/// Applies a Hugging Face activation by name (`supportedActivations`; configs are checked with `requireActivation`).
func activation(_ name: String, _ x: Tensor) -> Tensor {
    switch name {
    case "quick_gelu": return x.quickGELU()
    case "gelu_pytorch_tanh", "gelu_new": return x.gelu(approximation: .tanh)
    case "silu", "swish": return x.silu()
    case "relu": return x.relu()
    default: return x.gelu()
    }
}

/// Patch, class and position embeddings of a CLIP ViT (`embeddings`); SigLIP's have no class token
/// and a patch convolution with a bias.
public final class CLIPVisionEmbeddings: Module {
    /// The class token's embedding; nil for SigLIP.
    public let classEmbedding: Parameter?
    public let patchEmbedding: Conv2d
    public let positionEmbedding: Embedding
    let config: CLIPVisionConfig

    init(_ config: CLIPVisionConfig) {
        self.config = config
        classEmbedding = config.hasClassToken
            ? Parameter(ParameterInitialization.tensor([config.hiddenSize]) { Tensor.zeros([config.hiddenSize]) }) : nil
        patchEmbedding = Conv2d(inChannels: config.numChannels, outChannels: config.hiddenSize,
                                kernelSize: (config.patchSize, config.patchSize), stride: (config.patchSize, config.patchSize),
                                bias: !config.hasClassToken)
        positionEmbedding = Embedding(count: config.patchCount + (config.hasClassToken ? 1 : 0), dimension: config.hiddenSize)
    }

    public var parameters: [(name: String, parameter: Parameter)] { classEmbedding.map { [("class_embedding", $0)] } ?? [] }
    public var children: [(name: String, module: any Module)] {
        [("patch_embedding", patchEmbedding), ("position_embedding", positionEmbedding)]
    }

    /// pixel values [B, C, H, W] → [B, 1 + patches, D] (SigLIP: [B, patches, D]).
    func callAsFunction(_ pixels: Tensor) -> Tensor {
        let b = pixels.size(0)
        let weight = patchEmbedding.weight.value
        let patches = patchEmbedding(pixels.to(weight.dtype).to(weight.device)).flattened(from: 2).transposed(1, 2)
        guard let classEmbedding else { return patches + positionEmbedding.weight.value.unsqueezed(axis: 0) }
        let cls = classEmbedding.value.reshaped(1, 1, -1).expanded([b, 1, config.hiddenSize])
        return Tensor.cat([cls, patches], axis: 1) + positionEmbedding.weight.value.unsqueezed(axis: 0)
    }
}

/// Bidirectional multi-head attention of a CLIP or SigLIP encoder layer.
///
/// In bf16 and f16 the product q·kᵀ is scaled by 1/√d after it is taken, as transformers 5 does
/// (`eager_attention_forward`): scaling q first, as transformers 4.x did, rounds q once more, which moved
/// a SigLIP LLaVA's bf16 logits by 0.17 from transformers' own (`FamilyReducedPrecisionTests`). In f32 the
/// two orders agree to rounding (~1e-7) and q is scaled first, as Lucid always has: the bundled organisms
/// were trained that way and their retraining is pinned bit for bit (`QMLLMReleasedRetrainTests`).
public final class CLIPAttention: FusedAttentionModule {
    public let qProj: Linear
    public let kProj: Linear
    public let vProj: Linear
    public let outProj: Linear
    let heads: Int
    let headDim: Int
    /// Passes that keep no probabilities run libtorch's fused kernel, as transformers' sdpa (`FusedAttentionModule`).
    public var fusedAttention = false

    init(_ config: CLIPVisionConfig) {
        heads = config.numAttentionHeads
        headDim = config.hiddenSize / config.numAttentionHeads
        qProj = Linear(inFeatures: config.hiddenSize, outFeatures: config.hiddenSize)
        kProj = Linear(inFeatures: config.hiddenSize, outFeatures: config.hiddenSize)
        vProj = Linear(inFeatures: config.hiddenSize, outFeatures: config.hiddenSize)
        outProj = Linear(inFeatures: config.hiddenSize, outFeatures: config.hiddenSize)
    }

    public var children: [(name: String, module: any Module)] {
        [("q_proj", qProj), ("k_proj", kProj), ("v_proj", vProj), ("out_proj", outProj)]
    }

    /// x [B, N, D] → (output, probabilities [B, H, N, N]?, q [B, N, D]?, k [B, N, D]?).
    func callAsFunction(_ x: Tensor, keepProbabilities: Bool, keepQueryKey: Bool) -> (Tensor, Tensor?, Tensor?, Tensor?) {
        let (b, n) = (x.size(0), x.size(1))
        let qFull = qProj(x)
        let kFull = kProj(x)
        let k = kFull.reshaped(b, n, heads, headDim).transposed(1, 2)
        let v = vProj(x).reshaped(b, n, heads, headDim).transposed(1, 2)
        let attended: Tensor, probabilities: Tensor?
        if fusedAttention && !keepProbabilities {
            (attended, probabilities) = (ScaledDotProductAttention.fused(query: qFull.reshaped(b, n, heads, headDim).transposed(1, 2), key: k, value: v), nil)
        } else if qFull.dtype == .bf16 || qFull.dtype == .f16 {
            (attended, probabilities) = ScaledDotProductAttention.attend(query: qFull.reshaped(b, n, heads, headDim).transposed(1, 2), key: k, value: v)
        } else {
            let q = (qFull * (1 / Double(headDim).squareRoot())).reshaped(b, n, heads, headDim).transposed(1, 2)
            let weights = q.matmul(k.mT).softmax(axis: -1)
            (attended, probabilities) = (weights.matmul(v), weights)
        }
        let context = attended.transposed(1, 2).reshaped(b, n, heads * headDim)
        return (outProj(context), keepProbabilities ? probabilities : nil, keepQueryKey ? qFull : nil, keepQueryKey ? kFull : nil)
    }
}

/// One pre-LN ViT encoder layer (`self_attn`, `layer_norm1`, `mlp.fc1/fc2`, `layer_norm2`): CLIP's with
/// separate q/k/v projections (`CLIPEncoderLayer`), InstructBLIP's with a fused `qkv`
/// (`InstructBlipVisionLayer`).
public final class ViTEncoderLayer<Attention: Module>: Module {
    public let selfAttn: Attention
    public let layerNorm1: LayerNorm
    public let fc1: Linear
    public let fc2: Linear
    public let layerNorm2: LayerNorm
    let act: String

    /// The attention is built first, then the norms and the MLP (the order seeded initialisation draws in).
    init(attention: Attention, hiddenSize: Int, intermediateSize: Int, layerNormEps: Double, act: String) {
        selfAttn = attention
        layerNorm1 = LayerNorm(dimension: hiddenSize, eps: layerNormEps)
        fc1 = Linear(inFeatures: hiddenSize, outFeatures: intermediateSize)
        fc2 = Linear(inFeatures: intermediateSize, outFeatures: hiddenSize)
        layerNorm2 = LayerNorm(dimension: hiddenSize, eps: layerNormEps)
        self.act = act
    }

    public var children: [(name: String, module: any Module)] {
        [("self_attn", selfAttn), ("layer_norm1", layerNorm1), ("mlp", CLIPMLPView(fc1: fc1, fc2: fc2)), ("layer_norm2", layerNorm2)]
    }

    /// `hidden + fc2(act(fc1(layer_norm2(hidden))))`: the layer's second residual branch.
    func mlpResidual(_ hidden: Tensor) -> Tensor {
        hidden + fc2(activation(act, fc1(layerNorm2(hidden))))
    }
}

/// One pre-LN CLIP encoder layer.
public typealias CLIPEncoderLayer = ViTEncoderLayer<CLIPAttention>

extension ViTEncoderLayer where Attention == CLIPAttention {
    convenience init(_ config: CLIPVisionConfig) {
        self.init(attention: CLIPAttention(config), hiddenSize: config.hiddenSize, intermediateSize: config.intermediateSize,
                  layerNormEps: config.layerNormEps, act: config.hiddenAct)
    }
}

/// Names `mlp.fc1` / `mlp.fc2` without a separate forward type.
final class CLIPMLPView: Module {
    let fc1: Linear
    let fc2: Linear
    init(fc1: Linear, fc2: Linear) { self.fc1 = fc1; self.fc2 = fc2 }
    var children: [(name: String, module: any Module)] { [("fc1", fc1), ("fc2", fc2)] }
}

/// A CLIP ViT vision tower (Hugging Face `CLIPVisionModel`: `vision_model.{embeddings, pre_layrnorm, encoder, post_layernorm}`),
/// or a SigLIP one (`SiglipVisionModel`: the same without `pre_layrnorm` and the class token).
public final class CLIPVisionModel: Module {
    public let config: CLIPVisionConfig
    public let embeddings: CLIPVisionEmbeddings
    /// CLIP's LayerNorm before the encoder; nil for SigLIP.
    public let preLayernorm: LayerNorm?
    public let layers: ModuleList<CLIPEncoderLayer>
    public let postLayernorm: LayerNorm

    public init(_ config: CLIPVisionConfig) throws(ModelConfigError) {
        try config.validate()
        if !ParameterInitialization.isDeferring { try ConfigBudget.requireMemory(parameters: config.parameterEstimate, what: "the vision tower") }
        self.config = config
        embeddings = CLIPVisionEmbeddings(config)
        preLayernorm = config.hasClassToken ? LayerNorm(dimension: config.hiddenSize, eps: config.layerNormEps) : nil
        layers = ModuleList((0..<config.numHiddenLayers).map { _ in CLIPEncoderLayer(config) })
        postLayernorm = LayerNorm(dimension: config.hiddenSize, eps: config.layerNormEps)
    }

    public var children: [(name: String, module: any Module)] { [("vision_model", CLIPVisionInner(self))] }

    /// Runs pixel values [B, C, H, W]; returns every hidden state needed up to `stopAfter` hidden-state
    /// index (0 = after pre-LN, or SigLIP's embeddings; i = output of layer i−1), capturing into `trace` what `options` asks.
    ///
    /// Layers after the highest index anyone needs are skipped.
    public func forward(_ pixels: Tensor, needHiddenState index: Int, options: ForwardOptions, trace: ForwardTrace) -> Tensor {
        let count = config.numHiddenLayers
        let wanted = index < 0 ? index + count + 1 : index
        var last = wanted
        for i in 0..<count where options.visionAttentionLayers.contains(i, of: count) || options.visionQueryKeyLayers.contains(i, of: count) {
            last = Swift.max(last, i + 1)
        }
        for i in 0...count where options.visionHiddenStates.contains(i, of: count + 1) { last = Swift.max(last, i) }
        var hidden = embeddings(pixels)
        if let preLayernorm { hidden = preLayernorm(hidden) }
        var selected = hidden
        if options.visionHiddenStates.contains(0, of: count + 1) { trace.visionHiddenStates[0] = hidden }
        if wanted == 0 { selected = hidden }
        for (i, layer) in layers.items.enumerated() where i < last {
            let keepP = options.visionAttentionLayers.contains(i, of: count)
            let keepQK = options.visionQueryKeyLayers.contains(i, of: count)
            let (attended, probabilities, q, k) = layer.selfAttn(layer.layerNorm1(hidden), keepProbabilities: keepP, keepQueryKey: keepQK)
            hidden = hidden + attended
            hidden = layer.mlpResidual(hidden)
            if let probabilities { trace.visionAttentions[i] = probabilities }
            if let q, let k { trace.visionQueries[i] = q; trace.visionKeys[i] = k }
            if options.visionHiddenStates.contains(i + 1, of: count + 1) { trace.visionHiddenStates[i + 1] = hidden }
            if i + 1 == wanted { selected = hidden }
        }
        return selected
    }
}

/// The `vision_model` level of Hugging Face's key paths.
final class CLIPVisionInner: Module {
    unowned let model: CLIPVisionModel
    init(_ model: CLIPVisionModel) { self.model = model }
    var children: [(name: String, module: any Module)] {
        [("embeddings", model.embeddings)] + (model.preLayernorm.map { [("pre_layrnorm", $0)] } ?? [])
            + [("encoder", CLIPEncoderView(layers: model.layers)), ("post_layernorm", model.postLayernorm)]
    }
}

final class CLIPEncoderView: Module {
    let layers: ModuleList<CLIPEncoderLayer>
    init(layers: ModuleList<CLIPEncoderLayer>) { self.layers = layers }
    var children: [(name: String, module: any Module)] { [("layers", layers)] }
}

extension CLIPVisionModel {
    /// Loads a Hugging Face `CLIPVisionModel` directory (`config.json` with `model_type`
    /// `clip_vision_model`, or a full `clip` config whose `vision_config` is used) and its safetensors.
    public static func load(directory: String, dtype: DType = .f32) throws -> CLIPVisionModel {
        try load(directory: directory, options: ModelLoadOptions(dtype: dtype))
    }

    /// Loads a CLIP vision directory with its weights in `options.dtype` (validated first), without
    /// random initialisation.
    public static func load(directory: String, options: ModelLoadOptions) throws -> CLIPVisionModel {
        try options.validate()
        let dtype = options.dtype
        let configPath = (directory as NSString).appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: configPath),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelLoadError.unknownFormat(path: directory, reason: "no readable config.json")
        }
        let type = object["model_type"] as? String ?? "clip_vision_model"
        guard ["clip_vision_model", "clip"].contains(type) else {
            throw ModelLoadError.unsupportedArchitecture(path: configPath, architecture: type, supported: ["clip_vision_model", "clip"])
        }
        let config: CLIPVisionConfig
        do {
            if type == "clip" {
                let vision = try JSONSerialization.data(withJSONObject: object["vision_config"] ?? [:])
                config = try JSONDecoder().decode(CLIPVisionConfig.self, from: vision)
            } else {
                config = try JSONDecoder().decode(CLIPVisionConfig.self, from: data)
            }
        } catch { throw ModelLoadError.badConfig(path: configPath, reason: LlamaForCausalLM.describe(error)) }
        let model: CLIPVisionModel
        do { model = try ParameterInitialization.withPlaceholders { () throws(ModelConfigError) in try CLIPVisionModel(config) } } catch { throw ModelLoadError.badConfig(path: configPath, reason: error.description) }
        try model.load(from: SafetensorsCheckpoint(path: directory), options: LoadOptions(
            ignoreUnexpected: { $0.hasSuffix("position_ids") || (type == "clip" && !$0.hasPrefix("vision_model.")) }, dtype: dtype,
            device: options.device))
        return model
    }
}
