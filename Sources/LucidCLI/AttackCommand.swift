import ArgumentParser
import Foundation
import LucidAttacks
import LucidEval
import LucidGeneration
import LucidModels
import LucidPipeline
import LucidTensor
import LucidText

/// `lucid attack …`.
struct AttackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attack",
        abstract: "Attacks: Mirage attention-sink image attack, PGD and noise baselines, SCAV embedding-level jailbreak.",
        subcommands: [AttackSinkCommand.self, AttackPGDCommand.self, AttackSCAVCommand.self, AttackSCAVPromptCommand.self]
    )
}

/// `lucid attack scav`: generation with SCAV steering at every accurate layer.
struct AttackSCAVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scav",
        abstract: "Generate with SCAV's embedding-level perturbation and score refusals (ASR-keyword).",
        discussion: """
        At every layer whose probe's test accuracy is above --p1, the last position's residual is moved along the \
        probe normal so that the probe's malicious probability becomes --p0 (only where it is above), in every \
        forward pass of greedy decoding. --placement official applies probe j at decoder layer j's output, as the \
        official code does; 'trained' applies it to the residual it was trained on (one layer earlier). P₀ defaults \
        to the paper's 1e-4 (official code: 1e-3, demo notebook: 0.05). ASR-keyword uses --refusal-list (default scav). On a vision-language model, \
        --image pairs every instruction with an image (default: the image the probes were trained with); a gate that refuses it answers every instruction.
        """
    )

    @OptionGroup var scav: SCAVOptions
    @Option(help: "Target malicious probability P₀.") var p0 = 1e-4
    @Option(help: "Minimum probe test accuracy P₁ (strict).") var p1 = 0.9
    @Option(help: "Probe placement: official or trained.") var placement = "official"
    @Option(help: "Longest response, in tokens.") var maxNewTokens = 64
    @Option(help: "An image paired with every instruction (a vision-language model; the probes' own image by default).") var image: String?
    @Flag(help: "Also generate without the attack, for comparison.") var baseline = false
    @Flag(help: "Print JSON: {\"asr_keyword\":…, \"responses\":[{\"prompt\":…,\"response\":…},…]}.") var json = false

    func validate() throws {
        guard p0 > 0, p0 < 1 else { throw ValidationError("--p0 must be in (0, 1)") }
        guard p1 >= 0, p1 < 1 else { throw ValidationError("--p1 must be in [0, 1)") }
        guard SCAVAttack.Placement(rawValue: placement) != nil else { throw ValidationError("--placement must be official or trained") }
        guard (1...GenerationLimits.maximumNewTokens).contains(maxNewTokens) else {
            throw ValidationError("--max-new-tokens must be in 1…\(GenerationLimits.maximumNewTokens) (got \(maxNewTokens))")
        }
    }

    func run() throws {
        let instructions = try scav.instructions()
        let (loaded, tokenizer, template, list, probeSet) = try scav.open()
        let attack = SCAVAttack(probes: probeSet, targetProbability: p0, accuracyThreshold: p1, placement: SCAVAttack.Placement(rawValue: placement) ?? .official)
        if attack.steeredLayers.isEmpty { FileHandle.standardError.write(Data("warning: no probe has test accuracy above \(p1); nothing will be steered\n".utf8)) }
        let eos = loaded.stopTokenIDs(tokenizer: tokenizer)
        let pairedImage: String?
        do { pairedImage = try image ?? probeSet.recordedImage(probeFile: scav.probes) } catch let error as AttackError { throw CLIError(error.description) }
        if let trained = probeSet.image, !FileReference.same(pairedImage ?? "", trained) {
            FileHandle.standardError.write(Data("warning: the probes were trained with image \(trained), the attack pairs \(pairedImage ?? "no image")\n".utf8))
        }
        let paired = try pairedImage.map { try loaded.pairedImage($0) }
        let gateRefusal = paired?.gateRefusal()
        if gateRefusal != nil { FileHandle.standardError.write(Data("warning: the model's gate refuses the paired image: every reply is its refusal\n".utf8)) }
        let run = try attack.attack(
            instructions, model: loaded.model,
            prefill: { instruction in
                let ids = try tokenizer.encode(chat: [.user(instruction, images: paired == nil ? 0 : 1)], template: template)
                return try paired?.prefill(ids: ids, instruction: instruction) ?? .tokens(ids)
            },
            decode: { (try? tokenizer.decode($0, skipSpecialTokens: true)) ?? "" },
            limits: GenerationLimits(maxNewTokens: maxNewTokens, eosTokenIDs: eos), baseline: baseline,
            isRefusal: { list.refusal(in: template.answer(of: $0)) != nil }, gateRefusal: gateRefusal,
            finished: { if !json { SCAVOptions.logVerdict(jailbroken: $0.jailbroken, instruction: $0.instruction) } })
        let report = run.report(steeredLayers: attack.steeredLayers.map(\.decoderLayer))
        if json {
            try printJSON(report)
        } else {
            for r in run.outcomes.prefix(3) { print("> \(r.instruction)\n\(r.response)\n") }
            print(String(format: "ASR-keyword (%@ list): %.1f%% of %d", scav.refusalList, 100 * report.asrKeyword, run.outcomes.count)
                  + (report.baselineASRKeyword.map { String(format: " · without the attack %.1f%%", 100 * $0) } ?? "")
                  + " · steered layers \(report.steeredLayers)")
        }
    }
}

