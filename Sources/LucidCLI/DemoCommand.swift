import ArgumentParser
import Foundation
import LucidEval
import LucidFiles
import LucidGeneration
import LucidModels
import LucidPipeline
import LucidOrganisms
import LucidSupport
import LucidTensor
import LucidText
import LucidWorld

/// `lucid demo`: a bundled organism describes fresh ShapesWorld scenes; hallucinations are marked
/// against the exact ground truth, with CHAIR, POPE and an HTML report.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Describe fresh ShapesWorld scenes with a bundled organism, mark hallucinations, score CHAIR and POPE, write an HTML report.",
        discussion: """
        Generates --scenes held-out scenes (a world seed no recipe trains on), asks the model to describe each with \
        every --methods decoding method, and scores the descriptions against the ground truth (recall, CHAIR_i, \
        CHAIR_s, with ShapesWorld's vocabulary; also through the NLTK CHAIR of `lucid eval chair`). POPE's three \
        splits are asked with greedy decoding. Results stream to OUT/descriptions.jsonl (a killed demo resumes; \
        a description is reused only for the same model, dtype, attention kernel, world seed, prompt, token \
        limit, defence and the method's own options); \
        OUT/report.html shows every scene with its descriptions, hallucinated objects struck through; \
        OUT/summary.json holds the table (per run, and mean ± sd over seeds for sampled methods) with each \
        method's time per token relative to its baseline (OPERA: beam; VCD, DAMRO: greedy; their -sample \
        variants: sample).

        Methods: greedy, beam and opera (beam search with --beams), sample (temperature --temperature, no top-k \
        or top-p, as the VCD and DAMRO papers sample), vcd and damro (contrastive, greedy), vcd-sample and \
        damro-sample (contrastive, sampled, as published). Sampled methods run once per seed in 0..<--seeds. \
        Defaults are the official ones: VCD α 1, β 0.1, noise step 500, warpers on; DAMRO α 2, β 0.1, \
        warpers off, k = 10 of 576 patches scaled to the model's patch count; OPERA as `lucid generate`.
        """
    )

    @Option(help: "The model: shapes-smol, shapes-tiny, or a LLaVA directory.") var model = "shapes-smol"
    @OptionGroup var runtime: ModelRuntimeOptions
    @Option(help: "Number of held-out scenes.") var scenes = 12
    @Option(help: "World seed of the scenes (the recipes train on 1000 and evaluate on 9001).") var seed: UInt64 = 2026
    @Option(help: "Output directory.") var out = "demo-output"
    @Option(help: "Decoding methods to compare, comma-separated: \(DemoMethod.names.joined(separator: ", ")).") var methods = "greedy"
    @Option(help: "Beams of beam and opera.") var beams = 5
    @Option(help: "Temperature of the sampled methods.") var temperature = 1.0
    @Option(help: "Seeds per sampled method (0..<N).") var seeds = 1
    @Option(help: "Longest description, in tokens.") var maxNewTokens = 120
    @Option(help: "The instruction (the organisms are trained on several phrasings of a detailed-description request).")
    var prompt = ConversationWriter.describePrompt
    @Flag(help: "Skip POPE.") var noPope = false
    @Option(help: "Image defence of a Q-MLLM model: auto (its gate refuses harmful images) or none (quantiser only, for utility).")
    var defense = "auto"
    @Option(help: "Directory of the NLTK models (default: as `lucid eval chair`).") var nltkData: String?

    func validate() throws {
        guard (1...5000).contains(scenes) else { throw ValidationError("--scenes must be in 1…5000") }
        guard (1...GenerationLimits.maximumNewTokens).contains(maxNewTokens) else {
            throw ValidationError("--max-new-tokens must be in 1…\(GenerationLimits.maximumNewTokens) (got \(maxNewTokens))")
        }
        for name in methodList where !DemoMethod.names.contains(name) {
            throw ValidationError("unknown method '\(name)'; known: \(DemoMethod.names.joined(separator: ", "))")
        }
        guard (1...16).contains(beams) else { throw ValidationError("--beams must be in 1…16") }
        guard temperature > 0 else { throw ValidationError("--temperature must be > 0") }
        guard (1...100).contains(seeds) else { throw ValidationError("--seeds must be in 1…100") }
        guard ["auto", "none"].contains(defense) else { throw ValidationError("--defense must be auto or none") }
    }

    /// Every (method, seed) run the options ask for, in order.
    var runs: [DemoMethod] {
        methodList.flatMap { name in
            DemoMethod.sampled(name) ? (0..<seeds).map { DemoMethod(name: name, seed: UInt64($0)) } : [DemoMethod(name: name, seed: nil)]
        }
    }

    var methodList: [String] { methods.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }

    func run() throws {
        let began = Date()
        let log = progressLog(since: began)
        let outURL = URL(fileURLWithPath: out)
        let worldURL = outURL.appendingPathComponent("world")
        let world = ShapesWorldConfig(seed: seed, count: scenes)
        let generated = try ShapesWorld.generate(world)
        try ShapesWorldExporter.export(generated, config: world, to: worldURL)
        log("wrote \(scenes) scenes (world seed \(seed)) to \(worldURL.path)")
        let loaded = try openModel(model, runtime: runtime)
        // Results in another dtype or attention kernel belong to another run: keyed apart ("shapes-smol",
        // "shapes-smol@bf16+sdpa"), so a resumed demo never mixes them.
        let load = try runtime.loadOptions()
        let resultKey = load.dtype == .f32 && !load.fusedAttention ? model : "\(model)@\(load.numericsLabel)"
        guard let vlm = loaded.vision as? LlavaForConditionalGeneration else { throw CLIError("\(model) is not a vision-language (LLaVA) model") }
        if defense == "none" { vlm.imageGate = nil }
        let tokenizer = try openTokenizer(model)
        let ids: [Int]
        ids = try tokenizer.encode(chat: [.user(prompt, images: 1)])
        let eos = loaded.stopTokenIDs(tokenizer: tokenizer)
        let store = try DemoResultStore(url: outURL.appendingPathComponent("descriptions.jsonl"))
        func settings(_ run: DemoMethod) -> DemoSettings {
            DemoSettings(run: run, worldSeed: seed, prompt: prompt, maxNewTokens: maxNewTokens, defense: defense, beams: beams, temperature: temperature)
        }
        let scorer = OrganismEvaluator(model: vlm, writer: ConversationWriter(tokenizer: tokenizer, template: .chatml, endOfTurn: eos.first ?? 0),
                                       maxDescriptionTokens: maxNewTokens)
        var pixelsByImage: [Int: Tensor] = [:]
        func pixels(_ scene: Scene) throws -> Tensor {
            if let cached = pixelsByImage[scene.id] { return cached }
            let value = try ImageOptions.pixelValues(image: worldURL.appendingPathComponent("images/\(scene.fileName)").path, for: loaded,
                                                   padToSquare: false)
            pixelsByImage[scene.id] = value
            return value
        }
        // Scenes outer, methods inner: anything else the machine does slows every method alike,
        // so the time ratios between methods stay fair.
        let limits = GenerationLimits(maxNewTokens: maxNewTokens, eosTokenIDs: eos)
        for (done, scene) in generated.enumerated() {
            for run in runs where store.result(model: resultKey, settings: settings(run), image: scene.id, method: run.label) == nil {
                let method = run.label
                let decoding = try run.method(patchCount: vlm.config.visionConfig.patchCount, beams: beams, temperature: temperature, scene: scene.id)
                let result = try withNoGrad { () throws -> GenerationResult in
                    try Decoding.generate(loaded.model, ids: ids, images: [try pixels(scene)], method: decoding, limits: limits,
                                          encodeRefusal: { tokenizer.encode($0, addSpecialTokens: false) })
                }
                let text = ((try? tokenizer.decode(result.tokens, skipSpecialTokens: true)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                let scored = scorer.score(text, scene: scene)
                try store.append(DemoResult(model: resultKey, method: method, settings: settings(run), result: scored, tokens: result.tokens.count,
                                            seconds: result.statistics.prefillSeconds + result.statistics.decodeSeconds,
                                            forwardPasses: result.statistics.forwardPasses))
                log("[\(done + 1)/\(generated.count)] \(method) scene \(scene.id): "
                    + (scored.hallucinated.isEmpty ? "no hallucination" : "hallucinated \(scored.hallucinated.joined(separator: ", "))"))
            }
            pixelsByImage[scene.id] = nil
        }
        var summaries: [DemoPage.MethodSummary] = []
        var rows: [DemoPage.Row] = []
        var english: NLTKEnglish?
        do {
            english = try NLTKEnglish(nltkDirectory: NLTKEnglish.dataDirectory(nltkData), wordNetDirectory: URL(fileURLWithPath: "/usr/share/wordnet"))
        } catch {
            log("warning: NLTK data not found (\(error)); CHAIR is reported with the ShapesWorld vocabulary only")
        }
        for run in runs {
            let method = run.label
            let results = generated.compactMap { store.result(model: resultKey, settings: settings(run), image: $0.id, method: method) }
            rows += results.map { DemoPage.Row(method: method, result: $0.result) }
            let truth = results.reduce(0) { $0 + $1.result.groundTruth.count }
            let found = results.reduce(0) { $0 + $1.result.groundTruth.count - $1.result.missed.count }
            let mentions = results.reduce(0) { $0 + $1.result.mentioned.count }
            let hallucinated = results.reduce(0) { $0 + $1.result.hallucinated.count }
            let tokens = results.reduce(0) { $0 + $1.tokens }
            let seconds = results.reduce(0) { $0 + $1.seconds }
            var nltk: CHAIRSummary?
            if let english {
                let vocabulary = CHAIRVocabulary(synonymsText: ShapesWorldVocabulary().synonymsText)
                let parser = CHAIRCaptionParser(english: english, vocabulary: vocabulary)
                do {
                    let truthFile = try CHAIRGroundTruth.objectList(at: worldURL.appendingPathComponent("objects.json"), vocabulary: vocabulary)
                    nltk = try CHAIREvaluator(groundTruth: truthFile, parser: parser)
                        .evaluate(results.map { CHAIRCaption(imageID: .int($0.result.imageID), caption: $0.result.description) }).summary
                } catch {
                    log("warning: NLTK CHAIR for \(method) failed: \(error)")
                }
            }
            summaries.append(DemoPage.MethodSummary(
                method: method, recall: Double(found) / Double(max(1, truth)), chairI: Double(hallucinated) / Double(max(1, mentions)),
                chairS: Double(results.filter { !$0.result.hallucinated.isEmpty }.count) / Double(max(1, results.count)),
                nltkCHAIRi: nltk?.chairI, nltkCHAIRs: nltk.map { $0.chairS }, tokensPerSecond: seconds > 0 ? Double(tokens) / seconds : 0,
                meanTokens: Double(tokens) / Double(max(1, results.count)),
                forwardPassesPerToken: Double(results.reduce(0) { $0 + ($1.forwardPasses ?? 0) }) / Double(max(1, tokens))))
        }
        var pope: [(split: String, accuracy: Double, questions: Int)] = []
        if !noPope {
            let pool = try ScenePool(world: world, imageSize: vlm.config.visionConfig.imageSize)
            let sampler = POPESampler(positivesPerImage: 3, seed: seed)
            for strategy in POPESampler.Strategy.allCases {
                let items = sampler.build(pool.scenes, strategy: strategy)
                let index = Dictionary(uniqueKeysWithValues: pool.scenes.enumerated().map { ($0.element.fileName, $0.offset) })
                let questions = items.compactMap { item in index[item.image].map { (scene: $0, question: item.text) } }
                let answers = try withNoGrad { () throws -> [String] in try scorer.shortAnswers(questions, pool: pool) }
                let correct = zip(items, answers).filter { item, answer in
                    answer.lowercased().trimmingCharacters(in: .whitespaces).hasPrefix("yes") == (item.label == "yes")
                }.count
                pope.append((strategy.rawValue, Double(correct) / Double(max(1, items.count)), items.count))
            }
        }
        var images: [Int: Data] = [:]
        for scene in generated { images[scene.id] = FileManager.default.contents(atPath: worldURL.appendingPathComponent("images/\(scene.fileName)").path) }
        let page = DemoPage(title: "Lucid demo: \(model) on \(scenes) fresh ShapesWorld scenes",
                            subtitle: "world seed \(seed); prompt \"\(prompt)\"; methods \(runs.map(\.label).joined(separator: ", ")); \(LucidCommand.versionString)",
                            summaries: summaries, pope: pope, images: images, rows: rows,
                            objectCategory: ShapesWorldVocabulary().category(of:))
        let reportURL = outURL.appendingPathComponent("report.html")
        try page.html().write(to: reportURL, atomically: true, encoding: .utf8)
        for s in summaries {
            print(String(format: "%@: recall %.1f%%  CHAIR_i %.1f%%  CHAIR_s %.1f%%  %.0f tokens  %.1f tok/s  %.2f passes/token",
                         s.method, 100 * s.recall, 100 * s.chairI, 100 * s.chairS, s.meanTokens, s.tokensPerSecond, s.forwardPassesPerToken)
                + (s.nltkCHAIRi.map { String(format: "  (NLTK CHAIR_i %.1f%%)", 100 * $0) } ?? ""))
        }
        let table = DemoTable(runs: runs, summaries: summaries)
        for line in table.lines() { print(line) }
        for p in pope { print(String(format: "POPE %@: accuracy %.1f%% (%d questions)", p.split, 100 * p.accuracy, p.questions)) }
        let summaryURL = outURL.appendingPathComponent("summary.json")
        try table.json(model: resultKey, scenes: scenes, seed: seed, prompt: prompt, pope: pope).write(to: summaryURL, options: .atomic)
        if let example = rows.first(where: { !$0.result.hallucinated.isEmpty }) ?? rows.first {
            print("\nscene \(example.result.imageID) (\(example.result.groundTruth.joined(separator: ", "))), \(example.method):\n  \(example.result.description)")
            if !example.result.hallucinated.isEmpty { print("  hallucinated: \(example.result.hallucinated.joined(separator: ", "))") }
        }
        print("\nreport: \(reportURL.path)\ntable: \(summaryURL.path)")
    }
}

/// One scored description of the demo.
struct DemoResult: Codable, Equatable {
    var model: String
    var method: String
    /// What else decided the description (nil on lines written before settings were kept).
    var settings: DemoSettings?
    var result: DescribedScene
    var tokens: Int
    var seconds: Double
    var forwardPasses: Int?
    enum CodingKeys: String, CodingKey { case model, method, settings, result, tokens, seconds, forwardPasses = "forward_passes" }
}

extension DemoResult {
    /// Also reads lines written before the snake_case keys (`forwardPasses`), so an old demo folder resumes.
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enum Legacy: String, CodingKey { case forwardPasses }
        self.init(model: try c.decode(String.self, forKey: .model), method: try c.decode(String.self, forKey: .method),
                  settings: try c.decodeIfPresent(DemoSettings.self, forKey: .settings),
                  result: try c.decode(DescribedScene.self, forKey: .result), tokens: try c.decode(Int.self, forKey: .tokens),
                  seconds: try c.decode(Double.self, forKey: .seconds),
                  forwardPasses: try c.decodeIfPresent(Int.self, forKey: .forwardPasses)
                      ?? decoder.container(keyedBy: Legacy.self).decodeIfPresent(Int.self, forKey: .forwardPasses))
    }
}

/// `descriptions.jsonl` of the demo: appended one line per description, read back on resume
/// (a `JSONLinesStore`: a line cut short by a kill is cut off, other unreadable lines are skipped).
final class DemoResultStore {
    let url: URL
    private let store: JSONLinesStore<String, DemoResult>

    static let format = JSONLinesStore<String, DemoResult>.Format(
        key: { key(model: $0.model, settings: $0.settings, image: $0.result.imageID, method: $0.method) }, policy: .skipUndecodable,
        decode: { try JSONDecoder.records().decode(DemoResult.self, from: $0) })

    static func key(model: String, settings: DemoSettings?, image: Int, method: String) -> String {
        "\(model)|\(settings?.key ?? "no settings")|\(image)|\(method)"
    }

    init(url: URL) throws {
        self.url = url
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        store = try JSONLinesStore(path: url.path, format: Self.format)
    }

    /// The description of `image` by `method` of `model` made with `settings` (nil: a line of an older demo).
    func result(model: String, settings: DemoSettings?, image: Int, method: String) -> DemoResult? {
        store[Self.key(model: model, settings: settings, image: image, method: method)]
    }

    func append(_ result: DemoResult) throws { try store.append(result) }
}
