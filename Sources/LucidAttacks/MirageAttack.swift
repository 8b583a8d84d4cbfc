import LucidGeneration
import LucidModels
import LucidSupport
import LucidTensor

extension ImageAttackContext {
    /// The model's response to the prompt under `pixels01` (no gradient).
    public func respond(pixels01: Tensor, strategy: DecodingStrategy, maxNewTokens: Int, eosTokenIDs: [Int]) throws -> [Int] {
        let prompt = try withNoGrad { () throws -> Prefill in try self.prefill(pixels01) }
        return try GenerationDriver(model: model).generate(prompt, strategy: strategy,
                                                           limits: GenerationLimits(maxNewTokens: maxNewTokens, eosTokenIDs: eosTokenIDs)).tokens
    }
}

/// Mirage in the Eyes (Wang et al., USENIX Security 2025): the per-round attack loop.
///
/// Each PGD step first generates the response under the current image (beam search with `beams`,
/// 3 as the paper; 1 = greedy), then takes a step on `MirageSinkLoss` for that response. A response
/// shorter than 2 tokens cannot place a sink: the clean image's response is used instead. Step
/// metrics: `sink` (response offset), `cosine` (its similarity to the mean input state), `response_tokens`.
public struct MirageAttack {
    public var loss: MirageSinkLoss
    public var pgd: PixelPGD
    public var beams: Int
    public var maxNewTokens: Int

    public init(loss: MirageSinkLoss, pgd: PixelPGD, beams: Int = 3, maxNewTokens: Int = 96) {
        self.loss = loss
        self.pgd = pgd
        self.beams = beams
        self.maxNewTokens = maxNewTokens
    }

    /// The per-round generation: beam search with `beams`, or greedy for 1.
    public var strategy: DecodingStrategy { beams > 1 ? .beamSearch(BeamSearchParameters(beams: beams)) : .greedy }

    /// The response to the context's prompt under `pixels01`, as each round generates it.
    public func respond(_ context: ImageAttackContext, pixels01: Tensor, eosTokenIDs: [Int]) throws -> [Int] {
        try context.respond(pixels01: pixels01, strategy: strategy, maxNewTokens: maxNewTokens, eosTokenIDs: eosTokenIDs)
    }

    /// What one round costs at the least, timed in this process and warm: one generation under
    /// `clean` (as each round generates) plus one forward/backward of the loss at `clean` for
    /// `cleanResponse`. `lucid attack sink` reports its seconds per step against this. Throws
    /// `AttackError.noGradientReachesTheImage` when no gradient reaches the image (a Q-MLLM
    /// model's quantiser as released), before an attack that could never move it.
    public func stepCost(_ context: ImageAttackContext, clean: Tensor, cleanResponse: [Int], eosTokenIDs: [Int],
                         modelName: String = "this model") throws -> StepCost {
        let clock = ContinuousClock()
        let generation = try clock.measure { _ = try respond(context, pixels01: clean, eosTokenIDs: eosTokenIDs) }
        let probe = clean.detached()
        probe.requiresGrad = true
        var reaches = false
        let backward = try clock.measure {
            let value = try loss(context, pixels01: probe, response: cleanResponse).loss
            reaches = value.requiresGrad && (Tensor.gradients(of: [value], withRespectTo: [probe]).first ?? nil) != nil
        }
        guard reaches else { throw AttackError.noGradientReachesTheImage(model: modelName) }
        return StepCost(generationSeconds: generation.seconds, backwardSeconds: backward.seconds)
    }

    /// The adversarial image in [0, 1] and the steps, from `clean` [1, 3, S, S] in [0, 1].
    /// `cleanResponse` (the response under `clean`) is generated unless given.
    public func run(_ context: ImageAttackContext, clean: Tensor, eosTokenIDs: [Int], cleanResponse: [Int]? = nil,
                    log: (PixelPGD.Step) -> Void = { _ in }) throws -> (image: Tensor, steps: [PixelPGD.Step]) {
        let fallback = try cleanResponse ?? respond(context, pixels01: clean, eosTokenIDs: eosTokenIDs)
        return try pgd.run(clean: clean, loss: { x, _ in
            var response = try respond(context, pixels01: x.detached(), eosTokenIDs: eosTokenIDs)
            if response.count < 2 { response = fallback }
            let result = try loss(context, pixels01: x, response: response)
            return (result.loss, ["sink": Double(result.sink), "cosine": result.similarity, "response_tokens": Double(response.count)])
        }, log: log)
    }
}

/// The cost of one Mirage round's parts, in seconds (`MirageAttack.stepCost`).
public struct StepCost: Sendable, Equatable {
    /// One generation of the response.
    public var generationSeconds: Double
    /// One forward and backward pass of the loss to the image.
    public var backwardSeconds: Double
    /// Their sum: the least one round can cost.
    public var seconds: Double { generationSeconds + backwardSeconds }
}
