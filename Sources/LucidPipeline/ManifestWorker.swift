import Foundation
import LucidDefense
import LucidFiles
import LucidGeneration
import LucidModels
import LucidOrganisms
import LucidRuns
import LucidTensor
import LucidText

/// Turns one work item of a run manifest into a generation: opens (and keeps) the model with its
/// `defense`, `attack` and `template` options, builds the prompt from the sample (and its image,
/// attacked once per model entry when the entry has an attack), decodes with the item's method and
/// seed, and returns the result line's fields.
public final class ManifestWorker {
    public let plan: RunPlan
    /// Where adversarial images of attacked model entries are kept.
    public let runDirectory: URL
    public let registry: ModelRegistry
    var models: [String: (OpenedModel, Tokenizer?)] = [:]

    public init(plan: RunPlan, runDirectory: URL, registry: ModelRegistry = .standard) {
        self.plan = plan
        self.runDirectory = runDirectory
        self.registry = registry
    }

    /// Checks every model's and method's options, the generation options and the judges' API-key
    /// variables (`RunJudging.validate`), so mistakes fail before
    /// any item runs; a bad `dtype` or `device`, method or generation option is a `ManifestError` naming
    /// the manifest's file, the line and the key.
    public static func validate(_ manifest: RunManifest) throws {
        for (index, model) in manifest.models.enumerated() {
            let path = ModelLocations.resolve(model.path)
            guard FileManager.default.fileExists(atPath: path) else {
                let why = HubCache.Reference(model.path) != nil ? ModelLocations.notFound(model.path)
                    : "\(path): no such model (a bundled name, a directory, a GGUF file or a Hugging Face repository id in the local hub cache)"
                throw manifest.error(at: "models[\(index)]", why)
            }
            for key in model.options.keys.sorted() where !modelOptionKeys.contains(key) {
                let hint = KeySuggestion.hint(for: key, among: modelOptionKeys)
                throw manifest.error(at: "models[\(index)].\(key)", "unknown model option" + (hint.isEmpty
                    ? " (known: name, path, \(modelOptionKeys.joined(separator: ", ")))" : hint))
            }
            do { _ = try loadOptions(of: model) } catch {
                throw manifest.error(at: "models[\(index)].\(error.concernsKey)", error.description)
            }
            do { _ = try template(of: model) } catch { throw manifest.error(at: "models[\(index)].template", error.description) }
            _ = try defense(of: model)
            _ = try attack(of: model)
        }
        for (index, method) in manifest.methods.enumerated() {
            _ = try DecodingMethod(manifest: method, index: index, seed: 0, locations: manifest.locations)
        }
        _ = try ManifestGeneration(manifest)
        try RunJudging.validate(manifest)
    }

