import ArgumentParser
import Foundation
import LucidDefense
import LucidGeneration
import LucidModels
import LucidOrganisms
import LucidRuns
import LucidTensor
import LucidText

/// `lucid run`: model × dataset × method × seed grids from a manifest, resumable and shardable.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a manifest (models × dataset × methods × seeds), resumably; merge sharded runs.",
        discussion: "See docs/runs.md for the manifest schema, sharding with Slurm or Kubernetes, and resuming.",
        subcommands: [RunStartCommand.self, RunMergeCommand.self],
        defaultSubcommand: RunStartCommand.self
    )
}

/// `lucid run MANIFEST`: runs (or resumes) every pending work item, one JSONL line per result.
struct RunStartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Run or resume a manifest (the default: `lucid run MANIFEST`).",
        discussion: """
        Results are appended to OUTPUT/results.jsonl (or results.shard-i-of-n.jsonl) as each sample finishes; \
        a killed run resumes where it stopped. Methods: greedy, sample (temperature, top_k, top_p), beam \
        (beams, length_penalty), opera (beams, candidates, scale, threshold, penalty, mode, efficient), vcd \
        (alpha, beta, noise_step, temperature …), damro (alpha, beta, outliers, attention, warpers …). The seed \
        seeds sampling and VCD noise. Generation options: max_new_tokens (64), prompt, prompt_suffix, pad_to_square, \
        image_folder (where relative image paths point, e.g. images for a `lucid world generate` directory). \
        Model options: defense (auto, qmllm, none): a Q-MLLM model's gate is used by default, none removes it; \
        attack ({name: sink|pgd|noise, eps: 8/255, steps: 30, …}): each sample's image is attacked once for that \
        model entry (saved under OUTPUT/adversarial/) and every method and seed sees the adversarial image.
        """
    )

    @Argument(help: "The manifest (YAML or JSON).")
    var manifest: String

    @Option(help: "Run only shard I of N (0-based), e.g. 3/8.")
    var shard: String?

    @Option(help: "Output directory (default: the manifest's `output`).")
    var output: String?

    @Flag(help: "Start a fresh run directory instead of resuming (never deletes anything).")
    var forceNew = false

    func validate() throws {
        if let shard { do { _ = try ShardSpec(parsing: shard) } catch { throw ValidationError("--shard: \(error)") } }
    }

    func run() async throws {
        let spec = try shard.map { text throws -> ShardSpec in
            do { return try ShardSpec(parsing: text) } catch { throw CLIError("--shard: \(error)") }
        }
        let session: RunSession
        do {
            session = try RunSession.open(manifest: URL(fileURLWithPath: manifest), output: output.map { URL(fileURLWithPath: $0) },
                                          shard: spec, forceNew: forceNew)
        } catch { throw CLIError("\(error)") }
        for warning in session.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        // Option mistakes fail before any item runs, not once per item.
        for model in session.plan.manifest.models {
            _ = try ManifestWorker.defense(of: model)
            _ = try ManifestWorker.attack(of: model)
        }
        for method in session.plan.manifest.methods { _ = try ManifestWorker.decodingConfig(method, seed: 0) }
        let worker = ManifestWorker(plan: session.plan, runDirectory: session.directory.url)
        let summary: RunSummary
        do {
            summary = try await session.run(progress: .automatic(label: session.plan.manifest.name), interruption: InterruptMonitor()) { item in
                try worker.run(item)
            }
        } catch { throw CLIError("\(error)") }
        print("\(summary.succeeded) done, \(summary.alreadyDone) already done, \(summary.failed) failed, \(summary.remaining) remaining → \(session.directory.url.path)")
        if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
    }
}

/// `lucid run merge DIR`: combines shard files into results.jsonl.
struct RunMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge", abstract: "Merge the shard results of a run directory.")

    @Argument(help: "The run directory.")
    var directory: String

    @Flag(help: "Merge even when items or shards are missing (they are listed).")
    var allowIncomplete = false

    func run() throws {
        do {
            let report = try RunMerger.merge(try RunDirectory.open(URL(fileURLWithPath: directory)), allowIncomplete: allowIncomplete)
            print("merged \(report.merged) of \(report.totalItems) items from \(report.shardCount) shard(s)"
                  + (report.missing.isEmpty ? "" : "; missing \(report.missing.count)") + (report.failed.isEmpty ? "" : "; failed \(report.failed.count)"))
        } catch { throw CLIError("\(error)") }
    }
}

/// Turns one work item into a generation: loads (and keeps) the model, builds the prompt from the
/// sample, decodes with the item's method and seed.
final class ManifestWorker {
    let plan: RunPlan
    /// Where adversarial images of attacked model entries are kept.
    let runDirectory: URL
    var models: [String: (LoadedModel, Tokenizer?)] = [:]

    init(plan: RunPlan, runDirectory: URL) {
        self.plan = plan
        self.runDirectory = runDirectory
    }

