import ArgumentParser
import Foundation
import LucidFiles
import LucidAttacks
import LucidGeneration
import LucidModels
import LucidPipeline
import LucidTensor
import LucidText
import LucidVision

/// Parses a pixel budget such as `8/255`, `0.03` or `2`.
func parsePixelAmount(_ text: String, name: String) throws -> Double {
    do { return try PixelAmount.parse(text, name: name) } catch { throw ValidationError(error.description) }
}

/// Options every image attack shares: model, image, prompt, budget, steps, output.
struct ImageAttackOptions: ParsableArguments {
    @Option(help: "A vision-language model: shapes-smol, shapes-tiny, or a directory (LLaVA-1.5, -NeXT, -OneVision, SigLIP LLaVA, Qwen2-VL, Qwen2.5-VL, InstructBLIP), attacked as its processor prepares the image.") var model = "shapes-smol"
    @OptionGroup var runtime: ModelRuntimeOptions
    @Option(help: "The clean image (PNG or JPEG).") var image: String
    @Option(help: "The prompt.") var prompt = "Please describe this image in detail."
    @Option(help: "Chat template of the prompt (default: the model's): \(ChatTemplate.knownNames.joined(separator: ", ")).") var template: String?
    @Option(help: "Budget ε in pixel units, e.g. 8/255.") var eps = "8/255"
    @Option(help: "Norm of the budget: linf or l2.") var norm = "linf"
    @Option(help: "Step γ in pixel units, e.g. 1/255.") var stepSize = "1/255"
    @Option(help: "Optimisation steps.") var steps = 30
    @Option(help: "Step-size schedule: constant or cosine (γ·½(1 + cos(π t/T))).") var schedule = "constant"
    @Flag(help: "Start from a random point of the ε-ball.") var randomStart = false
    @Option(help: "Seed (random start, noise).") var seed: UInt64 = 0
    @Option(help: "Where the adversarial PNG goes (8-bit, reloads to the same tensor).") var out: String
    @Option(help: "Longest response, in tokens.") var maxNewTokens = 96
    @Flag(help: "Print JSON.") var json = false

    func pgd() throws -> PixelPGD {
        guard let kind = PixelPGD.Norm(rawValue: norm) else { throw ValidationError("--norm must be linf or l2") }
        guard let stepSchedule = PixelPGD.Schedule(rawValue: schedule) else { throw ValidationError("--schedule must be constant or cosine") }
        let epsilon = try parsePixelAmount(eps, name: "--eps")
        guard (0...1).contains(epsilon) else {
            throw ValidationError("--eps must be in [0, 1] (pixel units; 8/255 ≈ 0.031), got '\(eps)'")
        }
        var pgd = PixelPGD(norm: kind, epsilon: epsilon, stepSize: try parsePixelAmount(stepSize, name: "--step-size"),
                           steps: steps, randomStart: randomStart, seed: seed)
        pgd.schedule = stepSchedule
        return pgd
    }

    /// Model, tokenizer, the processed clean image in [0, 1] [1, 3, H, W], and the attack context (`OpenedModel.imageAttack`).
    func open() throws -> (any VisionLanguageModel, Tokenizer, Tensor, ImageAttackContext, [Int]) {
        try SafeFile.checkOutput(out)  // a bad --out fails before the attack, not after it
        let tokenizer = try openTokenizer(model)
        let start = try openModel(model, runtime: runtime).imageAttack(tokenizer: tokenizer, image: image, prompt: prompt,
                                                                       template: try template.map { try ChatTemplate(named: $0) })
        if case .missingTokenizer(let path) = start.instruction {
            FileHandle.standardError.write(Data("lucid: \(path) is missing: the Q-Former reads no instruction\n".utf8))
        }
        return (start.context.model, tokenizer, start.clean, start.context, start.eos)
    }

    func save(_ image: Tensor) throws {
        try ImageEncoder.writePNG(try FloatImage(tensor: image), to: out)
    }
}

