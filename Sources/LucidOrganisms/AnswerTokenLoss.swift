import LucidModels
import LucidNN
import LucidTensor

/// Cross-entropy on answer tokens only, for right-padded input embeddings: the language model runs
/// once over the batch and the vocabulary projection is computed only where a target is predicted.
///
/// Each conversation weighs the same: its tokens' losses are averaged, then the conversations'
/// (a token-level mean would let one 90-token description outweigh thirty one-word answers, and
/// the model would learn to describe but not to answer yes/no questions).
enum AnswerTokenLoss {
    /// `rows`: embeddings [1, T_i, D]; `targets`: (row, position whose output predicts, token).
    static func loss(rows: [Tensor], targets: [(row: Int, position: Int, token: Int)], languageModel: LlamaForCausalLM) throws -> StepOutcome {
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
        let rowsWithTargets = Double(perRow.count)
        let weights = Tensor(targets.map { Float(1 / (Double(perRow[$0.row] ?? 1) * rowsWithTargets)) }, shape: [targets.count])
        let negativeLogLikelihood = -logits.logSoftmax(axis: -1).gather(axis: -1, index: labels.unsqueezed(axis: -1)).squeezed(axis: -1)
        let loss = (negativeLogLikelihood * weights.to(logits.dtype)).sum()
        let accuracy = withNoGrad { logits.argmax(axis: -1).eq(labels).to(.f32).mean().item() }
        return StepOutcome(loss: loss, metrics: ["token_acc": accuracy, "answer_tokens": Double(targets.count)])
    }

    /// Loss of a text-only causal LM on conversations (no image placeholder).
    static func textLoss(_ conversations: [TrainingConversation], languageModel: LlamaForCausalLM) throws -> StepOutcome {
        var rows: [Tensor] = []
        var targets: [(row: Int, position: Int, token: Int)] = []
        for (row, conversation) in conversations.enumerated() {
            rows.append(languageModel.embed(Tensor(conversation.ids, shape: [1, conversation.ids.count])))
            for (j, answer) in conversation.isAnswer.enumerated() where answer && j >= 1 {
                targets.append((row, j - 1, conversation.ids[j]))
            }
        }
        return try loss(rows: rows, targets: targets, languageModel: languageModel)
    }
}