    /// The result fields of one item: text, token_ids, finish_reason, prompt_tokens, forward_passes,
    /// decode_seconds, adversarial_image for attacked entries, reasoning for a model whose template
    /// writes it (then `text` is the answer alone, unless `generation.reasoning` is `keep`), and logprobs
    /// where `generation.logprobs` asks for them.
    public func run(_ item: WorkItem) throws -> JSONValue {
        let (loaded, tokenizer) = try model(item.model)
        let method = try DecodingMethod(manifest: item.method, seed: item.seed)
        let sample = item.sample.fields
        let generation = try ManifestGeneration(item.generation)
        var prompt: String
        switch plan.manifest.dataset.kind {
        case .captions: prompt = sample["prompt"]?.stringValue ?? generation.prompt ?? "Please describe this image in detail."
        case .pope: prompt = (sample["text"]?.stringValue ?? "") + (generation.promptSuffix ?? " Please answer this question with one word.")
        case .prompts: prompt = sample["prompt"]?.stringValue ?? ""
        }
        if let suffix = generation.promptSuffix, plan.manifest.dataset.kind != .pope { prompt += suffix }
        guard let tokenizer else { throw RunSpecError("\(item.model.label) has no tokenizer: runs need one to render prompts") }
        var pixels: Tensor?
        var adversarialImage: String?
        let attack = try ManifestAttack.of(item.model)
        let chosen: ChatTemplate?
        do { chosen = try Self.template(of: item.model) } catch { throw RunSpecError("model \(item.model.label): \(error.description)") }
        if let value = sample["image"] {
            guard let image = value.stringValue, !image.isEmpty else {
                throw RunSpecError("sample \(item.sample.id): image must be a path, found \(value.typeDescription)")
            }
            guard loaded.vision != nil else { throw RunSpecError("sample \(item.sample.id) has an image but \(item.model.label) is text-only") }
            var path = RunImages(dataset: plan.dataset.url, imageFolder: generation.imageFolder).path(of: image)
            if let attack {
                let adversarial = ManifestAttack.path(run: runDirectory, model: item.model.label, sample: item.sample.id)
                let (crafter, crafterTokenizer) = try attack.surrogate.map { try surrogate($0, gradient: attack.gradient) } ?? (loaded, tokenizer)
                try attack.adversarialImage(at: adversarial, clean: path, prompt: prompt, model: crafter, tokenizer: crafterTokenizer,
                                            template: attack.surrogate == nil ? chosen : nil)
                path = adversarial
                adversarialImage = adversarial
            }
            pixels = try loaded.pixelValues(image: path, padToSquare: generation.padToSquare)
            // InstructBLIP's Q-Former reads the prompt, as `lucid generate --image` gives it.
            try loaded.setImageInstruction(prompt)
        } else if attack != nil {
            throw RunSpecError("\(item.model.label) has an image attack but sample \(item.sample.id) has no image")
        }
        guard let template = chosen ?? loaded.chatTemplate(for: tokenizer) else {
            throw RunSpecError("\(item.model.label): cannot tell its chat template (\(ChatTemplate.undetectedReason(for: tokenizer))): "
                               + "give the model entry a `template:` (\(ChatTemplate.knownNames.joined(separator: ", ")))")
        }
        let ids = try tokenizer.encode(chat: [.user(prompt, images: pixels == nil ? 0 : 1)], template: template)
        var limits = GenerationLimits(maxNewTokens: generation.maxNewTokens, eosTokenIDs: loaded.stopTokenIDs(tokenizer: tokenizer))
        limits.bosTokenID = tokenizer.bosID
        try limits.apply(manifest: item.method)
        let result = try Decoding.generate(loaded.model, ids: ids, images: pixels.map { [$0] } ?? [], method: method, limits: limits,
                                           logprobs: generation.logprobs, encodeRefusal: { tokenizer.encode($0, addSpecialTokens: false) })
        let output = (try? tokenizer.decode(result.tokens, skipSpecialTokens: true)) ?? ""
        let split = generation.reasoning == .split ? template.splitReasoning(output) : nil
        var fields: [String: JSONValue] = [
            "text": .string((split?.answer ?? output).trimmingCharacters(in: .whitespacesAndNewlines)),
            "token_ids": .array(result.tokens.map { .int($0) }),
            "finish_reason": .string(result.finishReason.rawValue), "prompt_tokens": .int(result.statistics.promptTokens),
            "forward_passes": .int(result.statistics.forwardPasses), "decode_seconds": .double(result.statistics.decodeSeconds),
        ]
        if let split { fields["reasoning"] = .string(split.reasoning) }
        if let adversarialImage { fields["adversarial_image"] = .string(adversarialImage) }
        if let entries = result.logprobs { fields["logprobs"] = .array(entries.map(\.jsonValue)) }
        return .object(fields)
    }

    /// The model of a manifest entry, opened once per label, with its `defense` option applied
    /// (auto, qmllm or none; default auto).
    func model(_ spec: ModelSpec) throws -> (OpenedModel, Tokenizer?) {
        if let cached = models[spec.label] { return cached }
        let attack = try Self.attack(of: spec)
        let load: ModelLoadOptions
        do { load = try Self.loadOptions(of: spec) } catch { throw RunSpecError("model \(spec.label): \(error.description)") }
        let loaded = try registry.open(spec.path, options: ModelOpenOptions(quantizerGradient: attack?.gradient ?? .blocked, load: load))
        try Self.defense(of: spec).apply(to: loaded, model: spec.path)
        let tokenizer = try? registry.tokenizer(for: spec.path)
        models[spec.label] = (loaded, tokenizer)
        return (loaded, tokenizer)
    }

