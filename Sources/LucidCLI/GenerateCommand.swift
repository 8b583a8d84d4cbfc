import ArgumentParser
import Foundation
import LucidGeneration
import LucidModels
import LucidTensor
import LucidText

/// `lucid generate`: text (and image) in, continuation out.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a continuation with greedy decoding, seeded sampling or beam search.",
        discussion: """
        Text streams to standard output as it is produced (greedy and sampling). --json prints \
        {"text", "token_ids", "finish_reason", "prompt_tokens", "stats"} instead. Generation stops at \
        the model's end-of-sequence token, a --stop string, or --max-new-tokens.
        """
    )

    @Option(help: "Model: a GGUF file, a Hugging Face directory, or `smollm2`.")
    var model: String = "smollm2"

    @OptionGroup var prompt: PromptOptions

    @OptionGroup var imageOptions: ImageOptions

    @Option(help: "Maximum number of new tokens.")
    var maxNewTokens: Int = 128

    @Flag(help: "Greedy decoding (the default).")
    var greedy = false

    @Option(help: "Sample with this temperature (> 0).")
    var temperature: Double?

    @Option(help: "Sampling: keep the k most likely tokens (0 = off).")
    var topK: Int = 0

    @Option(help: "Sampling: nucleus probability mass (1 = off).")
    var topP: Double = 1

    @Option(help: "Sampling seed.")
    var seed: UInt64 = 0

    @Option(help: "Beam search with this many beams.")
    var beams: Int?

    @Option(help: "Beam search length penalty (score = log-prob / length^penalty).")
    var lengthPenalty: Double = 1

    @Option(help: "Decoding: greedy, sample, beam, opera, vcd or damro (vcd/damro need --image; with --temperature they sample, else greedy).")
    var decoding: String?

    @Option(help: "VCD/DAMRO: contrast strength α (default: VCD 1, DAMRO 2).")
    var cdAlpha: Double?

    @Option(help: "VCD/DAMRO: plausibility cutoff β (default 0.1).")
    var cdBeta: Double = 0.1

    @Option(help: "VCD: diffusion noise step of the distorted image (0…999).")
    var noiseStep: Int = 500

    @Option(help: "VCD: seed of the diffusion noise.")
    var noiseSeed: UInt64 = 0

    @Option(help: "DAMRO: number of outlier visual tokens.")
    var damroTopK: Int = 10

    @Option(help: "DAMRO: [CLS] attention over the full width (single-head, official LLaVA) or averaged over heads (head-mean).")
    var damroAttention: String = OutlierAttention.singleHead.rawValue

    @Flag(help: "VCD/DAMRO sampling: apply temperature/top-k/top-p to the contrasted logits (VCD does, official DAMRO does not).")
    var cdWarpers = false

    @Option(help: "OPERA: candidates per beam N_can (1 with --opera-efficient).")
    var operaCandidates: Int?

    @Option(help: "OPERA: attention scale σ.")
    var operaScale: Double = 50

    @Option(help: "OPERA: rollback threshold r (25 with --opera-efficient).")
    var operaThreshold: Int?

    @Option(help: "OPERA: penalty weight α.")
    var operaPenalty: Double = 1

    @Option(help: "OPERA: penalty arithmetic, official (fp16 overflow gate) or smooth (f32).")
    var operaMode: String = "official"

    @Flag(help: "OPERA: the README's efficient setting (N_can 1, r 25).")
    var operaEfficient = false

    @Option(help: "Stop when the output contains this string (repeatable).")
    var stop: [String] = []

    @Flag(help: "Print JSON instead of streaming text.")
    var json = false

    func validate() throws {
        guard maxNewTokens >= 1 else { throw ValidationError("--max-new-tokens must be ≥ 1") }
        if let decoding, !["greedy", "sample", "beam", "opera", "vcd", "damro"].contains(decoding) {
            throw ValidationError("--decoding '\(decoding)' is not one of greedy, sample, beam, opera, vcd, damro")
        }
        if decoding == "opera" {
            if temperature != nil { throw ValidationError("--decoding opera is a beam search: it does not sample") }
            guard OPERAParameters.PenaltyMode(rawValue: operaMode) != nil else { throw ValidationError("--opera-mode must be official or smooth") }
            do { try operaParameters.validate() } catch { throw ValidationError(error.description) }
        }
        if decoding == "sample" && temperature == nil { throw ValidationError("--decoding sample needs --temperature") }
        if decoding == "beam" && beams == nil { throw ValidationError("--decoding beam needs --beams") }
        if ["vcd", "damro"].contains(decoding ?? "") {
            if beams != nil { throw ValidationError("--decoding \(decoding ?? "") does not combine with --beams") }
            guard (0..<1000).contains(noiseStep) else { throw ValidationError("--noise-step must be in 0…999") }
            guard damroTopK >= 1 else { throw ValidationError("--damro-top-k must be ≥ 1") }
            guard OutlierAttention(rawValue: damroAttention) != nil else {
                throw ValidationError("--damro-attention must be single-head or head-mean")
            }
            do { try contrastiveParameters.validate() } catch { throw ValidationError(error.description) }
        }
        if greedy && (temperature != nil || beams != nil) { throw ValidationError("--greedy excludes --temperature and --beams") }
        if temperature != nil && beams != nil { throw ValidationError("--temperature (sampling) and --beams exclude each other") }
        do { try strategy.validateParameters() } catch { throw ValidationError(error.description) }
    }

    var operaParameters: OPERAParameters {
        var p = operaEfficient ? OPERAParameters.efficient : OPERAParameters()
        p.beams = beams ?? 5
        if let operaCandidates { p.candidates = operaCandidates }
        if let operaThreshold { p.threshold = operaThreshold }
        p.scale = operaScale
        p.penaltyWeight = operaPenalty
        p.penaltyMode = OPERAParameters.PenaltyMode(rawValue: operaMode) ?? .official
        p.lengthPenalty = lengthPenalty
        return p
    }

    var contrastiveParameters: ContrastiveParameters {
        let damro = decoding == "damro"
        let sampling = temperature.map { SamplingParameters(temperature: $0, topK: topK, topP: topP, seed: seed) }
        return ContrastiveParameters(alpha: cdAlpha ?? (damro ? 2 : 1), beta: cdBeta, sampling: sampling,
                                     applyWarpers: damro ? cdWarpers : true)
    }

    var strategy: DecodingStrategy {
        if let temperature { return .sampling(SamplingParameters(temperature: temperature, topK: topK, topP: topP, seed: seed)) }
        if let beams { return .beamSearch(BeamSearchParameters(beams: beams, lengthPenalty: lengthPenalty)) }
        return .greedy
    }

    func run() throws {
        let loaded = try LoadedModel.open(model)
        var tokenizer: Tokenizer?
        func tok() throws -> Tokenizer {
            if let tokenizer { return tokenizer }
            let opened = try openTokenizer(model)
            tokenizer = opened
            return opened
        }
        var prefill: Prefill
        var amateur: Tensor?
        let ids: [Int]
        switch loaded {
        case .llama:
            if imageOptions.image != nil { throw CLIError("\(model) is a text-only model: --image needs a LLaVA model") }
            ids = try prompt.tokenIDs(tokenizer: tok, imageCount: 0)
            prefill = .tokens(ids)
        case .llava(let vlm):
            let pixels = try imageOptions.pixelValues(for: vlm, directory: ModelPaths.resolve(model))
            ids = try prompt.tokenIDs(tokenizer: tok, imageCount: pixels == nil ? 0 : 1)
            do {
                let segments = try vlm.segments(ids: ids, images: pixels.map { [$0] } ?? [])
                prefill = .embeddings(try withNoGrad { () throws(PromptError) -> Tensor in try vlm.embed(segments) })
                amateur = try contrastiveInput(vlm, segments: segments, pixels: pixels)
            } catch let error as PromptError {
                throw CLIError(error.description)
            }
        }
        if ["vcd", "damro"].contains(decoding ?? ""), amateur == nil {
            throw CLIError("--decoding \(decoding ?? "") needs a LLaVA model and --image")
        }
        let eos = Array(Set(loaded.llamaConfig.eosTokenIDs + [(try? tok())?.eosID].compactMap { $0 }))
        let decoder = try? tok()
        let limits = GenerationLimits(maxNewTokens: maxNewTokens, eosTokenIDs: eos, stopStrings: stop,
                                      decode: decoder.map { t in { (try? t.decode($0, skipSpecialTokens: true)) ?? "" } })
        var stream = decoder?.streamingDecoder(skipSpecialTokens: true)
        let result: GenerationResult
        do {
            let emit: (Int) -> Void = { id in
                guard !json, var s = stream, let piece = try? s.push(id) else { return }
                stream = s
                FileHandle.standardOutput.write(Data(piece.utf8))
            }
            if decoding == "opera" {
                let (embeddings, imageRange) = try operaPrompt(loaded, prefill: prefill, ids: ids)
                result = try OPERADecoder(model: loaded.causalLM, parameters: operaParameters)
                    .generate(prompt: embeddings, imageRange: imageRange, limits: limits, onToken: emit).0
            } else if let amateur, case .embeddings(let main) = prefill {
                result = try ContrastiveDecoder(model: loaded.causalLM).generate(main: main, amateur: amateur,
                                                                                 parameters: contrastiveParameters, limits: limits, onToken: emit)
            } else {
                result = try GenerationDriver(model: loaded.causalLM).generate(prefill, strategy: strategy, limits: limits, onToken: emit)
            }
        } catch let error as GenerationError { throw CLIError(error.description) }
        var text = decoder.flatMap { try? $0.decode(result.tokens, skipSpecialTokens: true) } ?? ""
        if let hit = result.stopString, let range = text.range(of: hit) { text = String(text[..<range.lowerBound]) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let stats = try JSONSerialization.jsonObject(with: encoder.encode(result.statistics))
            let object: [String: Any] = ["text": text, "token_ids": result.tokens, "finish_reason": result.finishReason,
                                         "prompt_tokens": result.statistics.prefillTokens, "stats": stats,
                                         "decoding": decoding ?? strategy.name]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            if var s = stream { FileHandle.standardOutput.write(Data(s.finish().utf8)) }
            print("")
            let st = result.statistics
            FileHandle.standardError.write(Data(String(format: "[%d prompt + %d new tokens, %.1f tok/s decode, stop: %@]\n",
                                                       result.statistics.prefillTokens, result.tokens.count, st.decodeTokensPerSecond, result.finishReason).utf8))
        }
    }
}

