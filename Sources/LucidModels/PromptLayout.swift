import LucidTensor

/// Splitting prompts at image placeholders and embedding the pieces, for every family: LLaVA-1.5 and
/// InstructBLIP (a fixed count per image) and the families whose images may each become a different
/// number of features (LLaVA-NeXT, Qwen2-VL).
enum PromptLayout {
    /// A prompt as text runs and image slots, in order.
    enum Piece {
        case text([Int])
        case image(Int)
    }

    /// Splits `ids` for images that become `counts[i]` features: either one placeholder per image or
    /// each image's full run of `counts[i]` placeholders (what the transformers processors write).
    static func split(_ ids: [Int], placeholder: Int, counts: [Int]) throws(PromptError) -> [Piece] {
        let found = ids.reduce(0) { $0 + ($1 == placeholder ? 1 : 0) }
        if counts.isEmpty, found > 0 { throw .placeholderWithoutImage(placeholders: found) }
        if !counts.isEmpty, found == 0 { throw .imageWithoutPlaceholder(images: counts.count) }
        let total = counts.reduce(0, +)
        let expanded = found != counts.count
        // "576 per image" when every image has the same count, else the list.
        let perImage = Set(counts).count == 1 ? "\(counts[0])" : "\(counts)"
        guard !expanded || found == total else {
            throw .placeholderCount(found: found, expected: "\(counts.count) (one per image) or \(total) (\(perImage) per image)")
        }
        var pieces: [Piece] = []
        var text: [Int] = []
        var index = 0
        var image = 0
        while index < ids.count {
            guard ids[index] == placeholder else {
                text.append(ids[index])
                index += 1
                continue
            }
            let span = expanded ? counts[image] : 1
            guard index + span <= ids.count, ids[index..<(index + span)].allSatisfy({ $0 == placeholder }) else {
                throw .placeholderCount(found: found, expected: "runs of \(perImage) consecutive placeholders")
            }
            pieces.append(.text(text))
            text = []
            pieces.append(.image(image))
            image += 1
            index += span
        }
        pieces.append(.text(text))
        return pieces
    }

    /// The lengths of the maximal placeholder runs of `ids`: each image's count when the prompt holds
    /// expanded runs for `imageCount` images, else nil (one placeholder per image says nothing).
    static func runLengths(_ ids: [Int], placeholder: Int, imageCount: Int) -> [Int]? {
        var runs: [Int] = []
        var previous = false
        for id in ids {
            let hit = id == placeholder
            if hit { if previous, let last = runs.popLast() { runs.append(last + 1) } else { runs.append(1) } }
            previous = hit
        }
        guard runs.count == imageCount, runs.contains(where: { $0 > 1 }) else { return nil }
        return runs
    }

    /// Where each image's features sit once `pieces` are embedded with `counts` features per image.
    static func spans(_ pieces: [Piece], counts: [Int]) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        var position = 0
        for piece in pieces {
            switch piece {
            case .text(let tokens): position += tokens.count
            case .image(let index):
                spans.append(position..<(position + counts[index]))
                position += counts[index]
            }
        }
        return spans
    }

    /// Input embeddings [1, T, D] of segments: text through `embedTokens` (ids checked against
    /// `vocabularySize`), images through `image` ([1, N, D], checking them), given features and embeddings as they are.
    /// `image` encodes one image into the trace it is given (`ForwardTrace.visionTrace`: `trace` for a
    /// lone image, each image its own among several; an image given as features, e.g. by a gate, keeps
    /// its place in `imageTraces` with an empty trace, so `imageTraces[k]` is the prompt's image k).
    static func embed(_ segments: [PromptSegment], vocabularySize: Int, trace: ForwardTrace, embedTokens: (Tensor) -> Tensor,
                      image: (Tensor, ForwardTrace) throws(PromptError) -> Tensor) throws(PromptError) -> Tensor {
        let imageCount = segments.count {
            switch $0 {
            case .image, .imageFeatures: true
            case .tokens, .embeddings: false
            }
        }
        var pieces: [Tensor] = []
        for segment in segments {
            switch segment {
            case .tokens(let ids):
                if ids.isEmpty { continue }
                if let bad = ids.first(where: { $0 < 0 || $0 >= vocabularySize }) {
                    throw .tokenOutOfRange(id: bad, vocabularySize: vocabularySize)
                }
                pieces.append(embedTokens(Tensor(ids, shape: [1, ids.count])))
            case .image(let pixels):
                pieces.append(try image(pixels, trace.visionTrace(imageCount: imageCount)))
            case .imageFeatures(let features):
                _ = trace.visionTrace(imageCount: imageCount)  // its place among the images, nothing captured
                pieces.append(features.rank == 2 ? features.unsqueezed(axis: 0) : features)
            case .embeddings(let features):
                pieces.append(features.rank == 2 ? features.unsqueezed(axis: 0) : features)
            }
        }
        return Tensor.cat(pieces, axis: 1)
    }

    /// `pieces` as segments with `images` in the image slots.
    static func segments(_ pieces: [Piece], images: [Tensor]) -> [PromptSegment] {
        pieces.map { piece in
            switch piece {
            case .text(let tokens): return .tokens(tokens)
            case .image(let index): return .image(images[index])
            }
        }
    }
}

