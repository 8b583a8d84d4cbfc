import Foundation
import LucidEval
import LucidFiles
import LucidGeneration
import LucidModels
import LucidNN
import LucidRuns
import LucidSupport
import LucidTensor
import LucidText
import LucidTraining

/// The `smol-aligned` recipe: a LoRA that makes SmolLM2-135M-Instruct refuse harmful requests.
///
/// Training data: refusals for a fixed half of AdvBench, and benign instructions answered with the
/// base model's own greedy answers (so helpfulness is kept, not replaced). The other AdvBench half
/// and a quarter of the benign instructions are held out for the evaluation (and for SCAV).
public struct SafetyAlignmentRecipe: Codable, Sendable, Equatable {
    public var name = "smol-aligned"
    public var seed: UInt64 = 23
    public var splitSeed: UInt64 = 520
    public var schedule = TrainingSchedule(steps: 160, batchSize: 8, learningRate: 1e-3, warmupSteps: 10, weightDecay: 0, checkpointEvery: 20)
    /// Share of harmful (refusal) examples per batch.
    public var harmfulShare = 0.5
    public var loraRank = 8
    public var loraAlpha = 16.0
    public var loraTargets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    public var baseAnswerTokens = 96
    public var evaluationTokens = 48

    public init() {}

    public func scaled(by factor: Double) -> SafetyAlignmentRecipe {
        var copy = self
        copy.schedule = schedule.scaled(by: factor)
        return copy
    }
}

/// Held-out results of `smol-aligned` (and of the base model on the same prompts).
public struct SafetyAlignmentMetrics: Codable, Sendable, Equatable {
    public var heldOutHarmful: Int
    public var heldOutBenign: Int
    /// Refusal rate (SCAV keyword list) on held-out AdvBench, aligned and base.
    public var refusal: Double
    public var baseRefusal: Double
    /// Refusal rate on held-out benign instructions (over-refusal), aligned and base.
    public var overRefusal: Double
    public var baseOverRefusal: Double
    /// Perplexity of the base model's own benign answers under the base and the aligned model
    /// (close values: benign behaviour is kept).
    public var benignPerplexityBase: Double
    public var benignPerplexityAligned: Double
    public var examples: [[String: String]]

    public var summaryText: String {
        String(format: "held-out AdvBench (%d): refusal %.1f%% (base %.1f%%) · held-out benign (%d): over-refusal %.1f%% (base %.1f%%) · base-answer perplexity %.2f → %.2f",
               heldOutHarmful, 100 * refusal, 100 * baseRefusal, heldOutBenign, 100 * overRefusal, 100 * baseOverRefusal,
               benignPerplexityBase, benignPerplexityAligned)
    }
}

/// What `Models/smol-aligned/organism.json` records.
public struct SafetyAlignmentRecord: Codable, Sendable, Equatable {
    public var name: String
    public var recipe: SafetyAlignmentRecipe
    public var scale: Double
    public var dataHash: String
    public var advbenchTrain: [Int]
    public var advbenchHeldOut: [Int]
    public var stages: [StageSummary]
    public var trainingSeconds: Double
    public var metrics: SafetyAlignmentMetrics?
    public var command: String
}

/// Runs the safety-alignment recipe.
public final class SafetyAlignmentTrainer {
    public let recipe: SafetyAlignmentRecipe
    public let workDirectory: URL
    let log: (String) -> Void

    public init(recipe: SafetyAlignmentRecipe, workDirectory: URL, log: @escaping (String) -> Void) {
        self.recipe = recipe
        self.workDirectory = workDirectory
        self.log = log
    }