/// What both SCAV attacks read: the model and its probes, the instructions, the refusal list.
struct SCAVOptions: ParsableArguments {
    @Option(help: "The model the probes were trained on.") var model = "smol-aligned"
    @OptionGroup var runtime: ModelRuntimeOptions
    @Option(help: "Probes written by `lucid probe train`.") var probes: String
    @Option(help: "One instruction.") var prompt: String?
    @Option(help: "A file of instructions (one per line, or JSONL with \"prompt\").") var prompts: String?
    @Option(help: "Refusal list for ASR-keyword.") var refusalList = "scav"
    @Option(help: "Chat template (default: the model's; the one the probes were trained with).") var template: String?

    func validate() throws {
        if (prompt == nil) == (prompts == nil) { throw ValidationError("give exactly one of --prompt or --prompts") }
    }

    /// --prompt, or the instructions of --prompts.
    func instructions() throws -> [String] { try prompt.map { [$0] } ?? InstructionFile.read(prompts ?? "") }

    /// The model, its tokenizer and chat template, the refusal list, and probes that match the model's width.
    func open() throws -> (OpenedModel, Tokenizer, ChatTemplate, RefusalList, SafetyProbeSet) {
        let loaded = try openModel(model, runtime: runtime)
        let tokenizer = try openTokenizer(model)
        guard let chat = try template.map({ try ChatTemplate(named: $0) }) ?? loaded.chatTemplate(for: tokenizer) else {
            throw CLIError("cannot tell the model's chat template (\(ChatTemplate.undetectedReason(for: tokenizer))): pass --template NAME")
        }
        let list = try RefusalList.named(refusalList)
        let probeSet = try SafetyProbeSet.load(URL(fileURLWithPath: probes))
        guard probeSet.probes.allSatisfy({ $0.weight.count == loaded.hiddenSize }) else {
            throw CLIError("\(probes): the probes have \(probeSet.probes.first?.weight.count ?? 0) features but the model's hidden size is \(loaded.hiddenSize)")
        }
        return (loaded, tokenizer, chat, list, probeSet)
    }

    /// One progress line on stderr: whether the model complied with `instruction`.
    static func logVerdict(jailbroken: Bool, instruction: String) {
        FileHandle.standardError.write(Data("\(jailbroken ? "complied" : "refused "): \(instruction.prefix(70))\n".utf8))
    }
}