extension GenerateCommand {
    /// OPERA's prompt embeddings and the image tokens' positions in them.
    func operaPrompt(_ loaded: LoadedModel, prefill: Prefill, ids: [Int]) throws -> (Tensor, Range<Int>?) {
        switch (loaded, prefill) {
        case (.llava(let vlm), .embeddings(let embeddings)):
            guard let index = ids.firstIndex(of: vlm.config.imageTokenIndex) else { return (embeddings, nil) }
            return (embeddings, index..<(index + vlm.config.imageFeatureCount))
        case (.llama(let llm), .tokens(let tokens)):
            return (withNoGrad { llm.embed(Tensor(tokens, shape: [1, tokens.count])) }, nil)
        case (_, .embeddings(let embeddings)):
            return (embeddings, nil)
        case (.llava(let vlm), .tokens(let tokens)):
            return (withNoGrad { vlm.languageModel.embed(Tensor(tokens, shape: [1, tokens.count])) }, nil)
        }
    }

    /// The amateur input of VCD (noised image, same text) or DAMRO (outlier tokens only), or nil.
    func contrastiveInput(_ vlm: LlavaForConditionalGeneration, segments: [PromptSegment], pixels: Tensor?) throws -> Tensor? {
        guard let pixels, let decoding, ["vcd", "damro"].contains(decoding) else { return nil }
        let previous = Torch.isGradEnabled
        Torch.setGradEnabled(false)
        defer { Torch.setGradEnabled(previous) }
        let replacement: PromptSegment
        if decoding == "vcd" {
            replacement = .image(VCDNoise.apply(pixels, step: noiseStep, generator: LucidTensor.Generator(seed: noiseSeed)))
        } else {
            let attention = OutlierAttention(rawValue: damroAttention) ?? .singleHead
            replacement = .imageFeatures(vlm.visionOutliers(pixels, k: damroTopK, attention: attention).features[0])
        }
        var replaced: [PromptSegment] = []
        for segment in segments {
            if case .image = segment { replaced.append(replacement) } else { replaced.append(segment) }
        }
        do { return try vlm.embed(replaced) } catch { throw CLIError(error.description) }
    }
}

extension DecodingStrategy {
    func validateParameters() throws(GenerationError) {
        switch self {
        case .greedy: return
        case .sampling(let p): try p.validate()
        case .beamSearch(let p): try p.validate()
        }
    }
}