    /// A transfer attack's surrogate, opened once per (path, gradient); vision-language with a tokenizer only.
    func surrogate(_ path: String, gradient: VectorQuantizer.Gradient) throws -> (OpenedModel, Tokenizer) {
        let key = "surrogate \(gradient) " + path
        if let (loaded, tokenizer) = models[key], let tokenizer { return (loaded, tokenizer) }
        let loaded = try registry.open(path, options: ModelOpenOptions(quantizerGradient: gradient))
        guard loaded.vision != nil else { throw RunSpecError("attack surrogate \(path) is a text-only model: image attacks need a vision-language model") }
        let tokenizer = try registry.tokenizer(for: path)
        models[key] = (loaded, tokenizer)
        return (loaded, tokenizer)
    }

    /// A model entry's `attack` option, checked against the model it is crafted on (BPDA needs a quantiser).
    public static func attack(of spec: ModelSpec) throws(RunSpecError) -> ManifestAttack? {
        let attack = try ManifestAttack.of(spec)
        let crafter = attack?.surrogate ?? spec.path
        if attack?.gradient == .straightThrough, !QMLLMDirectory.isQMLLM(ModelLocations.resolve(crafter)) {
            throw RunSpecError("model \(spec.label): attack gradient bpda needs a Q-MLLM model (\(crafter) has no quantiser)")
        }
        if let surrogate = attack?.surrogate {
            guard FileManager.default.fileExists(atPath: ModelLocations.resolve(surrogate)) else {
                throw RunSpecError("model \(spec.label): attack surrogate \(surrogate) not found")
            }
        }
        return attack
    }

    /// The keys a model entry may carry beside `path` and `name`; any other is refused before any
    /// item runs (a misspelt `dtpye: bf16` would otherwise run in f32).
    public static let modelOptionKeys = ["attack", "defense", "device", "dtype", "fused_attention", "template"]

    /// A model entry's `template` option: a built-in chat template by name, as `lucid generate --template` takes
    /// it (a variant such as `qwen3-no-thinking`, or a format for a model whose own template Lucid cannot tell);
    /// nil without one, when the model's own is used. An attack crafted on the entry's model renders its prompt
    /// with it too.
    public static func template(of spec: ModelSpec) throws(ChatTemplateError) -> ChatTemplate? {
        guard let value = spec.options["template"] else { return nil }
        guard let name = value.stringValue else { throw .unknownTemplate(name: "\(value)", known: ChatTemplate.knownNames) }
        do { return try ChatTemplate(named: name) } catch { throw .unknownTemplate(name: name, known: ChatTemplate.knownNames) }
    }

    /// A model entry's `dtype` (f32, bf16, f16), `device` (cpu, cuda, cuda:N, mps) and
    /// `fused_attention` (true, false) options, default f32 on the CPU with the dtype's attention
    /// (`ModelLoadOptions.fusedAttention`), validated as `--dtype`/`--device`/`--[no-]fused-attention` are. A `dtype` or `device` that is not
    /// a string is refused as an unknown name, a `fused_attention` that is not a boolean as such.
    public static func loadOptions(of spec: ModelSpec) throws(ModelLoadOptionsError) -> ModelLoadOptions {
        func name(_ key: String, unknown: (String) -> ModelLoadOptionsError) throws(ModelLoadOptionsError) -> String? {
            guard let value = spec.options[key] else { return nil }
            guard let text = value.stringValue else { throw unknown("\(value)") }
            return text
        }
        var options = try ModelLoadOptions(dtypeName: try name("dtype", unknown: { .unknownDType($0) }),
                                           deviceName: try name("device", unknown: { .unknownDevice($0) }))
        if let value = spec.options["fused_attention"] {
            guard case .bool(let fused) = value else { throw .notABoolean(key: "fused_attention", found: "\(value)") }
            options.fusedAttention = fused
        }
        return options
    }

