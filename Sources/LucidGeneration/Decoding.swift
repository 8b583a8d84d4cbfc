import LucidModels
import LucidTensor

/// The one entry point for generating with any decoding method on a text or vision-language model.
public enum Decoding {
    /// Generates from token ids (with image placeholders when `images` are given) with `method`.
    ///
    /// A vision-language model with an image gate (Q-MLLM) screens each image first: a refused image
    /// gives the gate's answer (tokenised with `encodeRefusal`; without it a refusal has no tokens)
    /// and finish reason `refused`, without running the language model. VCD and DAMRO contrast the
    /// prompt with a second view of its images (each noised, or each image's outlier tokens); OPERA's
    /// first-tokens rule reads every image's span.
    ///
    /// `logprobs`: each token's log-probability and alternatives, streamed with it and in the result's
    /// `logprobs` (every method; a refusal has none). The limits' repetition penalty counts `ids` as the prompt,
    /// image placeholders included, unless `limits.promptTokens` or `limits.repetitionContext` says otherwise.
    public static func generate(_ model: any CausalLanguageModel, ids: [Int], images: [Tensor] = [], method: DecodingMethod,
                                limits: GenerationLimits, logprobs: LogprobsRequest? = nil, encodeRefusal: ((String) -> [Int])? = nil,
                                onToken: TokenHandler? = nil) throws -> GenerationResult {
        try logprobs?.validate()
        var limits = limits
        // The prefill may be embeddings: the decoders then no longer see the ids.
        if limits.promptTokens == nil && limits.repetitionContext == .prompt { limits.promptTokens = ids }
        let prefill: Prefill
        let amateur: Tensor?
        let imageRanges: [Range<Int>]
        switch try prepare(model, ids: ids, images: images, method: method, encodeRefusal: encodeRefusal, limits: limits) {
        case .refused(let refusal): return refusal
        case .ready(let p, let a, let r): (prefill, amateur, imageRanges) = (p, a, r)
        }
        switch method {
        case .opera(let parameters):
            let embeddings: Tensor
            var positions: Tensor?
            switch prefill {
            case .embeddings(let e): embeddings = e
            case .tokens(let t): embeddings = withNoGrad { model.embed(Tensor(t, shape: [1, t.count])) }
            case .positionedEmbeddings(let e, let p): (embeddings, positions) = (e, p)
            }
            return try OPERADecoder(model: model, parameters: parameters).generate(prompt: embeddings, positions: positions, imageRanges: imageRanges,
                                                                                  limits: limits, logprobs: logprobs, onToken: onToken).0
        case .vcd(let parameters, _, _), .damro(let parameters, _, _):
            guard let amateur else { throw GenerationError.invalidOption("no contrastive input") }
            switch prefill {
            case .embeddings(let main):
                return try ContrastiveDecoder(model: model).generate(main: main, amateur: amateur, parameters: parameters, limits: limits,
                                                                     logprobs: logprobs, onToken: onToken)
            case .positionedEmbeddings(let main, let positions):
                return try ContrastiveDecoder(model: model).generate(main: main, amateur: amateur, positions: positions, parameters: parameters,
                                                                     limits: limits, logprobs: logprobs, onToken: onToken)
            case .tokens: throw GenerationError.invalidOption("no contrastive input")
            }
        case .beam(let parameters):
            return try GenerationDriver(model: model).generate(prefill, strategy: .beamSearch(parameters), limits: limits, logprobs: logprobs, onToken: onToken)
        case .sample(let parameters):
            return try GenerationDriver(model: model).generate(prefill, strategy: .sampling(parameters), limits: limits, logprobs: logprobs, onToken: onToken)
        case .greedy:
            return try GenerationDriver(model: model).generate(prefill, strategy: .greedy, limits: limits, logprobs: logprobs, onToken: onToken)
        }
    }

