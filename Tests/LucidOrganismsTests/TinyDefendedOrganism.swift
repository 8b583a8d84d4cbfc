import Foundation
import LucidDefense
import LucidModels
import LucidTensor
import Testing
@testable import LucidOrganisms

/// shapes-tiny twice, one copy with a seeded random Q-MLLM defence (quantiser and gate, no safety map),
/// and its conversation writer: the smallest defended / undefended pair for `QMLLMEvaluator` tests.
struct TinyDefendedOrganism {
    let directory: String
    let defended: LlavaForConditionalGeneration
    let undefended: LlavaForConditionalGeneration
    let defense: QMLLMDefense
    let writer: ConversationWriter

    init() throws {
        directory = ModelLocations.resolve("shapes-tiny")
        defended = try OrganismLoader.load(directory: directory)
        undefended = try OrganismLoader.load(directory: directory)
        defense = try QMLLMDefense(configuration: .init(patchGroups: 4, patchCodes: 8, semanticCodes: 4),
                                   visionWidth: defended.visionFeatureWidth, textWidth: defended.hiddenSize, generator: Generator(seed: 5))
        try defense.installWithGate(on: defended)
        let tokenizer = try OrganismLoader.tokenizer(directory: directory)
        writer = ConversationWriter(tokenizer: tokenizer, template: .chatml, endOfTurn: try #require(tokenizer.id(for: "<|im_end|>")))
    }

    func evaluator() -> QMLLMEvaluator {
        QMLLMEvaluator(defended: defended, defense: defense, undefended: undefended, writer: writer, log: { _ in })
    }
}