    /// What `lucid run` records and checks beside the manifest (`RunPlan.engine`): each model's dtype,
    /// device and attention kernel with Lucid's defaults resolved, so a run resumed by a Lucid whose
    /// defaults differ (as when fused attention became the bf16/f16 default) is refused rather
    /// than finished the other way. `{"models": {LABEL: {"dtype", "device", "fused_attention"}}}`, with
    /// `"fused_vision_attention": true` beside a fused one: the towers and Q-Former fuse too, since
    /// session 30 (a fused run recorded before that resumes only with `--force-new`, an explicit one still does).
    /// `"reasoning": "split"` beside a model whose template writes reasoning (`deepseek-r1`, `qwen3`) when the
    /// run splits it (`generation.reasoning`, default split): such a run started before session 36 recorded whole
    /// outputs, and resumes only with `--force-new` rather than mixing whole and split items.
    /// `"cpu": {"aten", "kernel", "products"}` beside a bf16/f16 model on the CPU: ATen's dispatch level
    /// (`Torch.cpuCapability`), the shim's few-row kernel (`SmallLinearKernel`) and whether products are
    /// widened (`"widened"`, else `"libtorch"`: `ReducedPrecisionProducts`), since each changes that model's
    /// logits by steps of the dtype and so its tokens: a shard or resume on another CPU, or with another
    /// `LUCID_WIDENED_PRODUCTS`, is refused. Recorded since session 44; a run whose record lacks it
    /// resumes with a warning (`laterEngineKeys`).
    public static func engine(of manifest: RunManifest, registry: ModelRegistry = .standard) throws(ModelLoadOptionsError) -> JSONValue {
        let splits = (try? ManifestGeneration(manifest))?.reasoning == .split
        var models: [String: JSONValue] = [:]
        for spec in manifest.models {
            let options = try loadOptions(of: spec)
            var fields: [String: JSONValue] = ["dtype": .string("\(options.dtype)"), "device": .string("\(options.device)"),
                                               "fused_attention": .bool(options.fusedAttention)]
            if options.fusedAttention { fields["fused_vision_attention"] = .bool(true) }
            if splits && writesReasoning(spec, registry: registry) { fields["reasoning"] = .string(ReasoningMode.split.rawValue) }
            if options.device == .cpu && options.dtype != .f32 { fields["cpu"] = reducedPrecisionCPU }
            models[spec.label] = .object(fields)
        }
        return .object(["models": .object(models)])
    }

    /// The keys of `engine(of:)` that runs started before session 44 lack (`RunPlan.laterEngineKeys`).
    public static let laterEngineKeys: Set<String> = ["cpu"]

    /// How this process computes bf16/f16 on the CPU, as `engine(of:)` records it.
    static var reducedPrecisionCPU: JSONValue {
        .object(["aten": .string(Torch.cpuCapability), "kernel": .string(SmallLinearKernel.active.name),
                 "products": .string(ReducedPrecisionProducts.areWidened ? "widened" : "libtorch")])
    }

    /// Whether a model entry's template writes reasoning: its `template:`, else the one its family detects
    /// from its tokenizer, as `run` takes them (false where neither can be read yet; the item says why).
    static func writesReasoning(_ spec: ModelSpec, registry: ModelRegistry) -> Bool {
        if let chosen = try? template(of: spec) { return chosen.writesReasoning }
        guard let tokenizer = try? registry.tokenizer(for: spec.path) else { return false }
        let type = ModelRegistry.modelType(directory: ModelLocations.resolve(spec.path))
        let family = type.flatMap { registry.family(modelType: $0) } ?? registry.fallback
        return family.chatTemplate(tokenizer)?.writesReasoning ?? false
    }

    /// A model entry's `defense` option (default auto).
    public static func defense(of spec: ModelSpec) throws(RunSpecError) -> DefenseChoice {
        switch spec.options["defense"] {
        case nil: return .auto
        case .string(let text)?: return try DefenseChoice(parsing: text, context: "model \(spec.label): defense")
        case let other?: throw RunSpecError("model \(spec.label): defense must be one of \(DefenseChoice.names), not \(other)")
        }
    }
}
