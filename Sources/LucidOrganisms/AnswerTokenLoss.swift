import LucidModels
import LucidNN
import LucidTensor
import LucidTraining

/// Cross-entropy on answer tokens only, for right-padded input embeddings: the language model runs
/// once over the batch and the vocabulary projection is computed only where a target is predicted.
///
/// How answer tokens are weighted (see `AnswerWeighting`).
enum AnswerTokenLoss {
    /// `rows`: embeddings [1, T_i, D]; `targets`: (row, position whose output predicts, token).
    static func loss(rows: [Tensor], targets: [(row: Int, position: Int, token: Int)], languageModel: LlamaForCausalLM,
                     weighting: AnswerWeighting = .conversation) throws -> StepOutcome {
        guard !targets.isEmpty else { throw TrainingError("the batch has no answer tokens") }
        let hidden = languageModel.config.hiddenSize
        let lengths = rows.map { $0.size(1) }
        let longest = lengths.max() ?? 0
        let padded = rows.enumerated().map { row, embedded -> Tensor in
            let missing = longest - lengths[row]
            if missing == 0 { return embedded }
            return Tensor.cat([embedded, Tensor.zeros([1, missing, hidden], dtype: embedded.dtype)], axis: 1)
        }
        let states = languageModel.hiddenStates(embeddings: Tensor.cat(padded, axis: 0)).reshaped(-1, hidden)
        let index = Tensor(targets.map { Int64($0.row * longest + $0.position) }, shape: [targets.count])
        let labels = Tensor(targets.map { Int64($0.token) }, shape: [targets.count])
        let logits = languageModel.project(states.indexSelect(axis: 0, index: index))
        var perRow: [Int: Int] = [:]
        for target in targets { perRow[target.row, default: 0] += 1 }
        let raw = targets.map { weighting.tokenWeight(conversationTokens: perRow[$0.row] ?? 1) }
        let total = raw.reduce(0, +)
        let weights = Tensor(raw.map { Float($0 / total) }, shape: [targets.count])
        let negativeLogLikelihood = -logits.logSoftmax(axis: -1).gather(axis: -1, index: labels.unsqueezed(axis: -1)).squeezed(axis: -1)
        let loss = (negativeLogLikelihood * weights.to(logits.dtype)).sum()
        let accuracy = withNoGrad { logits.argmax(axis: -1).eq(labels).to(.f32).mean().item() }
        return StepOutcome(loss: loss, metrics: ["token_acc": accuracy, "answer_tokens": Double(targets.count)])
    }

    /// Loss of a text-only causal LM on conversations (no image placeholder).
    static func textLoss(_ conversations: [TrainingConversation], languageModel: LlamaForCausalLM,
                         weighting: AnswerWeighting = .conversation) throws -> StepOutcome {
        var rows: [Tensor] = []
        var targets: [(row: Int, position: Int, token: Int)] = []
        for (row, conversation) in conversations.enumerated() {
            rows.append(languageModel.embed(Tensor(conversation.ids, shape: [1, conversation.ids.count])))
            for (j, answer) in conversation.isAnswer.enumerated() where answer && j >= 1 {
                targets.append((row, j - 1, conversation.ids[j]))
            }
        }
        return try loss(rows: rows, targets: targets, languageModel: languageModel, weighting: weighting)
    }
}

/// How the answer-token losses of a batch are combined (weights are normalised to sum to 1).
public enum AnswerWeighting: String, Codable, Sendable, CaseIterable {
    /// Every answer token weighs the same (LLaVA's token-level mean): long descriptions dominate, and
    /// a from-scratch model learns to describe but barely to answer yes/no.
    case token
    /// Every conversation weighs the same (its tokens share 1/n each): short answers count as much
    /// as descriptions. Used for `shapes-smol`.
    case conversation
    /// In between: a conversation of n answer tokens weighs √n. Used for `shapes-tiny`, whose
    /// grounding emerges from the descriptions and which starves under `.conversation`.
    case sqrt

    func tokenWeight(conversationTokens n: Int) -> Double {
        switch self {
        case .token: return 1
        case .conversation: return 1 / Double(max(1, n))
        case .sqrt: return 1 / Double(max(1, n)).squareRoot()
        }
    }
}