/// A family on a Llama-family decoder whose every image, once `checkImage` accepts it, becomes
/// `imageFeatureCount` features (LLaVA-NeXT for its `originalImageSize`, InstructBLIP's query
/// tokens): prompt splitting, image spans, embedding and the prompt's forward pass come from here,
/// so a conformance writes only what its images are.
public protocol FixedCountImagePrompts: VisionLanguageModel, LanguageModelBacked {
    /// The most images one prompt takes and why, where the family's processor sets one (InstructBLIP: 1);
    /// nil: any number.
    var imagesPerPromptLimit: (most: Int, reason: String)? { get }
}

extension FixedCountImagePrompts {
    public var imagesPerPromptLimit: (most: Int, reason: String)? { nil }

    /// Refuses more images than `imagesPerPromptLimit` allows.
    func checkImageCount(_ count: Int) throws(PromptError) {
        guard let limit = imagesPerPromptLimit, count > limit.most else { return }
        throw .unsupported(reason: "\(limit.reason); got \(count) images")
    }

    /// The images as given, where their count is within `imagesPerPromptLimit` (`Decoding.prepare` asks first).
    public func promptImages(_ images: [Tensor]) throws(PromptError) -> [Tensor] {
        try checkImageCount(images.count)
        return images
    }

    /// Splits at image placeholders (one per image, or a run of `imageFeatureCount`), images checked first.
    public func segments(ids: [Int], images: [Tensor]) throws(PromptError) -> [PromptSegment] {
        try checkImageCount(images.count)
        for pixels in images { try checkImage(pixels) }
        let counts = [Int](repeating: imageFeatureCount, count: images.count)
        return PromptLayout.segments(try PromptLayout.split(ids, placeholder: imagePlaceholderID, counts: counts), images: images)
    }

    /// Where each image's `imageFeatureCount` features sit once embedded.
    public func imageSpans(ids: [Int], imageCount: Int) throws(PromptError) -> [Range<Int>] {
        try checkImageCount(imageCount)
        let counts = [Int](repeating: imageFeatureCount, count: imageCount)
        return PromptLayout.spans(try PromptLayout.split(ids, placeholder: imagePlaceholderID, counts: counts), counts: counts)
    }

    /// Input embeddings [1, T, D], each image checked and encoded.
    public func embed(_ segments: [PromptSegment], options: ForwardOptions, trace: ForwardTrace) throws(PromptError) -> Tensor {
        try embedChecked(segments, options: options, trace: trace)
    }

    /// One forward pass over a multimodal prompt (`forwardPrompt`).
    public func forward(ids: [Int], images: [Tensor], cache: KVCache?, options: ForwardOptions) throws(PromptError) -> ForwardTrace {
        try forwardPrompt(ids: ids, images: images, cache: cache, options: options)
    }
}

extension VisionLanguageModel where Self: LanguageModelBacked {
    /// Input embeddings [1, T, D] of segments, each image checked (`checkImage`) and then encoded
    /// (`imageFeatures`, [1, N, D]).
    func embedChecked(_ segments: [PromptSegment], options: ForwardOptions, trace: ForwardTrace) throws(PromptError) -> Tensor {
        try PromptLayout.embed(segments, vocabularySize: vocabularySize, trace: trace, embedTokens: { languageModel.embed($0) }) {
            (pixels, own) throws(PromptError) -> Tensor in
            try checkImage(pixels)
            return imageFeatures(pixels, options: options, trace: own)
        }
    }

    /// One forward pass over a multimodal prompt at the model's own positions (`ropePositions`, else
    /// the caller's), filling the trace with LLM and vision captures.
    func forwardPrompt(ids: [Int], images: [Tensor], cache: KVCache?, options: ForwardOptions) throws(PromptError) -> ForwardTrace {
        let trace = ForwardTrace()
        let embeddings = try embed(try segments(ids: ids, images: images), options: options, trace: trace)
        var positioned = options
        positioned.positions = try ropePositions(ids: ids, images: images) ?? options.positions
        return decode(embeddings, cache: cache, options: positioned, into: trace)
    }
}