/// Generates a response to the attack context's prompt under `pixels01`.
func respond(_ context: ImageAttackContext, pixels01: Tensor, strategy: DecodingStrategy, maxNewTokens: Int, eos: [Int]) throws -> [Int] {
    try context.respond(pixels01: pixels01, strategy: strategy, maxNewTokens: maxNewTokens, eosTokenIDs: eos)
}

struct ImageAttackJSON: Encodable {
    var image: String
    var finalLoss: Double?
    var secondsPerStep: Double
    var cleanResponse: String
    var adversarialResponse: String
    var linf: Double
    var steps: [[String: Double]]
    /// One generation plus one forward/backward of the loss at the clean image, timed in the same
    /// process before the attack (the unit of issue 7's step-cost target); nil where not measured.
    var referenceSecondsPerStep: Double? = nil
    /// `secondsPerStep` ÷ `referenceSecondsPerStep`.
    var stepCostRatio: Double? = nil
    enum CodingKeys: String, CodingKey {
        case image, finalLoss = "final_loss", secondsPerStep = "seconds_per_step", cleanResponse = "clean_response"
        case adversarialResponse = "adversarial_response", linf, steps
        case referenceSecondsPerStep = "reference_seconds_per_step", stepCostRatio = "step_cost_ratio"
    }
}