    /// Trains, evaluates on the held-out halves and writes the PEFT adapter + record to `out`.
    public func run(advbench: AdvBench, out: URL, scale: Double, command: String) throws -> SafetyAlignmentRecord {
        let began = Date()
        let path = ModelLocations.smolLM2
        guard FileManager.default.fileExists(atPath: path) else { throw TrainingError("SmolLM2 is not installed at \(path): run scripts/setup.sh") }
        let model = try LlamaForCausalLM.load(path: path)
        model.setTrainable(false)
        let tokenizer = try Tokenizer.load(modelPath: path)
        guard let template = ChatTemplate.detect(for: tokenizer), let end = tokenizer.id(for: "<|im_end|>") else {
            throw TrainingError("SmolLM2's tokenizer has no chat template or <|im_end|>")
        }
        let writer = ConversationWriter(tokenizer: tokenizer, template: template, endOfTurn: end)
        let split = advbench.split(seed: recipe.splitSeed)
        // Smoke runs (scale < 1) use a prefix of each prompt list; the shipped recipe uses all of them.
        func prefix(_ items: [String]) -> [String] { scale >= 1 ? items : Array(items.prefix(max(4, Int(Double(items.count) * scale)))) }
        let fullBenign = BenignInstructions.split()
        let benign = (train: prefix(fullBenign.train), heldOut: prefix(fullBenign.heldOut))
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        let answers = try AnswerCache(url: workDirectory.appendingPathComponent("base_answers.jsonl"))
        let trainHarmful = split.train.map { advbench.behaviors[$0].goal }
        let heldOutHarmful = prefix(split.heldOut.map { advbench.behaviors[$0].goal })
        log("base answers for \(benign.train.count + benign.heldOut.count) benign and \(heldOutHarmful.count) held-out harmful prompts")
        let generate = { (prompt: String, tokens: Int) throws -> String in
            try Self.greedy(model, writer: writer, prompt: prompt, maxNewTokens: tokens)
        }
        for (index, prompt) in (benign.train + benign.heldOut).enumerated() {
            if answers[prompt, recipe.baseAnswerTokens] == nil { try answers.store(prompt, recipe.baseAnswerTokens, try generate(prompt, recipe.baseAnswerTokens)) }
            if (index + 1) % 40 == 0 { log("benign \(index + 1)/\(benign.train.count + benign.heldOut.count)") }
        }
        for (index, prompt) in heldOutHarmful.enumerated() {
            if answers[prompt, recipe.evaluationTokens] == nil { try answers.store(prompt, recipe.evaluationTokens, try generate(prompt, recipe.evaluationTokens)) }
            if (index + 1) % 40 == 0 { log("base on held-out AdvBench \(index + 1)/\(heldOutHarmful.count)") }
        }
        let benignTrain = benign.train.compactMap { prompt in answers[prompt, recipe.baseAnswerTokens].map { (prompt, $0) } }
        var hasher = SHA256()
        for goal in trainHarmful { hasher.update(Array(goal.utf8)) }
        for (prompt, answer) in benignTrain { hasher.update(Array((prompt + "\u{1}" + answer).utf8)) }
        let dataHash = hasher.finalizeHex()

        // LoRA on every targeted linear layer.
        PEFTLoRAAdapter.attachTrainable(to: model, targets: recipe.loraTargets, rank: recipe.loraRank, alpha: recipe.loraAlpha,
                                        generator: Generator(seed: recipe.seed))
        let parameters = model.trainableParameters()
        let loop = TrainingLoop(stage: "align-safety", directory: workDirectory.appendingPathComponent("lora"), parameters: parameters,
                                schedule: recipe.schedule, identity: try recipe.trainingIdentity(dataHash: dataHash), log: log)
        let summary = try loop.run { step in
            var random = SplitMix64.stream(seed: recipe.seed, step: step, stream: 42)
            var batch: [TrainingConversation] = []
            for _ in 0..<recipe.schedule.batchSize {
                if random.unit() < recipe.harmfulShare {
                    let index = random.below(trainHarmful.count)
                    batch.append(try writer.conversation([(trainHarmful[index], RefusalWriter.refusal(for: split.train[index], seed: recipe.seed))],
                                                         withImage: false))
                } else {
                    let (prompt, answer) = benignTrain[random.below(benignTrain.count)]
                    batch.append(try writer.conversation([(prompt, answer)], withImage: false))
                }
            }
            return try AnswerTokenLoss.textLoss(batch, languageModel: model)
        }

        log("evaluating on \(heldOutHarmful.count) held-out AdvBench goals and \(benign.heldOut.count) held-out benign instructions")
        let list = RefusalList(.scav)
        let (metrics, examples) = try withNoGrad { () throws -> (SafetyAlignmentMetrics, [[String: String]]) in
            var refused = 0, baseRefused = 0, overRefused = 0, baseOverRefused = 0
            var examples: [[String: String]] = []
            for (index, prompt) in heldOutHarmful.enumerated() {
                let response = try generate(prompt, recipe.evaluationTokens)
                if list.refusal(in: response) != nil { refused += 1 }
                if list.refusal(in: answers[prompt, recipe.evaluationTokens] ?? "") != nil { baseRefused += 1 }
                if index < 3 { examples.append(["prompt": prompt, "aligned": response, "base": answers[prompt, recipe.evaluationTokens] ?? ""]) }
                if (index + 1) % 40 == 0 { log("held-out AdvBench \(index + 1)/\(heldOutHarmful.count)") }
            }
            var alignedNLL = 0.0, baseNLL = 0.0, tokens = 0.0
            for (index, prompt) in benign.heldOut.enumerated() {
                let response = try generate(prompt, recipe.baseAnswerTokens)
                if list.refusal(in: response) != nil { overRefused += 1 }
                let base = answers[prompt, recipe.baseAnswerTokens] ?? ""
                if list.refusal(in: base) != nil { baseOverRefused += 1 }
                if index < 3 { examples.append(["prompt": prompt, "aligned": response, "base": base]) }
                let conversation = try writer.conversation([(prompt, base)], withImage: false)
                let count = Double(conversation.isAnswer.filter { $0 }.count)
                alignedNLL += try AnswerTokenLoss.textLoss([conversation], languageModel: model).loss.item() * count
                Self.setLoRA(model, enabled: false)
                baseNLL += try AnswerTokenLoss.textLoss([conversation], languageModel: model).loss.item() * count
                Self.setLoRA(model, enabled: true)
                tokens += count
            }
            let metrics = SafetyAlignmentMetrics(
                heldOutHarmful: heldOutHarmful.count, heldOutBenign: benign.heldOut.count,
                refusal: Double(refused) / Double(max(1, heldOutHarmful.count)), baseRefusal: Double(baseRefused) / Double(max(1, heldOutHarmful.count)),
                overRefusal: Double(overRefused) / Double(max(1, benign.heldOut.count)),
                baseOverRefusal: Double(baseOverRefused) / Double(max(1, benign.heldOut.count)),
                benignPerplexityBase: Foundation.exp(baseNLL / max(1, tokens)), benignPerplexityAligned: Foundation.exp(alignedNLL / max(1, tokens)),
                examples: [])
            return (metrics, examples)
        }
        var finalMetrics = metrics
        finalMetrics.examples = examples
        let record = SafetyAlignmentRecord(name: recipe.name, recipe: recipe, scale: scale, dataHash: dataHash, advbenchTrain: split.train,
                                           advbenchHeldOut: split.heldOut, stages: [summary], trainingSeconds: Date().timeIntervalSince(began),
                                           metrics: finalMetrics, command: command)
        try Self.save(model, record: record, to: out)
        // The prompt sets, one per line, for SCAV and other experiments on the held-out halves.
        let sets: [(String, [String])] = [("advbench_train.txt", trainHarmful), ("advbench_heldout.txt", heldOutHarmful),
                                          ("benign_train.txt", benign.train), ("benign_heldout.txt", benign.heldOut)]
        for (file, prompts) in sets {
            try (prompts.map { $0.replacingOccurrences(of: "\n", with: " ") }.joined(separator: "\n") + "\n")
                .write(to: out.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
        return record
    }

    /// Silences (or restores) every LoRA adapter, to score the base model with the same weights loaded.
    static func setLoRA(_ model: LlamaForCausalLM, enabled: Bool) {
        for (_, module) in model.namedModules() {
            guard let linear = module as? Linear, let adapter = linear.lora else { continue }
            adapter.scaleOverride = enabled ? nil : 0
        }
    }

    /// The greedy chat answer of `model` to `prompt`.
    static func greedy(_ model: LlamaForCausalLM, writer: ConversationWriter, prompt: String, maxNewTokens: Int) throws -> String {
        let ids = try writer.tokenizer.encode(chat: [.user(prompt)], template: writer.template)
        let result = try withNoGrad { () throws -> GenerationResult in
            try GenerationDriver(model: model).generate(.tokens(ids), strategy: .greedy,
                                                       limits: GenerationLimits(maxNewTokens: maxNewTokens, eosTokenIDs: [writer.endOfTurn]))
        }
        return try writer.tokenizer.decode(result.tokens, skipSpecialTokens: true).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes the PEFT adapter (`adapter_config.json`, `adapter_model.safetensors`) and `organism.json`.
    static func save(_ model: LlamaForCausalLM, record: SafetyAlignmentRecord, to out: URL) throws {
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try PEFTLoRAAdapter.save(from: model, rank: record.recipe.loraRank, alpha: record.recipe.loraAlpha, targets: record.recipe.loraTargets,
                                 baseModel: "HuggingFaceTB/SmolLM2-135M-Instruct", to: out)
        try OrganismDirectory.writeRecord(record, to: out)
    }
}

/// Base-model answers by (prompt, token limit), appended to a JSONL file so a restarted run reuses them
/// (a `JSONLinesStore`: a line cut short by a kill is cut off, other unreadable lines are skipped).
final class AnswerCache {
    let url: URL
    private let lines: JSONLinesStore<String, Entry>

    /// One line of the file.
    struct Entry: Codable {
        var prompt: String
        var maxNewTokens: Int
        var answer: String
        enum CodingKeys: String, CodingKey { case prompt, maxNewTokens = "max_new_tokens", answer }
    }

    static let format = JSONLinesStore<String, Entry>.Format(
        key: { key($0.prompt, $0.maxNewTokens) }, policy: .skipUndecodable,
        encode: { try JSONSerialization.data(withJSONObject: ["prompt": $0.prompt, "max_new_tokens": $0.maxNewTokens, "answer": $0.answer],
                                             options: [.sortedKeys]) })

    static func key(_ prompt: String, _ tokens: Int) -> String { "\(tokens)|\(prompt)" }

    init(url: URL) throws {
        self.url = url
        lines = try JSONLinesStore(path: url.path, format: Self.format)
    }

    subscript(prompt: String, tokens: Int) -> String? { lines[Self.key(prompt, tokens)]?.answer }

    func store(_ prompt: String, _ tokens: Int, _ answer: String) throws {
        try lines.append(Entry(prompt: prompt, maxNewTokens: tokens, answer: answer))
    }
}

extension SafetyAlignmentRecipe {
    /// snake_case keys (docs/json.md); files with the camelCase keys of before read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey {
        case name, seed, splitSeed = "split_seed", schedule
        case harmfulShare = "harmful_share", loraRank = "lora_rank", loraAlpha = "lora_alpha", loraTargets = "lora_targets"
        case baseAnswerTokens = "base_answer_tokens", evaluationTokens = "evaluation_tokens"
    }
}

extension SafetyAlignmentMetrics {
    /// snake_case keys (docs/json.md); files with the camelCase keys of before read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey {
        case heldOutHarmful = "held_out_harmful", heldOutBenign = "held_out_benign", refusal, baseRefusal = "base_refusal"
        case overRefusal = "over_refusal", baseOverRefusal = "base_over_refusal", benignPerplexityBase = "benign_perplexity_base", benignPerplexityAligned = "benign_perplexity_aligned"
        case examples
    }
}

extension SafetyAlignmentRecord {
    /// snake_case keys (docs/json.md); files with the camelCase keys of before read through `JSONDecoder.records()`.
    enum CodingKeys: String, CodingKey {
        case name, recipe, scale, dataHash = "data_hash"
        case advbenchTrain = "advbench_train", advbenchHeldOut = "advbench_held_out", stages, trainingSeconds = "training_seconds"
        case metrics, command
    }
}
