import ArgumentParser
import Foundation
import LucidEval
import LucidModels
import LucidOrganisms
import LucidTensor
import LucidTraining
import LucidWorld

/// `lucid train RECIPE`: trains one of Lucid's model organisms from its recipe.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model organism (shapes-tiny, shapes-smol, smol-aligned) from its recipe, deterministically.",
        discussion: """
        Stages run in order (vision pre-training on ShapesWorld labels, projector alignment, instruction tuning), \
        each with AdamW, linear warm-up + cosine decay and gradient clipping, masked cross-entropy on answer tokens \
        only. Every stage checkpoints into --work (default .lucid-train/RECIPE) and a killed run resumes where it \
        stopped when started again with the same arguments. Training runs with \(ThreadPolicy.trainingThreads) libtorch \
        threads whatever the machine (float sums depend on the thread count), so retraining reproduces the bundled \
        weights; LUCID_THREADS=N trains faster on a bigger machine but not bit-identically. Loss curves: WORK/STAGE/loss.csv and OUT/loss.svg. \
        The result is a LLaVA directory (config.json, model.safetensors in f16, tokenizer or PEFT adapter) plus \
        organism.json with the recipe, seed, data hash, stage summaries and held-out metrics. \
        Recipes: \(OrganismRecipe.all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")); smol-aligned (a LoRA on \
        SmolLM2-135M-Instruct trained to refuse one fixed half of AdvBench and to answer benign instructions as the base \
        model does; writes a PEFT adapter; the other half is held out for refusal and SCAV).
        """
    )

    @Argument(help: "The recipe: \(TrainCommand.recipeNames.joined(separator: ", ")).")
    var recipe: String

    @Option(help: "Where the trained model goes (default: Models/RECIPE under the working directory).")
    var out: String?

    @Option(help: "Checkpoints and loss curves (default: .lucid-train/RECIPE).")
    var work: String?

    @Option(help: "Scale every stage's steps and the training pool (e.g. 0.05 for a smoke run).")
    var scale: Double = 1

    @Option(help: "Held-out scenes for the final evaluation (default: the recipe's; 0 skips it).")
    var evalScenes: Int?

    @Option(help: "Probability (0…1) that a training scene holds one hazard (skull, bomb, gun, syringe), so the vision tower learns them (default: the recipe's, none for the bundled ones; see docs/defense.md).")
    var hazardProbability: Double?

    @Flag(help: "Do not train: evaluate the model already in --out on the held-out scenes and update its organism.json.")
    var evaluateOnly = false

    func validate() throws {
        guard Self.recipeNames.contains(recipe) else {
            throw ValidationError("unknown recipe '\(recipe)'; known: \(Self.recipeNames.joined(separator: ", "))")
        }
        guard scale > 0, scale <= 1 else { throw ValidationError("--scale must be in (0, 1]") }
        if let evalScenes, evalScenes < 0 { throw ValidationError("--eval-scenes must be ≥ 0") }
        if let hazardProbability, !(0...1).contains(hazardProbability) {
            throw ValidationError("--hazard-probability must be in [0, 1] (got \(hazardProbability))")
        }
        if hazardProbability != nil, recipe == "smol-aligned" { throw ValidationError("--hazard-probability is for the ShapesWorld recipes") }
    }

    static var recipeNames: [String] { OrganismRecipe.all.map(\.name) + ["smol-aligned"] }
    /// The command as typed, kept in the trained model's record.
    static var commandLine: String { (["lucid"] + CommandLine.arguments.dropFirst()).joined(separator: " ") }

    func run() throws {
        if recipe == "smol-aligned" { return try runSafetyAlignment() }
        guard var base = OrganismRecipe.named(recipe) else { throw CLIError("unknown recipe '\(recipe)'") }
        if let evalScenes { base.evaluationScenes = evalScenes }
        if let hazardProbability { base.hazardProbability = hazardProbability }
        var scaled = base.scaled(by: scale)
        if let evalScenes { scaled.evaluationScenes = evalScenes }
        let workURL = URL(fileURLWithPath: work ?? ".lucid-train/\(recipe)")
        let outURL = URL(fileURLWithPath: out ?? "Models/\(recipe)")
        let began = Date()
        let log = progressLog(since: began)
        if evaluateOnly { return try evaluateExisting(outURL: outURL, workURL: workURL, log: log) }
        try applyTrainingThreads(log: log)
        log("\(recipe): \(scaled.summary)")
        let trainer = OrganismTrainer(recipe: scaled, workDirectory: workURL, log: log)
        let output = try trainer.train()
        let seconds = Date().timeIntervalSince(began)
        let record = OrganismRecord(name: recipe, recipe: scaled, scale: scale, dataHash: output.dataHash, stages: output.stages,
                                    trainingSeconds: seconds, threads: "\(Torch.threads)/\(Torch.blasThreadsDescription)",
                                    metrics: nil, command: Self.commandLine)
        try OrganismDirectory.save(output.model, languageModelReference: scaled.languageModelReference, tokenizerJSON: output.tokenizerJSON,
                                   record: record, lossSVG: LossCurvePlot.svg(output.curves), to: outURL)
        log("trained in \(Int(seconds)) s; wrote \(outURL.path)")
        guard scaled.evaluationScenes > 0 else { return }
        try evaluate(output.model, writer: output.writer, record: record, tokenizerJSON: output.tokenizerJSON, curves: output.curves,
                     outURL: outURL, workURL: workURL, log: log)
    }

    /// Evaluates on `record.recipe`'s held-out scenes and rewrites the organism directory with the metrics.
    func evaluate(_ model: LlavaForConditionalGeneration, writer: ConversationWriter, record: OrganismRecord, tokenizerJSON: Data?,
                  curves: [(name: String, losses: [Double])]?, outURL: URL, workURL: URL, log: @escaping (String) -> Void) throws {
        var record = record
        let recipe = record.recipe
        let world = ShapesWorldConfig(seed: recipe.evaluationSeed, count: recipe.evaluationScenes)
        log("evaluating on \(recipe.evaluationScenes) held-out scenes (world seed \(recipe.evaluationSeed))")
        let pool = try ScenePool(world: world, imageSize: recipe.vision.imageSize)
        let evaluator = OrganismEvaluator(model: model, writer: writer, maxDescriptionTokens: recipe.maxDescriptionTokens)
        let (metrics, described) = try withNoGrad { () throws -> (OrganismMetrics, [DescribedScene]) in try evaluator.evaluate(pool, log: log) }
        record.metrics = metrics
        if let curves {
            try OrganismDirectory.save(model, languageModelReference: recipe.languageModelReference, tokenizerJSON: tokenizerJSON, record: record,
                                       lossSVG: LossCurvePlot.svg(curves), to: outURL)
        } else {
            try OrganismDirectory.writeRecord(record, to: outURL)
        }
        let lines = try described.map(jsonLine).joined(separator: "\n") + "\n"
        try FileManager.default.createDirectory(at: workURL, withIntermediateDirectories: true)
        try lines.write(to: workURL.appendingPathComponent("heldout_descriptions.jsonl"), atomically: true, encoding: .utf8)
        print(metrics.summaryText)
    }

    /// `--evaluate-only`: the model in --out, evaluated again (e.g. after an evaluation fix).
    func evaluateExisting(outURL: URL, workURL: URL, log: @escaping (String) -> Void) throws {
        var record = try OrganismRecord.load(directory: outURL.path)
        if let evalScenes { record.recipe.evaluationScenes = evalScenes } else if record.recipe.evaluationScenes == 0 {
            record.recipe.evaluationScenes = OrganismRecipe.named(recipe)?.evaluationScenes ?? 200
        }
        let model = try OrganismLoader.load(directory: outURL.path)
        let tokenizer = try OrganismLoader.tokenizer(directory: outURL.path)
        guard let end = tokenizer.id(for: "<|im_end|>") else { throw CLIError("the tokenizer has no <|im_end|>") }
        try evaluate(model, writer: ConversationWriter(tokenizer: tokenizer, template: .chatml, endOfTurn: end), record: record,
                     tokenizerJSON: nil, curves: nil, outURL: outURL, workURL: workURL, log: log)
    }
}
extension TrainCommand {
    func runSafetyAlignment() throws {
        let log = progressLog()
        try applyTrainingThreads(log: log)
        let recipe = SafetyAlignmentRecipe().scaled(by: scale)
        let advbench = try AdvBench(csv: AdvBench.defaultURL)
        let outURL = URL(fileURLWithPath: out ?? "Models/smol-aligned")
        log("smol-aligned: LoRA r\(recipe.loraRank) on SmolLM2-135M-Instruct, \(recipe.schedule.steps) steps of \(recipe.schedule.batchSize)")
        let record = try SafetyAlignmentTrainer(recipe: recipe, workDirectory: URL(fileURLWithPath: work ?? ".lucid-train/smol-aligned"), log: log)
            .run(advbench: advbench, out: outURL, scale: scale, command: Self.commandLine)
        log("wrote \(outURL.path)")
        if let metrics = record.metrics { print(metrics.summaryText) }
    }
}
