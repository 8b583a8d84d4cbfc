import LucidText
import LucidSupport
import LucidWorld

/// One training sequence: token ids with one image placeholder, and which tokens are answer tokens
/// (the only ones the loss is computed on, as in LLaVA's instruction tuning).
public struct TrainingConversation: Sendable, Equatable {
    public var ids: [Int]
    /// Parallel to `ids`: true where the token belongs to an assistant answer (incl. its end token).
    public var isAnswer: [Bool]

    public init(ids: [Int], isAnswer: [Bool]) {
        self.ids = ids
        self.isAnswer = isAnswer
    }
}

/// The instruction data of the ShapesWorld organisms, written as chat conversations with the
/// model's own template, so training sees exactly the prompts inference renders.
public struct ConversationWriter {
    public let tokenizer: Tokenizer
    public let template: ChatTemplate
    /// The end-of-turn token closing every answer (`<|im_end|>` for chatml).
    public let endOfTurn: Int

    /// The prompt `lucid demo` and the evaluation use for descriptions.
    public static let describePrompt = "Describe this image in detail."
    public static let describePrompts = [
        describePrompt, "Please describe this image in detail.", "What is in this image? Describe it in detail.",
        "Give a detailed description of the image.", "Describe the picture.",
    ]
    public static let captionPrompts = ["Write a short caption for this image.", "Caption the image briefly."]

    public init(tokenizer: Tokenizer, template: ChatTemplate, endOfTurn: Int) {
        self.tokenizer = tokenizer
        self.template = template
        self.endOfTurn = endOfTurn
    }

    /// Token ids of a single-turn prompt with one image (what inference feeds the model).
    public func prompt(_ question: String) throws -> [Int] {
        let text = try template.render([.user(question, images: 1)], addGenerationPrompt: true)
        return tokenizer.encode(text, addSpecialTokens: !template.rendersBOS)
    }

    /// A conversation of question–answer turns about one image (the image goes in the first turn).
    public func conversation(_ turns: [(question: String, answer: String)], withImage: Bool = true) throws -> TrainingConversation {
        var ids: [Int] = []
        var isAnswer: [Bool] = []
        for (index, turn) in turns.enumerated() {
            let text = try template.render([.user(turn.question, images: index == 0 && withImage ? 1 : 0)], addGenerationPrompt: true)
            let prompt = tokenizer.encode(text, addSpecialTokens: index == 0 && !template.rendersBOS)
            ids += prompt
            isAnswer += Array(repeating: false, count: prompt.count)
            let answer = tokenizer.encode(turn.answer, addSpecialTokens: false) + [endOfTurn]
            ids += answer
            isAnswer += Array(repeating: true, count: answer.count)
            if index + 1 < turns.count {
                let newline = tokenizer.encode("\n", addSpecialTokens: false)
                ids += newline
                isAnswer += Array(repeating: false, count: newline.count)
            }
        }
        return TrainingConversation(ids: ids, isAnswer: isAnswer)
    }

    /// The kinds of example the instruction mix draws from.
    public enum Task: String, Sendable, CaseIterable {
        case description, caption, questions
    }

    /// One example about `text`'s scene: `task` with a phrasing (and questions) drawn from `random`.
    public func example(_ text: SceneText, task: Task, random: inout SplitMix64) throws -> TrainingConversation {
        switch task {
        case .description:
            return try conversation([(random.element(of: Self.describePrompts) ?? Self.describePrompt, text.description)])
        case .caption:
            return try conversation([(random.element(of: Self.captionPrompts) ?? Self.captionPrompts[0], text.caption)])
        case .questions:
            var pool = text.questions
            var turns: [(String, String)] = []
            while turns.count < 3, !pool.isEmpty {
                let question = pool.remove(at: random.below(pool.count))
                turns.append((question.question, Self.answer(question)))
            }
            if turns.isEmpty { return try conversation([(Self.describePrompt, text.description)]) }
            return try conversation(turns)
        }
    }

    /// A short answer as the model should say it: "Yes", "No", "2", "Red", "Top-left".
    public static func answer(_ question: SceneQuestion) -> String {
        guard let first = question.answer.first else { return question.answer }
        return first.uppercased() + question.answer.dropFirst()
    }
}