    func run(_ item: WorkItem) throws -> JSONValue {
        let (loaded, tokenizer) = try model(item.model)
        let config = try Self.decodingConfig(item.method, seed: item.seed)
        let sample = item.sample.fields
        let generation = item.generation
        let base = plan.dataset.url.deletingLastPathComponent()
        var prompt: String
        switch plan.manifest.dataset.kind {
        case .captions: prompt = sample["prompt"]?.stringValue ?? generation["prompt"]?.stringValue ?? "Please describe this image in detail."
        case .pope: prompt = (sample["text"]?.stringValue ?? "") + (generation["prompt_suffix"]?.stringValue ?? " Please answer this question with one word.")
        case .prompts: prompt = sample["prompt"]?.stringValue ?? ""
        }
        if let suffix = generation["prompt_suffix"]?.stringValue, plan.manifest.dataset.kind != .pope { prompt += suffix }
        guard let tokenizer else { throw CLIError("\(item.model.label) has no tokenizer: runs need one to render prompts") }
        var pixels: Tensor?
        var adversarialImage: String?
        let attack = try ManifestAttack.of(item.model)
        if let image = sample["image"]?.stringValue {
            guard case .llava(let vlm) = loaded else { throw CLIError("sample \(item.sample.id) has an image but \(item.model.label) is text-only") }
            // Relative image paths resolve against the dataset's folder, or against the generation
            // option image_folder (itself relative to the dataset's folder), as POPE's --image-folder.
            let folder = generation["image_folder"]?.stringValue.map { $0.hasPrefix("/") ? URL(fileURLWithPath: $0) : base.appendingPathComponent($0) } ?? base
            var path = image.hasPrefix("/") ? image : folder.appendingPathComponent(image).path
            if let attack {
                let adversarial = ManifestAttack.path(run: runDirectory, model: item.model.label, sample: item.sample.id)
                let (crafter, crafterTokenizer) = try attack.surrogate.map { try surrogate($0, gradient: attack.gradient) } ?? (vlm, tokenizer)
                try attack.adversarialImage(at: adversarial, clean: path, prompt: prompt, vlm: crafter, tokenizer: crafterTokenizer)
                path = adversarial
                adversarialImage = adversarial
            }
            let pad = generation["pad_to_square"].map { $0 == .bool(true) } ?? false
            pixels = try ImageOptions.pixelValues(image: path, for: vlm, directory: ModelPaths.resolve(item.model.path), padToSquare: pad)
        } else if attack != nil {
            throw CLIError("\(item.model.label) has an image attack but sample \(item.sample.id) has no image")
        }
        let template: ChatTemplate
        if let detected = ChatTemplate.detect(for: tokenizer) { template = detected } else { throw CLIError("\(item.model.label): unknown chat template") }
        let ids = try tokenizer.encode(chat: [.user(prompt, images: pixels == nil ? 0 : 1)], template: template)
        let eos = Array(Set(loaded.llamaConfig.eosTokenIDs + [tokenizer.eosID].compactMap { $0 }))
        let limits = GenerationLimits(maxNewTokens: generation["max_new_tokens"]?.intValue ?? 64, eosTokenIDs: eos)
        let result = try MethodRunner(encode: { tokenizer.encode($0, addSpecialTokens: false) })
            .generate(loaded, ids: ids, pixels: pixels, config: config, limits: limits)
        let text = (try? tokenizer.decode(result.tokens, skipSpecialTokens: true)) ?? ""
        var fields: [String: JSONValue] = [
            "text": .string(text.trimmingCharacters(in: .whitespacesAndNewlines)), "token_ids": .array(result.tokens.map { .int($0) }),
            "finish_reason": .string(result.finishReason), "prompt_tokens": .int(result.statistics.prefillTokens),
            "forward_passes": .int(result.statistics.forwardPasses), "decode_seconds": .double(result.statistics.decodeSeconds),
        ]
        if let adversarialImage { fields["adversarial_image"] = .string(adversarialImage) }
        return .object(fields)
    }

    /// The model of a manifest entry, opened once per label, with its `defense` option applied
    /// (auto, qmllm or none; default auto).
    func model(_ spec: ModelSpec) throws -> (LoadedModel, Tokenizer?) {
        if let cached = models[spec.label] { return cached }
        let attack = try Self.attack(of: spec)
        let loaded = try LoadedModel.open(spec.path, quantizerGradient: attack?.gradient ?? .blocked)
        try Self.defense(of: spec).apply(to: loaded, model: spec.path)
        let tokenizer = try? openTokenizer(spec.path)
        models[spec.label] = (loaded, tokenizer)
        return (loaded, tokenizer)
    }