/// `lucid attack scav-prompt`: SCAV's prompt-level attack (a genetic search over attack prompts).
struct AttackSCAVPromptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scav-prompt",
        abstract: "Search attack prompts that hide an instruction from the safety probe (SCAV prompt level), then score refusals.",
        discussion: """
        For each instruction, a genetic search (AutoDAN's hierarchical GA as the official code runs it: population, \
        elites 5%, roulette on softmax(−loss), crossover 0.5 at 5 points, mutation 0.01, paragraph-level every 5th \
        generation) minimises P_m(e_S)·‖e_S − e‖ with the highest probe whose test accuracy is above --p1, starting \
        from Lucid's own seed prompts ([REPLACE] = the instruction). Every --check-every generations the best \
        prompt's greedy reply is checked; the search stops once it is not a refusal. Defaults are the official \
        population 256 and 100 generations; on a CPU use smaller ones and report them. Cost is reported as prompts \
        scored (forward passes) and seconds per instruction.
        """
    )

    @OptionGroup var scav: SCAVOptions
    @Option(help: "Use only the first N instructions of --prompts.") var limit: Int?
    @Option(help: "Population size.") var population = 256
    @Option(help: "Generations.") var generations = 100
    @Option(help: "Check the best reply every N generations (0: only at the end).") var checkEvery = 5
    @Option(help: "Minimum probe test accuracy P₁ (strict).") var p1 = 0.9
    @Option(help: "Length of the checked reply, in tokens.") var maxNewTokens = 64
    @Option(help: "Seed of the search.") var seed: UInt64 = 0
    @Flag(help: "Print JSON: {\"asr_keyword\":…, \"responses\":[…], \"cost\":{…}}.") var json = false

    func validate() throws {
        guard population >= 2, generations >= 1, checkEvery >= 0, (1...GenerationLimits.maximumNewTokens).contains(maxNewTokens) else {
            throw ValidationError("--population must be ≥ 2, --generations ≥ 1, --check-every ≥ 0, --max-new-tokens ≥ 1")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be ≥ 1") }
        guard p1 >= 0, p1 < 1 else { throw ValidationError("--p1 must be in [0, 1)") }
    }

    struct ResponseJSON: Encodable {
        var prompt: String
        var attackPrompt: String
        var response: String
        var jailbroken: Bool
        var loss: Double
        var generations: Int
        var evaluations: Int
        var seconds: Double
        enum CodingKeys: String, CodingKey { case prompt, attackPrompt = "attack_prompt", response, jailbroken, loss, generations, evaluations, seconds }
    }

    struct RunJSON: Encodable {
        var asrKeyword: Double
        var probeHiddenState: Int
        var responses: [ResponseJSON]
        var cost: [String: Double]
        enum CodingKeys: String, CodingKey { case asrKeyword = "asr_keyword", probeHiddenState = "probe_hidden_state", responses, cost }
    }

    func run() throws {
        let instructions = try Array(scav.instructions().prefix(limit ?? Int.max))
        let (loaded, tokenizer, template, list, probeSet) = try scav.open()
        guard let probe = probeSet.probes.filter({ $0.testAccuracy > p1 }).max(by: { $0.hiddenState < $1.hiddenState }) else {
            throw CLIError("no probe in \(scav.probes) has test accuracy above \(p1)")
        }
        var parameters = SCAVPromptSearch.Parameters()
        parameters.population = population
        parameters.generations = generations
        parameters.checkEvery = checkEvery
        parameters.checkTokens = maxNewTokens
        parameters.seed = seed
        var search = SCAVPromptSearch(model: loaded.model, tokenizer: tokenizer, template: template, probe: probe, parameters: parameters,
                                      isRefusal: { list.refusal(in: template.answer(of: $0)) != nil })
        search.eosTokenIDs = loaded.stopTokenIDs(tokenizer: tokenizer)
        let run = try search.attack(instructions, log: { index, line in
            if !json { FileHandle.standardError.write(Data("[\(index + 1)/\(instructions.count)] \(line)\n".utf8)) }
        }, finished: { outcome in
            if !json { SCAVOptions.logVerdict(jailbroken: outcome.jailbroken, instruction: outcome.search.instruction) }
        })
        let responses = run.outcomes.map {
            ResponseJSON(prompt: $0.search.instruction, attackPrompt: $0.search.attackPrompt, response: $0.reply, jailbroken: $0.jailbroken,
                         loss: $0.search.loss, generations: $0.search.generations, evaluations: $0.search.evaluations, seconds: $0.search.seconds)
        }
        let asr = run.asrKeyword
        let cost = ["evaluations_per_instruction": run.evaluationsPerInstruction, "seconds_per_instruction": run.secondsPerInstruction,
                    "generations_per_instruction": run.generationsPerInstruction]
        if json {
            try printJSON(RunJSON(asrKeyword: asr, probeHiddenState: probe.hiddenState, responses: responses, cost: cost))
        } else {
            for r in responses.prefix(2) { print("> \(r.attackPrompt)\n\(r.response)\n") }
            print(String(format: "ASR-keyword (%@ list): %.1f%% of %d · %.0f prompts scored and %.1f s per instruction (population %d, ≤ %d generations)",
                         scav.refusalList, 100 * asr, responses.count, cost["evaluations_per_instruction"] ?? 0, cost["seconds_per_instruction"] ?? 0,
                         population, generations))
        }
    }
}
