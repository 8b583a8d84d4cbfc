import LucidModels
import LucidTensor

/// The one entry point for generating with any decoding method on a text or vision-language model.
public enum Decoding {
    /// Generates from token ids (with image placeholders when `images` are given) with `method`.
    ///
    /// A vision-language model with an image gate (Q-MLLM) screens each image first: a refused image
    /// gives the gate's answer (tokenised with `encodeRefusal`; without it a refusal has no tokens)
    /// and finish reason `refused`, without running the language model. VCD and DAMRO contrast the
    /// prompt with a second view of the (first) image; OPERA reads the first image's span.
    public static func generate(_ model: any CausalLanguageModel, ids: [Int], images: [Tensor] = [], method: DecodingMethod,
                                limits: GenerationLimits, encodeRefusal: ((String) -> [Int])? = nil,
                                onToken: ((Int) -> Void)? = nil) throws -> GenerationResult {
        let prefill: Prefill
        let amateur: Tensor?
        let imageRange: Range<Int>?
        switch try prepare(model, ids: ids, images: images, method: method, encodeRefusal: encodeRefusal, limits: limits) {
        case .refused(let refusal): return refusal
        case .ready(let p, let a, let r): (prefill, amateur, imageRange) = (p, a, r)
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
            return try OPERADecoder(model: model, parameters: parameters).generate(prompt: embeddings, positions: positions, imageRange: imageRange,
                                                                                  limits: limits, onToken: onToken).0
        case .vcd(let parameters, _, _), .damro(let parameters, _, _):
            guard let amateur else { throw GenerationError.invalidOption("no contrastive input") }
            switch prefill {
            case .embeddings(let main):
                return try ContrastiveDecoder(model: model).generate(main: main, amateur: amateur, parameters: parameters, limits: limits, onToken: onToken)
            case .positionedEmbeddings(let main, let positions):
                return try ContrastiveDecoder(model: model).generate(main: main, amateur: amateur, positions: positions, parameters: parameters,
                                                                     limits: limits, onToken: onToken)
            case .tokens: throw GenerationError.invalidOption("no contrastive input")
            }
        case .beam(let parameters):
            return try GenerationDriver(model: model).generate(prefill, strategy: .beamSearch(parameters), limits: limits, onToken: onToken)
        case .sample(let parameters):
            return try GenerationDriver(model: model).generate(prefill, strategy: .sampling(parameters), limits: limits, onToken: onToken)
        case .greedy:
            return try GenerationDriver(model: model).generate(prefill, strategy: .greedy, limits: limits, onToken: onToken)
        }
    }

    /// What `generate` does before decoding: validates `method`, screens each image with the model's
    /// gate (a refusal ends here; features the gate computed are embedded, not computed again), builds
    /// the prefill (multimodal embeddings for a vision-language model), the contrastive input of
    /// VCD/DAMRO and the first image's span (OPERA). A scheduler that
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
        var imageRange: Range<Int>?
        if let vlm = model as? any VisionLanguageModel {
            let images = try vlm.promptImages(images)  // an image among several may be encoded by less of it (OneVision)
            for pixels in images { try vlm.checkImage(pixels) }
            if let limits { try limits.check(promptLength: try vlm.embeddedLength(ids: ids, images: images), contextLength: model.contextLength) }
            var screened: [Tensor?] = []
            if let gate = vlm.imageGate {
                for pixels in images {
                    let input = ImageGateInput(pixels: pixels, model: vlm)
                    if let refusal = withNoGrad({ gate(input) }) {
                        return .refused(GenerationResult(tokens: encodeRefusal?(refusal) ?? [], finishReason: .refused))
                    }
                    screened.append(input.computedFeatures)
                }
            }
            let segments = try vlm.segments(ids: ids, images: images)
            let embeddings = try withNoGrad { () throws(PromptError) -> Tensor in try vlm.embed(reusing(screened, in: segments)) }
            // M-RoPE families (Qwen2-VL) place the prompt explicitly; the cache continues after it.
            prefill = try vlm.ropePositions(ids: ids, images: images).map { Prefill.positionedEmbeddings(embeddings, positions: $0) } ?? Prefill.embeddings(embeddings)
            imageRange = try vlm.imageSpans(ids: ids, images: images).first
            if let pixels = images.first, method.needsImage {
                amateur = try contrastiveInput(vlm, segments: segments, pixels: pixels, method: method)
            }
        } else if !images.isEmpty {
            throw GenerationError.invalidOption("this is a text-only model: images need a LLaVA model")
        }
        if method.needsImage && amateur == nil { throw GenerationError.invalidOption("decoding \(method.name) needs a LLaVA model and an image") }
        return .ready(prefill: prefill, amateur: amateur, imageRange: imageRange)
    }

    /// `segments` with the i-th image replaced by the features the gate computed for it, where it did
    /// (the same embedding, `VisionLanguageModel.embed`, without a second pass through the tower).
    static func reusing(_ features: [Tensor?], in segments: [PromptSegment]) -> [PromptSegment] {
        guard features.contains(where: { $0 != nil }) else { return segments }
        var next = 0
        return segments.map { segment in
            guard case .image = segment else { return segment }
            defer { next += 1 }
            return next < features.count ? features[next].map(PromptSegment.imageFeatures) ?? segment : segment
        }
    }

    /// The amateur input of VCD (noised image, same text) or DAMRO (outlier tokens only), [1, T', D].
    public static func contrastiveInput(_ vlm: any VisionLanguageModel, segments: [PromptSegment], pixels: Tensor,
                                        method: DecodingMethod) throws(PromptError) -> Tensor? {
        let replacement: PromptSegment
        switch method {
        case .vcd(_, let step, let seed):
            replacement = .image(withNoGrad { VCDNoise.apply(pixels, step: step, generator: Generator(seed: seed)) })
        case .damro(_, let outliers, let attention):
            replacement = .imageFeatures(try withNoGrad { () throws(PromptError) -> Tensor in
                try vlm.visionOutliers(pixels, k: outliers, attention: attention).features[0]
            })
        default:
            return nil
        }
        let replaced = segments.map { segment -> PromptSegment in
            if case .image = segment { return replacement }
            return segment
        }
        return try withNoGrad { () throws(PromptError) -> Tensor in try vlm.embed(replaced) }
    }
}

/// A prompt made ready for decoding by `Decoding.prepare`.
public enum PreparedPrompt {
    /// A defence's gate refused an image: its answer (finish reason `refused`); nothing runs.
    case refused(GenerationResult)
    /// The prefill, VCD/DAMRO's contrastive input and the first image's span (OPERA).
    case ready(prefill: Prefill, amateur: Tensor?, imageRange: Range<Int>?)
}