    /// A transfer attack's surrogate, opened once per (path, gradient); LLaVA with a tokenizer only.
    func surrogate(_ path: String, gradient: VectorQuantizer.Gradient) throws -> (LlavaForConditionalGeneration, Tokenizer) {
        let key = "surrogate \(gradient) " + path
        if let (loaded, tokenizer) = models[key], case .llava(let vlm) = loaded, let tokenizer { return (vlm, tokenizer) }
        guard case .llava(let vlm) = try LoadedModel.open(path, quantizerGradient: gradient) else {
            throw CLIError("attack surrogate \(path) is not a LLaVA model")
        }
        let tokenizer = try openTokenizer(path)
        models[key] = (.llava(vlm), tokenizer)
        return (vlm, tokenizer)
    }

    /// A model entry's `attack` option, checked against the model it is crafted on (BPDA needs a quantiser).
    static func attack(of spec: ModelSpec) throws -> ManifestAttack? {
        let attack = try ManifestAttack.of(spec)
        let crafter = attack?.surrogate ?? spec.path
        if attack?.gradient == .straightThrough, !QMLLMDirectory.isQMLLM(ModelPaths.resolve(crafter)) {
            throw CLIError("model \(spec.label): attack gradient bpda needs a Q-MLLM model (\(crafter) has no quantiser)")
        }
        if let surrogate = attack?.surrogate {
            guard FileManager.default.fileExists(atPath: ModelPaths.resolve(surrogate)) else {
                throw CLIError("model \(spec.label): attack surrogate \(surrogate) not found")
            }
        }
        return attack
    }

    /// A model entry's `defense` option (default auto).
    static func defense(of spec: ModelSpec) throws -> DefenseChoice {
        switch spec.options["defense"] {
        case nil: return .auto
        case .string(let text)?: return try DefenseChoice(parsing: text, context: "model \(spec.label): defense")
        case let other?: throw CLIError("model \(spec.label): defense must be one of \(DefenseChoice.names), not \(other)")
        }
    }

    static let knownOptions: [String: Set<String>] = [
        "greedy": [], "sample": ["temperature", "top_k", "top_p"], "beam": ["beams", "length_penalty"],
        "opera": ["beams", "candidates", "scale", "threshold", "penalty", "mode", "efficient", "length_penalty"],
        "vcd": ["alpha", "beta", "noise_step", "temperature", "top_k", "top_p"],
        "damro": ["alpha", "beta", "outliers", "attention", "warpers", "temperature", "top_k", "top_p"],
    ]

    /// A manifest method entry as a decoding configuration; unknown methods and options are errors.
    static func decodingConfig(_ method: MethodSpec, seed: Int) throws -> DecodingConfig {
        guard let known = knownOptions[method.name] else {
            throw CLIError("method '\(method.name)' is not one of \(DecodingConfig.names.joined(separator: ", "))")
        }
        if let unknown = method.options.keys.sorted().first(where: { !known.contains($0) }) {
            throw CLIError("method '\(method.name)': unknown option '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        let o = method.options
        func number(_ key: String) -> Double? { o[key]?.doubleValue ?? o[key]?.intValue.map(Double.init) }
        var config = DecodingConfig()
        config.name = method.name
        let s = UInt64(max(0, seed))
        if let t = number("temperature") ?? (method.name == "sample" ? 1 : nil) {
            config.sampling = SamplingParameters(temperature: t, topK: o["top_k"]?.intValue ?? 0, topP: number("top_p") ?? 1, seed: s)
        }
        config.beam = BeamSearchParameters(beams: o["beams"]?.intValue ?? 5, lengthPenalty: number("length_penalty") ?? 1)
        var opera = o["efficient"] == .bool(true) ? OPERAParameters.efficient : OPERAParameters()
        opera.beams = o["beams"]?.intValue ?? 5
        if let c = o["candidates"]?.intValue { opera.candidates = c }
        if let r = o["threshold"]?.intValue { opera.threshold = r }
        opera.scale = number("scale") ?? 50
        opera.penaltyWeight = number("penalty") ?? 1
        opera.lengthPenalty = number("length_penalty") ?? 1
        if let mode = o["mode"]?.stringValue {
            guard let parsed = OPERAParameters.PenaltyMode(rawValue: mode) else { throw CLIError("opera: mode must be official or smooth") }
            opera.penaltyMode = parsed
        }
        config.opera = opera
        let damro = method.name == "damro"
        config.contrastive = ContrastiveParameters(alpha: number("alpha") ?? (damro ? 2 : 1), beta: number("beta") ?? 0.1,
                                                   sampling: config.sampling, applyWarpers: damro ? o["warpers"] == .bool(true) : true)
        config.noiseStep = o["noise_step"]?.intValue ?? 500
        config.noiseSeed = s
        config.damroTopK = o["outliers"]?.intValue ?? 10
        if let attention = o["attention"]?.stringValue {
            guard let parsed = OutlierAttention(rawValue: attention) else { throw CLIError("damro: attention must be single-head or head-mean") }
            config.damroAttention = parsed
        }
        do { try config.validate() } catch { throw CLIError("method '\(method.name)': \(error.description)") }
        return config
    }
}