    /// What `generate` does before decoding: validates `method`, screens each image with the model's
    /// gate (a refusal ends here; features the gate computed are embedded, not computed again), builds
    /// the prefill (multimodal embeddings for a vision-language model), the contrastive input of
    /// VCD/DAMRO and every image's span (OPERA). A scheduler that
    /// decodes several requests together (`ContinuousBatch`) starts from the same prefill.
    ///
    /// With `limits`, a prompt whose embedded length (text tokens plus each image's features, known from
    /// the images' sizes) leaves no room for `maxNewTokens` in the model's context is refused before the
    /// vision tower runs.
    public static func prepare(_ model: any CausalLanguageModel, ids: [Int], images: [Tensor] = [], method: DecodingMethod,
                               encodeRefusal: ((String) -> [Int])? = nil, limits: GenerationLimits? = nil) throws -> PreparedPrompt {
        try method.validate()
        var prefill = Prefill.tokens(ids)
        var amateur: Tensor?
        var imageRanges: [Range<Int>] = []
        if let vlm = model as? any VisionLanguageModel {
            let images = try vlm.promptImages(images)  // an image among several may be encoded by less of it (OneVision)
            for pixels in images { try vlm.checkImage(pixels) }
            let promptLength = try vlm.embeddedLength(ids: ids, images: images)
            if let limits { try limits.check(promptLength: promptLength, contextLength: model.contextLength) }
            var screened: [Tensor?] = []
            if let gate = vlm.imageGate {
                for pixels in images {
                    let input = ImageGateInput(pixels: pixels, model: vlm)
                    if let refusal = withNoGrad({ gate(input) }) {
                        var refused = GenerationResult(tokens: encodeRefusal?(refusal) ?? [], finishReason: .refused)
                        refused.statistics.promptTokens = promptLength  // what was asked, though nothing ran
                        return .refused(refused)
                    }
                    screened.append(input.computedFeatures)
                }
            }
            let segments = try vlm.segments(ids: ids, images: images)
            let embeddings = try withNoGrad { () throws(PromptError) -> Tensor in try vlm.embed(reusing(screened, in: segments)) }
            // M-RoPE families (Qwen2-VL) place the prompt explicitly; the cache continues after it.
            prefill = try vlm.ropePositions(ids: ids, images: images).map { Prefill.positionedEmbeddings(embeddings, positions: $0) } ?? Prefill.embeddings(embeddings)
            imageRanges = try vlm.imageSpans(ids: ids, images: images)
            if !images.isEmpty, method.needsImage {
                amateur = try contrastiveInput(vlm, segments: segments, images: images, method: method)
            }
        } else if !images.isEmpty {
            throw GenerationError.invalidOption("this is a text-only model: images need a vision-language model")
        }
        if method.needsImage && amateur == nil { throw GenerationError.invalidOption("decoding \(method.name) needs a vision-language model and an image") }
        return .ready(prefill: prefill, amateur: amateur, imageRanges: imageRanges)
    }

    /// `segments` with the i-th image replaced by the features the gate computed for it, where it did
    /// (the same embedding, `VisionLanguageModel.embed`, without a second pass through the tower).
    static func reusing(_ features: [Tensor?], in segments: [PromptSegment]) -> [PromptSegment] {
        guard features.contains(where: { $0 != nil }) else { return segments }
        return replacingImages(in: segments, with: features.map { $0.map(PromptSegment.imageFeatures) })
    }

    /// `segments` with the i-th image segment replaced by `replacements[i]`, where there is one.
    static func replacingImages(in segments: [PromptSegment], with replacements: [PromptSegment?]) -> [PromptSegment] {
        var next = 0
        return segments.map { segment in
            guard case .image = segment else { return segment }
            defer { next += 1 }
            return next < replacements.count ? replacements[next] ?? segment : segment
        }
    }

    /// The amateur input of VCD (each image noised, same text) or DAMRO (each image's outlier tokens
    /// only), [1, T', D]. `images` are the prompt's, in the order of its image segments; VCD noises them
    /// in that order from one generator seeded with its seed (a lone image gets the single-image noise).
    public static func contrastiveInput(_ vlm: any VisionLanguageModel, segments: [PromptSegment], images: [Tensor],
                                        method: DecodingMethod) throws(PromptError) -> Tensor? {
        var replacements: [PromptSegment] = []
        switch method {
        case .vcd(_, let step, let seed):
            let generator = Generator(seed: seed)
            replacements = withNoGrad { images.map { .image(VCDNoise.apply($0, step: step, generator: generator)) } }
        case .damro(_, let outliers, let attention):
            for pixels in images {
                replacements.append(.imageFeatures(try withNoGrad { () throws(PromptError) -> Tensor in
                    try vlm.visionOutliers(pixels, k: outliers, attention: attention).features[0]
                }))
            }
        default:
            return nil
        }
        let replaced = replacingImages(in: segments, with: replacements)
        return try withNoGrad { () throws(PromptError) -> Tensor in try vlm.embed(replaced) }
    }
}

/// A prompt made ready for decoding by `Decoding.prepare`.
public enum PreparedPrompt {
    /// A defence's gate refused an image: its answer (finish reason `refused`); nothing runs.
    case refused(GenerationResult)
    /// The prefill, VCD/DAMRO's contrastive input and every image's span in the prompt, in order (OPERA).
    case ready(prefill: Prefill, amateur: Tensor?, imageRanges: [Range<Int>])
}
