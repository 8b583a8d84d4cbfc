import Foundation
import LucidGeneration
import LucidModels
import LucidTensor

/// A decoding method and its parameters, from CLI flags or a run manifest's method entry.
struct DecodingConfig {
    static let names = ["greedy", "sample", "beam", "opera", "vcd", "damro"]

    var name = "greedy"
    var sampling: SamplingParameters?
    var beam = BeamSearchParameters()
    var opera = OPERAParameters()
    var contrastive = ContrastiveParameters(alpha: 1, beta: 0.1)
    var noiseStep = 500
    var noiseSeed: UInt64 = 0
    var damroTopK = 10
    var damroAttention = OutlierAttention.singleHead

    var needsImage: Bool { name == "vcd" || name == "damro" }

    func validate() throws(GenerationError) {
        guard Self.names.contains(name) else { throw .invalidOption("decoding '\(name)' is not one of \(Self.names.joined(separator: ", "))") }
        try sampling?.validate()
        switch name {
        case "beam": try beam.validate()
        case "opera": try opera.validate()
        case "vcd", "damro":
            try contrastive.validate()
            guard (0..<VCDNoise.steps).contains(noiseStep) else { throw .invalidOption("noise step must be in 0…999") }
            guard damroTopK >= 1 else { throw .invalidOption("DAMRO top-k must be ≥ 1") }
        default: break
        }
    }
}

/// Runs one generation with any decoding method on a loaded model (shared by `generate` and `run`).
///
/// A vision-language model with an image gate (Q-MLLM) is screened first: a refused image gives
/// the gate's answer (tokenised with `encode`) and finish reason `refused`, without running the LLM.
struct MethodRunner {
    /// Tokenises a gate's refusal (without it a refusal has no tokens).
    var encode: ((String) -> [Int])?

    /// Generates from token ids (with image placeholders when `pixels` is given).
    func generate(_ loaded: LoadedModel, ids: [Int], pixels: Tensor?, config: DecodingConfig, limits: GenerationLimits,
                  onToken: ((Int) -> Void)? = nil) throws -> GenerationResult {
        do { try config.validate() } catch { throw CLIError(error.description) }
        var prefill = Prefill.tokens(ids)
        var amateur: Tensor?
        var imageRange: Range<Int>?
        switch loaded {
        case .llama:
            if pixels != nil { throw CLIError("this is a text-only model: images need a LLaVA model") }
        case .llava(let vlm):
            if let pixels, let gate = vlm.imageGate, let refusal = withNoGrad({ gate(pixels) }) {
                return GenerationResult(tokens: encode?(refusal) ?? [], finishReason: "refused")
            }
            let images = pixels.map { [$0] } ?? []
            do {
                let segments = try vlm.segments(ids: ids, images: images)
                prefill = .embeddings(try withNoGrad { () throws(PromptError) -> Tensor in try vlm.embed(segments) })
                imageRange = try vlm.imageSpans(ids: ids, imageCount: images.count).first
                if let pixels, config.needsImage {
                    amateur = try contrastiveInput(vlm, segments: segments, pixels: pixels, config: config)
                }
            } catch let error as PromptError {
                throw CLIError(error.description)
            }
        }
        if config.needsImage && amateur == nil { throw CLIError("decoding \(config.name) needs a LLaVA model and an image") }
        do {
            switch config.name {
            case "opera":
                let embeddings: Tensor
                switch prefill {
                case .embeddings(let e): embeddings = e
                case .tokens(let t): embeddings = withNoGrad { loaded.causalLM.embed(Tensor(t, shape: [1, t.count])) }
                }
                return try OPERADecoder(model: loaded.causalLM, parameters: config.opera)
                    .generate(prompt: embeddings, imageRange: imageRange, limits: limits, onToken: onToken).0
            case "vcd", "damro":
                guard let amateur, case .embeddings(let main) = prefill else { throw CLIError("no contrastive input") }
                return try ContrastiveDecoder(model: loaded.causalLM).generate(main: main, amateur: amateur, parameters: config.contrastive,
                                                                               limits: limits, onToken: onToken)
            case "beam":
                return try GenerationDriver(model: loaded.causalLM).generate(prefill, strategy: .beamSearch(config.beam), limits: limits, onToken: onToken)
            case "sample":
                guard let sampling = config.sampling else { throw CLIError("sampling needs a temperature") }
                return try GenerationDriver(model: loaded.causalLM).generate(prefill, strategy: .sampling(sampling), limits: limits, onToken: onToken)
            default:
                return try GenerationDriver(model: loaded.causalLM).generate(prefill, strategy: .greedy, limits: limits, onToken: onToken)
            }
        } catch let error as GenerationError {
            throw CLIError(error.description)
        }
    }

    /// The amateur input of VCD (noised image, same text) or DAMRO (outlier tokens only).
    func contrastiveInput(_ vlm: any VisionLanguageModel, segments: [PromptSegment], pixels: Tensor, config: DecodingConfig) throws -> Tensor {
        let previous = Torch.isGradEnabled
        Torch.setGradEnabled(false)
        defer { Torch.setGradEnabled(previous) }
        let replacement: PromptSegment
        if config.name == "vcd" {
            replacement = .image(VCDNoise.apply(pixels, step: config.noiseStep, generator: LucidTensor.Generator(seed: config.noiseSeed)))
        } else {
            replacement = .imageFeatures(vlm.visionOutliers(pixels, k: config.damroTopK, attention: config.damroAttention).features[0])
        }
        var replaced: [PromptSegment] = []
        for segment in segments {
            if case .image = segment { replaced.append(replacement) } else { replaced.append(segment) }
        }
        do { return try vlm.embed(replaced) } catch { throw CLIError(error.description) }
    }
}
