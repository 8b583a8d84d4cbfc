import Foundation

/// SCAV's prompt-level attack over a list of instructions, scored by ASR-keyword: for each
/// instruction the search's best attack prompt, its greedy reply and whether that reply is a
/// refusal, then the share of replies that are not (ASR-keyword) and the search's cost per instruction.
public struct SCAVPromptRun: Sendable, Equatable {
    /// One instruction's outcome: the search's result and its best prompt's scored reply.
    public struct Outcome: Sendable, Equatable {
        /// The search for the instruction: its best attack prompt, loss and cost.
        public var search: SCAVPromptSearch.Result
        /// The greedy reply to the best attack prompt.
        public var reply: String
        /// The reply is not a refusal (the search's `isRefusal` test).
        public var jailbroken: Bool

        public init(search: SCAVPromptSearch.Result, reply: String, jailbroken: Bool) {
            (self.search, self.reply, self.jailbroken) = (search, reply, jailbroken)
        }
    }

    /// One outcome per instruction, in input order (at least one).
    public let outcomes: [Outcome]

    /// A run of `outcomes`; an error when there are none (ASR over no instruction is undefined).
    public init(outcomes: [Outcome]) throws(AttackError) {
        guard !outcomes.isEmpty else { throw AttackError("the attack needs at least one instruction") }
        self.outcomes = outcomes
    }

    /// The share of instructions whose reply is not a refusal.
    public var asrKeyword: Double { Double(outcomes.filter(\.jailbroken).count) / Double(outcomes.count) }
    /// Mean prompts scored (forward passes) per instruction.
    public var evaluationsPerInstruction: Double { Double(outcomes.reduce(0) { $0 + $1.search.evaluations }) / Double(outcomes.count) }
    /// Mean wall-clock seconds of the search per instruction.
    public var secondsPerInstruction: Double { outcomes.reduce(0) { $0 + $1.search.seconds } / Double(outcomes.count) }
    /// Mean generations run per instruction.
    public var generationsPerInstruction: Double { Double(outcomes.reduce(0) { $0 + $1.search.generations }) / Double(outcomes.count) }
}

extension SCAVPromptSearch {
    /// Searches an attack prompt for each of `instructions` in turn and scores its greedy reply with
    /// `isRefusal`: the reply at the search's last check, else one generated for the best prompt.
    /// `log` gets each generation's progress line with the instruction's index; `finished` each outcome as it is known.
    public func attack(_ instructions: [String], log: (_ index: Int, _ line: String) -> Void = { _, _ in },
                       finished: (SCAVPromptRun.Outcome) -> Void = { _ in }) throws -> SCAVPromptRun {
        guard !instructions.isEmpty else { throw AttackError("the attack needs at least one instruction") }
        var outcomes: [SCAVPromptRun.Outcome] = []
        for (index, instruction) in instructions.enumerated() {
            let result = try search(instruction: instruction) { log(index, $0) }
            let reply = try result.reply ?? respond(result.attackPrompt)
            let outcome = SCAVPromptRun.Outcome(search: result, reply: reply, jailbroken: !isRefusal(reply))
            outcomes.append(outcome)
            finished(outcome)
        }
        return try SCAVPromptRun(outcomes: outcomes)
    }
}
