import Foundation
import LucidNN
import LucidTensor

/// An InstructBLIP model with a Llama-family decoder (Hugging Face `InstructBlipForConditionalGeneration`:
/// `vision_model`, `query_tokens`, `qformer`, `language_projection`, `language_model`).
///
/// The ViT encodes the image; the Q-Former reads its learned query tokens together with the
/// instruction (in its own BERT vocabulary) and lets the queries cross-attend to the image; the
/// projected queries (`num_query_tokens` of them) replace the image placeholder in the decoder's
/// prompt. OPERA's image span on this family is the query tokens.
public final class InstructBlipForConditionalGeneration: Module, LanguageModelBacked {
    public let config: InstructBlipConfig
    public let visionModel: InstructBlipVisionModel
    public let queryTokens: Parameter
    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    public let embeddingLayerNorm: LayerNorm
    public let qformerLayers: ModuleList<InstructBlipQFormerLayer>
    public let languageProjection: Linear
    public let languageModel: LlamaForCausalLM
    /// Applied to the ViT's output [B, 1 + patches, D_vision] before the Q-Former (Q-MLLM's
    /// quantiser); nil: none.
    public var visionFeatureTransform: ((Tensor) -> Tensor)?
    /// Screens pixel values [1, 3, S, S] before generation (Q-MLLM's gate); nil: none.
    public var imageGate: ((ImageGateInput) -> String?)?
    /// The Q-Former instruction (its own BERT vocabulary; transformers' `qformer_input_ids`) that
    /// `VisionLanguageModel` calls use for every image; empty: the query tokens alone.
    public var qformerInstruction: [Int] = []

    public init(_ config: InstructBlipConfig) throws(ModelConfigError) {
        try config.validate()
        self.config = config
        let q = config.qformerConfig
        visionModel = try InstructBlipVisionModel(config.visionConfig)
        queryTokens = Parameter(ParameterInitialization.tensor([1, config.numQueryTokens, q.hiddenSize]) {
            Tensor.zeros([1, config.numQueryTokens, q.hiddenSize])
        })
        wordEmbeddings = Embedding(count: q.vocabSize, dimension: q.hiddenSize)
        positionEmbeddings = Embedding(count: q.maxPositionEmbeddings, dimension: q.hiddenSize)
        embeddingLayerNorm = LayerNorm(dimension: q.hiddenSize, eps: q.layerNormEps)
        qformerLayers = ModuleList((0..<q.numHiddenLayers).map { InstructBlipQFormerLayer(q, index: $0) })
        languageProjection = Linear(inFeatures: q.hiddenSize, outFeatures: config.textConfig.hiddenSize)
        languageModel = try LlamaForCausalLM(config.textConfig)
    }

    public var parameters: [(name: String, parameter: Parameter)] { [("query_tokens", queryTokens)] }

    public var children: [(name: String, module: any Module)] {
        [("vision_model", visionModel), ("qformer", QFormerView(self)), ("language_projection", languageProjection),
         ("language_model", languageModel)]
    }

    public var imagePlaceholderID: Int { config.imageTokenIndex }

    /// The ViT's post-normed output [B, 1 + patches, D_vision] of pixel values [B, 3, S, S].
    public func visionOutput(_ pixels: Tensor, options: ForwardOptions = ForwardOptions(), trace: ForwardTrace = ForwardTrace()) -> Tensor {
        visionModel(pixels, options: options, trace: trace)
    }

    /// The Q-Former's query outputs [B, Q, H] for an image and an instruction (Q-Former token ids).
    public func queryOutput(_ pixels: Tensor, instruction: [Int], options: ForwardOptions = ForwardOptions(),
                            trace: ForwardTrace = ForwardTrace()) throws(PromptError) -> Tensor {
        try check(pixels, instruction: instruction)
        let image = visionOutput(pixels, options: options, trace: trace)
        return queries(reading: visionFeatureTransform.map { $0(image) } ?? image, instruction: instruction)
    }

    /// Checks a Q-Former instruction: ids in its vocabulary, no more than its positions.
    public func check(instruction: [Int]) throws(PromptError) {
        let q = config.qformerConfig
        if let bad = instruction.first(where: { $0 < 0 || $0 >= q.vocabSize }) {
            throw .tokenOutOfRange(id: bad, vocabularySize: q.vocabSize)
        }
        guard instruction.count <= q.maxPositionEmbeddings else {
            throw .invalidImage(reason: "the Q-Former instruction has \(instruction.count) tokens; at most \(q.maxPositionEmbeddings) fit")
        }
    }

    /// Checks pixel values [B, 3, S, S] and a Q-Former instruction (`check(instruction:)`).
    func check(_ pixels: Tensor, instruction: [Int]) throws(PromptError) {
        try check(instruction: instruction)
        let side = config.visionConfig.imageSize
        guard pixels.rank == 4, pixels.size(1) == 3, pixels.size(2) == side, pixels.size(3) == side else {
            throw .invalidImage(reason: "pixel values must be [B, 3, \(side), \(side)], got \(pixels.shape)")
        }
    }

    /// The Q-Former's query outputs [B, Q, H] reading image features [B, N, D_vision] with a checked instruction.
    func queries(reading image: Tensor, instruction: [Int]) -> Tensor {
        let q = config.qformerConfig
        let b = image.size(0)
        var hidden = queryTokens.value.expanded([b, config.numQueryTokens, q.hiddenSize]).to(image.dtype)
        if !instruction.isEmpty {
            let ids = Tensor(instruction, shape: [1, instruction.count])
            let text = wordEmbeddings(ids) + positionEmbeddings(Tensor.arange(instruction.count).reshaped([1, instruction.count]))
            hidden = Tensor.cat([hidden, text.expanded([b, instruction.count, q.hiddenSize])], axis: 1)
        }
        hidden = embeddingLayerNorm(hidden)
        for layer in qformerLayers.items {
            hidden = layer(hidden, image: image, queryCount: config.numQueryTokens)
        }
        return hidden.narrowed(axis: 1, start: 0, length: config.numQueryTokens)
    }