/// `lucid attack sink`: Mirage.
struct AttackSinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sink",
        abstract: "Mirage in the Eyes: an L∞ image perturbation that creates attention sinks and induces hallucination.",
        discussion: """
        Each round: generate the response from the current image (beam search, --beams 3 by default, as the paper), \
        pick the potential sink (the response position whose hidden state at --layer is most similar to the mean \
        input hidden state), and take a signed step on L = mean −log a(i, sink) over later rows + α·max(0, σ − cos). \
        Defaults: 30 steps, ε 8/255, α 1, second-to-last layer, head-mean attention; γ = 1/255 per step (the \
        paper's "5" has no stated unit) and σ = 0.5 (not published) are Lucid's choices, exposed as options.
        """
    )

    @OptionGroup var options: ImageAttackOptions
    @Option(help: "Decoder layer of the attention and hidden states (negative counts from the end).") var layer = -2
    @Option(help: "Weight α of the embedding hinge.") var alpha = 1.0
    @Option(help: "Hinge margin σ on cos(h_sink, mean input state).") var sigma = 0.5
    @Option(help: "Attention head reduction: mean or max.") var heads = "mean"
    @Option(help: "Beams of the per-round generation (1 = greedy).") var beams = 3

    func run() throws {
        let (_, tokenizer, clean, context, eos) = try options.open()
        let pgd = try options.pgd()
        let loss = MirageSinkLoss(layer: layer, alpha: alpha, sigma: sigma, heads: heads == "max" ? .max : .mean)
        let mirage = MirageAttack(loss: loss, pgd: pgd, beams: beams, maxNewTokens: options.maxNewTokens)
        let strategy = mirage.strategy
        let cleanTokens = try respond(context, pixels01: clean, strategy: strategy, maxNewTokens: options.maxNewTokens, eos: eos)
        let reference = try mirage.stepCost(context, clean: clean, cleanResponse: cleanTokens, eosTokenIDs: eos, modelName: options.model).seconds
        let began = Date()
        var steps: [[String: Double]] = []
        let (adversarial, history) = try mirage.run(context, clean: clean, eosTokenIDs: eos, cleanResponse: cleanTokens, log: { step in
            steps.append(["step": Double(step.index), "loss": step.loss, "linf": step.perturbationNorm].merging(step.metrics) { a, _ in a })
            if !options.json { FileHandle.standardError.write(Data(String(format: "step %2d loss %.4f sink %d cos %.3f\n", step.index, step.loss,
                                                                          Int(step.metrics["sink"] ?? 0), step.metrics["cosine"] ?? 0).utf8)) }
        })
        let seconds = Date().timeIntervalSince(began) / Double(max(1, history.count))
        try options.save(adversarial)
        let adversarialTokens = try respond(context, pixels01: adversarial, strategy: strategy, maxNewTokens: options.maxNewTokens, eos: eos)
        let decode = { (t: [Int]) in ((try? tokenizer.decode(t, skipSpecialTokens: true)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        let report = ImageAttackJSON(image: options.out, finalLoss: history.last?.loss, secondsPerStep: seconds, cleanResponse: decode(cleanTokens),
                                     adversarialResponse: decode(adversarialTokens), linf: (adversarial - clean).abs().max().item(), steps: steps,
                                     referenceSecondsPerStep: reference, stepCostRatio: seconds / reference)
        let figurePath = SinkAttackFigure.path(forImage: options.out)
        let figure = try context.sinkFigure(clean: clean, adversarial: adversarial, cleanResponse: cleanTokens, adversarialResponse: adversarialTokens,
                                            layer: layer, caption: [.init("clean: " + report.cleanResponse), .init("adversarial: " + report.adversarialResponse),
                                                                    .init(String(format: "L-inf %.1f/255, decoder layer %d", report.linf * 255, layer), color: AttentionFigure.muted)])
        try ImageEncoder.writePNG(try figure.render(), to: figurePath)
        if options.json { try printJSON(report) } else {
            print("figure: \(figurePath)")
            print("clean:       \(report.cleanResponse)\nadversarial: \(report.adversarialResponse)")
            print(String(format: "wrote %@ (L∞ %.4f = %.1f/255), %.2f s/step = %.2f× one generation + one forward/backward (%.2f s)",
                         options.out, report.linf, report.linf * 255, seconds, seconds / reference, reference))
        }
    }
}

/// `lucid attack pgd`: targeted-text PGD, or same-budget Gaussian noise.
struct AttackPGDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pgd",
        abstract: "PGD baselines: maximise a target text's likelihood under the image (or --noise: Gaussian noise of the same budget).",
        discussion: "Minimises −mean log p(target | image, prompt) with signed (L∞) or normalised (L2) steps, projected on the ε-ball and [0, 1]."
    )

    @OptionGroup var options: ImageAttackOptions
    @Option(help: "The target response text.") var target: String?
    @Flag(help: "Write Gaussian noise of the same budget instead (Mirage's baseline); no optimisation.") var noise = false

    func validate() throws {
        if noise == (target != nil) { throw ValidationError("give exactly one of --target or --noise") }
    }

    func run() throws {
        let (_, tokenizer, clean, context, eos) = try options.open()
        let pgd = try options.pgd()
        let began = Date()
        var steps: [[String: Double]] = []
        var adversarial: Tensor
        var history: [PixelPGD.Step] = []
        if noise {
            adversarial = withNoGrad { pgd.noise(clean: clean) }
        } else {
            let ids = tokenizer.encode(target ?? "", addSpecialTokens: false)
            (adversarial, history) = try pgd.run(clean: clean, loss: { x, _ in (try context.targetedTextLoss(x, target: ids), [:]) }, log: { step in
                steps.append(["step": Double(step.index), "loss": step.loss, "linf": step.perturbationNorm])
                if !options.json { FileHandle.standardError.write(Data(String(format: "step %2d loss %.4f\n", step.index, step.loss).utf8)) }
            })
        }
        let seconds = Date().timeIntervalSince(began) / Double(max(1, history.count))
        try options.save(adversarial)
        let decode = { (t: [Int]) in ((try? tokenizer.decode(t, skipSpecialTokens: true)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        let cleanText = decode(try respond(context, pixels01: clean, strategy: .greedy, maxNewTokens: options.maxNewTokens, eos: eos))
        let adversarialText = decode(try respond(context, pixels01: adversarial, strategy: .greedy, maxNewTokens: options.maxNewTokens, eos: eos))
        let report = ImageAttackJSON(image: options.out, finalLoss: history.last?.loss, secondsPerStep: seconds, cleanResponse: cleanText,
                                     adversarialResponse: adversarialText, linf: (adversarial - clean).abs().max().item(), steps: steps)
        if options.json { try printJSON(report) } else {
            print("clean:       \(cleanText)\nadversarial: \(adversarialText)")
            print(String(format: "wrote %@ (L∞ %.4f = %.1f/255)", options.out, report.linf, report.linf * 255))
        }
    }
}
