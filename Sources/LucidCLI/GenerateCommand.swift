import ArgumentParser
import Foundation
import LucidOrganisms
import LucidGeneration
import LucidModels
import LucidPipeline
import LucidRuns
import LucidTensor
import LucidText

/// `lucid generate`: text (and image) in, continuation out.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a continuation with greedy decoding, seeded sampling or beam search.",
        discussion: """
        Text streams to standard output as it is produced (greedy and sampling). --json prints \
        {"text", "token_ids", "finish_reason", "prompt_tokens", "stats"} instead; with a template whose models \
        reason first (deepseek-r1, qwen3), "text" is the answer and "reasoning" what preceded </think>. \
        Generation stops at the model's end-of-sequence token, a --stop string, or --max-new-tokens.
        """
    )

    @Option(help: "Model: a GGUF file, a Hugging Face directory or repository id in the local hub cache (org/name[@revision]), a bundled organism, or `smollm2`.")
    var model: String = "smollm2"

    @OptionGroup var prompt: PromptOptions

    @OptionGroup var imageOptions: ImageOptions

    @OptionGroup var runtime: ModelRuntimeOptions

    @Option(help: "A safetensors file of the HF processor's outputs (pixel_values and the family's extras: image_sizes, image_grid_thw, qformer_input_ids; several images of one sample: LLaVA-OneVision's with batch_num_images, Qwen2-VL's with image_grid_thw [N, 3]); use with --input-ids.")
    var pixelValues: String?

    @Option(help: "Maximum number of new tokens.")
    var maxNewTokens: Int = 128

    @Flag(help: "Greedy decoding (the default).")
    var greedy = false

    @Flag(help: "Decode even when the logits hold NaN or infinity (research on broken weights); by default that is an error.")
    var allowNonFinite = false

    @Option(help: "Sample with this temperature (> 0).")
    var temperature: Double?

    @Option(help: "Sampling: keep the k most likely tokens (0 = off).")
    var topK: Int = 0

    @Option(help: "Sampling: nucleus probability mass (1 = off).")
    var topP: Double = 1

    @Option(help: "Sampling seed.")
    var seed: UInt64 = 0

    @Option(help: "Greedy/sampling/beam/OPERA: transformers' repetition penalty on the prompt's and output's tokens (0.001…1000; above 1 discourages repeats, 1 = off).")
    var repetitionPenalty: Double = 1
    @Option(help: "What the repetition penalty and n-gram ban count besides the output: prompt, bos (the tokenizer's; transformers 4.29 from inputs_embeds, as OPERA's and LAVIS's InstructBLIP run), output (none), or token ids (1,2).") var repetitionContext = RepetitionContext.prompt

    @Option(help: "Greedy/sampling: OpenAI's presence penalty, subtracted once from each token the output holds (−2…2).")
    var presencePenalty: Double = 0

    @Option(help: "Greedy/sampling: OpenAI's frequency penalty, subtracted per time the output holds a token (−2…2).")
    var frequencyPenalty: Double = 0

    @Option(help: "Sampling: drop the tokens less likely than this × the likeliest one, after top-p (0 = off; 0…1).") var minP: Double = 0
    @Option(help: "Greedy/sampling/beam/OPERA: no end token before this many new tokens (≤ --max-new-tokens; stop strings still end).") var minNewTokens = 0
    @Flag(help: "Generate past the model's end tokens, to --max-new-tokens or a stop string (vLLM's ignore_eos; transformers' eos_token_id=None).") var ignoreEos = false
    @Option(help: "Greedy/sampling/beam/OPERA: transformers' no_repeat_ngram_size, no n-gram of this many tokens twice in the repetition context and output (0 = off).") var noRepeatNgramSize = 0
    @Option(help: "Greedy/sampling/beam/OPERA: OpenAI's logit bias, a JSON object from token ids to −100…100 added to their logits (beam, OPERA: log-probabilities), e.g. '{\"2\": -100}'.")
    var logitBias: String?

    @Option(help: "Beam search with this many beams.")
    var beams: Int?

    @Option(help: "Beam search length penalty (score = log-prob / length^penalty).")
    var lengthPenalty: Double = 1
    @Option(help: "Beam/OPERA: the length counts the new tokens, or the whole sequence (the start ids, the new tokens less an end token), as transformers 4.29 (OPERA's code).") var hypothesisLength = HypothesisLength.new

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

    @Option(help: "OPERA: penalty weight α (0 = no penalty: rollbacks and the candidate restriction only).")
    var operaPenalty: Double = 1

    @Option(help: "OPERA: penalty arithmetic, official (fp16 overflow gate) or smooth (f32).")
    var operaMode: String = "official"

    @Flag(help: "OPERA: the README's efficient setting (N_can 1, r 25).")
    var operaEfficient = false

    @Option(help: "Stop when the output contains this string (repeatable); the text, printed or in --json, ends before the first.")
    var stop: [String] = []

    @Flag(help: "Print JSON instead of streaming text.")
    var json = false

    @Option(help: "With --json: each token's log-probability and this many likeliest alternatives (0…20).")
    var logprobs: Int?

    @Option(help: "raw_logprobs (the model's own, before any method changes them) or processed_logprobs (what the method chose from).")
    var logprobsMode = LogprobsMode.raw

    @OptionGroup var defense: DefenseOption

    func validate() throws {
        guard (1...GenerationLimits.maximumNewTokens).contains(maxNewTokens) else {
            throw ValidationError("--max-new-tokens must be in 1…\(GenerationLimits.maximumNewTokens) (got \(maxNewTokens))")
        }
        guard lengthPenalty.isFinite else { throw ValidationError("--length-penalty must be finite (got \(lengthPenalty))") }
        if greedy && (temperature != nil || beams != nil) { throw ValidationError("--greedy excludes --temperature and --beams") }
        if let logprobs, !json || !(0...TokenLogprobs.maximumTop).contains(logprobs) { throw ValidationError("--logprobs takes 0…20 and needs --json") }
        if logprobs == nil && logprobsMode != .raw { throw ValidationError("--logprobs-mode needs --logprobs N") }
        if temperature != nil && beams != nil && decoding != "opera" { throw ValidationError("--temperature (sampling) and --beams exclude each other") }
        if decoding == "sample" && temperature == nil { throw ValidationError("--decoding sample needs --temperature") }
        if decoding == "opera" && temperature != nil { throw ValidationError("--decoding opera is a beam search: it does not sample") }
        guard OPERAParameters.PenaltyMode(rawValue: operaMode) != nil else { throw ValidationError("--opera-mode must be official or smooth") }
        guard OutlierAttention(rawValue: damroAttention) != nil else { throw ValidationError("--damro-attention must be single-head or head-mean") }
        guard DecodingMethod.names.contains(decodingName) else {
            throw ValidationError("decoding '\(decodingName)' is not one of \(DecodingMethod.names.joined(separator: ", "))")
        }
        do { try SamplingParameters(topK: topK, topP: topP, minP: minP).validate(); let method = try decodingMethod(); try method.validate(); try limits().validateLogitsProcessing(for: method) } catch {
            throw ValidationError("\(error)")
        }
        if temperature == nil && (topK != 0 || topP != 1 || minP != 0) { throw ValidationError("--top-k, --top-p and --min-p shape sampling: they need --temperature (without it they change nothing)") }
        if pixelValues != nil && !imageOptions.images.isEmpty { throw ValidationError("--image and --pixel-values exclude each other") }
        if stop.contains(where: \.isEmpty) { throw ValidationError("--stop must not be empty: it would stop before the first token") }
    }

    /// `--decoding`, else sample with a temperature, beam with beams, greedy.
    var decodingName: String { decoding ?? (temperature != nil ? "sample" : beams != nil ? "beam" : "greedy") }
    var sampling: SamplingParameters? { temperature.map { SamplingParameters(temperature: $0, topK: topK, topP: topP, seed: seed, minP: minP) } }

    /// The limits these flags set, less the model's end tokens and a decoder for the stop strings.
    func limits() throws -> GenerationLimits {
        var limits = GenerationLimits(maxNewTokens: maxNewTokens, stopStrings: stop)
        limits.penalties = TokenPenalties(repetition: repetitionPenalty, presence: presencePenalty, frequency: frequencyPenalty)
        (limits.minNewTokens, limits.repetitionContext, limits.noRepeatNGramSize) = (minNewTokens, repetitionContext, noRepeatNgramSize)
        limits.logitBias = try logitBias.map { text in
            do { return try GenerationLimits.logitBias(json: try JSONValue.parse(text)) } catch { throw CLIError("--logit-bias: \(error)") }
        } ?? [:]
        limits.allowsNonFiniteLogits = allowNonFinite
        return limits
    }

    /// The decoding method these flags ask for.
    func decodingMethod() throws -> DecodingMethod {
        let damro = decodingName == "damro"
        let contrastive = ContrastiveParameters(alpha: cdAlpha ?? (damro ? 2 : 1), beta: cdBeta, sampling: sampling,
                                                applyWarpers: damro ? cdWarpers : true)
        switch decodingName {
        case "sample":
            guard let sampling else { throw CLIError("sampling needs a temperature") }
            return .sample(sampling)
        case "beam": return .beam(BeamSearchParameters(beams: beams ?? 3, lengthPenalty: lengthPenalty, hypothesisLength: hypothesisLength))
        case "opera":
            var opera = operaEfficient ? OPERAParameters.efficient : OPERAParameters()
            opera.beams = beams ?? 5
            if let operaCandidates { opera.candidates = operaCandidates }
            if let operaThreshold { opera.threshold = operaThreshold }
            opera.scale = operaScale
            opera.penaltyWeight = operaPenalty
            opera.penaltyMode = OPERAParameters.PenaltyMode(rawValue: operaMode) ?? .official
            (opera.lengthPenalty, opera.hypothesisLength) = (lengthPenalty, hypothesisLength)
            return .opera(opera)
        case "vcd": return .vcd(contrastive, noiseStep: noiseStep, noiseSeed: noiseSeed)
        case "damro": return .damro(contrastive, outliers: damroTopK, attention: OutlierAttention(rawValue: damroAttention) ?? .singleHead)
        default: return .greedy
        }
    }

    func run() throws {
        let loaded = try openModel(model, runtime: runtime)
        try defense.apply(to: loaded, model: model)
        let decoder = try? openTokenizer(model)  // none with --input-ids on a model without one
        func tok() throws -> Tokenizer { try decoder ?? openTokenizer(model) }  // opened again only to say why not
        var images: [Tensor] = []
        if let vlm = loaded.vision {
            images = try imageOptions.pixelValues(for: loaded, prompt: prompt.prompt)
            // A processor's outputs may hold one sample's several images (LLaVA-OneVision's batch_num_images).
            if let pixelValues { images = try ProcessorOutputs.load(path: pixelValues).images(for: vlm) }
        } else if !imageOptions.images.isEmpty || pixelValues != nil {
            throw CLIError("\(model) is a text-only model: --image and --pixel-values need a vision-language model")
        }
        let ids = try prompt.tokenIDs(tokenizer: tok, imageCount: images.count, model: loaded)
        var limits = try limits()
        (limits.eosTokenIDs, limits.bosTokenID) = (ignoreEos ? [] : loaded.stopTokenIDs(tokenizer: decoder), decoder?.bosID)
        limits.decode = decoder.map { t in { (try? t.decode($0, skipSpecialTokens: true)) ?? "" } }
        var stream = decoder?.streamingDecoder(skipSpecialTokens: true)
        var held = StopStringStream(stops: stop)  // the terminal, like the JSON text, never shows a stop string
        let method = try decodingMethod()
        let request = logprobs.map { LogprobsRequest(top: $0, mode: logprobsMode) }
        let result = try Decoding.generate(loaded.model, ids: ids, images: images, method: method, limits: limits, logprobs: request,
                                           encodeRefusal: decoder.map { t in { t.encode($0, addSpecialTokens: false) } }) { id, _ in
            guard !json, var s = stream, let piece = try? s.push(id) else { return }
            stream = s
            FileHandle.standardOutput.write(Data(held.push(piece).utf8))
        }
        var text = decoder.flatMap { try? $0.decode(result.tokens, skipSpecialTokens: true) } ?? ""
        if result.finishReason == .stopString { text = StopStringStream.cut(text, before: stop) }
        if json {
            let stats = try JSONSerialization.jsonObject(with: JSONEncoder().encode(result.statistics))
            let split = try decoder.flatMap { try prompt.chatTemplate(tokenizer: $0, model: loaded)?.splitReasoning(text) }
            var object: [String: Any] = ["text": split?.answer ?? text, "token_ids": result.tokens, "finish_reason": result.finishReason.rawValue,
                                         "prompt_tokens": result.statistics.promptTokens, "stats": stats, "decoding": method.name]
            if let split { object["reasoning"] = split.reasoning }
            if let entries = result.logprobs {
                object["logprobs"] = try JSONSerialization.jsonObject(with: Data(try JSONValue.array(entries.map(\.jsonValue)).canonicalText().utf8))
            }
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            let tail = stream.map { var s = $0; return held.finish(s.finish(), stopped: result.finishReason == .stopString) }
                ?? (decoder == nil ? result.tokens.map(String.init).joined(separator: " ") : "")
            FileHandle.standardOutput.write(Data((tail + "\n").utf8))
            let st = result.statistics
            FileHandle.standardError.write(Data(String(format: "[%d prompt + %d new tokens, %.1f tok/s decode, stop: %@]\n",
                                                       st.promptTokens, result.tokens.count, st.decodeTokensPerSecond, result.finishReason.rawValue).utf8))
        }
    }
}