    /// Projected image features [B, Q, D_text] (differentiable in the pixels).
    public func imageFeatures(_ pixels: Tensor, instruction: [Int], options: ForwardOptions = ForwardOptions(),
                              trace: ForwardTrace = ForwardTrace()) throws(PromptError) -> Tensor {
        languageProjection(try queryOutput(pixels, instruction: instruction, options: options, trace: trace))
    }

    /// Input embeddings [1, T, D] of decoder ids with one image placeholder (or `num_query_tokens` of them,
    /// as the transformers processor writes) and the image with its Q-Former instruction.
    public func embed(ids: [Int], pixels: Tensor, instruction: [Int], options: ForwardOptions = ForwardOptions(),
                      trace: ForwardTrace = ForwardTrace()) throws(PromptError) -> Tensor {
        let placeholder = imagePlaceholderID
        let found = ids.reduce(0) { $0 + ($1 == placeholder ? 1 : 0) }
        let count = config.numQueryTokens
        guard found == 1 || found == count, let start = ids.firstIndex(of: placeholder),
              ids[start..<(start + found)].allSatisfy({ $0 == placeholder }) else {
            throw .placeholderCount(found: found, expected: "1 or a run of \(count)")
        }
        if let bad = ids.first(where: { $0 != placeholder && ($0 < 0 || $0 >= vocabularySize) }) {
            throw .tokenOutOfRange(id: bad, vocabularySize: vocabularySize)
        }
        var pieces: [Tensor] = []
        if start > 0 { pieces.append(languageModel.embed(Tensor(Array(ids[..<start]), shape: [1, start]))) }
        pieces.append(try imageFeatures(pixels, instruction: instruction, options: options, trace: trace))
        let rest = Array(ids[(start + found)...])
        if !rest.isEmpty { pieces.append(languageModel.embed(Tensor(rest, shape: [1, rest.count]))) }
        return Tensor.cat(pieces, axis: 1)
    }

    /// One forward pass over a prompt with one image, filling the trace with LLM and vision captures.
    public func forward(ids: [Int], pixels: Tensor, instruction: [Int], cache: KVCache?, options: ForwardOptions) throws(PromptError) -> ForwardTrace {
        let trace = ForwardTrace()
        let embeddings = try embed(ids: ids, pixels: pixels, instruction: instruction, options: options, trace: trace)
        return decode(embeddings, cache: cache, options: options, into: trace)
    }
}

/// Names `qformer.{embeddings.{word_embeddings, position_embeddings, layernorm}, encoder.layer.N}`.
final class QFormerView: Module {
    unowned let model: InstructBlipForConditionalGeneration
    init(_ model: InstructBlipForConditionalGeneration) { self.model = model }
    var children: [(name: String, module: any Module)] {
        [("embeddings", QFormerEmbeddingsView(model)), ("encoder", QFormerEncoderView(model.qformerLayers))]
    }
}

final class QFormerEmbeddingsView: Module {
    unowned let model: InstructBlipForConditionalGeneration
    init(_ model: InstructBlipForConditionalGeneration) { self.model = model }
    var children: [(name: String, module: any Module)] {
        [("word_embeddings", model.wordEmbeddings), ("position_embeddings", model.positionEmbeddings),
         ("layernorm", model.embeddingLayerNorm)]
    }
}

final class QFormerEncoderView: Module {
    let layers: ModuleList<InstructBlipQFormerLayer>
    init(_ layers: ModuleList<InstructBlipQFormerLayer>) { self.layers = layers }
    var children: [(name: String, module: any Module)] { [("layer", layers)] }
}

extension InstructBlipForConditionalGeneration {
    /// Loads a Hugging Face InstructBLIP directory (`model_type: instructblip`) with a Llama-family decoder
    /// (Vicuna); Flan-T5 decoders are refused. Checkpoints with the fused `qkv.bias` (what transformers
    /// 5.x writes) load; older ones with separate `q_bias`/`v_bias` are refused by name.
    public static func load(directory: String, options: ModelLoadOptions = ModelLoadOptions()) throws -> InstructBlipForConditionalGeneration {
        try options.validate()
        let (config, path) = try HuggingFaceDirectory.config(InstructBlipConfig.self, directory: directory, modelType: "instructblip")
        let decoder = config.textConfig.modelType
        guard LlamaForCausalLM.supportedModelTypes.contains(decoder) else {
            throw ModelLoadError.unsupportedArchitecture(path: path, architecture: "instructblip with a '\(decoder)' decoder",
                                                         supported: LlamaForCausalLM.supportedModelTypes.map { "instructblip with \($0)" })
        }
        let tied = config.textConfig.tieWordEmbeddings
        return try HuggingFaceDirectory.build(
            directory: directory, configPath: path, options: options,
            renames: [.prefix("model.language_model.", "language_model.model."), .prefix("lm_head.", "language_model.lm_head."),
                      .prefix("model.", "")],
            ignoring: { $0.hasSuffix("position_ids") || $0.hasSuffix("rotary_emb.inv_freq") || (tied && $0 == "language_model.lm_head.weight") }) {
            () throws(ModelConfigError) in try InstructBlipForConditionalGeneration(config)
        }
    }
}
