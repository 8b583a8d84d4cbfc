import ArgumentParser
import Foundation
import LucidModels
import LucidOrganisms
import LucidTensor
import LucidWorld

/// `lucid train RECIPE`: trains one of Lucid's model organisms from its recipe.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model organism (shapes-tiny, shapes-smol) from its recipe, deterministically.",
        discussion: """
        Stages run in order (vision pre-training on ShapesWorld labels, projector alignment, instruction tuning), \
        each with AdamW, linear warm-up + cosine decay and gradient clipping, masked cross-entropy on answer tokens \
        only. Every stage checkpoints into --work (default .lucid-train/RECIPE) and a killed run resumes where it \
        stopped when started again with the same arguments. Loss curves: WORK/STAGE/loss.csv and OUT/loss.svg. \
        The result is a LLaVA directory (config.json, model.safetensors in f16, tokenizer or PEFT adapter) plus \
        organism.json with the recipe, seed, data hash, stage summaries and held-out metrics. \
        Recipes: \(OrganismRecipe.all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")).
        """
    )

    @Argument(help: "The recipe: \(OrganismRecipe.all.map(\.name).joined(separator: ", ")).")
    var recipe: String

    @Option(help: "Where the trained model goes (default: Models/RECIPE under the working directory).")
    var out: String?

    @Option(help: "Checkpoints and loss curves (default: .lucid-train/RECIPE).")
    var work: String?

    @Option(help: "Scale every stage's steps and the training pool (e.g. 0.05 for a smoke run).")
    var scale: Double = 1

    @Option(help: "Held-out scenes for the final evaluation (default: the recipe's; 0 skips it).")
    var evalScenes: Int?

    func validate() throws {
        guard OrganismRecipe.named(recipe) != nil else {
            throw ValidationError("unknown recipe '\(recipe)'; known: \(OrganismRecipe.all.map(\.name).joined(separator: ", "))")
        }
        guard scale > 0, scale <= 1 else { throw ValidationError("--scale must be in (0, 1]") }
        if let evalScenes, evalScenes < 0 { throw ValidationError("--eval-scenes must be ≥ 0") }
    }

    func run() throws {
        guard var base = OrganismRecipe.named(recipe) else { throw CLIError("unknown recipe '\(recipe)'") }
        if let evalScenes { base.evaluationScenes = evalScenes }
        var scaled = base.scaled(by: scale)
        if let evalScenes { scaled.evaluationScenes = evalScenes }
        let workURL = URL(fileURLWithPath: work ?? ".lucid-train/\(recipe)")
        let outURL = URL(fileURLWithPath: out ?? "Models/\(recipe)")
        let began = Date()
        let log: (String) -> Void = { line in
            FileHandle.standardError.write(Data("[\(String(format: "%6.0f", Date().timeIntervalSince(began)))s] \(line)\n".utf8))
        }
        log("\(recipe): \(scaled.summary); threads \(Torch.threads) intra-op / \(Torch.blasThreads.map(String.init) ?? "n/a") BLAS")
        let trainer = OrganismTrainer(recipe: scaled, workDirectory: workURL, log: log)
        let output: OrganismTrainer.Output
        do { output = try trainer.train() } catch let error as TrainingError {
            throw CLIError(error.description)
        }
        let seconds = Date().timeIntervalSince(began)
        var record = OrganismRecord(name: recipe, recipe: scaled, scale: scale, dataHash: output.dataHash, stages: output.stages,
                                    trainingSeconds: seconds, threads: "\(Torch.threads)/\(Torch.blasThreads.map(String.init) ?? "n/a")",
                                    metrics: nil, command: (["lucid"] + CommandLine.arguments.dropFirst()).joined(separator: " "))
        let reference = scaled.languageModel == .frozenSmolLM2 ? "smollm2" : nil
        try OrganismDirectory.save(output.model, languageModelReference: reference, tokenizerJSON: output.tokenizerJSON, record: record,
                                   lossSVG: LossCurvePlot.svg(output.curves), to: outURL)
        log("trained in \(Int(seconds)) s; wrote \(outURL.path)")
        guard scaled.evaluationScenes > 0 else { return }
        let world = ShapesWorldConfig(seed: scaled.evaluationSeed, count: scaled.evaluationScenes)
        log("evaluating on \(scaled.evaluationScenes) held-out scenes (world seed \(scaled.evaluationSeed))")
        let pool = try ScenePool(world: world, imageSize: scaled.vision.imageSize)
        let evaluator = OrganismEvaluator(model: output.model, writer: output.writer, maxDescriptionTokens: scaled.maxDescriptionTokens)
        let (metrics, described) = try withNoGrad { () throws -> (OrganismMetrics, [DescribedScene]) in try evaluator.evaluate(pool, log: log) }
        record.metrics = metrics
        try OrganismDirectory.save(output.model, languageModelReference: reference, tokenizerJSON: output.tokenizerJSON, record: record,
                                   lossSVG: LossCurvePlot.svg(output.curves), to: outURL)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let lines = try described.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n"
        try lines.write(to: workURL.appendingPathComponent("heldout_descriptions.jsonl"), atomically: true, encoding: .utf8)
        print(metrics.summaryText)
    }
}
