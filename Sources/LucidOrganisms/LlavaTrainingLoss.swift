import LucidModels
import LucidNN
import LucidTensor
import LucidTraining

/// Masked next-token cross-entropy of a LLaVA model on a batch of conversations with one image each.
///
/// Sequences are right-padded (a causal model never attends to later padding, so no mask is
/// needed) and the vocabulary projection is computed only at positions that predict an answer
/// token, which is most of the cost saving on a 49k-token vocabulary.
public struct LlavaTrainingLoss {
    public let model: LlavaForConditionalGeneration
    /// Run the vision tower without gradients (it is frozen in this stage).
    public let freezeVision: Bool
    public let weighting: AnswerWeighting
    /// Whitening applied to the frozen vision features before the projector (folded in after training).
    public let whitening: VisionFeatureWhitening?

    public init(model: LlavaForConditionalGeneration, freezeVision: Bool, weighting: AnswerWeighting = .conversation,
                whitening: VisionFeatureWhitening? = nil) {
        precondition(whitening == nil || freezeVision, "LlavaTrainingLoss: feature whitening needs a frozen vision tower")
        self.model = model
        self.freezeVision = freezeVision
        self.weighting = weighting
        self.whitening = whitening
    }

    /// Loss and token accuracy for `conversations` with pixels [B, 3, S, S] (one image each).
    public func callAsFunction(_ conversations: [TrainingConversation], pixels: Tensor) throws -> StepOutcome {
        let features: Tensor
        if freezeVision {
            let selected = withNoGrad { model.selectedVisionFeatures(pixels) }
            features = model.project(whitening.map { $0(selected) } ?? selected)
        } else {
            features = model.imageFeatures(pixels)
        }
        return try callAsFunction(conversations, imageFeatures: features)
    }

    /// Loss and token accuracy for `conversations` with projected image features [B, N, D_text]
    /// computed by the caller (Q-MLLM training quantises them first).
    public func callAsFunction(_ conversations: [TrainingConversation], imageFeatures features: Tensor) throws -> StepOutcome {
        let placeholder = model.config.imageTokenIndex
        let imageTokens = features.size(1)
        var rows: [Tensor] = []
        var targets: [(row: Int, position: Int, token: Int)] = []
        for (row, conversation) in conversations.enumerated() {
            guard let image = conversation.ids.firstIndex(of: placeholder),
                  conversation.ids.filter({ $0 == placeholder }).count == 1 else {
                throw TrainingError("a training conversation must hold exactly one image placeholder (id \(placeholder))")
            }
            let text = conversation.ids.map { $0 == placeholder ? 0 : $0 }
            let embedded = model.embed(Tensor(text, shape: [1, text.count]))
            let after = text.count - image - 1
            var pieces = [embedded.narrowed(axis: 1, start: 0, length: image), features.narrowed(axis: 0, start: row, length: 1)]
            if after > 0 { pieces.append(embedded.narrowed(axis: 1, start: image + 1, length: after)) }
            rows.append(Tensor.cat(pieces, axis: 1))
            for (j, answer) in conversation.isAnswer.enumerated() where answer {
                let position = j < image ? j : j - 1 + imageTokens
                guard position >= 1 else { continue }
                targets.append((row, position - 1, conversation.ids[j]))
            }
        }
        return try AnswerTokenLoss.loss(rows: rows, targets: targets, languageModel: model.languageModel, weighting: weighting)
    }
}
